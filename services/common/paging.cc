#include "services/common/paging.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/fnv.h"

namespace luoshi {
namespace {

constexpr char kTokenVersion[] = "p1";

}  // namespace

absl::Status InvalidPageToken() {
  return absl::InvalidArgumentError(
      "page_token was not issued for this query (or is damaged): pass back next_page_token unchanged with "
      "the same request, or repeat the query without page_token");
}

absl::StatusOr<int> PageSizeOf(int requested) {
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size must be between 0 (the default, ",
                                                   kDefaultPageSize, ") and ", kMaxPageSize, ", not ",
                                                   requested));
  }
  return requested == 0 ? kDefaultPageSize : requested;
}

std::string PageScope(std::initializer_list<absl::string_view> parts) {
  std::string joined;
  for (absl::string_view p : parts) absl::StrAppend(&joined, p.size(), ":", p, ";");
  return absl::StrCat(absl::Hex(Fnv1a64(joined), absl::kZeroPad16));
}

std::string EncodePageToken(absl::string_view scope, absl::string_view cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenVersion, "|", scope, "|", cursor));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope) {
  std::string raw;
  if (token.empty() || !absl::WebSafeBase64Unescape(token, &raw)) return InvalidPageToken();
  std::vector<absl::string_view> parts = absl::StrSplit(raw, absl::MaxSplits('|', 2));
  if (parts.size() != 3 || parts[0] != kTokenVersion || parts[1] != scope || parts[2].empty()) {
    return InvalidPageToken();
  }
  return std::string(parts[2]);
}

}  // namespace luoshi
