#include "services/common/jwt.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace luoshi {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1780000000);

TokenClaims Office() {
  TokenClaims c;
  c.subject = "张三";
  c.unit = "区财政局";
  c.role = "office";
  c.expires_at = kNow + absl::Hours(24);
  return c;
}

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/jwt_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = GenerateKeyPair();
    ASSERT_TRUE(pair.ok()) << pair.status();
    pair_ = *pair;
    ASSERT_TRUE(verifier_.AddPublicKey(pair_.public_pem).ok());
  }
  // The status of verifying `token` at `now`.
  absl::Status Refusal(const std::string& token, absl::Time now = kNow) {
    return verifier_.Verify(token, now).status();
  }
  KeyPairPem pair_;
  TokenVerifier verifier_;
};

TEST_F(JwtTest, AnIssuedTokenVerifiesWithItsClaims) {
  auto token = IssueToken(Office(), pair_.private_pem, kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  auto claims = verifier_.Verify(*token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "张三");
  EXPECT_EQ(claims->unit, "区财政局");
  EXPECT_EQ(claims->role, "office");
  EXPECT_EQ(claims->issued_at, kNow);
  EXPECT_EQ(claims->expires_at, kNow + absl::Hours(24));
  EXPECT_EQ(claims->key_id, pair_.key_id);
  EXPECT_EQ(claims->token_id.size(), 32u);
  // Two tokens for the same person are still two tokens (revocable one by one).
  EXPECT_NE(verifier_.Verify(*IssueToken(Office(), pair_.private_pem, kNow), kNow)->token_id,
            claims->token_id);
}

TEST_F(JwtTest, EachFailureSaysWhy) {
  const std::string good = *IssueToken(Office(), pair_.private_pem, kNow);
  std::vector<std::string> part = absl::StrSplit(good, '.');
  auto code_and = [&](const std::string& token, const char* why) {
    absl::Status s = Refusal(token);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << why;
    EXPECT_THAT(std::string(s.message()), HasSubstr(why));
  };
  code_and("", "no token");
  code_and("abc.def", "malformed");
  code_and(absl::StrCat(part[0], ".", part[1], ".", part[2], "="), "malformed");
  // Altered payload, same signature: forged.
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(part[1], &payload));
  std::string admin = payload;
  admin.replace(admin.find("office"), 6, "admin\"");
  admin.erase(admin.find("admin\"") + 5, 1);
  code_and(absl::StrCat(part[0], ".", absl::WebSafeBase64Escape(admin), ".", part[2]), "signature");
  // Expired (beyond the skew) and not yet valid.
  EXPECT_TRUE(verifier_.Verify(good, kNow + absl::Hours(24) + absl::Seconds(30)).ok()) << "within the skew";
  EXPECT_THAT(std::string(Refusal(good, kNow + absl::Hours(25)).message()), HasSubstr("expired"));
  TokenClaims later = Office();
  later.not_before = kNow + absl::Hours(1);
  EXPECT_THAT(std::string(Refusal(*IssueToken(later, pair_.private_pem, kNow)).message()),
              HasSubstr("not valid yet"));
  // A key this service does not hold.
  auto other = GenerateKeyPair();
  code_and(*IssueToken(Office(), other->private_pem, kNow), "key id");
}

TEST_F(JwtTest, OnlyEs256IsAccepted) {
  const std::string good = *IssueToken(Office(), pair_.private_pem, kNow);
  std::vector<std::string> part = absl::StrSplit(good, '.');
  for (const char* alg : {"none", "HS256", "RS256", "ES384"}) {
    std::string header =
        absl::StrCat("{\"alg\":\"", alg, "\",\"typ\":\"JWT\",\"kid\":\"", pair_.key_id, "\"}");
    std::string forged = absl::StrCat(absl::WebSafeBase64Escape(header), ".", part[1], ".", part[2]);
    absl::Status s = Refusal(forged);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << alg;
    EXPECT_THAT(std::string(s.message()), HasSubstr("is not accepted")) << alg;
  }
  // "none" with an empty signature is malformed before anything else.
  std::string header = absl::StrCat("{\"alg\":\"none\",\"kid\":\"", pair_.key_id, "\"}");
  EXPECT_EQ(Refusal(absl::StrCat(absl::WebSafeBase64Escape(header), ".", part[1], ".")).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(JwtTest, ClaimsMustBeWellFormedUtf8AndARole) {
  TokenClaims bad = Office();
  bad.role = "superuser";
  EXPECT_FALSE(IssueToken(bad, pair_.private_pem, kNow).ok());
  bad = Office();
  bad.unit = "\xff\xfe";
  EXPECT_FALSE(IssueToken(bad, pair_.private_pem, kNow).ok());
  // A payload with invalid UTF-8, signed properly by someone holding the key, is still refused.
  const std::string good = *IssueToken(Office(), pair_.private_pem, kNow);
  std::vector<std::string> part = absl::StrSplit(good, '.');
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(part[1], &payload));
  std::string broken = payload;
  broken.insert(broken.find("区"), "\xc0\x80");
  absl::Status s = Refusal(absl::StrCat(part[0], ".", absl::WebSafeBase64Escape(broken), ".", part[2]));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("UTF-8"));
}

TEST_F(JwtTest, KeyRotationPicksTheKeyByKid) {
  const std::string dir = TempDir("rotation");
  auto old_pair = WriteNewKeyPair(dir);
  auto new_pair = WriteNewKeyPair(dir);
  ASSERT_TRUE(old_pair.ok() && new_pair.ok());
  TokenVerifier verifier;
  ASSERT_TRUE(verifier.LoadKeyDirectory(dir).ok());
  EXPECT_EQ(verifier.key_count(), 2);
  for (const KeyPairPem* pair : {&*old_pair, &*new_pair}) {
    auto claims = verifier.Verify(*IssueToken(Office(), pair->private_pem, kNow), kNow);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->key_id, pair->key_id);
  }
  EXPECT_EQ(*KeyIdOf(old_pair->public_pem), old_pair->key_id);
  EXPECT_EQ(*KeyIdOf(old_pair->private_pem), old_pair->key_id);
  // Fail closed: no key, or a file that is not a key.
  TokenVerifier empty;
  EXPECT_FALSE(empty.LoadKeyDirectory(TempDir("none")).ok());
  const std::string junk = TempDir("junk");
  std::filesystem::create_directories(junk);
  std::ofstream(junk + "/bad.pem") << "not a key";
  EXPECT_FALSE(empty.LoadKeyDirectory(junk).ok());
}

TEST_F(JwtTest, RevocationFileIsReadAgainWhenItChanges) {
  const std::string dir = TempDir("revoked");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/revoked.txt";
  verifier_.SetRevocationFile(path);  // missing: nothing revoked
  const std::string token = *IssueToken(Office(), pair_.private_pem, kNow);
  const std::string jti = verifier_.Verify(token, kNow)->token_id;
  ASSERT_TRUE(verifier_.Verify(token, kNow).ok());
  std::ofstream(path) << "# revoked by the office on 2026-06-01\n" << jti << "\n";
  // Checked at most once a second.
  absl::Status s = verifier_.Verify(token, kNow + absl::Seconds(2)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("revoked"));
  std::ofstream(path) << "\n";
  EXPECT_TRUE(verifier_.Verify(token, kNow + absl::Seconds(4)).ok());
}

TEST_F(JwtTest, InspectReadsClaimsWithoutAKey) {
  auto claims = DecodeTokenUnverified(*IssueToken(Office(), pair_.private_pem, kNow) + "\n");
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "张三");
  EXPECT_EQ(claims->key_id, pair_.key_id);
}

}  // namespace
}  // namespace luoshi
