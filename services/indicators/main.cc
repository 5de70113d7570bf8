// luoshi-indicators: serves luoshi.v1.IndicatorService over gRPC (see proto/luoshi/v1/indicators.proto).
// Wiring only: flags → catalog → storage → service object → ServiceHost. The logic lives in the library
// (grpc_service.h describes the layers).
#include <memory>
#include <string>

#include "services/common/admin_service.h"
#include "services/common/catalog.h"
#include "services/common/clock.h"
#include "services/common/flags.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/metrics_server.h"
#include "services/common/server.h"
#include "services/indicators/grpc_service.h"
#include "services/indicators/open_store.h"
#include "services/indicators/service.h"

namespace {

constexpr char kUsage[] =
    "luoshi-indicators: the Luoshi indicator service (catalog, observations, series, target verdicts).\n"
    "Flags: --listen (default 127.0.0.1:7102), --store (default sqlite:data/local/indicators.db;\n"
    "--db=PATH is shorthand for --store=sqlite:PATH), --catalog, --auth_keys (required), --auth_revoked,\n"
    "--metrics_listen, --log_level, --log_format, --max_threads, --shutdown_grace,\n"
    "--probe (ask the running instance's health and exit 0 when SERVING), --tls_*. Each flag can also be set "
    "as LUOSHI_<FLAG>.";

int Fail(const std::string& what, const absl::Status& status) {
  luoshi::LogError(what, {{"error", std::string(status.message())}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv, kUsage);
  if (luoshi::ProbeRequested()) {
    return luoshi::Probe(luoshi::kIndicatorsService.full_name, luoshi::kDefaultIndicatorsAddress);
  }
  luoshi::InitLogging("indicators");
  const absl::Duration grace = luoshi::ShutdownGrace();
  luoshi::TuneProcessForServing();

  const luoshi::StoreLocation store_location = luoshi::StoreFlag("data/local/indicators.db");

  absl::StatusOr<std::unique_ptr<luoshi::Authenticator>> authenticator = luoshi::AuthenticatorFromFlags();
  if (!authenticator.ok()) return Fail("cannot verify callers", authenticator.status());

  const std::string catalog_path = luoshi::CatalogPath();
  absl::StatusOr<luoshi::v1::Catalog> catalog = luoshi::LoadCatalog(catalog_path);
  if (!catalog.ok()) return Fail("cannot load the catalog", catalog.status());
  luoshi::CatalogIndex catalog_index(*std::move(catalog));

  // Health answers NOT_SERVING on the service's address while migrations run.
  luoshi::ServiceHost host("indicators", luoshi::IndicatorServerLimits());
  const std::string listen = luoshi::ListenAddress(luoshi::kDefaultIndicatorsAddress);
  if (absl::Status s =
          host.StartWarmingUp(listen, {luoshi::kIndicatorsService.full_name, "luoshi.v1.AdminService"});
      !s.ok()) {
    return Fail("cannot start", s);
  }
  auto store = luoshi::indicators::OpenObservationStore(store_location);
  if (!store.ok()) return Fail("cannot open the store", store.status());

  luoshi::indicators::IndicatorLogic service(&catalog_index, store->get(), luoshi::SystemClock::Get());
  luoshi::indicators::GrpcService grpc_service(&service, authenticator->get());
  auto metrics_server = luoshi::metrics::StartMetricsServerFromFlags();
  if (!metrics_server.ok()) return Fail("cannot serve metrics", metrics_server.status());
  host.AddService(&grpc_service, luoshi::kIndicatorsService.full_name);
  luoshi::AdminService admin("indicators", store_location, authenticator->get());
  host.AddService(&admin, "luoshi.v1.AdminService");
  if (absl::Status s = host.Start(listen); !s.ok()) return Fail("cannot start", s);
  luoshi::LogInfo("serving", {{"store", store_location.ForLog()},
                              {"catalog", catalog_path},
                              {"indicators", std::to_string(catalog_index.catalog().indicators_size())}});
  host.WaitForShutdownSignal();
  host.Shutdown(grace);
  return 0;  // the store closes as it goes out of scope
}
