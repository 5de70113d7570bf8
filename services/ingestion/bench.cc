// luoshi_ingest_bench: documents per second through IngestDocument, end to end over real gRPC on
// loopback, with durable writes (SQLite synchronous=FULL) and, when peers are given, delivery to the
// real indicator and task services. --store=postgres://… (an empty database; scripts/bench-postgres.sh
// starts a throwaway one) stores the documents in PostgreSQL instead of the SQLite file in --work_dir.
//
// The server runs in this process exactly as luoshi-ingestion wires it (store, extraction library,
// handler, gRPC layer, dispatcher); clients call it through a loopback channel each. Every document is
// one of the seeds with a counter line appended, so each one is new (no dedupe shortcut).
//
//   luoshi_ingest_bench --documents=300 --clients=4
//   luoshi_ingest_bench --documents=300 --clients=4 --indicators_addr=127.0.0.1:7102
//   --tasks_addr=127.0.0.1:7103
//   scripts/bench-postgres.sh luoshi_ingest_bench --documents=300 --clients=4 --store={pg}
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/catalog.h"
#include "services/common/flags.h"
#include "services/common/log.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/dispatcher.h"
#include "services/ingestion/service.h"
#include "services/ingestion/grpc_service.h"
#include "services/ingestion/library_extraction_engine.h"
#include "services/ingestion/open_store.h"

ABSL_FLAG(int, documents, 300, "How many distinct documents to ingest.");
ABSL_FLAG(int, clients, 4, "Concurrent client threads, each with its own channel.");
ABSL_FLAG(std::string, seeds_dir, "",
          "Directory of seed documents (default: data/seeds of the source tree).");
ABSL_FLAG(std::string, work_dir, "",
          "Where the benchmark database goes (default: a fresh temporary directory).");
ABSL_FLAG(
    std::string, indicators_addr, "",
    "Indicator service to deliver to; with --tasks_addr, also measures time until everything is delivered.");
ABSL_FLAG(std::string, tasks_addr, "", "Task service to deliver to.");

namespace luoshi::ingestion {
namespace {

std::vector<std::string> ReadSeeds(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> seeds;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  }
  return seeds;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// A delivery the peer refused as invalid: not retried.
bool Rejected(const v1::Delivery& d) { return d.state() == v1::DELIVERY_STATE_FAILED; }

// Polls until every document's deliveries are settled (delivered, not needed, or rejected); false on
// timeout. Counts the rejected ones.
bool WaitForDeliveries(IngestionLogic& handler, const std::vector<std::string>& ids, absl::Duration timeout,
                       int* rejected) {
  const absl::Time give_up = absl::Now() + timeout;
  size_t next = 0;
  *rejected = 0;
  while (absl::Now() < give_up) {
    for (; next < ids.size(); ++next) {
      v1::GetDocumentRequest get;
      get.set_document_id(ids[next]);
      auto d = handler.GetDocument(Identity{}, get);
      if (!d.ok()) return false;
      bool settled = std::all_of(d->deliveries().begin(), d->deliveries().end(), [](const v1::Delivery& x) {
        return x.state() == v1::DELIVERY_STATE_DELIVERED || x.state() == v1::DELIVERY_STATE_NOT_NEEDED ||
               Rejected(x);
      });
      if (!settled) break;
      *rejected += static_cast<int>(std::count_if(d->deliveries().begin(), d->deliveries().end(), Rejected));
    }
    if (next == ids.size()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

int Run() {
  const int documents = absl::GetFlag(FLAGS_documents);
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  std::string seeds_dir = absl::GetFlag(FLAGS_seeds_dir);
  if (seeds_dir.empty()) seeds_dir = std::string(LUOSHI_SOURCE_DIR) + "/data/seeds";
  const std::vector<std::string> seeds = ReadSeeds(seeds_dir);
  if (seeds.empty()) {
    std::fprintf(stderr, "no seed documents in %s\n", seeds_dir.c_str());
    return 1;
  }
  std::string work_dir = absl::GetFlag(FLAGS_work_dir);
  if (work_dir.empty()) {
    work_dir =
        (std::filesystem::temp_directory_path() / absl::StrCat("luoshi_ingest_bench_", getpid())).string();
  }
  std::filesystem::remove_all(work_dir);
  std::filesystem::create_directories(work_dir);

  auto catalog = LoadCatalog(CatalogPath());
  if (!catalog.ok()) {
    std::fprintf(stderr, "catalog: %s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  // SQLite: synchronous=FULL, durable commits; PostgreSQL: durable when the server commits so (its default).
  absl::StatusOr<StoreLocation> location = StoreLocationFromFlags(work_dir + "/ingestion.db");
  if (!location.ok()) {
    std::fprintf(stderr, "%s\n", std::string(location.status().message()).c_str());
    return 2;
  }
  std::printf("store %s\n", location->ForLog().c_str());
  auto store = OpenDocumentStore(*location);
  if (!store.ok()) {
    std::fprintf(stderr, "database: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  LibraryExtractionEngine engine(*catalog);

  const bool deliver =
      !absl::GetFlag(FLAGS_indicators_addr).empty() && !absl::GetFlag(FLAGS_tasks_addr).empty();
  std::unique_ptr<GrpcDeliveryClient> client;
  std::unique_ptr<Dispatcher> dispatcher;
  if (deliver) {
    // The peers verify this token (--service_token FILE: a token of role service that their keys sign).
    absl::StatusOr<std::string> token = ServiceTokenFromFlags();
    if (!token.ok()) {
      std::fprintf(stderr, "service token: %s\n", std::string(token.status().message()).c_str());
      return 1;
    }
    client = std::make_unique<GrpcDeliveryClient>(MakeChannel(absl::GetFlag(FLAGS_indicators_addr)),
                                                  MakeChannel(absl::GetFlag(FLAGS_tasks_addr)), absl::Seconds(10),
                                                  *token);
    DispatcherOptions options;
    options.poll_interval = absl::Milliseconds(50);
    options.initial_backoff = absl::Milliseconds(100);
    options.max_backoff = absl::Seconds(1);
    dispatcher = std::make_unique<Dispatcher>(store->get(), client.get(), SystemClock::Get(), options,
                                              [] { return 1.0; });
  }
  IngestionLogic handler(store->get(), &engine, SystemClock::Get(), IngestionOptions{}, [&] {
    if (dispatcher) dispatcher->Wake();
  });
  const TestTokens tokens;  // the bench's clients sign in with these
  GrpcService server(&handler, tokens.authenticator());
  ServiceHost host("ingestion-bench", IngestionServerLimits());
  host.AddService(&server, "luoshi.v1.IngestionService");
  if (absl::Status s = host.Start("127.0.0.1:0"); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (dispatcher) dispatcher->Start();
  const std::string address = absl::StrCat("127.0.0.1:", host.port());

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::atomic<int64_t> bytes{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::vector<std::string>> ids(clients);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", c);  // a connection of its own per client
      auto stub = v1::IngestionService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
      for (int i = next++; i < documents; i = next++) {
        v1::IngestDocumentRequest request;
        request.set_content(absl::StrCat(seeds[i % seeds.size()], "\n（基准测试第", i, "份）\n"));
        request.set_filename(absl::StrCat("bench-", i, ".txt"));
        request.set_content_type("text/plain");
        v1::IngestDocumentResponse response;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        tokens.Attach(AdminIdentity("bench"), &context);
        const absl::Time t0 = absl::Now();
        grpc::Status s = stub->IngestDocument(&context, request, &response);
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (!s.ok() || !response.created()) {
          if (failures++ < 3) std::fprintf(stderr, "document %d: %s\n", i, s.error_message().c_str());
          continue;
        }
        bytes += static_cast<int64_t>(request.content().size());
        ids[c].push_back(response.document().id());
      }
    });
  }
  for (auto& t : threads) t.join();
  const absl::Duration ingest_time = absl::Now() - start;

  std::vector<double> all;
  std::vector<std::string> all_ids;
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    all_ids.insert(all_ids.end(), ids[c].begin(), ids[c].end());
  }
  const double seconds = absl::ToDoubleSeconds(ingest_time);
  std::printf(
      "ingest: %d documents (%.1f MB) with %d clients in %.2f s: %.1f documents/s, %.2f MB/s; "
      "latency p50 %.1f ms, p99 %.1f ms; %d failures\n",
      documents, bytes.load() / 1e6, clients, seconds, all_ids.size() / seconds, bytes.load() / 1e6 / seconds,
      Percentile(all, 0.5), Percentile(all, 0.99), failures.load());
  int rc = failures.load() == 0 ? 0 : 1;
  if (deliver) {
    int rejected = 0;
    const bool settled = WaitForDeliveries(handler, all_ids, absl::Minutes(5), &rejected);
    const double total = absl::ToDoubleSeconds(absl::Now() - start);
    if (settled) {
      std::printf(
          "ingest + delivery: all %zu documents settled with the indicator and task services after "
          "%.2f s: %.1f documents/s end to end; %d deliveries rejected by a peer as invalid\n",
          all_ids.size(), total, all_ids.size() / total, rejected);
    } else {
      std::printf("delivery did not finish within 5 minutes\n");
      rc = 1;
    }
    dispatcher->Stop();
  }
  host.Shutdown(absl::Seconds(1));
  std::filesystem::remove_all(work_dir);
  return rc;
}

}  // namespace
}  // namespace luoshi::ingestion

int main(int argc, char** argv) {
  luoshi::ParseFlags(argc, argv, "luoshi_ingest_bench: documents per second through IngestDocument.");
  luoshi::SetLogService("ingest-bench");
  luoshi::SetLogLevel(luoshi::LogLevel::kWarning);
  luoshi::TuneProcessForServing();  // as the service binary does
  return luoshi::ingestion::Run();
}
