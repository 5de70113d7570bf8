// luoshi-tasks: serves luoshi.v1.TaskService over gRPC (see proto/luoshi/v1/tasks.proto).
// Wiring only: flags → unit table → storage → (optional indicator peer) → TaskLogic →
// GrpcService → ServiceHost. The logic lives in the luoshi_tasks library (service.h).
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "services/common/admin_service.h"
#include "services/common/clock.h"
#include "services/common/flags.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/metrics_server.h"
#include "services/common/server.h"
#include "services/tasks/grpc_service.h"
#include "services/tasks/indicator_source.h"
#include "services/tasks/open_store.h"
#include "services/tasks/service.h"
#include "services/tasks/unit_directory.h"

ABSL_FLAG(int, yellow_window_days, 30,
          "A task turns yellow (临期) when its deadline is at most this many days away and its "
          "reported percent lags the share of its time already elapsed.");
ABSL_FLAG(std::string, reporting_period, "month",
          "How often offices report: \"month\" (periods 2023-05) or \"quarter\" (2023Q2). A task "
          "with no report for the previous period turns red.");
ABSL_FLAG(std::string, units, "data/units.json",
          "Unit alias table (canonical names, aliases, collective values) loaded at start-up.");
ABSL_FLAG(std::string, indicators_addr, "",
          "Address of the indicator service; when set, indicator-linked tasks show the indicator's "
          "latest actual. Empty: no peer, the field stays empty.");
ABSL_FLAG(int, indicators_deadline_ms, 500,
          "Deadline of each call to the indicator service, in milliseconds.");
ABSL_FLAG(int, max_watchers, 1000,
          "Open WatchTasks streams at once; one more is refused with RESOURCE_EXHAUSTED. Streams hold "
          "no thread while they wait, only their queue of unsent changes.");

namespace {

int Fail(const std::string& what, const absl::Status& status) {
  luoshi::LogError(what, {{"error", std::string(status.message())}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace luoshi;
  ParseFlags(
      argc, argv,
      "luoshi-tasks: the Luoshi task tracking service. Flags: --listen, --store (default "
      "sqlite:data/local/tasks.db; --db=PATH is shorthand for --store=sqlite:PATH), --units, "
      "--yellow_window_days, --reporting_period, --indicators_addr, --max_watchers, --auth_keys (required), "
      "--auth_revoked, --service_token, --metrics_listen, --log_level, --log_format, --shutdown_grace, "
      "--probe, --tls_*.");
  if (ProbeRequested()) return Probe(kTasksService.full_name, kDefaultTasksAddress);
  InitLogging("tasks");
  const absl::Duration grace = ShutdownGrace();
  TuneProcessForServing();

  const StoreLocation store_location = StoreFlag("data/local/tasks.db");
  tasks::TrackerOptions options;
  options.rules.yellow_window_days = absl::GetFlag(FLAGS_yellow_window_days);
  if (options.rules.yellow_window_days < 0) {
    return Fail("bad flag", absl::InvalidArgumentError("--yellow_window_days cannot be negative"));
  }
  options.max_watchers = absl::GetFlag(FLAGS_max_watchers);
  if (options.max_watchers < 1) return Fail("bad flag", absl::InvalidArgumentError("--max_watchers must be at least 1"));
  if (!tasks::ParsePeriodKind(absl::GetFlag(FLAGS_reporting_period), &options.rules.period_kind)) {
    return Fail("bad flag",
                absl::InvalidArgumentError("--reporting_period must be \"month\" or \"quarter\""));
  }

  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator = AuthenticatorFromFlags();
  if (!authenticator.ok()) return Fail("cannot verify callers", authenticator.status());
  absl::StatusOr<std::string> service_token = ServiceTokenFromFlags();
  if (!service_token.ok()) return Fail("cannot read the service token", service_token.status());

  absl::StatusOr<tasks::UnitDirectory> units = tasks::UnitDirectory::Load(absl::GetFlag(FLAGS_units));
  if (!units.ok()) return Fail("cannot load the unit table", units.status());

  // Health answers NOT_SERVING on the service's address while migrations run.
  ServiceHost host("tasks", TaskServerLimits());
  const std::string listen = ListenAddress(kDefaultTasksAddress);
  if (absl::Status s = host.StartWarmingUp(listen, {kTasksService.full_name, "luoshi.v1.AdminService"});
      !s.ok()) {
    return Fail("cannot start", s);
  }
  auto store = tasks::OpenTaskStore(store_location);
  if (!store.ok()) return Fail("cannot open the store", store.status());

  std::unique_ptr<tasks::IndicatorActuals> indicators;
  if (const std::string addr = absl::GetFlag(FLAGS_indicators_addr); !addr.empty()) {
    indicators = std::make_unique<tasks::GrpcIndicatorActuals>(
        v1::IndicatorService::NewStub(MakeChannel(addr)), SystemClock::Get(), *service_token,
        absl::Milliseconds(absl::GetFlag(FLAGS_indicators_deadline_ms)));
    LogInfo("indicator actuals from peer", {{"addr", addr}});
  }

  tasks::TaskLogic tracker(store->get(), &*units, SystemClock::Get(), indicators.get(), options);
  // Replicas on one PostgreSQL database: each fans out the others' changes to its own WatchTasks streams.
  if (absl::Status s = tracker.FollowOtherReplicas(); !s.ok()) return Fail("cannot follow other replicas", s);
  tasks::GrpcService service(&tracker, authenticator->get());
  metrics::FunctionHandle watch_metric = metrics::DefaultRegistry().AddFunction(
      "luoshi_watch_streams_open", "WatchTasks streams open now.", metrics::Type::kGauge,
      [&tracker] { return static_cast<double>(tracker.broadcaster().subscriber_count()); });
  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> metrics_server =
      metrics::StartMetricsServerFromFlags();
  if (!metrics_server.ok()) return Fail("cannot serve metrics", metrics_server.status());
  host.AddService(&service, kTasksService.full_name);
  AdminService admin("tasks", store_location, authenticator->get());
  host.AddService(&admin, "luoshi.v1.AdminService");
  if (absl::Status s = host.Start(listen); !s.ok()) return Fail("cannot start", s);
  LogInfo("tasks service ready", {{"store", store_location.ForLog()}, {"port", std::to_string(host.port())}});
  host.WaitForShutdownSignal();
  // Closing the broadcaster ends WatchTasks streams with UNAVAILABLE ("shutting down; reconnect"), so
  // they do not hold the shutdown for the whole grace.
  host.Shutdown(grace, [&tracker] { tracker.Shutdown(); });
  return 0;  // the store closes as it goes out of scope
}
