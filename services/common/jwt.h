// Signed identity tokens: JWTs (RFC 7519) signed with ES256 (ECDSA on P-256 with SHA-256, RFC 7518 §3.4),
// through OpenSSL. Whoever issues tokens holds a private key; services hold only public keys, so a
// compromised service cannot mint tokens. Every key is named by its key id (`kid`): the first 16 hex
// digits of the SHA-256 of its public key (SubjectPublicKeyInfo DER), so a key file can be renamed freely
// and a service with several keys in its directory picks the one a token names (key rotation).
//
// Claims: sub (user), luoshi_unit, luoshi_role (admin, supervisor, office, viewer, service), iat, exp,
// optional nbf, jti. A token is refused, UNAUTHENTICATED with the reason, when it is malformed, its
// algorithm is anything but ES256 ("none" and HS* included), its kid is unknown, its signature does not
// verify, it has expired or is not yet valid (60 s of clock skew allowed), its jti is revoked, or a claim
// is missing, of the wrong type or not valid UTF-8.
#ifndef LUOSHI_SERVICES_COMMON_JWT_H_
#define LUOSHI_SERVICES_COMMON_JWT_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace luoshi {

inline constexpr absl::Duration kTokenClockSkew = absl::Seconds(60);

// The claims Luoshi reads and writes.
struct TokenClaims {
  std::string subject;                           // sub
  std::string unit;                              // luoshi_unit, may be empty (admins, viewers, services)
  std::string role;                              // luoshi_role
  absl::Time issued_at = absl::InfinitePast();   // iat
  absl::Time expires_at = absl::InfinitePast();  // exp
  absl::Time not_before = absl::InfinitePast();  // nbf; InfinitePast when absent
  std::string token_id;                          // jti
  std::string key_id;                            // kid (header)
};

// The roles a token may carry.
bool IsTokenRole(const std::string& role);

struct KeyPairPem {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
  std::string key_id;
};

// A fresh P-256 key pair.
absl::StatusOr<KeyPairPem> GenerateKeyPair();

// Writes DIR/<kid>.private.pem (mode 0600) and DIR/<kid>.public.pem, creating DIR; returns the pair.
absl::StatusOr<KeyPairPem> WriteNewKeyPair(const std::string& dir);

// The key id of a PEM public or private key.
absl::StatusOr<std::string> KeyIdOf(const std::string& pem);

// A signed token for `claims` (key_id is taken from the key; a missing jti is made up at random;
// issued_at defaults to now).
absl::StatusOr<std::string> IssueToken(TokenClaims claims, const std::string& private_pem, absl::Time now);

// The claims of a token without checking anything but its form (for `luoshi token inspect`).
absl::StatusOr<TokenClaims> DecodeTokenUnverified(const std::string& token);

// Verifies tokens against a set of public keys and a revocation list. Thread-safe.
class TokenVerifier {
 public:
  TokenVerifier();
  ~TokenVerifier();

  // Adds every *.pem public key (or the public half of a private key) in `dir`. INVALID_ARGUMENT when the
  // directory holds no key or a file that is not one: a service fails closed rather than start open.
  absl::Status LoadKeyDirectory(const std::string& dir);
  absl::Status AddPublicKey(const std::string& pem);
  int key_count() const;

  // A file of revoked jtis, one per line (# comments and blank lines ignored). It is read again when its
  // modification time or size changes (checked at most once a second). A missing file revokes nothing.
  void SetRevocationFile(const std::string& path);

  absl::StatusOr<TokenClaims> Verify(const std::string& token, absl::Time now) const;

  // Whether the revocation list names `jti` (re-reading the list when it changed, as Verify does).
  bool IsRevoked(const std::string& jti, absl::Time now) const;

 private:
  struct Key;

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Key>> keys_ ABSL_GUARDED_BY(mu_);
  std::string revocation_path_ ABSL_GUARDED_BY(mu_);
  mutable std::set<std::string> revoked_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time revocation_checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable std::string revocation_stamp_ ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_JWT_H_
