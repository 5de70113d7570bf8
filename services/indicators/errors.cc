#include "services/indicators/errors.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace luoshi::indicators {
namespace {

// The caller's text as a message quotes it: whole up to 200 bytes, else its first 200 bytes (cut at a
// character boundary) and its length. A status message travels as gRPC metadata, which a client refuses
// beyond a few KiB: quoting a long input whole would turn the answer into RESOURCE_EXHAUSTED.
std::string Quoted(const std::string& text) {
  constexpr size_t kMaxQuoted = 200;
  if (text.size() <= kMaxQuoted) return absl::StrCat("\"", text, "\"");
  size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("\"", text.substr(0, cut), "…\" (", text.size(), " bytes)");
}

}  // namespace

absl::Status InvalidObservation(int index, const std::string& source_key, const std::string& reason) {
  std::string key = source_key.empty() ? "" : absl::StrCat(" (source key ", Quoted(source_key), ")");
  return absl::InvalidArgumentError(
      absl::StrCat("observation ", index, key, ": ", reason, "; nothing of the batch was stored"));
}

absl::Status IndicatorNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat(
      "indicator ", Quoted(name),
      " is not in the catalog (by id, name or alias); `luoshi indicators list` shows the known ones"));
}

absl::Status RegionNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("region ", Quoted(name),
                                          " is neither in the catalog nor named by any stored observation; "
                                          "ListRegions shows the catalog's regions"));
}

absl::Status MissingField(const std::string& field, const std::string& hint) {
  return absl::InvalidArgumentError(absl::StrCat(field, " is required: ", hint));
}

absl::Status InvalidPeriodFilter(const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

absl::Status CheckEnumValue(const std::string& field, int value, const google::protobuf::EnumDescriptor* type) {
  if (type->FindValueByNumber(value) != nullptr) return absl::OkStatus();
  std::vector<std::string> known;
  for (int i = 0; i < type->value_count(); ++i) {
    known.push_back(absl::StrCat(type->value(i)->name(), " (", type->value(i)->number(), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(field, " ", value, " is not a known ", type->name(),
                                                 "; use one of ", absl::StrJoin(known, ", ")));
}

}  // namespace luoshi::indicators
