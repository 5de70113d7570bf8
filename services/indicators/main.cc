// luoshi-indicators: serves luoshi.v1.IndicatorService over gRPC (see proto/luoshi/v1/indicators.proto).
// Wiring only: flags → storage → service object → ServiceHost. The logic lives in the library.
#include <cstdio>

#include "luoshi/v1/indicators.grpc.pb.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace {
// Until the indicators issue lands every method answers UNIMPLEMENTED.
class Skeleton final : public luoshi::v1::IndicatorService::Service {};
}  // namespace

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv, "luoshi-indicators: the Luoshi indicators service. Flags: --listen, --db, --log_level, --tls_*.");
  luoshi::InitLogging("indicators");
  Skeleton service;
  luoshi::ServiceHost host("indicators");
  host.AddService(&service, "luoshi.v1.IndicatorService");
  if (absl::Status s = host.Start(luoshi::ListenAddress(luoshi::kDefaultIndicatorsAddress)); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  host.WaitForShutdownSignal();
  host.Shutdown();
  return 0;
}
