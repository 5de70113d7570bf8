// Who is calling: the one place every service asks. Today the identity travels as call metadata
// (x-luoshi-user, x-luoshi-unit, x-luoshi-role) set by the CLI from its credential file; the security
// issue replaces the source with verified signed tokens without changing callers of this header.
#ifndef LUOSHI_SERVICES_COMMON_IDENTITY_H_
#define LUOSHI_SERVICES_COMMON_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/common/percent.h"

namespace grpc {
class ServerContextBase;  // base of ServerContext (sync API) and CallbackServerContext
class ClientContext;
}  // namespace grpc

namespace luoshi {

enum class Role { kViewer = 0, kOffice = 1, kSupervisor = 2, kAdmin = 3 };

struct Identity {
  std::string user;  // person or system account, for the journal
  std::string unit;  // the office's unit (区发展改革委); empty for admins and viewers
  Role role = Role::kViewer;
};

const char* RoleName(Role role);
bool ParseRole(const std::string& text, Role* out);

inline constexpr char kUserHeader[] = "x-luoshi-user";
inline constexpr char kUnitHeader[] = "x-luoshi-unit";
inline constexpr char kRoleHeader[] = "x-luoshi-role";

// UNAUTHENTICATED when no identity was presented, INVALID_ARGUMENT for an unknown role.
// Unit values are percent-decoded (metadata is ASCII-only, unit names are Chinese).
absl::StatusOr<Identity> IdentityFromContext(const grpc::ServerContextBase& context);
void AttachIdentity(const Identity& identity, grpc::ClientContext* context);

// Percent-encoding for non-ASCII metadata values (PercentDecode, percent.h, reads them back).
std::string PercentEncode(const std::string& s);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_IDENTITY_H_
