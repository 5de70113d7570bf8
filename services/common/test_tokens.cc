#include "services/common/test_tokens.h"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace luoshi {

TestTokens::TestTokens() {
  absl::StatusOr<KeyPairPem> keys = GenerateKeyPair();
  if (!keys.ok()) {
    LogError("cannot generate a test key pair", {{"error", std::string(keys.status().message())}});
    std::abort();
  }
  keys_ = *std::move(keys);
  auto verifier = std::make_unique<TokenVerifier>();
  if (absl::Status s = verifier->AddPublicKey(keys_.public_pem); !s.ok()) {
    LogError("cannot load the test public key", {{"error", std::string(s.message())}});
    std::abort();
  }
  authenticator_ = std::make_unique<Authenticator>(std::move(verifier));
}

std::string TestTokens::Issue(const TokenClaims& claims, absl::Time now) const {
  absl::StatusOr<std::string> token = IssueToken(claims, keys_.private_pem, now);
  if (!token.ok()) {
    LogError("cannot issue a test token", {{"error", std::string(token.status().message())}});
    std::abort();
  }
  return *std::move(token);
}

std::string TestTokens::For(const Identity& who) const {
  const std::string key = absl::StrCat(who.user, "\n", who.unit, "\n", RoleName(who.role), "\n", who.token_id);
  absl::MutexLock lock(&mu_);
  auto it = issued_.find(key);
  if (it != issued_.end()) return it->second;
  TokenClaims claims;
  claims.subject = who.user;
  claims.unit = who.unit;
  claims.role = RoleName(who.role);
  claims.token_id = who.token_id;
  const absl::Time now = absl::Now();
  claims.expires_at = now + absl::Hours(24);
  std::string token = Issue(claims, now);
  issued_[key] = token;
  return token;
}

void TestTokens::Attach(const Identity& who, grpc::ClientContext* context) const {
  AttachToken(For(who), context);
}

absl::Status TestTokens::WritePublicKey(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string path = absl::StrCat(dir, "/", keys_.key_id, ".public.pem");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << keys_.public_pem;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

Identity AdminIdentity(const std::string& user) { return Identity{user, "", Role::kAdmin, ""}; }
Identity ServiceIdentity(const std::string& user) { return Identity{user, "", Role::kService, ""}; }

}  // namespace luoshi
