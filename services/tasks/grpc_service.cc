#include "services/tasks/grpc_service.h"

#include "services/common/identity.h"
#include "services/common/raw_call.h"
#include "services/common/status.h"

namespace luoshi::tasks {
namespace {

// Calls `fn(identity)` when the caller identified itself and stores the answer in `out`.
template <typename Response, typename Fn>
grpc::Status Call(grpc::ServerContextBase* context, Response* out, Fn fn) {
  absl::StatusOr<Identity> who = IdentityFromContext(*context);
  if (!who.ok()) return ToGrpc(who.status());
  auto result = fn(*who);
  if (!result.ok()) return ToGrpc(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

// A raw callback-API method answered at once on the calling (gRPC) thread: takes the identity,
// parses the request, and sends the bytes `fn(identity, request)` returns.
template <typename Request, typename Fn>
grpc::ServerUnaryReactor* CallRaw(grpc::CallbackServerContext* context, const grpc::ByteBuffer* req,
                                  grpc::ByteBuffer* resp, Fn fn) {
  absl::StatusOr<Identity> who = IdentityFromContext(*context);
  if (!who.ok()) return FinishNow(context, ToGrpc(who.status()));
  return AnswerRaw<Request>(context, req, resp, [&](const Request& request) { return fn(*who, request); });
}

constexpr absl::Duration kWatchPollSlice = absl::Milliseconds(100);

}  // namespace

grpc::Status TaskGrpcService::ImportPlan(grpc::ServerContext* c, const v1::ImportPlanRequest* req,
                                         v1::ImportPlanResponse* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ImportPlan(who, *req); });
}

grpc::Status TaskGrpcService::ListPlans(grpc::ServerContext* c, const v1::ListPlansRequest* req,
                                        v1::ListPlansResponse* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ListPlans(who, *req); });
}

grpc::ServerUnaryReactor* TaskGrpcService::ListTasks(grpc::CallbackServerContext* c,
                                                     const grpc::ByteBuffer* req,
                                                     grpc::ByteBuffer* resp) {
  return CallRaw<v1::ListTasksRequest>(c, req, resp, [&](const Identity& who, const auto& request) {
    return tracker_->ListTasksBytes(who, request);
  });
}

grpc::Status TaskGrpcService::GetTask(grpc::ServerContext* c, const v1::GetTaskRequest* req,
                                      v1::TaskDetail* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->GetTask(who, *req); });
}

grpc::Status TaskGrpcService::ListUnits(grpc::ServerContext* c, const v1::ListUnitsRequest* req,
                                        v1::ListUnitsResponse* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ListUnits(who, *req); });
}

grpc::Status TaskGrpcService::ReportProgress(grpc::ServerContext* c,
                                             const v1::ReportProgressRequest* req, v1::Task* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ReportProgress(who, *req); });
}

grpc::Status TaskGrpcService::ReviewTask(grpc::ServerContext* c, const v1::ReviewTaskRequest* req,
                                         v1::Task* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ReviewTask(who, *req); });
}

grpc::ServerUnaryReactor* TaskGrpcService::GetLedger(grpc::CallbackServerContext* c,
                                                     const grpc::ByteBuffer* req,
                                                     grpc::ByteBuffer* resp) {
  return CallRaw<v1::GetLedgerRequest>(c, req, resp, [&](const Identity& who, const auto& request) {
    return tracker_->GetLedgerBytes(who, request);
  });
}

grpc::Status TaskGrpcService::ListDueTasks(grpc::ServerContext* c,
                                           const v1::ListDueTasksRequest* req,
                                           v1::ListDueTasksResponse* resp) {
  return Call(c, resp, [&](const Identity& who) { return tracker_->ListDueTasks(who, *req); });
}

grpc::Status TaskGrpcService::WatchTasks(grpc::ServerContext* c, const v1::WatchTasksRequest* req,
                                         grpc::ServerWriter<v1::TaskEvent>* writer) {
  absl::StatusOr<Identity> who = IdentityFromContext(*c);
  if (!who.ok()) return ToGrpc(who.status());
  absl::StatusOr<std::unique_ptr<Subscription>> sub = tracker_->WatchTasks(*who, *req);
  if (!sub.ok()) return ToGrpc(sub.status());
  // Headers go out at once so a client knows the subscription is live before any change happens.
  writer->SendInitialMetadata();
  while (!c->IsCancelled()) {
    absl::StatusOr<std::optional<v1::TaskEvent>> next = (*sub)->Next(kWatchPollSlice);
    if (!next.ok()) return ToGrpc(next.status());
    if (*next && !writer->Write(**next)) break;  // the client went away
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "the watcher cancelled");
}

grpc::Status TaskGrpcService::ExportTasks(grpc::ServerContext* c,
                                          const v1::ExportTasksRequest* req,
                                          grpc::ServerWriter<v1::TaskExportChunk>* writer) {
  absl::StatusOr<Identity> who = IdentityFromContext(*c);
  if (!who.ok()) return ToGrpc(who.status());
  return ToGrpc(tracker_->ExportTasks(*who, *req, [&](const std::string& chunk) {
    v1::TaskExportChunk out;
    out.set_data(chunk);
    return !c->IsCancelled() && writer->Write(out);
  }));
}

}  // namespace luoshi::tasks
