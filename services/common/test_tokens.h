// Signed tokens for tests and benchmarks: a fresh key pair held in memory, an Authenticator that trusts
// it (for in-process servers), tokens for any identity, and the public key written to a directory (for
// services started as processes with --auth_keys). Not for production: the private key lives with it.
#ifndef LUOSHI_SERVICES_COMMON_TEST_TOKENS_H_
#define LUOSHI_SERVICES_COMMON_TEST_TOKENS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/identity.h"
#include "services/common/jwt.h"

namespace luoshi {

class TestTokens {
 public:
  TestTokens();

  // A token for `who`, valid for a day from now (the same token again for the same identity).
  std::string For(const Identity& who) const;
  // A token with any claims, signed with this key.
  std::string Issue(const TokenClaims& claims, absl::Time now) const;
  // Adds `authorization: Bearer <For(who)>` to a call.
  void Attach(const Identity& who, grpc::ClientContext* context) const;

  // Verifies tokens of this key (shared by all users of this object).
  const Authenticator* authenticator() const { return authenticator_.get(); }
  // Writes the public key to DIR/<kid>.public.pem (creating DIR), for --auth_keys.
  absl::Status WritePublicKey(const std::string& dir) const;
  const KeyPairPem& keys() const { return keys_; }

 private:
  KeyPairPem keys_;
  std::unique_ptr<Authenticator> authenticator_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, std::string> issued_ ABSL_GUARDED_BY(mu_);
};

// Identities the tests use again and again.
Identity AdminIdentity(const std::string& user = "admin");
Identity ServiceIdentity(const std::string& user = "luoshi-ingestion");

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_TEST_TOKENS_H_
