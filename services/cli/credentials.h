// Where the CLI finds who it is: a small key=value file.
//   user=admin
//   role=admin          (admin | supervisor | office | viewer)
//   unit=区发展改革委    (offices only)
// Looked up at $LUOSHI_CREDENTIALS, else $XDG_CONFIG_HOME/luoshi/credentials, else
// ~/.config/luoshi/credentials (%APPDATA%\luoshi\credentials on Windows). The quick start writes a
// local admin credential there. The security issue adds a signed token line to the same file.
#ifndef LUOSHI_SERVICES_CLI_CREDENTIALS_H_
#define LUOSHI_SERVICES_CLI_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/common/identity.h"

namespace luoshi::cli {

std::string DefaultCredentialsPath();
// NOT_FOUND when the file does not exist; INVALID_ARGUMENT (with the line number) when malformed.
absl::StatusOr<Identity> ReadCredentials(const std::string& path);
std::string FormatCredentials(const Identity& identity);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_CREDENTIALS_H_
