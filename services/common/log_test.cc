#include "services/common/log.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(LogTimestampTest, SameAsFormattingEachTimeWhole) {
  // Instants within one second (the cached part), across a second and a day, and before 1970.
  absl::Time base = absl::FromCivil(absl::CivilSecond(2026, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  for (absl::Duration d : {absl::ZeroDuration(), absl::Milliseconds(7), absl::Milliseconds(999),
                           absl::Milliseconds(999) + absl::Microseconds(999), absl::Seconds(1),
                           absl::Milliseconds(1042), absl::Hours(-24 * 365 * 60) + absl::Milliseconds(5)}) {
    absl::Time t = base + d;
    EXPECT_EQ(LogTimestamp(t), absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone()));
  }
  EXPECT_EQ(LogTimestamp(base + absl::Milliseconds(1042)), "2027-01-01T00:00:00.042Z");
}

}  // namespace
}  // namespace luoshi
