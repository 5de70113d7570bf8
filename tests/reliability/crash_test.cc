// luoshi_crash_test: kill -9 while working, and prove that nothing acknowledged is lost or doubled.
//
// Starts the three services (real binaries, real SQLite files, loopback ports chosen once and kept
// across restarts), imports the division plan (seed 004), then lets C client threads ingest N
// documents (the seeds and variants of them that differ in their bytes) and send M progress reports
// (each with its own request_id) while a killer thread kill -9s a randomly chosen service every
// kill_min_ms..kill_max_ms and restarts it on the same port. A client retries whatever was not
// acknowledged, with the same key (the document's bytes, the report's request_id), until it is.
//
// Afterwards, with every service up and the outbox drained (bounded wait):
//   - every acknowledged document is listed exactly once, and nothing else;
//   - every document's observations are at the indicator service exactly as its extraction counted
//     them (observation_count less the figures held back), none twice;
//   - the plan is there once with all its tasks;
//   - every acknowledged report is in its task's reports exactly once, on the right task, with one
//     journal entry for its period (no report half-written), and no report that was never sent;
//   - no delivery is pending; then, the services stopped, each database passes PRAGMA integrity_check
//     and foreign_key_check, the outbox table has no pending row, and the tasks database holds one
//     request id per report.
// Prints a summary; exit code 0 when every check holds, 1 otherwise.
#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/test_tokens.h"
#include "tests/common/process.h"

ABSL_FLAG(int, documents, 60, "documents to ingest: the five seeds, then variants of seeds 000-003");
ABSL_FLAG(int, reports, 600, "progress reports to send, each with its own request_id");
ABSL_FLAG(int, clients, 8, "concurrent client threads sharing the documents and reports");
ABSL_FLAG(int, kill_min_ms, 2000, "shortest pause between two kills");
ABSL_FLAG(int, kill_max_ms, 5000, "longest pause between two kills");
ABSL_FLAG(int, min_kills, 6, "keep killing (after the work is done, if need be) until this many kills");
ABSL_FLAG(uint32_t, seed, 1, "seed of the random choices (which service, when, which task)");
ABSL_FLAG(bool, spread, true,
          "spread the work over min_kills average kill intervals (so the kills land while it runs) "
          "instead of sending as fast as the services answer");
ABSL_FLAG(int, item_timeout_s, 180, "give up on one document or report after retrying this long");
ABSL_FLAG(int, drain_timeout_s, 180, "wait at most this long for the outbox to drain at the end");
ABSL_FLAG(std::string, source_dir, LUOSHI_SOURCE_DIR, "the repository (for data/seeds)");
ABSL_FLAG(bool, keep_dir, false, "keep the databases and logs even when every check holds");

namespace luoshi::testing {
namespace {

using std::chrono::system_clock;

// Every failed check, printed at the end.
class Failures {
 public:
  void Add(const std::string& what) {
    absl::MutexLock lock(&mu_);
    if (list_.size() < 50) list_.push_back(what);
    ++count_;
  }
  int count() {
    absl::MutexLock lock(&mu_);
    return count_;
  }
  void Print() {
    absl::MutexLock lock(&mu_);
    for (const auto& f : list_) std::printf("FAILED: %s\n", f.c_str());
    const int shown = static_cast<int>(list_.size());
    if (count_ > shown) std::printf("… and %d more\n", count_ - shown);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> list_ ABSL_GUARDED_BY(mu_);
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

// A channel that reconnects quickly to a restarted service (gRPC's default backoff grows to minutes).
std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void Prepare(grpc::ClientContext* ctx, const std::string& user, int seconds = 10) {
  ctx->set_deadline(system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity(user), ctx);
}

// What a client may retry: the call got no answer, or the service was going down or busy. Anything
// else (INVALID_ARGUMENT, ALREADY_EXISTS, …) is a wrong answer and fails the run.
bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

// The three services, each restartable on the port it was first given.
class System {
 public:
  explicit System(std::string dir) : dir_(std::move(dir)) {}

  absl::Status StartAll() {
    if (auto s = Start(kIndicators); !s.ok()) return s;
    if (auto s = Start(kTasks); !s.ok()) return s;
    return Start(kIngestion);
  }
  // kill -9 then start again on the same port; `log_of_killed` gets what the killed process wrote.
  absl::Status KillAndRestart(int which, absl::Duration down, std::string* log_of_killed) {
    *log_of_killed = procs_[which].Log();
    procs_[which].Kill();
    absl::SleepFor(down);
    absl::Status s;
    for (int attempt = 0; attempt < 3; ++attempt) {
      s = Start(which);
      if (s.ok()) return s;
    }
    return s;
  }
  // SIGTERM each; false when one does not exit cleanly.
  bool StopAll(Failures* failures) {
    bool clean = true;
    for (int which : {kIngestion, kTasks, kIndicators}) {
      const int code = procs_[which].Stop();
      if (code != 0) {
        failures->Add(absl::StrCat(kNames[which], " exited with ", code, " on SIGTERM:\n", procs_[which].Log()));
        clean = false;
      }
    }
    return clean;
  }
  std::string address(int which) const { return addresses_[which]; }
  std::string db(int which) const { return absl::StrCat(dir_, "/", kNames[which], ".db"); }

  static constexpr int kIngestion = 0, kIndicators = 1, kTasks = 2;
  static constexpr const char* kNames[] = {"ingestion", "indicators", "tasks"};

 private:
  absl::Status Start(int which) {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + db(which));
    // The first start takes a free port; every restart takes the same one.
    if (!addresses_[which].empty()) args.push_back("--listen=" + addresses_[which]);
    std::string binary;
    if (which == kIngestion) {
      binary = "ingestion/luoshi-ingestion";
      for (std::string a : {"--indicators_addr=" + addresses_[kIndicators], "--tasks_addr=" + addresses_[kTasks],
                            std::string("--dispatch_interval_ms=50"), std::string("--retry_max_ms=500"),
                            std::string("--delivery_deadline_ms=2000")}) {
        args.push_back(std::move(a));
      }
    } else {
      binary = which == kIndicators ? "indicators/luoshi-indicators" : "tasks/luoshi-tasks";
    }
    absl::Status s = procs_[which].Start(BinaryPath(binary), args);
    if (s.ok()) addresses_[which] = procs_[which].address();
    return s;
  }

  std::string dir_;
  ServiceProcess procs_[3];
  std::string addresses_[3];
};

struct Doc {
  std::string name;
  std::string content;
  std::string id;       // once acknowledged
  bool acked = false;
};

struct Report {
  std::string task_id;
  int percent = 0;
  std::string request_id;
  bool acked = false;
};

struct Counters {
  std::atomic<int> doc_attempts{0}, report_attempts{0}, doc_retries{0}, report_retries{0};
};

// Sends `call` until it is answered OK, retrying what may be retried; false when it gives up.
template <typename Call>
bool UntilAcknowledged(Call call, absl::Duration limit, std::atomic<int>* attempts, std::atomic<int>* retries,
                       std::string* last_error) {
  const absl::Time give_up = absl::Now() + limit;
  absl::Duration pause = absl::Milliseconds(50);
  for (int attempt = 0;; ++attempt) {
    ++*attempts;
    if (attempt > 0) ++*retries;
    grpc::Status s = call();
    if (s.ok()) return true;
    *last_error = absl::StrCat(s.error_code(), " ", s.error_message());
    if (!Retryable(s.error_code()) || absl::Now() > give_up) return false;
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(1000));
  }
}

// Every stored document, all pages.
bool ListAllDocuments(v1::IngestionService::Stub& stub, std::vector<v1::Document>* out, std::string* error) {
  out->clear();
  v1::ListDocumentsRequest req;
  req.mutable_page()->set_page_size(1000);
  do {
    v1::ListDocumentsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, "crash-check", 30);
    grpc::Status s = stub.ListDocuments(&ctx, req, &resp);
    if (!s.ok()) {
      *error = s.error_message();
      return false;
    }
    for (auto& d : *resp.mutable_documents()) out->push_back(std::move(d));
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  return true;
}

int CountObservationsOf(v1::IndicatorService::Stub& stub, const std::string& document_id) {
  v1::QueryObservationsRequest req;
  req.set_document_id(document_id);
  req.set_all_vintages(true);
  req.mutable_page()->set_page_size(1000);
  int n = 0;
  do {
    v1::QueryObservationsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, "crash-check", 30);
    if (!stub.QueryObservations(&ctx, req, &resp).ok()) return -1;
    n += resp.observations_size();
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  return n;
}

// PRAGMA integrity_check and foreign_key_check on a file opened read-only, plus one count query.
void CheckDatabase(const std::string& path, const std::string& count_sql, int64_t expected_count,
                   Failures* failures) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    failures->Add(absl::StrCat(path, ": cannot open: ", db ? sqlite3_errmsg(db) : "?"));
    sqlite3_close(db);
    return;
  }
  auto rows = [&](const std::string& sql, std::vector<std::string>* out) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      failures->Add(absl::StrCat(path, ": ", sql, ": ", sqlite3_errmsg(db)));
      return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st, 0);
      out->push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    sqlite3_finalize(st);
  };
  std::vector<std::string> integrity, foreign, count;
  rows("PRAGMA integrity_check", &integrity);
  if (integrity != std::vector<std::string>{"ok"}) {
    failures->Add(absl::StrCat(path, ": integrity_check: ", integrity.empty() ? "no answer" : integrity[0]));
  }
  rows("PRAGMA foreign_key_check", &foreign);
  if (!foreign.empty()) {
    failures->Add(absl::StrCat(path, ": foreign_key_check: ", foreign.size(), " rows, first in table ", foreign[0]));
  }
  if (!count_sql.empty()) {
    rows(count_sql, &count);
    if (count.size() != 1 || count[0] != std::to_string(expected_count)) {
      failures->Add(absl::StrCat(path, ": ", count_sql, " gives ", count.empty() ? "nothing" : count[0],
                                 ", expected ", expected_count));
    }
  }
  sqlite3_close(db);
}

int Run() {
  const int n_docs = absl::GetFlag(FLAGS_documents);
  const int n_reports = absl::GetFlag(FLAGS_reports);
  const int n_clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const int kill_min = absl::GetFlag(FLAGS_kill_min_ms), kill_max = absl::GetFlag(FLAGS_kill_max_ms);
  const int min_kills = absl::GetFlag(FLAGS_min_kills);
  const uint32_t seed = absl::GetFlag(FLAGS_seed);
  const absl::Duration item_limit = absl::Seconds(absl::GetFlag(FLAGS_item_timeout_s));
  if (kill_min <= 0 || kill_max < kill_min || n_docs < 5) {
    std::fprintf(stderr, "need 0 < --kill_min_ms <= --kill_max_ms and --documents >= 5 (the seeds)\n");
    return 2;
  }
  const absl::Time started = absl::Now();
  Failures failures;
  const std::string dir = FreshTestDir("luoshi_crash");
  System system(dir);
  if (absl::Status s = system.StartAll(); !s.ok()) {
    std::printf("cannot start the services: %s\n", s.ToString().c_str());
    return 1;
  }

  // The documents: the seeds as they are, then variants of seeds 000-003 (a line appended, so new
  // bytes and a new document, the same figures). Seed 004, the division plan, is imported once first.
  const std::vector<std::string> seeds = SeedPaths(absl::GetFlag(FLAGS_source_dir));
  if (seeds.size() != 5) {
    std::printf("expected 5 seeds in data/seeds, found %zu\n", seeds.size());
    return 1;
  }
  std::vector<Doc> docs;
  docs.reserve(n_docs);
  for (const auto& path : seeds) docs.push_back({std::filesystem::path(path).filename().string(), ReadTestFile(path)});
  for (int i = 0; static_cast<int>(docs.size()) < n_docs; ++i) {
    const std::string name = absl::StrCat("variant_", i, "_", docs[i % 4].name);
    std::string content = absl::StrCat(docs[i % 4].content, "\n（核对副本 ",
                                       std::string(1 + i / 26, static_cast<char>('a' + i % 26)), "）\n");
    docs.push_back({name, std::move(content)});
  }
  Counters counters;
  auto ingest = [&](v1::IngestionService::Stub& stub, Doc& doc, const std::string& user) {
    v1::IngestDocumentRequest req;
    req.set_content(doc.content);
    req.set_filename(doc.name);
    v1::IngestDocumentResponse resp;
    std::string error;
    bool ok = UntilAcknowledged(
        [&] {
          grpc::ClientContext ctx;
          Prepare(&ctx, user, 20);
          return stub.IngestDocument(&ctx, req, &resp);
        },
        item_limit, &counters.doc_attempts, &counters.doc_retries, &error);
    if (!ok) {
      failures.Add(absl::StrCat("ingest ", doc.name, ": ", error));
      return;
    }
    doc.id = resp.document().id();
    doc.acked = true;
  };

  // The plan first, and its tasks (delivered through the outbox) before any report.
  const int plan_doc = 4;
  std::vector<std::string> task_ids;
  {
    auto stub = v1::IngestionService::NewStub(FastReconnectChannel(system.address(System::kIngestion)));
    ingest(*stub, docs[plan_doc], "crash-setup");
    auto tasks = v1::TaskService::NewStub(FastReconnectChannel(system.address(System::kTasks)));
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (task_ids.empty() && absl::Now() < deadline) {
      v1::ListTasksRequest req;
      req.mutable_page()->set_page_size(1000);
      v1::ListTasksResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, "crash-setup");
      if (tasks->ListTasks(&ctx, req, &resp).ok()) {
        for (const auto& t : resp.tasks()) task_ids.push_back(t.id());
      }
      if (task_ids.empty()) absl::SleepFor(absl::Milliseconds(100));
    }
    if (task_ids.size() != 121) {
      std::printf("the plan did not arrive: %zu tasks\n", task_ids.size());
      return 1;
    }
  }

  std::mt19937 rng(seed);
  std::vector<Report> reports(n_reports);
  for (int i = 0; i < n_reports; ++i) {
    reports[i].task_id = task_ids[rng() % task_ids.size()];
    reports[i].percent = static_cast<int>(rng() % 100);
    reports[i].request_id = absl::StrCat("crash-", seed, "-", i);
  }
  // One shared queue of work in a random order: documents (the plan aside) and reports mixed.
  std::vector<std::pair<bool, int>> work;  // (is_doc, index)
  for (int i = 0; i < static_cast<int>(docs.size()); ++i) {
    if (i != plan_doc) work.emplace_back(true, i);
  }
  for (int i = 0; i < n_reports; ++i) work.emplace_back(false, i);
  std::shuffle(work.begin(), work.end(), rng);
  std::atomic<size_t> next{0};
  std::atomic<bool> work_done{false};

  // The killer: a random service every kill_min..kill_max ms, restarted after a short random pause.
  std::atomic<int> kills{0}, kills_during_work{0};
  std::atomic<bool> stop_killing{false};
  // A service restarted by the killer is its child process, and ServiceProcess asks the kernel to
  // SIGTERM a child when the thread that forked it ends (PR_SET_PDEATHSIG follows the thread, not the
  // process). So the killer thread stays alive until every check is done and the services stopped.
  absl::Notification killer_may_exit;
  int kills_per_service[3] = {0, 0, 0};
  std::thread killer([&] {
    std::mt19937 krng(seed ^ 0x9e3779b9u);
    while (!stop_killing) {
      absl::Time wake = absl::Now() + absl::Milliseconds(kill_min + static_cast<int>(krng() % (kill_max - kill_min + 1)));
      while (absl::Now() < wake && !stop_killing) absl::SleepFor(absl::Milliseconds(20));
      if (stop_killing) break;
      const int which = static_cast<int>(krng() % 3);
      std::string log;
      absl::Status s = system.KillAndRestart(which, absl::Milliseconds(krng() % 300), &log);
      ++kills;
      ++kills_per_service[which];
      if (!work_done) ++kills_during_work;
      if (!s.ok()) {
        failures.Add(absl::StrCat("restart of ", System::kNames[which], " failed: ", s.ToString(),
                                  "\nits log before the kill:\n", log));
        stop_killing = true;
      }
    }
    killer_may_exit.WaitForNotification();
  });

  // With --spread, item i is not started before work_start + i * (spread / items).
  const absl::Time work_start = absl::Now();
  const absl::Duration spread = absl::GetFlag(FLAGS_spread)
                                    ? absl::Milliseconds(static_cast<int64_t>(min_kills) * (kill_min + kill_max) / 2)
                                    : absl::ZeroDuration();
  std::vector<std::thread> clients;
  for (int c = 0; c < n_clients; ++c) {
    clients.emplace_back([&, c] {
      const std::string user = absl::StrCat("crash-client-", c);
      auto ingestion = v1::IngestionService::NewStub(FastReconnectChannel(system.address(System::kIngestion)));
      auto tasks = v1::TaskService::NewStub(FastReconnectChannel(system.address(System::kTasks)));
      for (size_t i = next++; i < work.size(); i = next++) {
        const absl::Time due = work_start + spread * static_cast<double>(i) / static_cast<double>(work.size());
        if (absl::Now() < due) absl::SleepFor(due - absl::Now());
        if (work[i].first) {
          ingest(*ingestion, docs[work[i].second], user);
          continue;
        }
        Report& r = reports[work[i].second];
        v1::ReportProgressRequest req;
        req.set_task_id(r.task_id);
        req.set_percent(r.percent);
        req.set_narrative(absl::StrCat("crash report ", r.request_id));
        req.set_request_id(r.request_id);
        v1::Task resp;
        std::string error;
        if (UntilAcknowledged(
                [&] {
                  grpc::ClientContext ctx;
                  Prepare(&ctx, user);
                  return tasks->ReportProgress(&ctx, req, &resp);
                },
                item_limit, &counters.report_attempts, &counters.report_retries, &error)) {
          r.acked = true;
        } else {
          failures.Add(absl::StrCat("report ", r.request_id, " on ", r.task_id, ": ", error));
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  work_done = true;
  const absl::Duration work_time = absl::Now() - started;
  while (kills < min_kills && !stop_killing) absl::SleepFor(absl::Milliseconds(50));
  stop_killing = true;

  // ---- Checks, every service up ----
  int docs_acked = 0, reports_acked = 0;
  for (const Doc& d : docs) docs_acked += d.acked;
  for (const Report& r : reports) reports_acked += r.acked;
  int docs_present = 0, reports_present = 0, pending = 0;
  auto ingestion = v1::IngestionService::NewStub(FastReconnectChannel(system.address(System::kIngestion)));
  auto indicators = v1::IndicatorService::NewStub(FastReconnectChannel(system.address(System::kIndicators)));
  auto tasks = v1::TaskService::NewStub(FastReconnectChannel(system.address(System::kTasks)));

  // The outbox drains: no delivery pending (bounded wait).
  std::vector<v1::Document> listed;
  const absl::Time drain_deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_drain_timeout_s));
  const absl::Time drain_start = absl::Now();
  std::string error;
  while (true) {
    pending = 0;
    if (ListAllDocuments(*ingestion, &listed, &error)) {
      for (const auto& d : listed) {
        for (const auto& del : d.deliveries()) pending += del.state() == v1::DELIVERY_STATE_PENDING;
      }
      if (pending == 0) break;
    }
    if (absl::Now() > drain_deadline) {
      failures.Add(absl::StrCat("outbox not drained after ", absl::FormatDuration(absl::Now() - drain_start), ": ",
                                pending, " deliveries pending ", error));
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  const absl::Duration drain_time = absl::Now() - drain_start;

  // Documents: each acknowledged one listed once; nothing else listed.
  std::map<std::string, int> listed_count;
  std::map<std::string, const v1::Document*> by_id;
  for (const auto& d : listed) {
    ++listed_count[d.id()];
    by_id[d.id()] = &d;
  }
  docs_present = static_cast<int>(by_id.size());
  for (const Doc& d : docs) {
    if (!d.acked) continue;
    if (listed_count[d.id] != 1) failures.Add(absl::StrCat(d.name, " (", d.id, ") listed ", listed_count[d.id], " times"));
  }
  if (static_cast<int>(listed.size()) != docs_acked) {
    failures.Add(absl::StrCat(listed.size(), " documents listed, ", docs_acked, " acknowledged"));
  }
  // Observations: as many per document as its extraction delivered.
  int observations_expected = 0, observations_present = 0;
  for (const auto& [id, doc] : by_id) {
    int expected = doc->observation_count();
    for (const auto& del : doc->deliveries()) {
      if (del.target() == "indicators") expected -= del.left_out();
      if (del.state() == v1::DELIVERY_STATE_FAILED) {
        failures.Add(absl::StrCat(id, ": delivery to ", del.target(), " failed: ", del.last_error()));
      }
    }
    const int present = CountObservationsOf(*indicators, id);
    observations_expected += expected;
    observations_present += present;
    if (present != expected) {
      failures.Add(absl::StrCat(id, ": ", present, " observations at the indicator service, extraction gave ", expected));
    }
  }
  // The plan once, with its 121 tasks.
  {
    v1::ListPlansResponse plans;
    grpc::ClientContext ctx;
    Prepare(&ctx, "crash-check", 30);
    grpc::Status s = tasks->ListPlans(&ctx, v1::ListPlansRequest(), &plans);
    if (!s.ok() || plans.plans_size() != 1 || plans.plans(0).task_count() != 121) {
      failures.Add(absl::StrCat("plans: ", s.error_message(), " ", plans.ShortDebugString().substr(0, 300)));
    }
  }
  // Reports: each acknowledged one exactly once, on its task, with its journal entry.
  std::map<std::string, const Report*> by_request;
  for (const Report& r : reports) by_request[absl::StrCat("crash report ", r.request_id)] = &r;
  std::map<std::string, int> seen;
  for (const std::string& task_id : task_ids) {
    v1::GetTaskRequest req;
    req.set_id(task_id);
    v1::TaskDetail detail;
    grpc::ClientContext ctx;
    Prepare(&ctx, "crash-check", 30);
    if (grpc::Status s = tasks->GetTask(&ctx, req, &detail); !s.ok()) {
      failures.Add(absl::StrCat("GetTask ", task_id, ": ", s.error_message()));
      continue;
    }
    int period_entries = 0;
    for (const auto& e : detail.journal()) period_entries += e.action() == "report" && e.field() == "period";
    if (period_entries != detail.reports_size()) {
      failures.Add(absl::StrCat(task_id, ": ", detail.reports_size(), " reports but ", period_entries,
                                " journal entries for them"));
    }
    for (const auto& rep : detail.reports()) {
      ++reports_present;
      ++seen[rep.narrative()];
      auto it = by_request.find(rep.narrative());
      if (it == by_request.end()) {
        failures.Add(absl::StrCat(task_id, ": a report nobody sent: ", rep.narrative()));
      } else if (it->second->task_id != task_id) {
        failures.Add(absl::StrCat(rep.narrative(), " on ", task_id, ", sent for ", it->second->task_id));
      }
    }
  }
  for (const Report& r : reports) {
    const int n = seen[absl::StrCat("crash report ", r.request_id)];
    if (r.acked && n != 1) failures.Add(absl::StrCat("report ", r.request_id, " present ", n, " times"));
  }

  // ---- Files, the services stopped ----
  const bool clean_stop = system.StopAll(&failures);
  killer_may_exit.Notify();
  killer.join();
  CheckDatabase(system.db(System::kIngestion), "SELECT COUNT(*) FROM outbox WHERE state = 'pending'", 0, &failures);
  CheckDatabase(system.db(System::kIndicators), "", 0, &failures);
  CheckDatabase(system.db(System::kTasks), "SELECT COUNT(*) FROM requests", reports_acked, &failures);

  std::printf(
      "crash test (seed %u): %d clients, kill every %d-%d ms\n"
      "  documents:    %d acknowledged, %d present (%d attempts, %d retries)\n"
      "  observations: %d expected from extraction, %d present\n"
      "  reports:      %d acknowledged, %d present (%d attempts, %d retries)\n"
      "  kills:        %d survived (%d during the work; ingestion %d, indicators %d, tasks %d)\n"
      "  time:         work %s, outbox drained %s after, total %s; clean SIGTERM at the end: %s\n",
      seed, n_clients, kill_min, kill_max, docs_acked, docs_present, counters.doc_attempts.load(),
      counters.doc_retries.load(), observations_expected, observations_present, reports_acked, reports_present,
      counters.report_attempts.load(), counters.report_retries.load(), kills.load(), kills_during_work.load(),
      kills_per_service[0], kills_per_service[1], kills_per_service[2], absl::FormatDuration(work_time).c_str(),
      absl::FormatDuration(drain_time).c_str(), absl::FormatDuration(absl::Now() - started).c_str(),
      clean_stop ? "yes" : "no");
  std::fflush(stdout);
  if (docs_acked != static_cast<int>(docs.size()) || reports_acked != n_reports) {
    failures.Add("not everything was acknowledged (see above)");
  }
  if (kills < min_kills) failures.Add(absl::StrCat("only ", kills.load(), " kills, wanted ", min_kills));
  if (failures.count() > 0) {
    failures.Print();
    std::printf("databases and logs kept in %s\n", dir.c_str());
    std::fflush(stdout);
    return 1;
  }
  std::printf("every check holds\n");
  std::fflush(stdout);
  if (!absl::GetFlag(FLAGS_keep_dir)) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace luoshi::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return luoshi::testing::Run();
}
