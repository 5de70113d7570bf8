// luoshi_gateway_bench: the grpc-web gateway against direct gRPC (docs/benchmarks.md, "grpc-web gateway
// (issue 16)"). A program that prints figures, not a test.
//
// It starts the real luoshi-tasks (fresh database in a temporary directory) and luoshi-gateway binaries
// of this build tree on 127.0.0.1 port 0, reading each port from the child's JSON "listening" log line,
// imports the 2023 division plan of seed 004 (121 tasks) over gRPC, and measures:
//   1. the same read (TaskService/GetLedger of that plan by unit, or --method=list: ListTasks of the plan,
//      page of 50) with --clients closed-loop clients for --seconds after --warmup_seconds, (a) direct
//      gRPC to the task service, (b) grpc-web (binary) through the gateway, each client its own HTTP/1.1
//      keep-alive connection with one request in flight; throughput, latency percentiles, the CPU each
//      process spent per call, and the ratios against the goals. The same pair again with one
//      client (--single_client_seconds) shows the latency the gateway adds when nothing queues;
//   2. GET / (the client's index.html) through the gateway with the same clients;
//   3. the gateway's resident memory before, with --idle_connections idle keep-alive connections open
//      (each made one GET /), and after they closed;
//   4. the time from a ReportProgress (direct gRPC, as the office responsible for the task) to the
//      matching WatchTasks event at a grpc-web client through the gateway, and at a direct gRPC watcher
//      for comparison, --reports reports one at a time.
//
// One load generator design serves every load phase: N clients, one call in flight each, the next sent
// as soon as the answer has arrived and been checked, all driven by --load_threads threads (default one:
// a gRPC completion queue for the direct path, an asio io_context for the HTTP paths), so that the
// generator takes as little as possible of the two cores it shares with the gateway and the service.
// Neither path decodes the answer by default (both check its length against the answer of a direct call;
// --decode parses it on both). The gateway's access log (one JSON line per request on stderr) is drained
// by the benchmark as a log collector would.
//
// Bounded: every phase has a fixed duration or count, everything is on loopback, and the program kills its
// children when it ends, however it ends (--max_seconds is a hard stop).
//
// The parts: bench/process.h (child processes, /proc readings), bench/http_messages.h (HTTP/1.1 and
// grpc-web on the wire), bench/load.h (the read under test, the load phases and their table rows),
// bench/phases.h (set-up calls, idle connections and memory, WatchTasks).
#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/flags.h"
#include "services/common/identity.h"
#include "services/gateway/bench/common.h"
#include "services/gateway/bench/http_messages.h"
#include "services/gateway/bench/load.h"
#include "services/gateway/bench/phases.h"
#include "services/gateway/bench/process.h"
#include "services/tasks/test_util.h"

ABSL_FLAG(int, clients, 16, "Concurrent clients of every load phase (direct, gateway, GET /).");
ABSL_FLAG(double, seconds, 10, "Measured duration of each load phase.");
ABSL_FLAG(double, warmup_seconds, 2, "The same load, run and not counted, before each load phase.");
ABSL_FLAG(double, single_client_seconds, 5,
          "Measured duration of the one-client direct/gateway pair (latency with no queueing); 0 skips it.");
ABSL_FLAG(int, rounds, 1, "Direct/gateway pairs at --clients, run alternately (the machine is noisy).");
ABSL_FLAG(std::string, method, "ledger",
          "The read: ledger (GetLedger of the plan by unit) or list (ListTasks of the plan, page of 50).");
ABSL_FLAG(bool, decode, false,
          "Parse every answer into its message on both paths (default: check its length).");
ABSL_FLAG(int, load_threads, 1, "Threads driving the clients of a load phase.");
ABSL_FLAG(int, idle_connections, 1000, "Idle keep-alive connections opened for the memory measurement.");
ABSL_FLAG(int, idle_rounds, 1,
          "Times the idle-connection measurement is repeated (a second round shows whether the memory of the "
          "first is reused).");
ABSL_FLAG(int, reports, 200, "ReportProgress calls, one at a time, for the WatchTasks latency.");
ABSL_FLAG(int, report_gap_ms, 5, "Pause between two of those reports.");
ABSL_FLAG(std::string, phases, "rw,static,idle,watch",
          "Phases to run: rw (direct and gateway reads), static (GET /), idle (memory), watch; also web "
          "(the gateway reads alone, for profiling).");
ABSL_FLAG(std::string, binary_dir, LUOSHI_BUILD_DIR,
          "Build tree holding services/tasks/luoshi-tasks and services/gateway/luoshi-gateway.");
ABSL_FLAG(
    std::string, gateway_binary, "",
    "The gateway binary (default: services/gateway/luoshi-gateway under --binary_dir), e.g. one built from "
    "another commit for an A/B comparison.");
ABSL_FLAG(std::string, web_root, LUOSHI_SOURCE_DIR "/client-web/dist", "The gateway's --web_root.");
ABSL_FLAG(std::string, seed, LUOSHI_SOURCE_DIR "/data/seeds/004_bb9545a5710306fa.txt",
          "Division-plan document imported as the plan (seed 004: 121 tasks).");
ABSL_FLAG(
    std::string, gateway_flags, "",
    "Extra flags for luoshi-gateway, separated by spaces (e.g. \"--http_threads=1 --log_level=warning\").");
ABSL_FLAG(std::string, tasks_flags, "", "Extra flags for luoshi-tasks, separated by spaces.");
ABSL_FLAG(std::string, gateway_wrapper, "",
          "Command the gateway is started under, separated by spaces (e.g. \"valgrind --tool=callgrind "
          "--log-file=/tmp/cg.log\" to profile it; the CPU columns then include the wrapper).");
ABSL_FLAG(double, max_seconds, 600, "Hard limit on the whole run: children killed, exit 3.");

namespace luoshi::gateway_bench {
namespace {

std::vector<std::string> SplitArgs(const std::string& s) {
  return absl::StrSplit(s, ' ', absl::SkipWhitespace());
}

int Run() {
  const int clients = absl::GetFlag(FLAGS_clients);
  const double seconds = absl::GetFlag(FLAGS_seconds), warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const std::set<std::string> phases =
      absl::StrSplit(absl::GetFlag(FLAGS_phases), ',', absl::SkipWhitespace());
  const std::string method = absl::GetFlag(FLAGS_method);
  if (method != "ledger" && method != "list") Die("--method is ledger or list");
  if (clients < 1 || seconds <= 0) Die("--clients and --seconds must be positive");

  // Descriptors for --idle_connections and the clients.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  char dir_template[] = "/tmp/luoshi_gateway_bench_XXXXXX";
  if (mkdtemp(dir_template) == nullptr) Die("mkdtemp failed");
  const std::string dir = dir_template;
  const char* suffixes[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; ++i) {
    std::snprintf(g_scratch_files[i], sizeof g_scratch_files[i], "%s/tasks.db%s", dir.c_str(), suffixes[i]);
  }
  std::snprintf(g_scratch_files[3], sizeof g_scratch_files[3], "%s/%s.public.pem", dir.c_str(),
                Tokens().keys().key_id.c_str());
  std::snprintf(g_scratch_dir, sizeof g_scratch_dir, "%s", dir.c_str());
  if (absl::Status s = Tokens().WritePublicKey(dir); !s.ok()) Die(std::string(s.message()));
  const std::string bin = absl::GetFlag(FLAGS_binary_dir);

  Child tasks, gateway;
  std::vector<std::string> tasks_args = {"--db=" + dir + "/tasks.db", "--auth_keys=" + dir,
                                         "--units=" + std::string(LUOSHI_SOURCE_DIR) + "/data/units.json"};
  for (auto& a : SplitArgs(absl::GetFlag(FLAGS_tasks_flags))) tasks_args.push_back(a);
  tasks.Start("tasks", bin + "/services/tasks/luoshi-tasks", tasks_args);
  Env env;
  env.tasks = &tasks;
  env.gateway = &gateway;
  env.tasks_target = absl::StrCat("127.0.0.1:", tasks.port());
  std::vector<std::string> gateway_args = {"--tasks_addr=" + env.tasks_target,
                                           "--web_root=" + absl::GetFlag(FLAGS_web_root)};
  for (auto& a : SplitArgs(absl::GetFlag(FLAGS_gateway_flags))) gateway_args.push_back(a);
  std::string gateway_binary = absl::GetFlag(FLAGS_gateway_binary);
  if (gateway_binary.empty()) gateway_binary = bin + "/services/gateway/luoshi-gateway";
  gateway.Start("gateway", gateway_binary, gateway_args, SplitArgs(absl::GetFlag(FLAGS_gateway_wrapper)));
  env.gateway_port = gateway.port();
  const MemorySample gateway_fresh = Memory(gateway.pid());

  // The plan.
  auto stub =
      v1::TaskService::NewStub(grpc::CreateChannel(env.tasks_target, grpc::InsecureChannelCredentials()));
  auto plan_request = tasks::testing::PlanFromSeed(absl::GetFlag(FLAGS_seed));
  if (!plan_request.ok()) Die(std::string(plan_request.status().message()));
  v1::ImportPlanResponse imported;
  {
    grpc::ClientContext context;
    Attach(&context, kAdmin);
    grpc::Status st = stub->ImportPlan(&context, *plan_request, &imported);
    if (!st.ok()) Die("ImportPlan: " + st.error_message());
  }
  const std::string plan_id = imported.plan().id();
  std::vector<v1::Task> plan_tasks;
  {
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(1000);
    v1::ListTasksResponse resp;
    grpc::ClientContext context;
    Attach(&context, kAdmin);
    grpc::Status st = stub->ListTasks(&context, req, &resp);
    if (!st.ok()) Die("ListTasks: " + st.error_message());
    plan_tasks.assign(resp.tasks().begin(), resp.tasks().end());
  }
  std::set<std::string> units;
  for (const v1::Task& t : plan_tasks)
    for (const std::string& u : t.definition().responsible_units()) units.insert(u);

  Read read;
  read.ledger = method == "ledger";
  if (read.ledger) {
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    req.set_grouping(v1::LEDGER_GROUPING_UNIT);
    read.path = "/luoshi.v1.TaskService/GetLedger";
    read.request = req.SerializeAsString();
  } else {
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(50);
    read.path = "/luoshi.v1.TaskService/ListTasks";
    read.request = req.SerializeAsString();
  }
  read.answer = DirectBytes(env.tasks_target, read);
  const std::string web_request = GrpcWebRequest(env.gateway_port, read.path, read.request, "10S");
  const std::string static_request = StaticRequest(env.gateway_port);
  {
    // The same answer through the gateway, byte for byte.
    ResponseParser p = BlockingExchange(env.gateway_port, web_request);
    size_t pos = 0;
    uint8_t flags = 0;
    absl::string_view payload;
    if (p.status() != 200 || !NextFrame(p.body(), &pos, &flags, &payload) || flags != 0 ||
        payload != read.answer)
      Die(absl::StrCat("the gateway's answer differs from the direct one (HTTP ", p.status(),
                       ", grpc-status ", p.grpc_status_header(), ")"));
  }
  size_t static_bytes = 0;
  {
    ResponseParser p = BlockingExchange(env.gateway_port, static_request);
    if (p.status() != 200)
      Die(absl::StrCat("GET / answered HTTP ", p.status(), " (is client-web/dist built?)"));
    static_bytes = p.body().size();
  }

  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf(
      "luoshi_gateway_bench: plan %s, %zu tasks, %zu responsible units; %s answer %zu bytes "
      "(request %zu bytes, grpc-web HTTP request %zu bytes); GET / body %zu bytes\n",
      plan_id.c_str(), plan_tasks.size(), units.size(), read.path.c_str(), read.answer.size(),
      read.request.size(), web_request.size(), static_bytes);
  std::printf("tasks pid %d port %d; gateway %s pid %d port %d, flags: %s\n", tasks.pid(), tasks.port(),
              gateway_binary.c_str(), gateway.pid(), gateway.port(),
              absl::StrJoin(gateway_args, " ").c_str());
  std::printf(
      "%d clients, %.0f s warm-up + %.0f s measured per phase, %d driving thread(s), answers %s; "
      "load average at start %.2f %.2f %.2f\n\n",
      clients, warmup, seconds, std::max(1, absl::GetFlag(FLAGS_load_threads)),
      absl::GetFlag(FLAGS_decode) ? "decoded" : "checked by length", load[0], load[1], load[2]);
  std::fflush(stdout);

  if (phases.count("rw")) {
    PrintHeader();
    std::vector<PhaseResult> direct, web;
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_rounds)); ++round) {
      direct.push_back(RunPhase(env, "direct gRPC", clients, warmup, seconds, read, nullptr, true));
      PrintRow(direct.back());
      web.push_back(
          RunPhase(env, "grpc-web via gateway", clients, warmup, seconds, read, &web_request, false));
      PrintRow(web.back());
    }
    PhaseResult d1, w1;
    const double single = absl::GetFlag(FLAGS_single_client_seconds);
    if (single > 0) {
      d1 = RunPhase(env, "direct gRPC", 1, warmup, single, read, nullptr, true);
      PrintRow(d1);
      w1 = RunPhase(env, "grpc-web via gateway", 1, warmup, single, read, &web_request, false);
      PrintRow(w1);
    }
    std::printf("\n");
    for (size_t i = 0; i < direct.size(); ++i) {
      const double ratio = web[i].Rate() / std::max(1e-9, direct[i].Rate());
      const double added = Percentile(web[i].tally.ms, 0.5) - Percentile(direct[i].tally.ms, 0.5);
      std::printf(
          "round %zu, %d clients: throughput gateway/direct %.3f (goal >= 0.6: %s); median latency "
          "added %.3f ms (goal <= 0.3 ms: %s)\n",
          i + 1, clients, ratio, ratio >= 0.6 ? "met" : "NOT met", added, added <= 0.3 ? "met" : "NOT met");
    }
    if (single > 0) {
      std::printf("1 client: throughput gateway/direct %.3f; median latency added %.3f ms (p90 %.3f ms)\n",
                  w1.Rate() / std::max(1e-9, d1.Rate()),
                  Percentile(w1.tally.ms, 0.5) - Percentile(d1.tally.ms, 0.5),
                  Percentile(w1.tally.ms, 0.9) - Percentile(d1.tally.ms, 0.9));
    }
    std::fflush(stdout);
  }
  if (phases.count("web")) {  // the gateway path alone, e.g. while a profiler watches the gateway
    std::printf("\n");
    PrintHeader();
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_rounds)); ++round)
      PrintRow(RunPhase(env, "grpc-web via gateway", clients, warmup, seconds, read, &web_request, false));
  }
  if (phases.count("static")) {
    std::printf("\n");
    PrintHeader();
    PrintRow(RunPhase(env, "GET / (index.html)", clients, warmup, seconds, read, &static_request, false));
  }
  if (phases.count("idle")) {
    std::printf("\n(gateway at start: VmRSS %.1f MiB, %d descriptors)\n", gateway_fresh.rss_kib / 1024.0,
                gateway_fresh.fds);
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_idle_rounds)); ++round)
      RunIdle(env, absl::GetFlag(FLAGS_idle_connections));
  }
  if (phases.count("watch")) {
    std::vector<ReportTarget> targets = ReportTargets(stub.get(), plan_tasks, 20);
    if (targets.empty()) Die("no task of the plan accepts a report from its first responsible unit");
    RunWatch(env, plan_id, targets, absl::GetFlag(FLAGS_reports));
  }

  getloadavg(load, 3);
  std::printf("\nload average at the end: %.2f %.2f %.2f; gateway log: %" PRIu64 " lines, %" PRIu64
              " warnings or errors; tasks log: %" PRIu64 " lines, %" PRIu64 " warnings or errors\n",
              load[0], load[1], load[2], gateway.log_lines(), gateway.problem_count(), tasks.log_lines(),
              tasks.problem_count());
  for (const std::string& line : gateway.Problems()) std::printf("  gateway: %s\n", line.c_str());
  for (const std::string& line : tasks.Problems()) std::printf("  tasks: %s\n", line.c_str());
  const std::string gateway_end = gateway.Stop();
  const std::string tasks_end = tasks.Stop();
  std::printf("gateway stopped: %s; tasks stopped: %s\n", gateway_end.c_str(), tasks_end.c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace luoshi::gateway_bench

int main(int argc, char** argv) {
  using namespace luoshi::gateway_bench;
  luoshi::ParseFlags(argc, argv,
                     "luoshi_gateway_bench: direct gRPC against grpc-web through luoshi-gateway, GET /, the "
                     "gateway's memory with idle connections, WatchTasks latency through the gateway.");
  std::atexit(KillChildrenNow);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE})
    signal(sig, OnFatalSignal);
  signal(SIGPIPE, SIG_IGN);
  // Hard stop: whatever hangs, the run ends and its children with it.
  const double max_seconds = absl::GetFlag(FLAGS_max_seconds);
  std::thread([max_seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(max_seconds));
    std::fprintf(stderr, "luoshi_gateway_bench: --max_seconds=%.0f reached, stopping\n", max_seconds);
    KillChildrenNow();
    _exit(3);
  }).detach();
  return Run();
}
