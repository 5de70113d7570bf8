#include "services/common/flags.h"

#include <map>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

namespace luoshi {
namespace {

std::map<std::string, std::string>* g_env = nullptr;
std::string FakeEnv(const std::string& name) {
  auto it = g_env->find(name);
  return it == g_env->end() ? "" : it->second;
}

TEST(FlagsTest, EnvironmentSetsFlags) {
  std::map<std::string, std::string> env = {{"LUOSHI_LISTEN", "127.0.0.1:9999"},
                                            {"LUOSHI_MAX_THREADS", "7"}};
  g_env = &env;
  ASSERT_TRUE(ApplyEnvironmentToFlags(&FakeEnv).ok());
  EXPECT_EQ(ListenAddress("127.0.0.1:1"), "127.0.0.1:9999");
  EXPECT_EQ(absl::GetFlag(FLAGS_max_threads), 7);
  absl::SetFlag(&FLAGS_listen, "");
  absl::SetFlag(&FLAGS_max_threads, 64);
}

TEST(FlagsTest, BadEnvironmentValueNamesTheVariable) {
  std::map<std::string, std::string> env = {{"LUOSHI_MAX_THREADS", "many"}};
  g_env = &env;
  absl::Status s = ApplyEnvironmentToFlags(&FakeEnv);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("LUOSHI_MAX_THREADS"), std::string::npos);
}

// Sets --store and --db for one test and clears them again.
class StoreFlagsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    absl::SetFlag(&FLAGS_store, "");
    absl::SetFlag(&FLAGS_db, "");
  }
  static absl::StatusOr<StoreLocation> With(const std::string& store, const std::string& db) {
    absl::SetFlag(&FLAGS_store, store);
    absl::SetFlag(&FLAGS_db, db);
    return StoreLocationFromFlags("data/local/tasks.db");
  }
};

TEST_F(StoreFlagsTest, ServiceDefaultIsItsSqliteFile) {
  absl::StatusOr<StoreLocation> location = With("", "");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_TRUE(location->is_sqlite());
  EXPECT_EQ(location->sqlite_path(), "data/local/tasks.db");
}

TEST_F(StoreFlagsTest, DbIsShorthandForStoreSqlite) {
  absl::StatusOr<StoreLocation> by_db = With("", "/tmp/x.db");
  absl::StatusOr<StoreLocation> by_store = With("sqlite:/tmp/x.db", "");
  ASSERT_TRUE(by_db.ok()) << by_db.status();
  ASSERT_TRUE(by_store.ok()) << by_store.status();
  EXPECT_EQ(by_db->sqlite_path(), "/tmp/x.db");
  EXPECT_EQ(by_store->sqlite_path(), "/tmp/x.db");
  EXPECT_EQ(by_db->ForLog(), by_store->ForLog());
}

TEST_F(StoreFlagsTest, PostgresUriIsTakenAsGiven) {
  absl::StatusOr<StoreLocation> location = With("postgres://luoshi@db/luoshi?sslmode=require", "");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_TRUE(location->is_postgres());
  EXPECT_EQ(location->postgres_uri(), "postgres://luoshi@db/luoshi?sslmode=require");
}

TEST_F(StoreFlagsTest, BothFlagsAreRefusedWithoutShowingThePassword) {
  absl::StatusOr<StoreLocation> location = With("postgres://luoshi:s3cret@db/luoshi", "/tmp/x.db");
  EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(location.status().message());
  EXPECT_NE(message.find("--store"), std::string::npos) << message;
  EXPECT_NE(message.find("--db"), std::string::npos) << message;
  EXPECT_NE(message.find("only one"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
}

TEST_F(StoreFlagsTest, BadStoreValueNamesTheFlag) {
  absl::StatusOr<StoreLocation> location = With("data/local/tasks.db", "");
  EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(location.status().message().rfind("--store: ", 0), 0u) << location.status();
}

TEST_F(StoreFlagsTest, EnvironmentSetsTheStore) {
  std::map<std::string, std::string> env = {{"LUOSHI_STORE", "sqlite:/srv/tasks.db"}};
  g_env = &env;
  ASSERT_TRUE(ApplyEnvironmentToFlags(&FakeEnv).ok());
  absl::StatusOr<StoreLocation> location = StoreLocationFromFlags("data/local/tasks.db");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->sqlite_path(), "/srv/tasks.db");
}

}  // namespace
}  // namespace luoshi
