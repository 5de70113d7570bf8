#include "services/tasks/grpc_service.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/status_macros.h"

namespace luoshi::tasks {
namespace {

// One open WatchTasks stream on the callback API: it holds no thread while it waits. The
// subscription's listener wakes it when an event arrives (on the publishing thread, after the
// broadcaster's lock is released); it then writes queued events one at a time, each next write
// started from OnWriteDone, until the queue is empty and it goes idle again.
//
// Lifetime: gRPC holds one reference until OnDone; a wake-up in progress holds another, so the
// reactor (and its subscription) is deleted by whichever lets go last, never under a lock. No gRPC
// operation is started while mu_ is held, since gRPC may run a reaction inline in StartWrite.
class WatchReactor final : public grpc::ServerWriteReactor<v1::TaskEvent> {
 public:
  WatchReactor(const CallAdapter* adapter, std::unique_ptr<Subscription> sub)
      : adapter_(adapter), sub_(std::move(sub)), wake_(std::make_shared<Wake>(this)) {
    sub_->SetListener(wake_);
    // Headers go out at once so a client knows the subscription is live before any change happens.
    StartSendInitialMetadata();
  }

  void OnSendInitialMetadataDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      headers_sent_ = true;
      if (!ok) EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
    }
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
    }
    Pump();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher cancelled"));
    }
    Pump();
  }

  void OnDone() override {
    wake_->Detach();
    Unref();
  }

 private:
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
        r->refs_.fetch_add(1, std::memory_order_relaxed);
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

  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Records how the stream is to end (the first reason wins); Pump sends it once no write is pending.
  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!end_) end_ = std::move(status);
  }

  // Starts the next write, or the Finish, when the stream is free for it. Safe from any thread.
  void Pump() {
    enum { kNothing, kWrite, kFinish } action = kNothing;
    grpc::Status finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_ || !headers_sent_) return;
      if (!end_) {
        absl::StatusOr<std::optional<v1::TaskEvent>> next = sub_->Next(absl::ZeroDuration());
        if (!next.ok()) {
          end_ = adapter_->Finish("WatchTasks", next.status());
        } else if (*next) {
          current_ = **std::move(next);
          writing_ = true;
          action = kWrite;
        }
      }
      if (action == kNothing && end_) {
        finished_ = true;
        finish = *end_;
        action = kFinish;
      }
    }
    if (action == kWrite) StartWrite(&current_);
    if (action == kFinish) Finish(std::move(finish));
  }

  const CallAdapter* adapter_;
  const std::unique_ptr<Subscription> sub_;
  const std::shared_ptr<Wake> wake_;
  std::atomic<int> refs_{1};  // gRPC's, until OnDone
  absl::Mutex mu_;
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  v1::TaskEvent current_;  // the message being written (touched only while no write is pending)
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
