// Storage of indicator observations, behind an interface so that the embedded SQLite implementation
// (sqlite_store.h) can be replaced by another database (PostgreSQL for multi-node deployments) without
// touching the service logic. Nothing here names a database type.
//
// Model. Every stored observation belongs to a *series cell*: (indicator key, region key, status,
// measure, comparison-base key, period). A cell may hold several *vintages* — the same figure restated by
// later documents (half-year estimate, annual report, revision). Exactly one vintage per cell is the
// *latest*: the one with the greatest as_of (the date its document speaks for), ties broken by recorded
// order (the later recording wins). Older vintages are never deleted.
//
// Idempotency. Each observation carries the producer's source key. Recording a key that is already
// stored with the same content changes nothing and counts as unchanged; the same key with different
// content is a conflict (ALREADY_EXISTS) because a correction must arrive as a new vintage.
#ifndef LUOSHI_SERVICES_INDICATORS_STORE_H_
#define LUOSHI_SERVICES_INDICATORS_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "luoshi/v1/indicators.pb.h"
#include "services/common/period.h"

namespace luoshi::indicators {

// An observation ready to store: validated and normalized by the service (region resolved to a catalog
// id when known, period in canonical form, indicator id filled from the catalog when the surface name
// is a known name or alias).
struct ObservationRecord {
  v1::Observation observation;  // id and recorded_at are ignored: the store assigns them
  std::string indicator_key;    // catalog id, or "~" + surface name for figures outside the catalog
  std::string region_key;       // catalog region id, or the region name as written
  Period period;
  std::string base_key;      // normalized comparison base ("" = year on year)
  int64_t as_of_micros = 0;  // Unix microseconds; 0 when the document gave no date
  int64_t recorded_at_micros = 0;
};

struct StoredObservation {
  v1::Observation observation;  // with id and recorded_at set
  bool latest = false;          // the latest vintage of its series cell
};

// A stored observation in wire form, for answers that pass observations through unchanged: `wire` is a
// serialized luoshi.v1.Observation with id and recorded_at set (decoding it gives StoredObservation's
// `observation`). The stored columns beside it let a reader group and order without decoding.
struct StoredObservationBytes {
  std::string wire;
  std::string period;  // canonical period code, as in the observation
  int start_key = 0;   // Period::StartKey() / EndKey()
  int end_key = 0;
  v1::Measure measure = v1::MEASURE_UNSPECIFIED;
  std::string base_key;  // normalized comparison base ("" = year on year)
  int64_t as_of_micros = 0;
  int64_t sequence = 0;  // recorded order
  bool latest = false;
};

// Which observations a query wants. Empty / unspecified fields match everything.
struct ObservationFilter {
  std::vector<std::string> indicator_keys;
  std::vector<std::string> region_keys;
  std::optional<int> start_from;  // inclusive lower bound on Period::StartKey()
  std::optional<int> start_to;    // inclusive upper bound on Period::StartKey()
  std::optional<Period> exact_period;
  v1::Measure measure = v1::MEASURE_UNSPECIFIED;
  v1::ObservationStatus status = v1::OBSERVATION_STATUS_UNSPECIFIED;
  std::string document_id;
  bool all_vintages = false;  // false: only the latest vintage of each cell
  // The caller puts the rows in its own order (a series groups them by point): they may come in any
  // order, which spares the store a sort. Only without paging (limit 0, no cursor).
  bool any_order = false;
};

// A position in the query order (period start, period end, recorded order): the next page starts after
// it. Stable: observations recorded later never shift a page that was already handed out.
struct PageCursor {
  int start_key = 0;
  int end_key = 0;
  int64_t sequence = 0;
};

struct ObservationPage {
  std::vector<StoredObservation> observations;
  std::optional<PageCursor> next;  // absent on the last page
};

struct ObservationBytesPage {
  std::vector<StoredObservationBytes> observations;
  std::optional<PageCursor> next;  // absent on the last page
};

struct RecordOutcome {
  int recorded = 0;
  int unchanged = 0;
};

// Thread safety: every method may be called from many threads at once. Writes are serialized inside the
// implementation; reads see a consistent snapshot and run concurrently with writes.
class ObservationStore {
 public:
  virtual ~ObservationStore() = default;

  // Stores `records` in one transaction, in order (a later item in the batch is a later recording).
  // ALREADY_EXISTS naming the item index when a source key is stored with different content; then
  // nothing of the batch is stored. UNAVAILABLE when the database is busy (retry), INTERNAL on I/O errors.
  virtual absl::StatusOr<RecordOutcome> Record(const std::vector<ObservationRecord>& records) = 0;

  // Matching observations ordered by (period start, period end, recorded order), at most `limit` of them
  // (0 = no limit) after `after`, in wire form. INTERNAL on I/O errors.
  virtual absl::StatusOr<ObservationBytesPage> QueryBytes(const ObservationFilter& filter,
                                                          const std::optional<PageCursor>& after,
                                                          int limit) = 0;

  // The same, decoded. DATA_LOSS when a stored observation cannot be decoded.
  absl::StatusOr<ObservationPage> Query(const ObservationFilter& filter,
                                        const std::optional<PageCursor>& after, int limit);
};

// Shared by the implementations, so that every backend stores, answers and refuses alike.
namespace store_internal {

// The ALREADY_EXISTS of Record for item `index` whose source key `key` is stored with different content.
absl::Status SourceKeyConflict(size_t index, const std::string& key);

// The stored form of an observation: what the producer sent, normalized, without the fields the store
// assigns (id, recorded_at). Returns `o` itself when those are unset (the service never sets them), else a
// copy in `*scratch`.
const v1::Observation& StoredBody(const v1::Observation& o, v1::Observation* scratch);

// Appends the fields the store assigns (id "obs-<sequence>", recorded_at) to a serialized stored body,
// making it the wire form of StoredObservationBytes (a message followed by more fields decodes as the
// message with those fields set).
void AppendAssignedFields(int64_t sequence, int64_t recorded_at_micros, std::string* wire);

}  // namespace store_internal

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_STORE_H_
