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

// Serves `admin` on a loopback port chosen by the system and makes `*stub` call it.
std::unique_ptr<grpc::Server> Serve(AdminService* admin, std::unique_ptr<v1::AdminService::Stub>* stub) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(admin);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  *stub = v1::AdminService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  return server;
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
    admin_ = std::make_unique<AdminService>("tasks", StoreLocation::Sqlite(dir_ + "/big.db"),
                                            tokens_.authenticator());
    server_ = Serve(admin_.get(), &stub_);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_->Shutdown();
    fs::remove_all(dir_);
  }

  std::string dir_;
  TestTokens tokens_;
  std::unique_ptr<AdminService> admin_;
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
  AdminService again("tasks", StoreLocation::Sqlite(dir_ + "/big.db"), tokens_.authenticator());
  EXPECT_EQ(SnapshotFiles(dir_), 0);
  EXPECT_TRUE(fs::exists(dir_ + "/big.db"));
}

// A PostgreSQL store is backed up with pg_dump; the answer says so, without the password of its URI,
// and only to an administrator.
TEST(AdminServicePostgresTest, BackupOfAPostgresStorePointsToPgDump) {
  TestTokens tokens;
  AdminService admin("tasks", *StoreLocation::Parse("postgres://luoshi:s3cret@db.example/luoshi"),
                     tokens.authenticator());
  std::unique_ptr<v1::AdminService::Stub> stub;
  std::unique_ptr<grpc::Server> server = Serve(&admin, &stub);
  ASSERT_NE(server, nullptr);
  const auto backup = [&](const Identity& who) {
    grpc::ClientContext context;
    tokens.Attach(who, &context);
    auto reader = stub->BackupDatabase(&context, v1::BackupDatabaseRequest());
    v1::BackupChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    return reader->Finish();
  };
  const grpc::Status refused = backup(AdminIdentity());
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "pg_dump")) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "docs/operations.md")) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "postgres://luoshi:***@db.example/luoshi"))
      << refused.error_message();
  EXPECT_FALSE(absl::StrContains(refused.error_message(), "s3cret"));
  EXPECT_EQ(backup(Identity{"viewer", "", Role::kViewer, ""}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  server->Shutdown();
}

}  // namespace
}  // namespace luoshi
