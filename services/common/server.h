// Server bootstrap shared by the three gRPC services.
//
// A service's main():
//   if (ProbeRequested()) return Probe("luoshi.v1.TaskService", kDefaultTasksAddress);   // --probe
//   ServiceHost host("tasks");
//   host.StartWarmingUp(address, {"luoshi.v1.TaskService", …});  // health only, NOT_SERVING
//   … open storage (migrations run here), build the handler objects …
//   host.AddService(&grpc_service, "luoshi.v1.TaskService");
//   if (auto s = host.Start(address); !s.ok()) …  // replaces the warm-up server, same port: SERVING
//   host.WaitForShutdownSignal();                 // SIGTERM / SIGINT
//   host.Shutdown(ShutdownGrace(), end_streams);  // NOT_SERVING, refuse new calls, drain; then the
//                                                 // caller closes storage and returns 0
//
// Every server gets gRPC health checking (grpc.health.v1.Health, per service name and "", served by
// health_service.h: its Watch streams end with UNAVAILABLE as soon as shutdown begins) and server
// reflection, TLS/mTLS from the --tls_* flags, and a bounded thread pool (--max_threads). Why a warm-up
// server: docs/operations.md#probes.
#ifndef LUOSHI_SERVICES_COMMON_SERVER_H_
#define LUOSHI_SERVICES_COMMON_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/health_service.h"
#include "services/common/identity.h"
#include "services/common/limits.h"

namespace luoshi {

struct TlsFiles {
  std::string cert;       // server certificate chain (PEM path)
  std::string key;        // server private key
  std::string client_ca;  // when set, clients must present a certificate (mTLS)
};

// Server credentials from the --tls_* flags (plaintext when no certificate is configured).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags();
// Credentials for calling a peer: TLS verified against --tls_ca when set (with --tls_cert/--tls_key as the
// client certificate, for mutual TLS), plaintext otherwise. An unreadable file is an error, never a
// fallback to the system roots or to plaintext.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFromFlags();
// Channel to a peer with those credentials. Channels to the same address share one connection unless
// `own_connection` (the gateway spreads its calls over several).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, bool own_connection = false);

// The Authenticator that verifies callers' tokens, from --auth_keys and --auth_revoked. Fails (and the
// service refuses to start) without a usable key: a service never serves unauthenticated calls.
absl::StatusOr<std::unique_ptr<Authenticator>> AuthenticatorFromFlags();
// This service's own token from the file --service_token names, for its calls to peers; "" when the flag
// is empty. An unreadable or empty file is an error.
absl::StatusOr<std::string> ServiceTokenFromFlags();

// True for 127.0.0.0/8, ::1 and localhost listen addresses ("127.0.0.1:7103", "[::1]:0"): the only ones
// a service serves without TLS.
bool IsLoopbackAddress(const std::string& address);

// The address a probe dials for a --listen address: a wildcard host (0.0.0.0, [::], none) becomes the
// loopback address of its family; anything else is returned unchanged.
std::string ProbeAddress(const std::string& listen);

// True when --probe was given: main() calls Probe instead of serving.
bool ProbeRequested();
// --probe of a gRPC service: asks grpc.health.v1.Health/Check for `service` at ProbeAddress(--listen or
// `default_address`), TLS per the --tls_* flags, within a few seconds. Prints one line (stdout when
// SERVING, stderr otherwise) and returns the process's exit code: 0 when SERVING, 1 otherwise. Opens no
// database and reads no keys.
int Probe(const std::string& service, const std::string& default_address);

// Process-wide settings for a long-running server, called once from a service's main (and the
// benchmarks), not from tests:
// - glibc malloc keeps freed memory instead of giving it back to the kernel and faulting it in again:
//   request handlers and SQLite allocate and free tens of kilobytes per call on many threads, and with
//   glibc's defaults the heap top was trimmed and regrown constantly (`sysmalloc` and page faults were
//   10-15 % of a write-heavy run's CPU; docs/benchmarks.md). No effect with another C library.
// - absl::Mutex deadlock detection is off (Debian's Abseil enables it; it builds a lock graph on every
//   acquisition). Tests keep it on.
void TuneProcessForServing();

// What a server accepts (limits.h): the largest request message, and the thread quota when --max_threads
// is 0 (its default, "the service's own").
struct ServerLimits {
  int max_request_bytes = kMaxRequestBytes;
  int default_max_threads = 64;
};

// Each service's limits, for its main() and for tests that host it.
inline ServerLimits TaskServerLimits() { return {kMaxTaskRequestBytes, 64}; }
inline ServerLimits IndicatorServerLimits() { return {kMaxObservationRequestBytes, 64}; }
inline ServerLimits IngestionServerLimits(int64_t max_document_bytes = kDefaultMaxDocumentBytes) {
  return {static_cast<int>(max_document_bytes + kDocumentEnvelopeBytes), 16};
}

class ServiceHost {
 public:
  explicit ServiceHost(std::string name, ServerLimits limits = {}) : name_(std::move(name)), limits_(limits) {}
  ~ServiceHost();

  // `service` must outlive the host. `full_name` is the proto service name used for health status.
  void AddService(grpc::Service* service, const std::string& full_name);

  // Binds `address` with a server that answers only grpc.health.v1.Health: NOT_SERVING for "" and for
  // each of `service_names`, so that probes can tell "starting (migrations running)" from "down" while
  // the caller opens its storage. Logs "starting" with the port (not "listening": nothing else is
  // served yet). Errors as Start's.
  absl::Status StartWarmingUp(const std::string& address, const std::vector<std::string>& service_names);

  // Binds and starts; after StartWarmingUp, stops the warm-up server first and binds the port it had
  // (so port 0 keeps the port already logged). Returns INVALID_ARGUMENT / UNAVAILABLE with a readable
  // message when the address cannot be bound. After Start, port() is the bound port.
  absl::Status Start(const std::string& address);
  int port() const { return port_; }

  // From now on SIGTERM and SIGINT request a shutdown instead of killing the process. Start and
  // StartWarmingUp call it before they bind, so that a signal arriving as soon as the port is logged is
  // not lost; a signal during start-up is acted on once serving starts.
  static void CatchShutdownSignals();
  // Blocks until SIGTERM or SIGINT (or RequestShutdown from another thread).
  static void WaitForShutdownSignal();
  static void RequestShutdown();

  // Marks health NOT_SERVING ("" and every service), sends that to every health Watch stream and ends
  // them with UNAVAILABLE ("… shutting down") at once, runs `end_streams` (which should end calls that
  // would otherwise run until cancelled, such as WatchTasks streams), stops accepting calls, and waits
  // up to `grace` for the calls in flight; those still running then are cancelled. Client connections
  // with no call in flight are closed from this side once the last call has ended, so a client that
  // is slow to read the GOAWAY (or never does) does not hold the stop for the whole grace. From the
  // start of Shutdown, health Check answers NOT_SERVING.
  void Shutdown(absl::Duration grace = absl::Seconds(10), const std::function<void()>& end_streams = nullptr);

 private:
  // Builds and starts a server on `address` with `services`; sets port_. Errors as Start's.
  absl::Status Serve(const std::string& address,
                     const std::vector<std::pair<grpc::Service*, std::string>>& services, HealthService* health,
                     std::unique_ptr<grpc::Server>* server);
  // Ends the warm-up server's health Watch streams (UNAVAILABLE, `why`) and stops it, if it runs.
  void StopWarmUp(const std::string& why);

  std::string name_;
  ServerLimits limits_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  // Each health service is declared before its server so that it outlives it.
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HealthService> warm_up_health_;
  std::unique_ptr<grpc::Server> warm_up_;  // health only, between StartWarmingUp and Start
  int port_ = 0;
  // Calls of server_ that have arrived and not yet ended (see Shutdown).
  std::shared_ptr<std::atomic<int>> calls_in_flight_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_SERVER_H_
