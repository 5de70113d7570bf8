// TLS and mutual TLS on a real service, with certificates from deploy/tls/make-dev-ca.sh: a client with a
// certificate from the deployment's CA is served; a client without one, with one from another CA, or in
// plaintext is refused; plaintext on a non-loopback address and an unreadable CA stop a service at start.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/files.h"
#include "services/common/health_client.h"
#include "tests/common/process.h"

namespace luoshi {
namespace {

using ::luoshi::testing::AuthFlags;
using ::luoshi::testing::BinaryPath;
using ::luoshi::testing::FreshTestDir;
using ::luoshi::testing::RunShell;
using ::luoshi::testing::ServiceProcess;
using ::testing::HasSubstr;

// A file the test made itself (certificates from make-dev-ca.sh).
std::string Read(const std::string& path) { return ReadFileToString(path, "test").value_or(""); }

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("tls");
    std::string out;
    const std::string script = std::string(LUOSHI_SOURCE_DIR) + "/deploy/tls/make-dev-ca.sh";
    ASSERT_EQ(RunShell(absl::StrCat(script, " ", dir_, "/ca tasks cli"), &out), 0) << out;
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
    o.pem_root_certs = Read(Ca("ca.pem"));
    if (!client_dir.empty()) {
      o.pem_cert_chain = Read(absl::StrCat(dir_, "/", client_dir, "/cli.pem"));
      o.pem_private_key = Read(absl::StrCat(dir_, "/", client_dir, "/cli.key"));
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

}  // namespace
}  // namespace luoshi
