#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace luoshi::cli
