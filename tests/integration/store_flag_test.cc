// --store and --db as an operator meets them on the three real service binaries: a SQLite location in a
// directory that does not exist yet, both flags at once, a value that is no location, and a PostgreSQL
// URI of a server that is not there, whose password must not reach the output.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kServices[] = {"ingestion/luoshi-ingestion", "indicators/luoshi-indicators",
                                     "tasks/luoshi-tasks"};
constexpr char kPostgres[] = "postgres://luoshi:s3cret@127.0.0.1:1/luoshi?sslmode=disable";

// The service's command line with the credentials every service needs and a loopback port.
std::string Command(const std::string& service, const std::string& flags) {
  return absl::StrCat(BinaryPath(service), " ", absl::StrJoin(AuthFlags(), " "), " --listen=127.0.0.1:0 ",
                      flags);
}

TEST(StoreFlagTest, SqliteStoreInANewDirectoryIsCreatedAndServed) {
  const std::string dir = FreshTestDir("store_flag");
  const std::string file = dir + "/new/sub/tasks.db";
  ServiceProcess tasks;
  std::vector<std::string> args = AuthFlags();
  args.push_back("--store=sqlite:" + file);
  ASSERT_TRUE(tasks.Start(BinaryPath("tasks/luoshi-tasks"), args).ok()) << tasks.Log();
  EXPECT_TRUE(std::filesystem::exists(file));
  // The line naming the store comes after the port is known (Start() returns then), so read the whole
  // log once the service has stopped.
  EXPECT_EQ(tasks.Stop(), 0);
  EXPECT_THAT(tasks.Log(), HasSubstr("\"store\":\"sqlite:" + file + "\""));
}

TEST(StoreFlagTest, StoreAndDbTogetherStopEveryServiceAtStart) {
  const std::string dir = FreshTestDir("store_flag_both");
  for (const char* service : kServices) {
    std::string out;
    EXPECT_EQ(RunShell(Command(service, absl::StrCat("--db=", dir, "/a.db --store='", kPostgres, "'")), &out),
              2)
        << service << ": " << out;
    EXPECT_THAT(out, HasSubstr("--db=PATH is shorthand for --store=sqlite:PATH, so give only one of them"))
        << service;
    EXPECT_THAT(out, Not(HasSubstr("s3cret"))) << service;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.db")) << "a refused start must not create the database";
}

TEST(StoreFlagTest, ValueThatIsNoLocationNamesTheAcceptedForms) {
  const std::string dir = FreshTestDir("store_flag_bad");
  for (const char* service : kServices) {
    std::string out;
    EXPECT_EQ(RunShell(Command(service, absl::StrCat("--store=", dir, "/a.db")), &out), 2)
        << service << ": " << out;
    EXPECT_THAT(out, HasSubstr("is not a store location: use sqlite:PATH")) << service;
  }
}

// Every service has its PostgreSQL store (issue 23): with nothing listening at the URI each stops, naming
// the server without the password.
TEST(StoreFlagTest, UnreachablePostgresStopsTheServiceAndItsPasswordStaysHidden) {
  for (const char* service : kServices) {
    std::string out;
    EXPECT_NE(RunShell(Command(service, absl::StrCat("--store='", kPostgres, "'")), &out), 0) << service;
    EXPECT_THAT(out, HasSubstr("cannot connect to PostgreSQL at luoshi@127.0.0.1:1/luoshi")) << service;
    EXPECT_THAT(out, Not(HasSubstr("s3cret"))) << service;
  }
}

}  // namespace
}  // namespace luoshi::testing
