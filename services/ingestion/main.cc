// luoshi-ingestion: serves luoshi.v1.IngestionService over gRPC (see proto/luoshi/v1/ingestion.proto).
// Wiring only: flags → catalog, storage, extractor → handler + dispatcher → ServiceHost. The logic lives
// in the luoshi_ingestion library (architecture: services/ingestion/grpc_service.h).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>

#include "absl/flags/flag.h"
#include "services/common/admin_service.h"
#include "services/common/catalog.h"
#include "services/common/flags.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/metrics_server.h"
#include "services/common/server.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/dispatcher.h"
#include "services/ingestion/grpc_service.h"
#include "services/ingestion/library_extraction_engine.h"
#include "services/ingestion/open_store.h"
#include "services/ingestion/service.h"

ABSL_FLAG(int64_t, max_document_bytes, luoshi::kDefaultMaxDocumentBytes,
          "Largest document IngestDocument accepts, in bytes (default 32 MiB, at most 64 MiB). Larger "
          "uploads are refused with RESOURCE_EXHAUSTED and a message naming the limit.");
ABSL_FLAG(std::string, indicators_addr, luoshi::kDefaultIndicatorsAddress,
          "host:port of the indicator service, which receives extracted observations "
          "(RecordObservations).");
ABSL_FLAG(std::string, tasks_addr, luoshi::kDefaultTasksAddress,
          "host:port of the task service, which receives the tasks of division plans (ImportPlan).");
ABSL_FLAG(int, dispatch_interval_ms, 500,
          "How often the outbox dispatcher looks for due deliveries, in milliseconds. New documents are "
          "dispatched at once; this bounds how late a retry can start after its backoff has elapsed.");
ABSL_FLAG(int, retry_initial_ms, 1000,
          "Backoff after the first failed delivery to an unavailable peer, in milliseconds; it doubles "
          "with each consecutive failure up to --retry_max_ms (with jitter).");
ABSL_FLAG(int, retry_max_ms, 60000,
          "Longest backoff between delivery attempts to an unavailable peer, in ms.");
ABSL_FLAG(int, delivery_deadline_ms, 10000, "Deadline of each call to the indicator or task service, in ms.");
ABSL_FLAG(int, delivery_batch_size, 500, "Observations per RecordObservations call.");
ABSL_FLAG(int, delivery_lease_ms, 300000,
          "How long a dispatcher keeps an outbox entry it took for delivery, in ms (default 5 minutes). Other "
          "replicas on the same database do not send it meanwhile, and the entry of a replica that died "
          "mid-delivery is sent by another once this has passed. Must exceed --delivery_deadline_ms, with "
          "room for every call of one delivery (one per --delivery_batch_size observations).");

namespace luoshi::ingestion {
namespace {

constexpr char kDefaultDatabasePath[] = "data/local/ingestion.db";
constexpr double kUnreadable = std::numeric_limits<double>::quiet_NaN();
// The largest document: what a gRPC message can carry, less the request's other fields.
constexpr int64_t kTransportLimitBytes = int64_t{kMaxMessageBytes} - kDocumentEnvelopeBytes;

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  LogError(what, {{"error", std::string(status.message())}});
  std::exit(1);
}

IngestionOptions IngestionOptionsFromFlags() {
  IngestionOptions options;
  options.max_document_bytes = absl::GetFlag(FLAGS_max_document_bytes);
  if (options.max_document_bytes <= 0 || options.max_document_bytes > kTransportLimitBytes) {
    std::fprintf(stderr, "--max_document_bytes must be between 1 and %lld, not %lld\n",
                 static_cast<long long>(kTransportLimitBytes),
                 static_cast<long long>(options.max_document_bytes));
    std::exit(2);
  }
  return options;
}

absl::Duration DeliveryDeadline() {
  return absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_delivery_deadline_ms)));
}

DispatcherOptions DispatcherOptionsFromFlags() {
  DispatcherOptions options;
  options.poll_interval = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_dispatch_interval_ms)));
  options.initial_backoff = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_retry_initial_ms)));
  options.max_backoff =
      std::max(options.initial_backoff, absl::Milliseconds(absl::GetFlag(FLAGS_retry_max_ms)));
  options.batch_size = std::max(1, absl::GetFlag(FLAGS_delivery_batch_size));
  options.lease = absl::Milliseconds(absl::GetFlag(FLAGS_delivery_lease_ms));
  if (options.lease <= DeliveryDeadline()) {
    std::fprintf(stderr, "--delivery_lease_ms (%d) must be longer than --delivery_deadline_ms (%d)\n",
                 absl::GetFlag(FLAGS_delivery_lease_ms), absl::GetFlag(FLAGS_delivery_deadline_ms));
    std::exit(2);
  }
  return options;
}

// Opens the store named by --store (or --db); a SQLite file's directory is created first.
std::unique_ptr<DocumentStore> OpenStore(const StoreLocation& location) {
  absl::StatusOr<std::unique_ptr<DocumentStore>> store = OpenDocumentStore(location);
  if (!store.ok()) Die("cannot open the store", store.status());
  LogInfo("store open", {{"store", location.ForLog()}});
  return *std::move(store);
}

// The outbox gauges (docs/metrics.md), read from the store at each scrape; NaN when it cannot be read.
std::vector<metrics::FunctionHandle> AddOutboxMetrics(const DocumentStore* store, const Clock* clock) {
  metrics::Registry& r = metrics::DefaultRegistry();
  std::vector<metrics::FunctionHandle> handles;
  handles.push_back(r.AddFunction("luoshi_outbox_backlog",
                                  "Outbox entries not yet delivered to their service.", metrics::Type::kGauge,
                                  [store] {
                                    auto b = store->Backlog();
                                    return b.ok() ? static_cast<double>(b->pending) : kUnreadable;
                                  }));
  handles.push_back(r.AddFunction(
      "luoshi_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox entry; 0 when none waits.",
      metrics::Type::kGauge, [store, clock] {
        auto b = store->Backlog();
        if (!b.ok()) return kUnreadable;
        return b->oldest_created_at ? absl::ToDoubleSeconds(clock->Now() - *b->oldest_created_at) : 0.0;
      }));
  return handles;
}

int Run() {
  const absl::Duration grace = ShutdownGrace();
  const IngestionOptions ingestion_options = IngestionOptionsFromFlags();
  const StoreLocation store_location = StoreFlag(kDefaultDatabasePath);
  auto catalog = LoadCatalog(CatalogPath());
  if (!catalog.ok()) Die("cannot load the catalog", catalog.status());
  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator = AuthenticatorFromFlags();
  if (!authenticator.ok()) Die("cannot verify callers", authenticator.status());
  // Deliveries to the indicator and task services carry this service's own token (role service).
  absl::StatusOr<std::string> service_token = ServiceTokenFromFlags();
  if (!service_token.ok()) Die("cannot read the service token", service_token.status());
  if (service_token->empty()) {
    LogWarning("no --service_token: the indicator and task services will refuse this service's deliveries",
               {});
  }
  // Health answers NOT_SERVING on the service's address while migrations run.
  ServiceHost host("ingestion", IngestionServerLimits(ingestion_options.max_document_bytes));
  const std::string listen = ListenAddress(kDefaultIngestionAddress);
  if (absl::Status s = host.StartWarmingUp(listen, {kIngestionService.full_name, "luoshi.v1.AdminService"});
      !s.ok()) {
    Die("cannot start", s);
  }
  std::unique_ptr<DocumentStore> store = OpenStore(store_location);
  std::vector<metrics::FunctionHandle> outbox_metrics = AddOutboxMetrics(store.get(), SystemClock::Get());
  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> metrics_server =
      metrics::StartMetricsServerFromFlags();
  if (!metrics_server.ok()) Die("cannot serve metrics", metrics_server.status());
  LibraryExtractionEngine engine(*catalog);

  GrpcDeliveryClient client(MakeChannel(absl::GetFlag(FLAGS_indicators_addr)),
                            MakeChannel(absl::GetFlag(FLAGS_tasks_addr)),
                            DeliveryDeadline(),
                            *service_token);
  std::mt19937_64 random_engine{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Only the dispatcher's pass (one at a time) draws from it.
  Dispatcher dispatcher(store.get(), &client, SystemClock::Get(), DispatcherOptionsFromFlags(),
                        [&] { return unit(random_engine); });
  IngestionLogic handler(store.get(), &engine, SystemClock::Get(), ingestion_options,
                           [&dispatcher] { dispatcher.Wake(); });
  GrpcService server(&handler, authenticator->get());

  host.AddService(&server, kIngestionService.full_name);
  AdminService admin("ingestion", store_location, authenticator->get());
  host.AddService(&admin, "luoshi.v1.AdminService");
  if (absl::Status s = host.Start(listen); !s.ok()) Die("cannot start", s);
  dispatcher.Start();
  LogInfo("delivering to",
          {{"indicators", absl::GetFlag(FLAGS_indicators_addr)}, {"tasks", absl::GetFlag(FLAGS_tasks_addr)}});
  host.WaitForShutdownSignal();
  // The dispatcher stops after the delivery in progress (its outcome recorded); what is left stays in
  // the outbox for the next start. Documents accepted during the grace are stored and queued too.
  host.Shutdown(grace, [&dispatcher] { dispatcher.RequestStop(); });
  dispatcher.Stop();
  return 0;  // the store closes as it goes out of scope
}

}  // namespace
}  // namespace luoshi::ingestion

int main(int argc, char** argv) {
  luoshi::ParseFlags(
      argc, argv,
      "luoshi-ingestion: the Luoshi ingestion service: stores uploaded reports, extracts "
      "indicators and tasks, and delivers them to the indicator and task services.\n"
      "Flags: --listen, --store (default sqlite:data/local/ingestion.db; --db=PATH is shorthand for "
      "--store=sqlite:PATH), --catalog, --max_document_bytes, --indicators_addr, --tasks_addr, "
      "--dispatch_interval_ms, --retry_initial_ms, --retry_max_ms, --delivery_deadline_ms, "
      "--delivery_batch_size, --delivery_lease_ms, "
      "--auth_keys (required), --auth_revoked, --service_token, --metrics_listen, --log_level, --log_format, "
      "--shutdown_grace, --probe, --tls_*.");
  if (luoshi::ProbeRequested()) {
    return luoshi::Probe(luoshi::kIngestionService.full_name, luoshi::kDefaultIngestionAddress);
  }
  luoshi::InitLogging("ingestion");
  luoshi::TuneProcessForServing();
  return luoshi::ingestion::Run();
}
