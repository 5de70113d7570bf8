#include "tests/common/health_watch.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "services/common/server.h"

namespace luoshi::testing {

using grpc::health::v1::HealthCheckResponse;

HealthWatch::HealthWatch(const std::string& address, const std::string& service)
    : stub_(grpc::health::v1::Health::NewStub(MakeChannel(address))) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  // Bounded, so that a test whose server never ends the stream fails instead of hanging.
  ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  reader_ = stub_->Watch(&ctx_, request);
  thread_ = std::thread([this] {
    HealthCheckResponse response;
    while (reader_->Read(&response)) {
      absl::MutexLock lock(&mu_);
      seen_.push_back(HealthCheckResponse::ServingStatus_Name(response.status()));
    }
    grpc::Status end = reader_->Finish();
    absl::MutexLock lock(&mu_);
    end_ = std::move(end);
    ended_at_ = absl::Now();
  });
}

HealthWatch::~HealthWatch() {
  ctx_.TryCancel();
  thread_.join();
}

bool HealthWatch::WaitFor(const std::string& status) {
  absl::MutexLock lock(&mu_);
  auto seen = [this, &status]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return std::find(seen_.begin(), seen_.end(), status) != seen_.end();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(10));
}

std::optional<grpc::Status> HealthWatch::WaitForEnd(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return end_.has_value(); };
  mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  return end_;
}

std::vector<std::string> HealthWatch::seen() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

absl::Time HealthWatch::ended_at() const {
  absl::MutexLock lock(&mu_);
  return ended_at_;
}

}  // namespace luoshi::testing
