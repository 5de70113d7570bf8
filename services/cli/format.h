// Text formatting shared by the CLI's commands: enum names, timestamps, JSON. Figures, tasks and ledgers
// are rendered by the services' own client-side formatters (services/indicators/format.h,
// services/tasks/format.h), so that every client shows them the same way.
#ifndef LUOSHI_SERVICES_CLI_FORMAT_H_
#define LUOSHI_SERVICES_CLI_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "luoshi/v1/common.pb.h"

namespace luoshi::cli {

// Enum value name without its prefix, lower case: MEASURE_GROWTH_RATE → "growth_rate".
std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int value);
// Parses "growth_rate" / "GROWTH_RATE" / "MEASURE_GROWTH_RATE" into the enum's number.
absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, const std::string& text);
// "2026-11-23 17:10" in China Standard Time (services/common/time.h), "" for an unset timestamp.
std::string FormatTime(const google::protobuf::Timestamp& t);
// Canonical proto3 JSON, indented.
std::string ToJson(const google::protobuf::Message& m);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_FORMAT_H_
