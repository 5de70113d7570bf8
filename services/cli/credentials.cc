#include "services/cli/credentials.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace luoshi::cli {

std::string DefaultCredentialsPath() {
  if (const char* p = std::getenv("LUOSHI_CREDENTIALS"); p && *p) return p;
#ifdef _WIN32
  if (const char* appdata = std::getenv("APPDATA"); appdata && *appdata) {
    return std::string(appdata) + "\\luoshi\\credentials";
  }
#endif
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::string(xdg) + "/luoshi/credentials";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/luoshi/credentials";
}

absl::StatusOr<CredentialFile> ReadCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no credential file at ", path));
  CredentialFile file;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string trimmed(absl::StripAsciiWhitespace(line));
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t eq = trimmed.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": expected key=value"));
    }
    const std::string key(absl::StripAsciiWhitespace(trimmed.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(trimmed.substr(eq + 1)));
    if (key == "token") file.token = std::move(value);
    if (key == "tls_ca") file.tls_ca = std::move(value);
    if (key == "tls_cert") file.tls_cert = std::move(value);
    if (key == "tls_key") file.tls_key = std::move(value);
    // Other keys (user=, role=, unit= of files from before tokens) are ignored: they prove nothing.
  }
  return file;
}

absl::Status WriteCredentials(const std::string& path, const std::string& token) {
  CredentialFile keep;
  if (absl::StatusOr<CredentialFile> old = ReadCredentials(path); old.ok()) keep = *std::move(old);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
    out << "# written by luoshi login; the token is as good as a password: keep this file private\n"
        << "token=" << token << "\n";
    if (!keep.tls_ca.empty()) out << "tls_ca=" << keep.tls_ca << "\n";
    if (!keep.tls_cert.empty()) out << "tls_cert=" << keep.tls_cert << "\n";
    if (!keep.tls_key.empty()) out << "tls_key=" << keep.tls_key << "\n";
    if (!out.flush()) return absl::DataLossError(absl::StrCat("cannot write ", path));
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  return absl::OkStatus();
}

}  // namespace luoshi::cli
