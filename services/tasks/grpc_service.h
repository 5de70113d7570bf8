// GrpcService: luoshi.v1.TaskService over gRPC (sync API, ListTasks and GetLedger on the
// callback API, see TaskServiceBase). Each method is one line through the CallAdapter (adapter.h): the
// caller verified from its token (identity.h), TaskLogic (service.h, which describes the layers), the status.
// WatchTasks is on the callback API too and holds no thread while a stream waits for changes: the
// broadcaster wakes the stream when there is something to write (grpc_service.cc, WatchReactor), and
// a closed broadcaster (TaskLogic::Shutdown) ends every stream at once, so it never holds up shutdown.
#ifndef LUOSHI_SERVICES_TASKS_GRPC_SERVICE_H_
#define LUOSHI_SERVICES_TASKS_GRPC_SERVICE_H_

#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/adapter.h"
#include "services/tasks/service.h"

namespace luoshi::tasks {

// Reads that never wait on anything but a short SQLite read (ListTasks, GetLedger) use the callback
// API: gRPC runs them on its own polling threads as soon as the request is read, with no hand-off to
// a worker thread. Both are raw methods sending bytes the tracker prepared: a page assembled from
// the stored task definitions (TaskLogic::ListTasksBytes), the cached serialized ledger
// (TaskLogic::GetLedgerBytes) without a copy. Calls that can wait (ReportProgress behind a group
// commit and its fsync, ExportTasks …) stay on the sync thread pool. WatchTasks streams use the
// callback API so that open viewers never take threads from writes.
using TaskServiceBase = v1::TaskService::WithRawCallbackMethod_ListTasks<v1::TaskService::WithRawCallbackMethod_GetLedger<
    v1::TaskService::WithCallbackMethod_WatchTasks<v1::TaskService::Service>>>;

class GrpcService final : public TaskServiceBase {
 public:
  // `service` and `authenticator` (which verifies every caller's token) must outlive this object.
  GrpcService(TaskLogic* service, const Authenticator* authenticator)
      : service_(service), adapter_("luoshi.v1.TaskService", authenticator) {}

  grpc::Status ImportPlan(grpc::ServerContext* c, const v1::ImportPlanRequest* req,
                          v1::ImportPlanResponse* resp) override;
  grpc::Status ListPlans(grpc::ServerContext* c, const v1::ListPlansRequest* req,
                         v1::ListPlansResponse* resp) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::Status GetTask(grpc::ServerContext* c, const v1::GetTaskRequest* req, v1::TaskDetail* resp) override;
  grpc::Status ListUnits(grpc::ServerContext* c, const v1::ListUnitsRequest* req,
                         v1::ListUnitsResponse* resp) override;
  grpc::Status ReportProgress(grpc::ServerContext* c, const v1::ReportProgressRequest* req,
                              v1::Task* resp) override;
  grpc::Status ReviewTask(grpc::ServerContext* c, const v1::ReviewTaskRequest* req, v1::Task* resp) override;
  grpc::ServerUnaryReactor* GetLedger(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::Status ListDueTasks(grpc::ServerContext* c, const v1::ListDueTasksRequest* req,
                            v1::ListDueTasksResponse* resp) override;
  grpc::ServerWriteReactor<v1::TaskEvent>* WatchTasks(grpc::CallbackServerContext* c,
                                                      const v1::WatchTasksRequest* req) override;
  grpc::Status ExportTasks(grpc::ServerContext* c, const v1::ExportTasksRequest* req,
                           grpc::ServerWriter<v1::TaskExportChunk>* writer) override;

 private:
  TaskLogic* service_;
  CallAdapter adapter_;
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_GRPC_SERVICE_H_
