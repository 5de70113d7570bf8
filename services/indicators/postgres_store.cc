#include "services/indicators/postgres_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/fnv.h"
#include "services/common/status_macros.h"

namespace luoshi::indicators {

// Numbered schema migrations. Append new ones; never edit a released one.
const std::vector<pg::Migration>& PgObservationMigrations() {
  static const auto* migrations = new std::vector<pg::Migration>{
      {1, R"sql(
CREATE SEQUENCE observations_seq;
CREATE TABLE observations (
  seq            BIGINT PRIMARY KEY DEFAULT nextval('observations_seq'),  -- recorded order; id "obs-<seq>"
  source_key     TEXT NOT NULL CONSTRAINT observations_source_key_unique UNIQUE,  -- idempotency key
  indicator_key  TEXT NOT NULL,     -- catalog id, or "~" + surface name
  region_key     TEXT NOT NULL,     -- catalog region id, or the name as written
  status         INTEGER NOT NULL,  -- luoshi.v1.ObservationStatus
  measure        INTEGER NOT NULL,  -- luoshi.v1.Measure
  base_key       TEXT NOT NULL,     -- normalized comparison base, '' = year on year
  period_start   INTEGER NOT NULL,  -- yyyymm of the first month
  period_end     INTEGER NOT NULL,  -- yyyymm of the last month
  period         TEXT NOT NULL,     -- canonical period code
  document_id    TEXT NOT NULL,
  value_unscaled BIGINT,            -- exact decimal digits (NULL for qualitative figures)
  value_scale    INTEGER,
  unit           TEXT NOT NULL,
  as_of          BIGINT NOT NULL,   -- Unix microseconds the document speaks for (0 = unknown)
  recorded_at    BIGINT NOT NULL,   -- Unix microseconds
  is_latest      BOOLEAN NOT NULL,  -- the latest vintage of its series cell
  body           BYTEA NOT NULL     -- serialized luoshi.v1.Observation (without id, recorded_at)
);
ALTER SEQUENCE observations_seq OWNED BY observations.seq;
-- At most one latest vintage per series cell, whatever any replica does; also the lookup of a cell's
-- latest row when a new vintage arrives.
CREATE UNIQUE INDEX observations_latest_of_cell
  ON observations (region_key, indicator_key, status, measure, base_key, period_start, period_end)
  WHERE is_latest;
-- Each read shape has an index whose order is the answer's (period start, period end, seq), so a page is a
-- range scan that stops after `limit` rows. "Latest only" is a filter on the rows of the range: a cell
-- holds a few vintages, so few rows are skipped, and one index serves both kinds of read.
CREATE INDEX observations_by_series ON observations (indicator_key, region_key, period_start, period_end, seq);
CREATE INDEX observations_by_region ON observations (region_key, period_start, period_end, seq);
CREATE INDEX observations_by_period ON observations (period_start, period_end, seq);
CREATE INDEX observations_by_document ON observations (document_id, period_start, period_end, seq);
)sql"},
  };
  return *migrations;
}

namespace {

using store_internal::SourceKeyConflict;
using store_internal::StoredBody;

// A PostgreSQL array literal ('{"a","b\"c",NULL}') built element by element: a batch travels as a few
// array parameters of one statement instead of one statement per row. Every element is quoted (text) or a
// number, so no value is ever read as SQL.
class ArrayLiteral {
 public:
  ArrayLiteral& Text(absl::string_view text) {
    Next();
    out_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
    return *this;
  }
  // bytea in hex form ("\\x0a1b…"; the doubled backslash is the array quoting of one backslash).
  ArrayLiteral& Bytes(absl::string_view bytes) {
    Next();
    absl::StrAppend(&out_, "\"\\\\x", absl::BytesToHexString(bytes), "\"");
    return *this;
  }
  ArrayLiteral& Int(int64_t value) {
    Next();
    absl::StrAppend(&out_, value);
    return *this;
  }
  ArrayLiteral& Bool(bool value) {
    Next();
    out_ += value ? 't' : 'f';
    return *this;
  }
  ArrayLiteral& Null() {
    Next();
    out_ += "NULL";
    return *this;
  }
  std::string Finish() const { return absl::StrCat("{", out_, "}"); }

 private:
  void Next() {
    if (!out_.empty()) out_ += ',';
  }
  std::string out_;
};

// The series cell of a record: the key of the partial unique index observations_latest_of_cell.
using CellKey = std::tuple<std::string, std::string, int, int, std::string, int, int>;

CellKey CellOf(const ObservationRecord& r) {
  return {r.region_key, r.indicator_key, r.observation.status(), r.observation.measure(), r.base_key,
          r.period.StartKey(), r.period.EndKey()};
}

// Writers of one cell must not interleave: each reads the cell's latest vintage, then clears it and inserts
// the new one. Record takes a transaction-scoped advisory lock per (region, year) of its cells, hashed into
// one of kLockBuckets keys, all in ascending order at the start of the transaction, so two writers of the
// same cell wait for each other (even when the cell is still empty) and two batches never deadlock.
//
// Why not SELECT … FOR UPDATE of the current latest row: a cell's first vintage has no row to lock, and a
// writer that waited on a row which the other writer meanwhile un-marked would find no latest row at all
// under READ COMMITTED; both end in a unique violation instead of a queue. Why (region, year) and bounded
// buckets rather than one lock per cell: advisory locks live in the server's shared lock table (about
// max_locks_per_transaction × max_connections entries for everyone), so a batch of 500 figures must not
// take 500 of them; a document's batch covers one region and a year or two, i.e. a lock or two. Unrelated
// cells that share a bucket only wait for each other's short transaction.
constexpr int kLockBuckets = 256;
// The first key of the two-key advisory lock form (a key space apart from the one-key locks that
// RunPgMigrations takes): "the indicator service's cell locks".
const int32_t kCellLockClass = static_cast<int32_t>(Fnv1a64("luoshi indicators cells") & 0x7fffffff);

int32_t LockBucketOf(const ObservationRecord& r) {
  return static_cast<int32_t>(Fnv1a64(absl::StrCat(r.region_key, "\n", r.period.year)) % kLockBuckets);
}

constexpr char kLockCells[] = "SELECT pg_advisory_xact_lock($1, b) FROM unnest($2::int[]) AS b";
constexpr char kSelectStoredKeys[] =
    "SELECT source_key, body FROM observations WHERE source_key = ANY($1::text[])";
constexpr char kSelectLatestOfCells[] =
    "SELECT c.i, o.seq, o.as_of FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], "
    "$6::int[], $7::int[]) WITH ORDINALITY AS c(region_key, indicator_key, status, measure, base_key, "
    "period_start, period_end, i) JOIN observations o ON o.is_latest AND o.region_key = c.region_key AND "
    "o.indicator_key = c.indicator_key AND o.status = c.status AND o.measure = c.measure AND o.base_key = "
    "c.base_key AND o.period_start = c.period_start AND o.period_end = c.period_end";
// Sequence numbers for the new rows, taken inside the writers' cell locks: a later writer of a cell always
// gets greater numbers, so "ties by recorded order" means the same on every replica.
constexpr char kReserveSequences[] = "SELECT nextval('observations_seq') FROM generate_series(1, $1::int)";
constexpr char kClearLatest[] = "UPDATE observations SET is_latest = false WHERE seq = ANY($1::bigint[])";
constexpr char kInsertRows[] =
    "INSERT INTO observations (seq, source_key, indicator_key, region_key, status, measure, base_key, "
    "period_start, period_end, period, document_id, value_unscaled, value_scale, unit, as_of, recorded_at, "
    "is_latest, body) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], "
    "$6::int[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[], $12::bigint[], $13::int[], "
    "$14::text[], $15::bigint[], $16::bigint[], $17::bool[], $18::bytea[])";

// A record of the batch, prepared before the transaction (which may run more than once).
struct Item {
  const ObservationRecord* record;
  v1::Observation scratch;
  const v1::Observation* body;  // the stored form: record->observation or scratch
  std::string body_bytes;
  size_t cell;  // index into Batch::cells
};

struct Batch {
  std::vector<Item> items;
  std::vector<CellKey> cells;        // distinct, in order of first appearance
  std::vector<int32_t> lock_buckets;  // distinct, ascending
  std::vector<std::string> source_keys;  // distinct
};

Batch Prepare(const std::vector<ObservationRecord>& records) {
  Batch batch;
  batch.items.resize(records.size());
  std::map<CellKey, size_t> cell_index;
  std::set<int32_t> buckets;
  std::set<std::string> keys;
  for (size_t i = 0; i < records.size(); ++i) {
    Item& item = batch.items[i];
    item.record = &records[i];
    item.body = &StoredBody(records[i].observation, &item.scratch);
    item.body_bytes = item.body->SerializeAsString();
    auto [it, added] = cell_index.emplace(CellOf(records[i]), batch.cells.size());
    if (added) batch.cells.push_back(it->first);
    item.cell = it->second;
    buckets.insert(LockBucketOf(records[i]));
    keys.insert(item.body->source_key());
  }
  batch.lock_buckets.assign(buckets.begin(), buckets.end());
  batch.source_keys.assign(keys.begin(), keys.end());
  return batch;
}

// What the transaction decided: the rows to insert (indexes into Batch::items, in batch order), which of
// them are latest, and the stored rows they displace.
struct Plan {
  RecordOutcome outcome;
  std::vector<size_t> inserts;
  std::vector<bool> latest;  // per insert
  std::vector<int64_t> displaced;
};

struct CellState {
  bool has_latest = false;
  int64_t as_of = 0;
  std::optional<int64_t> stored_seq;  // the stored latest row, while it is still the latest
  int latest_insert = -1;             // index into Plan::inserts of the batch's latest row, if any
};

bool SameContent(const v1::Observation& a, const v1::Observation& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// Walks the batch in order as SQLite's one writer does: a known source key is unchanged (same content) or a
// conflict; a new row is the cell's latest when its as_of is at least the current latest's (a later
// recording wins ties).
absl::StatusOr<Plan> Decide(const Batch& batch, const std::unordered_map<std::string, std::string>& stored,
                            std::vector<CellState> cells) {
  Plan plan;
  std::unordered_map<std::string, size_t> new_keys;  // source key → item
  for (size_t i = 0; i < batch.items.size(); ++i) {
    const Item& item = batch.items[i];
    const std::string& key = item.body->source_key();
    if (auto it = stored.find(key); it != stored.end()) {
      v1::Observation existing;
      if (!existing.ParseFromString(it->second) || !SameContent(existing, *item.body)) {
        return SourceKeyConflict(i, key);
      }
      plan.outcome.unchanged++;
      continue;
    }
    if (auto it = new_keys.find(key); it != new_keys.end()) {
      if (!SameContent(*batch.items[it->second].body, *item.body)) return SourceKeyConflict(i, key);
      plan.outcome.unchanged++;
      continue;
    }
    new_keys.emplace(key, i);
    CellState& cell = cells[item.cell];
    const int64_t as_of = item.record->as_of_micros;
    const bool latest = !cell.has_latest || as_of >= cell.as_of;
    if (latest) {
      if (cell.latest_insert >= 0) plan.latest[cell.latest_insert] = false;
      if (cell.stored_seq) plan.displaced.push_back(*cell.stored_seq);
      cell = CellState{true, as_of, std::nullopt, static_cast<int>(plan.inserts.size())};
    }
    plan.inserts.push_back(i);
    plan.latest.push_back(latest);
    plan.outcome.recorded++;
  }
  return plan;
}

absl::StatusOr<std::unordered_map<std::string, std::string>> StoredBodies(pg::Connection& c,
                                                                          const Batch& batch) {
  ArrayLiteral keys;
  for (const std::string& key : batch.source_keys) keys.Text(key);
  LUOSHI_ASSIGN_OR_RETURN(pg::Result rows, c.Execute(kSelectStoredKeys, pg::Params().Add(keys.Finish())));
  std::unordered_map<std::string, std::string> stored;
  for (int i = 0; i < rows.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(std::string key, rows.row(i).String(0));
    LUOSHI_ASSIGN_OR_RETURN(std::string body, rows.row(i).Bytes(1));
    stored.emplace(std::move(key), std::move(body));
  }
  return stored;
}

absl::StatusOr<std::vector<CellState>> LatestOfCells(pg::Connection& c, const Batch& batch) {
  ArrayLiteral region, indicator, status, measure, base, start, end;
  for (const CellKey& cell : batch.cells) {
    region.Text(std::get<0>(cell));
    indicator.Text(std::get<1>(cell));
    status.Int(std::get<2>(cell));
    measure.Int(std::get<3>(cell));
    base.Text(std::get<4>(cell));
    start.Int(std::get<5>(cell));
    end.Int(std::get<6>(cell));
  }
  pg::Params params;
  for (const ArrayLiteral* a : {&region, &indicator, &status, &measure, &base, &start, &end}) {
    params.Add(a->Finish());
  }
  LUOSHI_ASSIGN_OR_RETURN(pg::Result rows, c.Execute(kSelectLatestOfCells, params));
  std::vector<CellState> cells(batch.cells.size());
  for (int i = 0; i < rows.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(int64_t ordinal, rows.row(i).Int64(0));
    LUOSHI_ASSIGN_OR_RETURN(int64_t seq, rows.row(i).Int64(1));
    LUOSHI_ASSIGN_OR_RETURN(int64_t as_of, rows.row(i).Int64(2));
    if (ordinal < 1 || ordinal > static_cast<int64_t>(cells.size())) {
      return absl::InternalError(absl::StrCat("latest-vintage lookup returned cell ", ordinal, " of ", cells.size()));
    }
    cells[ordinal - 1] = CellState{true, as_of, seq, -1};
  }
  return cells;
}

absl::StatusOr<std::vector<int64_t>> ReserveSequences(pg::Connection& c, size_t count) {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result rows,
                          c.Execute(kReserveSequences, pg::Params().Add(static_cast<int32_t>(count))));
  std::vector<int64_t> seqs;
  for (int i = 0; i < rows.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(int64_t seq, rows.row(i).Int64(0));
    seqs.push_back(seq);
  }
  if (seqs.size() != count) {
    return absl::InternalError(absl::StrCat("reserved ", seqs.size(), " sequence numbers, wanted ", count));
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

absl::Status InsertRows(pg::Connection& c, const Batch& batch, const Plan& plan,
                        const std::vector<int64_t>& seqs) {
  ArrayLiteral seq, source_key, indicator, region, status, measure, base, start, end, period, document,
      unscaled, scale, unit, as_of, recorded_at, latest, body;
  for (size_t n = 0; n < plan.inserts.size(); ++n) {
    const Item& item = batch.items[plan.inserts[n]];
    const ObservationRecord& r = *item.record;
    const v1::Observation& o = *item.body;
    seq.Int(seqs[n]);
    source_key.Text(o.source_key());
    indicator.Text(r.indicator_key);
    region.Text(r.region_key);
    status.Int(o.status());
    measure.Int(o.measure());
    base.Text(r.base_key);
    start.Int(r.period.StartKey());
    end.Int(r.period.EndKey());
    period.Text(o.period());
    document.Text(o.provenance().document_id());
    if (o.has_value()) {
      unscaled.Int(static_cast<int64_t>(o.value().value().unscaled()));
      scale.Int(o.value().value().scale());
    } else {
      unscaled.Null();
      scale.Null();
    }
    unit.Text(o.value().unit());
    as_of.Int(r.as_of_micros);
    recorded_at.Int(r.recorded_at_micros);
    latest.Bool(plan.latest[n]);
    body.Bytes(item.body_bytes);
  }
  pg::Params params;
  for (const ArrayLiteral* a : {&seq, &source_key, &indicator, &region, &status, &measure, &base, &start, &end,
                                &period, &document, &unscaled, &scale, &unit, &as_of, &recorded_at, &latest,
                                &body}) {
    params.Add(a->Finish());
  }
  return c.Execute(kInsertRows, params).status();
}

// One attempt at recording the batch, inside a transaction.
absl::StatusOr<RecordOutcome> RecordIn(pg::Connection& c, const Batch& batch) {
  ArrayLiteral buckets;
  for (int32_t b : batch.lock_buckets) buckets.Int(b);
  LUOSHI_RETURN_IF_ERROR(c.Execute(kLockCells, pg::Params().Add(kCellLockClass).Add(buckets.Finish())).status());
  // READ COMMITTED: each statement from here on sees what earlier holders of the locks committed.
  LUOSHI_ASSIGN_OR_RETURN(auto stored, StoredBodies(c, batch));
  LUOSHI_ASSIGN_OR_RETURN(std::vector<CellState> cells, LatestOfCells(c, batch));
  LUOSHI_ASSIGN_OR_RETURN(Plan plan, Decide(batch, stored, std::move(cells)));
  if (plan.inserts.empty()) return plan.outcome;
  LUOSHI_ASSIGN_OR_RETURN(std::vector<int64_t> seqs, ReserveSequences(c, plan.inserts.size()));
  // Un-mark the displaced rows first: the partial unique index admits one latest row per cell at any moment.
  if (!plan.displaced.empty()) {
    ArrayLiteral displaced;
    for (int64_t s : plan.displaced) displaced.Int(s);
    LUOSHI_RETURN_IF_ERROR(c.Execute(kClearLatest, pg::Params().Add(displaced.Finish())).status());
  }
  LUOSHI_RETURN_IF_ERROR(InsertRows(c, batch, plan, seqs));
  return plan.outcome;
}

// Builds the SELECT for a filter, numbering the parameters as it goes. The SQL text depends only on which
// filters are present (never on their values), so each connection prepares a handful of shapes.
class QueryBuilder {
 public:
  void AddIn(const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    if (values.size() == 1) {
      Where(absl::StrCat(column, " = ", Next()));
      params_.Add(values[0]);
      return;
    }
    ArrayLiteral list;
    for (const std::string& v : values) list.Text(v);
    Where(absl::StrCat(column, " = ANY(", Next(), "::text[])"));
    params_.Add(list.Finish());
  }
  void AddInt(const char* condition, int32_t value) {
    Where(absl::StrCat(condition, " ", Next()));
    params_.Add(value);
  }
  void AddText(const char* condition, const std::string& value) {
    Where(absl::StrCat(condition, " ", Next()));
    params_.Add(value);
  }
  void AddCursor(const PageCursor& after) {
    const std::string start = Next(), end = Next(), seq = Next();
    Where(absl::StrCat("(period_start, period_end, seq) > (", start, ", ", end, ", ", seq, ")"));
    params_.Add(static_cast<int32_t>(after.start_key)).Add(static_cast<int32_t>(after.end_key)).Add(after.sequence);
  }
  void AddLatestOnly() { Where("is_latest"); }
  void SetLimit(int limit) {
    limit_ = Next();
    params_.Add(static_cast<int64_t>(limit));
  }
  void SetUnordered() { ordered_ = false; }

  std::string Sql() const {
    std::string sql =
        "SELECT seq, recorded_at, is_latest, body, period_start, period_end, period, measure, base_key, as_of "
        "FROM observations";
    if (!clauses_.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(clauses_, " AND "));
    if (ordered_) absl::StrAppend(&sql, " ORDER BY period_start, period_end, seq");
    if (!limit_.empty()) absl::StrAppend(&sql, " LIMIT ", limit_);
    return sql;
  }
  const pg::Params& params() const { return params_; }

 private:
  std::string Next() { return absl::StrCat("$", ++count_); }
  void Where(std::string clause) { clauses_.push_back(std::move(clause)); }

  std::vector<std::string> clauses_;
  pg::Params params_;
  int count_ = 0;
  std::string limit_;
  bool ordered_ = true;
};

QueryBuilder BuildQuery(const ObservationFilter& f, const std::optional<PageCursor>& after, int limit) {
  QueryBuilder q;
  q.AddIn("indicator_key", f.indicator_keys);
  q.AddIn("region_key", f.region_keys);
  if (f.any_order && !after && limit == 0) q.SetUnordered();
  if (f.status != v1::OBSERVATION_STATUS_UNSPECIFIED) q.AddInt("status =", f.status);
  if (f.measure != v1::MEASURE_UNSPECIFIED) q.AddInt("measure =", f.measure);
  if (!f.all_vintages) q.AddLatestOnly();
  if (f.exact_period) {
    q.AddInt("period_start =", f.exact_period->StartKey());
    q.AddInt("period_end =", f.exact_period->EndKey());
  }
  if (f.start_from) q.AddInt("period_start >=", *f.start_from);
  if (f.start_to) q.AddInt("period_start <=", *f.start_to);
  if (!f.document_id.empty()) q.AddText("document_id =", f.document_id);
  if (after) q.AddCursor(*after);
  // One extra row tells whether another page follows.
  if (limit > 0) q.SetLimit(limit + 1);
  return q;
}

absl::Status ReadRow(const pg::Row& row, StoredObservationBytes* out) {
  LUOSHI_ASSIGN_OR_RETURN(out->sequence, row.Int64(0));
  LUOSHI_ASSIGN_OR_RETURN(int64_t recorded_at, row.Int64(1));
  LUOSHI_ASSIGN_OR_RETURN(out->latest, row.Bool(2));
  LUOSHI_ASSIGN_OR_RETURN(out->wire, row.Bytes(3));
  store_internal::AppendAssignedFields(out->sequence, recorded_at, &out->wire);
  LUOSHI_ASSIGN_OR_RETURN(out->start_key, row.Int32(4));
  LUOSHI_ASSIGN_OR_RETURN(out->end_key, row.Int32(5));
  LUOSHI_ASSIGN_OR_RETURN(out->period, row.String(6));
  LUOSHI_ASSIGN_OR_RETURN(int32_t measure, row.Int32(7));
  out->measure = static_cast<v1::Measure>(measure);
  LUOSHI_ASSIGN_OR_RETURN(out->base_key, row.String(8));
  LUOSHI_ASSIGN_OR_RETURN(out->as_of_micros, row.Int64(9));
  return absl::OkStatus();
}

}  // namespace

pg::PoolOptions PostgresObservationStore::DefaultPoolOptions() {
  pg::PoolOptions options;
  options.size = 8;
  return options;
}

absl::StatusOr<std::unique_ptr<PostgresObservationStore>> PostgresObservationStore::Open(const std::string& uri,
                                                                                       pg::PoolOptions options) {
  LUOSHI_ASSIGN_OR_RETURN(std::unique_ptr<pg::PgPool> pool, pg::PgPool::Open(uri, options));
  LUOSHI_ASSIGN_OR_RETURN(int version, pg::RunPgMigrations(*pool, "indicators", PgObservationMigrations()));
  return std::unique_ptr<PostgresObservationStore>(new PostgresObservationStore(std::move(pool), version));
}

absl::StatusOr<RecordOutcome> PostgresObservationStore::Record(const std::vector<ObservationRecord>& records) {
  if (records.empty()) return RecordOutcome();
  const Batch batch = Prepare(records);
  RecordOutcome outcome;
  absl::Status s;
  // A new source key that another replica inserts at the same moment (in cells under other locks) shows up
  // as a unique violation of observations_source_key_unique when that replica commits first. The batch then
  // runs again: it now sees the stored row and reports it as unchanged or as a conflict naming the item.
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = pool_->Transact([&](pg::Connection& c) -> absl::Status {
      LUOSHI_ASSIGN_OR_RETURN(outcome, RecordIn(c, batch));
      return absl::OkStatus();
    });
    const bool raced = pg::SqlStateOf(s) == "23505" &&
                       absl::StrContains(s.message(), "observations_source_key_unique");
    if (!raced) break;
  }
  if (!s.ok()) return s;
  return outcome;
}

absl::StatusOr<ObservationBytesPage> PostgresObservationStore::QueryBytes(const ObservationFilter& filter,
                                                                          const std::optional<PageCursor>& after,
                                                                          int limit) {
  const QueryBuilder query = BuildQuery(filter, after, limit);
  LUOSHI_ASSIGN_OR_RETURN(pg::PgPool::Lease lease, pool_->Acquire());
  LUOSHI_ASSIGN_OR_RETURN(pg::Result rows, lease->Execute(query.Sql(), query.params()));
  ObservationBytesPage page;
  const int take = limit > 0 ? std::min(rows.rows(), limit) : rows.rows();
  page.observations.resize(static_cast<size_t>(take));
  for (int i = 0; i < take; ++i) LUOSHI_RETURN_IF_ERROR(ReadRow(rows.row(i), &page.observations[i]));
  if (limit > 0 && rows.rows() > limit) {
    const StoredObservationBytes& last = page.observations.back();
    page.next = PageCursor{last.start_key, last.end_key, last.sequence};
  }
  return page;
}

absl::StatusOr<std::string> PostgresObservationStore::ExplainQuery(const ObservationFilter& filter,
                                                                   const std::optional<PageCursor>& after,
                                                                   int limit) {
  const QueryBuilder query = BuildQuery(filter, after, limit);
  LUOSHI_ASSIGN_OR_RETURN(pg::PgPool::Lease lease, pool_->Acquire());
  LUOSHI_ASSIGN_OR_RETURN(pg::Result rows, lease->Execute("EXPLAIN " + query.Sql(), query.params()));
  std::vector<std::string> lines;
  for (int i = 0; i < rows.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(std::string line, rows.row(i).String(0));
    lines.push_back(std::move(line));
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace luoshi::indicators
