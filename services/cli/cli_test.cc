#include <fstream>

#include "gtest/gtest.h"
#include "services/cli/cli.h"
#include "services/cli/credentials.h"

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
  std::string path = testing::TempDir() + "/creds";
  Identity id{"王科长", "区发展改革委", Role::kOffice};
  std::ofstream(path) << FormatCredentials(id);
  auto back = ReadCredentials(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->user, "王科长");
  EXPECT_EQ(back->unit, "区发展改革委");
  EXPECT_EQ(back->role, Role::kOffice);
  std::ofstream(path) << "role=emperor\n";
  EXPECT_EQ(ReadCredentials(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadCredentials(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace luoshi::cli
