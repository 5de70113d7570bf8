// Where the CLI finds who it is: a small key=value file holding the caller's signed token and, for a
// deployment off this machine, the TLS files to reach it with.
//   # written by luoshi login --token (or the quick start)
//   token=eyJhbGciOiJFUzI1NiIs…
//   tls_ca=/etc/luoshi/ca.pem        (optional, as --tls_ca; likewise tls_cert=, tls_key=)
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

struct CredentialFile {
  std::string token;  // empty when the file holds none (e.g. one from before tokens, naming a role only)
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

std::string DefaultCredentialsPath();
// NOT_FOUND when the file does not exist; INVALID_ARGUMENT (with the line number) when a line is not
// key=value. Unknown keys are ignored.
absl::StatusOr<CredentialFile> ReadCredentials(const std::string& path);
// Writes `token` into the credential file at `path`, keeping its TLS settings (creating the file and its
// directory; readable by its owner only).
absl::Status WriteCredentials(const std::string& path, const std::string& token);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_CREDENTIALS_H_
