// Where the CLI finds who it is: a small key=value file holding the caller's signed token.
//   # written by luoshi login --token (or the quick start)
//   token=eyJhbGciOiJFUzI1NiIs…
// Looked up at --credentials, else $LUOSHI_CREDENTIALS, else $XDG_CONFIG_HOME/luoshi/credentials, else
// ~/.config/luoshi/credentials (%APPDATA%\luoshi\credentials on Windows). The quick start writes a local
// administrator's token there. A --token option (or $LUOSHI_TOKEN) overrides the file for one call.
// The CLI sends the token as it is; the services verify it (the CLI holds no keys).
#ifndef LUOSHI_SERVICES_CLI_CREDENTIALS_H_
#define LUOSHI_SERVICES_CLI_CREDENTIALS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace luoshi::cli {

std::string DefaultCredentialsPath();
// The token of a credential file. NOT_FOUND when the file does not exist; INVALID_ARGUMENT (with the line
// number) when malformed or when it holds no token (an older file naming a user and role only).
absl::StatusOr<std::string> ReadCredentials(const std::string& path);
// Writes `token` as the credential file at `path` (creating its directory; readable by its owner only).
absl::Status WriteCredentials(const std::string& path, const std::string& token);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_CREDENTIALS_H_
