// Flags shared by every Luoshi binary, defined once (flags.cc) with full help text. Each flag can also
// be set from the environment as LUOSHI_<NAME IN CAPITALS> (LUOSHI_LISTEN, LUOSHI_STORE, …), which is how
// containers configure services; a flag given on the command line wins over the environment.
#ifndef LUOSHI_SERVICES_COMMON_FLAGS_H_
#define LUOSHI_SERVICES_COMMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/store_url.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, store);
ABSL_DECLARE_FLAG(std::string, db);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_client_ca);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, auth_keys);
ABSL_DECLARE_FLAG(std::string, auth_revoked);
ABSL_DECLARE_FLAG(std::string, service_token);
ABSL_DECLARE_FLAG(int, max_threads);
ABSL_DECLARE_FLAG(std::string, catalog);
ABSL_DECLARE_FLAG(std::string, log_format);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(bool, probe);

namespace luoshi {

// Loopback addresses of the local quick start; the CLI and the peers default to these.
inline constexpr char kDefaultGatewayAddress[] = "127.0.0.1:7100";
inline constexpr char kDefaultIngestionAddress[] = "127.0.0.1:7101";
inline constexpr char kDefaultIndicatorsAddress[] = "127.0.0.1:7102";
inline constexpr char kDefaultTasksAddress[] = "127.0.0.1:7103";

// Applies LUOSHI_* environment variables to the registered flags, then parses the command line.
// Returns the positional arguments (argv[0] first). Exits with a message on a bad flag or value.
std::vector<std::string> ParseFlags(int argc, char** argv, const std::string& usage);

// Sets flags from the environment only (exposed for tests). `environ_lookup` returns "" when unset.
absl::Status ApplyEnvironmentToFlags(std::string (*environ_lookup)(const std::string& name));

// Typed accessors with service defaults for flags whose default depends on the binary.
std::string ListenAddress(const std::string& service_default);
std::string CatalogPath();

// Where the service keeps its data: --store, or --db=PATH (shorthand for --store=sqlite:PATH), or
// sqlite:`default_sqlite_path` when neither is set. INVALID_ARGUMENT with a message naming the flags
// when both are set (a container's LUOSHI_DB and LUOSHI_STORE count as set) or --store is not a store
// location (store_url.h); the message never shows a password.
absl::StatusOr<StoreLocation> StoreLocationFromFlags(const std::string& default_sqlite_path);
// The same for a binary's start: prints the message and exits 2 on a bad value.
StoreLocation StoreFlag(const std::string& default_sqlite_path);

// How long in-flight work may take once SIGTERM or SIGINT arrives (--shutdown_grace); exits with a
// message when negative.
absl::Duration ShutdownGrace();

// Sets the process-wide log level, format and service name from --log_level and --log_format; exits
// with a message on a bad value.
void InitLogging(const std::string& service);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_FLAGS_H_
