#include "services/common/wire.h"

#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.pb.h"

namespace luoshi::wire {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

v1::Observation Sample() {
  v1::Observation o;
  o.set_source_key("doc#1");
  o.set_indicator_id("gdp");
  o.set_region("beijing.daxing");
  o.set_period("2024H1");
  o.set_measure(v1::MEASURE_GROWTH_RATE);
  o.mutable_value()->mutable_value()->set_unscaled(-52);
  o.mutable_value()->mutable_value()->set_scale(1);
  o.mutable_value()->set_unit("%");
  o.mutable_provenance()->set_sentence("上半年地区生产总值增长5.2%");
  return o;
}

TEST(WireTest, AppendedIdAndTimestampDecodeAsSetFields) {
  for (int64_t micros : {int64_t{0}, int64_t{1767225600123456}, int64_t{-1500001}, int64_t{999}}) {
    const v1::Observation body = Sample();
    std::string bytes = body.SerializeAsString();
    AppendBytesField(v1::Observation::kIdFieldNumber, std::string("obs-42"), &bytes);
    AppendTimestampField(v1::Observation::kRecordedAtFieldNumber, micros, &bytes);
    v1::Observation decoded;
    ASSERT_TRUE(decoded.ParseFromString(bytes));
    v1::Observation expected = body;
    expected.set_id("obs-42");
    *expected.mutable_recorded_at() = TimeUtil::MicrosecondsToTimestamp(micros);
    EXPECT_TRUE(MessageDifferencer::Equals(decoded, expected)) << micros << "\n" << decoded.DebugString();
  }
}

TEST(WireTest, AssembledSeriesEqualsTheBuiltOne) {
  v1::Series built;
  built.mutable_indicator()->set_id("gdp");
  built.mutable_region()->set_name("大兴区");
  v1::SeriesPoint* p = built.add_points();
  p->set_period("2024H1");
  *p->mutable_observation() = Sample();
  *p->add_history() = Sample();
  p->mutable_history(0)->set_source_key("older");

  std::string point;
  AppendBytesField(v1::SeriesPoint::kPeriodFieldNumber, std::string("2024H1"), &point);
  AppendBytesField(v1::SeriesPoint::kObservationFieldNumber, Sample().SerializeAsString(), &point);
  AppendBytesField(v1::SeriesPoint::kHistoryFieldNumber, p->history(0).SerializeAsString(), &point);
  std::string series;
  AppendMessageField(v1::Series::kIndicatorFieldNumber, built.indicator(), &series);
  AppendMessageField(v1::Series::kRegionFieldNumber, built.region(), &series);
  AppendBytesField(v1::Series::kPointsFieldNumber, point, &series);
  EXPECT_EQ(series, built.SerializeAsString()) << "same field order, so the same bytes";
}

TEST(WireTest, VarintsAndZeroFields) {
  std::string out;
  AppendVarint(300, &out);
  EXPECT_EQ(out, std::string("\xac\x02", 2));
  out.clear();
  AppendIntField(3, 0, &out);
  EXPECT_TRUE(out.empty()) << "proto3 leaves zero out";
  AppendIntField(1, -1, &out);
  EXPECT_EQ(out.size(), 11u) << "negative int64 is ten varint bytes after the tag";
}

}  // namespace
}  // namespace luoshi::wire
