// Who is calling: the one place every service asks. A caller proves who it is with a signed token
// (services/common/jwt.h) in the standard `authorization: Bearer <JWT>` metadata; the Authenticator
// verifies it (signature, key id, ES256 only, expiry, revocation) and turns its claims into an Identity.
// Nothing else a caller sends says who it is. Health checking and reflection are served without a token
// (they are registered outside the services' CallAdapters, adapter.h).
#ifndef LUOSHI_SERVICES_COMMON_IDENTITY_H_
#define LUOSHI_SERVICES_COMMON_IDENTITY_H_

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "luoshi/v1/common.pb.h"
#include "services/common/clock.h"
#include "services/common/jwt.h"

namespace grpc {
class ServerContextBase;  // base of ServerContext (sync API) and CallbackServerContext
class ClientContext;
}  // namespace grpc

namespace luoshi {

// kService is another Luoshi service calling (ingestion delivering what it extracted): the indicator
// service lets it record observations, the task service lets it import a plan on behalf of the person
// who uploaded it (docs/authorization.md).
enum class Role { kViewer = 0, kOffice = 1, kSupervisor = 2, kAdmin = 3, kService = 4 };

struct Identity {
  std::string user;      // the token's sub: a person or a system account, for the journal
  std::string unit;      // the office's unit (区发展改革委); empty for admins, viewers and services
  Role role = Role::kViewer;
  std::string token_id;  // the token's jti, recorded with every change (empty for built-in identities)
};

const char* RoleName(Role role);
bool ParseRole(const std::string& text, Role* out);

// The identity a verified token carries: UNAUTHENTICATED for an unknown role or an office token without
// a unit.
absl::StatusOr<Identity> IdentityFromClaims(const TokenClaims& claims);

// OK when `who` has one of `allowed`; otherwise PERMISSION_DENIED naming the caller's role, what it may
// not do ("ingest documents") and the roles that may.
absl::Status RequireRole(const Identity& who, std::initializer_list<Role> allowed, absl::string_view action);

// The identity a service acts for (common.proto Principal) and back.
absl::StatusOr<Identity> IdentityFromPrincipal(const v1::Principal& principal);
v1::Principal PrincipalOf(const Identity& who);

inline constexpr char kAuthorizationHeader[] = "authorization";

// Client side: sends `token` as `authorization: Bearer <token>`.
void AttachToken(const std::string& token, grpc::ClientContext* context);

// Server side: verifies the bearer token of each call. Thread-safe; one per process, shared by its
// services. A verified token is remembered (keyed by all its bytes, so an altered token never matches)
// until it expires, so a caller pays the signature check once, not on every call (docs/benchmarks.md);
// the revocation list is still consulted on every call.
class Authenticator {
 public:
  // `verifier` holds the public keys and the revocation list.
  explicit Authenticator(std::unique_ptr<TokenVerifier> verifier, const Clock* clock = SystemClock::Get(),
                         size_t cache_capacity = 8192);

  // Keys from `key_dir` (every *.pem: TokenVerifier::LoadKeyDirectory) and revoked jtis from
  // `revocation_file` (empty: none). Fails when the directory holds no usable key.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Load(const std::string& key_dir,
                                                             const std::string& revocation_file);

  // The caller of a call. UNAUTHENTICATED, saying why, when the call carries no bearer token or its
  // token is malformed, forged, expired, not yet valid, revoked or signed by an unknown key.
  absl::StatusOr<Identity> Authenticate(const grpc::ServerContextBase& context) const;
  // The same for an `authorization` metadata value ("Bearer <token>").
  absl::StatusOr<Identity> AuthenticateHeader(absl::string_view authorization) const;
  absl::StatusOr<Identity> AuthenticateToken(const std::string& token) const;

  const TokenVerifier& verifier() const { return *verifier_; }

 private:
  struct Verified {
    Identity identity;
    absl::Time valid_until;  // exp + the clock-skew allowance
  };

  std::unique_ptr<TokenVerifier> verifier_;
  const Clock* clock_;
  size_t cache_capacity_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_IDENTITY_H_
