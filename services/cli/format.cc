#include "services/cli/format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/time.h"

namespace luoshi::cli {

namespace {
// Common prefix of an enum's value names: "MEASURE_" for Measure.
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  if (type->value_count() == 0) return "";
  std::string first = type->value(0)->name();
  size_t cut = first.rfind("UNSPECIFIED");
  return cut == std::string::npos ? "" : first.substr(0, cut);
}
}  // namespace

std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int value) {
  const auto* v = type->FindValueByNumber(value);
  if (!v) return std::to_string(value);
  std::string name = v->name();
  std::string prefix = EnumPrefix(type);
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, const std::string& text) {
  std::string upper = absl::AsciiStrToUpper(text);
  for (const std::string& candidate : {upper, EnumPrefix(type) + upper}) {
    if (const auto* v = type->FindValueByName(candidate); v && v->number() != 0) return v->number();
  }
  std::string accepted;
  for (int i = 1; i < type->value_count(); ++i) {
    absl::StrAppend(&accepted, i > 1 ? ", " : "", ShortEnumName(type, type->value(i)->number()));
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not one of: ", accepted));
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return FormatDisplayTime(t);
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

}  // namespace luoshi::cli
