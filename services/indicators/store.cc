#include "services/indicators/store.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/common/wire.h"

namespace luoshi::indicators {

absl::StatusOr<ObservationPage> ObservationStore::Query(const ObservationFilter& filter,
                                                        const std::optional<PageCursor>& after, int limit) {
  LUOSHI_ASSIGN_OR_RETURN(ObservationBytesPage rows, QueryBytes(filter, after, limit));
  ObservationPage page;
  page.next = rows.next;
  page.observations.resize(rows.observations.size());
  for (size_t i = 0; i < rows.observations.size(); ++i) {
    const StoredObservationBytes& row = rows.observations[i];
    if (!page.observations[i].observation.ParseFromString(row.wire)) {
      return absl::DataLossError(absl::StrCat("stored observation ", row.sequence, " cannot be decoded"));
    }
    page.observations[i].latest = row.latest;
  }
  return page;
}

namespace store_internal {

absl::Status SourceKeyConflict(size_t index, const std::string& key) {
  return absl::AlreadyExistsError(absl::StrCat(
      "observation ", index, ": source key \"", key,
      "\" was already recorded with different content; a corrected figure needs a new source key "
      "(it is then kept as a newer vintage). Nothing of the batch was stored"));
}

const v1::Observation& StoredBody(const v1::Observation& o, v1::Observation* scratch) {
  if (o.id().empty() && !o.has_recorded_at()) return o;
  *scratch = o;
  scratch->clear_id();
  scratch->clear_recorded_at();
  return *scratch;
}

void AppendAssignedFields(int64_t sequence, int64_t recorded_at_micros, std::string* wire) {
  char id[32];
  const int id_size = std::snprintf(id, sizeof(id), "obs-%lld", static_cast<long long>(sequence));
  wire::AppendBytesField(v1::Observation::kIdFieldNumber, id, static_cast<size_t>(id_size), wire);
  wire::AppendTimestampField(v1::Observation::kRecordedAtFieldNumber, recorded_at_micros, wire);
}

}  // namespace store_internal

}  // namespace luoshi::indicators
