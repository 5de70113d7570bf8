#include "services/common/health_service.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/write_pump.h"

namespace luoshi {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One open Watch stream (the writing itself: write_pump.h). It is told of changes by Send, each with the
// version the change got under the service's lock, so that two changes handed over by different threads
// cannot arrive out of order, and writes only the newest status not yet sent. An end recorded with End
// lets what was sent before it go out first.
//
// Lifetime (write_pump.h): the service takes its reference under its own lock while it hands a change
// over; OnDone first removes the watcher from the service, under that lock, so no reference is taken
// after it.
class HealthService::Watcher final : public PumpedWriteReactor<HealthCheckResponse> {
 public:
  // Runs under the service's lock (nothing else can reach the watcher yet): the first status to send,
  // and the end when the service has already shut down.
  Watcher(HealthService* owner, std::string service, ServingStatus status, uint64_t version,
          std::optional<grpc::Status> end)
      : PumpedWriteReactor(/*headers_first=*/false), owner_(owner), service_(std::move(service)) {
    absl::MutexLock lock(&mu_);
    pending_ = status;
    pending_version_ = version;
    if (end) EndLocked(*std::move(end));
  }

  const std::string& service() const { return service_; }

  void Send(ServingStatus status, uint64_t version) {
    {
      absl::MutexLock lock(&mu_);
      if (version > pending_version_) {
        pending_ = status;
        pending_version_ = version;
      }
    }
    Pump();
  }

  void OnDone() override {
    owner_->Forget(this);
    Unref();
  }

 private:
  ~Watcher() override = default;

  bool NextLocked(HealthCheckResponse* out) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!pending_) return false;
    const ServingStatus next = *pending_;
    pending_.reset();
    if (sent_ == next) return false;  // changed and changed back meanwhile: nothing new to say
    sent_ = next;
    out->set_status(next);
    return true;
  }

  HealthService* const owner_;
  const std::string service_;
  std::optional<ServingStatus> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<ServingStatus> sent_ ABSL_GUARDED_BY(mu_);
};

namespace {

// A Watch refused before it started (too many open): ends at once with the reason.
class RefusedHealthWatch final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  explicit RefusedHealthWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

HealthService::HealthService(int max_watchers) : max_watchers_(std::max(1, max_watchers)) {}

// The server this service was registered on has finished every call by now (its contract), so no
// watcher is left to refer to it.
HealthService::~HealthService() = default;

HealthService::ServingStatus HealthService::StatusLocked(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

std::vector<std::pair<HealthService::Watcher*, HealthService::ServingStatus>>
HealthService::RefWatchersLocked(const std::string* service) {
  std::vector<std::pair<Watcher*, ServingStatus>> out;
  for (Watcher* w : watchers_) {
    if (service != nullptr && w->service() != *service) continue;
    w->Ref();
    out.emplace_back(w, StatusLocked(w->service()));
  }
  return out;
}

void HealthService::SetStatus(const std::string& service, bool serving) {
  std::vector<std::pair<Watcher*, ServingStatus>> watchers;
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    auto [it, inserted] = serving_.try_emplace(service, serving);
    if (!inserted && it->second == serving) return;
    it->second = serving;
    version = ++version_;
    watchers = RefWatchersLocked(&service);
  }
  for (auto& [w, status] : watchers) {
    w->Send(status, version);
    w->Unref();
  }
}

void HealthService::Shutdown(const std::string& message) {
  std::vector<std::pair<Watcher*, ServingStatus>> watchers;
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    shutdown_message_ = message;
    for (auto& [name, serving] : serving_) serving = false;
    version = ++version_;
    watchers = RefWatchersLocked(nullptr);
  }
  // Every watcher is told NOT_SERVING first: End lets that write go out before the stream finishes.
  for (auto& [w, status] : watchers) {
    w->Send(status, version);
    w->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, message));
    w->Unref();
  }
}

int HealthService::watchers() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watchers_.size());
}

void HealthService::Forget(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    auto it = serving_.find(request->service());
    if (it != serving_.end()) {
      response->set_status(it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
    } else {
      std::vector<std::string> known;
      for (const auto& [name, serving] : serving_) known.push_back(absl::StrCat("\"", name, "\""));
      std::sort(known.begin(), known.end());
      status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("no health status for service \"", request->service(),
                                         "\"; this server reports on ", absl::StrJoin(known, ", ")));
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(grpc::CallbackServerContext* /*context*/,
                                                                    const HealthCheckRequest* request) {
  Watcher* watcher = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(watchers_.size()) < max_watchers_) {
      std::optional<grpc::Status> end;
      if (shut_down_) end = grpc::Status(grpc::StatusCode::UNAVAILABLE, shutdown_message_);
      watcher = new Watcher(this, request->service(), StatusLocked(request->service()), version_, std::move(end));
      watchers_.insert(watcher);
      watcher->Ref();  // ours, until the first write is started below
    }
  }
  if (watcher == nullptr) {
    return new RefusedHealthWatch(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("this server already has ", max_watchers_,
                     " health Watch streams open, its limit; close one, or poll with Check instead")));
  }
  watcher->Pump();
  watcher->Unref();
  return watcher;
}

}  // namespace luoshi
