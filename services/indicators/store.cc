#include "services/indicators/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"

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

}  // namespace luoshi::indicators
