#include "services/common/identity.h"

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <vector>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/utf8.h"

namespace luoshi {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOffice:
      return "office";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
  }
  return "viewer";
}

bool ParseRole(const std::string& text, Role* out) {
  for (Role r : {Role::kViewer, Role::kOffice, Role::kSupervisor, Role::kAdmin, Role::kService}) {
    if (text == RoleName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

absl::StatusOr<Identity> IdentityFromClaims(const TokenClaims& claims) {
  Identity id;
  if (!ParseRole(claims.role, &id.role)) {
    return absl::UnauthenticatedError(absl::StrCat("token refused: unknown role \"", claims.role, "\""));
  }
  id.user = claims.subject;
  id.unit = claims.unit;
  id.token_id = claims.token_id;
  if (id.role == Role::kOffice && id.unit.empty()) {
    return absl::UnauthenticatedError("token refused: an office token must name its unit (luoshi_unit)");
  }
  return id;
}

absl::Status RequireRole(const Identity& who, std::initializer_list<Role> allowed, absl::string_view action) {
  std::vector<std::string> names;
  for (Role r : allowed) {
    if (who.role == r) return absl::OkStatus();
    names.push_back(RoleName(r));
  }
  return absl::PermissionDeniedError(absl::StrCat("role ", RoleName(who.role), " may not ", action,
                                                  "; only ", absl::StrJoin(names, ", "), " may"));
}

absl::StatusOr<Identity> IdentityFromPrincipal(const v1::Principal& principal) {
  Identity id;
  if (!ParseRole(principal.role(), &id.role) || id.role == Role::kService) {
    return absl::InvalidArgumentError(
        absl::StrCat("on_behalf_of names role \"", principal.role(), "\": expected admin, supervisor, office or viewer"));
  }
  if (!IsValidUtf8(principal.user()) || !IsValidUtf8(principal.unit())) {
    return absl::InvalidArgumentError("on_behalf_of: user and unit must be UTF-8");
  }
  if (id.role == Role::kOffice && principal.unit().empty()) {
    return absl::InvalidArgumentError("on_behalf_of: an office must name its unit");
  }
  id.user = principal.user();
  id.unit = principal.unit();
  id.token_id = principal.token_id();
  return id;
}

v1::Principal PrincipalOf(const Identity& who) {
  v1::Principal p;
  p.set_user(who.user);
  p.set_unit(who.unit);
  p.set_role(RoleName(who.role));
  p.set_token_id(who.token_id);
  return p;
}

void AttachToken(const std::string& token, grpc::ClientContext* context) {
  context->AddMetadata(kAuthorizationHeader, absl::StrCat("Bearer ", token));
}

Authenticator::Authenticator(std::unique_ptr<TokenVerifier> verifier, const Clock* clock, size_t cache_capacity)
    : verifier_(std::move(verifier)), clock_(clock), cache_capacity_(cache_capacity) {}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Load(const std::string& key_dir,
                                                                   const std::string& revocation_file) {
  if (key_dir.empty()) {
    return absl::InvalidArgumentError(
        "no token keys: give --auth_keys DIR, a directory of the deployment's public keys (luoshi key "
        "generate DIR makes a pair); a service does not run without verifying its callers");
  }
  auto verifier = std::make_unique<TokenVerifier>();
  if (absl::Status s = verifier->LoadKeyDirectory(key_dir); !s.ok()) return s;
  if (!revocation_file.empty()) verifier->SetRevocationFile(revocation_file);
  return std::make_unique<Authenticator>(std::move(verifier));
}

absl::StatusOr<Identity> Authenticator::Authenticate(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto range = metadata.equal_range(kAuthorizationHeader);
  if (range.first == range.second) {
    return absl::UnauthenticatedError(
        "no token: sign in (luoshi login --token TOKEN) or send \"authorization: Bearer <token>\"");
  }
  if (std::next(range.first) != range.second) {
    return absl::UnauthenticatedError("token refused: more than one authorization header");
  }
  return AuthenticateHeader(absl::string_view(range.first->second.data(), range.first->second.size()));
}

absl::StatusOr<Identity> Authenticator::AuthenticateHeader(absl::string_view authorization) const {
  authorization = absl::StripAsciiWhitespace(authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return absl::UnauthenticatedError("token refused: the authorization header is not \"Bearer <token>\"");
  }
  return AuthenticateToken(std::string(absl::StripLeadingAsciiWhitespace(authorization.substr(kScheme.size()))));
}

absl::StatusOr<Identity> Authenticator::AuthenticateToken(const std::string& token) const {
  const absl::Time now = clock_->Now();
  std::optional<Identity> remembered;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.valid_until >= now) {
        remembered = it->second.identity;
      } else {
        cache_.erase(it);  // expired: Verify below says so
      }
    }
  }
  if (remembered) {
    if (verifier_->IsRevoked(remembered->token_id, now)) {
      return absl::UnauthenticatedError(
          absl::StrCat("token refused: token ", remembered->token_id, " is revoked"));
    }
    return *std::move(remembered);
  }
  absl::StatusOr<TokenClaims> claims = verifier_->Verify(token, now);
  if (!claims.ok()) return claims.status();
  absl::StatusOr<Identity> identity = IdentityFromClaims(*claims);
  if (!identity.ok()) return identity.status();
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= cache_capacity_) {
    // Full: drop what has expired, and everything if that is not enough (verifying again is only slower).
    absl::erase_if(cache_, [now](const auto& entry) { return entry.second.valid_until < now; });
    if (cache_.size() >= cache_capacity_) cache_.clear();
  }
  cache_[token] = Verified{*identity, claims->expires_at + kTokenClockSkew};
  return identity;
}

}  // namespace luoshi
