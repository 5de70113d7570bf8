// The real service on 127.0.0.1:0 (ServiceHost, as in production), called through a generated stub.
#include "services/indicators/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/indicators/csv.h"
#include "services/indicators/format.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

using testing_util::Obs;

class IndicatorGrpcServiceTest : public testing_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    grpc_service_ = std::make_unique<GrpcService>(service_.get(), tokens_.authenticator());
    host_ = std::make_unique<ServiceHost>("indicators-test", IndicatorServerLimits());
    host_->AddService(grpc_service_.get(), "luoshi.v1.IndicatorService");
    ASSERT_TRUE(host_->Start("127.0.0.1:0").ok());
    ASSERT_GT(host_->port(), 0);
    auto channel =
        grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()), grpc::InsecureChannelCredentials());
    stub_ = v1::IndicatorService::NewStub(channel);
  }
  void TearDown() override { host_->Shutdown(absl::Seconds(1)); }

  // A call as `who` (the ingestion service, which records what it extracts, by default).
  std::unique_ptr<grpc::ClientContext> Context(const Identity& who = ServiceIdentity()) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tokens_.Attach(who, c.get());
    return c;
  }

  TestTokens tokens_;
  std::unique_ptr<GrpcService> grpc_service_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<v1::IndicatorService::Stub> stub_;
};

TEST_F(IndicatorGrpcServiceTest, RecordThenSeriesAndCompareOverTheWire) {
  v1::RecordObservationsRequest req;
  *req.add_observations() = Obs("doc000#1")
                                .Period("2020H1")
                                .Fall("3.2")
                                .Document("doc000")
                                .Sentence("上半年GDP下降3.2%、降幅较一季度收窄3.4个百分点");
  *req.add_observations() = Obs("doc001#1").Period("2024").Growth("5.2").Document("doc001");
  *req.add_observations() = Obs("doc004#1").Target().Period("2024").Growth("4.5").Bound(v1::BOUND_AT_LEAST);
  v1::RecordObservationsResponse rec;
  grpc::Status s = stub_->RecordObservations(Context().get(), req, &rec);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rec.recorded(), 3);
  s = stub_->RecordObservations(Context().get(), req, &rec);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(rec.unchanged(), 3);

  v1::GetSeriesRequest sreq;
  sreq.set_indicator_id("gdp");
  sreq.set_region("大兴区");
  v1::Series series;
  s = stub_->GetSeries(Context().get(), sreq, &series);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(series.points_size(), 2);
  EXPECT_EQ(series.points(0).period(), "2020H1");
  EXPECT_EQ(series.points(0).observation().provenance().sentence(),
            "上半年GDP下降3.2%、降幅较一季度收窄3.4个百分点");
  EXPECT_NE(FormatSeries(series).find("下降3.2%"), std::string::npos) << FormatSeries(series);

  v1::CompareTargetsRequest creq;
  creq.set_region("beijing.daxing");
  creq.set_year(2024);
  v1::CompareTargetsResponse cmp;
  s = stub_->CompareTargets(Context().get(), creq, &cmp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(cmp.comparisons_size(), 1);
  EXPECT_EQ(FormatComparison(cmp.comparisons(0), "地区生产总值"),
            "地区生产总值 2024  [met]  target ≥4.5%, actual 5.2%: met by 0.7 pp");
}

TEST_F(IndicatorGrpcServiceTest, ErrorsArriveWithTheirCodeAndMessage) {
  v1::RecordObservationsRequest req;
  *req.add_observations() = Obs("a");
  *req.add_observations() = Obs("b").Period("2024年");
  v1::RecordObservationsResponse rec;
  grpc::Status s = stub_->RecordObservations(Context().get(), req, &rec);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("observation 1"), std::string::npos) << s.error_message();

  v1::GetIndicatorRequest ireq;
  ireq.set_id("unknown-indicator");
  v1::Indicator ind;
  EXPECT_EQ(stub_->GetIndicator(Context().get(), ireq, &ind).error_code(), grpc::StatusCode::NOT_FOUND);
  ireq.set_id("亦庄");
  EXPECT_EQ(stub_->GetIndicator(Context().get(), ireq, &ind).error_code(), grpc::StatusCode::NOT_FOUND);
  ireq.set_id("PM2.5浓度");
  ASSERT_TRUE(stub_->GetIndicator(Context().get(), ireq, &ind).ok());
  EXPECT_EQ(ind.id(), "pm25");
}

TEST_F(IndicatorGrpcServiceTest, ExportStreamsCsvChunks) {
  v1::RecordObservationsRequest req;
  for (int i = 0; i < 2000; ++i)
    *req.add_observations() =
        Obs("k" + std::to_string(i)).Period(std::to_string(1900 + i / 12) + "-" + std::to_string(i % 12 + 1));
  v1::RecordObservationsResponse rec;
  ASSERT_TRUE(stub_->RecordObservations(Context().get(), req, &rec).ok());
  auto context = Context();
  auto reader = stub_->ExportObservations(context.get(), v1::ExportObservationsRequest());
  v1::ExportChunk chunk;
  std::string csv;
  int chunks = 0;
  while (reader->Read(&chunk)) {
    csv += chunk.data();
    ++chunks;
  }
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GT(chunks, 1) << "a large export arrives in several chunks";
  EXPECT_EQ(csv.rfind(kUtf8Bom, 0), 0u);
  size_t rows = 0;
  for (size_t p = 0; (p = csv.find("\r\n", p)) != std::string::npos; p += 2) ++rows;
  EXPECT_EQ(rows, 2001u);
}

TEST_F(IndicatorGrpcServiceTest, ListsCatalog) {
  v1::ListIndicatorsResponse inds;
  ASSERT_TRUE(stub_->ListIndicators(Context().get(), v1::ListIndicatorsRequest(), &inds).ok());
  EXPECT_EQ(inds.indicators_size(), catalog_->catalog().indicators_size());
  v1::ListRegionsResponse regions;
  ASSERT_TRUE(stub_->ListRegions(Context().get(), v1::ListRegionsRequest(), &regions).ok());
  EXPECT_EQ(regions.regions_size(), catalog_->catalog().regions_size());
}

TEST_F(IndicatorGrpcServiceTest, OnlyTheIngestionServiceAndAdminsRecord) {
  v1::RecordObservationsRequest req;
  *req.add_observations() = Obs("doc009#1").Period("2024").Growth("5.0").Document("doc009");
  v1::RecordObservationsResponse rec;
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->RecordObservations(&anonymous, req, &rec).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  for (const Identity& who : {Identity{"张三", "区统计局", Role::kOffice}, Identity{"李四", "", Role::kSupervisor},
                              Identity{"公众", "", Role::kViewer}}) {
    grpc::Status s = stub_->RecordObservations(Context(who).get(), req, &rec);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << RoleName(who.role);
    EXPECT_NE(s.error_message().find("may not record observations"), std::string::npos) << s.error_message();
  }
  EXPECT_TRUE(stub_->RecordObservations(Context(AdminIdentity()).get(), req, &rec).ok());
  v1::ListIndicatorsResponse listed;
  EXPECT_TRUE(stub_->ListIndicators(Context({"公众", "", Role::kViewer}).get(), {}, &listed).ok());
}

}  // namespace
}  // namespace luoshi::indicators
