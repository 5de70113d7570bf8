// The whole system as a user starts it: the four real binaries on ephemeral loopback ports.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "gtest/gtest.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/health_client.h"
#include "services/common/server.h"
#include "tests/common/process.h"

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

}  // namespace
}  // namespace luoshi::testing
