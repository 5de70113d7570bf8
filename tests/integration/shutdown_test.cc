// What containers need of the real binaries (issue 22): SIGTERM during a stream of writes loses no
// acknowledged write and exits 0 within --shutdown_grace (health NOT_SERVING meanwhile, WatchTasks
// streams told to reconnect, the ingestion outbox left consistent); --probe answers for a running
// instance; --log_format puts the logs where a container runtime reads them; health answers
// NOT_SERVING while the database is being opened (migrations). POSIX only, like tests/common/process.h.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/health_client.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/health_watch.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kGraceSeconds = 5;

void Prepare(grpc::ClientContext* ctx, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity("shutdown-test"), ctx);
}

std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Calls `write(n)` with n = 0, 1, 2 … on `threads` threads until one fails or Stop(); remembers every
// write that was acknowledged.
class Writers {
 public:
  Writers(int threads, std::function<absl::StatusOr<std::string>(int thread, int n)> write) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t, write] {
        for (int n = 0; !stop_.load(); ++n) {
          absl::StatusOr<std::string> acked = write(t, n);
          if (!acked.ok()) return;  // the service is going away: a real client would retry later
          absl::MutexLock lock(&mu_);
          acked_.push_back(*acked);
        }
      });
    }
  }
  ~Writers() { Stop(); }
  void Stop() {
    stop_.store(true);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  size_t Acknowledged() const {
    absl::MutexLock lock(&mu_);
    return acked_.size();
  }
  void WaitFor(size_t n) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (Acknowledged() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  }
  std::multiset<std::string> acked() const {
    absl::MutexLock lock(&mu_);
    return {acked_.begin(), acked_.end()};
  }

 private:
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  std::vector<std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

class ShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir(std::string("luoshi_shutdown_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> ServiceArgs(const std::string& name) const {
    return With(AuthFlags(),
                {"--db=" + dir_ + "/" + name + ".db", absl::StrCat("--shutdown_grace=", kGraceSeconds, "s")});
  }
  void StartTasks() {
    ASSERT_TRUE(tasks_.Start(BinaryPath("tasks/luoshi-tasks"), ServiceArgs("tasks")).ok()) << tasks_.Log();
  }
  void StartIngestion() {
    ASSERT_TRUE(
        ingestion_
            .Start(BinaryPath("ingestion/luoshi-ingestion"),
                   With(ServiceArgs("ingestion"),
                        {"--indicators_addr=" + indicators_.address(), "--tasks_addr=" + tasks_.address(),
                         "--dispatch_interval_ms=50", "--retry_max_ms=500"}))
            .ok())
        << ingestion_.Log();
  }
  void StartAll() {
    ASSERT_TRUE(indicators_.Start(BinaryPath("indicators/luoshi-indicators"), ServiceArgs("indicators")).ok())
        << indicators_.Log();
    ASSERT_NO_FATAL_FAILURE(StartTasks());
    ASSERT_NO_FATAL_FAILURE(StartIngestion());
  }

  // Stops `p` with SIGTERM; expects exit code 0 within the grace (and a little for the process itself).
  void ExpectGracefulStop(ServiceProcess& p) {
    const absl::Time start = absl::Now();
    EXPECT_EQ(p.Stop(kGraceSeconds + 10), 0) << p.Log();
    const absl::Duration took = absl::Now() - start;
    std::cout << "stopped in " << absl::FormatDuration(took) << "\n";
    EXPECT_LT(took, absl::Seconds(kGraceSeconds + 2)) << "did not stop within the grace";
  }

  absl::StatusOr<v1::IngestDocumentResponse> Ingest(const std::string& content, const std::string& filename) {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    v1::IngestDocumentRequest req;
    req.set_content(content);
    req.set_filename(filename);
    v1::IngestDocumentResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->IngestDocument(&ctx, req, &resp);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return resp;
  }

  // The task ids once the seeds' division plan has reached the task service through the outbox.
  std::vector<std::string> IngestSeedsForTasks() {
    for (const auto& path : SeedPaths()) {
      auto ingested = Ingest(ReadTestFile(path), fs::path(path).filename().string());
      EXPECT_TRUE(ingested.ok()) << path << ": " << ingested.status();
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::vector<std::string> ids;
    while (ids.empty() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
      v1::ListTasksRequest req;
      req.mutable_page()->set_page_size(4);
      v1::ListTasksResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      if (stub->ListTasks(&ctx, req, &resp).ok()) {
        for (const auto& t : resp.tasks()) ids.push_back(t.id());
      }
    }
    return ids;
  }

  // This test's report narratives ("shutdown-test …") on the tasks, each as often as it is stored.
  std::multiset<std::string> StoredReports(const std::vector<std::string>& task_ids) {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    std::multiset<std::string> out;
    for (const std::string& id : task_ids) {
      v1::GetTaskRequest req;
      req.set_id(id);
      v1::TaskDetail detail;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->GetTask(&ctx, req, &detail);
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const auto& r : detail.reports()) {
        if (absl::StartsWith(r.narrative(), "shutdown-test")) out.insert(r.narrative());
      }
    }
    return out;
  }

  std::vector<v1::Document> Documents() {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    v1::ListDocumentsRequest req;
    req.mutable_page()->set_page_size(1000);
    v1::ListDocumentsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->ListDocuments(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.documents().begin(), resp.documents().end()};
  }

  std::string dir_;
  ServiceProcess indicators_, tasks_, ingestion_;
};

TEST_F(ShutdownTest, SigtermDuringReportsKeepsEveryAcknowledgedReportAndEndsWatchers) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::vector<std::string> task_ids = IngestSeedsForTasks();
  ASSERT_FALSE(task_ids.empty());

  // An open WatchTasks stream, and a health watcher, as a browser and a load balancer would have.
  auto tasks_stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
  grpc::ClientContext watch_ctx;
  Prepare(&watch_ctx, 60);
  v1::WatchTasksRequest watch_req;
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> watch = tasks_stub->WatchTasks(&watch_ctx, watch_req);
  watch->WaitForInitialMetadata();  // the subscription is live
  HealthWatch health(tasks_.address(), kTasksService.full_name);
  ASSERT_TRUE(health.WaitFor("SERVING"));

  Writers writers(4, [&](int t, int n) -> absl::StatusOr<std::string> {
    v1::ReportProgressRequest req;
    req.set_task_id(task_ids[static_cast<size_t>(t) % task_ids.size()]);
    req.set_narrative(absl::StrCat("shutdown-test w", t, " #", n));
    v1::Task reply;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = tasks_stub->ReportProgress(&ctx, req, &reply);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return req.narrative();
  });
  writers.WaitFor(40);
  ASSERT_GE(writers.Acknowledged(), 40u);

  ASSERT_NO_FATAL_FAILURE(ExpectGracefulStop(tasks_));
  writers.Stop();
  EXPECT_TRUE(health.WaitFor("NOT_SERVING")) << "health did not turn NOT_SERVING during the shutdown";
  v1::TaskEvent event;
  while (watch->Read(&event)) {
  }
  grpc::Status watch_end = watch->Finish();
  EXPECT_EQ(watch_end.error_code(), grpc::StatusCode::UNAVAILABLE) << watch_end.error_message();
  EXPECT_TRUE(absl::StrContains(watch_end.error_message(), "shutting down")) << watch_end.error_message();
  EXPECT_TRUE(absl::StrContains(watch_end.error_message(), "reconnect")) << watch_end.error_message();

  // Restarted on the same database: every acknowledged report exactly once, and nothing else.
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  const std::multiset<std::string> acked = writers.acked(), stored = StoredReports(task_ids);
  std::cout << acked.size() << " reports acknowledged, " << stored.size() << " stored\n";
  EXPECT_EQ(stored, acked);
}

TEST_F(ShutdownTest, SigtermDuringIngestionKeepsEveryAcknowledgedDocumentAndTheOutboxDrains) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::vector<std::string> seeds = SeedPaths();
  std::vector<std::string> contents;
  for (const auto& path : seeds) contents.push_back(ReadTestFile(path));
  // Distinct bytes per upload (a document is identified by its content), the seeds' figures kept.
  Writers writers(2, [&](int t, int n) -> absl::StatusOr<std::string> {
    const size_t i = static_cast<size_t>(n) % contents.size();
    auto ingested = Ingest(absl::StrCat(contents[i], "\n（关停测试 ", t, "-", n, "）\n"),
                           fs::path(seeds[i]).filename().string());
    if (!ingested.ok()) return ingested.status();
    return ingested->document().id();
  });
  writers.WaitFor(10);
  ASSERT_GE(writers.Acknowledged(), 10u);
  ASSERT_NO_FATAL_FAILURE(ExpectGracefulStop(ingestion_));
  writers.Stop();

  // Restarted with its peers up: exactly the acknowledged documents, and every delivery settles.
  ASSERT_NO_FATAL_FAILURE(StartIngestion());
  std::multiset<std::string> stored;
  for (const v1::Document& d : Documents()) stored.insert(d.id());
  std::cout << writers.Acknowledged() << " documents acknowledged, " << stored.size() << " stored\n";
  EXPECT_EQ(stored, writers.acked());
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int pending = -1, delivered = 0;
  while (pending != 0 && absl::Now() < deadline) {
    pending = 0;
    delivered = 0;
    for (const v1::Document& d : Documents()) {
      for (const v1::Delivery& del : d.deliveries()) {
        pending += del.state() == v1::DELIVERY_STATE_PENDING ? 1 : 0;
        delivered += del.state() == v1::DELIVERY_STATE_DELIVERED ? 1 : 0;
      }
    }
    if (pending != 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(pending, 0) << "the outbox did not drain after the restart";
  EXPECT_GT(delivered, 0);
}

// A client connection that has sent HTTP/2's preface and settings and then never reads again: a client
// that hangs, or a gRPC C++ client whose idle connection is polled only every few seconds. A stop that
// waited for it to read the GOAWAY and hang up would take the whole grace.
class SilentHttp2Client {
 public:
  explicit SilentHttp2Client(int port) : fd_(ConnectToLoopback(port)) {
    // The connection preface, then an empty SETTINGS frame (length 0, type 4, no flags, stream 0).
    static const char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0";
    const size_t size = sizeof(kPreface) - 1;
    connected_ = fd_ >= 0 && send(fd_, kPreface, size, 0) == static_cast<ssize_t>(size);
  }
  ~SilentHttp2Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }

 private:
  const int fd_;
  bool connected_ = false;
};

TEST_F(ShutdownTest, AClientThatNeverHangsUpDoesNotHoldTheStopForTheGrace) {
  // A grace far longer than the time Stop allows. gRPC on its own waits 20 s for such a client to answer
  // the GOAWAY's PING, then for the rest of the grace; a stop that waited would end in SIGKILL.
  ASSERT_TRUE(tasks_
                  .Start(BinaryPath("tasks/luoshi-tasks"),
                         With(AuthFlags(), {"--db=" + dir_ + "/tasks.db", "--shutdown_grace=120s"}))
                  .ok())
      << tasks_.Log();
  SilentHttp2Client silent(tasks_.port());
  ASSERT_TRUE(silent.connected());
  // A gRPC client that made a call and keeps its connection open, idle.
  auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::ListTasksResponse listed;
  ASSERT_TRUE(stub->ListTasks(&ctx, v1::ListTasksRequest(), &listed).ok());

  EXPECT_EQ(tasks_.Stop(/*timeout_seconds=*/10), 0) << tasks_.Log();
  EXPECT_TRUE(absl::StrContains(tasks_.Log(), "\"msg\":\"stopped\"")) << tasks_.Log();
}

TEST_F(ShutdownTest, ProbeExitsZeroForARunningServiceAndOneWhenNothingListens) {
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  const std::string probe = absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --probe --listen=");
  std::string out;
  // No --auth_keys, no --db: the probe needs neither. A wildcard host is probed on loopback.
  EXPECT_EQ(RunShell(probe + tasks_.address(), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "SERVING")) << out;
  EXPECT_EQ(RunShell(absl::StrCat(probe, "0.0.0.0:", tasks_.port()), &out), 0) << out;
  const std::string address = tasks_.address();
  ASSERT_EQ(tasks_.Stop(), 0);
  EXPECT_EQ(RunShell(probe + address, &out), 1) << out;
  EXPECT_TRUE(absl::StrContains(out, "UNREACHABLE")) << out;
  EXPECT_FALSE(fs::exists(fs::path(BinaryPath("tasks/luoshi-tasks")).parent_path() / "data"));
}

TEST_F(ShutdownTest, ProbeOverTls) {
  std::string out;
  ASSERT_EQ(RunShell(absl::StrCat(LUOSHI_SOURCE_DIR, "/deploy/tls/make-dev-ca.sh ", dir_, "/ca"), &out), 0)
      << out;
  const std::string tls = absl::StrCat(" --tls_cert=", dir_, "/ca/tasks.pem --tls_key=", dir_,
                                       "/ca/tasks.key --tls_client_ca=", dir_, "/ca/ca.pem");
  ASSERT_TRUE(tasks_
                  .Start(BinaryPath("tasks/luoshi-tasks"),
                         With(ServiceArgs("tasks"),
                              {"--tls_cert=" + dir_ + "/ca/tasks.pem", "--tls_key=" + dir_ + "/ca/tasks.key",
                               "--tls_client_ca=" + dir_ + "/ca/ca.pem"}))
                  .ok())
      << tasks_.Log();
  const std::string probe =
      absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --probe --listen=", tasks_.address());
  // The flags the service itself runs with (its certificate is its client certificate for mTLS).
  EXPECT_EQ(RunShell(absl::StrCat(probe, tls, " --tls_ca=", dir_, "/ca/ca.pem"), &out), 0) << out;
  EXPECT_NE(RunShell(probe, &out), 0) << "a plaintext probe of a TLS service must fail: " << out;
}

TEST_F(ShutdownTest, GatewayProbeAndGracefulStop) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  ServiceProcess gateway;
  ASSERT_TRUE(
      gateway
          .Start(BinaryPath("gateway/luoshi-gateway"),
                 {"--ingestion_addr=" + ingestion_.address(), "--indicators_addr=" + indicators_.address(),
                  "--tasks_addr=" + tasks_.address(), "--shutdown_grace=3s"})
          .ok())
      << gateway.Log();
  const std::string probe =
      absl::StrCat(BinaryPath("gateway/luoshi-gateway"), " --probe --listen=", gateway.address());
  std::string out;
  EXPECT_EQ(RunShell(probe, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "SERVING")) << out;
  ASSERT_EQ(indicators_.Stop(), 0);
  EXPECT_EQ(RunShell(probe, &out), 1) << "a service is down: " << out;
  const absl::Time start = absl::Now();
  EXPECT_EQ(gateway.Stop(), 0) << gateway.Log();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(RunShell(probe, &out), 1) << out;
}

// A child whose stdout the test reads line by line (popen): `echo $$; exec …` makes the first line the
// binary's own pid.
class PipedChild {
 public:
  explicit PipedChild(const std::string& command) {
    pipe_ = popen(absl::StrCat("echo $$; exec ", command).c_str(), "r");
    std::string first = ReadLine();
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(first), &pid_)) pid_ = -1;
  }
  ~PipedChild() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    if (pipe_ != nullptr) pclose(pipe_);
  }
  // The next line, "" at the end.
  std::string ReadLine() {
    std::string line;
    char buf[4096];
    while (pipe_ != nullptr && fgets(buf, sizeof buf, pipe_) != nullptr) {
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    return line;
  }
  // Reads lines until one contains `needle` (returned) or the output ends ("").
  std::string ReadUntil(const std::string& needle) {
    for (std::string line = ReadLine(); !line.empty(); line = ReadLine()) {
      if (absl::StrContains(line, needle)) return line;
    }
    return "";
  }
  // SIGTERM, then reads to the end (a closed pipe would kill the child with SIGPIPE on its last log
  // lines) and returns the exit code.
  int Stop() {
    kill(pid_, SIGTERM);
    pid_ = -1;
    while (!ReadLine().empty()) {
    }
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  FILE* pipe_ = nullptr;
  int pid_ = -1;
};

std::string Joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) absl::StrAppend(&out, " '", a, "'");
  return out;
}

TEST_F(ShutdownTest, JsonLogFormatWritesJsonLinesOnStdout) {
  const std::string err = dir_ + "/stderr.log";
  PipedChild child(absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --listen=127.0.0.1:0 --log_format=json",
                                Joined(ServiceArgs("tasks")), " 2>", err));
  const std::string line = child.ReadUntil("\"msg\":\"listening\"");
  ASSERT_FALSE(line.empty()) << "no listening line on stdout; stderr: " << ReadTestFile(err);
  EXPECT_TRUE(absl::StartsWith(line, "{\"ts\":\"")) << line;
  EXPECT_TRUE(absl::StrContains(line, "\"service\":\"tasks\"")) << line;
  EXPECT_TRUE(absl::StrContains(line, "\"port\":\"")) << line;
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(child.Stop(), 0);
  EXPECT_FALSE(absl::StrContains(ReadTestFile(err), "\"msg\"")) << "JSON logs on stderr too: " << ReadTestFile(err);
}

TEST_F(ShutdownTest, TextLogFormatIsReadable) {
  PipedChild child(absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --listen=127.0.0.1:0 --log_format=text",
                                Joined(ServiceArgs("tasks")), " 2>&1"));
  const std::string line = child.ReadUntil(" listening ");
  ASSERT_FALSE(line.empty());
  // "2026-12-07T09:10:00.123Z INFO tasks listening addr=127.0.0.1:0 port=41234"
  EXPECT_EQ(line.substr(4, 1), "-") << line;
  EXPECT_EQ(line.substr(23, 2), "Z ") << line;
  EXPECT_TRUE(absl::StrContains(line, " INFO tasks listening addr=127.0.0.1:0 port=")) << line;
  EXPECT_FALSE(absl::StrContains(line, "{")) << line;
  EXPECT_EQ(child.Stop(), 0);
}

TEST_F(ShutdownTest, BadLogFormatFailsWithAMessage) {
  std::string out;
  EXPECT_EQ(RunShell(absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --listen=127.0.0.1:0 --log_format=yaml",
                                  Joined(ServiceArgs("tasks"))),
                     &out),
            2);
  EXPECT_TRUE(absl::StrContains(out, "--log_format must be")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"yaml\"")) << out;
}

// While the database cannot be opened yet (here: another process holds its write lock, as a long
// migration would), the service's address answers health NOT_SERVING; once open, SERVING on that port.
TEST_F(ShutdownTest, HealthIsNotServingWhileTheDatabaseOpens) {
  LockedDatabaseStart start(&tasks_, BinaryPath("tasks/luoshi-tasks"), ServiceArgs("tasks"), dir_ + "/tasks.db");
  ASSERT_TRUE(start.locked());
  const int port = start.WarmUpPort(absl::Seconds(3));
  std::string while_locked;
  if (port != 0) {
    auto status =
        CheckHealth(MakeChannel(absl::StrCat("127.0.0.1:", port)), kTasksService.full_name, absl::Seconds(2));
    while_locked = status.ok() ? *status : status.status().ToString();
    // Other calls meanwhile are refused as retryable (UNAVAILABLE), not UNIMPLEMENTED.
    auto stub = v1::TaskService::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", port)));
    v1::ListTasksRequest req;
    v1::ListTasksResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, 2);
    grpc::Status call = stub->ListTasks(&ctx, req, &resp);
    EXPECT_EQ(call.error_code(), grpc::StatusCode::UNAVAILABLE) << call.error_message();
  }
  const absl::Status start_status = start.Release();
  ASSERT_NE(port, 0) << "no \"starting\" line: " << tasks_.Log();
  EXPECT_EQ(while_locked, "NOT_SERVING");
  ASSERT_TRUE(start_status.ok()) << start_status << tasks_.Log();
  EXPECT_EQ(tasks_.port(), port) << "the service must serve on the port its warm-up server had";
  auto serving = CheckHealth(MakeChannel(tasks_.address()), kTasksService.full_name, absl::Seconds(5));
  EXPECT_EQ(serving.ok() ? *serving : serving.status().ToString(), "SERVING");
}

TEST(ProbeAddressTest, WildcardHostsBecomeLoopback) {
  EXPECT_EQ(ProbeAddress("0.0.0.0:7103"), "127.0.0.1:7103");
  EXPECT_EQ(ProbeAddress(":7103"), "127.0.0.1:7103");
  EXPECT_EQ(ProbeAddress("[::]:7103"), "[::1]:7103");
  EXPECT_EQ(ProbeAddress("127.0.0.1:7103"), "127.0.0.1:7103");
  EXPECT_EQ(ProbeAddress("tasks.luoshi.svc:7103"), "tasks.luoshi.svc:7103");
}

}  // namespace
}  // namespace luoshi::testing
