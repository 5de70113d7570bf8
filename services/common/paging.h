// Paging for every List/Query RPC of every service, one rule (docs/architecture.md, "Paging"):
//
//   page_size   0 means the default (50); 1..1000 as asked; anything else is INVALID_ARGUMENT.
//   page_token  opaque to clients: web-safe base64 of a version, the scope it was issued for and the
//               service's cursor. A token shown to another query (another method or another filter), a
//               token of an unknown version and a damaged one are INVALID_ARGUMENT, so a reused token
//               can never silently skip or repeat rows of a different listing.
//
// The scope is any stable text that identifies the query: the method and its normalized filter
// (PageScope builds one). Tokens survive restarts and are the same on every replica.
#ifndef LUOSHI_SERVICES_COMMON_PAGING_H_
#define LUOSHI_SERVICES_COMMON_PAGING_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/limits.h"  // kDefaultPageSize, kMaxPageSize

namespace luoshi {

// The page size to use for a request's page_size.
absl::StatusOr<int> PageSizeOf(int requested);

// A scope from the parts that identify a query, e.g. PageScope({"ListTasks", plan_id, unit, light}).
std::string PageScope(std::initializer_list<absl::string_view> parts);

std::string EncodePageToken(absl::string_view scope, absl::string_view cursor);
// The cursor inside `token`, when it was issued for `scope`; otherwise InvalidPageToken().

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope);
// INVALID_ARGUMENT for a token that is not one of this query's (also for a cursor a service cannot read).
absl::Status InvalidPageToken();

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_PAGING_H_
