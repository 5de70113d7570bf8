#include "services/common/log.h"

#include <vector>

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

TEST(LogFormatTest, ParsesTheThreeFormatsAndNothingElse) {
  LogFormat f;
  ASSERT_TRUE(ParseLogFormat("", &f));
  EXPECT_EQ(f, LogFormat::kJsonStderr);
  ASSERT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJsonStdout);
  ASSERT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", &f));
  EXPECT_FALSE(ParseLogFormat("yaml", &f));
}

TEST(LogFormatTest, JsonAndTextLinesOfOneEvent) {
  const absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 12, 7, 9, 10, 0), absl::UTCTimeZone()) +
                       absl::Milliseconds(123);
  const std::vector<LogField> fields = {{"addr", "0.0.0.0:7103"}, {"error", "no such file"}, {"empty", ""}};
  EXPECT_EQ(FormatLogLine(LogFormat::kJsonStdout, t, LogLevel::kWarning, "tasks", "cannot open", fields),
            "{\"ts\":\"2026-12-07T09:10:00.123Z\",\"level\":\"warning\",\"service\":\"tasks\",\"msg\":"
            "\"cannot open\",\"addr\":\"0.0.0.0:7103\",\"error\":\"no such file\",\"empty\":\"\"}\n");
  // Values with spaces (or nothing) are quoted, so that the line still splits on spaces.
  EXPECT_EQ(FormatLogLine(LogFormat::kText, t, LogLevel::kWarning, "tasks", "cannot open", fields),
            "2026-12-07T09:10:00.123Z WARNING tasks cannot open addr=0.0.0.0:7103 error=\"no such file\" "
            "empty=\"\"\n");
}

}  // namespace
}  // namespace luoshi
