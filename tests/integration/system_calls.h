// Test helper for the whole-system tests (pipeline_test.cc, replicas_test.cc, …): the reads they make of the
// running services to see where the documents' figures and tasks went, and the one-task plan several of
// them report on, each through a real gRPC client as an administrator. Failed calls are test failures;
// header-only.
#ifndef LUOSHI_TESTS_INTEGRATION_SYSTEM_CALLS_H_
#define LUOSHI_TESTS_INTEGRATION_SYSTEM_CALLS_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/server.h"
#include "tests/common/process.h"

namespace luoshi::testing {

// A 30 s deadline and an administrator's token named `user`.
inline void PrepareAdminCall(grpc::ClientContext* ctx, const std::string& user) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ProgramTokens().Attach(AdminIdentity(user), ctx);
}

struct OneTaskPlan {
  std::string plan_id;
  std::string task_id;
};

// Imports through the task service at `address` a 2023 plan of 大兴区 keyed `key` with one task, numbered
// "1", reading `text`, for `unit`; returns its ids ("" after a failed call).
inline OneTaskPlan ImportOneTaskPlan(const std::string& address, const std::string& key, const std::string& text,
                                     const std::string& unit, const std::string& user) {
  auto stub = v1::TaskService::NewStub(MakeChannel(address));
  v1::ImportPlanRequest plan;
  plan.set_document_id(key + "-doc");
  std::string sha256 = key;  // a distinct stand-in per plan
  sha256.resize(64, '0');
  plan.set_document_sha256(sha256);
  plan.set_plan_key(key);
  plan.set_title(key + " 测试方案");
  plan.set_year(2023);
  plan.set_region("大兴区");
  v1::TaskDefinition* task = plan.add_tasks();
  task->set_number("1");
  task->set_text(text);
  task->add_responsible_units(unit);
  v1::ImportPlanResponse imported;
  grpc::ClientContext ctx;
  PrepareAdminCall(&ctx, user);
  grpc::Status s = stub->ImportPlan(&ctx, plan, &imported);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (!s.ok()) return {};
  v1::ListTasksRequest list;
  list.mutable_filter()->set_plan_id(imported.plan().id());
  v1::ListTasksResponse listed;
  grpc::ClientContext lc;
  PrepareAdminCall(&lc, user);
  s = stub->ListTasks(&lc, list, &listed);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(listed.tasks_size(), 1);
  return {imported.plan().id(), listed.tasks_size() == 1 ? listed.tasks(0).id() : ""};
}

// Every observation (all vintages) the indicator service at `address` holds, paged through; -1 after a
// failed call.
inline int CountObservationsAt(const std::string& address, const std::string& user) {
  auto stub = v1::IndicatorService::NewStub(MakeChannel(address));
  v1::QueryObservationsRequest req;
  req.set_all_vintages(true);
  req.mutable_page()->set_page_size(1000);
  int n = 0;
  do {
    v1::QueryObservationsResponse resp;
    grpc::ClientContext ctx;
    PrepareAdminCall(&ctx, user);
    grpc::Status s = stub->QueryObservations(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return -1;
    n += resp.observations_size();
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  return n;
}

// Waits (at most `limit`) until no delivery of the documents `ids` is pending, asking the ingestion
// service at `address`; false on time-out or a failed call.
inline bool WaitForDeliveriesAt(const std::string& address, const std::vector<std::string>& ids,
                                absl::Duration limit, const std::string& user) {
  auto stub = v1::IngestionService::NewStub(MakeChannel(address));
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    bool all_done = true;
    for (const std::string& id : ids) {
      v1::GetDocumentRequest req;
      req.set_document_id(id);
      v1::Document doc;
      grpc::ClientContext ctx;
      PrepareAdminCall(&ctx, user);
      if (!stub->GetDocument(&ctx, req, &doc).ok()) return false;
      for (const v1::Delivery& d : doc.deliveries()) {
        if (d.state() == v1::DELIVERY_STATE_PENDING) all_done = false;
      }
    }
    if (all_done) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

}  // namespace luoshi::testing

#endif  // LUOSHI_TESTS_INTEGRATION_SYSTEM_CALLS_H_
