#include "services/tasks/grpc_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/status_macros.h"
#include "services/common/write_pump.h"

namespace luoshi::tasks {
namespace {

// One open WatchTasks stream (the writing itself: services/common/write_pump.h): it holds no thread
// while it waits. The subscription's listener wakes it when an event arrives (on the publishing thread,
// after the broadcaster's lock is released); it then writes queued events one at a time until the queue
// is empty and it goes idle again. Headers go out at once so a client knows the subscription is live
// before any change happens.
//
// Lifetime (write_pump.h): a wake-up in progress holds a reference, taken under the listener's lock,
// which OnDone's Detach takes too, so no wake-up reaches a reactor gRPC is done with.
class WatchReactor final : public PumpedWriteReactor<v1::TaskEvent> {
 public:
  WatchReactor(const CallAdapter* adapter, std::unique_ptr<Subscription> sub)
      : PumpedWriteReactor(/*headers_first=*/true),
        adapter_(adapter),
        sub_(std::move(sub)),
        wake_(std::make_shared<Wake>(this)) {
    sub_->SetListener(wake_);
  }

  void OnDone() override {
    wake_->Detach();
    Unref();
  }

 private:
  ~WatchReactor() override = default;

  // The subscription's listener: a shared object that outlives the reactor if it must.
  class Wake final : public SubscriptionListener {
   public:
    explicit Wake(WatchReactor* reactor) : reactor_(reactor) {}
    void OnReady() override {
      WatchReactor* r;
      {
        absl::MutexLock lock(&mu_);
        r = reactor_;
        if (r == nullptr) return;
        r->Ref();
      }
      r->Pump();
      r->Unref();
    }
    void Detach() {
      absl::MutexLock lock(&mu_);
      reactor_ = nullptr;
    }

   private:
    absl::Mutex mu_;
    WatchReactor* reactor_ ABSL_GUARDED_BY(mu_);
  };

  bool NextLocked(v1::TaskEvent* out) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (EndedLocked()) return false;
    absl::StatusOr<std::optional<v1::TaskEvent>> next = sub_->Next(absl::ZeroDuration());
    if (!next.ok()) {
      EndLocked(adapter_->Finish("WatchTasks", next.status()));
      return false;
    }
    if (!*next) return false;
    *out = **std::move(next);
    return true;
  }

  const CallAdapter* adapter_;
  const std::unique_ptr<Subscription> sub_;
  const std::shared_ptr<Wake> wake_;
};

// A WatchTasks call refused before it started (no valid token, a filter the caller may not use, too
// many streams open): ends at once with the reason.
class RefusedWatch final : public grpc::ServerWriteReactor<v1::TaskEvent> {
 public:
  explicit RefusedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::Status GrpcService::ImportPlan(grpc::ServerContext* c, const v1::ImportPlanRequest* req,
                                     v1::ImportPlanResponse* resp) {
  return adapter_.Unary(c, "ImportPlan", resp,
                        [&](const Identity& who) { return service_->ImportPlan(who, *req); });
}

grpc::Status GrpcService::ListPlans(grpc::ServerContext* c, const v1::ListPlansRequest* req,
                                    v1::ListPlansResponse* resp) {
  return adapter_.Unary(c, "ListPlans", resp,
                        [&](const Identity& who) { return service_->ListPlans(who, *req); });
}

grpc::ServerUnaryReactor* GrpcService::ListTasks(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                                 grpc::ByteBuffer* resp) {
  return adapter_.UnaryRaw<v1::ListTasksRequest>(
      c, "ListTasks", req, resp,
      [&](const Identity& who, const auto& request) { return service_->ListTasksBytes(who, request); });
}

grpc::Status GrpcService::GetTask(grpc::ServerContext* c, const v1::GetTaskRequest* req,
                                  v1::TaskDetail* resp) {
  return adapter_.Unary(c, "GetTask", resp,
                        [&](const Identity& who) { return service_->GetTask(who, *req); });
}

grpc::Status GrpcService::ListUnits(grpc::ServerContext* c, const v1::ListUnitsRequest* req,
                                    v1::ListUnitsResponse* resp) {
  return adapter_.Unary(c, "ListUnits", resp,
                        [&](const Identity& who) { return service_->ListUnits(who, *req); });
}

grpc::Status GrpcService::ReportProgress(grpc::ServerContext* c, const v1::ReportProgressRequest* req,
                                         v1::Task* resp) {
  return adapter_.Unary(c, "ReportProgress", resp,
                        [&](const Identity& who) { return service_->ReportProgress(who, *req); });
}

grpc::Status GrpcService::ReviewTask(grpc::ServerContext* c, const v1::ReviewTaskRequest* req,
                                     v1::Task* resp) {
  return adapter_.Unary(c, "ReviewTask", resp,
                        [&](const Identity& who) { return service_->ReviewTask(who, *req); });
}

grpc::ServerUnaryReactor* GrpcService::GetLedger(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                                 grpc::ByteBuffer* resp) {
  return adapter_.UnaryRaw<v1::GetLedgerRequest>(
      c, "GetLedger", req, resp,
      [&](const Identity& who, const auto& request) { return service_->GetLedgerBytes(who, request); });
}

grpc::Status GrpcService::ListDueTasks(grpc::ServerContext* c, const v1::ListDueTasksRequest* req,
                                       v1::ListDueTasksResponse* resp) {
  return adapter_.Unary(c, "ListDueTasks", resp,
                        [&](const Identity& who) { return service_->ListDueTasks(who, *req); });
}

grpc::ServerWriteReactor<v1::TaskEvent>* GrpcService::WatchTasks(grpc::CallbackServerContext* c,
                                                                 const v1::WatchTasksRequest* req) {
  absl::StatusOr<Identity> who = adapter_.Caller(*c);
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      who.ok() ? service_->WatchTasks(*who, *req) : absl::StatusOr<std::unique_ptr<Subscription>>(who.status());
  if (!sub.ok()) {
    return new RefusedWatch(adapter_.Finish("WatchTasks", sub.status()));
  }
  return new WatchReactor(&adapter_, *std::move(sub));
}

grpc::Status GrpcService::ExportTasks(grpc::ServerContext* c, const v1::ExportTasksRequest* req,
                                      grpc::ServerWriter<v1::TaskExportChunk>* writer) {
  return adapter_.Stream(c, "ExportTasks", [&](const Identity& who) {
    return service_->ExportTasks(who, *req, [&](const std::string& chunk) {
      v1::TaskExportChunk out;
      out.set_data(chunk);
      return !c->IsCancelled() && writer->Write(out);
    });
  });
}

}  // namespace luoshi::tasks
