#include "services/ingestion/store.h"

#include "absl/strings/str_cat.h"

namespace luoshi::ingestion::store_internal {

const char* OutboxStateName(OutboxState state) {
  switch (state) {
    case OutboxState::kPending: return "pending";
    case OutboxState::kDelivered: return "delivered";
    case OutboxState::kNotNeeded: return "not_needed";
    case OutboxState::kFailed: return "failed";
    case OutboxState::kSuperseded: return "superseded";
  }
  return "pending";
}

absl::StatusOr<OutboxState> ParseOutboxState(const std::string& name) {
  for (OutboxState s : {OutboxState::kPending, OutboxState::kDelivered, OutboxState::kNotNeeded,
                        OutboxState::kFailed, OutboxState::kSuperseded}) {
    if (name == OutboxStateName(s)) return s;
  }
  return absl::InternalError(absl::StrCat("outbox row has an unknown state \"", name, "\""));
}

}  // namespace luoshi::ingestion::store_internal
