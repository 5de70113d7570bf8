// The whole system as a user starts it: the four real binaries on ephemeral loopback ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/health_client.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "tests/common/process.h"
#include "tests/integration/system_calls.h"

namespace luoshi::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult HttpGet(int port, const std::string& target) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(port)));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

// Starts indicators, tasks, ingestion and the gateway with databases in a fresh temp directory.
class SystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir(std::string("luoshi_system_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_NO_FATAL_FAILURE(Launch(indicators_, "indicators/luoshi-indicators", {"--db=" + dir_ + "/indicators.db"}));
    ASSERT_NO_FATAL_FAILURE(Launch(tasks_, "tasks/luoshi-tasks", {"--db=" + dir_ + "/tasks.db"}));
    ASSERT_NO_FATAL_FAILURE(Launch(ingestion_, "ingestion/luoshi-ingestion",
                                   {"--db=" + dir_ + "/ingestion.db", "--indicators_addr=" + indicators_.address(),
                                    "--tasks_addr=" + tasks_.address()}));
    ASSERT_NO_FATAL_FAILURE(Launch(gateway_, "gateway/luoshi-gateway",
                                   {"--ingestion_addr=" + ingestion_.address(),
                                    "--indicators_addr=" + indicators_.address(), "--tasks_addr=" + tasks_.address()}));
  }
  static void Launch(ServiceProcess& p, const std::string& binary, std::vector<std::string> args) {
    for (std::string& flag : AuthFlags()) args.push_back(std::move(flag));
    absl::Status started = p.Start(BinaryPath(binary), args);
    ASSERT_TRUE(started.ok()) << started;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  ServiceProcess indicators_, tasks_, ingestion_, gateway_;
};

TEST_F(SystemTest, EveryServiceReportsServingOverGrpc) {
  struct Case {
    ServiceProcess* process;
    ServiceName name;
  };
  for (const Case& c : {Case{&ingestion_, kIngestionService}, Case{&indicators_, kIndicatorsService},
                        Case{&tasks_, kTasksService}}) {
    auto channel = MakeChannel(c.process->address());
    auto state = CheckHealth(channel, c.name.full_name, absl::Seconds(5));
    ASSERT_TRUE(state.ok()) << c.name.short_name << ": " << state.status();
    EXPECT_EQ(*state, "SERVING") << c.name.short_name;
    // The overall server health ("") too, as generic health checkers ask it.
    EXPECT_EQ(*CheckHealth(channel, "", absl::Seconds(5)), "SERVING");
    // An unknown service name is reported as such, not as serving.
    EXPECT_FALSE(CheckHealth(channel, "luoshi.v1.NoSuchService", absl::Seconds(5)).ok());
  }
}

TEST_F(SystemTest, GatewayAnswersHealthAndServesThePage) {
  HttpResult health = HttpGet(gateway_.port(), "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_NE(health.body.find("\"ingestion\":\"SERVING\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"indicators\":\"SERVING\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"tasks\":\"SERVING\""), std::string::npos) << health.body;
  HttpResult page = HttpGet(gateway_.port(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Luoshi"), std::string::npos);
  EXPECT_EQ(HttpGet(gateway_.port(), "/../../etc/passwd").status, 400);
}

TEST_F(SystemTest, GatewayReportsADownServiceAndRecovers) {
  ASSERT_EQ(tasks_.Stop(), 0) << tasks_.Log();
  HttpResult health = HttpGet(gateway_.port(), "/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("\"tasks\":\"UNREACHABLE\""), std::string::npos) << health.body;
}

TEST_F(SystemTest, SigtermStopsCleanlyAndRestartKeepsTheDatabase) {
  for (ServiceProcess* p : {&ingestion_, &indicators_, &tasks_, &gateway_}) {
    int code = p->Stop();
    EXPECT_EQ(code, 0) << p->Log();
    EXPECT_NE(p->Log().find("\"msg\":\"stopped\""), std::string::npos) << p->Log();
  }
  ServiceProcess again;
  ASSERT_NO_FATAL_FAILURE(Launch(again, "tasks/luoshi-tasks", {"--db=" + dir_ + "/tasks.db"}));
  EXPECT_EQ(*CheckHealth(MakeChannel(again.address()), kTasksService.full_name, absl::Seconds(5)), "SERVING");
  EXPECT_EQ(again.Stop(), 0);
}

TEST_F(SystemTest, CliHealthSeesEveryService) {
  std::string cmd = BinaryPath("cli/luoshi") + " --ingestion_addr=" + ingestion_.address() +
                    " --indicators_addr=" + indicators_.address() + " --tasks_addr=" + tasks_.address() +
                    " --gateway_addr=127.0.0.1:" + std::to_string(gateway_.port()) + " health";
  std::string out;
  EXPECT_EQ(RunShell(cmd, &out), 0) << out;
  for (const char* line : {"ingestion", "indicators", "tasks", "gateway"}) {
    EXPECT_NE(out.find(line), std::string::npos) << out;
  }
  EXPECT_EQ(out.find("UNREACHABLE"), std::string::npos) << out;
}

// `luoshi tasks watch --after N`: a board that lost its stream starts again after the last change it
// printed (#N) and gets exactly the changes made since, in order.
TEST_F(SystemTest, CliWatchResumesAfterTheLastChangeItPrinted) {
  const OneTaskPlan plan =
      ImportOneTaskPlan(tasks_.address(), "cli-watch", "看板断线后续看", "区财政局", "cli-test");
  ASSERT_FALSE(plan.task_id.empty());
  auto run = [&](const std::string& args, std::string* out) {
    return RunShell(BinaryPath("cli/luoshi") + " --credentials=" + dir_ + "/none --token=" +
                        ProgramTokens().For(AdminIdentity("cli-test")) + " --tasks_addr=" + tasks_.address() +
                        " " + args + " 2>&1",
                    out);
  };
  const std::string& plan_id = plan.plan_id;
  const std::string& task = plan.task_id;
  std::string out;
  for (const char* percent : {"20", "40", "60"}) {
    ASSERT_EQ(run(absl::StrCat("tasks report ", task, " --percent ", percent), &out), 0) << out;
  }
  // The watch runs until interrupted: `timeout` ends it once the stored changes have been printed.
  auto sequences = [](const std::string& text) {
    std::vector<std::pair<int64_t, std::string>> lines;  // (#N, action)
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int64_t n = 0;
      if (words.size() > 4 && words[0][0] == '#' && absl::SimpleAtoi(words[0].substr(1), &n)) {
        lines.emplace_back(n, words[3]);
      }
    }
    return lines;
  };
  // Every change of the plan after the first change this service made (the import or earlier): the
  // three reports among them, in order.
  std::string all;
  run("tasks watch --plan " + plan_id + " --after 1 & sleep 4; kill $!", &all);
  std::vector<int64_t> reports;
  for (const auto& [n, action] : sequences(all)) {
    if (action == "report") reports.push_back(n);
  }
  ASSERT_EQ(reports.size(), 3u) << all;
  EXPECT_LT(reports[0], reports[1]) << all;
  EXPECT_LT(reports[1], reports[2]) << all;
  // Resumed after the first report: the second and third, nothing else.
  std::string resumed;
  run(absl::StrCat("tasks watch --plan ", plan_id, " --after ", reports[0], " & sleep 4; kill $!"), &resumed);
  std::vector<std::pair<int64_t, std::string>> rest = sequences(resumed);
  ASSERT_EQ(rest.size(), 2u) << resumed;
  EXPECT_EQ(rest[0], std::make_pair(reports[1], std::string("report"))) << resumed;
  EXPECT_EQ(rest[1], std::make_pair(reports[2], std::string("report"))) << resumed;
  // A token that is not a number is refused with the reason.
  EXPECT_NE(run("tasks watch --after last", &out), 0);
  EXPECT_NE(out.find("--after takes the number"), std::string::npos) << out;
}

// `luoshi tasks report` with --request_id: sent twice (a user retrying by hand) it records one report;
// the same id with another percent is refused; a service that does not answer gets a second attempt
// and an error naming the id to retry with.
TEST_F(SystemTest, CliReportWithRequestIdRecordsOnce) {
  auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
  const std::string task =
      ImportOneTaskPlan(tasks_.address(), "cli", "完成命令行测试", "区财政局", "cli-test").task_id;
  ASSERT_FALSE(task.empty());
  const Identity office{"李会计", "区财政局", Role::kOffice};
  auto cli = [&](const std::string& tasks_addr, const std::string& args) {
    return BinaryPath("cli/luoshi") + " --credentials=" + dir_ + "/none --token=" + ProgramTokens().For(office) +
           " --tasks_addr=" + tasks_addr + " tasks report " + task + " " + args + " 2>&1";
  };
  std::string out;
  ASSERT_EQ(RunShell(cli(tasks_.address(), "--percent 30 --request_id cli-retry-1"), &out), 0) << out;
  ASSERT_EQ(RunShell(cli(tasks_.address(), "--percent 30 --request_id cli-retry-1"), &out), 0) << out;
  EXPECT_NE(RunShell(cli(tasks_.address(), "--percent 35 --request_id cli-retry-1"), &out), 0) << out;
  EXPECT_NE(out.find("cli-retry-1"), std::string::npos) << out;
  // Without --request_id each invocation is a report of its own.
  ASSERT_EQ(RunShell(cli(tasks_.address(), "--percent 40"), &out), 0) << out;
  ASSERT_EQ(RunShell(cli(tasks_.address(), "--percent 40"), &out), 0) << out;

  v1::GetTaskRequest get;
  get.set_id(task);
  v1::TaskDetail detail;
  grpc::ClientContext ctx;
  ProgramTokens().Attach(AdminIdentity("cli-test"), &ctx);
  ASSERT_TRUE(stub->GetTask(&ctx, get, &detail).ok());
  EXPECT_EQ(detail.reports_size(), 3);

  // Nobody listening: two attempts, then the id to send again. The port is bound and held but not
  // listening, so connections are refused and no other test's server can take it meanwhile.
  const int held = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(held, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(held, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string dead = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const int code = RunShell(cli(dead, "--percent 50 --request_id cli-lost-7"), &out);
  close(held);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("sending again with request id cli-lost-7"), std::string::npos) << out;
  EXPECT_NE(out.find("--request_id cli-lost-7"), std::string::npos) << out;
}

}  // namespace
}  // namespace luoshi::testing
