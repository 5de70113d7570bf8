#include "services/common/flags.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "services/common/catalog.h"
#include "services/common/log.h"
#include "services/common/store_url.h"

ABSL_FLAG(std::string, listen, "",
          "Address to serve on, host:port. Port 0 picks a free port (printed in the 'listening' log "
          "line). Default: the service's quick-start loopback address.");
ABSL_FLAG(std::string, store, "",
          "Where the service keeps its data. sqlite:PATH: a SQLite file (path relative to the working "
          "directory or absolute; sqlite:///ABSOLUTE/PATH also works), created with its schema and its "
          "directory if missing. postgres://USER@HOST/DATABASE?sslmode=… (or postgresql://…): a "
          "PostgreSQL database by any libpq connection URI (several replicas may share it). The password "
          "of a URI never appears in logs. Default: sqlite:data/local/<service>.db under the working "
          "directory. --db=PATH is shorthand for --store=sqlite:PATH; give one or the other.");
ABSL_FLAG(std::string, db, "",
          "Shorthand for --store=sqlite:PATH: the service's SQLite database file, created with its schema "
          "if missing. Not together with --store.");
ABSL_FLAG(std::string, log_level, "info", "Least severe log level written: debug, info, warning, error.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain for serving TLS. Empty: plaintext (loopback only).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key matching --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: when set, clients must present a certificate signed by it (mutual TLS).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle used to verify the servers this process calls. Empty: plaintext calls.");
ABSL_FLAG(std::string, auth_keys, "",
          "Directory of the public keys that sign callers' tokens (every *.pem in it; luoshi key generate "
          "DIR makes a pair). Required: a service verifies the token of every call.");
ABSL_FLAG(std::string, auth_revoked, "",
          "File of revoked token ids (jti), one per line; read again whenever it changes. Empty: none.");
ABSL_FLAG(std::string, service_token, "",
          "File holding this service's own token (role service), sent on its calls to other Luoshi "
          "services. Empty: calls to peers carry no token (and are refused by them).");
ABSL_FLAG(int, max_threads, 0,
          "Upper bound on threads serving requests in this process (at least 4). 0: the service's own "
          "default, 64, or 16 for the ingestion service, whose requests are up to a whole document each.");
ABSL_FLAG(std::string, catalog, "",
          "Path of the indicator and region catalog (proto3 JSON). Default: data/catalog.json of the "
          "source tree this binary was built from.");

ABSL_FLAG(std::string, log_format, "",
          "Where and how logs are written. Empty (default): one JSON object per line on stderr. \"json\": "
          "one JSON object per line on stdout (for container log collectors). \"text\": readable lines "
          "on stderr (time, level, service, message, key=value fields).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM or SIGINT: health turns NOT_SERVING at once (health Watch streams are told so and "
          "end with UNAVAILABLE), new calls are refused, and calls in flight get this long to finish before they are cancelled; then storage is closed and the "
          "process exits 0. Keep it below the orchestrator's own kill timeout (Kubernetes: "
          "terminationGracePeriodSeconds, 30 s by default). Examples: 10s, 500ms, 1m.");
ABSL_FLAG(bool, probe, false,
          "Do not serve: ask the instance configured by the same flags (its --listen address, a wildcard "
          "host meaning this machine; TLS per --tls_ca, --tls_cert, --tls_key) whether it is healthy, "
          "print one line and exit 0 when it is SERVING, 1 otherwise. Opens no database and needs no "
          "--auth_keys: a container HEALTHCHECK.");

namespace luoshi {
namespace {

std::string EnvName(const std::string& flag) {
  std::string out = "LUOSHI_";
  for (char c : flag) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

}  // namespace

absl::Status ApplyEnvironmentToFlags(std::string (*environ_lookup)(const std::string& name)) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    std::string value = environ_lookup(EnvName(std::string(name)));
    if (value.empty()) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", EnvName(std::string(name)), "=\"", value, "\": ", error));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ParseFlags(int argc, char** argv, const std::string& usage) {
  absl::SetProgramUsageMessage(usage);
  if (absl::Status s = ApplyEnvironmentToFlags(&GetEnv); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    std::exit(2);
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return std::vector<std::string>(positional.begin(), positional.end());
}

std::string ListenAddress(const std::string& service_default) {
  std::string v = absl::GetFlag(FLAGS_listen);
  return v.empty() ? service_default : v;
}

absl::StatusOr<StoreLocation> StoreLocationFromFlags(const std::string& default_sqlite_path) {
  const std::string store = absl::GetFlag(FLAGS_store);
  const std::string db = absl::GetFlag(FLAGS_db);
  if (!store.empty() && !db.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store (", RedactConnectionUri(store), ") and --db (", db,
        ") are both set (on the command line or as LUOSHI_STORE and LUOSHI_DB): --db=PATH is shorthand "
        "for --store=sqlite:PATH, so give only one of them"));
  }
  if (!db.empty()) return StoreLocation::Sqlite(db);
  if (store.empty()) return StoreLocation::Sqlite(default_sqlite_path);
  absl::StatusOr<StoreLocation> location = StoreLocation::Parse(store);
  if (!location.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--store: ", location.status().message()));
  }
  return location;
}

StoreLocation StoreFlag(const std::string& default_sqlite_path) {
  absl::StatusOr<StoreLocation> location = StoreLocationFromFlags(default_sqlite_path);
  if (!location.ok()) {
    std::fprintf(stderr, "%s\n", std::string(location.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(location);
}

std::string CatalogPath() {
  std::string v = absl::GetFlag(FLAGS_catalog);
  return v.empty() ? DefaultCatalogPath() : v;
}

absl::Duration ShutdownGrace() {
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (grace < absl::ZeroDuration()) {
    std::fprintf(stderr, "--shutdown_grace cannot be negative, not %s\n",
                 absl::FormatDuration(grace).c_str());
    std::exit(2);
  }
  return grace;
}

void InitLogging(const std::string& service) {
  SetLogService(service);
  LogFormat format;
  if (!ParseLogFormat(absl::GetFlag(FLAGS_log_format), &format)) {
    std::fprintf(stderr,
                 "--log_format must be empty (JSON lines on stderr), json (JSON lines on stdout) or text, "
                 "not \"%s\"\n",
                 absl::GetFlag(FLAGS_log_format).c_str());
    std::exit(2);
  }
  SetLogFormat(format);
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "--log_level must be debug, info, warning or error, not \"%s\"\n",
                 absl::GetFlag(FLAGS_log_level).c_str());
    std::exit(2);
  }
  SetLogLevel(level);
}

}  // namespace luoshi
