// luoshi-tasks: serves luoshi.v1.TaskService over gRPC (see proto/luoshi/v1/tasks.proto).
// Wiring only: flags → storage → service object → ServiceHost. The logic lives in the library.
#include <cstdio>

#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace {
// Until the tasks issue lands every method answers UNIMPLEMENTED.
class Skeleton final : public luoshi::v1::TaskService::Service {};
}  // namespace

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv, "luoshi-tasks: the Luoshi tasks service. Flags: --listen, --db, --log_level, --tls_*.");
  luoshi::InitLogging("tasks");
  Skeleton service;
  luoshi::ServiceHost host("tasks");
  host.AddService(&service, "luoshi.v1.TaskService");
  if (absl::Status s = host.Start(luoshi::ListenAddress(luoshi::kDefaultTasksAddress)); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  host.WaitForShutdownSignal();
  host.Shutdown();
  return 0;
}
