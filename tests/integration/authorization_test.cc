// The authorization matrix of docs/authorization.md, cell by cell, against the real services started as
// processes (each trusting the test's signing key) — once over gRPC directly and once through the real
// gateway over grpc-web — asserting the exact status of every (identity, method) pair. Identities: each
// role (an office of 区农业农村局), plus no token, a token of another key and an expired token.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/server.h"
#include "services/gateway/grpc_web.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using grpc::StatusCode;

constexpr char kOwnUnit[] = "区农业农村局";

// Who calls. `header` is the authorization value sent ("" for none).
struct Caller {
  std::string name;
  std::string header;
  std::optional<Role> role;  // empty: not signed in at all
};

std::vector<Caller> Callers() {
  TokenClaims expired;
  expired.subject = "过期用户";
  expired.role = "admin";
  expired.expires_at = absl::Now() - absl::Hours(2);
  const std::string expired_token = ProgramTokens().Issue(expired, absl::Now() - absl::Hours(3));
  auto bearer = [](const Identity& who) { return "Bearer " + ProgramTokens().For(who); };
  return {
      {"admin", bearer({"管理员", "", Role::kAdmin}), Role::kAdmin},
      {"supervisor", bearer({"督查室王敏", "区政府督查室", Role::kSupervisor}), Role::kSupervisor},
      {"office", bearer({"农业农村局经办人", kOwnUnit, Role::kOffice}), Role::kOffice},
      {"viewer", bearer({"浏览者", "", Role::kViewer}), Role::kViewer},
      {"service", bearer(ServiceIdentity()), Role::kService},
      {"no token", "", std::nullopt},
      {"other key", "Bearer " + TestTokens().For(AdminIdentity()), std::nullopt},
      {"expired", "Bearer " + expired_token, std::nullopt},
  };
}

// One call of the matrix: a method with a request; `prepare` (run as the test, before each call) may set
// up state the call needs and returns the request bytes. `expect` says what the caller must get.
struct Cell {
  std::string method;  // "/luoshi.v1.TaskService/ReportProgress"
  bool streaming = false;
  std::function<std::string()> request;
  std::function<StatusCode(Role)> expect;
  std::string note;  // which rule the cell checks
  // What a refusal must name for a caller of this role (default: the role itself).
  std::function<std::string(Role)> names = [](Role r) { return std::string(RoleName(r)); };
};

StatusCode Allow(bool allowed) { return allowed ? StatusCode::OK : StatusCode::PERMISSION_DENIED; }
std::function<StatusCode(Role)> Everyone() {
  return [](Role) { return StatusCode::OK; };
}
std::function<StatusCode(Role)> Only(std::vector<Role> roles) {
  return [roles](Role r) { return Allow(std::find(roles.begin(), roles.end(), r) != roles.end()); };
}

struct Outcome {
  StatusCode code = StatusCode::UNKNOWN;
  std::string message;
};

// A call straight to a service: generic (bytes in, messages out), unary or server-streaming.
Outcome DirectCall(const std::shared_ptr<grpc::Channel>& channel, const Cell& cell, const std::string& request,
                   const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(cell.streaming ? 2 : 20));
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, cell.method, &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->WriteLast(out, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  step(2);
  grpc::ByteBuffer in;
  for (int i = 0; i < 10000; ++i) {
    call->Read(&in, reinterpret_cast<void*>(3));
    if (!step(3)) break;
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
  return {status.error_code(), status.error_message()};
}

// The same call through the gateway as a browser makes it (grpc-web, binary).
Outcome GatewayCall(int port, const Cell& cell, const std::string& request, const std::string& authorization) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(port)));
  http::request<http::string_body> req{http::verb::post, cell.method, 11};
  req.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  req.set(http::field::content_type, "application/grpc-web+proto");
  req.set("x-grpc-web", "1");
  req.set("grpc-timeout", cell.streaming ? "2S" : "20S");
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.body() = gateway::grpcweb::MessageFrame(request);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser);
  const auto& res = parser.get();
  Outcome o;
  if (res.result_int() != 200) {
    o.message = absl::StrCat("HTTP ", res.result_int(), ": ", res.body());
    return o;
  }
  std::string status, message;
  if (auto it = res.find("grpc-status"); it != res.end()) {  // trailers-only
    status = std::string(it->value());
    if (auto m = res.find("grpc-message"); m != res.end()) message = std::string(m->value());
  }
  const std::string& body = res.body();
  for (size_t i = 0; i + 5 <= body.size();) {
    const unsigned char flags = static_cast<unsigned char>(body[i]);
    const size_t len = (static_cast<size_t>(static_cast<unsigned char>(body[i + 1])) << 24) |
                       (static_cast<size_t>(static_cast<unsigned char>(body[i + 2])) << 16) |
                       (static_cast<size_t>(static_cast<unsigned char>(body[i + 3])) << 8) |
                       static_cast<size_t>(static_cast<unsigned char>(body[i + 4]));
    if (flags & 0x80) {
      for (absl::string_view line : absl::StrSplit(body.substr(i + 5, len), "\r\n", absl::SkipEmpty())) {
        const size_t colon = line.find(':');
        if (colon == absl::string_view::npos) continue;
        const absl::string_view key = line.substr(0, colon);
        const std::string value(absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
        if (key == "grpc-status") status = value;
        if (key == "grpc-message") message = value;
      }
    }
    i += 5 + len;
  }
  int code = 0;
  if (!absl::SimpleAtoi(status, &code)) {
    o.message = "no grpc-status in the answer";
    return o;
  }
  o.code = static_cast<StatusCode>(code);
  o.message = gateway::grpcweb::PercentDecodeMessage(message);
  return o;
}

class AuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FreshTestDir("authorization_test"));
    auto with = [](std::vector<std::string> args) {
      for (std::string& flag : AuthFlags()) args.push_back(std::move(flag));
      return args;
    };
    indicators_ = new ServiceProcess();
    tasks_ = new ServiceProcess();
    ingestion_ = new ServiceProcess();
    gateway_ = new ServiceProcess();
    absl::Status s =
        indicators_->Start(BinaryPath("indicators/luoshi-indicators"), with({"--db=" + *dir_ + "/indicators.db"}));
    ASSERT_TRUE(s.ok()) << s;
    s = tasks_->Start(BinaryPath("tasks/luoshi-tasks"), with({"--db=" + *dir_ + "/tasks.db"}));
    ASSERT_TRUE(s.ok()) << s;
    s = ingestion_->Start(BinaryPath("ingestion/luoshi-ingestion"),
                          with({"--db=" + *dir_ + "/ingestion.db", "--indicators_addr=" + indicators_->address(),
                                "--tasks_addr=" + tasks_->address(), "--dispatch_interval_ms=50"}));
    ASSERT_TRUE(s.ok()) << s;
    s = gateway_->Start(BinaryPath("gateway/luoshi-gateway"),
                        {"--ingestion_addr=" + ingestion_->address(), "--indicators_addr=" + indicators_->address(),
                         "--tasks_addr=" + tasks_->address()});
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_NO_FATAL_FAILURE(Seed());
  }
  static void TearDownTestSuite() {
    for (ServiceProcess* p : {gateway_, ingestion_, tasks_, indicators_}) {
      EXPECT_EQ(p->Stop(), 0) << p->Log();
      delete p;
    }
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static grpc::ClientContext* As(grpc::ClientContext* c, const Identity& who) {
    ProgramTokens().Attach(who, c);
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  }

  // The division plan (seed 004, 121 tasks) uploaded by the supervising office, delivered to the task
  // service on its behalf; a report, so there are observations and a document to read.
  static void Seed() {
    auto ingestion = v1::IngestionService::NewStub(MakeChannel(ingestion_->address()));
    const Identity supervisor{"督查室王敏", "区政府督查室", Role::kSupervisor};
    for (const char* seed : {"004_bb9545a5710306fa.txt", "001_8037fc1a01c9f5f1.txt"}) {
      v1::IngestDocumentRequest req;
      req.set_content(ReadTestFile(std::string(LUOSHI_SOURCE_DIR) + "/data/seeds/" + seed));
      req.set_filename(seed);
      v1::IngestDocumentResponse resp;
      grpc::ClientContext c;
      grpc::Status s = ingestion->IngestDocument(As(&c, supervisor), req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      document_ids_.push_back(resp.document().id());
    }
    auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_->address()));
    v1::ListTasksResponse listed;
    for (int attempt = 0; attempt < 200 && listed.tasks_size() == 0; ++attempt) {
      absl::SleepFor(absl::Milliseconds(50));
      v1::ListTasksRequest list;
      list.mutable_filter()->set_unit(kOwnUnit);
      list.mutable_page()->set_page_size(1000);
      grpc::ClientContext c;
      ASSERT_TRUE(tasks->ListTasks(As(&c, AdminIdentity()), list, &listed).ok());
    }
    // One task to report on again and again, another to claim and review again and again.
    ASSERT_GE(listed.tasks_size(), 2) << "the plan did not arrive on behalf of the supervisor";
    for (const v1::Task& t : listed.tasks()) own_tasks_.push_back(t.id());
    plan_id_ = listed.tasks(0).plan_id();
    v1::ListTasksRequest other;
    other.mutable_filter()->set_unit("区财政局");
    v1::ListTasksResponse others;
    grpc::ClientContext c;
    ASSERT_TRUE(tasks->ListTasks(As(&c, AdminIdentity()), other, &others).ok());
    ASSERT_GT(others.tasks_size(), 0);
    other_task_ = others.tasks(0).id();
    // An observation as extracted, to record again.
    auto indicators = v1::IndicatorService::NewStub(MakeChannel(indicators_->address()));
    v1::QueryObservationsResponse stored;
    for (int attempt = 0; attempt < 200 && stored.observations_size() == 0; ++attempt) {
      absl::SleepFor(absl::Milliseconds(50));
      grpc::ClientContext q;
      v1::QueryObservationsRequest query;
      query.add_indicator_ids("gdp");
      query.mutable_page()->set_page_size(1);
      ASSERT_TRUE(indicators->QueryObservations(As(&q, AdminIdentity()), query, &stored).ok());
    }
    ASSERT_EQ(stored.observations_size(), 1);
    observation_ = stored.observations(0);
  }

  // A task of the office's unit with a completion claim by the office, ready for review: the same task
  // each time (a return sends it back to the office, which claims again; a refused review leaves the
  // claim standing).
  static std::string ClaimedTask() {
    std::string id = own_tasks_.back();
    auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_->address()));
    v1::GetTaskRequest get;
    get.set_id(id);
    v1::TaskDetail detail;
    grpc::ClientContext g;
    EXPECT_TRUE(tasks->GetTask(As(&g, AdminIdentity()), get, &detail).ok());
    if (detail.task().status() == v1::TASK_STATUS_COMPLETION_CLAIMED) return id;
    v1::ReportProgressRequest r;
    r.set_task_id(id);
    r.set_percent(100);
    r.set_claims_completion(true);
    r.set_narrative("已完成");
    v1::Task out;
    grpc::ClientContext c;
    grpc::Status s = tasks->ReportProgress(As(&c, {"农业农村局经办人", kOwnUnit, Role::kOffice}), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return id;
  }

  static v1::ImportPlanRequest SmallPlan(const std::string& key) {
    v1::ImportPlanRequest p;
    p.set_document_id("doc-" + key);
    p.set_document_sha256(absl::StrFormat("%064d", counter_++));
    p.set_plan_key("matrix-" + key);
    p.set_title("矩阵测试方案");
    p.set_year(2023);
    auto* t = p.add_tasks();
    t->set_number("1");
    t->set_text("完成测试");
    t->add_responsible_units(kOwnUnit);
    return p;
  }

  static std::vector<Cell> Cells() {
    const std::string doc = document_ids_[0];
    std::vector<Cell> cells;
    auto add = [&](std::string method, std::function<std::string()> request, std::function<StatusCode(Role)> expect,
                   std::string note = "", bool streaming = false) {
      Cell cell;
      cell.method = std::move(method);
      cell.streaming = streaming;
      cell.request = std::move(request);
      cell.expect = std::move(expect);
      cell.note = std::move(note);
      cells.push_back(std::move(cell));
    };
    auto bytes = [](const google::protobuf::Message& m) { return m.SerializeAsString(); };
    // ---- Ingestion: admins, supervisors and offices ingest and reprocess; everyone reads.
    const std::string ingest = "/luoshi.v1.IngestionService/";
    add(
        ingest + "IngestDocument",
        [&] {
          v1::IngestDocumentRequest r;
          r.set_content(absl::StrCat("大兴区简报\n全区地区生产总值增长", counter_++ % 9, ".1%。\n"));
          r.set_filename("brief.txt");
          return bytes(r);
        },
        Only({Role::kAdmin, Role::kSupervisor, Role::kOffice}));
    add(
        ingest + "ReprocessDocument",
        [&, doc] {
          v1::ReprocessDocumentRequest r;
          r.set_document_id(document_ids_[1]);
          return bytes(r);
        },
        Only({Role::kAdmin, Role::kSupervisor, Role::kOffice}));
    add(ingest + "GetDocument", [doc, bytes] {
      v1::GetDocumentRequest r;
      r.set_document_id(doc);
      return bytes(r);
    }, Everyone());
    add(ingest + "ListDocuments", [bytes] { return bytes(v1::ListDocumentsRequest()); }, Everyone());
    add(ingest + "GetExtraction", [doc, bytes] {
      v1::GetExtractionRequest r;
      r.set_document_id(doc);
      return bytes(r);
    }, Everyone());
    // ---- Indicators: only the ingestion service and admins record; everyone reads.
    const std::string ind = "/luoshi.v1.IndicatorService/";
    add(ind + "RecordObservations", [bytes] {
      v1::RecordObservationsRequest r;
      *r.add_observations() = observation_;
      return bytes(r);
    }, Only({Role::kAdmin, Role::kService}));
    add(ind + "ListIndicators", [bytes] { return bytes(v1::ListIndicatorsRequest()); }, Everyone());
    add(ind + "GetIndicator", [bytes] {
      v1::GetIndicatorRequest r;
      r.set_id(observation_.indicator_id());
      return bytes(r);
    }, Everyone());
    add(ind + "ListRegions", [bytes] { return bytes(v1::ListRegionsRequest()); }, Everyone());
    add(ind + "QueryObservations", [bytes] { return bytes(v1::QueryObservationsRequest()); }, Everyone());
    add(ind + "GetSeries", [bytes] {
      v1::GetSeriesRequest r;
      r.set_indicator_id(observation_.indicator_id());
      r.set_region(observation_.region());
      return bytes(r);
    }, Everyone());
    add(ind + "CompareTargets", [bytes] {
      v1::CompareTargetsRequest r;
      r.set_region(observation_.region());
      r.set_year(2024);
      return bytes(r);
    }, Everyone());
    add(ind + "ExportObservations", [bytes] { return bytes(v1::ExportObservationsRequest()); }, Everyone(), "",
        true);
    // ---- Tasks.
    const std::string tasks = "/luoshi.v1.TaskService/";
    add(tasks + "ImportPlan", [bytes] { return bytes(SmallPlan(absl::StrCat("p", counter_++))); },
        Only({Role::kAdmin, Role::kSupervisor}), "a service imports only on behalf of someone");
    add(tasks + "ImportPlan",
        [bytes] {
          v1::ImportPlanRequest p = SmallPlan(absl::StrCat("s", counter_++));
          *p.mutable_on_behalf_of() = PrincipalOf({"督查室王敏", "区政府督查室", Role::kSupervisor});
          return bytes(p);
        },
        Only({Role::kService}), "on behalf of a supervisor: only a service may say so");
    add(tasks + "ImportPlan",
        [bytes] {
          v1::ImportPlanRequest p = SmallPlan(absl::StrCat("o", counter_++));
          *p.mutable_on_behalf_of() = PrincipalOf({"经办人", kOwnUnit, Role::kOffice});
          return bytes(p);
        },
        Only({}), "on behalf of an office, which may not import");
    cells.back().names = [](Role r) { return std::string(r == Role::kService ? "office" : RoleName(r)); };
    add(tasks + "ReportProgress",
        [bytes] {
          v1::ReportProgressRequest r;
          r.set_task_id(own_tasks_.front());  // reported again and again: a report replaces nothing
          r.set_percent(20);
          return bytes(r);
        },
        Only({Role::kAdmin, Role::kOffice}), "the office's own task");
    add(tasks + "ReportProgress",
        [bytes] {
          v1::ReportProgressRequest r;
          r.set_task_id(other_task_);
          r.set_percent(20);
          return bytes(r);
        },
        Only({Role::kAdmin}), "another unit's task");
    cells.back().names = [](Role r) { return std::string(r == Role::kOffice ? kOwnUnit : RoleName(r)); };
    add(tasks + "ReviewTask",
        [bytes] {
          v1::ReviewTaskRequest r;
          r.set_task_id(ClaimedTask());
          r.set_accept(false);
          r.set_comment("请补充材料");
          return bytes(r);
        },
        Only({Role::kAdmin, Role::kSupervisor}), "a claim by the office");
    add(tasks + "ListPlans", [bytes] { return bytes(v1::ListPlansRequest()); }, Everyone());
    add(tasks + "ListTasks", [bytes] { return bytes(v1::ListTasksRequest()); }, Everyone());
    add(tasks + "GetTask", [bytes] {
      v1::GetTaskRequest r;
      r.set_id(other_task_);
      return bytes(r);
    }, Everyone());
    add(tasks + "ListUnits", [bytes] { return bytes(v1::ListUnitsRequest()); }, Everyone());
    add(tasks + "GetLedger", [bytes] {
      v1::GetLedgerRequest r;
      r.set_plan_id(plan_id_);
      return bytes(r);
    }, Everyone());
    add(tasks + "ListDueTasks", [bytes] { return bytes(v1::ListDueTasksRequest()); }, Everyone());
    add(tasks + "ExportTasks", [bytes] {
      v1::ExportTasksRequest r;
      r.mutable_tasks()->set_plan_id(plan_id_);
      return bytes(r);
    }, Everyone(), "", true);
    // An open watch runs until its deadline (2 s here): DEADLINE_EXCEEDED means it was served.
    add(tasks + "WatchTasks", [bytes] { return bytes(v1::WatchTasksRequest()); },
        [](Role) { return StatusCode::DEADLINE_EXCEEDED; }, "", true);
    return cells;
  }

  // Walks every cell for every caller through `call`; returns the number of cells checked.
  static int Walk(const std::string& door, const std::function<Outcome(const Cell&, const std::string&,
                                                                        const std::string&)>& call) {
    int checked = 0;
    for (const Caller& caller : Callers()) {
      for (const Cell& cell : Cells()) {
        const std::string request = cell.request();
        const Outcome got = call(cell, request, caller.header);
        const StatusCode want = caller.role ? cell.expect(*caller.role) : StatusCode::UNAUTHENTICATED;
        EXPECT_EQ(got.code, want) << door << ": " << caller.name << " → " << cell.method
                                  << (cell.note.empty() ? "" : " (" + cell.note + ")") << ": " << got.message;
        // A refusal says why: the missing role, unit or token.
        if (want == StatusCode::PERMISSION_DENIED && got.code == want && caller.role) {
          EXPECT_NE(got.message.find(cell.names(*caller.role)), std::string::npos)
              << door << ": " << caller.name << " → " << cell.method << ": " << got.message;
        }
        if (want == StatusCode::UNAUTHENTICATED && got.code == want) {
          EXPECT_TRUE(got.message.find("token") != std::string::npos) << got.message;
        }
        ++checked;
      }
    }
    return checked;
  }

  static std::string* dir_;
  static ServiceProcess *indicators_, *tasks_, *ingestion_, *gateway_;
  static std::vector<std::string> document_ids_;
  static std::vector<std::string> own_tasks_;
  static std::string other_task_;
  static std::string plan_id_;
  static v1::Observation observation_;
  static int counter_;
};

std::string* AuthorizationTest::dir_ = nullptr;
ServiceProcess* AuthorizationTest::indicators_ = nullptr;
ServiceProcess* AuthorizationTest::tasks_ = nullptr;
ServiceProcess* AuthorizationTest::ingestion_ = nullptr;
ServiceProcess* AuthorizationTest::gateway_ = nullptr;
std::vector<std::string> AuthorizationTest::document_ids_;
std::vector<std::string> AuthorizationTest::own_tasks_;
std::string AuthorizationTest::other_task_;
std::string AuthorizationTest::plan_id_;
v1::Observation AuthorizationTest::observation_;
int AuthorizationTest::counter_ = 0;

std::shared_ptr<grpc::Channel> ChannelFor(const std::string& method, ServiceProcess* ingestion,
                                          ServiceProcess* indicators, ServiceProcess* tasks) {
  if (method.find("IngestionService") != std::string::npos) return MakeChannel(ingestion->address());
  if (method.find("IndicatorService") != std::string::npos) return MakeChannel(indicators->address());
  return MakeChannel(tasks->address());
}

TEST_F(AuthorizationTest, EveryCellDirectly) {
  const int checked = Walk("direct", [](const Cell& cell, const std::string& request, const std::string& auth) {
    return DirectCall(ChannelFor(cell.method, ingestion_, indicators_, tasks_), cell, request, auth);
  });
  EXPECT_GE(checked, 8 * 27);
}

TEST_F(AuthorizationTest, EveryCellThroughTheGateway) {
  const int port = gateway_->port();
  const int checked = Walk("gateway", [port](const Cell& cell, const std::string& request, const std::string& auth) {
    return GatewayCall(port, cell, request, auth);
  });
  EXPECT_GE(checked, 8 * 27);
}

TEST_F(AuthorizationTest, HealthNeedsNoToken) {
  for (ServiceProcess* p : {ingestion_, indicators_, tasks_}) {
    Cell cell;
    cell.method = "/grpc.health.v1.Health/Check";
    Outcome o = DirectCall(MakeChannel(p->address()), cell, "", "");
    EXPECT_EQ(o.code, StatusCode::OK) << o.message;
  }
}

}  // namespace
}  // namespace luoshi::testing
