#include "services/common/time.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(TimeTest, TimestampsRoundTripToTheMicrosecond) {
  const absl::Time t = absl::FromUnixMicros(1685512800123456);
  google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1685512800);
  EXPECT_EQ(ts.nanos(), 123456000);
  EXPECT_EQ(FromTimestamp(ts), t);
}

TEST(TimeTest, PeopleSeeChinaStandardTime) {
  // 2023-05-31 06:00 UTC is 14:00 in Beijing.
  EXPECT_EQ(FormatDisplayTime(ToTimestamp(absl::FromUnixSeconds(1685512800))), "2023-05-31 14:00");
  EXPECT_EQ(FormatDisplayTime(ToTimestamp(absl::FromUnixSeconds(1685512800)), absl::UTCTimeZone()),
            "2023-05-31 06:00");
  EXPECT_EQ(FormatDisplayTime(google::protobuf::Timestamp()), "");
}

}  // namespace
}  // namespace luoshi
