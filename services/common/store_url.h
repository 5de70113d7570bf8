// Where a service keeps its data: the value of --store (flags.h), parsed once at start and handed to the
// store factories (OpenDocumentStore, OpenObservationStore, OpenTaskStore) and to AdminService.
//
// Accepted forms:
//   sqlite:PATH           a SQLite file; PATH is relative to the working directory or absolute, taken
//                         literally (no percent-decoding): sqlite:data/local/tasks.db, sqlite:/var/lib/x.db
//   sqlite:///ABS/PATH    the same file in URL form, for an absolute path only (exactly three slashes:
//                         sqlite:///var/lib/x.db is /var/lib/x.db)
//   postgres://…          a PostgreSQL database, as any libpq connection URI
//   postgresql://…        (user, password, hosts, port, database, ?sslmode=… and the other parameters),
//                         kept verbatim for libpq; reserved characters in a password must be
//                         percent-encoded, as libpq requires.
// --db=PATH is shorthand for --store=sqlite:PATH.
//
// A PostgreSQL URI may carry a password: only ForLog() (password replaced by ***) may be logged or
// printed, never postgres_uri().
#ifndef LUOSHI_SERVICES_COMMON_STORE_URL_H_
#define LUOSHI_SERVICES_COMMON_STORE_URL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace luoshi {

class StoreLocation {
 public:
  enum class Kind { kSqlite, kPostgres };

  // Parses one of the forms above. INVALID_ARGUMENT naming the accepted forms for anything else (an
  // empty value, a bare path, another scheme, sqlite:// with a host, control characters); the message
  // shows the value with any password hidden.
  static absl::StatusOr<StoreLocation> Parse(absl::string_view value);
  // A SQLite file at `path` (not checked: any path the file system takes).
  static StoreLocation Sqlite(std::string path);

  Kind kind() const { return kind_; }
  bool is_sqlite() const { return kind_ == Kind::kSqlite; }
  bool is_postgres() const { return kind_ == Kind::kPostgres; }
  // The SQLite file; empty for a PostgreSQL location.
  const std::string& sqlite_path() const { return is_sqlite() ? target_ : empty_; }
  // The libpq connection URI as given, password included; empty for a SQLite location.
  const std::string& postgres_uri() const { return is_postgres() ? target_ : empty_; }
  // For logs and messages: "sqlite:PATH", or the URI with its password hidden (RedactConnectionUri).
  std::string ForLog() const;

 private:
  StoreLocation(Kind kind, std::string target) : kind_(kind), target_(std::move(target)) {}

  Kind kind_;
  std::string target_;  // the file path or the URI
  std::string empty_;
};

// `uri` with the password replaced by "***" wherever libpq could read one: after the user name in
// "scheme://user:password@host" and in a query parameter named password or sslpassword
// ("?password=…"). Everything else is kept, so the log still shows user, hosts, database and options.
// Text without "://" is returned unchanged.
std::string RedactConnectionUri(absl::string_view uri);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_STORE_URL_H_
