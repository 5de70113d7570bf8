// luoshi-ingestion: serves luoshi.v1.IngestionService over gRPC (see proto/luoshi/v1/ingestion.proto).
// Wiring only: flags → storage → service object → ServiceHost. The logic lives in the library.
#include <cstdio>

#include "luoshi/v1/ingestion.grpc.pb.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace {
// Until the ingestion issue lands every method answers UNIMPLEMENTED.
class Skeleton final : public luoshi::v1::IngestionService::Service {};
}  // namespace

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv, "luoshi-ingestion: the Luoshi ingestion service. Flags: --listen, --db, --log_level, --tls_*.");
  luoshi::InitLogging("ingestion");
  Skeleton service;
  luoshi::ServiceHost host("ingestion");
  host.AddService(&service, "luoshi.v1.IngestionService");
  if (absl::Status s = host.Start(luoshi::ListenAddress(luoshi::kDefaultIngestionAddress)); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  host.WaitForShutdownSignal();
  host.Shutdown();
  return 0;
}
