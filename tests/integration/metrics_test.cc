// The Prometheus endpoints of the real binaries (--metrics_listen=127.0.0.1:0): calls made here, good and
// bad, show up as counts, error codes and histograms; the ingestion outbox, the open WatchTasks streams
// and the gateway's routes are reported. Each scrape is parsed by Prometheus' own Python parser
// (tests/integration/parse_metrics.py, Debian's python3-prometheus-client), not by us.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/files.h"
#include "services/common/raw_call.h"
#include "services/common/server.h"
#include "services/gateway/grpc_web.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kGetTask[] = "/luoshi.v1.TaskService/GetTask";
constexpr char kListTasks[] = "/luoshi.v1.TaskService/ListTasks";
constexpr char kWatchTasks[] = "/luoshi.v1.TaskService/WatchTasks";

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string grpc_status;  // a grpc-web answer without messages carries it as a header
  std::string body;
};

HttpAnswer HttpCall(int port, http::verb verb, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  // Read through a parser: reading into a message moves it in and out, which the analyzer mistrusts.
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  http::read(stream, buffer, parser);
  const http::response<http::string_body>& res = parser.get();
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          std::string(res["grpc-status"]), res.body()};
}

// One parsed sample.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  std::string type;  // of its family: counter, gauge, histogram
};

// A scrape as Prometheus' parser read it.
class Scrape {
 public:
  std::vector<Sample> samples;

  // The samples named `name` whose labels include `labels`.
  std::vector<Sample> Find(const std::string& name,
                           const std::map<std::string, std::string>& labels = {}) const {
    std::vector<Sample> out;
    for (const Sample& s : samples) {
      bool match = s.name == name;
      for (const auto& [k, v] : labels) match = match && s.labels.count(k) > 0 && s.labels.at(k) == v;
      if (match) out.push_back(s);
    }
    return out;
  }
  // The value of the one sample so named and labelled; -1 when there is none (and a failure when more).
  double Value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    std::vector<Sample> found = Find(name, labels);
    EXPECT_LE(found.size(), 1u) << name;
    return found.empty() ? -1 : found.front().value;
  }
};

// The port from the "metrics listening" log line (the line comes before the service's "listening").
int MetricsPort(const ServiceProcess& p) {
  static const std::regex kLine("\"msg\":\"metrics listening\".*\"port\":\"([0-9]+)\"");
  std::smatch m;
  const std::string log = p.Log();
  return std::regex_search(log, m, kLine) ? std::stoi(m[1].str()) : 0;
}

// GET /metrics, checked for status and content type, parsed by parse_metrics.py.
Scrape ScrapeMetrics(int port, const std::string& dir) {
  Scrape scrape;
  HttpAnswer answer = HttpCall(port, http::verb::get, "/metrics");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string text = dir + "/scrape.txt";
  std::ofstream(text) << answer.body;
  std::string json;
  const int code = RunShell(
      absl::StrCat(kPython, " ", LUOSHI_SOURCE_DIR, "/tests/integration/parse_metrics.py ", text, " 2>&1"),
      &json);
  EXPECT_EQ(code, 0) << "the Prometheus parser refused the exposition:\n" << json << "\n" << answer.body;
  if (code != 0) return scrape;
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << json;
  for (const google::protobuf::Value& v : parsed.fields().at("samples").list_value().values()) {
    const auto& f = v.struct_value().fields();
    Sample s{f.at("name").string_value(), {}, f.at("value").number_value(), f.at("type").string_value()};
    for (const auto& [k, label] : f.at("labels").struct_value().fields()) s.labels[k] = label.string_value();
    scrape.samples.push_back(std::move(s));
  }
  return scrape;
}

// Scrapes until `done` holds (counts are recorded as a response ends, which can be a moment after the
// client has it), at most 10 s; returns the last scrape.
Scrape ScrapeUntil(int port, const std::string& dir, const std::function<bool(const Scrape&)>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  Scrape s = ScrapeMetrics(port, dir);
  while (!done(s) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    s = ScrapeMetrics(port, dir);
  }
  return s;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system(absl::StrCat(kPython, " -c 'import prometheus_client.parser' 2>/dev/null").c_str()),
              0)
        << "python3-prometheus-client is missing: scripts/setup.sh installs it";
    dir_ = FreshTestDir(std::string("luoshi_metrics_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts `binary` with its metrics endpoint on port 0; the endpoint's port in *metrics_port.
  void Launch(ServiceProcess& p, const std::string& binary, std::vector<std::string> args,
              int* metrics_port) {
    args.push_back("--metrics_listen=127.0.0.1:0");
    for (std::string& flag : AuthFlags()) args.push_back(std::move(flag));
    absl::Status started = p.Start(BinaryPath(binary), args);
    ASSERT_TRUE(started.ok()) << started;
    *metrics_port = MetricsPort(p);
    ASSERT_GT(*metrics_port, 0) << p.Log();
  }

  std::string dir_;
};

TEST_F(MetricsTest, TaskServiceCountsCallsErrorsAndOpenStreams) {
  ServiceProcess tasks;
  int port = 0;
  ASSERT_NO_FATAL_FAILURE(Launch(tasks, "tasks/luoshi-tasks", {"--db=" + dir_ + "/tasks.db"}, &port));
  auto stub = v1::TaskService::NewStub(MakeChannel(tasks.address()));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    ProgramTokens().Attach(AdminIdentity("metrics-test"), &ctx);
    v1::ListTasksResponse out;
    ASSERT_TRUE(stub->ListTasks(&ctx, v1::ListTasksRequest(), &out).ok());
  }
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    ProgramTokens().Attach(AdminIdentity("metrics-test"), &ctx);
    v1::GetTaskRequest req;
    req.set_id("T-no-such-task");
    v1::TaskDetail out;
    ASSERT_EQ(stub->GetTask(&ctx, req, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // A path the server does not serve must not become a series of its own.
  {
    grpc::GenericStub generic(MakeChannel(tasks.address()));
    grpc::ClientContext ctx;
    grpc::ByteBuffer in = ByteBufferOf(std::string()), out;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/luoshi.v1.TaskService/NoSuchMethod", grpc::StubOptions(), &in, &out,
                      [&done](const grpc::Status& s) { done.set_value(s); });
    ASSERT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  // Two WatchTasks streams, live once their headers arrive.
  std::vector<std::unique_ptr<grpc::ClientContext>> watch_contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::TaskEvent>>> watches;
  for (int i = 0; i < 2; ++i) {
    watch_contexts.push_back(std::make_unique<grpc::ClientContext>());
    ProgramTokens().Attach(AdminIdentity("metrics-test"), watch_contexts.back().get());
    watches.push_back(stub->WatchTasks(watch_contexts.back().get(), v1::WatchTasksRequest()));
    watches.back()->WaitForInitialMetadata();
  }

  Scrape s = ScrapeMetrics(port, dir_);
  EXPECT_EQ(s.Value("luoshi_grpc_requests_total", {{"method", kListTasks}}), 3);
  EXPECT_EQ(s.Value("luoshi_grpc_requests_total", {{"method", kGetTask}}), 2);
  EXPECT_EQ(s.Value("luoshi_grpc_errors_total", {{"method", kGetTask}, {"code", "NOT_FOUND"}}), 2);
  EXPECT_TRUE(s.Find("luoshi_grpc_errors_total", {{"method", kListTasks}}).empty());
  for (const char* method : {kListTasks, kGetTask}) {
    EXPECT_EQ(s.Value("luoshi_grpc_request_duration_seconds_count", {{"method", method}}),
              s.Value("luoshi_grpc_requests_total", {{"method", method}}))
        << method;
    EXPECT_EQ(s.Value("luoshi_grpc_request_duration_seconds_bucket", {{"method", method}, {"le", "+Inf"}}),
              s.Value("luoshi_grpc_requests_total", {{"method", method}}))
        << method;
    EXPECT_GT(s.Value("luoshi_grpc_request_duration_seconds_sum", {{"method", method}}), 0) << method;
  }
  EXPECT_EQ(s.Find("luoshi_grpc_requests_total").front().type, "counter");
  EXPECT_EQ(s.Find("luoshi_grpc_request_duration_seconds_count").front().type, "histogram");
  EXPECT_TRUE(
      s.Find("luoshi_grpc_requests_total", {{"method", "/luoshi.v1.TaskService/NoSuchMethod"}}).empty());
  EXPECT_EQ(s.Value("luoshi_watch_streams_open"), 2);
  EXPECT_EQ(s.Find("luoshi_watch_streams_open").front().type, "gauge");
  // Streams still open are not counted as ended calls yet (every method's series exists from the start).
  EXPECT_EQ(s.Value("luoshi_grpc_requests_total", {{"method", kWatchTasks}}), 0);
  for (const char* pool : {"reader", "writer"}) {
    EXPECT_GE(s.Value("luoshi_sqlite_pool_waits_total", {{"pool", pool}}), 0) << pool;
    EXPECT_GE(s.Value("luoshi_sqlite_pool_wait_seconds_total", {{"pool", pool}}), 0) << pool;
  }

  // The watcher hangs up: both streams end (CANCELLED) and are no longer open.
  for (auto& ctx : watch_contexts) ctx->TryCancel();
  for (auto& w : watches) w->Finish().IgnoreError();
  // A call's counters go up one after the other (requests, duration, errors): wait for the last one.
  s = ScrapeUntil(port, dir_, [](const Scrape& now) {
    return now.Value("luoshi_watch_streams_open") == 0 &&
           now.Value("luoshi_grpc_errors_total", {{"method", kWatchTasks}, {"code", "CANCELLED"}}) == 2;
  });
  EXPECT_EQ(s.Value("luoshi_watch_streams_open"), 0);
  EXPECT_EQ(s.Value("luoshi_grpc_requests_total", {{"method", kWatchTasks}}), 2);
  EXPECT_EQ(s.Value("luoshi_grpc_errors_total", {{"method", kWatchTasks}, {"code", "CANCELLED"}}), 2);
  EXPECT_EQ(s.Value("luoshi_grpc_request_duration_seconds_count", {{"method", kWatchTasks}}), 2);

  // Only /metrics is served.
  EXPECT_EQ(HttpCall(port, http::verb::get, "/").status, 404);
  EXPECT_EQ(HttpCall(port, http::verb::post, "/metrics").status, 405);
  EXPECT_EQ(tasks.Stop(), 0) << tasks.Log();
}

TEST_F(MetricsTest, IngestionReportsItsOutboxBacklog) {
  ServiceProcess ingestion;
  int port = 0;
  // Both peers unreachable: what is ingested stays in the outbox.
  ASSERT_NO_FATAL_FAILURE(
      Launch(ingestion, "ingestion/luoshi-ingestion",
             {"--db=" + dir_ + "/ingestion.db", "--indicators_addr=127.0.0.1:1", "--tasks_addr=127.0.0.1:1"},
             &port));
  Scrape before = ScrapeMetrics(port, dir_);
  EXPECT_EQ(before.Value("luoshi_outbox_backlog"), 0);
  EXPECT_EQ(before.Value("luoshi_outbox_oldest_age_seconds"), 0);

  auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion.address()));
  absl::StatusOr<std::string> seed =
      ReadFileToString(std::string(LUOSHI_SOURCE_DIR) + "/data/seeds/000_b2f02a40eca629cb.txt", "seed");
  ASSERT_TRUE(seed.ok()) << seed.status();
  v1::IngestDocumentRequest req;
  req.set_content(*seed);
  req.set_filename("000.txt");
  v1::IngestDocumentResponse resp;
  grpc::ClientContext ctx;
  ProgramTokens().Attach(AdminIdentity("metrics-test"), &ctx);
  grpc::Status status = stub->IngestDocument(&ctx, req, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int pending = 0;
  for (const v1::Delivery& d : resp.document().deliveries())
    pending += d.state() == v1::DELIVERY_STATE_PENDING;
  ASSERT_GT(pending, 0) << resp.DebugString();

  Scrape after = ScrapeMetrics(port, dir_);
  EXPECT_EQ(after.Value("luoshi_outbox_backlog"), pending);
  EXPECT_GT(after.Value("luoshi_outbox_oldest_age_seconds"), 0);
  EXPECT_LT(after.Value("luoshi_outbox_oldest_age_seconds"), 60);
  EXPECT_EQ(
      after.Value("luoshi_grpc_requests_total", {{"method", "/luoshi.v1.IngestionService/IngestDocument"}}),
      1);
  EXPECT_EQ(ingestion.Stop(), 0) << ingestion.Log();
}

TEST_F(MetricsTest, GatewayCountsRequestsByRouteAndCode) {
  ServiceProcess indicators, tasks, ingestion, gateway;
  int unused = 0, port = 0;
  ASSERT_NO_FATAL_FAILURE(
      Launch(indicators, "indicators/luoshi-indicators", {"--db=" + dir_ + "/i.db"}, &unused));
  ASSERT_NO_FATAL_FAILURE(Launch(tasks, "tasks/luoshi-tasks", {"--db=" + dir_ + "/t.db"}, &unused));
  ASSERT_NO_FATAL_FAILURE(Launch(ingestion, "ingestion/luoshi-ingestion",
                                 {"--db=" + dir_ + "/g.db", "--indicators_addr=" + indicators.address(),
                                  "--tasks_addr=" + tasks.address()},
                                 &unused));
  ASSERT_NO_FATAL_FAILURE(
      Launch(gateway, "gateway/luoshi-gateway",
             {"--ingestion_addr=" + ingestion.address(), "--indicators_addr=" + indicators.address(),
              "--tasks_addr=" + tasks.address()},
             &port));
  const int web = gateway.port();
  EXPECT_EQ(HttpCall(web, http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(HttpCall(web, http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(HttpCall(web, http::verb::get, "/").status, 200);
  EXPECT_EQ(HttpCall(web, http::verb::delete_, "/").status, 405);
  // A grpc-web call (an unknown task: NOT_FOUND comes in an HTTP 200).
  v1::GetTaskRequest get;
  get.set_id("T-no-such-task");
  HttpAnswer rpc =
      HttpCall(web, http::verb::post, kGetTask, gateway::grpcweb::MessageFrame(get.SerializeAsString()),
               {{"content-type", "application/grpc-web+proto"},
                {"authorization", "Bearer " + ProgramTokens().For(AdminIdentity("metrics-test"))}});
  EXPECT_EQ(rpc.status, 200);
  EXPECT_EQ(rpc.grpc_status, "5") << absl::CEscape(rpc.body);

  auto counted = [](const Scrape& s, const char* route, const char* code) {
    return s.Value("luoshi_http_requests_total", {{"route", route}, {"code", code}});
  };
  Scrape s = ScrapeUntil(port, dir_, [&](const Scrape& now) {
    return counted(now, "healthz", "200") == 2 && counted(now, "static", "200") == 1 &&
           counted(now, "other", "405") == 1 && counted(now, "grpc-web", "200") == 1 &&
           // a request's duration is observed just after it is counted
           now.Value("luoshi_http_request_duration_seconds_count", {{"route", "healthz"}}) == 2 &&
           now.Value("luoshi_http_request_duration_seconds_count", {{"route", "grpc-web"}}) == 1 &&
           now.Value("luoshi_http_connections_open") == 0;
  });
  EXPECT_EQ(counted(s, "healthz", "200"), 2);
  EXPECT_EQ(counted(s, "static", "200"), 1);
  EXPECT_EQ(counted(s, "other", "405"), 1);
  EXPECT_EQ(counted(s, "grpc-web", "200"), 1);
  EXPECT_EQ(s.Value("luoshi_http_request_duration_seconds_count", {{"route", "healthz"}}), 2);
  EXPECT_EQ(s.Value("luoshi_http_request_duration_seconds_count", {{"route", "grpc-web"}}), 1);
  EXPECT_EQ(s.Value("luoshi_http_connections_open"), 0);
  EXPECT_EQ(s.Find("luoshi_http_requests_total").front().type, "counter");
  // The task service counted the call the gateway forwarded.
  int tasks_port = MetricsPort(tasks);
  EXPECT_EQ(ScrapeMetrics(tasks_port, dir_)
                .Value("luoshi_grpc_errors_total", {{"method", kGetTask}, {"code", "NOT_FOUND"}}),
            1);
}

}  // namespace
}  // namespace luoshi::testing
