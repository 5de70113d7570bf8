#include "services/common/time.h"

#include "google/protobuf/util/time_util.h"

namespace luoshi {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::TimeZone DisplayZone() { return absl::FixedTimeZone(8 * 60 * 60); }

std::string FormatDisplayTime(const google::protobuf::Timestamp& ts, absl::TimeZone zone) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), zone);
}

}  // namespace luoshi
