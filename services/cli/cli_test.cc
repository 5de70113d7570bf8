#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "services/cli/cli.h"
#include "services/cli/credentials.h"
#include "services/common/jwt.h"

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

}  // namespace
}  // namespace luoshi::cli
