// TLS and mutual TLS on real services, with certificates from deploy/tls/make-dev-ca.sh: a client with a
// certificate from the deployment's CA is served; a client without one, with one from another CA, or in
// plaintext is refused; plaintext on a non-loopback address, no token keys and an unreadable CA stop a
// service at start; and the whole system runs over mutual TLS end to end.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/files.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/health_client.h"
#include "tests/common/process.h"

namespace luoshi {
namespace {

using ::luoshi::testing::AuthFlags;
using ::luoshi::testing::BinaryPath;
using ::luoshi::testing::FreshTestDir;
using ::luoshi::testing::ReadTestFile;
using ::luoshi::testing::RunShell;
using ::luoshi::testing::ServiceProcess;
using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("tls");
    std::string out;
    const std::string script = std::string(LUOSHI_SOURCE_DIR) + "/deploy/tls/make-dev-ca.sh";
    ASSERT_EQ(RunShell(absl::StrCat(script, " ", dir_, "/ca"), &out), 0) << out;  // every component
    ASSERT_EQ(RunShell(absl::StrCat(script, " ", dir_, "/other cli"), &out), 0) << out;
  }
  std::string Ca(const std::string& file) const { return absl::StrCat(dir_, "/ca/", file); }

  // The health of the task service over a channel with these credentials.
  absl::StatusOr<std::string> Health(const ServiceProcess& p,
                                     std::shared_ptr<grpc::ChannelCredentials> creds) {
    return CheckHealth(grpc::CreateChannel(p.address(), creds), "luoshi.v1.TaskService", absl::Seconds(3));
  }
  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& client_dir) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadTestFile(Ca("ca.pem"));
    if (!client_dir.empty()) {
      o.pem_cert_chain = ReadTestFile(absl::StrCat(dir_, "/", client_dir, "/cli.pem"));
      o.pem_private_key = ReadTestFile(absl::StrCat(dir_, "/", client_dir, "/cli.key"));
    }
    return grpc::SslCredentials(o);
  }

  std::string dir_;
};

std::vector<std::string> WithAuth(std::vector<std::string> args) {
  for (std::string& flag : AuthFlags()) args.push_back(std::move(flag));
  return args;
}

TEST_F(TlsTest, MutualTlsServesOnlyClientsOfTheDeploymentCa) {
  ServiceProcess tasks;
  ASSERT_TRUE(tasks
                  .Start(BinaryPath("tasks/luoshi-tasks"),
                         WithAuth({"--db=" + dir_ + "/tasks.db", "--tls_cert=" + Ca("tasks.pem"),
                                   "--tls_key=" + Ca("tasks.key"), "--tls_client_ca=" + Ca("ca.pem")}))
                  .ok())
      << tasks.Log();
  auto served = Health(tasks, Tls("ca"));
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(*served, "SERVING");
  EXPECT_FALSE(Health(tasks, Tls("")).ok()) << "no client certificate";
  EXPECT_FALSE(Health(tasks, Tls("other")).ok()) << "a client certificate from another CA";
  EXPECT_FALSE(Health(tasks, grpc::InsecureChannelCredentials()).ok()) << "plaintext";
  EXPECT_EQ(tasks.Stop(), 0);
}

TEST_F(TlsTest, NoKeysPlaintextOffLoopbackAndUnreadableFilesStopAServiceAtStart) {
  const std::string binary = BinaryPath("tasks/luoshi-tasks") + " " + absl::StrJoin(AuthFlags(), " ");
  std::string out;
  EXPECT_NE(RunShell(absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --listen=127.0.0.1:0 --db=", dir_, "/n.db"),
                     &out),
            0);
  EXPECT_THAT(out, HasSubstr("no token keys: give --auth_keys DIR"));
  EXPECT_NE(RunShell(absl::StrCat(BinaryPath("tasks/luoshi-tasks"), " --listen=127.0.0.1:0 --db=", dir_,
                                  "/k.db --auth_keys=", dir_, "/no-such-keys"),
                     &out),
            0);
  EXPECT_THAT(out, HasSubstr("no-such-keys"));
  EXPECT_NE(RunShell(absl::StrCat(binary, " --listen=0.0.0.0:0 --db=", dir_, "/a.db"), &out), 0);
  EXPECT_THAT(out, HasSubstr("refusing to serve plaintext on 0.0.0.0:0"));
  EXPECT_NE(RunShell(absl::StrCat(binary, " --listen=127.0.0.1:0 --db=", dir_, "/b.db --tls_ca=", dir_,
                                  "/missing.pem"),
                     &out),
            0);
  EXPECT_THAT(out, HasSubstr("missing.pem"));
  EXPECT_NE(
      RunShell(absl::StrCat(binary, " --listen=127.0.0.1:0 --db=", dir_, "/c.db --tls_cert=", Ca("tasks.pem"),
                            " --tls_key=", Ca("tasks.key"), " --tls_client_ca=", dir_, "/missing-ca.pem"),
               &out),
      0);
  EXPECT_THAT(out, HasSubstr("missing-ca.pem"));
  // The gateway too.
  const std::string gateway = BinaryPath("gateway/luoshi-gateway");
  EXPECT_NE(RunShell(absl::StrCat(gateway, " --listen=0.0.0.0:0"), &out), 0);
  EXPECT_THAT(out, HasSubstr("refusing to serve plaintext HTTP on 0.0.0.0:0"));
  EXPECT_NE(RunShell(absl::StrCat(gateway, " --listen=127.0.0.1:0 --tls_ca=", dir_, "/missing.pem"), &out),
            0);
  EXPECT_THAT(out, HasSubstr("missing.pem"));
}

// The four binaries as a deployment off one machine would run them: every gRPC port TLS with client
// certificates required, the gateway serving HTTPS, each service calling its peers with its own
// certificate, every call with a token. A plan uploaded to ingestion reaches the task service (ingestion →
// tasks over mutual TLS, with the ingestion service's token, on behalf of the supervisor who uploaded it)
// and a browser-style client reads it through the gateway over HTTPS (gateway → tasks over mutual TLS).
TEST_F(TlsTest, TheWholeSystemOverMutualTls) {
  auto serving = [&](const std::string& name) {
    return WithAuth({"--db=" + dir_ + "/" + name + ".db", "--tls_cert=" + Ca(name + ".pem"),
                     "--tls_key=" + Ca(name + ".key"), "--tls_client_ca=" + Ca("ca.pem")});
  };
  ServiceProcess indicators, tasks, ingestion, gateway;
  ASSERT_TRUE(indicators.Start(BinaryPath("indicators/luoshi-indicators"), serving("indicators")).ok())
      << indicators.Log();
  ASSERT_TRUE(tasks.Start(BinaryPath("tasks/luoshi-tasks"), serving("tasks")).ok()) << tasks.Log();
  std::vector<std::string> ingestion_args = serving("ingestion");
  for (const std::string& a : {"--tls_ca=" + Ca("ca.pem"), "--indicators_addr=" + indicators.address(),
                               "--tasks_addr=" + tasks.address(), std::string("--dispatch_interval_ms=50")}) {
    ingestion_args.push_back(a);
  }
  ASSERT_TRUE(ingestion.Start(BinaryPath("ingestion/luoshi-ingestion"), ingestion_args).ok()) << ingestion.Log();
  ASSERT_TRUE(gateway
                  .Start(BinaryPath("gateway/luoshi-gateway"),
                         {"--tls_cert=" + Ca("gateway.pem"), "--tls_key=" + Ca("gateway.key"),
                          "--tls_ca=" + Ca("ca.pem"), "--ingestion_addr=" + ingestion.address(),
                          "--indicators_addr=" + indicators.address(), "--tasks_addr=" + tasks.address()})
                  .ok())
      << gateway.Log();

  const Identity supervisor{"督查室王敏", "区政府督查室", Role::kSupervisor};
  auto ingestion_stub = v1::IngestionService::NewStub(grpc::CreateChannel(ingestion.address(), Tls("ca")));
  v1::IngestDocumentRequest upload;
  upload.set_content(ReadTestFile(std::string(LUOSHI_SOURCE_DIR) + "/data/seeds/004_bb9545a5710306fa.txt"));
  upload.set_filename("004.txt");
  v1::IngestDocumentResponse uploaded;
  grpc::ClientContext upload_ctx;
  testing::ProgramTokens().Attach(supervisor, &upload_ctx);
  grpc::Status s = ingestion_stub->IngestDocument(&upload_ctx, upload, &uploaded);
  ASSERT_TRUE(s.ok()) << s.error_message();

  auto tasks_stub = v1::TaskService::NewStub(grpc::CreateChannel(tasks.address(), Tls("ca")));
  v1::ListPlansResponse plans;
  for (int attempt = 0; attempt < 200 && plans.plans_size() == 0; ++attempt) {
    absl::SleepFor(absl::Milliseconds(50));
    grpc::ClientContext c;
    testing::ProgramTokens().Attach(AdminIdentity(), &c);
    ASSERT_TRUE(tasks_stub->ListPlans(&c, {}, &plans).ok());
  }
  ASSERT_EQ(plans.plans_size(), 1) << ingestion.Log();
  EXPECT_EQ(plans.plans(0).task_count(), 121);

  // Through the gateway over HTTPS, verified against the deployment's CA, as a viewer.
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file(Ca("ca.pem"));
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(gateway.port())));
  stream.handshake(asio::ssl::stream_base::client);  // throws if the certificate does not verify
  http::request<http::string_body> req{http::verb::post, "/luoshi.v1.TaskService/ListPlans", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/grpc-web+proto");
  req.set(http::field::authorization, "Bearer " + testing::ProgramTokens().For({"浏览者", "", Role::kViewer}));
  req.body() = std::string(5, '\0');  // one empty message
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  ASSERT_EQ(res.result_int(), 200u);
  const std::string& body = res.body();
  ASSERT_GT(body.size(), 5u);
  v1::ListPlansResponse through_gateway;
  size_t len = 0;
  for (int i = 1; i <= 4; ++i) len = (len << 8) | static_cast<unsigned char>(body[i]);
  ASSERT_EQ(body[0], '\0');
  ASSERT_TRUE(through_gateway.ParseFromString(body.substr(5, len)));
  ASSERT_EQ(through_gateway.plans_size(), 1);
  EXPECT_EQ(through_gateway.plans(0).id(), plans.plans(0).id());
  EXPECT_NE(body.find("grpc-status: 0\r\n", 5 + len), std::string::npos) << body.substr(5 + len);

  for (ServiceProcess* p : {&gateway, &ingestion, &tasks, &indicators}) EXPECT_EQ(p->Stop(), 0) << p->Log();
}

}  // namespace
}  // namespace luoshi
