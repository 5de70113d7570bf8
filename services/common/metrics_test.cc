#include "services/common/metrics.h"

#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/metrics_server.h"

namespace luoshi::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CountersAndGaugesWithLabelsInTheTextFormat) {
  Registry registry;
  Family<Counter>& requests =
      registry.AddCounter("app_requests_total", "Requests served.", {"method", "code"});
  requests.With({"/a.B/Get", "OK"}).Add();
  requests.With({"/a.B/Get", "OK"}).Add(2);
  requests.With({"/a.B/Get", "NOT_FOUND"}).Add();
  registry.AddGauge("app_open", "Open things.").With({}).Set(4.5);
  EXPECT_EQ(registry.TextExposition(),
            "# HELP app_open Open things.\n"
            "# TYPE app_open gauge\n"
            "app_open 4.5\n"
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{method=\"/a.B/Get\",code=\"NOT_FOUND\"} 1\n"
            "app_requests_total{method=\"/a.B/Get\",code=\"OK\"} 3\n");
}

TEST(MetricsTest, SameNameAndLabelValuesGiveTheSameCell) {
  Registry registry;
  Counter& a = registry.AddCounter("c_total", "h", {"k"}).With({"v"});
  Counter& b = registry.AddCounter("c_total", "h", {"k"}).With({"v"});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &registry.AddCounter("c_total", "h", {"k"}).With({"w"}));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  Histogram& h = registry.AddHistogram("lat_seconds", "Latency.", {"route"}, {0.1, 1}).With({"x"});
  h.Observe(0.05);
  h.Observe(0.1);  // on a bound: counted in that bucket ("less than or equal")
  h.Observe(0.5);
  h.Observe(7);
  EXPECT_EQ(registry.TextExposition(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"x\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{route=\"x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"x\"} 7.65\n"
            "lat_seconds_count{route=\"x\"} 4\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeHelp("line\\one\nline \"two\""), "line\\\\one\\nline \"two\"");
  Registry registry;
  registry.AddCounter("odd_total", "Two\nlines.", {"v"}).With({"say \"hi\""}).Add();
  std::string text = registry.TextExposition();
  EXPECT_THAT(text, HasSubstr("# HELP odd_total Two\\nlines.\n"));
  EXPECT_THAT(text, HasSubstr("odd_total{v=\"say \\\"hi\\\"\"} 1\n"));
}

TEST(MetricsTest, FormatsValuesAsTheFormatWants) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.0025), "0.0025");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsTest, FunctionMetricIsComputedAtScrapeAndGoesWithItsHandle) {
  Registry registry;
  int backlog = 3;
  {
    FunctionHandle handle =
        registry.AddFunction("backlog", "Rows waiting.", Type::kGauge, [&backlog] { return backlog; });
    EXPECT_THAT(registry.TextExposition(), HasSubstr("# TYPE backlog gauge\nbacklog 3\n"));
    backlog = 5;
    EXPECT_THAT(registry.TextExposition(), HasSubstr("backlog 5\n"));
  }
  EXPECT_THAT(registry.TextExposition(), Not(HasSubstr("backlog")));
}

TEST(MetricsTest, ARegistrationThatReplacedAnotherOutlivesTheOldHandle) {
  Registry registry;
  FunctionHandle first = registry.AddFunction("f", "h", Type::kGauge, [] { return 1.0; });
  FunctionHandle second = registry.AddFunction("f", "h", Type::kGauge, [] { return 2.0; });
  first = FunctionHandle();  // drops the first registration
  EXPECT_THAT(registry.TextExposition(), HasSubstr("\nf 2\n"));
}

TEST(MetricsTest, ACallbackMayUseOtherMetrics) {
  Registry registry;
  FunctionHandle handle = registry.AddFunction("outer", "h", Type::kGauge, [&registry] {
    registry.AddCounter("inner_total", "h").With({}).Add();
    return 1.0;
  });
  EXPECT_THAT(registry.TextExposition(), HasSubstr("outer 1\n"));
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  Counter& counter = registry.AddCounter("n_total", "h").With({});
  Histogram& histogram = registry.AddHistogram("d_seconds", "h", {}, LatencyBuckets()).With({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Add();
        histogram.Observe(0.5);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter.Value(), 40000);
  Histogram::Snapshot s = histogram.Read();
  EXPECT_EQ(s.cumulative.back(), 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000);
}

TEST(MetricsServerTest, RefusesAMalformedAddressWithTheFlagsName) {
  for (const char* address : {"9464", "127.0.0.1:port", "127.0.0.1:70000", "metrics.local:9464"}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(address, &DefaultRegistry());
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_THAT(server.status().message(), HasSubstr("--metrics_listen")) << address;
  }
}

TEST(MetricsServerTest, PortZeroPicksAPort) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0", &DefaultRegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
}

}  // namespace
}  // namespace luoshi::metrics
