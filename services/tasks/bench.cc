// luoshi_tasks_bench: loads a task database of realistic scale, serves it over real gRPC on loopback
// and measures what the supervision board needs (docs/benchmarks.md, "Task service"):
//   - filtered ListTasks page and GetLedger latency, p50/p99, with --clients concurrent clients;
//   - durable ReportProgress throughput (synchronous=FULL: every acknowledged report survives power
//     loss) with --clients concurrent writers;
//   - WatchTasks change latency under that write load: a subscriber's receive time minus the task's
//     updated_at, which the writer stamps inside the write transaction;
//   - per row, the process's CPU time per call (server and clients share the process and the cores);
//   - the read calls again by clients that parse answers into a reused arena (separate rows).
// Sizes are flags, so `--tasks=5000 --units=200 --reports=20000 --seconds=2` is a quick run.
// --store=postgres://… runs the same measurements on a PostgreSQL database (scripts/bench-postgres.sh starts
// a throwaway one), and --replicas=N there serves it from N service instances, each with its own store and
// connection pool, the clients split between them.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/flags.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/common/time.h"
#include "services/tasks/grpc_service.h"
#include "services/tasks/open_store.h"
#include "services/tasks/sqlite_store.h"

ABSL_FLAG(int, tasks, 100000, "Number of tasks to load.");
ABSL_FLAG(int, units, 2000, "Number of distinct responsible units.");
ABSL_FLAG(int, reports, 1000000, "Progress reports preloaded into the history.");
ABSL_FLAG(int, tasks_per_plan, 500, "Tasks per imported plan (a district plan has ~100–500).");
ABSL_FLAG(int, clients, 16, "Concurrent gRPC clients in every phase.");
ABSL_FLAG(double, seconds, 5, "Duration of each measured phase.");
ABSL_FLAG(std::string, bench_db, "/tmp/luoshi_tasks_bench.db",
          "Database file (recreated) when --store is not set; --store=sqlite:PATH is the same.");
ABSL_FLAG(bool, reuse_db, false,
          "Keep the data an earlier run loaded (--bench_db, or the --store database) instead of loading it "
          "again. Without it a PostgreSQL --store must be an empty database.");
ABSL_FLAG(int, replicas, 1,
          "Service instances serving the database (PostgreSQL only), each with its own store and "
          "connection pool, on its own port; client i calls instance i mod N. The report phase's "
          "watcher listens to instance 0, which tells of every instance's changes (LISTEN/NOTIFY).");
ABSL_FLAG(std::string, phases, "list1,list,ledger1,ledger,arena,report,mixed",
          "Measured phases to run (comma-separated subset; list1/ledger1 are the one-client runs, "
          "arena the read clients parsing into a reused protobuf arena, direct a no-gRPC "
          "diagnostic, mixall every client reporting, reading ledgers and listing in turn), "
          "e.g. --phases=list for profiling.");

namespace luoshi::tasks {
namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  size_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Percentiles Summarize(std::vector<double> ms) {
  Percentiles p;
  p.count = ms.size();
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  p.p50_ms = ms[ms.size() / 2];
  p.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  p.max_ms = ms.back();
  return p;
}

std::string UnitName(int i) { return absl::StrFormat("测试单位%04d", i); }

const Identity kAdmin{"bench", "", Role::kAdmin};

// CPU time of the calling thread.
absl::Duration ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return absl::DurationFromTimespec(ts);
}

// Signs the bench's callers' tokens; the service trusts its key.
const TestTokens& Tokens() {
  static const TestTokens* tokens = new TestTokens();
  return *tokens;
}

void AttachDeadline(grpc::ClientContext* ctx, const Identity& who) {
  Tokens().Attach(who, ctx);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// Runs `call` from `clients` threads for `seconds`; returns per-call latencies in ms.
template <typename Fn>
std::vector<double> RunClients(int clients, double seconds, Fn call, std::atomic<int>* errors) {
  absl::Mutex mu;
  std::vector<double> all;
  std::vector<std::thread> threads;
  const auto end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(1234 + c);
      std::vector<double> mine;
      while (Clock::now() < end) {
        const auto start = Clock::now();
        if (!call(rng)) ++*errors;
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
      absl::MutexLock lock(&mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  return all;
}

// Preloads history into SQLite: the whole batch in one transaction (the store's group commit).
absl::Status PreloadGrouped(SqliteTaskStore& store, const std::vector<SqliteTaskStore::Mutation>& batch) {
  for (const absl::StatusOr<StoredTask>& r : store.MutateTasks(batch)) {
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

// Preloads history into any store through its ordinary MutateTask, one transaction each, from `threads`
// threads at once, so that a server which flushes concurrent commits together (PostgreSQL) loads at its
// own pace. The first error, if any.
absl::Status PreloadConcurrently(TaskStore& store, const std::vector<SqliteTaskStore::Mutation>& batch,
                                 int threads) {
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < batch.size(); i = next++) {
        absl::StatusOr<StoredTask> r = store.MutateTask(batch[i].task_id, batch[i].mutator);
        if (!r.ok()) {
          absl::MutexLock lock(&mu);
          if (first.ok()) first = r.status();
          return;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return first;
}

// As many as the PostgreSQL store has connections (its pool of 8): more threads would only queue for one.
constexpr int kPreloadThreads = 8;

int Main() {
  const int n_tasks = absl::GetFlag(FLAGS_tasks);
  const int n_units = absl::GetFlag(FLAGS_units);
  const int n_reports = absl::GetFlag(FLAGS_reports);
  const int per_plan = absl::GetFlag(FLAGS_tasks_per_plan);
  const int clients = absl::GetFlag(FLAGS_clients);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const bool reuse = absl::GetFlag(FLAGS_reuse_db);
  const int n_replicas = absl::GetFlag(FLAGS_replicas);
  absl::StatusOr<StoreLocation> location = StoreLocationFromFlags(absl::GetFlag(FLAGS_bench_db));
  if (!location.ok()) {
    std::fprintf(stderr, "%s\n", std::string(location.status().message()).c_str());
    return 2;
  }
  if (n_replicas < 1 || (n_replicas > 1 && !location->is_postgres())) {
    std::fprintf(stderr, "--replicas: 1, or more with a PostgreSQL --store (one process owns a SQLite file)\n");
    return 2;
  }
  std::printf("store %s, %d replica%s\n", location->ForLog().c_str(), n_replicas, n_replicas == 1 ? "" : "s");

  // The replicas' stores, trackers and servers; replica 0 also loads the data.
  UnitDirectory units;
  std::vector<std::unique_ptr<TaskStore>> stores;
  std::vector<std::unique_ptr<TaskLogic>> trackers;
  SqliteTaskStore* sqlite_store = nullptr;  // SQLite: preloads through its grouped commits
  if (location->is_sqlite()) {
    const std::string& path = location->sqlite_path();
    if (!reuse) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    }
    auto opened = SqliteTaskStore::Open(path);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    sqlite_store = opened->get();
    stores.push_back(*std::move(opened));
  }
  while (static_cast<int>(stores.size()) < n_replicas) {
    auto opened = OpenTaskStore(*location);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    stores.push_back(*std::move(opened));
  }
  for (auto& s : stores) {
    trackers.push_back(std::make_unique<TaskLogic>(s.get(), &units, SystemClock::Get(), nullptr));
    // As luoshi-tasks does: each instance's watchers hear every instance's changes.
    if (absl::Status followed = trackers.back()->FollowOtherReplicas(); !followed.ok()) {
      std::fprintf(stderr, "follow: %s\n", followed.ToString().c_str());
      return 1;
    }
  }
  TaskStore* store = stores[0].get();
  TaskLogic& tracker = *trackers[0];
  if (!reuse && location->is_postgres()) {
    auto plans = store->ListPlans();
    if (!plans.ok() || !plans->empty()) {
      std::fprintf(stderr, "--store: the PostgreSQL database already holds plans; give an empty one, or "
                           "--reuse_db to measure on what it holds\n");
      return 2;
    }
  }

  // ---- Load plans -------------------------------------------------------------------------
  std::mt19937 rng(42);
  const absl::Time now = absl::Now();
  const absl::TimeZone zone = DisplayZone();
  const absl::CivilDay today = absl::ToCivilDay(now, zone);
  std::vector<std::string> plan_ids;
  std::vector<std::pair<std::string, std::string>> task_units;  // task id, lead unit
  auto t0 = Clock::now();
  if (reuse) {
    auto plans = store->ListPlans();
    if (!plans.ok()) return 1;
    for (const v1::Plan& p : *plans) plan_ids.push_back(p.id());
  }
  for (int start = 0, p = 0; !reuse && start < n_tasks; start += per_plan, ++p) {
    v1::ImportPlanRequest req;
    req.set_document_sha256(absl::StrCat("bench-doc-", p));
    req.set_document_id(absl::StrCat("doc-", p));
    req.set_plan_key(absl::StrCat("bench-plan-", p));
    req.set_title(absl::StrCat("基准方案", p));
    req.set_year(2026);
    req.set_region("大兴区");
    for (int i = start; i < std::min(n_tasks, start + per_plan); ++i) {
      v1::TaskDefinition* d = req.add_tasks();
      d->set_number(std::to_string(i - start + 1));
      d->set_text(absl::StrCat("推进第", i, "项重点工作，完成", i % 97, "个子项目建设"));
      d->add_section_path(absl::StrCat("第", (i - start) / 50 + 1, "部分"));
      d->add_lead_leaders(absl::StrCat("领导", rng() % 100));
      d->add_responsible_units(UnitName(rng() % n_units));
      if (i % 3 == 0) d->add_responsible_units(UnitName(rng() % n_units));
      d->mutable_deadline()->set_date(absl::FormatCivilTime(today + static_cast<int>(rng() % 360) - 180));
    }
    auto resp = tracker.ImportPlan(kAdmin, req);
    if (!resp.ok()) {
      std::fprintf(stderr, "import: %s\n", resp.status().ToString().c_str());
      return 1;
    }
    plan_ids.push_back(resp->plan().id());
  }
  const double import_s = std::chrono::duration<double>(Clock::now() - t0).count();
  {
    TaskQuery all;
    all.limit = n_tasks + 1;
    auto tasks = store->QueryTasks(all);
    for (const StoredTask& t : *tasks) {
      task_units.emplace_back(t.id, t.definition.responsible_units(0));
    }
  }
  std::printf("loaded %zu tasks in %zu plans in %.1f s\n", task_units.size(), plan_ids.size(), import_s);

  // ---- Preload report history (SQLite: batched commits; PostgreSQL: concurrent transactions) ----
  t0 = Clock::now();
  const int batch = 5000;
  for (int done = 0; !reuse && done < n_reports; done += batch) {
    std::vector<SqliteTaskStore::Mutation> mutations;
    for (int i = done; i < std::min(n_reports, done + batch); ++i) {
      const auto& [id, unit] = task_units[rng() % task_units.size()];
      const int percent = static_cast<int>(rng() % 100);
      const absl::Time at = now - absl::Hours(24) * static_cast<int>(rng() % 300);
      mutations.push_back({id, [=, unit = unit](const StoredTask& t) -> absl::StatusOr<TaskChange> {
        TaskChange c;
        c.state = t.state;
        c.state.status = v1::TASK_STATUS_IN_PROGRESS;
        c.state.percent = percent;
        c.state.last_report_at = std::max(at, t.state.last_report_at.value_or(at));
        c.state.last_report_period =
            std::max(t.state.last_report_period, absl::FormatTime("%Y-%m", at, zone));
        c.state.updated_at = at;
        v1::ProgressReport r;
        r.set_unit(unit);
        r.set_reporter("bench");
        r.set_period(absl::FormatTime("%Y-%m", at, zone));
        r.set_percent(percent);
        r.set_narrative("按计划推进，本月完成阶段目标");
        *r.mutable_reported_at() = ToTimestamp(at);
        c.report = r;
        v1::JournalEntry e;
        e.set_actor("bench");
        *e.mutable_at() = r.reported_at();
        e.set_action("report");
        e.set_field("percent");
        e.set_old_value(std::to_string(t.state.percent));
        e.set_new_value(std::to_string(percent));
        c.journal.push_back(e);
        return c;
      }});
    }
    const absl::Status loaded = sqlite_store != nullptr ? PreloadGrouped(*sqlite_store, mutations)
                                                        : PreloadConcurrently(*store, mutations, kPreloadThreads);
    if (!loaded.ok()) {
      std::fprintf(stderr, "preload: %s\n", loaded.ToString().c_str());
      return 1;
    }
  }
  std::printf("preloaded %d reports in %.1f s\n", reuse ? 0 : n_reports,
              std::chrono::duration<double>(Clock::now() - t0).count());

  // ---- Serve ------------------------------------------------------------------------------
  absl::SetFlag(&FLAGS_max_threads, clients * 2 + 8);
  std::vector<std::unique_ptr<GrpcService>> services;
  std::vector<std::unique_ptr<ServiceHost>> hosts;
  std::vector<std::string> addrs;
  for (auto& t : trackers) {
    services.push_back(std::make_unique<GrpcService>(t.get(), Tokens().authenticator()));
    hosts.push_back(std::make_unique<ServiceHost>("tasks-bench", TaskServerLimits()));
    hosts.back()->AddService(services.back().get(), "luoshi.v1.TaskService");
    if (auto s = hosts.back()->Start("127.0.0.1:0"); !s.ok()) {
      std::fprintf(stderr, "start: %s\n", s.ToString().c_str());
      return 1;
    }
    addrs.push_back(absl::StrCat("127.0.0.1:", hosts.back()->port()));
  }
  const std::string& addr = addrs[0];  // the watcher's
  std::vector<std::unique_ptr<v1::TaskService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // separate connections, like separate offices
    stubs.push_back(v1::TaskService::NewStub(
        grpc::CreateCustomChannel(addrs[c % addrs.size()], grpc::InsecureChannelCredentials(), args)));
  }
  std::atomic<int> next_stub{0};
  thread_local int my_stub = -1;
  auto stub = [&]() -> v1::TaskService::Stub& {
    if (my_stub < 0) my_stub = next_stub++ % clients;
    return *stubs[my_stub];
  };

  auto list_call = [&](std::mt19937& r) {
    grpc::ClientContext ctx;
    AttachDeadline(&ctx, kAdmin);
    v1::ListTasksRequest req;
    req.mutable_filter()->set_unit(UnitName(r() % n_units));
    req.mutable_filter()->set_status(v1::TASK_STATUS_IN_PROGRESS);
    req.mutable_page()->set_page_size(50);
    v1::ListTasksResponse resp;
    return stub().ListTasks(&ctx, req, &resp).ok();
  };
  auto ledger_call = [&](std::mt19937& r) {
    grpc::ClientContext ctx;
    AttachDeadline(&ctx, kAdmin);
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_ids[r() % plan_ids.size()]);
    req.set_grouping(v1::LEDGER_GROUPING_UNIT);
    v1::Ledger resp;
    return stub().GetLedger(&ctx, req, &resp).ok();
  };
  // The same calls by a client that parses each answer into a reused arena (a board polling the
  // same view does this); a separate measurement, the rows above keep the plain client.
  auto arena_for_thread = [] {
    thread_local std::vector<char> block(1 << 20);
    thread_local google::protobuf::Arena arena([] {
      google::protobuf::ArenaOptions options;
      options.initial_block = block.data();
      options.initial_block_size = block.size();
      return options;
    }());
    arena.Reset();
    return &arena;
  };
  auto list_call_arena = [&](std::mt19937& r) {
    grpc::ClientContext ctx;
    AttachDeadline(&ctx, kAdmin);
    v1::ListTasksRequest req;
    req.mutable_filter()->set_unit(UnitName(r() % n_units));
    req.mutable_filter()->set_status(v1::TASK_STATUS_IN_PROGRESS);
    req.mutable_page()->set_page_size(50);
    auto* resp = google::protobuf::Arena::CreateMessage<v1::ListTasksResponse>(arena_for_thread());
    return stub().ListTasks(&ctx, req, resp).ok();
  };
  auto ledger_call_arena = [&](std::mt19937& r) {
    grpc::ClientContext ctx;
    AttachDeadline(&ctx, kAdmin);
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_ids[r() % plan_ids.size()]);
    req.set_grouping(v1::LEDGER_GROUPING_UNIT);
    auto* resp = google::protobuf::Arena::CreateMessage<v1::Ledger>(arena_for_thread());
    return stub().GetLedger(&ctx, req, resp).ok();
  };
  const std::vector<std::string> phases = absl::StrSplit(absl::GetFlag(FLAGS_phases), ',');
  auto want = [&](const char* phase) {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
  };
  // One table row per measurement; CPU is the whole process's (server and clients share it) per
  // call, which shows the cost of a call independently of how busy the machine is.
  struct Row {
    std::string name;
    Percentiles p;
    int errors = 0;
    double cpu_ms_per_call = -1;
  };
  std::vector<Row> table;
  auto measure = [&](const std::string& name, int n, double secs, auto call) {
    std::atomic<int> errors{0};
    const std::clock_t cpu0 = std::clock();
    Row r{name, Summarize(RunClients(n, secs, call, &errors)), 0, -1};
    const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    r.errors = errors.load();
    if (r.p.count > 0) r.cpu_ms_per_call = cpu_ms / r.p.count;
    table.push_back(r);
  };
  // Diagnostic: the service's own work per call (tracker and store, no gRPC), one thread, CPU time
  // of that thread. Not part of the default phases.
  auto direct = [&](const char* what, auto call) {
    std::mt19937 r(99);
    const int n = 2000;
    for (int i = 0; i < 200; ++i) call(r);  // warm caches
    const absl::Duration cpu0 = ThreadCpu();
    for (int i = 0; i < n; ++i) call(r);
    std::printf("%s without gRPC: %.1f us CPU per call (%d calls, one thread)\n", what,
                absl::ToDoubleMicroseconds(ThreadCpu() - cpu0) / n, n);
  };
  if (want("direct")) {
    direct("ListTasks", [&](std::mt19937& r) {
      v1::ListTasksRequest req;
      req.mutable_filter()->set_unit(UnitName(r() % n_units));
      req.mutable_filter()->set_status(v1::TASK_STATUS_IN_PROGRESS);
      req.mutable_page()->set_page_size(50);
      return tracker.ListTasksBytes(kAdmin, req).ok();
    });
    direct("GetLedger", [&](std::mt19937& r) {
      v1::GetLedgerRequest req;
      req.set_plan_id(plan_ids[r() % plan_ids.size()]);
      req.set_grouping(v1::LEDGER_GROUPING_UNIT);
      return tracker.GetLedgerBytes(kAdmin, req).ok();
    });
  }
  if (want("list1")) {
    measure("ListTasks (unit + status filter, page 50), 1 client", 1, seconds / 2, list_call);
  }
  if (want("list")) {
    measure(absl::StrCat("ListTasks (unit + status filter, page 50), ", clients, " clients"), clients,
            seconds, list_call);
  }
  if (want("ledger1")) {
    measure("GetLedger (one plan, by unit), 1 client", 1, seconds / 2, ledger_call);
  }
  if (want("ledger")) {
    measure(absl::StrCat("GetLedger (one plan, by unit), ", clients, " clients"), clients, seconds,
            ledger_call);
  }
  if (want("arena")) {
    measure(absl::StrCat("ListTasks, ", clients, " clients parsing into a reused arena"), clients, seconds,
            list_call_arena);
    measure(absl::StrCat("GetLedger, ", clients, " clients parsing into a reused arena"), clients, seconds,
            ledger_call_arena);
  }

  auto report_call = [&](std::mt19937& r) {
    const auto& [id, unit] = task_units[r() % task_units.size()];
    grpc::ClientContext ctx;
    AttachDeadline(&ctx, Identity{"bench", unit, Role::kOffice});
    v1::ReportProgressRequest req;
    req.set_task_id(id);
    req.set_percent(static_cast<int>(r() % 100));
    req.set_narrative("基准测试进展");
    v1::Task resp;
    return stub().ReportProgress(&ctx, req, &resp).ok();
  };
  double reports_per_s = -1;
  Percentiles watch;
  if (want("report")) {
    // Watcher: every task, measuring receive time − updated_at (stamped inside the write).
    std::vector<double> watch_ms;
    grpc::ClientContext watch_ctx;
    Tokens().Attach(kAdmin, &watch_ctx);
    auto watch_stub = v1::TaskService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
    auto reader = watch_stub->WatchTasks(&watch_ctx, v1::WatchTasksRequest());
    reader->WaitForInitialMetadata();
    std::thread watcher([&] {
      v1::TaskEvent event;
      while (reader->Read(&event)) {
        const int64_t updated =
            google::protobuf::util::TimeUtil::TimestampToMicroseconds(event.task().updated_at());
        watch_ms.push_back((absl::ToUnixMicros(absl::Now()) - updated) / 1000.0);
      }
    });
    t0 = Clock::now();
    measure(absl::StrCat("ReportProgress (durable), ", clients, " clients"), clients, seconds, report_call);
    const double report_s = std::chrono::duration<double>(Clock::now() - t0).count();
    reports_per_s = table.back().p.count / report_s;
    absl::SleepFor(absl::Milliseconds(200));
    watch_ctx.TryCancel();
    watcher.join();
    (void)reader->Finish();
    watch = Summarize(watch_ms);
  }

  if (want("mixed")) {
    // Mixed: half the clients report while the other half read ledgers (the cache is invalidated
    // by every report to a plan, so many ledgers are recomputed).
    std::thread writers([&] {
      std::atomic<int> e{0};
      RunClients(std::max(1, clients / 2), seconds, report_call, &e);
    });
    measure(absl::StrCat("GetLedger, ", std::max(1, clients / 2), " clients, while ",
                         std::max(1, clients / 2), " clients report"),
            std::max(1, clients / 2), seconds, ledger_call);
    writers.join();
    table.back().cpu_ms_per_call = -1;  // shared with the writers: not a per-read cost
  }
  double mixed_per_s = -1;
  if (want("mixall")) {
    // Every client reports, reads a ledger or lists, a third each at random: the mixed load that two
    // replicas and one are compared on. Its figure is all calls per second.
    auto mixed_call = [&](std::mt19937& r) {
      switch (r() % 3) {
        case 0:
          return report_call(r);
        case 1:
          return ledger_call(r);
        default:
          return list_call(r);
      }
    };
    t0 = Clock::now();
    measure(absl::StrCat("Mixed (ReportProgress, GetLedger, ListTasks a third each), ", clients, " clients"),
            clients, seconds, mixed_call);
    mixed_per_s = table.back().p.count / std::chrono::duration<double>(Clock::now() - t0).count();
  }
  for (auto& t : trackers) t->Shutdown();
  for (auto& h : hosts) h->Shutdown(absl::Seconds(2));

  std::printf("\n| measurement | calls | p50 ms | p99 ms | max ms | errors | CPU ms/call |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : table) {
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %d | %s |\n", r.name.c_str(), r.p.count, r.p.p50_ms,
                r.p.p99_ms, r.p.max_ms, r.errors,
                r.cpu_ms_per_call < 0 ? "-" : absl::StrFormat("%.3f", r.cpu_ms_per_call).c_str());
    if (absl::StartsWith(r.name, "ReportProgress")) {
      std::printf("| WatchTasks change latency during the report load | %zu | %.2f | %.2f | %.2f | - | - |\n",
                  watch.count, watch.p50_ms, watch.p99_ms, watch.max_ms);
    }
  }
  if (reports_per_s >= 0) {
    std::printf("\nReportProgress throughput: %.0f durable reports/s with %d clients\n", reports_per_s,
                clients);
  }
  if (mixed_per_s >= 0) {
    std::printf("\nMixed throughput: %.0f calls/s with %d clients on %d replica%s\n", mixed_per_s, clients,
                n_replicas, n_replicas == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace
}  // namespace luoshi::tasks

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  luoshi::TuneProcessForServing();  // as the service binary does
  return luoshi::tasks::Main();
}
