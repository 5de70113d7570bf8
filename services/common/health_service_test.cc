// HealthService on a real gRPC server on a loopback port, called through the generated client: the
// protocol's answers, the watcher limit, and what shutdown tells Check and Watch.
#include "services/common/health_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace luoshi {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class HealthServiceTest : public ::testing::Test {
 protected:
  void StartServer(int max_watchers = kMaxHealthWatchers) {
    health_ = std::make_unique<HealthService>(max_watchers);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(health_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = Health::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now());
      server_->Wait();
    }
  }

  // Check's answer: the status name, or the error code's number and message.
  std::string Check(const std::string& service) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status s = stub_->Check(&ctx, req, &resp);
    if (!s.ok()) return absl::StrCat("error ", s.error_code(), ": ", s.error_message());
    return HealthCheckResponse::ServingStatus_Name(resp.status());
  }

  // One open Watch stream read on the test's thread.
  struct Watch {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
    // The next status sent, or "END" when the stream ended.
    std::string Next() {
      HealthCheckResponse resp;
      if (!reader->Read(&resp)) return "END";
      return HealthCheckResponse::ServingStatus_Name(resp.status());
    }
  };
  std::unique_ptr<Watch> OpenWatch(const std::string& service) {
    auto w = std::make_unique<Watch>();
    w->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    HealthCheckRequest req;
    req.set_service(service);
    w->reader = stub_->Watch(&w->ctx, req);
    return w;
  }

  // True once at most `n` Watch streams are registered (within 5 s): the service forgets a stream when
  // gRPC is done with it, a moment after the client has seen its end.
  bool WatchersDropTo(int n) {
    for (int i = 0; i < 500 && health_->watchers() > n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return health_->watchers() <= n;
  }

  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckAnswersKnownNamesAndNotFoundForOthers) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  health_->SetStatus("", true);
  health_->SetStatus("luoshi.v1.TaskService", false);
  EXPECT_EQ(Check(""), "SERVING");
  EXPECT_EQ(Check("luoshi.v1.TaskService"), "NOT_SERVING");
  const std::string unknown = Check("luoshi.v1.NoSuchService");
  EXPECT_TRUE(absl::StartsWith(unknown, absl::StrCat("error ", grpc::StatusCode::NOT_FOUND))) << unknown;
  EXPECT_TRUE(absl::StrContains(unknown, "luoshi.v1.NoSuchService")) << unknown;
  EXPECT_TRUE(absl::StrContains(unknown, "luoshi.v1.TaskService")) << "the message lists the known names";
}

TEST_F(HealthServiceTest, WatchSendsTheCurrentStatusThenEachChange) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  health_->SetStatus("svc", false);
  auto watch = OpenWatch("svc");
  EXPECT_EQ(watch->Next(), "NOT_SERVING");
  health_->SetStatus("svc", true);
  EXPECT_EQ(watch->Next(), "SERVING");
  health_->SetStatus("other", false);  // another name: nothing for this watcher
  health_->SetStatus("svc", true);     // no change: nothing sent
  health_->SetStatus("svc", false);
  EXPECT_EQ(watch->Next(), "NOT_SERVING");
}

TEST_F(HealthServiceTest, WatchOfAnUnknownNameSaysSoAndKeepsWatching) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto watch = OpenWatch("later");
  EXPECT_EQ(watch->Next(), "SERVICE_UNKNOWN");
  health_->SetStatus("later", true);
  EXPECT_EQ(watch->Next(), "SERVING");
}

TEST_F(HealthServiceTest, ShutdownSendsNotServingThenEndsEveryWatchWithUnavailable) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  health_->SetStatus("", true);
  health_->SetStatus("svc", true);
  auto whole = OpenWatch("");
  auto svc = OpenWatch("svc");
  auto unknown = OpenWatch("nope");
  EXPECT_EQ(whole->Next(), "SERVING");
  EXPECT_EQ(svc->Next(), "SERVING");
  EXPECT_EQ(unknown->Next(), "SERVICE_UNKNOWN");

  health_->Shutdown("the test service is shutting down");
  for (Watch* w : {whole.get(), svc.get()}) {
    EXPECT_EQ(w->Next(), "NOT_SERVING");
    EXPECT_EQ(w->Next(), "END");
    grpc::Status end = w->reader->Finish();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(end.error_message(), "the test service is shutting down");
  }
  EXPECT_EQ(unknown->Next(), "END");
  EXPECT_EQ(unknown->reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  // After shutdown began: Check says NOT_SERVING, changes are ignored, and a new Watch is told the
  // status and ended at once.
  health_->SetStatus("svc", true);
  EXPECT_EQ(Check("svc"), "NOT_SERVING");
  EXPECT_EQ(Check(""), "NOT_SERVING");
  auto late = OpenWatch("svc");
  EXPECT_EQ(late->Next(), "NOT_SERVING");
  EXPECT_EQ(late->Next(), "END");
  grpc::Status end = late->reader->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(end.error_message(), "shutting down")) << end.error_message();
  // The server forgets an ended stream once gRPC is done with it: a moment after the client sees the end.
  EXPECT_TRUE(WatchersDropTo(0)) << health_->watchers() << " watchers still registered";
}

TEST_F(HealthServiceTest, WatchersBeyondTheLimitAreRefusedUntilOneCloses) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*max_watchers=*/2));
  health_->SetStatus("", true);
  auto first = OpenWatch("");
  auto second = OpenWatch("");
  EXPECT_EQ(first->Next(), "SERVING");
  EXPECT_EQ(second->Next(), "SERVING");
  auto third = OpenWatch("");
  EXPECT_EQ(third->Next(), "END");
  grpc::Status refused = third->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "2 health Watch streams")) << refused.error_message();

  first->ctx.TryCancel();
  EXPECT_EQ(first->Next(), "END");
  EXPECT_EQ(first->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WatchersDropTo(1));
  auto fourth = OpenWatch("");
  EXPECT_EQ(fourth->Next(), "SERVING");
}

}  // namespace
}  // namespace luoshi
