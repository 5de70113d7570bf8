// Storage of ingested documents, their extractions and the outbox of downstream deliveries.
//
// The interface is what a later non-SQLite implementation would plug into: it speaks in protos, plain
// structs and absl types only. SqliteDocumentStore (sqlite_store.h) is the embedded default;
// OpenDocumentStore (open_store.h) picks the implementation from the store location (--store).
//
// Model:
//   - A document is identified by its SHA-256 (unique) and a short id derived from it. It keeps its
//     bytes, the hints it was ingested with, its current extraction and the extractor version.
//   - Each extraction run is a "generation" (1 at ingest, +1 per reprocess). Every generation queues
//     one outbox entry per downstream target ("indicators", "tasks"), written in the same transaction
//     as the document or extraction they come from.
//   - A newer generation supersedes the older generation's entries that were still pending: they are
//     never sent, since the newer payload carries the document's current items.
//
// Errors: NOT_FOUND for an unknown document or outbox entry; ALREADY_EXISTS when a document with the
// same SHA-256 is already stored; UNAVAILABLE when the storage is busy (the caller may retry);
// INTERNAL for I/O errors or corrupt rows.
//
// Outbox claims: dispatchers take due entries with ClaimDeliveries, which leases them, so several
// dispatchers (replicas of the service on one database) can share one outbox: each entry is delivered
// by one of them at a time, and the entries of a dispatcher that died come back when their lease ends.
//
// Thread safety: every method may be called concurrently from any thread. Each method is atomic.
#ifndef LUOSHI_SERVICES_INGESTION_STORE_H_
#define LUOSHI_SERVICES_INGESTION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::ingestion {

inline constexpr char kIndicatorsTarget[] = "indicators";
inline constexpr char kTasksTarget[] = "tasks";

// A stored document without its bytes or extraction (those are fetched separately: they are large).
struct DocumentRecord {
  std::string id;
  std::string sha256;
  std::string filename;
  std::string content_type;
  int64_t size_bytes = 0;
  std::string region_hint;  // as given at ingest; reused by reprocessing
  int32_t year_hint = 0;
  v1::DocumentMetadata metadata;
  int32_t observation_count = 0;
  int32_t task_count = 0;
  std::string extractor_version;
  absl::Time ingested_at = absl::InfinitePast();
  int32_t generation = 1;
  // Position in ingest order (larger = later). Assigned by the store; used as a paging cursor.
  int64_t position = 0;
};

enum class OutboxState {
  kPending,     // waiting for its first attempt or for a retry
  kDelivered,   // the peer accepted it
  kNotNeeded,   // nothing to deliver (no items of this kind)
  kFailed,      // the peer rejected it as invalid; not retried (a reprocess queues a new entry)
  kSuperseded,  // a newer generation was queued before this one was delivered
};

// One delivery to one downstream service.
struct OutboxEntry {
  int64_t id = 0;
  std::string document_id;
  int32_t generation = 0;
  std::string target;   // kIndicatorsTarget or kTasksTarget
  std::string payload;  // serialized RecordObservationsRequest or ImportPlanRequest
  OutboxState state = OutboxState::kPending;
  int32_t attempts = 0;
  std::string last_error;
  std::optional<absl::Time> next_attempt_at;  // set while pending
  // While a dispatcher holds the entry (ClaimDeliveries) and has not recorded the outcome yet: the end of
  // its lease, after which the entry is due again.
  std::optional<absl::Time> leased_until;
  std::optional<absl::Time> delivered_at;
  int32_t left_out = 0;  // extracted items the payload does not carry, and why
  std::string left_out_reason;
};

// What to queue for a new generation. An empty payload means "nothing to deliver" (kNotNeeded).
struct NewDelivery {
  std::string target;
  std::string payload;
  int32_t left_out = 0;  // items of the extraction kept out of the payload (they cannot be stored)
  std::string left_out_reason;
};

// Outbox entries not delivered yet (state pending), for the metrics (docs/metrics.md).
struct OutboxBacklog {
  int64_t pending = 0;
  std::optional<absl::Time> oldest_created_at;  // of the oldest pending entry; none when empty
};

struct DocumentQuery {
  v1::DocumentType type = v1::DOCUMENT_TYPE_UNSPECIFIED;  // unspecified: any
  std::string region;                                     // empty: any
  int32_t year = 0;                                       // 0: any
  // Only documents with position < before_position (0: from the newest).
  int64_t before_position = 0;
  int limit = 50;
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  // Stores a new document, its bytes, its first extraction and its outbox entries (due at
  // `record.ingested_at`) in one transaction. Metadata, counts and extractor version are taken from
  // `extraction`; id, hash, names, size, hints and time from `record`. ALREADY_EXISTS if a document with the same sha256 (or
  // id) is stored; nothing is written then.
  virtual absl::Status CreateDocument(const DocumentRecord& record, const std::string& bytes,
                                      const v1::Extraction& extraction,
                                      const std::vector<NewDelivery>& deliveries) = 0;

  // NOT_FOUND when no document has these bytes.
  virtual absl::StatusOr<DocumentRecord> FindBySha256(const std::string& sha256) const = 0;
  // NOT_FOUND for an unknown id.
  virtual absl::StatusOr<DocumentRecord> GetDocument(const std::string& id) const = 0;
  virtual absl::StatusOr<std::string> GetBytes(const std::string& id) const = 0;
  virtual absl::StatusOr<v1::Extraction> GetExtraction(const std::string& id) const = 0;

  // Newest first, filtered; at most query.limit documents.
  virtual absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const DocumentQuery& query) const = 0;

  // Replaces the document's extraction (metadata, counts, extractor version) and the hints it was run
  // with, starts generation record.generation + 1, supersedes still-pending entries of older
  // generations and queues `deliveries` due at `now`, all in one transaction. Returns the updated
  // record. NOT_FOUND for an unknown id.
  virtual absl::StatusOr<DocumentRecord> ReplaceExtraction(const std::string& id,
                                                           const v1::Extraction& extraction,
                                                           const std::string& region_hint, int32_t year_hint,
                                                           const std::vector<NewDelivery>& deliveries,
                                                           absl::Time now) = 0;

  // The entries of the document's current generation, indicators before tasks.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ListDeliveries(const std::string& document_id) const = 0;

  // Claims due deliveries for one dispatcher. Returns, earliest first, at most `limit` pending entries
  // for `target` that are due at `now` (next attempt at or before `now`, and no lease, or a lease that
  // ended at or before `now`) and, in the same transaction, leases them until `now + lease`: until then
  // no claim returns them again, through this store or any other store on the same database (replicas),
  // so two dispatchers never deliver the same entry at once. The returned entries carry the lease in
  // `leased_until`. The claimer ends the lease by recording the attempt's outcome (MarkDelivered,
  // MarkRetry, MarkFailed); entries whose claimer died without recording one are due again when the
  // lease ends. The lease must therefore be longer than one delivery can take (all of its calls, each
  // bounded by its deadline); an outcome recorded after the lease ended is still recorded (the peers
  // accept a delivery twice idempotently). INVALID_ARGUMENT for a lease that is not positive.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ClaimDeliveries(const std::string& target, absl::Time now,
                                                                   absl::Duration lease, int limit) = 0;
  // The earliest time a pending entry becomes due, if any: its next attempt, or the end of its lease when
  // later (lets the dispatcher sleep until then).
  virtual absl::StatusOr<std::optional<absl::Time>> NextDueTime() const = 0;

  // Outcome of one attempt on a pending entry; each increments `attempts` and ends the entry's lease (if
  // any; the entry need not have been claimed). Delivery clears `last_error` (an error that no longer
  // holds would mislead; `attempts` keeps the history). Entries that are no longer pending (superseded
  // meanwhile) are left unchanged. NOT_FOUND for an unknown entry id.
  virtual absl::Status MarkDelivered(int64_t entry_id, absl::Time at) = 0;
  virtual absl::Status MarkRetry(int64_t entry_id, const std::string& error, absl::Time next_attempt_at) = 0;
  virtual absl::Status MarkFailed(int64_t entry_id, const std::string& error) = 0;

  // How many entries are pending and when the oldest of them was queued. The metrics read it at every
  // scrape, so it must stay cheap: one query over the pending entries, never a scan of the outbox.
  virtual absl::StatusOr<OutboxBacklog> Backlog() const = 0;
};

// What the DocumentStore implementations share (store.cc); not for callers of the interface.
namespace store_internal {

// The name a state is stored under ("pending", "delivered", …) and back; INTERNAL for a name no state has
// (a corrupt row).
const char* OutboxStateName(OutboxState state);
absl::StatusOr<OutboxState> ParseOutboxState(const std::string& name);

}  // namespace store_internal
}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_STORE_H_
