#include "services/common/store_url.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace luoshi {
namespace {

constexpr absl::string_view kSqliteScheme = "sqlite:";
constexpr absl::string_view kAcceptedForms =
    "use sqlite:PATH (a SQLite file; --db=PATH is the same), sqlite:///ABSOLUTE/PATH, or a PostgreSQL "
    "connection URI postgres://USER@HOST/DATABASE (postgresql://… also works)";
constexpr char kHidden[] = "***";

absl::Status BadLocation(absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", RedactConnectionUri(value), "\" ", why, ": ", kAcceptedForms));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq percent-decodes parameter names, so "pass%77ord" is a password too.
std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsPasswordParameter(absl::string_view name) {
  return absl::EndsWith(absl::AsciiStrToLower(PercentDecode(name)), "password");
}

// Where the credentials "user[:password]" end in `rest` (the URI after "://"), or npos when there are
// none. libpq takes them up to the first '@' met before any '/'; the last '@' before the query is also
// taken, so a password with an unencoded '/' or '@' (which libpq would misread) is still hidden.
size_t CredentialsEnd(absl::string_view rest) {
  size_t end = absl::string_view::npos;
  if (size_t libpq = rest.find_first_of("@/"); libpq != absl::string_view::npos && rest[libpq] == '@') {
    end = libpq;
  }
  if (size_t last = rest.substr(0, rest.find('?')).rfind('@'); last != absl::string_view::npos) {
    end = end == absl::string_view::npos ? last : std::max(end, last);
  }
  return end;
}

}  // namespace

std::string RedactConnectionUri(absl::string_view uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == absl::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, scheme_end + 3));
  absl::string_view rest = uri.substr(scheme_end + 3);
  if (size_t at = CredentialsEnd(rest); at != absl::string_view::npos) {
    absl::string_view credentials = rest.substr(0, at);
    if (size_t colon = credentials.find(':'); colon != absl::string_view::npos) {
      absl::StrAppend(&out, credentials.substr(0, colon + 1), kHidden, "@");
    } else {
      absl::StrAppend(&out, credentials, "@");
    }
    rest = rest.substr(at + 1);
  }
  const size_t query = rest.find('?');
  absl::StrAppend(&out, rest.substr(0, query));
  if (query == absl::string_view::npos) return out;
  std::vector<std::string> parameters;
  for (absl::string_view parameter : absl::StrSplit(rest.substr(query + 1), '&')) {
    const size_t eq = parameter.find('=');
    if (eq != absl::string_view::npos && IsPasswordParameter(parameter.substr(0, eq))) {
      parameters.push_back(absl::StrCat(parameter.substr(0, eq + 1), kHidden));
    } else {
      parameters.emplace_back(parameter);
    }
  }
  absl::StrAppend(&out, "?", absl::StrJoin(parameters, "&"));
  return out;
}

absl::StatusOr<StoreLocation> StoreLocation::Parse(absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no store location given: ", kAcceptedForms));
  }
  const auto control = [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; };
  if (std::any_of(value.begin(), value.end(), control)) {
    // Not echoed: a line break in a log line would forge another one.
    return absl::InvalidArgumentError(
        absl::StrCat("the store location contains a control character: ", kAcceptedForms));
  }
  if (absl::StartsWith(value, "postgres://") || absl::StartsWith(value, "postgresql://")) {
    return StoreLocation(Kind::kPostgres, std::string(value));
  }
  const absl::string_view given = value;
  if (absl::ConsumePrefix(&value, kSqliteScheme)) {
    // URL form: "//", an empty host, then the absolute path.
    if (absl::ConsumePrefix(&value, "//") && !value.empty() && !absl::StartsWith(value, "/")) {
      return BadLocation(given, "names a host, which a SQLite file cannot have");
    }
    if (value.empty()) return BadLocation(given, "names no file");
    return Sqlite(std::string(value));
  }
  if (absl::StartsWith(value, "postgres:") || absl::StartsWith(value, "postgresql:")) {
    return BadLocation(value, "is not a connection URI (it must start with postgres:// or postgresql://)");
  }
  return BadLocation(value, "is not a store location");
}

StoreLocation StoreLocation::Sqlite(std::string path) {
  return StoreLocation(Kind::kSqlite, std::move(path));
}

std::string StoreLocation::ForLog() const {
  return is_sqlite() ? absl::StrCat(kSqliteScheme, target_) : RedactConnectionUri(target_);
}

}  // namespace luoshi
