#include "services/common/store_url.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace luoshi {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(StoreLocationTest, SqlitePathsRelativeAbsoluteAndInUrlForm) {
  for (const auto& [value, path] : std::vector<std::pair<std::string, std::string>>{
           {"sqlite:data/local/tasks.db", "data/local/tasks.db"},
           {"sqlite:tasks.db", "tasks.db"},
           {"sqlite:/var/lib/luoshi/tasks.db", "/var/lib/luoshi/tasks.db"},
           {"sqlite:///var/lib/luoshi/tasks.db", "/var/lib/luoshi/tasks.db"},
           {"sqlite:数据/任务.db", "数据/任务.db"},
       }) {
    absl::StatusOr<StoreLocation> location = StoreLocation::Parse(value);
    ASSERT_TRUE(location.ok()) << value << ": " << location.status();
    EXPECT_TRUE(location->is_sqlite()) << value;
    EXPECT_EQ(location->sqlite_path(), path) << value;
    EXPECT_EQ(location->postgres_uri(), "") << value;
    EXPECT_EQ(location->ForLog(), "sqlite:" + path) << value;
  }
}

TEST(StoreLocationTest, PostgresUrisAreKeptVerbatim) {
  for (const std::string uri : {"postgres://luoshi@db.example.gov.cn/luoshi?sslmode=verify-full",
                                "postgresql://luoshi:s3cret@10.0.0.5:5432,10.0.0.6:5432/luoshi",
                                "postgresql:///luoshi?host=/var/run/postgresql", "postgres://"}) {
    absl::StatusOr<StoreLocation> location = StoreLocation::Parse(uri);
    ASSERT_TRUE(location.ok()) << uri << ": " << location.status();
    EXPECT_TRUE(location->is_postgres()) << uri;
    EXPECT_EQ(location->postgres_uri(), uri);
    EXPECT_EQ(location->sqlite_path(), "");
  }
}

TEST(StoreLocationTest, BadValuesNameTheAcceptedForms) {
  for (const std::string value : {"", "data/local/tasks.db", "/var/lib/luoshi/tasks.db", "mysql://u@h/db",
                                  "sqlite:", "sqlite://", "sqlite://host/tasks.db", "postgres:luoshi",
                                  "postgresql:/luoshi", "sqlite:tasks.db\n", "SQLITE:tasks.db"}) {
    absl::StatusOr<StoreLocation> location = StoreLocation::Parse(value);
    EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument) << "\"" << value << "\"";
    EXPECT_THAT(std::string(location.status().message()),
                AllOf(HasSubstr("sqlite:PATH"), HasSubstr("postgres://"), HasSubstr("--db=PATH")))
        << value;
  }
  EXPECT_THAT(std::string(StoreLocation::Parse("sqlite://host/x.db").status().message()), HasSubstr("host"));
  EXPECT_THAT(std::string(StoreLocation::Parse("sqlite:").status().message()), HasSubstr("names no file"));
}

// A mistyped URI is echoed in the error, but never with its password.
TEST(StoreLocationTest, ErrorsDoNotShowThePassword) {
  absl::StatusOr<StoreLocation> location = StoreLocation::Parse("postgress://luoshi:s3cret@db/luoshi");
  ASSERT_FALSE(location.ok());
  EXPECT_THAT(std::string(location.status().message()),
              AllOf(HasSubstr("postgress://luoshi:***@db/luoshi"), Not(HasSubstr("s3cret"))));
}

TEST(StoreLocationTest, LogFormHidesPasswordsOnly) {
  const auto redacted = [](const std::string& uri) { return StoreLocation::Parse(uri)->ForLog(); };
  EXPECT_EQ(redacted("postgres://luoshi:s3cret@db:5432/luoshi?sslmode=require"),
            "postgres://luoshi:***@db:5432/luoshi?sslmode=require");
  EXPECT_EQ(redacted("postgresql://luoshi@db/luoshi"), "postgresql://luoshi@db/luoshi");
  EXPECT_EQ(redacted("postgresql://:s3cret@db/luoshi"), "postgresql://:***@db/luoshi");
  EXPECT_EQ(redacted("postgresql://db/luoshi?user=luoshi&password=s3cret&sslmode=require"),
            "postgresql://db/luoshi?user=luoshi&password=***&sslmode=require");
  EXPECT_EQ(redacted("postgresql://db/luoshi?sslpassword=key-pass&pass%77ord=s3cret"),
            "postgresql://db/luoshi?sslpassword=***&pass%77ord=***");
  EXPECT_EQ(redacted("postgresql://db/luoshi?application_name=a@b"),
            "postgresql://db/luoshi?application_name=a@b");
}

// Passwords with characters that should have been percent-encoded are hidden all the same.
TEST(StoreLocationTest, LogFormHidesPasswordsWithReservedCharacters) {
  for (const std::string uri :
       {"postgres://luoshi:s3/cret@db/luoshi", "postgres://luoshi:s3@cret@db/luoshi",
        "postgres://luoshi:s3?cret@db/luoshi", "postgres://luoshi:s3%40cret@db/luoshi"}) {
    const std::string shown = StoreLocation::Parse(uri)->ForLog();
    EXPECT_THAT(shown, AllOf(Not(HasSubstr("s3")), Not(HasSubstr("cret")), HasSubstr("luoshi:***@"))) << uri;
  }
}

TEST(StoreLocationTest, RedactionLeavesTextWithoutSchemeAlone) {
  EXPECT_EQ(RedactConnectionUri("data/local/tasks.db"), "data/local/tasks.db");
}

}  // namespace
}  // namespace luoshi
