#include "services/common/enums.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace luoshi {

std::string KnownEnumValues(const google::protobuf::EnumDescriptor* type) {
  std::vector<std::string> known;
  for (int i = 0; i < type->value_count(); ++i) {
    known.push_back(absl::StrCat(type->value(i)->name(), " (", type->value(i)->number(), ")"));
  }
  return absl::StrJoin(known, ", ");
}

absl::Status CheckEnumValue(const std::string& field, int value, const google::protobuf::EnumDescriptor* type) {
  if (type->FindValueByNumber(value) != nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", value, " is not a known ", type->name(), "; use one of ", KnownEnumValues(type)));
}

}  // namespace luoshi
