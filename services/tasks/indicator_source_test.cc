#include "services/tasks/indicator_source.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "services/common/decimal.h"

namespace luoshi::tasks {
namespace {

// A stand-in indicator service holding two vintages of GDP growth for two periods.
class FakeIndicatorService final : public v1::IndicatorService::Service {
 public:
  grpc::Status QueryObservations(grpc::ServerContext* context, const v1::QueryObservationsRequest* req,
                                 v1::QueryObservationsResponse* resp) override {
    ++calls;
    last_request = *req;
    auto auth = context->client_metadata().find("authorization");
    if (auth != context->client_metadata().end()) authorization = std::string(auth->second.data(), auth->second.size());
    if (req->indicator_ids(0) != "gdp") return grpc::Status::OK;
    Add(resp, "2022", 48, 1);
    Add(resp, "2023", 52, 1);
    Add(resp, "2021", 70, 1);
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
  v1::QueryObservationsRequest last_request;
  std::string authorization;

 private:
  static void Add(v1::QueryObservationsResponse* resp, const std::string& period, int unscaled,
                  int scale) {
    v1::Observation* o = resp->add_observations();
    o->set_indicator_id("gdp");
    o->set_period(period);
    *o->mutable_value()->mutable_value() = MakeDecimal(unscaled, scale);
    o->mutable_value()->set_unit("%");
    o->set_change_direction(v1::CHANGE_DIRECTION_UP);
    o->set_status(v1::OBSERVATION_STATUS_ACTUAL);
  }
};

TEST(IndicatorSourceTest, LatestActualFromPeerIsCached) {
  FakeIndicatorService fake;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&fake);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  GrpcIndicatorActuals source(
      v1::IndicatorService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                        grpc::InsecureChannelCredentials())),
      &clock, "tasks-service-token", absl::Seconds(5), absl::Seconds(60));
  EXPECT_EQ(source.LatestActual("gdp", "大兴区"), "增长5.2% (2023)");
  EXPECT_EQ(fake.last_request.region(), "大兴区");
  EXPECT_EQ(fake.authorization, "Bearer tasks-service-token");
  EXPECT_EQ(fake.last_request.status(), v1::OBSERVATION_STATUS_ACTUAL);
  EXPECT_EQ(source.LatestActual("gdp", "大兴区"), "增长5.2% (2023)");
  EXPECT_EQ(fake.calls.load(), 1);
  clock.Advance(absl::Seconds(61));
  EXPECT_EQ(source.LatestActual("gdp", "大兴区"), "增长5.2% (2023)");
  EXPECT_EQ(fake.calls.load(), 2);
  EXPECT_EQ(source.LatestActual("pm25", "大兴区"), "");
  server->Shutdown();
}

TEST(IndicatorSourceTest, UnreachablePeerLeavesTheFieldEmptyWithinTheDeadline) {
  // Reserve a port, then close it so nothing listens there.
  int port = 0;
  {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    auto server = builder.BuildAndStart();
    server->Shutdown();
  }
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  GrpcIndicatorActuals source(
      v1::IndicatorService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                        grpc::InsecureChannelCredentials())),
      &clock, "", absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  EXPECT_EQ(source.LatestActual("gdp", "大兴区"), "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // The failure is cached too: the next call does not wait again.
  const absl::Time again = absl::Now();
  EXPECT_EQ(source.LatestActual("gdp", "大兴区"), "");
  EXPECT_LT(absl::Now() - again, absl::Milliseconds(50));
}

}  // namespace
}  // namespace luoshi::tasks
