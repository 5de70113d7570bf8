// GrpcDeliveryClient against real in-process peers on loopback: answers, deadlines, and recovery
// right after a peer comes back.
#include "services/ingestion/delivery_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"

namespace luoshi::ingestion {
namespace {

using ::testing::HasSubstr;

class FakeIndicators final : public v1::IndicatorService::Service {
 public:
  grpc::Status RecordObservations(grpc::ServerContext*, const v1::RecordObservationsRequest* request,
                                  v1::RecordObservationsResponse* response) override {
    if (request->observations_size() == 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "observations: at least one is required");
    }
    response->set_recorded(request->observations_size());
    return grpc::Status::OK;
  }
};

class IdentityRecordingTasks final : public v1::TaskService::Service {
 public:
  explicit IdentityRecordingTasks(const Authenticator* authenticator) : authenticator_(authenticator) {}
  grpc::Status ImportPlan(grpc::ServerContext* context, const v1::ImportPlanRequest* request,
                          v1::ImportPlanResponse*) override {
    absl::StatusOr<Identity> who = authenticator_->Authenticate(*context);
    if (!who.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(who.status().message()));
    user = who->user;
    role = who->role;
    on_behalf_of = request->on_behalf_of().user();
    return grpc::Status::OK;
  }
  std::string user;
  Role role = Role::kViewer;
  std::string on_behalf_of;

 private:
  const Authenticator* authenticator_;
};

class SlowTasks final : public v1::TaskService::Service {
 public:
  grpc::Status ImportPlan(grpc::ServerContext* context, const v1::ImportPlanRequest*,
                          v1::ImportPlanResponse*) override {
    while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    return grpc::Status(grpc::StatusCode::CANCELLED, "gave up");
  }
};

// A peer serving `service` on `address` ("127.0.0.1:0" picks a port).
std::unique_ptr<ServiceHost> StartPeer(grpc::Service* service, const std::string& address) {
  auto host = std::make_unique<ServiceHost>("peer");
  host->AddService(service, "peer");
  absl::Status s = host->Start(address);
  EXPECT_TRUE(s.ok()) << s;
  return host;
}

v1::RecordObservationsRequest OneObservation() {
  v1::RecordObservationsRequest request;
  request.add_observations()->set_source_key("abc:obs:0");
  return request;
}

TEST(GrpcDeliveryClientTest, PassesAnswersThroughAndEnforcesTheDeadline) {
  FakeIndicators indicators;
  SlowTasks tasks;
  auto indicators_host = StartPeer(&indicators, "127.0.0.1:0");
  auto tasks_host = StartPeer(&tasks, "127.0.0.1:0");
  GrpcDeliveryClient client(MakeChannel("127.0.0.1:" + std::to_string(indicators_host->port())),
                            MakeChannel("127.0.0.1:" + std::to_string(tasks_host->port())),
                            absl::Milliseconds(300), "");
  EXPECT_TRUE(client.RecordObservations(OneObservation()).ok());
  absl::Status invalid = client.RecordObservations(v1::RecordObservationsRequest());
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.message(), HasSubstr("at least one"));
  EXPECT_EQ(client.ImportPlan(v1::ImportPlanRequest()).code(), absl::StatusCode::kDeadlineExceeded);
  indicators_host->Shutdown(absl::ZeroDuration());
  tasks_host->Shutdown(absl::ZeroDuration());
}

TEST(GrpcDeliveryClientTest, CallsWithTheServiceTokenOnBehalfOfTheUploader) {
  TestTokens tokens;
  IdentityRecordingTasks tasks(tokens.authenticator());
  auto host = StartPeer(&tasks, "127.0.0.1:0");
  auto channel = MakeChannel("127.0.0.1:" + std::to_string(host->port()));
  GrpcDeliveryClient client(channel, channel, absl::Seconds(5), tokens.For(ServiceIdentity()));
  v1::ImportPlanRequest plan;
  plan.mutable_on_behalf_of()->set_user("督查室张三");
  EXPECT_TRUE(client.ImportPlan(plan).ok());
  EXPECT_EQ(tasks.user, "luoshi-ingestion");
  EXPECT_EQ(tasks.role, Role::kService);
  EXPECT_EQ(tasks.on_behalf_of, "督查室张三");
  // Without a token the peer refuses the call.
  GrpcDeliveryClient anonymous(channel, channel, absl::Seconds(5), "");
  EXPECT_EQ(anonymous.ImportPlan(plan).code(), absl::StatusCode::kUnauthenticated);
  host->Shutdown(absl::ZeroDuration());
}

TEST(GrpcDeliveryClientTest, FirstCallAfterThePeerReturnsGoesThrough) {
  FakeIndicators indicators;
  auto host = StartPeer(&indicators, "127.0.0.1:0");
  const std::string address = "127.0.0.1:" + std::to_string(host->port());
  GrpcDeliveryClient client(MakeChannel(address), MakeChannel(address), absl::Seconds(1), "");
  ASSERT_TRUE(client.RecordObservations(OneObservation()).ok());

  host->Shutdown(absl::ZeroDuration());
  // While the peer is away the channel fails and backs off on its own.
  for (int i = 0; i < 2; ++i) {
    absl::Status down = client.RecordObservations(OneObservation());
    EXPECT_TRUE(absl::IsUnavailable(down) || absl::IsDeadlineExceeded(down)) << down;
  }

  host = StartPeer(&indicators, address);
  EXPECT_TRUE(client.RecordObservations(OneObservation()).ok());
  host->Shutdown(absl::ZeroDuration());
}

}  // namespace
}  // namespace luoshi::ingestion
