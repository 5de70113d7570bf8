#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "services/cli/cli.h"
#include "services/cli/credentials.h"
#include "absl/strings/str_cat.h"
#include "services/common/backup.h"
#include "services/common/jwt.h"
#include "services/common/sqlite.h"

namespace luoshi::cli {
namespace {

TEST(ArgsTest, ParsesOptionsAndPositionals) {
  auto args = Args::Parse({"a.txt", "--format=json", "--region", "大兴区", "--dry_run", "b.txt"},
                          {"format", "region"}, {"dry_run"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional(), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(args->Get("format"), "json");
  EXPECT_EQ(args->Get("region"), "大兴区");
  EXPECT_TRUE(args->Has("dry_run"));
}

TEST(ArgsTest, RejectsUnknownAndIncompleteOptions) {
  EXPECT_FALSE(Args::Parse({"--bogus"}, {"format"}).ok());
  EXPECT_FALSE(Args::Parse({"--format"}, {"format"}).ok());
  auto args = Args::Parse({"--year=twenty"}, {"year"});
  ASSERT_TRUE(args.ok());
  EXPECT_FALSE(args->GetInt("year", 0).ok());
}

TEST(CredentialsTest, RoundTripsAndReportsBadLines) {
  const std::string dir = testing::TempDir() + "/cli_credentials";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/config/credentials";
  ASSERT_TRUE(WriteCredentials(path, "aaa.bbb.ccc").ok());
  std::ofstream(path, std::ios::app) << "tls_ca=/etc/luoshi/ca.pem\n";
  ASSERT_TRUE(WriteCredentials(path, "ddd.eee.fff").ok());  // a new sign-in keeps the TLS settings
  auto back = ReadCredentials(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->token, "ddd.eee.fff");
  EXPECT_EQ(back->tls_ca, "/etc/luoshi/ca.pem");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none)
      << "a token is as good as a password";
  // A file from before tokens names a user and a role, which prove nothing: it is not a sign-in.
  std::ofstream(path) << "user=admin\nrole=admin\n";
  auto old = ReadCredentials(path);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->token, "");
  std::ofstream(path) << "token\n";
  EXPECT_EQ(ReadCredentials(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadCredentials(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

// Runs one registered command, as `luoshi WORDS...` would, and returns its status; output in *out.
absl::Status RunCommand(const std::string& name, const std::vector<std::string>& words, std::string* out) {
  std::ostringstream o, e;
  Context ctx;
  ctx.out = &o;
  ctx.err = &e;
  for (const Command& c : TokenCommands()) {
    if (name == c.name) {
      absl::Status s = c.run(ctx, words);
      *out = o.str();
      return s;
    }
  }
  return absl::NotFoundError(name);
}

TEST(TokenCommandsTest, GenerateIssueAndInspect) {
  const std::string dir = testing::TempDir() + "/cli_keys";
  std::filesystem::remove_all(dir);
  std::string out;
  ASSERT_TRUE(RunCommand("key", {"generate", dir}, &out).ok()) << out;
  std::string private_key;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().string().find(".private.pem") != std::string::npos) private_key = entry.path().string();
  }
  ASSERT_FALSE(private_key.empty()) << out;
  ASSERT_TRUE(RunCommand("token", {"issue", "--user", "张三", "--unit", "区财政局", "--role", "office", "--expires",
                                   "90d", "--key", private_key},
                         &out)
                  .ok())
      << out;
  const std::string token = out.substr(0, out.find('\n'));
  ASSERT_TRUE(RunCommand("token", {"inspect", token, "--keys", dir}, &out).ok());
  EXPECT_NE(out.find("user:     张三"), std::string::npos) << out;
  EXPECT_NE(out.find("role:     office"), std::string::npos) << out;
  EXPECT_NE(out.find("valid:    yes"), std::string::npos) << out;
  // What a person gets wrong is said plainly.
  EXPECT_EQ(RunCommand("token", {"issue", "--user", "x", "--role", "office", "--key", private_key}, &out).code(),
            absl::StatusCode::kInvalidArgument);  // an office without a unit
  EXPECT_EQ(RunCommand("token", {"issue", "--user", "x", "--role", "viewer", "--expires", "soon", "--key",
                                 private_key},
                       &out)
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCommand("token", {"inspect", "not-a-token"}, &out).code(), absl::StatusCode::kUnauthenticated);
}

TEST(TokenCommandsTest, LoginStoresTheTokenAndWhoamiReadsIt) {
  const std::string dir = testing::TempDir() + "/cli_login";
  std::filesystem::remove_all(dir);
  auto pair = WriteNewKeyPair(dir);
  ASSERT_TRUE(pair.ok()) << pair.status();
  std::string out;
  ASSERT_TRUE(RunCommand("token", {"issue", "--user", "督查室李四", "--role", "supervisor", "--expires", "2h",
                                   "--key", dir + "/" + pair->key_id + ".private.pem"},
                         &out)
                  .ok())
      << out;
  const std::string token = out.substr(0, out.find('\n'));
  const std::string file = dir + "/config/credentials";
  ASSERT_TRUE(RunCommand("login", {"--token", token, "--file", file}, &out).ok()) << out;
  EXPECT_NE(out.find("signed in as 督查室李四 (supervisor)"), std::string::npos) << out;
  auto stored = ReadCredentials(file);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->token, token);

  std::ostringstream o, e;
  Context ctx;
  ctx.out = &o;
  ctx.err = &e;
  ctx.token = stored->token;
  for (const Command& c : TokenCommands()) {
    if (std::string(c.name) == "whoami") ASSERT_TRUE(c.run(ctx, {}).ok());
  }
  EXPECT_NE(o.str().find("user:    督查室李四"), std::string::npos) << o.str();
  EXPECT_NE(o.str().find("role:    supervisor"), std::string::npos) << o.str();

  // Garbage and expired tokens are not stored.
  EXPECT_EQ(RunCommand("login", {"--token", "not-a-token", "--file", file}, &out).code(),
            absl::StatusCode::kUnauthenticated);
  TokenClaims old;
  old.subject = "x";
  old.role = "viewer";
  old.expires_at = absl::Now() - absl::Hours(2);
  auto expired = IssueToken(old, pair->private_pem, absl::Now() - absl::Hours(3));
  ASSERT_TRUE(expired.ok());
  auto refused = RunCommand("login", {"--token", *expired, "--file", file}, &out);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("expired"), std::string::npos) << refused;
  EXPECT_EQ(ReadCredentials(file)->token, token);
}

// luoshi admin restore against a backup directory made here (three small SQLite files and their manifest),
// with nothing listening at the service addresses.
class RestoreTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        testing::TempDir() + "/cli_restore_" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ + "/backup");
    std::string files;
    for (const char* service : {"ingestion", "indicators", "tasks"}) {
      const std::string path = absl::StrCat(root_, "/backup/", service, ".db");
      {
        auto db = sql::Database::Open(
            path, {{1, absl::StrCat("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('", service, "')")}});
        ASSERT_TRUE(db.ok()) << db.status();
      }
      absl::StrAppend(&files, files.empty() ? "" : ",", R"({"service":")", service, R"(","file":")", service,
                      R"(.db","size_bytes":")", std::filesystem::file_size(path), R"(","sha256":")",
                      *Sha256OfFile(path), R"(","schema_version":1})");
    }
    std::ofstream(root_ + "/backup/manifest.json")
        << R"({"format":"luoshi-backup-1","started":"2026-12-07T00:00:00Z","files":[)" << files << "]}";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  absl::Status Restore(const std::string& data_dir, std::string* out) {
    std::ostringstream o, e;
    Context ctx;
    ctx.out = &o;
    ctx.err = &e;
    // Port 1: nothing listens there, as when the services are stopped.
    ctx.ingestion_addr = ctx.indicators_addr = ctx.tasks_addr = "127.0.0.1:1";
    const std::vector<Command> admin = AdminCommands();
    absl::Status s = admin.at(0).run(ctx, {"restore", "--from", root_ + "/backup", "--data_dir", data_dir});
    *out = o.str();
    return s;
  }
  std::string root_;
};

TEST_F(RestoreTest, RestoresIntoADataDirectoryAndKeepsWhatWasThere) {
  std::string out;
  const std::string data = root_ + "/data";
  ASSERT_TRUE(Restore(data, &out).ok()) << out;
  EXPECT_EQ(*Sha256OfFile(data + "/tasks.db"), *Sha256OfFile(root_ + "/backup/tasks.db"));
  EXPECT_FALSE(std::filesystem::exists(data + "/tasks.db.before-restore"));
  std::ofstream(data + "/tasks.db-wal") << "stale";
  std::ofstream(data + "/tasks.db-shm") << "stale";
  ASSERT_TRUE(Restore(data, &out).ok()) << out;
  EXPECT_TRUE(std::filesystem::exists(data + "/tasks.db.before-restore"));
  EXPECT_TRUE(std::filesystem::exists(data + "/tasks.db.before-restore-wal"));
  EXPECT_FALSE(std::filesystem::exists(data + "/tasks.db-wal"));
  EXPECT_FALSE(std::filesystem::exists(data + "/tasks.db-shm"));
  EXPECT_TRUE(CheckDatabaseIntegrity(data + "/tasks.db").ok());
  // A third restore would overwrite what the second kept.
  EXPECT_EQ(Restore(data, &out).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RestoreTest, RefusesADamagedBackupAndChangesNothing) {
  {
    std::fstream f(root_ + "/backup/indicators.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  std::string out;
  absl::Status s = Restore(root_ + "/data", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("indicators.db is damaged"), std::string::npos) << s;
  EXPECT_FALSE(std::filesystem::exists(root_ + "/data"));
  std::filesystem::remove(root_ + "/backup/manifest.json");
  EXPECT_EQ(Restore(root_ + "/data", &out).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace luoshi::cli
