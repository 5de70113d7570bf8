// luoshi_auth_bench: what verified identity costs a read (docs/benchmarks.md, "Identity: verification and
// TLS on a read (issue 18)"). A program that prints figures, not a test.
//
// One process serves the same task database (the 121 tasks of seed 004's division plan, imported through
// TaskLogic) on several loopback ports, one per configuration, and drives each with the same closed-loop
// clients (one call in flight each, every client its own connection, as separate offices would have):
//   - "no identity": a bench-only service that answers the read with a fixed caller and reads no token,
//     the cost of the call before issue 18 (plaintext);
//   - "token": the real GrpcService, the caller's token verified on every call (cached, as deployed);
//   - "token, uncached": the same with a one-entry cache and every client cycling through its own tokens,
//     so nearly every call pays the full ES256 check (what the cache saves);
//   - "TLS + token" and "mTLS + token": the real service behind TLS (server certificate only) and
//     mutual TLS (client certificates required), certificates from deploy/tls/make-dev-ca.sh;
//   - "mTLS + token, uncached".
// Rounds alternate the configurations so that drift on the machine falls on all of them alike; each row
// prints calls per second, p50/p99 latency, the process's CPU per call and the ratio against "no identity"
// of the same round and client count. Bounded: fixed durations, loopback only, temporary files removed.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/files.h"
#include "services/common/flags.h"
#include "services/common/raw_call.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/tasks/grpc_service.h"
#include "services/tasks/sqlite_store.h"
#include "services/tasks/test_util.h"

ABSL_FLAG(double, seconds, 3, "Measured seconds per configuration and client count, per round.");
ABSL_FLAG(double, warmup_seconds, 0.5, "Unmeasured calls before each measurement.");
ABSL_FLAG(std::string, clients, "1,16", "Client counts to measure (comma-separated).");
ABSL_FLAG(int, rounds, 2, "Rounds over all configurations.");
ABSL_FLAG(std::string, method, "ledger", "The read: ledger (GetLedger of the plan by unit) or list (ListTasks, 50).");

namespace luoshi::tasks {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The read without any identity check: what a call cost before tokens. Parses the request and answers
// from the same TaskLogic as the real service, as a fixed viewer.
class NoIdentityService final : public TaskServiceBase {
 public:
  explicit NoIdentityService(TaskLogic* logic) : logic_(logic) {}

  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override {
    return Answer<v1::ListTasksRequest>(c, req, resp, [&](const auto& r) { return logic_->ListTasksBytes(who_, r); });
  }
  grpc::ServerUnaryReactor* GetLedger(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override {
    return Answer<v1::GetLedgerRequest>(c, req, resp, [&](const auto& r) { return logic_->GetLedgerBytes(who_, r); });
  }

 private:
  template <typename Request, typename Fn>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                                   grpc::ByteBuffer* resp, Fn&& fn) {
    Request decoded;
    if (grpc::Status parsed = ParseRaw(req, &decoded); !parsed.ok()) return FinishNow(c, parsed);
    auto bytes = fn(static_cast<const Request&>(decoded));
    if (!bytes.ok()) return FinishNow(c, grpc::Status(grpc::StatusCode::INTERNAL, std::string(bytes.status().message())));
    grpc::ByteBuffer out = ByteBufferOf(*std::move(bytes));
    resp->Swap(&out);
    return FinishNow(c, grpc::Status::OK);
  }

  TaskLogic* logic_;
  const Identity who_{"bench", "", Role::kViewer};
};

struct Config {
  std::string name;
  std::string tls;       // "", "tls" or "mtls"
  bool uncached = false; // tokens cycle past a one-entry cache
  bool identity = true;  // false: NoIdentityService
  std::unique_ptr<ServiceHost> host;
  std::string target;
};

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Result {
  double rate = 0, p50 = 0, p99 = 0, cpu_us = 0;
  int errors = 0;
  std::string first_error;
};

int Main() {
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const double warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const bool ledger = absl::GetFlag(FLAGS_method) != "list";
  std::vector<int> client_counts;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_clients), ',', absl::SkipEmpty())) {
    client_counts.push_back(std::atoi(std::string(part).c_str()));
  }
  int max_clients = 1;
  for (int c : client_counts) max_clients = std::max(max_clients, c);

  // ---- Data and certificates in a temporary directory ----------------------------------------
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("luoshi-auth-bench-", getpid());
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string ca_dir = (dir / "tls").string();
  const std::string make_ca =
      absl::StrCat(LUOSHI_SOURCE_DIR, "/deploy/tls/make-dev-ca.sh '", ca_dir, "' tasks cli >/dev/null");
  if (std::system(make_ca.c_str()) != 0) {
    std::fprintf(stderr, "could not make certificates with %s\n", make_ca.c_str());
    return 1;
  }
  auto read = [&](const std::string& name) {
    auto text = ReadFileToString(ca_dir + "/" + name, "certificate");
    return text.ok() ? *text : std::string();
  };

  auto store = SqliteTaskStore::Open((dir / "tasks.db").string());
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  UnitDirectory units;
  TaskLogic logic(store->get(), &units, SystemClock::Get(), nullptr);
  auto plan = testing::PlanFromSeed(absl::StrCat(LUOSHI_SOURCE_DIR, "/", testing::kSeed004));
  if (!plan.ok()) {
    std::fprintf(stderr, "seed: %s\n", plan.status().ToString().c_str());
    return 1;
  }
  auto imported = logic.ImportPlan(AdminIdentity(), *plan);
  if (!imported.ok()) {
    std::fprintf(stderr, "import: %s\n", imported.status().ToString().c_str());
    return 1;
  }
  const std::string plan_id = imported->plan().id();
  std::printf("plan %s: %d tasks; read: %s\n", plan_id.c_str(), imported->plan().task_count(),
              ledger ? "GetLedger (by unit)" : "ListTasks (page of 50)");

  // ---- Tokens: one per client (cached configurations), eight per client (uncached) --------------
  TestTokens tokens;
  const Identity viewer{"viewer", "", Role::kViewer};
  std::vector<std::vector<std::string>> client_tokens(max_clients);
  for (int c = 0; c < max_clients; ++c) {
    for (int k = 0; k < 8; ++k) {
      TokenClaims claims;
      claims.subject = absl::StrCat("viewer-", c);
      claims.role = "viewer";
      claims.expires_at = absl::Now() + absl::Hours(2);
      client_tokens[c].push_back(tokens.Issue(claims, absl::Now()));
    }
  }
  auto uncached_auth = std::make_unique<Authenticator>(
      [&] {
        auto v = std::make_unique<TokenVerifier>();
        (void)v->AddPublicKey(tokens.keys().public_pem);
        return v;
      }(),
      SystemClock::Get(), /*cache_capacity=*/1);

  // ---- One server per configuration ---------------------------------------------------------
  absl::SetFlag(&FLAGS_max_threads, max_clients * 2 + 8);
  NoIdentityService bare(&logic);
  GrpcService cached_service(&logic, tokens.authenticator());
  GrpcService uncached_service(&logic, uncached_auth.get());
  std::vector<Config> configs;
  configs.push_back({"no identity (plaintext)", "", false, false});
  configs.push_back({"token (plaintext)", "", false, true});
  configs.push_back({"token, uncached (plaintext)", "", true, true});
  configs.push_back({"TLS + token", "tls", false, true});
  configs.push_back({"mTLS + token", "mtls", false, true});
  configs.push_back({"mTLS + token, uncached", "mtls", true, true});
  for (Config& config : configs) {
    absl::SetFlag(&FLAGS_tls_cert, config.tls.empty() ? "" : ca_dir + "/tasks.pem");
    absl::SetFlag(&FLAGS_tls_key, config.tls.empty() ? "" : ca_dir + "/tasks.key");
    absl::SetFlag(&FLAGS_tls_client_ca, config.tls == "mtls" ? ca_dir + "/ca.pem" : "");
    config.host = std::make_unique<ServiceHost>("auth-bench", TaskServerLimits());
    grpc::Service* service = !config.identity ? static_cast<grpc::Service*>(&bare)
                             : config.uncached ? static_cast<grpc::Service*>(&uncached_service)
                                               : static_cast<grpc::Service*>(&cached_service);
    config.host->AddService(service, "luoshi.v1.TaskService");
    if (auto s = config.host->Start("127.0.0.1:0"); !s.ok()) {
      std::fprintf(stderr, "start %s: %s\n", config.name.c_str(), s.ToString().c_str());
      return 1;
    }
    config.target = absl::StrCat("localhost:", config.host->port());
  }

  auto channel_credentials = [&](const std::string& tls) -> std::shared_ptr<grpc::ChannelCredentials> {
    if (tls.empty()) return grpc::InsecureChannelCredentials();
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = read("ca.pem");
    if (tls == "mtls") {
      o.pem_cert_chain = read("cli.pem");
      o.pem_private_key = read("cli.key");
    }
    return grpc::SslCredentials(o);
  };

  std::string request;
  if (ledger) {
    v1::GetLedgerRequest r;
    r.set_plan_id(plan_id);
    r.set_grouping(v1::LEDGER_GROUPING_UNIT);
    request = r.SerializeAsString();
  } else {
    v1::ListTasksRequest r;
    r.mutable_filter()->set_plan_id(plan_id);
    r.mutable_page()->set_page_size(50);
    request = r.SerializeAsString();
  }

  // Runs `clients` closed-loop clients against `config`.
  auto measure = [&](const Config& config, int clients) {
    std::vector<std::unique_ptr<v1::TaskService::Stub>> stubs;
    for (int c = 0; c < clients; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("luoshi.bench_client", c);  // a connection of its own
      stubs.push_back(v1::TaskService::NewStub(
          grpc::CreateCustomChannel(config.target, channel_credentials(config.tls), args)));
    }
    std::atomic<bool> measuring{false}, stop{false};
    absl::Mutex mu;
    Result result;
    std::vector<double> all;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        std::vector<double> mine;
        int errors = 0;
        std::string first_error;
        size_t turn = 0;
        v1::GetLedgerRequest ledger_request;
        v1::ListTasksRequest list_request;
        (void)(ledger ? ledger_request.ParseFromString(request) : list_request.ParseFromString(request));
        while (!stop.load()) {
          grpc::ClientContext ctx;
          const std::vector<std::string>& mine_tokens = client_tokens[c];
          const std::string& token = config.uncached ? mine_tokens[turn++ % mine_tokens.size()] : mine_tokens[0];
          if (config.identity) AttachToken(token, &ctx);
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          const bool counted = measuring.load();
          const auto start = SteadyClock::now();
          grpc::Status status;
          if (ledger) {
            v1::Ledger answer;
            status = stubs[c]->GetLedger(&ctx, ledger_request, &answer);
          } else {
            v1::ListTasksResponse answer;
            status = stubs[c]->ListTasks(&ctx, list_request, &answer);
          }
          if (!counted) continue;
          if (!status.ok()) {
            if (errors++ == 0) first_error = status.error_message();
            continue;
          }
          mine.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
        }
        absl::MutexLock lock(&mu);
        all.insert(all.end(), mine.begin(), mine.end());
        result.errors += errors;
        if (result.first_error.empty()) result.first_error = first_error;
      });
    }
    absl::SleepFor(absl::Seconds(warmup));
    const double cpu0 = ProcessCpuSeconds();
    measuring = true;
    const auto t0 = SteadyClock::now();
    absl::SleepFor(absl::Seconds(seconds));
    measuring = false;
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const double cpu1 = ProcessCpuSeconds();
    stop = true;
    for (auto& t : threads) t.join();
    std::sort(all.begin(), all.end());
    result.rate = all.size() / elapsed;
    if (!all.empty()) {
      result.p50 = all[all.size() / 2];
      result.p99 = all[std::min(all.size() - 1, all.size() * 99 / 100)];
      result.cpu_us = (cpu1 - cpu0) * 1e6 / all.size();
    }
    return result;
  };

  std::printf("%-30s %7s %10s %8s %8s %10s %9s\n", "configuration", "clients", "calls/s", "p50 ms", "p99 ms",
              "CPU µs/call", "vs none");
  const int rounds = absl::GetFlag(FLAGS_rounds);
  int failures = 0;
  for (int round = 1; round <= rounds; ++round) {
    std::printf("-- round %d\n", round);
    for (int clients : client_counts) {
      double baseline = 0;
      for (const Config& config : configs) {
        Result r = measure(config, clients);
        if (!config.identity) baseline = r.rate;
        std::printf("%-30s %7d %10.0f %8.3f %8.3f %10.1f %9.3f\n", config.name.c_str(), clients, r.rate, r.p50,
                    r.p99, r.cpu_us, baseline > 0 ? r.rate / baseline : 0.0);
        if (r.errors > 0) {
          ++failures;
          std::printf("   %d calls failed, first: %s\n", r.errors, r.first_error.c_str());
        }
        std::fflush(stdout);
      }
    }
  }
  for (Config& config : configs) config.host->Shutdown(absl::Seconds(1));
  logic.Shutdown();
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace luoshi::tasks

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  luoshi::TuneProcessForServing();  // as the service binary does
  return luoshi::tasks::Main();
}
