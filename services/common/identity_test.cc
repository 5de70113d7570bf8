#include "services/common/identity.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/test_tokens.h"

namespace luoshi {
namespace {

TEST(IdentityTest, RolesParse) {
  Role r;
  EXPECT_TRUE(ParseRole("supervisor", &r));
  EXPECT_EQ(r, Role::kSupervisor);
  EXPECT_TRUE(ParseRole("service", &r));
  EXPECT_EQ(r, Role::kService);
  EXPECT_FALSE(ParseRole("root", &r));
}

TEST(IdentityTest, RequireRoleNamesWhoMayNot) {
  const Identity viewer{"公众", "", Role::kViewer};
  EXPECT_TRUE(RequireRole(AdminIdentity(), {Role::kAdmin, Role::kService}, "record observations").ok());
  absl::Status denied = RequireRole(viewer, {Role::kAdmin, Role::kService}, "record observations");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "role viewer may not record observations; only admin, service may");
}

TEST(IdentityTest, PrincipalsRoundTripButNeverNameAService) {
  const Identity office{"张三", "区财政局", Role::kOffice, "jti-1"};
  auto back = IdentityFromPrincipal(PrincipalOf(office));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->user, "张三");
  EXPECT_EQ(back->unit, "区财政局");
  EXPECT_EQ(back->role, Role::kOffice);
  EXPECT_EQ(back->token_id, "jti-1");
  EXPECT_EQ(IdentityFromPrincipal(PrincipalOf(ServiceIdentity())).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::Principal bad = PrincipalOf(office);
  bad.set_unit("");
  EXPECT_EQ(IdentityFromPrincipal(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto verifier = std::make_unique<TokenVerifier>();
    ASSERT_TRUE(verifier->AddPublicKey(tokens_.keys().public_pem).ok());
    revoked_ = ::testing::TempDir() + "/authenticator_revoked";
    std::filesystem::remove(revoked_);
    verifier->SetRevocationFile(revoked_);
    auth_ = std::make_unique<Authenticator>(std::move(verifier), &clock_, /*cache_capacity=*/2);
  }

  std::string Token(const std::string& user, const std::string& role, const std::string& unit = "",
                    absl::Duration lifetime = absl::Hours(1)) {
    TokenClaims c;
    c.subject = user;
    c.role = role;
    c.unit = unit;
    c.expires_at = clock_.Now() + lifetime;
    return tokens_.Issue(c, clock_.Now());
  }

  TestTokens tokens_;
  FakeClock clock_{absl::Now()};
  std::string revoked_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, ReadsTheBearerHeader) {
  const std::string token = Token("张三", "office", "区财政局");
  auto who = auth_->AuthenticateHeader("Bearer " + token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->user, "张三");
  EXPECT_EQ(who->unit, "区财政局");
  EXPECT_EQ(who->role, Role::kOffice);
  EXPECT_FALSE(who->token_id.empty());
  EXPECT_TRUE(auth_->AuthenticateHeader("bearer  " + token).ok()) << "the scheme is case-insensitive";
  for (const char* bad : {"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"}) {
    absl::StatusOr<Identity> refused = auth_->AuthenticateHeader(bad);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << bad;
  }
}

TEST_F(AuthenticatorTest, AnOfficeTokenWithoutAUnitIsRefused) {
  auto who = auth_->AuthenticateToken(Token("张三", "office"));
  EXPECT_EQ(who.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(who.status().message().find("must name its unit"), std::string::npos) << who.status();
}

TEST_F(AuthenticatorTest, RememberedTokensStillExpireAndCanBeRevoked) {
  const std::string token = Token("李四", "supervisor", "", absl::Minutes(10));
  auto first = auth_->AuthenticateToken(token);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(auth_->AuthenticateToken(token).ok());  // from the cache
  // A token altered by one character never matches the remembered one.
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(auth_->AuthenticateToken(altered).status().code(), absl::StatusCode::kUnauthenticated);

  // Revoked after it was remembered: refused from the next check of the list on.
  std::ofstream(revoked_) << first->token_id << "\n";
  clock_.Advance(absl::Seconds(2));
  auto revoked = auth_->AuthenticateToken(token);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos) << revoked.status();

  // Expired while remembered.
  const std::string other = Token("王五", "viewer", "", absl::Minutes(10));
  ASSERT_TRUE(auth_->AuthenticateToken(other).ok());
  clock_.Advance(absl::Minutes(10) + kTokenClockSkew + absl::Seconds(1));
  auto expired = auth_->AuthenticateToken(other);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos) << expired.status();
}

TEST_F(AuthenticatorTest, AFullCacheKeepsVerifying) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) tokens.push_back(Token("用户" + std::to_string(i), "viewer"));
  for (int round = 0; round < 2; ++round) {
    for (const std::string& t : tokens) EXPECT_TRUE(auth_->AuthenticateToken(t).ok());
  }
}

// Many calls at once, as on a server's threads: some tokens remembered, some pushed out of the small
// cache, one revoked meanwhile. Run under ThreadSanitizer by scripts/test.sh.
TEST_F(AuthenticatorTest, ManyThreadsAtOnce) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 6; ++i) tokens.push_back(Token("用户" + std::to_string(i), "viewer"));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (!auth_->AuthenticateToken(tokens[(t + i) % tokens.size()]).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(AuthenticatorLoadTest, NoKeysNoService) {
  auto none = Authenticator::Load("", "");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("--auth_keys"), std::string::npos);
  const std::string empty = ::testing::TempDir() + "/authenticator_empty_keys";
  std::filesystem::create_directories(empty);
  EXPECT_FALSE(Authenticator::Load(empty, "").ok());
}

}  // namespace
}  // namespace luoshi
