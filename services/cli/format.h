// Text formatting shared by the CLI's commands: exact decimals, enum names, timestamps, JSON.
#ifndef LUOSHI_SERVICES_CLI_FORMAT_H_
#define LUOSHI_SERVICES_CLI_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "luoshi/v1/common.pb.h"

namespace luoshi::cli {

// "5.2%", "1334.8亿元", "" for an absent quantity.
std::string FormatQuantity(const v1::Quantity& q);
// "≥", "≤", ">", "<", "≈", "" (exact), for showing bounds before values.
std::string BoundSymbol(v1::Bound bound);
// Enum value name without its prefix, lower case: MEASURE_GROWTH_RATE → "growth_rate".
std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int value);
// Parses "growth_rate" / "GROWTH_RATE" / "MEASURE_GROWTH_RATE" into the enum's number.
absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, const std::string& text);
// "2026-11-23 09:10" in UTC, "" for an unset timestamp.
std::string FormatTime(const google::protobuf::Timestamp& t);
// Canonical proto3 JSON, indented.
std::string ToJson(const google::protobuf::Message& m);
// Shortens a long text to `max_chars` Unicode characters with "…".
std::string Ellipsize(const std::string& text, size_t max_chars);

}  // namespace luoshi::cli

#endif  // LUOSHI_SERVICES_CLI_FORMAT_H_
