// Test helper: one grpc.health.v1.Health/Watch stream of a running server, read on a thread of its own,
// recording every status it sends, in order, and how and when the stream ended. For tests that watch a
// service the way a load balancer does (tests/integration/shutdown_test.cc, health_test.cc).
#ifndef LUOSHI_TESTS_COMMON_HEALTH_WATCH_H_
#define LUOSHI_TESTS_COMMON_HEALTH_WATCH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace luoshi::testing {

class HealthWatch {
 public:
  // Opens the stream for `service` at `address` (plaintext or per the --tls_* flags, as MakeChannel).
  HealthWatch(const std::string& address, const std::string& service);
  // Cancels the stream if still open and joins the reader.
  ~HealthWatch();
  HealthWatch(const HealthWatch&) = delete;
  HealthWatch& operator=(const HealthWatch&) = delete;

  // True once `status` ("SERVING", "NOT_SERVING", …) has been sent, waiting up to 10 s.
  bool WaitFor(const std::string& status);
  // The stream's final status once it has ended, waiting up to `timeout`; nullopt while it is open.
  std::optional<grpc::Status> WaitForEnd(absl::Duration timeout);
  // Every status sent so far, in order.
  std::vector<std::string> seen() const;
  // When the reader saw the end (absl::InfinitePast() while open).
  absl::Time ended_at() const;

 private:
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>> reader_;
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  absl::Time ended_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace luoshi::testing

#endif  // LUOSHI_TESTS_COMMON_HEALTH_WATCH_H_
