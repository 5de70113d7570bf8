// Online backup and restore of the running system (issue 21): `luoshi admin backup` (the real CLI binary)
// snapshots the three services' databases while clients keep writing; after `luoshi admin restore` the
// services, started on the restored files, hold everything acknowledged before the backup started,
// nothing sent after it finished, and a consistent snapshot in between (each task's reports are a prefix
// of the sequence its writer sent). Also: only admins may back up, a backup with a service down leaves no
// file behind, and a restore is refused while a service still answers.
#include "services/common/backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "luoshi/v1/admin.grpc.pb.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kTestRegion[] = "备份测试区";  // outside the catalog: only this test's observations have it

void Prepare(grpc::ClientContext* ctx, const Identity& who = AdminIdentity("backup-test")) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ProgramTokens().Attach(who, ctx);
}

Identity Office() { return Identity{"办公室", "区农业农村局", Role::kOffice, ""}; }
Identity Viewer() { return Identity{"观众", "", Role::kViewer, ""}; }
Identity Supervisor() { return Identity{"督查", "", Role::kSupervisor, ""}; }

// One write a writer thread sent: when, and whether it was acknowledged.
struct Write {
  int seq = 0;  // 1, 2, 3 … per stream of writes
  absl::Time sent;
  absl::Time acked;  // InfinitePast when not acknowledged
  bool ok = false;
};

// Runs `write(seq)` with seq = 1, 2, 3 … on its own thread until stopped, remembering each outcome.
class Writer {
 public:
  explicit Writer(std::function<bool(int)> write) : write_(std::move(write)) {
    thread_ = std::thread([this] {
      for (int seq = 1; !stop_.load(); ++seq) {
        Write w;
        w.seq = seq;
        w.sent = absl::Now();
        w.ok = write_(seq);
        w.acked = w.ok ? absl::Now() : absl::InfinitePast();
        absl::MutexLock lock(&mu_);
        writes_.push_back(w);
      }
    });
  }
  ~Writer() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int Acknowledged() const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& w : writes_) n += w.ok ? 1 : 0;
    return n;
  }
  // After Stop().
  std::vector<Write> writes() const {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

 private:
  std::function<bool(int)> write_;
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  std::vector<Write> writes_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// What a restored system must hold of one stream of writes: the seqs present must be 1..k (a prefix,
// since one thread sent them in order), include every write acknowledged before the backup started and
// none sent after it finished or never acknowledged.
void ExpectSnapshotOf(const std::string& what, const std::vector<Write>& writes, const std::set<int>& present,
                      absl::Time backup_started, absl::Time backup_finished) {
  int k = 0;
  while (present.count(k + 1) > 0) ++k;
  EXPECT_EQ(static_cast<int>(present.size()), k) << what << ": the restored writes are not a prefix 1.." << k;
  int before = 0, during = 0, after = 0;
  for (const Write& w : writes) {
    if (!w.ok) continue;
    (w.acked < backup_started ? before : w.sent > backup_finished ? after : during) += 1;
  }
  std::cout << what << ": " << before << " acknowledged before the backup, " << during << " while it ran, "
            << after << " after; restored 1.." << k << "\n";
  for (const Write& w : writes) {
    if (w.ok && w.acked < backup_started) {
      EXPECT_TRUE(present.count(w.seq))
          << what << " #" << w.seq << " was acknowledged before the backup, but is lost";
    }
    if (!w.ok || w.sent > backup_finished) {
      EXPECT_FALSE(present.count(w.seq)) << what << " #" << w.seq << " was "
                                         << (w.ok ? "sent after the backup finished" : "never acknowledged")
                                         << ", but is in the restored data";
    }
  }
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir(std::string("luoshi_backup_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts the three services on databases in `data`.
  void StartAll(const std::string& data) {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + data + "/indicators.db");
    ASSERT_TRUE(indicators_.Start(BinaryPath("indicators/luoshi-indicators"), args).ok())
        << indicators_.Log();
    args = AuthFlags();
    args.push_back("--db=" + data + "/tasks.db");
    ASSERT_TRUE(tasks_.Start(BinaryPath("tasks/luoshi-tasks"), args).ok()) << tasks_.Log();
    args = AuthFlags();
    for (const std::string& a :
         {"--db=" + data + "/ingestion.db", "--indicators_addr=" + indicators_.address(),
          "--tasks_addr=" + tasks_.address(), std::string("--dispatch_interval_ms=50"),
          std::string("--retry_max_ms=500")}) {
      args.push_back(a);
    }
    ASSERT_TRUE(ingestion_.Start(BinaryPath("ingestion/luoshi-ingestion"), args).ok()) << ingestion_.Log();
  }
  void StopAll() {
    EXPECT_EQ(ingestion_.Stop(), 0);
    EXPECT_EQ(tasks_.Stop(), 0);
    EXPECT_EQ(indicators_.Stop(), 0);
  }

  // Runs the real CLI against the running (or stopped) services' addresses; returns its exit code.
  int Luoshi(const std::string& command, std::string* output,
             const Identity& who = AdminIdentity("backup-test"), const std::string& tasks_addr = "") {
    const std::string line =
        absl::StrCat(BinaryPath("cli/luoshi"), " --credentials=", dir_,
                     "/no-credentials --ingestion_addr=", ingestion_.address(),
                     " --indicators_addr=", indicators_.address(),
                     " --tasks_addr=", tasks_addr.empty() ? tasks_.address() : tasks_addr,
                     " --token=", ProgramTokens().For(who), " ", command);
    return RunShell(line, output);
  }

  void IngestSeedsAndWait() {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    for (const auto& path : SeedPaths()) {
      v1::IngestDocumentRequest req;
      req.set_content(ReadTestFile(path));
      req.set_filename(fs::path(path).filename().string());
      v1::IngestDocumentResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->IngestDocument(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << path << ": " << s.error_message();
    }
    // The division plan arrives at the task service through the outbox.
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (TaskIds(4).size() < 4 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
    ASSERT_EQ(TaskIds(4).size(), 4u);
  }

  std::vector<std::string> TaskIds(int n) {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_size(n);
    v1::ListTasksResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    std::vector<std::string> ids;
    if (!stub->ListTasks(&ctx, req, &resp).ok()) return ids;
    for (const auto& t : resp.tasks()) ids.push_back(t.id());
    return ids;
  }

  // The seqs of this test's reports on `task_id` ("backup-test #<seq>" narratives).
  std::set<int> ReportedSeqs(const std::string& task_id) {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::GetTaskRequest req;
    req.set_id(task_id);
    v1::TaskDetail detail;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->GetTask(&ctx, req, &detail);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::set<int> seqs;
    for (const auto& r : detail.reports()) {
      int seq = 0;
      if (absl::StartsWith(r.narrative(), "backup-test #") &&
          absl::SimpleAtoi(r.narrative().substr(13), &seq)) {
        EXPECT_TRUE(seqs.insert(seq).second) << task_id << " holds report #" << seq << " twice";
      }
    }
    return seqs;
  }

  // The seqs of this test's observations (source keys "backup-test:<seq>").
  std::set<int> ObservedSeqs() {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    v1::QueryObservationsRequest req;
    req.set_region(kTestRegion);
    req.set_all_vintages(true);
    req.mutable_page()->set_page_size(1000);
    std::set<int> seqs;
    do {
      v1::QueryObservationsResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->QueryObservations(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& o : resp.observations()) {
        int seq = 0;
        if (absl::StartsWith(o.source_key(), "backup-test:") &&
            absl::SimpleAtoi(o.source_key().substr(12), &seq)) {
          EXPECT_TRUE(seqs.insert(seq).second) << "observation #" << seq << " is stored twice";
        }
      }
      req.mutable_page()->set_page_token(resp.next_page_token());
    } while (!req.page().page_token().empty());
    return seqs;
  }

  int CountDocuments() {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    v1::ListDocumentsRequest req;
    req.mutable_page()->set_page_size(100);
    v1::ListDocumentsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->ListDocuments(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.documents_size();
  }

  std::string dir_;
  ServiceProcess indicators_, tasks_, ingestion_;
};

// A progress report with narrative "backup-test #<seq>" on `task_id`, as the administrator.
bool ReportProgress(v1::TaskService::Stub* stub, const std::string& task_id, int seq) {
  v1::ReportProgressRequest req;
  req.set_task_id(task_id);
  req.set_narrative(absl::StrCat("backup-test #", seq));
  v1::Task reply;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  return stub->ReportProgress(&ctx, req, &reply).ok();
}

// One observation of kTestRegion with source key "backup-test:<seq>".
bool RecordObservation(v1::IndicatorService::Stub* stub, int seq) {
  v1::RecordObservationsRequest req;
  v1::Observation* o = req.add_observations();
  o->set_source_key(absl::StrCat("backup-test:", seq));
  o->set_indicator_id("gdp");
  o->set_region(kTestRegion);
  o->set_period(absl::StrFormat("%d-%02d", 1950 + (seq - 1) / 12, (seq - 1) % 12 + 1));  // a cell of its own
  o->set_measure(v1::MEASURE_LEVEL);
  o->set_status(v1::OBSERVATION_STATUS_ACTUAL);
  o->mutable_value()->mutable_value()->set_unscaled(seq);
  o->mutable_value()->mutable_value()->set_scale(1);
  o->mutable_value()->set_unit("亿元");
  o->mutable_provenance()->set_document_id("backup-test");
  o->mutable_provenance()->set_sentence(absl::StrCat("地区生产总值", seq, "亿元"));
  v1::RecordObservationsResponse resp;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  return stub->RecordObservations(&ctx, req, &resp).ok();
}

TEST_F(BackupTest, RestoredSystemHoldsExactlyASnapshotTakenWhileWritesWentOn) {
  const std::string data = dir_ + "/data", backup = dir_ + "/backup", restored = dir_ + "/restored";
  ASSERT_NO_FATAL_FAILURE(StartAll(data));
  ASSERT_NO_FATAL_FAILURE(IngestSeedsAndWait());
  const int documents = CountDocuments();
  ASSERT_EQ(documents, static_cast<int>(SeedPaths().size()));

  // Three writers, each its own sequence: reports on two tasks, observations.
  const std::vector<std::string> task_ids = TaskIds(2);
  auto tasks_stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
  auto indicators_stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
  std::vector<std::unique_ptr<Writer>> writers;
  for (const std::string& id : task_ids) {
    writers.push_back(
        std::make_unique<Writer>([&, id](int seq) { return ReportProgress(tasks_stub.get(), id, seq); }));
  }
  writers.push_back(
      std::make_unique<Writer>([&](int seq) { return RecordObservation(indicators_stub.get(), seq); }));
  for (const auto& w : writers) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (w->Acknowledged() < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_GE(w->Acknowledged(), 10) << "a writer makes no progress";
  }

  std::string output;
  const absl::Time backup_started = absl::Now();
  const int rc = Luoshi("admin backup --out " + backup, &output);
  const absl::Time backup_finished = absl::Now();
  std::vector<int> acked_before;
  for (const auto& w : writers) acked_before.push_back(w->Acknowledged());
  // Writes go on after the backup; none of them may appear in the restored system.
  for (size_t i = 0; i < writers.size(); ++i) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (writers[i]->Acknowledged() < acked_before[i] + 5 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  for (const auto& w : writers) w->Stop();
  ASSERT_EQ(rc, 0) << output;
  std::cout << output << "backup took " << absl::FormatDuration(backup_finished - backup_started) << "\n";
  for (const char* file : {"ingestion.db", "indicators.db", "tasks.db", "manifest.json"}) {
    EXPECT_TRUE(fs::exists(fs::path(backup) / file)) << file;
  }
  for (const auto& e : fs::directory_iterator(backup)) {
    EXPECT_FALSE(absl::EndsWith(e.path().string(), ".partial")) << e.path();
  }
  // The services cleaned up their temporary snapshots.
  for (const auto& e : fs::directory_iterator(data)) {
    EXPECT_FALSE(absl::StrContains(e.path().filename().string(), ".backup-")) << e.path();
  }

  // Restoring while the services run is refused and changes nothing.
  EXPECT_NE(Luoshi("admin restore --from " + backup + " --data_dir " + restored, &output), 0);
  EXPECT_TRUE(absl::StrContains(output, "still answers")) << output;
  EXPECT_FALSE(fs::exists(restored));

  StopAll();
  ASSERT_EQ(Luoshi("admin restore --from " + backup + " --data_dir " + restored, &output), 0) << output;
  ASSERT_NO_FATAL_FAILURE(StartAll(restored));

  EXPECT_EQ(CountDocuments(), documents);
  for (size_t i = 0; i < task_ids.size(); ++i) {
    ExpectSnapshotOf("report on " + task_ids[i], writers[i]->writes(), ReportedSeqs(task_ids[i]),
                     backup_started, backup_finished);
  }
  ExpectSnapshotOf("observation", writers.back()->writes(), ObservedSeqs(), backup_started, backup_finished);
  StopAll();
  for (const char* file : {"ingestion.db", "indicators.db", "tasks.db"}) {
    absl::Status s = CheckDatabaseIntegrity(restored + "/" + file);
    EXPECT_TRUE(s.ok()) << s;
  }

  // Restoring over a data directory keeps what was there as *.before-restore (with its WAL, if any).
  const std::string current_sha = *Sha256OfFile(data + "/tasks.db");
  ASSERT_EQ(Luoshi("admin restore --from " + backup + " --data_dir " + data, &output), 0) << output;
  EXPECT_EQ(*Sha256OfFile(data + "/tasks.db.before-restore"), current_sha);
  EXPECT_EQ(*Sha256OfFile(data + "/tasks.db"), *Sha256OfFile(backup + "/tasks.db"));
  EXPECT_FALSE(fs::exists(data + "/tasks.db-shm"));
  // A second restore would overwrite what the first kept: refused.
  EXPECT_NE(Luoshi("admin restore --from " + backup + " --data_dir " + data, &output), 0);
  EXPECT_TRUE(absl::StrContains(output, "earlier restore")) << output;
}

TEST_F(BackupTest, OnlyAdminsMayBackUp) {
  ASSERT_NO_FATAL_FAILURE(StartAll(dir_ + "/data"));
  auto stub = v1::AdminService::NewStub(MakeChannel(tasks_.address()));
  for (const Identity& who : {Office(), Viewer(), Supervisor(), ServiceIdentity()}) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    auto reader = stub->BackupDatabase(&ctx, v1::BackupDatabaseRequest());
    v1::BackupChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk)) << RoleName(who.role);
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << RoleName(who.role) << ": " << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "admin")) << s.error_message();
  }
  {
    grpc::ClientContext ctx;  // no token at all
    auto reader = stub->BackupDatabase(&ctx, v1::BackupDatabaseRequest());
    v1::BackupChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // An admin gets the database: start, data, end, with a matching digest.
  grpc::ClientContext ctx;
  Prepare(&ctx);
  auto reader = stub->BackupDatabase(&ctx, v1::BackupDatabaseRequest());
  v1::BackupChunk chunk;
  std::vector<v1::BackupChunk::PartCase> parts;
  Sha256 sha;
  std::string end_sha;
  while (reader->Read(&chunk)) {
    parts.push_back(chunk.part_case());
    if (chunk.has_data()) sha.Update(chunk.data().data(), chunk.data().size());
    if (chunk.has_end()) end_sha = chunk.end().sha256();
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(parts.size(), 3u);
  EXPECT_EQ(parts.front(), v1::BackupChunk::kStart);
  EXPECT_EQ(parts.back(), v1::BackupChunk::kEnd);
  EXPECT_EQ(sha.HexDigest(), end_sha);

  // The CLI with a viewer's token fails and writes nothing.
  std::string output;
  EXPECT_NE(Luoshi("admin backup --out " + dir_ + "/backup", &output, Viewer()), 0);
  EXPECT_TRUE(absl::StrContains(output, "role viewer may not back up databases")) << output;
  EXPECT_TRUE(fs::is_empty(dir_ + "/backup")) << output;
}

TEST_F(BackupTest, ABackupWithAServiceDownLeavesNoFile) {
  ASSERT_NO_FATAL_FAILURE(StartAll(dir_ + "/data"));
  const std::string tasks_addr = tasks_.address();
  ASSERT_EQ(tasks_.Stop(), 0);  // the last one the CLI calls: the first two files were already received
  std::string output;
  EXPECT_NE(
      Luoshi("admin backup --out " + dir_ + "/backup", &output, AdminIdentity("backup-test"), tasks_addr), 0);
  EXPECT_TRUE(absl::StrContains(output, "cannot reach the tasks service")) << output;
  EXPECT_TRUE(absl::StrContains(output, "no backup was written")) << output;
  EXPECT_TRUE(fs::is_empty(dir_ + "/backup")) << output;
}

}  // namespace
}  // namespace luoshi::testing
