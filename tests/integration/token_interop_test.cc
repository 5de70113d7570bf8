// Tokens between Luoshi and a JWT library made elsewhere (Debian's python3-jwt, installed by
// scripts/setup.sh): what `luoshi token issue` signs verifies there, what the library signs with the
// deployment's key verifies here, and the library's attempt at the classic algorithm confusion (HS256
// keyed with the public key) is refused.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/jwt.h"
#include "tests/common/process.h"

namespace luoshi {
namespace {

using ::luoshi::testing::RunShell;

using ::testing::HasSubstr;

constexpr char kPython[] = "/usr/bin/python3";

// Runs `script` with python3 and returns what it printed (trailing newline removed).
std::string Python(const std::string& dir, const std::string& script) {
  const std::string path = dir + "/script.py";
  std::ofstream(path) << script;
  std::string out;
  RunShell(absl::StrCat(kPython, " ", path), &out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class TokenInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test: ctest runs the tests of this file in parallel processes.
    dir_ = ::testing::TempDir() + "/token_interop_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto pair = WriteNewKeyPair(dir_ + "/keys");
    ASSERT_TRUE(pair.ok()) << pair.status();
    pair_ = *pair;
    ASSERT_TRUE(verifier_.LoadKeyDirectory(dir_ + "/keys").ok());
    ASSERT_EQ(Python(dir_, "import jwt\nprint('ok')\n"), "ok")
        << "python3-jwt is missing: scripts/setup.sh installs it";
  }
  std::string KeyFile(const char* which) {
    return absl::StrCat(dir_, "/keys/", pair_.key_id, ".", which, ".pem");
  }

  std::string dir_;
  KeyPairPem pair_;
  TokenVerifier verifier_;
};

TEST_F(TokenInteropTest, OurTokensVerifyWithPyJwt) {
  TokenClaims claims;
  claims.subject = "张三";
  claims.unit = "区财政局";
  claims.role = "office";
  claims.expires_at = absl::Now() + absl::Hours(1);
  auto token = IssueToken(claims, pair_.private_pem, absl::Now());
  ASSERT_TRUE(token.ok());
  std::string out =
      Python(dir_, absl::StrCat("import jwt\n"
                                "key = open('",
                                KeyFile("public"),
                                "').read()\n"
                                "c = jwt.decode('",
                                *token,
                                "', key, algorithms=['ES256'])\n"
                                "h = jwt.get_unverified_header('",
                                *token,
                                "')\n"
                                "print(c['sub'], c['luoshi_unit'], c['luoshi_role'], h['kid'], h['alg'])\n"));
  EXPECT_EQ(out, absl::StrCat("张三 区财政局 office ", pair_.key_id, " ES256"));
}

TEST_F(TokenInteropTest, PyJwtTokensSignedWithTheDeploymentKeyAreAccepted) {
  std::string token =
      Python(dir_, absl::StrCat("import jwt, time\n"
                                "key = open('",
                                KeyFile("private"),
                                "').read()\n"
                                "now = int(time.time())\n"
                                "print(jwt.encode({'sub': '李四', 'luoshi_role': 'supervisor', "
                                "'iat': now, 'exp': now + 600, 'jti': 'py-1'}, key, "
                                "algorithm='ES256', headers={'kid': '",
                                pair_.key_id, "'}))\n"));
  auto claims = verifier_.Verify(token, absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status() << " for " << token;
  EXPECT_EQ(claims->subject, "李四");
  EXPECT_EQ(claims->role, "supervisor");
  EXPECT_EQ(claims->token_id, "py-1");
}

TEST_F(TokenInteropTest, AlgorithmConfusionIsRefused) {
  // HS256 with the public key's PEM as the HMAC secret: accepted by verifiers that trust the header.
  std::string token =
      Python(dir_, absl::StrCat("import jwt, time, hmac, hashlib, base64, json\n"
                                "key = open('",
                                KeyFile("public"),
                                "').read().encode()\n"
                                "b = lambda d: base64.urlsafe_b64encode(d).rstrip(b'=').decode()\n"
                                "now = int(time.time())\n"
                                "h = b(json.dumps({'alg': 'HS256', 'kid': '",
                                pair_.key_id,
                                "'}).encode())\n"
                                "p = b(json.dumps({'sub': 'x', 'luoshi_role': 'admin', 'iat': now, "
                                "'exp': now + 600, 'jti': 'j'}).encode())\n"
                                "s = b(hmac.new(key, (h + '.' + p).encode(), hashlib.sha256).digest())\n"
                                "print(h + '.' + p + '.' + s)\n"));
  absl::Status s = verifier_.Verify(token, absl::Now()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << token;
  EXPECT_THAT(std::string(s.message()), HasSubstr("HS256"));
}

}  // namespace
}  // namespace luoshi
