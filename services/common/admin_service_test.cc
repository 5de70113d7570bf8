#include "services/common/admin_service.h"

#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/common/test_tokens.h"

namespace luoshi {
namespace {

namespace fs = std::filesystem;

// The temporary snapshots in `dir` (files named like AdminService::TemporaryPrefix).
int SnapshotFiles(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += absl::StrContains(e.path().filename().string(), ".backup-");
  return n;
}

// An AdminService on a 40 MB database, in process, so that a caller who stops reading leaves the service
// waiting on flow control part-way through the stream.
class AdminServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/admin_service_test_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/big.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA journal_mode=WAL; CREATE TABLE blobs (b BLOB);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
                           " INSERT INTO blobs SELECT randomblob(1000000) FROM n;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    admin_ = std::make_unique<AdminService>("tasks", dir_ + "/big.db", tokens_.authenticator());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AdminService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown();
    fs::remove_all(dir_);
  }

  std::string dir_;
  TestTokens tokens_;
  std::unique_ptr<AdminService> admin_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AdminService::Stub> stub_;
};

TEST_F(AdminServiceTest, OneBackupAtATimeAndTheSnapshotGoesWhenTheCallerDoes) {
  grpc::ClientContext first;
  tokens_.Attach(AdminIdentity(), &first);
  auto reader = stub_->BackupDatabase(&first, v1::BackupDatabaseRequest());
  v1::BackupChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  ASSERT_TRUE(chunk.has_start());
  EXPECT_EQ(chunk.start().service(), "tasks");
  EXPECT_EQ(chunk.start().database(), "big.db");
  EXPECT_GT(chunk.start().size_bytes(), 40'000'000);
  EXPECT_EQ(SnapshotFiles(dir_), 1);  // the first caller reads no further: its snapshot stays meanwhile

  grpc::ClientContext second;
  tokens_.Attach(AdminIdentity(), &second);
  auto other = stub_->BackupDatabase(&second, v1::BackupDatabaseRequest());
  EXPECT_FALSE(other->Read(&chunk));
  const grpc::Status busy = other->Finish();
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << busy.error_message();

  first.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (SnapshotFiles(dir_) > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(SnapshotFiles(dir_), 0) << "the snapshot outlived the call";

  // And the next backup, once the service has seen the first call end, runs to its end.
  int64_t bytes = 0;
  grpc::Status finished;
  do {
    grpc::ClientContext third;
    tokens_.Attach(AdminIdentity(), &third);
    auto last = stub_->BackupDatabase(&third, v1::BackupDatabaseRequest());
    bytes = 0;
    while (last->Read(&chunk)) bytes += static_cast<int64_t>(chunk.data().size());
    finished = last->Finish();
  } while (finished.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < deadline);
  EXPECT_TRUE(finished.ok()) << finished.error_message();
  EXPECT_GT(bytes, 40'000'000);
  EXPECT_EQ(SnapshotFiles(dir_), 0);
}

TEST_F(AdminServiceTest, StaleSnapshotsAreRemovedAtStart) {
  std::ofstream(dir_ + "/big.db.backup-7.tmp") << "left by a process that died";
  AdminService again("tasks", dir_ + "/big.db", tokens_.authenticator());
  EXPECT_EQ(SnapshotFiles(dir_), 0);
  EXPECT_TRUE(fs::exists(dir_ + "/big.db"));
}

}  // namespace
}  // namespace luoshi
