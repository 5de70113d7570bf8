#include "services/indicators/sqlite_store.h"

#include <set>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace luoshi::indicators {

// Numbered schema migrations. Append new ones; never edit a released one.
const std::vector<sql::Migration>& ObservationMigrations() {
  static const auto* migrations = new std::vector<sql::Migration>{
      {1, R"sql(
CREATE TABLE observations (
  seq            INTEGER PRIMARY KEY,   -- recorded order; observation id is "obs-<seq>"
  source_key     TEXT NOT NULL UNIQUE,  -- producer's idempotency key
  indicator_key  TEXT NOT NULL,         -- catalog id, or "~" + surface name
  region_key     TEXT NOT NULL,         -- catalog region id, or the name as written
  status         INTEGER NOT NULL,      -- luoshi.v1.ObservationStatus
  measure        INTEGER NOT NULL,      -- luoshi.v1.Measure
  base_key       TEXT NOT NULL,         -- normalized comparison base, "" = year on year
  period_start   INTEGER NOT NULL,      -- yyyymm of the first month
  period_end     INTEGER NOT NULL,      -- yyyymm of the last month
  period         TEXT NOT NULL,         -- canonical period code
  document_id    TEXT NOT NULL,
  value_unscaled INTEGER,               -- exact decimal digits (NULL for qualitative figures)
  value_scale    INTEGER,
  unit           TEXT NOT NULL,
  as_of          INTEGER NOT NULL,      -- Unix microseconds the document speaks for (0 = unknown)
  recorded_at    INTEGER NOT NULL,      -- Unix microseconds
  is_latest      INTEGER NOT NULL,      -- 1 for the latest vintage of its series cell
  body           BLOB NOT NULL          -- serialized luoshi.v1.Observation (without id, recorded_at)
);
-- Series reads and the latest-vintage lookup filter on indicator and region and want period order; with
-- is_latest right after them the rows come out sorted, so the planner never prefers scanning a whole
-- region. Status, measure and base are checked on the few rows of one indicator × region.
CREATE INDEX observations_by_cell
  ON observations(indicator_key, region_key, is_latest, period_start, period_end, seq);
CREATE INDEX observations_by_region ON observations(region_key, is_latest, period_start, period_end, seq);
CREATE INDEX observations_by_period ON observations(is_latest, period_start, period_end, seq);
CREATE INDEX observations_by_document ON observations(document_id, period_start, period_end, seq);
)sql"},
      // The series index is ordered by region, then year, then indicator. A batch (a document's figures:
      // one region, one year, many indicators) then changes a few neighbouring pages of the index instead
      // of one page per figure spread over the whole index: at 1M observations ~100 instead of ~580 pages
      // written per batch of 500, and every page written costs a WAL write now and a checkpoint write
      // later. A series read looks up each year listed in observation_years (a few dozen rows). The year
      // is a stored column because SQLite's planner did not use an index on `period_start / 100` for the
      // per-year lookups (it scanned the whole region instead).
      {2, R"sql(
ALTER TABLE observations ADD COLUMN period_year INTEGER NOT NULL DEFAULT 0;  -- year of period_start
UPDATE observations SET period_year = period_start / 100;
DROP INDEX observations_by_cell;
CREATE INDEX observations_by_series
  ON observations(region_key, period_year, indicator_key, is_latest, period_start, period_end, seq);
CREATE TABLE observation_years (year INTEGER PRIMARY KEY);  -- every period_year in observations
INSERT OR IGNORE INTO observation_years SELECT DISTINCT period_year FROM observations;
)sql"},
  };
  return *migrations;
}

namespace {

constexpr char kSelectBySourceKey[] = "SELECT body FROM observations WHERE source_key = ?";
constexpr char kSelectLatestOfCell[] =
    "SELECT seq, as_of FROM observations WHERE region_key = ? AND period_year = ? AND indicator_key = ? "
    "AND status = ? AND measure = ? AND is_latest = 1 AND period_start = ? AND period_end = ? AND base_key = "
    "?";
constexpr char kAddYear[] = "INSERT OR IGNORE INTO observation_years (year) VALUES (?)";
constexpr char kClearLatest[] = "UPDATE observations SET is_latest = 0 WHERE seq = ?";
constexpr char kInsert[] =
    "INSERT INTO observations (source_key, indicator_key, region_key, status, measure, base_key, "
    "period_start, period_end, period, document_id, value_unscaled, value_scale, unit, as_of, recorded_at, "
    "is_latest, body, period_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_key) DO NOTHING";

using store_internal::SourceKeyConflict;
using store_internal::StoredBody;

struct LatestOfCell {
  int64_t sequence;
  int64_t as_of;
};

absl::StatusOr<std::optional<LatestOfCell>> FindLatest(sql::Connection& c, const ObservationRecord& r) {
  LUOSHI_ASSIGN_OR_RETURN(sql::Statement stmt, c.Prepare(kSelectLatestOfCell));
  stmt.Bind(1, r.region_key).Bind(2, r.period.year).Bind(3, r.indicator_key);
  stmt.Bind(4, r.observation.status()).Bind(5, r.observation.measure());
  stmt.Bind(6, r.period.StartKey()).Bind(7, r.period.EndKey()).Bind(8, r.base_key);
  LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<LatestOfCell>();
  return std::optional<LatestOfCell>(LatestOfCell{stmt.ColumnInt(0), stmt.ColumnInt(1)});
}

// The source key is already stored: 0 when with identical content, ALREADY_EXISTS otherwise.
absl::StatusOr<int> CheckRedelivery(sql::Connection& c, size_t index, const v1::Observation& body) {
  LUOSHI_ASSIGN_OR_RETURN(sql::Statement existing, c.Prepare(kSelectBySourceKey));
  existing.Bind(1, body.source_key());
  LUOSHI_ASSIGN_OR_RETURN(bool row, existing.Step());
  v1::Observation stored;
  if (row && stored.ParseFromString(existing.ColumnBlob(0)) &&
      google::protobuf::util::MessageDifferencer::Equals(stored, body)) {
    return 0;
  }
  return SourceKeyConflict(index, body.source_key());
}

absl::Status Insert(sql::Connection& c, const ObservationRecord& r, const v1::Observation& body,
                    bool is_latest) {
  LUOSHI_ASSIGN_OR_RETURN(sql::Statement insert, c.Prepare(kInsert));
  insert.Bind(1, body.source_key()).Bind(2, r.indicator_key).Bind(3, r.region_key);
  insert.Bind(4, body.status()).Bind(5, body.measure()).Bind(6, r.base_key);
  insert.Bind(7, r.period.StartKey()).Bind(8, r.period.EndKey()).Bind(9, body.period());
  insert.Bind(10, body.provenance().document_id());
  if (body.has_value()) {
    insert.Bind(11, static_cast<int64_t>(body.value().value().unscaled()));
    insert.Bind(12, body.value().value().scale());
  } else {
    insert.BindNull(11).BindNull(12);
  }
  insert.Bind(13, body.value().unit()).Bind(14, r.as_of_micros).Bind(15, r.recorded_at_micros);
  insert.Bind(16, is_latest ? 1 : 0).BindBlob(17, body.SerializeAsString()).Bind(18, r.period.year);
  return insert.Run();
}

// 1: stored now; 0: already stored with identical content.
absl::StatusOr<int> RecordOne(sql::Connection& c, size_t index, const ObservationRecord& r) {
  v1::Observation scratch;
  const v1::Observation& body = StoredBody(r.observation, &scratch);
  LUOSHI_ASSIGN_OR_RETURN(std::optional<LatestOfCell> latest, FindLatest(c, r));
  const bool is_latest = !latest.has_value() || r.as_of_micros >= (latest)->as_of;
  LUOSHI_RETURN_IF_ERROR(Insert(c, r, body, is_latest));
  if (c.Changes() == 0) return CheckRedelivery(c, index, body);  // the source key was already there
  if (is_latest && latest.has_value()) {
    LUOSHI_ASSIGN_OR_RETURN(sql::Statement clear, c.Prepare(kClearLatest));
    LUOSHI_RETURN_IF_ERROR(clear.Bind(1, (latest)->sequence).Run());
  }
  return 1;
}

// Builds the SELECT for a filter. The SQL text depends only on which filters are present (never on their
// values), so the statement cache holds a handful of shapes; values are bound as parameters.
class QueryBuilder {
 public:
  void AddIn(const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    if (values.size() == 1) {
      Add(absl::StrCat(column, " = ?"), values[0]);
      return;
    }
    std::vector<std::string> quoted;
    for (const auto& v : values) quoted.push_back(JsonQuote(v));
    Add(absl::StrCat(column, " IN (SELECT value FROM json_each(?))"),
        absl::StrCat("[", absl::StrJoin(quoted, ","), "]"));
  }
  void Add(std::string clause, std::variant<int64_t, std::string> value) {
    clauses_.push_back(std::move(clause));
    params_.push_back(std::move(value));
  }
  void AddCursor(const PageCursor& after) {
    clauses_.push_back("(period_start, period_end, seq) > (?, ?, ?)");
    params_.push_back(static_cast<int64_t>(after.start_key));
    params_.push_back(static_cast<int64_t>(after.end_key));
    params_.push_back(after.sequence);
  }
  void AddLatestOnly() { clauses_.push_back("is_latest = 1"); }
  // Indicator and region both given: read through the series index, one range per year in the database
  // (each range holds the indicator's rows of that region and year, in period order).
  void UseSeriesIndex() {
    index_ = " INDEXED BY observations_by_series";
    clauses_.push_back("period_year IN (SELECT year FROM observation_years)");
  }
  void SetLimit(int limit) { limit_ = limit; }
  void SetUnordered() { ordered_ = false; }

  std::string Sql() const {
    std::string sql =
        "SELECT seq, recorded_at, is_latest, body, period_start, period_end, period, measure, base_key, "
        "as_of "
        "FROM observations";
    sql += index_;
    if (!clauses_.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(clauses_, " AND "));
    if (ordered_) absl::StrAppend(&sql, " ORDER BY period_start, period_end, seq");
    if (limit_ > 0) absl::StrAppend(&sql, " LIMIT ?");
    return sql;
  }
  void BindAll(sql::Statement& stmt) const {
    int i = 1;
    for (const auto& p : params_) {
      if (std::holds_alternative<int64_t>(p)) {
        stmt.Bind(i++, std::get<int64_t>(p));
      } else {
        stmt.Bind(i++, std::get<std::string>(p));
      }
    }
    if (limit_ > 0) stmt.Bind(i, limit_);
  }

 private:
  std::vector<std::string> clauses_;
  std::vector<std::variant<int64_t, std::string>> params_;
  int limit_ = 0;
  std::string index_;
  bool ordered_ = true;
};

QueryBuilder BuildQuery(const ObservationFilter& f, const std::optional<PageCursor>& after, int limit) {
  QueryBuilder q;
  q.AddIn("indicator_key", f.indicator_keys);
  q.AddIn("region_key", f.region_keys);
  if (!f.indicator_keys.empty() && !f.region_keys.empty()) q.UseSeriesIndex();
  if (f.any_order && !after && limit == 0) q.SetUnordered();
  if (f.status != v1::OBSERVATION_STATUS_UNSPECIFIED) q.Add("status = ?", static_cast<int64_t>(f.status));
  if (f.measure != v1::MEASURE_UNSPECIFIED) q.Add("measure = ?", static_cast<int64_t>(f.measure));
  if (!f.all_vintages) q.AddLatestOnly();
  if (f.exact_period) {
    q.Add("period_start = ?", static_cast<int64_t>(f.exact_period->StartKey()));
    q.Add("period_end = ?", static_cast<int64_t>(f.exact_period->EndKey()));
  }
  if (f.start_from) q.Add("period_start >= ?", static_cast<int64_t>(*f.start_from));
  if (f.start_to) q.Add("period_start <= ?", static_cast<int64_t>(*f.start_to));
  if (!f.document_id.empty()) q.Add("document_id = ?", f.document_id);
  if (after) q.AddCursor(*after);
  // One extra row tells whether another page follows.
  if (limit > 0) q.SetLimit(limit + 1);
  return q;
}

// The row's observation in wire form: the stored body followed by the two fields the store assigns (a
// serialized message followed by more fields decodes as the message with those fields set).
void ReadRow(const sql::Statement& stmt, StoredObservationBytes* out) {
  const auto [body, body_size] = stmt.ColumnBytes(3);
  out->sequence = stmt.ColumnInt(0);
  out->wire.reserve(body_size + 32);
  out->wire.assign(body, body_size);
  store_internal::AppendAssignedFields(out->sequence, stmt.ColumnInt(1), &out->wire);
  out->latest = stmt.ColumnInt(2) != 0;
  out->start_key = static_cast<int>(stmt.ColumnInt(4));
  out->end_key = static_cast<int>(stmt.ColumnInt(5));
  const auto [period, period_size] = stmt.ColumnBytes(6);
  out->period.assign(period, period_size);
  out->measure = static_cast<v1::Measure>(stmt.ColumnInt(7));
  const auto [base, base_size] = stmt.ColumnBytes(8);
  out->base_key.assign(base, base_size);
  out->as_of_micros = stmt.ColumnInt(9);
}

}  // namespace

sql::DatabaseOptions SqliteObservationStore::DefaultOptions() {
  sql::DatabaseOptions options;
  options.reader_count = 8;
  options.synchronous = "FULL";  // every committed batch survives power loss
  // Reads map the file instead of copying each page through read(): a series or a page touches one table
  // page per observation, so this is most of SQLite's cost of a read on a large database.
  options.mmap_bytes = int64_t{1} << 30;
  options.cache_kib = 16 * 1024;
  // The writer's larger cache keeps the indexes of a million observations in memory, and less frequent
  // checkpoints write each hot index page once per 40 MiB of WAL instead of once per 4 MiB.
  options.writer_cache_kib = 64 * 1024;
  options.checkpoint_pages = 10000;
  return options;
}

absl::StatusOr<std::unique_ptr<SqliteObservationStore>> SqliteObservationStore::Open(
    const std::string& path, sql::DatabaseOptions options) {
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      sql::Database::Open(path, ObservationMigrations(), options);
  if (!db.ok()) return db.status();
  return std::unique_ptr<SqliteObservationStore>(new SqliteObservationStore(*std::move(db)));
}

absl::StatusOr<RecordOutcome> SqliteObservationStore::Record(const std::vector<ObservationRecord>& records) {
  RecordOutcome outcome;
  absl::Status s = db_->Write([&](sql::Connection& c) -> absl::Status {
    outcome = RecordOutcome();
    std::set<int> years;
    for (size_t i = 0; i < records.size(); ++i) {
      LUOSHI_ASSIGN_OR_RETURN(int stored, RecordOne(c, i, records[i]));
      (stored ? outcome.recorded : outcome.unchanged)++;
      years.insert(records[i].period.year);
    }
    for (int year : years) {
      LUOSHI_ASSIGN_OR_RETURN(sql::Statement add, c.Prepare(kAddYear));
      LUOSHI_RETURN_IF_ERROR(add.Bind(1, year).Run());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return outcome;
}

absl::StatusOr<ObservationBytesPage> SqliteObservationStore::QueryBytes(
    const ObservationFilter& filter, const std::optional<PageCursor>& after, int limit) {
  const QueryBuilder query = BuildQuery(filter, after, limit);
  ObservationBytesPage page;
  page.observations.reserve(limit > 0 ? static_cast<size_t>(limit) : 64);
  bool more = false;
  absl::Status s = db_->Read([&](sql::Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(sql::Statement stmt, c.Prepare(query.Sql()));
    query.BindAll(stmt);
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::OkStatus();
      if (limit > 0 && static_cast<int>(page.observations.size()) == limit) {
        more = true;
        return absl::OkStatus();
      }
      ReadRow(stmt, &page.observations.emplace_back());
    }
  });
  if (!s.ok()) return s;
  if (more) {
    const StoredObservationBytes& last = page.observations.back();
    page.next = PageCursor{last.start_key, last.end_key, last.sequence};
  }
  return page;
}

}  // namespace luoshi::indicators
