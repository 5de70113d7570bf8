// luoshi-gateway: HTTP/1.1 front door for browsers (see gateway.h for the routes).
#include <csignal>

#include "absl/flags/flag.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"

ABSL_FLAG(std::string, ingestion_addr, luoshi::kDefaultIngestionAddress, "Address of luoshi-ingestion.");
ABSL_FLAG(std::string, indicators_addr, luoshi::kDefaultIndicatorsAddress, "Address of luoshi-indicators.");
ABSL_FLAG(std::string, tasks_addr, luoshi::kDefaultTasksAddress, "Address of luoshi-tasks.");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the built browser client. Default: client-web/dist of the source tree.");

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv,
                     "luoshi-gateway: serves the browser client and /healthz over HTTP/1.1.\n"
                     "Flags: --listen, --ingestion_addr, --indicators_addr, --tasks_addr, --web_root, --tls_ca.");
  luoshi::InitLogging("gateway");
  std::string web_root = absl::GetFlag(FLAGS_web_root);
  if (web_root.empty()) web_root = std::string(LUOSHI_SOURCE_DIR) + "/client-web/dist";
  luoshi::gateway::Gateway gateway({absl::GetFlag(FLAGS_ingestion_addr), absl::GetFlag(FLAGS_indicators_addr),
                                    absl::GetFlag(FLAGS_tasks_addr), web_root});
  luoshi::gateway::HttpServer server(
      [&gateway](const luoshi::gateway::HttpRequest& r) { return gateway.Handle(r); });
  if (absl::Status s = server.Start(luoshi::ListenAddress(luoshi::kDefaultGatewayAddress)); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  luoshi::ServiceHost::WaitForShutdownSignal();
  server.Stop();
  luoshi::LogInfo("stopped");
  return 0;
}
