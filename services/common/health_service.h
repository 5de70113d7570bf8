// Luoshi's own grpc.health.v1.Health service (the gRPC health checking protocol), served by every
// ServiceHost in place of gRPC's built-in one.
//
// Why our own: the built-in service keeps Watch streams open through a server's whole shutdown grace and
// ends them with CANCELLED only when the grace runs out, so a watching load balancer learns nothing clear
// until then. This one sends NOT_SERVING and then ends every Watch with UNAVAILABLE ("shutting down") at
// the moment shutdown begins.
//
// Protocol (grpc/grpc doc/health-checking.md):
// - Check answers the current status of a known name ("" is the server as a whole), NOT_FOUND otherwise.
// - Watch sends the current status at once (SERVICE_UNKNOWN for an unknown name, and keeps watching: the
//   name may be registered later), then every change, until the client cancels or the server shuts down.
// - At most `max_watchers` Watch streams are open at once; the next is refused with RESOURCE_EXHAUSTED.
//
// Watch streams use the callback API: an open stream holds no thread. A status change is handed to each
// affected stream with a reference taken under the service's lock and released after the hand-off, so a
// change never reaches a stream that gRPC has finished with; no gRPC operation is started under a lock.
//
// Thread safety: every method may be called from any thread. The service must outlive the grpc::Server
// it is registered on (destroy the server, or Shutdown + Wait it, first).
#ifndef LUOSHI_SERVICES_COMMON_HEALTH_SERVICE_H_
#define LUOSHI_SERVICES_COMMON_HEALTH_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace luoshi {

// Open Watch streams a server accepts by default: a few load balancers and probes per instance need a
// handful; the bound keeps a misbehaving client from holding unbounded memory.
inline constexpr int kMaxHealthWatchers = 100;

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  explicit HealthService(int max_watchers = kMaxHealthWatchers);
  ~HealthService() override;
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // Sets the status of `service` ("" for the server as a whole), which becomes a known name, and sends
  // it to the streams watching that name if it changed. Ignored after Shutdown.
  void SetStatus(const std::string& service, bool serving);

  // Sets every known name NOT_SERVING, sends that to every open Watch stream, then ends each of them with
  // UNAVAILABLE and `message` (which should say why, e.g. "… shutting down"). From then on statuses do
  // not change, Check answers NOT_SERVING for known names, and a new Watch gets the status and is ended
  // the same way at once. Idempotent; returns without waiting for the streams to finish.
  void Shutdown(const std::string& message);

  // Watch streams open now.
  int watchers() const;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context, const grpc::health::v1::HealthCheckRequest* request) override;

  class Watcher;  // one open Watch stream (health_service.cc)

 private:
  // What a watcher of `service` is to be told now.
  ServingStatus StatusLocked(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Called by a watcher when gRPC is done with it; after this no status reaches it.
  void Forget(Watcher* watcher);
  // The watchers of `service` (every watcher when `service` is null) with the status each is to be told,
  // each with a reference that the caller must release (Watcher::Unref) after using it.
  std::vector<std::pair<Watcher*, ServingStatus>> RefWatchersLocked(const std::string* service)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_watchers_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;  // counts status changes, to order their hand-over
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::string shutdown_message_ ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_HEALTH_SERVICE_H_
