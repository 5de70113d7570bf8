// luoshi_load_test: mixed traffic against the real services on loopback, as many offices at once.
//
// Starts luoshi-ingestion, luoshi-indicators and luoshi-tasks on ephemeral ports with fresh databases,
// ingests the sample documents (so series, ledgers and the 121 tasks of seed 004 exist), then for
// --duration seconds runs --clients client threads, each on its own connection, mixing reads of series,
// observations, ledgers, task lists and tasks with progress reports, completion claims and their
// review, and now and then a new document; --watchers WatchTasks streams stay open the whole time. Each
// client reports only on its own share of the tasks, so every call is one that must succeed: any error
// is a failure. The resident memory of each service is sampled every --sample_seconds: all of it, and
// the part not backed by a file (the database pages readers map grow with the data and are the
// kernel's to drop; a leak shows in the rest).
//
// Prints per method: calls, errors, p50 and p99 latency; the memory samples; and exits 1 when a call
// failed, a method was never exercised, a watcher saw nothing or broke, or a service's memory not
// backed by a file grew after warm-up (the first third of the run) by more than --max_growth_mb.
// --rss_csv FILE writes the samples.
//
//   luoshi_load_test [--duration=30] [--clients=50] [--watchers=20] [--sample_seconds=10] [--rss_csv=F]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/files.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/process.h"

ABSL_FLAG(int, duration, 30, "Seconds of mixed traffic.");
ABSL_FLAG(int, clients, 50, "Concurrent client threads, each on its own connection.");
ABSL_FLAG(int, watchers, 20, "WatchTasks streams open for the whole run.");
ABSL_FLAG(int, sample_seconds, 10, "Seconds between memory samples of each service.");
ABSL_FLAG(int, max_growth_mb, 48, "Largest allowed growth of a service's memory after warm-up, in MiB.");
ABSL_FLAG(std::string, rss_csv, "", "Also write the memory samples here (seconds, then MiB per service).");
ABSL_FLAG(bool, writes, true,
          "Include writes (reports, reviews, ingests). false: reads only, so the data stay the same size and "
          "any memory growth is the services' own, not the data's.");

namespace luoshi::testing {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("LUOSHI_SOURCE_DIR");
  return dir ? dir : LUOSHI_SOURCE_DIR;
}

void Prepare(grpc::ClientContext* ctx, const Identity& who, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(who, ctx);
}

// Resident memory of a process in MiB: all of it (VmRSS), and the part not backed by a file (RssAnon:
// the heap and stacks, without the database pages the readers map). 0 when it cannot be read.
struct Rss {
  double total = 0, anon = 0;
};
Rss RssOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  Rss rss;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss.total = std::atof(line.c_str() + 6) / 1024.0;
    if (line.rfind("RssAnon:", 0) == 0) rss.anon = std::atof(line.c_str() + 8) / 1024.0;
  }
  return rss;
}

// Latencies and failures of one method, merged from every client at the end.
struct MethodStats {
  std::vector<double> millis;
  std::map<std::string, int> errors;  // "CODE: message" → count
};

class Recorder {
 public:
  void Add(const std::string& method, absl::Duration took, const grpc::Status& status) {
    MethodStats& m = local_[method];
    m.millis.push_back(absl::ToDoubleMilliseconds(took));
    if (!status.ok()) ++m.errors[absl::StrCat(status.error_code(), ": ", status.error_message().substr(0, 160))];
  }
  void MergeInto(std::map<std::string, MethodStats>* all) const {
    for (const auto& [method, stats] : local_) {
      MethodStats& to = (*all)[method];
      to.millis.insert(to.millis.end(), stats.millis.begin(), stats.millis.end());
      for (const auto& [e, n] : stats.errors) to.errors[e] += n;
    }
  }

 private:
  std::map<std::string, MethodStats> local_;
};

template <typename Fn>
grpc::Status Timed(Recorder* rec, const std::string& method, Fn&& call) {
  const absl::Time start = absl::Now();
  grpc::Status s = call();
  rec->Add(method, absl::Now() - start, s);
  return s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Series {
  std::string indicator_id, region;
};

class LoadRun {
 public:
  int Main() {
    dir_ = FreshTestDir("luoshi_load");
    if (!StartServices()) return 1;
    if (!LoadSamples()) return 1;
    std::printf("load: %zu tasks, %zu series; %d clients and %d watchers for %d s\n", tasks_.size(),
                series_.size(), absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_watchers),
                absl::GetFlag(FLAGS_duration));
    std::fflush(stdout);
    Run();
    const bool ok = Report();
    ingestion_.Stop();
    tasks_service_.Stop();
    indicators_.Stop();
    std::filesystem::remove_all(dir_);
    std::printf("load: %s\n", ok ? "PASSED" : "FAILED");
    return ok ? 0 : 1;
  }

 private:
  bool StartServices() {
    auto start = [&](ServiceProcess* p, const std::string& binary, std::vector<std::string> extra) {
      std::vector<std::string> args = AuthFlags();
      args.insert(args.end(), extra.begin(), extra.end());
      absl::Status s = p->Start(BinaryPath(binary), args);
      if (!s.ok()) std::fprintf(stderr, "load: cannot start %s: %s\n", binary.c_str(), std::string(s.message()).c_str());
      return s.ok();
    };
    return start(&indicators_, "indicators/luoshi-indicators", {"--db=" + dir_ + "/indicators.db"}) &&
           start(&tasks_service_, "tasks/luoshi-tasks", {"--db=" + dir_ + "/tasks.db"}) &&
           start(&ingestion_, "ingestion/luoshi-ingestion",
                 {"--db=" + dir_ + "/ingestion.db", "--indicators_addr=" + indicators_.address(),
                  "--tasks_addr=" + tasks_service_.address(), "--dispatch_interval_ms=50"});
  }

  // Ingests every sample document and waits until its figures and tasks have been delivered.
  bool LoadSamples() {
    auto ingestion = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/data/seeds")) {
      v1::IngestDocumentRequest req;
      absl::StatusOr<std::string> bytes = ReadFileToString(entry.path().string(), "sample document");
      if (!bytes.ok()) {
        std::fprintf(stderr, "load: %s\n", std::string(bytes.status().message()).c_str());
        return false;
      }
      req.set_content(*std::move(bytes));
      req.set_filename(entry.path().filename().string());
      v1::IngestDocumentResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, AdminIdentity("load"));
      grpc::Status s = ingestion->IngestDocument(&ctx, req, &resp);
      if (!s.ok()) {
        std::fprintf(stderr, "load: cannot ingest %s: %s\n", req.filename().c_str(), s.error_message().c_str());
        return false;
      }
      // Reports (not plans) are what clients ingest again as new documents during the run.
      if (resp.extraction().tasks_size() == 0) reports_.push_back(req);
    }
    auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_service_.address()));
    auto indicators = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && (tasks_.empty() || series_.empty())) {
      absl::SleepFor(absl::Milliseconds(200));
      v1::ListTasksRequest list;
      list.mutable_page()->set_page_size(1000);
      v1::ListTasksResponse listed;
      grpc::ClientContext tctx;
      Prepare(&tctx, AdminIdentity("load"));
      if (tasks->ListTasks(&tctx, list, &listed).ok()) {
        tasks_.clear();
        for (const auto& t : listed.tasks()) tasks_.push_back(t.id());
      }
      v1::QueryObservationsRequest query;
      query.mutable_page()->set_page_size(1000);
      v1::QueryObservationsResponse found;
      grpc::ClientContext ictx;
      Prepare(&ictx, AdminIdentity("load"));
      if (indicators->QueryObservations(&ictx, query, &found).ok()) {
        std::map<std::pair<std::string, std::string>, bool> seen;
        series_.clear();
        for (const auto& o : found.observations()) {
          if (o.indicator_id().empty() || o.region().empty()) continue;
          if (seen.emplace(std::make_pair(o.indicator_id(), o.region()), true).second) {
            series_.push_back({o.indicator_id(), o.region()});
          }
        }
      }
    }
    if (tasks_.empty() || series_.empty() || reports_.empty()) {
      std::fprintf(stderr, "load: the samples did not arrive (%zu tasks, %zu series, %zu reports)\n", tasks_.size(),
                   series_.size(), reports_.size());
      return false;
    }
    return true;
  }

  void Run() {
    const int clients = absl::GetFlag(FLAGS_clients);
    const absl::Time start = absl::Now();
    const absl::Time end = start + absl::Seconds(absl::GetFlag(FLAGS_duration));
    std::atomic<bool> stop{false};

    std::thread sampler([&] {
      const absl::Duration every = absl::Seconds(std::max(1, absl::GetFlag(FLAGS_sample_seconds)));
      for (absl::Time next = start; !stop.load(); next += every) {
        absl::SleepFor(next - absl::Now());
        absl::MutexLock lock(&mu_);
        const Rss a = RssOf(ingestion_.pid()), b = RssOf(indicators_.pid()), c = RssOf(tasks_service_.pid());
        samples_.push_back({absl::ToDoubleSeconds(absl::Now() - start), a.total, b.total, c.total, a.anon, b.anon,
                            c.anon});
        if (absl::Now() >= end) break;
      }
    });

    // The watchers: each its own stream for the whole run.
    std::vector<std::unique_ptr<grpc::ClientContext>> watch_contexts;
    std::vector<std::thread> watchers;
    auto watch_channel = MakeChannel(tasks_service_.address(), /*own_connection=*/true);
    for (int w = 0; w < absl::GetFlag(FLAGS_watchers); ++w) {
      watch_contexts.push_back(std::make_unique<grpc::ClientContext>());
      ProgramTokens().Attach(Identity{absl::StrCat("board-", w), "", Role::kViewer}, watch_contexts.back().get());
      watchers.emplace_back([&, ctx = watch_contexts.back().get()] {
        auto stub = v1::TaskService::NewStub(watch_channel);
        auto reader = stub->WatchTasks(ctx, {});
        v1::TaskEvent event;
        int64_t seen = 0;
        while (reader->Read(&event)) ++seen;
        grpc::Status s = reader->Finish();
        absl::MutexLock lock(&mu_);
        watch_events_.push_back(seen);
        if (s.error_code() != grpc::StatusCode::CANCELLED) {
          watch_errors_.push_back(absl::StrCat(s.error_code(), ": ", s.error_message()));
        }
      });
    }

    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Recorder rec;
        Client(c, clients, end, &rec);
        absl::MutexLock lock(&mu_);
        rec.MergeInto(&stats_);
      });
    }
    for (auto& t : threads) t.join();
    stop = true;
    for (auto& ctx : watch_contexts) ctx->TryCancel();
    for (auto& t : watchers) t.join();
    sampler.join();
  }

  // One office's client: its own connections, and its own share of the tasks to report on.
  void Client(int index, int clients, absl::Time end, Recorder* rec) {
    auto indicators = v1::IndicatorService::NewStub(MakeChannel(indicators_.address(), true));
    auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_service_.address(), true));
    auto ingestion = v1::IngestionService::NewStub(MakeChannel(ingestion_.address(), true));
    std::mt19937 rng(1000 + index);
    std::vector<std::string> mine;
    for (size_t i = index; i < tasks_.size(); i += clients) mine.push_back(tasks_[i]);
    const Identity office = AdminIdentity(absl::StrCat("office-", index));
    const Identity supervisor{absl::StrCat("supervisor-", index), "", Role::kSupervisor};
    int ingested = 0;
    auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    while (absl::Now() < end) {
      const int roll = std::uniform_int_distribution<int>(0, 999)(rng);
      grpc::ClientContext ctx;
      if (roll < 250) {
        const Series& s = series_[pick(series_.size())];
        v1::GetSeriesRequest req;
        req.set_indicator_id(s.indicator_id);
        req.set_region(s.region);
        v1::Series resp;
        Prepare(&ctx, office);
        Timed(rec, "GetSeries", [&] { return indicators->GetSeries(&ctx, req, &resp); });
      } else if (roll < 350) {
        v1::QueryObservationsRequest req;
        req.set_region(series_[pick(series_.size())].region);
        req.mutable_page()->set_page_size(50);
        v1::QueryObservationsResponse resp;
        Prepare(&ctx, office);
        Timed(rec, "QueryObservations", [&] { return indicators->QueryObservations(&ctx, req, &resp); });
      } else if (roll < 500) {
        v1::GetLedgerRequest req;
        req.set_grouping(roll % 2 == 0 ? v1::LEDGER_GROUPING_UNIT : v1::LEDGER_GROUPING_LEADER);
        v1::Ledger resp;
        Prepare(&ctx, office);
        Timed(rec, "GetLedger", [&] { return tasks->GetLedger(&ctx, req, &resp); });
      } else if (roll < 700) {
        v1::ListTasksRequest req;
        req.mutable_page()->set_page_size(50);
        v1::ListTasksResponse resp;
        Prepare(&ctx, office);
        Timed(rec, "ListTasks", [&] { return tasks->ListTasks(&ctx, req, &resp); });
      } else if (roll < 800) {
        v1::GetTaskRequest req;
        req.set_id(tasks_[pick(tasks_.size())]);
        v1::TaskDetail resp;
        Prepare(&ctx, office);
        Timed(rec, "GetTask", [&] { return tasks->GetTask(&ctx, req, &resp); });
      } else if (!absl::GetFlag(FLAGS_writes)) {
        continue;  // reads only: the roll that would have written is skipped
      } else if (roll < 960 || mine.empty()) {
        if (mine.empty()) continue;
        v1::ReportProgressRequest req;
        req.set_task_id(mine[pick(mine.size())]);
        req.set_percent(static_cast<int>(pick(100)));
        req.set_narrative(absl::StrCat("负载测试进展 ", index, "-", roll));
        v1::Task resp;
        Prepare(&ctx, office);
        Timed(rec, "ReportProgress", [&] { return tasks->ReportProgress(&ctx, req, &resp); });
      } else if (roll < 995 || std::uniform_int_distribution<int>(0, 19)(rng) > 0) {
        // (Only one in twenty of the remaining rolls ingests: a few documents, not a flood.)
        // A completion claim and its review (returned, so the task stays open for more reports).
        v1::ReportProgressRequest claim;
        claim.set_task_id(mine[pick(mine.size())]);
        claim.set_claims_completion(true);
        claim.set_narrative("申请办结");
        v1::Task claimed;
        Prepare(&ctx, office);
        if (!Timed(rec, "ReportProgress", [&] { return tasks->ReportProgress(&ctx, claim, &claimed); }).ok()) continue;
        v1::ReviewTaskRequest review;
        review.set_task_id(claim.task_id());
        review.set_accept(false);
        review.set_comment("材料不全，请补充");
        v1::Task reviewed;
        grpc::ClientContext rctx;
        Prepare(&rctx, supervisor);
        Timed(rec, "ReviewTask", [&] { return tasks->ReviewTask(&rctx, review, &reviewed); });
      } else {
        // A new report: a sample with a line of its own, so its bytes are new.
        v1::IngestDocumentRequest req = reports_[pick(reports_.size())];
        req.set_content(absl::StrCat(req.content(), "\n（负载测试副本 ", index, "-", ++ingested, "）\n"));
        v1::IngestDocumentResponse resp;
        Prepare(&ctx, office, 60);
        Timed(rec, "IngestDocument", [&] { return ingestion->IngestDocument(&ctx, req, &resp); });
      }
    }
  }

  bool Report() {
    absl::MutexLock lock(&mu_);  // every thread has finished; this only satisfies the annotations
    bool ok = true;
    std::printf("\n%-18s %8s %7s %9s %9s\n", "method", "calls", "errors", "p50 ms", "p99 ms");
    int64_t total = 0;
    for (const char* method : {"GetSeries", "QueryObservations", "GetLedger", "ListTasks", "GetTask",
                               "ReportProgress", "ReviewTask", "IngestDocument"}) {
      const bool write = std::string(method) == "ReportProgress" || std::string(method) == "ReviewTask" ||
                         std::string(method) == "IngestDocument";
      if (write && !absl::GetFlag(FLAGS_writes)) continue;
      const MethodStats& m = stats_[method];
      int errors = 0;
      for (const auto& [e, n] : m.errors) errors += n;
      total += static_cast<int64_t>(m.millis.size());
      std::printf("%-18s %8zu %7d %9.2f %9.2f\n", method, m.millis.size(), errors, Percentile(m.millis, 0.5),
                  Percentile(m.millis, 0.99));
      for (const auto& [e, n] : m.errors) std::printf("    %d× %s\n", n, e.c_str());
      if (errors > 0) ok = false;
      if (m.millis.empty()) {
        std::printf("    never called: the run was too short to exercise it\n");
        ok = false;
      }
    }
    std::printf("%-18s %8lld in %d s (%.0f calls/s)\n", "all", static_cast<long long>(total),
                absl::GetFlag(FLAGS_duration), static_cast<double>(total) / absl::GetFlag(FLAGS_duration));

    int64_t events = 0, quiet = 0;
    for (int64_t n : watch_events_) {
      events += n;
      quiet += n == 0;
    }
    std::printf("\nWatchTasks: %zu streams, %lld events received, %lld streams saw none, %zu broke\n",
                watch_events_.size(), static_cast<long long>(events), static_cast<long long>(quiet),
                watch_errors_.size());
    for (const auto& e : watch_errors_) std::printf("    %s\n", e.c_str());
    if (!watch_errors_.empty() || (quiet > 0 && absl::GetFlag(FLAGS_writes))) ok = false;

    std::printf("\nresident memory, MiB: all (VmRSS) and not file-backed (RssAnon)\n%8s %21s %21s %21s\n",
                "seconds", "ingestion", "indicators", "tasks");
    for (const auto& s : samples_) {
      std::printf("%8.0f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", s[0], s[1], s[4], s[2], s[5], s[3], s[6]);
    }
    if (const std::string path = absl::GetFlag(FLAGS_rss_csv); !path.empty()) {
      std::ofstream csv(path);
      csv << "seconds,ingestion_rss,indicators_rss,tasks_rss,ingestion_anon,indicators_anon,tasks_anon\n";
      for (const auto& s : samples_) {
        csv << absl::StrFormat("%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
      }
    }
    // Growth after warm-up, of the memory that is not the database's mapped pages (those grow with the
    // data, as they should): the last sample against the first one at or after a third of the run.
    const double warm = absl::GetFlag(FLAGS_duration) / 3.0;
    const auto first = std::find_if(samples_.begin(), samples_.end(), [&](const auto& s) { return s[0] >= warm; });
    if (first == samples_.end() || first + 1 >= samples_.end()) {
      std::printf("memory: too few samples after warm-up to judge growth (use a longer --duration)\n");
      ok = false;
    } else {
      const char* names[] = {"ingestion", "indicators", "tasks"};
      for (int i = 1; i <= 3; ++i) {
        const double growth = samples_.back()[i + 3] - (*first)[i + 3];
        const bool grew = growth > absl::GetFlag(FLAGS_max_growth_mb);
        std::printf("memory: %s %+.1f MiB not file-backed from %.0f s to the end%s\n", names[i - 1], growth, (*first)[0],
                    grew ? " — MORE than allowed" : "");
        if (grew) ok = false;
      }
    }
    return ok;
  }

  std::string dir_;
  ServiceProcess ingestion_, indicators_, tasks_service_;
  std::vector<std::string> tasks_;
  std::vector<Series> series_;
  std::vector<v1::IngestDocumentRequest> reports_;
  absl::Mutex mu_;
  std::map<std::string, MethodStats> stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::array<double, 7>> samples_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> watch_events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> watch_errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace
}  // namespace luoshi::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return luoshi::testing::LoadRun().Main();
}
