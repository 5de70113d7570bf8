#include "services/tasks/grpc_service.h"

#include <memory>
#include <optional>
#include <string>

#include "services/common/status_macros.h"

namespace luoshi::tasks {
namespace {

constexpr absl::Duration kWatchPollSlice = absl::Milliseconds(100);

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

grpc::Status GrpcService::WatchTasks(grpc::ServerContext* c, const v1::WatchTasksRequest* req,
                                     grpc::ServerWriter<v1::TaskEvent>* writer) {
  return adapter_.Stream(c, "WatchTasks", [&](const Identity& who) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(std::unique_ptr<Subscription> sub, service_->WatchTasks(who, *req));
    // Headers go out at once so a client knows the subscription is live before any change happens.
    writer->SendInitialMetadata();
    while (!c->IsCancelled()) {
      LUOSHI_ASSIGN_OR_RETURN(std::optional<v1::TaskEvent> next, sub->Next(kWatchPollSlice));
      if (next && !writer->Write(*next)) break;  // the client went away
    }
    return absl::CancelledError("the watcher cancelled");
  });
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
