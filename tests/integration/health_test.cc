// Health as a load balancer sees it, against the real binaries (issue 22): grpc.health.v1.Health Check
// and Watch of a gRPC service through its life (warm-up, serving, shutdown), the Watch limit, and the
// gateway's /healthz during its shutdown grace and its count of refused connections. POSIX only, like
// tests/common/process.h.
#include <signal.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/health_client.h"
#include "services/common/health_service.h"
#include "services/common/server.h"
#include "tests/common/health_watch.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Longer than any wait in these tests: what is asserted must happen long before the grace runs out.
constexpr int kLongGraceSeconds = 20;

std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// An HTTP/1.1 answer: status and body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};

// Sends `request` (whole, as bytes) on a fresh connection to 127.0.0.1:port and reads one response; status
// 0 and the error as body when that fails.
HttpAnswer HttpExchange(int port, const std::string& request) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (!ec) asio::write(stream, asio::buffer(request), ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (!ec) http::read(stream, buffer, parser, ec);
  if (ec) return {0, ec.message()};
  return {static_cast<int>(parser.get().result_int()), parser.get().body()};
}

HttpAnswer HttpGet(int port, const std::string& path) {
  return HttpExchange(port, absl::StrCat("GET ", path, " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"));
}

// The value of an unlabelled sample in a Prometheus text exposition; -1 when absent.
double SampleValue(const std::string& exposition, const std::string& name) {
  const std::regex line(absl::StrCat("(^|\n)", name, " ([0-9.eE+-]+)"));
  std::smatch m;
  double value = -1;
  if (std::regex_search(exposition, m, line) && !absl::SimpleAtod(m[2].str(), &value)) value = -1;
  return value;
}

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir(std::string("luoshi_health_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> TaskArgs(int grace_seconds = kLongGraceSeconds) const {
    return With(AuthFlags(), {"--db=" + dir_ + "/tasks.db", absl::StrCat("--shutdown_grace=", grace_seconds, "s")});
  }
  void StartTasks() {
    ASSERT_TRUE(tasks_.Start(BinaryPath("tasks/luoshi-tasks"), TaskArgs()).ok()) << tasks_.Log();
  }

  std::string dir_;
  ServiceProcess tasks_;
};

TEST_F(HealthTest, CheckIsServingForTheServerAndItsServicesAndNotFoundForOthers) {
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  for (const std::string name : {"", kTasksService.full_name, "luoshi.v1.AdminService"}) {
    auto state = CheckHealth(MakeChannel(tasks_.address()), name, absl::Seconds(5));
    EXPECT_EQ(state.ok() ? *state : state.status().ToString(), "SERVING") << "service \"" << name << "\"";
  }
  // The generated client, as any gRPC client would call it; no token needed.
  auto stub = Health::NewStub(MakeChannel(tasks_.address()));
  grpc::ClientContext ctx;
  HealthCheckRequest request;
  request.set_service("luoshi.v1.NoSuchService");
  HealthCheckResponse response;
  grpc::Status s = stub->Check(&ctx, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "luoshi.v1.NoSuchService")) << s.error_message();
}

// The heart of the issue: on SIGTERM with a long grace, an open Watch learns NOT_SERVING and its stream
// ends with UNAVAILABLE ("shutting down") at once, not when the grace runs out; the process exits 0.
TEST_F(HealthTest, WatchSeesNotServingAndEndsWithUnavailableAsSoonAsShutdownStarts) {
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  HealthWatch watch(tasks_.address(), kTasksService.full_name);
  HealthWatch unknown(tasks_.address(), "luoshi.v1.NoSuchService");
  ASSERT_TRUE(watch.WaitFor("SERVING"));
  ASSERT_TRUE(unknown.WaitFor("SERVICE_UNKNOWN")) << "an unknown name is SERVICE_UNKNOWN on Watch, not an error";

  const absl::Time sigterm = absl::Now();
  ASSERT_EQ(kill(tasks_.pid(), SIGTERM), 0);
  std::optional<grpc::Status> end = watch.WaitForEnd(absl::Seconds(5));
  ASSERT_TRUE(end.has_value()) << "the Watch stream is still open 5 s after SIGTERM (grace "
                               << kLongGraceSeconds << " s)";
  const absl::Duration took = watch.ended_at() - sigterm;
  std::cout << "Watch ended " << absl::FormatDuration(took) << " after SIGTERM\n";
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE) << end->error_message();
  EXPECT_TRUE(absl::StrContains(end->error_message(), "shutting down")) << end->error_message();
  const std::vector<std::string> seen = watch.seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "NOT_SERVING") << "the last status before the end";
  std::optional<grpc::Status> unknown_end = unknown.WaitForEnd(absl::Seconds(5));
  ASSERT_TRUE(unknown_end.has_value());
  EXPECT_EQ(unknown_end->error_code(), grpc::StatusCode::UNAVAILABLE) << unknown_end->error_message();

  EXPECT_EQ(tasks_.Stop(kLongGraceSeconds + 10), 0) << tasks_.Log();
  EXPECT_LT(absl::Now() - sigterm, absl::Seconds(kLongGraceSeconds))
      << "with nothing else in flight the service stops well before the grace ends";
}

TEST_F(HealthTest, WatchStreamsBeyondTheLimitAreRefusedWithResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  auto stub = Health::NewStub(MakeChannel(tasks_.address()));
  HealthCheckRequest request;
  request.set_service(kTasksService.full_name);
  struct Open {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
  };
  std::vector<std::unique_ptr<Open>> open;
  HealthCheckResponse response;
  for (int i = 0; i < kMaxHealthWatchers; ++i) {
    open.push_back(std::make_unique<Open>());
    open.back()->reader = stub->Watch(&open.back()->ctx, request);
    ASSERT_TRUE(open.back()->reader->Read(&response)) << "watch " << i << " was refused";
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  Open refused;
  refused.reader = stub->Watch(&refused.ctx, request);
  EXPECT_FALSE(refused.reader->Read(&response));
  grpc::Status s = refused.reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), absl::StrCat(kMaxHealthWatchers))) << s.error_message();
  // Check still answers while every Watch slot is taken.
  auto state = CheckHealth(MakeChannel(tasks_.address()), kTasksService.full_name, absl::Seconds(5));
  EXPECT_EQ(state.ok() ? *state : state.status().ToString(), "SERVING");
  for (auto& o : open) o->ctx.TryCancel();
  for (auto& o : open) {
    while (o->reader->Read(&response)) {
    }
    o->reader->Finish();
  }
}

// While migrations wait (another process holds the database's write lock), a Watch on the warm-up server
// reads NOT_SERVING; when the full server takes over the port the stream ends with UNAVAILABLE, and a new
// Watch there reads SERVING.
TEST_F(HealthTest, WarmUpWatchReadsNotServingUntilTheServiceHasStarted) {
  LockedDatabaseStart start(&tasks_, BinaryPath("tasks/luoshi-tasks"), TaskArgs(), dir_ + "/tasks.db");
  ASSERT_TRUE(start.locked());
  const int port = start.WarmUpPort(absl::Seconds(10));
  std::optional<HealthWatch> warm_up;
  if (port != 0) warm_up.emplace(absl::StrCat("127.0.0.1:", port), kTasksService.full_name);
  const bool not_serving = warm_up && warm_up->WaitFor("NOT_SERVING");
  const bool still_open = warm_up && !warm_up->WaitForEnd(absl::Milliseconds(200)).has_value();
  const absl::Status start_status = start.Release();
  ASSERT_NE(port, 0) << "no \"starting\" line: " << tasks_.Log();
  EXPECT_TRUE(not_serving) << "the warm-up server's Watch did not read NOT_SERVING";
  EXPECT_TRUE(still_open) << "the warm-up Watch ended while the database was still locked";
  ASSERT_TRUE(start_status.ok()) << start_status << tasks_.Log();
  std::optional<grpc::Status> end = warm_up->WaitForEnd(absl::Seconds(5));
  ASSERT_TRUE(end.has_value()) << "the warm-up Watch is still open after the full server started";
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE) << end->error_message();
  EXPECT_EQ(warm_up->seen(), std::vector<std::string>{"NOT_SERVING"});
  HealthWatch serving(tasks_.address(), kTasksService.full_name);
  EXPECT_TRUE(serving.WaitFor("SERVING"));
}

// A gateway in its shutdown grace with a call in flight (a grpc-web WatchTasks stream): /healthz and any
// new request answer 503 "shutting down"; once the call ends it exits 0, long before the grace is over.
TEST_F(HealthTest, GatewayAnswersHealthz503DuringItsShutdownGrace) {
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  ServiceProcess indicators, ingestion, gateway;
  ASSERT_TRUE(indicators.Start(BinaryPath("indicators/luoshi-indicators"),
                               With(AuthFlags(), {"--db=" + dir_ + "/indicators.db"}))
                  .ok())
      << indicators.Log();
  ASSERT_TRUE(ingestion
                  .Start(BinaryPath("ingestion/luoshi-ingestion"),
                         With(AuthFlags(), {"--db=" + dir_ + "/ingestion.db",
                                            "--indicators_addr=" + indicators.address(),
                                            "--tasks_addr=" + tasks_.address()}))
                  .ok())
      << ingestion.Log();
  ASSERT_TRUE(gateway
                  .Start(BinaryPath("gateway/luoshi-gateway"),
                         {"--tasks_addr=" + tasks_.address(), "--ingestion_addr=" + ingestion.address(),
                          "--indicators_addr=" + indicators.address(),
                          absl::StrCat("--shutdown_grace=", kLongGraceSeconds, "s")})
                  .ok())
      << gateway.Log();
  const HttpAnswer before = HttpGet(gateway.port(), "/healthz");
  ASSERT_EQ(before.status, 200) << before.body;

  // The call in flight: WatchTasks through the gateway, its response headers read (the stream is live).
  asio::io_context io;
  beast::tcp_stream watch(io);
  watch.expires_after(std::chrono::seconds(10));
  watch.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(gateway.port())));
  const std::string frame(5, '\0');  // one grpc-web message frame holding an empty WatchTasksRequest
  asio::write(watch, asio::buffer(absl::StrCat(
                         "POST /luoshi.v1.TaskService/WatchTasks HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                         "content-type: application/grpc-web+proto\r\ngrpc-timeout: 60S\r\n"
                         "authorization: Bearer ",
                         ProgramTokens().For(AdminIdentity("health-test")), "\r\ncontent-length: 5\r\n\r\n", frame)));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  http::read_header(watch, buffer, parser);
  ASSERT_EQ(parser.get().result_int(), 200u);

  const absl::Time sigterm = absl::Now();
  ASSERT_EQ(kill(gateway.pid(), SIGTERM), 0);
  // The signal is noticed within a moment; until then /healthz may still say 200.
  HttpAnswer healthz;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(5); absl::Now() < deadline;) {
    healthz = HttpGet(gateway.port(), "/healthz");
    if (absl::StrContains(healthz.body, "shutting down")) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(healthz.status, 503) << healthz.body;
  EXPECT_TRUE(absl::StrContains(healthz.body, "shutting down")) << healthz.body;
  const HttpAnswer page = HttpGet(gateway.port(), "/");
  EXPECT_EQ(page.status, 503) << page.body;
  EXPECT_LT(absl::Now() - sigterm, absl::Seconds(5));
  EXPECT_TRUE(gateway.running());

  // The call ends (the client leaves): nothing holds the gateway any more.
  beast::error_code ec;
  watch.socket().shutdown(tcp::socket::shutdown_both, ec);
  watch.close();
  EXPECT_EQ(gateway.Stop(kLongGraceSeconds + 10), 0) << gateway.Log();
  EXPECT_LT(absl::Now() - sigterm, absl::Seconds(kLongGraceSeconds / 2));
}

TEST_F(HealthTest, GatewayCountsConnectionsRefusedBeyondMaxConnections) {
  ServiceProcess gateway;
  ASSERT_TRUE(gateway
                  .Start(BinaryPath("gateway/luoshi-gateway"),
                         {"--tasks_addr=127.0.0.1:1", "--ingestion_addr=127.0.0.1:1", "--indicators_addr=127.0.0.1:1",
                          "--max_connections=2", "--metrics_listen=127.0.0.1:0"})
                  .ok())
      << gateway.Log();
  const int metrics_port = LoggedPort(gateway, "metrics listening");
  ASSERT_NE(metrics_port, 0) << gateway.Log();
  auto refused = [&] { return SampleValue(HttpGet(metrics_port, "/metrics").body, "luoshi_http_connections_refused_total"); };
  EXPECT_EQ(refused(), 0) << "the counter is exported from the start";

  // Two idle connections take both places; the next two are refused, each counted.
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<tcp::socket>(io));
    held.back()->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(gateway.port())));
  }
  // Accepted in order, so both are registered before the third is looked at; wait until the gauge says so.
  for (const absl::Time deadline = absl::Now() + absl::Seconds(5); absl::Now() < deadline;) {
    if (SampleValue(HttpGet(metrics_port, "/metrics").body, "luoshi_http_connections_open") == 2) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  for (int i = 0; i < 2; ++i) {
    const HttpAnswer answer = HttpGet(gateway.port(), "/healthz");
    EXPECT_EQ(answer.status, 503) << answer.body;
    EXPECT_TRUE(absl::StrContains(answer.body, "too many connections")) << answer.body;
  }
  EXPECT_EQ(refused(), 2);
  held.clear();
  EXPECT_EQ(gateway.Stop(), 0) << gateway.Log();
}

}  // namespace
}  // namespace luoshi::testing
