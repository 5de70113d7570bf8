// luoshi_outage_test: a downstream service is down for a while during ingestion, and nothing is lost
// or doubled.
//
// Starts the three services on loopback with fresh databases. For the indicator service, then the task
// service: stops it (SIGTERM), keeps ingesting new documents for --outage_seconds (each must be accepted
// at once: ingestion does not need its peers to take a document), starts it again on the same port,
// and measures how long after the restart the ingestion outbox has delivered every document. Then checks
// every document ingested so far: its delivery to each peer is DELIVERED, the indicator service holds
// exactly its figures (one per source key, as many as were extracted less those left out), and the
// task service lists exactly one plan version per plan document, with all its tasks. The services run
// with their shipped retry settings, so the drain time is what an office would see.
//
//   luoshi_outage_test [--outage_seconds=30] [--ingest_every_ms=1000]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/files.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/process.h"

ABSL_FLAG(int, outage_seconds, 30, "How long each downstream service stays down.");
ABSL_FLAG(int, ingest_every_ms, 1000, "One new document every this many milliseconds during an outage.");
ABSL_FLAG(int, drain_timeout_seconds, 120, "Longest wait for the outbox after a restart (then it fails).");

namespace luoshi::testing {
namespace {

void Prepare(grpc::ClientContext* ctx, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity("outage-test"), ctx);
}

struct Sample {
  std::string name;
  std::string bytes;
  bool plan = false;
};

class OutageRun {
 public:
  int Main() {
    dir_ = FreshTestDir("luoshi_outage");
    bool ok = Start(&indicators_, "indicators/luoshi-indicators", "indicators.db", "") &&
              Start(&tasks_, "tasks/luoshi-tasks", "tasks.db", "") && StartIngestion() && LoadSamples();
    if (ok) ok = Outage(&indicators_, "indicators/luoshi-indicators", "indicators.db", "indicators");
    if (ok) ok = Outage(&tasks_, "tasks/luoshi-tasks", "tasks.db", "tasks");
    if (ok) ok = CheckEverythingArrivedOnce();
    ingestion_.Stop();
    tasks_.Stop();
    indicators_.Stop();
    std::filesystem::remove_all(dir_);
    std::printf("outage: %s\n", ok ? "PASSED" : "FAILED");
    return ok ? 0 : 1;
  }

 private:
  bool Start(ServiceProcess* p, const std::string& binary, const std::string& db, const std::string& listen) {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + dir_ + "/" + db);
    if (!listen.empty()) args.push_back("--listen=" + listen);
    absl::Status s = p->Start(BinaryPath(binary), args);
    if (!s.ok()) std::fprintf(stderr, "outage: cannot start %s: %s\n", binary.c_str(), std::string(s.message()).c_str());
    return s.ok();
  }

  bool StartIngestion() {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + dir_ + "/ingestion.db");
    args.push_back("--indicators_addr=" + indicators_.address());
    args.push_back("--tasks_addr=" + tasks_.address());
    absl::Status s = ingestion_.Start(BinaryPath("ingestion/luoshi-ingestion"), args);
    if (!s.ok()) std::fprintf(stderr, "outage: cannot start ingestion: %s\n", std::string(s.message()).c_str());
    stub_ = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    return s.ok();
  }

  bool LoadSamples() {
    const char* src = std::getenv("LUOSHI_SOURCE_DIR");
    const std::string seeds = std::string(src ? src : LUOSHI_SOURCE_DIR) + "/data/seeds";
    for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
      absl::StatusOr<std::string> bytes = ReadFileToString(entry.path().string(), "sample document");
      if (!bytes.ok()) return false;
      samples_.push_back({entry.path().filename().string(), *bytes});
    }
    std::sort(samples_.begin(), samples_.end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
    // The originals first, with every peer up; what each is (report or plan) comes from its extraction.
    for (Sample& s : samples_) {
      v1::IngestDocumentResponse resp;
      if (!Ingest(s.name, s.bytes, &resp)) return false;
      s.plan = resp.extraction().tasks_size() > 0;
    }
    return true;
  }

  bool Ingest(const std::string& name, const std::string& bytes, v1::IngestDocumentResponse* resp) {
    v1::IngestDocumentRequest req;
    req.set_filename(name);
    req.set_content(bytes);
    grpc::ClientContext ctx;
    Prepare(&ctx, 10);
    const absl::Time start = absl::Now();
    grpc::Status s = stub_->IngestDocument(&ctx, req, resp);
    if (!s.ok()) {
      std::fprintf(stderr, "outage: ingesting %s failed: %s\n", name.c_str(), s.error_message().c_str());
      return false;
    }
    slowest_ingest_ = std::max(slowest_ingest_, absl::Now() - start);
    if (!resp->created()) {
      std::fprintf(stderr, "outage: %s was not new to the service\n", name.c_str());
      return false;
    }
    documents_.push_back(resp->document().id());
    return true;
  }

  // Stops `victim`, ingests new documents while it is down, restarts it and waits for the outbox.
  bool Outage(ServiceProcess* victim, const std::string& binary, const std::string& db, const std::string& target) {
    const std::string address = victim->address();
    const int code = victim->Stop();
    std::printf("outage: %s stopped (exit %d); ingesting for %d s\n", target.c_str(), code,
                absl::GetFlag(FLAGS_outage_seconds));
    const absl::Time restart_at = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_outage_seconds));
    int made = 0;
    while (absl::Now() < restart_at) {
      const Sample& s = samples_[made % samples_.size()];
      // A variant: the sample with a line of its own at the end, so its bytes (and id) are new.
      const std::string bytes = absl::StrCat(s.bytes, "\n（", target, "停机期间副本 ", ++made, "）\n");
      v1::IngestDocumentResponse resp;
      if (!Ingest(absl::StrCat(target, "-", made, "-", s.name), bytes, &resp)) return false;
      absl::SleepFor(std::min(absl::Milliseconds(absl::GetFlag(FLAGS_ingest_every_ms)), restart_at - absl::Now()));
    }
    if (!Start(victim, binary, db, address)) return false;
    const absl::Time restarted = absl::Now();
    std::printf("outage: %s back on %s after %d documents were accepted without it\n", target.c_str(),
                address.c_str(), made);
    const absl::Time give_up = restarted + absl::Seconds(absl::GetFlag(FLAGS_drain_timeout_seconds));
    while (absl::Now() < give_up) {
      if (AllDelivered(nullptr)) {
        const absl::Duration drain = absl::Now() - restarted;
        std::printf("outage: %s backlog drained %.1f s after the restart (%d documents; slowest ingest so far %.0f ms)\n",
                    target.c_str(), absl::ToDoubleSeconds(drain), made, absl::ToDoubleMilliseconds(slowest_ingest_));
        return true;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::string why;
    AllDelivered(&why);
    std::fprintf(stderr, "outage: %s backlog not drained %d s after the restart: %s\n", target.c_str(),
                 absl::GetFlag(FLAGS_drain_timeout_seconds), why.c_str());
    return false;
  }

  grpc::Status GetDocument(const std::string& id, v1::Document* doc) {
    v1::GetDocumentRequest req;
    req.set_document_id(id);
    grpc::ClientContext ctx;
    Prepare(&ctx);
    return stub_->GetDocument(&ctx, req, doc);
  }

  // True when every document's deliveries are DELIVERED or NOT_NEEDED; else `why` names one that is not.
  bool AllDelivered(std::string* why) {
    for (const std::string& id : documents_) {
      v1::Document doc;
      grpc::Status s = GetDocument(id, &doc);
      if (!s.ok()) {
        if (why) *why = absl::StrCat(id, ": ", s.error_message());
        return false;
      }
      for (const v1::Delivery& d : doc.deliveries()) {
        if (d.state() != v1::DELIVERY_STATE_DELIVERED && d.state() != v1::DELIVERY_STATE_NOT_NEEDED) {
          if (why) {
            *why = absl::StrCat(id, " to ", d.target(), ": ", v1::DeliveryState_Name(d.state()), " after ",
                                d.attempts(), " attempts (", d.last_error(), ")");
          }
          return false;
        }
      }
    }
    return true;
  }

  bool CheckEverythingArrivedOnce() {
    auto indicators = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::ListPlansResponse plans;
    {
      grpc::ClientContext ctx;
      Prepare(&ctx);
      if (grpc::Status s = tasks->ListPlans(&ctx, {}, &plans); !s.ok()) {
        std::fprintf(stderr, "outage: ListPlans: %s\n", s.error_message().c_str());
        return false;
      }
    }
    std::map<std::string, int> versions_of_document;
    std::map<std::string, int> tasks_of_document;
    for (const v1::Plan& p : plans.plans()) {
      ++versions_of_document[p.document_id()];
      tasks_of_document[p.document_id()] = p.task_count();
    }
    int64_t figures = 0, plan_documents = 0;
    bool ok = true;
    for (const std::string& id : documents_) {
      v1::Document doc;
      if (!GetDocument(id, &doc).ok()) return false;
      int left_out = 0;
      for (const v1::Delivery& d : doc.deliveries()) {
        if (d.target() == "indicators") left_out = d.left_out();
      }
      // Every figure of the document, every vintage, page by page; each source key once.
      std::set<std::string> keys;
      int64_t stored = 0;
      v1::QueryObservationsRequest query;
      query.set_document_id(id);
      query.set_all_vintages(true);
      query.mutable_page()->set_page_size(1000);
      do {
        v1::QueryObservationsResponse page;
        grpc::ClientContext qctx;
        Prepare(&qctx);
        if (grpc::Status s = indicators->QueryObservations(&qctx, query, &page); !s.ok()) {
          std::fprintf(stderr, "outage: QueryObservations %s: %s\n", id.c_str(), s.error_message().c_str());
          return false;
        }
        for (const v1::Observation& o : page.observations()) {
          ++stored;
          keys.insert(o.source_key());
        }
        query.mutable_page()->set_page_token(page.next_page_token());
      } while (!query.page().page_token().empty());
      const int64_t expected = doc.observation_count() - left_out;
      if (stored != expected || static_cast<int64_t>(keys.size()) != stored) {
        std::fprintf(stderr, "outage: %s: %lld figures stored (%zu distinct source keys), %lld expected\n",
                     id.c_str(), static_cast<long long>(stored), keys.size(), static_cast<long long>(expected));
        ok = false;
      }
      figures += stored;
      if (doc.task_count() > 0) {
        ++plan_documents;
        if (versions_of_document[id] != 1 || tasks_of_document[id] != doc.task_count()) {
          std::fprintf(stderr, "outage: %s: %d plan versions with %d tasks, expected 1 with %d\n", id.c_str(),
                       versions_of_document[id], tasks_of_document[id], doc.task_count());
          ok = false;
        }
      }
    }
    std::printf("outage: %zu documents: %lld figures and %lld plans, each exactly once%s\n", documents_.size(),
                static_cast<long long>(figures), static_cast<long long>(plan_documents), ok ? "" : " — NOT SO");
    return ok;
  }

  std::string dir_;
  ServiceProcess ingestion_, indicators_, tasks_;
  std::unique_ptr<v1::IngestionService::Stub> stub_;
  std::vector<Sample> samples_;
  std::vector<std::string> documents_;
  absl::Duration slowest_ingest_;
};

}  // namespace
}  // namespace luoshi::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return luoshi::testing::OutageRun().Main();
}
