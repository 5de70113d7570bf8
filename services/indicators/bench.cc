// luoshi_indicators_bench: throughput of RecordObservations and latency of GetSeries / filtered
// QueryObservations over real gRPC on loopback, as the database grows (default 10k → 100k → 1M
// observations across 50 regions, 300 indicators and 20 years). A program that prints figures, not a test.
//
//   luoshi_indicators_bench                                  # the full run (a few minutes)
//   luoshi_indicators_bench --sizes=10000,50000 --requests=400   # a quick run
//   luoshi_indicators_bench --bench_db=/tmp/ind.db --sizes=1000000   # fill once, then re-measure reads
//                                                                    # (later runs reuse the file)
//
// Writes go through one client in batches of --batch with durable commits (synchronous=FULL, one fsync
// per batch); reads come from --clients clients, each on its own connection with one call in flight,
// alternating GetSeries for a random indicator × region and a page of QueryObservations filtered by region,
// period range and status. Before each measurement the same load runs for --warmup_seconds uncounted.
//
//   scripts/bench-postgres.sh luoshi_indicators_bench --store={pg} --sizes=10000,100000
//
// --store=postgres://… records into a PostgreSQL database instead (an empty one: the fill starts from
// nothing; durable when the server commits so, its default); the SQLite flags then do not apply.
#include <grpcpp/grpcpp.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/common/catalog.h"
#include "services/common/clock.h"
#include "services/common/decimal.h"
#include "services/common/flags.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/indicators/grpc_service.h"
#include "services/indicators/open_store.h"
#include "services/indicators/service.h"
#include "services/indicators/sqlite_store.h"

ABSL_FLAG(std::string, sizes, "10000,100000,1000000",
          "Database sizes (observations) at which reads are measured.");
ABSL_FLAG(int, regions, 50, "Number of regions.");
ABSL_FLAG(int, indicators, 300, "Number of indicators.");
ABSL_FLAG(int, years, 20, "Number of years.");
ABSL_FLAG(int, batch, 500, "Observations per RecordObservations call.");
ABSL_FLAG(int, clients, 16, "Concurrent reading clients.");
ABSL_FLAG(int, load_threads, 1,
          "Threads driving the reading clients (1: one thread drives them all through a completion queue; "
          "--clients: a thread per client).");
ABSL_FLAG(double, warmup_seconds, 3, "Read load run (and not counted) before each measurement at each size.");
ABSL_FLAG(int, requests, 4000,
          "Read requests per size (spread over the clients; half GetSeries, half Query).");
ABSL_FLAG(std::string, synchronous, "FULL", "SQLite synchronous mode: FULL (durable commits) or NORMAL.");
ABSL_FLAG(bool, keep, false, "Keep the database file afterwards (for EXPLAIN QUERY PLAN and the like).");
ABSL_FLAG(std::string, dir, "", "Directory for the temporary database (default: the system temp directory).");
ABSL_FLAG(std::string, bench_db, "",
          "Database file to use and keep; observations it already holds (from an earlier run with the same "
          "shape) are not recorded again, so reads can be measured repeatedly without refilling.");
ABSL_FLAG(bool, distribution, false, "Also print latency percentiles from p50 to the maximum for each size.");
ABSL_FLAG(int, in_process, 0,
          "After the sizes, time this many GetSeries calls made directly on the service object (no gRPC).");
// Store settings for experiments; -1 keeps the service's own (SqliteObservationStore::DefaultOptions()).
ABSL_FLAG(int, readers, -1, "SQLite reader connections of the store.");
ABSL_FLAG(int, writer_cache_mib, -1, "SQLite page cache of the writing connection, MiB.");
ABSL_FLAG(int, checkpoint_pages, -1,
          "WAL pages after which a commit checkpoints (PRAGMA wal_autocheckpoint).");
ABSL_FLAG(int, reader_cache_mib, -1, "SQLite page cache per reader connection, MiB.");
ABSL_FLAG(int, reader_mmap_mib, -1,
          "Memory map per reader connection, MiB (0: read through the page cache).");

namespace luoshi::indicators {
namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  int regions, indicators, years;
  int Cells() const { return regions * indicators; }
};

std::string IndicatorId(int i) { return absl::StrFormat("ind%03d", i); }
std::string RegionId(int r) { return absl::StrFormat("r%02d", r); }

v1::Catalog MakeCatalog(const Shape& s) {
  v1::Catalog c;
  for (int i = 0; i < s.indicators; ++i) {
    v1::Indicator* ind = c.add_indicators();
    ind->set_id(IndicatorId(i));
    ind->set_name(absl::StrCat("指标", i));
    ind->set_default_unit("亿元");
    ind->set_desired_direction(v1::DESIRED_DIRECTION_UP);
  }
  v1::Region* root = c.add_regions();
  root->set_id("root");
  root->set_name("全市");
  for (int r = 0; r < s.regions; ++r) {
    v1::Region* region = c.add_regions();
    region->set_id(RegionId(r));
    region->set_name(absl::StrCat("区", r));
    region->set_parent_id("root");
  }
  return c;
}

// Observation number n: cycles through every indicator × region cell, then moves on to the next period
// (20 years of annual figures, then H1, H2, Q1 … of the same years).
const char* kSuffixes[] = {"", "H1", "H2", "Q1", "Q2", "Q3", "Q4", "-01", "-02", "-03", "-04", "-05", "-06"};

std::string PeriodOf(int64_t n, const Shape& s) {
  int64_t p = n / s.Cells();
  int year = 2005 + static_cast<int>(p % s.years);
  int kind = static_cast<int>((p / s.years) % std::size(kSuffixes));
  return absl::StrCat(year, kSuffixes[kind]);
}

v1::Observation MakeObservation(int64_t n, const Shape& s) {
  v1::Observation o;
  o.set_source_key(absl::StrCat("bench#", n));
  o.set_indicator_id(IndicatorId(static_cast<int>(n % s.indicators)));
  o.set_region(RegionId(static_cast<int>((n / s.indicators) % s.regions)));
  o.set_period(PeriodOf(n, s));
  o.set_measure(v1::MEASURE_LEVEL);
  o.set_status(v1::OBSERVATION_STATUS_ACTUAL);
  *o.mutable_value()->mutable_value() = MakeDecimal(100000 + n % 900000, 1);
  o.mutable_value()->set_unit("亿元");
  o.mutable_as_of()->set_seconds(1600000000 + n);
  o.mutable_provenance()->set_document_id(absl::StrCat("doc-", n / 5000));
  o.mutable_provenance()->set_sentence_index(static_cast<int>(n % 400));
  o.mutable_provenance()->set_sentence(
      absl::StrCat("地区生产总值完成", n % 9000, ".", n % 10, "亿元,同比增长5.2%"));
  return o;
}

// Signs the bench's calls (as the ingestion service, which may record); the service trusts its key.
const TestTokens& Tokens() {
  static const TestTokens* tokens = new TestTokens();
  return *tokens;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  Tokens().Attach(ServiceIdentity(), c.get());
  return c;
}

// Records observations [from, to) in batches; returns the seconds spent inside RecordObservations calls
// (building the requests is the producer's work and is not counted).
double Fill(v1::IndicatorService::Stub* stub, int64_t from, int64_t to, const Shape& s, int batch) {
  double seconds = 0;
  for (int64_t n = from; n < to;) {
    v1::RecordObservationsRequest req;
    for (int i = 0; i < batch && n < to; ++i, ++n) *req.add_observations() = MakeObservation(n, s);
    v1::RecordObservationsResponse resp;
    auto start = Clock::now();
    grpc::Status st = stub->RecordObservations(Context().get(), req, &resp);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (!st.ok() || resp.recorded() != req.observations_size()) {
      std::fprintf(stderr, "RecordObservations failed: %s (recorded %d of %d)\n", st.error_message().c_str(),
                   resp.recorded(), req.observations_size());
      std::exit(1);
    }
  }
  return seconds;
}

// CPU seconds used by this process so far (client and server threads together).
double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct Latencies {
  std::vector<double> series_ms, query_ms;
  int64_t series_points = 0, query_rows = 0;
};

// The two reads a client makes, drawn from its own random sequence: a whole series for one indicator ×
// region, and a page of actuals of one region over five years.
v1::GetSeriesRequest SeriesRequest(std::mt19937& rng, const Shape& s) {
  v1::GetSeriesRequest req;
  req.set_region(RegionId(static_cast<int>(rng() % s.regions)));
  req.set_indicator_id(IndicatorId(static_cast<int>(rng() % s.indicators)));
  return req;
}

v1::QueryObservationsRequest QueryRequest(std::mt19937& rng, const Shape& s) {
  v1::QueryObservationsRequest req;
  req.set_region(RegionId(static_cast<int>(rng() % s.regions)));
  int from = 2005 + static_cast<int>(rng() % s.years);
  req.set_period_from(absl::StrCat(from));
  req.set_period_to(absl::StrCat(from + 4));
  req.set_status(v1::OBSERVATION_STATUS_ACTUAL);
  req.mutable_page()->set_page_size(50);
  return req;
}

std::shared_ptr<grpc::Channel> OwnConnection(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // its own connection, like a separate client
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// Answers are decoded into a protobuf arena that the client empties after each call, as a client that
// reads many observations should: a series of 67 observations is some 800 strings and sub-messages, and
// the arena hands them out from one reused block instead of allocating and freeing each one.
class ReuseArena {
 public:
  ReuseArena() : block_(256 * 1024), arena_(Options(block_)) {}
  google::protobuf::Arena* Fresh() {
    arena_.Reset();
    return &arena_;
  }

 private:
  static google::protobuf::ArenaOptions Options(std::vector<char>& block) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block.data();
    o.initial_block_size = block.size();
    return o;
  }
  std::vector<char> block_;
  google::protobuf::Arena arena_;
};

void Fail(const grpc::Status& st) {
  std::fprintf(stderr, "read failed: %s\n", st.error_message().c_str());
  std::exit(1);
}

// One reading client: its own connection and random sequence, one call in flight, the next sent as soon as
// the answer has arrived and been decoded. Clients are driven through a completion queue, so that one
// thread can drive all of them and the load generator takes less of the CPU it shares with the server.
class ReadClient {
 public:
  ReadClient(const std::string& target, int requests, const Shape& s, int seed, Latencies* out)
      : stub_(v1::IndicatorService::NewStub(OwnConnection(target))),
        shape_(s),
        rng_(seed),
        left_(requests),
        out_(out) {}

  // Sends the next call if any is left (false if none); its completion arrives on `cq` tagged with this
  // client.
  bool Next(grpc::CompletionQueue* cq) {
    if (left_ == 0) return false;
    google::protobuf::Arena* a = arena_.Fresh();
    context_ = Context();
    series_ = sent_ % 2 == 0;
    ++sent_;
    --left_;
    start_ = Clock::now();
    if (series_) {
      series_answer_ = google::protobuf::Arena::CreateMessage<v1::Series>(a);
      series_call_ = stub_->AsyncGetSeries(context_.get(), SeriesRequest(rng_, shape_), cq);
      series_call_->Finish(series_answer_, &status_, this);
    } else {
      page_answer_ = google::protobuf::Arena::CreateMessage<v1::QueryObservationsResponse>(a);
      page_call_ = stub_->AsyncQueryObservations(context_.get(), QueryRequest(rng_, shape_), cq);
      page_call_->Finish(page_answer_, &status_, this);
    }
    return true;
  }

  // The answer has arrived (and has been decoded): records it.
  void Done() {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    if (!status_.ok()) Fail(status_);
    if (series_) {
      out_->series_ms.push_back(ms);
      out_->series_points += series_answer_->points_size();
    } else {
      out_->query_ms.push_back(ms);
      out_->query_rows += page_answer_->observations_size();
    }
  }

 private:
  std::unique_ptr<v1::IndicatorService::Stub> stub_;
  const Shape shape_;
  std::mt19937 rng_;
  int left_, sent_ = 0;
  Latencies* out_;
  ReuseArena arena_;
  std::unique_ptr<grpc::ClientContext> context_;
  bool series_ = false;
  Clock::time_point start_;
  grpc::Status status_;
  v1::Series* series_answer_ = nullptr;
  v1::QueryObservationsResponse* page_answer_ = nullptr;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Series>> series_call_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::QueryObservationsResponse>> page_call_;
};

void DriveClients(std::vector<std::unique_ptr<ReadClient>>* clients) {
  grpc::CompletionQueue cq;
  size_t in_flight = 0;
  for (auto& c : *clients) in_flight += c->Next(&cq) ? 1 : 0;
  void* tag;
  bool ok;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* c = static_cast<ReadClient*>(tag);
    c->Done();
    if (!c->Next(&cq)) --in_flight;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

Latencies MeasureReads(const std::string& target, const Shape& s, int clients, int requests) {
  std::vector<Latencies> per(clients);
  const int each = std::max(2, requests / clients);
  // Clients are dealt round-robin to the driving threads.
  const int drivers = std::max(1, std::min(clients, absl::GetFlag(FLAGS_load_threads)));
  std::vector<std::vector<std::unique_ptr<ReadClient>>> groups(drivers);
  for (int c = 0; c < clients; ++c)
    groups[c % drivers].push_back(std::make_unique<ReadClient>(target, each, s, 1000 + c, &per[c]));
  std::vector<std::thread> threads;
  for (auto& g : groups) threads.emplace_back(DriveClients, &g);
  for (auto& t : threads) t.join();
  Latencies all;
  for (auto& p : per) {
    all.series_ms.insert(all.series_ms.end(), p.series_ms.begin(), p.series_ms.end());
    all.query_ms.insert(all.query_ms.end(), p.query_ms.begin(), p.query_ms.end());
    all.series_points += p.series_points;
    all.query_rows += p.query_rows;
  }
  return all;
}

// Latency percentiles of the last measurement, one line per percentile.
void PrintDistribution(const Latencies& l) {
  std::printf("\n| percentile | GetSeries | Query page |\n|---:|---:|---:|\n");
  for (double q : {0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0}) {
    std::printf("| %.1f | %.2f ms | %.2f ms |\n", q * 100, Percentile(l.series_ms, q),
                Percentile(l.query_ms, q));
  }
  std::printf("\n");
}

// The server's own work for a series (storage read and answer assembly, no gRPC), on one thread: `calls`
// random series twice over, timing the second pass (every page already read once).
void MeasureInProcess(const IndicatorLogic& service, const Shape& s, int calls) {
  std::mt19937 rng(7);
  std::vector<double> ms;
  std::string bytes;
  for (int pass = 0; pass < 2; ++pass) {
    ms.clear();
    for (int i = 0; i < calls; ++i) {
      v1::GetSeriesRequest req;
      req.set_indicator_id(IndicatorId(static_cast<int>(rng() % s.indicators)));
      req.set_region(RegionId(static_cast<int>(rng() % s.regions)));
      auto start = Clock::now();
      absl::StatusOr<std::string> answer = service.GetSeriesWire(Identity{}, req);
      if (!answer.ok()) {
        std::fprintf(stderr, "GetSeriesWire failed: %s\n", std::string(answer.status().message()).c_str());
        std::exit(1);
      }
      bytes = *std::move(answer);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
  }
  std::printf(
      "\nGetSeries in process (no gRPC), one thread, %d calls after as many warm-up calls: p50 %.3f ms, "
      "p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
      calls, Percentile(ms, 0.5), Percentile(ms, 0.9), Percentile(ms, 0.99), Percentile(ms, 1.0));
}

int Run() {
  const Shape shape{absl::GetFlag(FLAGS_regions), absl::GetFlag(FLAGS_indicators),
                    absl::GetFlag(FLAGS_years)};
  std::vector<int64_t> sizes;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',', absl::SkipEmpty())) {
    int64_t n;
    if (!absl::SimpleAtoi(part, &n) || n <= 0) {
      std::fprintf(stderr, "--sizes: \"%s\" is not a positive number\n", std::string(part).c_str());
      return 2;
    }
    sizes.push_back(n);
  }
  std::sort(sizes.begin(), sizes.end());
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) dir = std::filesystem::temp_directory_path().string();
  std::string path = absl::GetFlag(FLAGS_bench_db);
  const bool keep = absl::GetFlag(FLAGS_keep) || !path.empty();
  if (path.empty()) path = absl::StrCat(dir, "/luoshi_indicators_bench_", getpid(), ".db");

  CatalogIndex catalog(MakeCatalog(shape));
  sql::DatabaseOptions options = SqliteObservationStore::DefaultOptions();
  options.synchronous = absl::GetFlag(FLAGS_synchronous);
  if (int mib = absl::GetFlag(FLAGS_reader_mmap_mib); mib >= 0) options.mmap_bytes = int64_t{mib} << 20;
  if (int n = absl::GetFlag(FLAGS_readers); n >= 0) options.reader_count = n;
  if (int mib = absl::GetFlag(FLAGS_reader_cache_mib); mib >= 0) options.cache_kib = mib * 1024;
  if (int mib = absl::GetFlag(FLAGS_writer_cache_mib); mib >= 0) options.writer_cache_kib = mib * 1024;
  if (int pages = absl::GetFlag(FLAGS_checkpoint_pages); pages >= 0) options.checkpoint_pages = pages;
  absl::StatusOr<StoreLocation> location = StoreLocationFromFlags(path);
  if (!location.ok()) {
    std::fprintf(stderr, "%s\n", std::string(location.status().message()).c_str());
    return 2;
  }
  const bool postgres = location->is_postgres();
  absl::StatusOr<std::unique_ptr<ObservationStore>> store =
      postgres ? OpenObservationStore(*location) : SqliteObservationStore::Open(location->sqlite_path(), options);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", location->ForLog().c_str(),
                 std::string(store.status().message()).c_str());
    return 1;
  }
  IndicatorLogic service(&catalog, store->get(), SystemClock::Get());
  GrpcService grpc_service(&service, Tokens().authenticator());
  ServiceHost host("indicators-bench", IndicatorServerLimits());
  host.AddService(&grpc_service, "luoshi.v1.IndicatorService");
  if (absl::Status st = host.Start("127.0.0.1:0"); !st.ok()) {
    std::fprintf(stderr, "cannot start: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  const std::string target = absl::StrCat("127.0.0.1:", host.port());
  auto writer =
      v1::IndicatorService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));

  std::printf(
      "database %s (%s), %d regions × %d indicators × %d years, batches of %d, %d read "
      "clients\n\n",
      location->ForLog().c_str(),
      postgres ? "PostgreSQL's own commit settings" : absl::StrCat("synchronous=", options.synchronous).c_str(), shape.regions, shape.indicators, shape.years,
      absl::GetFlag(FLAGS_batch), absl::GetFlag(FLAGS_clients));
  std::printf(
      "| observations | record obs/s | obs per CPU-s | GetSeries p50 | p99 | points/series | Query page p50 "
      "| p99 "
      "| rows/page | CPU ms/read |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  int64_t stored = 0;
  if (!postgres) {
    // Observations left by an earlier run were recorded in the same order, so the fill resumes after them.
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* count = nullptr;
      if (sqlite3_prepare_v2(raw, "SELECT count(*) FROM observations", -1, &count, nullptr) == SQLITE_OK &&
          sqlite3_step(count) == SQLITE_ROW) {
        stored = sqlite3_column_int64(count, 0);
      }
      sqlite3_finalize(count);
    }
    sqlite3_close(raw);
    if (stored > 0)
      std::printf("(reusing %lld observations already in %s)\n\n", static_cast<long long>(stored),
                  path.c_str());
  }
  for (int64_t size : sizes) {
    if (size < stored) continue;
    double cpu_before = ProcessCpuSeconds();
    double seconds = Fill(writer.get(), stored, size, shape, absl::GetFlag(FLAGS_batch));
    double fill_cpu = ProcessCpuSeconds() - cpu_before;
    // Nothing recorded (a reused database already held this size): the write columns stay at 0.
    double rate = size > stored ? static_cast<double>(size - stored) / seconds : 0;
    double per_cpu = size > stored ? static_cast<double>(size - stored) / fill_cpu : 0;
    stored = size;
    // Warm-up: the same load for --warmup_seconds, so that the figures are those of a service that has
    // been answering for a while (each reader connection maps the file and faults its pages in first).
    for (auto until = Clock::now() + std::chrono::duration<double>(absl::GetFlag(FLAGS_warmup_seconds));
         Clock::now() < until;) {
      MeasureReads(target, shape, absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_clients) * 16);
    }
    cpu_before = ProcessCpuSeconds();
    Latencies l = MeasureReads(target, shape, absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_requests));
    double read_cpu_ms = (ProcessCpuSeconds() - cpu_before) * 1000 /
                         static_cast<double>(std::max<size_t>(1, l.series_ms.size() + l.query_ms.size()));
    std::printf("| %lld | %.0f | %.0f | %.2f ms | %.2f ms | %.1f | %.2f ms | %.2f ms | %.1f | %.2f |\n",
                static_cast<long long>(size), rate, per_cpu, Percentile(l.series_ms, 0.5),
                Percentile(l.series_ms, 0.99),
                static_cast<double>(l.series_points) / std::max<size_t>(1, l.series_ms.size()),
                Percentile(l.query_ms, 0.5), Percentile(l.query_ms, 0.99),
                static_cast<double>(l.query_rows) / std::max<size_t>(1, l.query_ms.size()), read_cpu_ms);
    if (absl::GetFlag(FLAGS_distribution)) PrintDistribution(l);
    std::fflush(stdout);
  }
  if (absl::GetFlag(FLAGS_in_process) > 0) MeasureInProcess(service, shape, absl::GetFlag(FLAGS_in_process));
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  host.Shutdown(absl::Seconds(5));
  store->reset();
  if (!keep && !postgres) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  return 0;
}

}  // namespace
}  // namespace luoshi::indicators

int main(int argc, char** argv) {
  // 16 clients plus the server's own pollers need more than the service default of 16 threads.
  absl::SetFlag(&FLAGS_max_threads, 64);
  luoshi::ParseFlags(
      argc, argv,
      "luoshi_indicators_bench: RecordObservations throughput and read latency as the database grows.");
  luoshi::TuneProcessForServing();  // as the service binary does
  return luoshi::indicators::Run();
}
