#include "services/cli/credentials.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

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

absl::StatusOr<Identity> ReadCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no credential file at ", path));
  Identity id;
  bool have_role = false;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string trimmed(absl::StripAsciiWhitespace(line));
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t eq = trimmed.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": expected key=value"));
    }
    std::string key(absl::StripAsciiWhitespace(trimmed.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(trimmed.substr(eq + 1)));
    if (key == "user") {
      id.user = value;
    } else if (key == "unit") {
      id.unit = value;
    } else if (key == "role") {
      if (!ParseRole(value, &id.role)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", n, ": role must be admin, supervisor, office or viewer"));
      }
      have_role = true;
    }
    // Unknown keys are ignored so that newer files still work with older CLIs.
  }
  if (!have_role) return absl::InvalidArgumentError(absl::StrCat(path, ": no role= line"));
  return id;
}

std::string FormatCredentials(const Identity& identity) {
  return absl::StrCat("user=", identity.user, "\nrole=", RoleName(identity.role), "\nunit=", identity.unit, "\n");
}

}  // namespace luoshi::cli
