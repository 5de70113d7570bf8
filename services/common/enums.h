// Enum fields that arrive from outside: proto3 keeps a number it does not know, so a handler checks
// each enum it reads and answers INVALID_ARGUMENT naming the field and the values it knows (an unknown
// status or measure would otherwise be stored, or filter to an empty answer that looks like "none").
#ifndef LUOSHI_SERVICES_COMMON_ENUMS_H_
#define LUOSHI_SERVICES_COMMON_ENUMS_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"

namespace luoshi {

// "NAME (number), …" for every value of `type`.
std::string KnownEnumValues(const google::protobuf::EnumDescriptor* type);

// OK when `value` is one of `type`'s values; else INVALID_ARGUMENT: "<field> <value> is not a known
// <Type>; use one of …".
absl::Status CheckEnumValue(const std::string& field, int value, const google::protobuf::EnumDescriptor* type);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_ENUMS_H_
