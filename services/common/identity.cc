#include "services/common/identity.h"

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include "absl/strings/str_cat.h"
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
  }
  return "viewer";
}

bool ParseRole(const std::string& text, Role* out) {
  for (Role r : {Role::kViewer, Role::kOffice, Role::kSupervisor, Role::kAdmin}) {
    if (text == RoleName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

std::string PercentEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {
std::string Header(const grpc::ServerContextBase& context, const char* name) {
  const auto& md = context.client_metadata();
  auto it = md.find(name);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}
}  // namespace

absl::StatusOr<Identity> IdentityFromContext(const grpc::ServerContextBase& context) {
  std::string role = Header(context, kRoleHeader);
  if (role.empty()) {
    return absl::UnauthenticatedError(
        "no caller identity: sign in (luoshi reads ~/.config/luoshi/credentials) or send x-luoshi-role");
  }
  Identity id;
  if (!ParseRole(role, &id.role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown role \"", role, "\": expected admin, supervisor, office or viewer"));
  }
  id.user = PercentDecode(Header(context, kUserHeader));
  id.unit = PercentDecode(Header(context, kUnitHeader));
  // A name that is not UTF-8 would be stored in reports and journals and break every later read of them.
  if (!IsValidUtf8(id.user) || !IsValidUtf8(id.unit)) {
    return absl::InvalidArgumentError("the caller's user and unit must be UTF-8 (percent-encoded in metadata)");
  }
  if (id.role == Role::kOffice && id.unit.empty()) {
    return absl::InvalidArgumentError("an office identity must name its unit (x-luoshi-unit)");
  }
  return id;
}

void AttachIdentity(const Identity& identity, grpc::ClientContext* context) {
  context->AddMetadata(kRoleHeader, RoleName(identity.role));
  if (!identity.user.empty()) context->AddMetadata(kUserHeader, PercentEncode(identity.user));
  if (!identity.unit.empty()) context->AddMetadata(kUnitHeader, PercentEncode(identity.unit));
}

}  // namespace luoshi
