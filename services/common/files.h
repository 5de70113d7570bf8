// Reading a whole file, for the small files a component is configured with (keys, certificates,
// revocation lists), and making the directory of a file about to be created. One place, one message.
#ifndef LUOSHI_SERVICES_COMMON_FILES_H_
#define LUOSHI_SERVICES_COMMON_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace luoshi {

// The bytes of `path`; NOT_FOUND "cannot read <what> file <path>" when it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view what);

// Creates the missing directories above `path` (a file about to be created, such as a database); OK
// when there are none to make. INTERNAL "cannot create the directory <dir>: <reason>" otherwise.
absl::Status CreateParentDirectories(const std::string& path);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_FILES_H_
