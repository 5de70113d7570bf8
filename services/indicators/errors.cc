#include "services/indicators/errors.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/utf8.h"

namespace luoshi::indicators {
absl::Status InvalidObservation(int index, const std::string& source_key, const std::string& reason) {
  std::string key = source_key.empty() ? "" : absl::StrCat(" (source key ", QuoteInput(source_key), ")");
  return absl::InvalidArgumentError(
      absl::StrCat("observation ", index, key, ": ", reason, "; nothing of the batch was stored"));
}

absl::Status IndicatorNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat(
      "indicator ", QuoteInput(name),
      " is not in the catalog (by id, name or alias); `luoshi indicators list` shows the known ones"));
}

absl::Status RegionNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("region ", QuoteInput(name),
                                          " is neither in the catalog nor named by any stored observation; "
                                          "ListRegions shows the catalog's regions"));
}

absl::Status MissingField(const std::string& field, const std::string& hint) {
  return absl::InvalidArgumentError(absl::StrCat(field, " is required: ", hint));
}

absl::Status InvalidPeriodFilter(const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}


}  // namespace luoshi::indicators
