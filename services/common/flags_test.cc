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

TEST(FlagsTest, ServiceDefaultsApplyWhenUnset) {
  absl::SetFlag(&FLAGS_db, "");
  EXPECT_EQ(DatabasePath("data/local/tasks.db"), "data/local/tasks.db");
  absl::SetFlag(&FLAGS_db, "/tmp/x.db");
  EXPECT_EQ(DatabasePath("data/local/tasks.db"), "/tmp/x.db");
  absl::SetFlag(&FLAGS_db, "");
}

}  // namespace
}  // namespace luoshi
