// Time at Luoshi's edges, converted in one place. Instants are stored (SQLite: Unix microseconds) and sent
// (google.protobuf.Timestamp) in UTC; people see them in the display zone, China Standard Time (UTC+8),
// the zone of every office Luoshi serves. CST is a fixed offset (no daylight saving since 1991), so it
// needs no tz database on the machine or in a container. Civil dates (deadlines, reporting periods) are
// read in the same zone (tasks/rules.h).
#ifndef LUOSHI_SERVICES_COMMON_TIME_H_
#define LUOSHI_SERVICES_COMMON_TIME_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace luoshi {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

// The zone times are shown and civil dates are read in.
absl::TimeZone DisplayZone();

// "2023-05-31 14:00" in `zone` (the display zone by default), "" for an unset timestamp.
std::string FormatDisplayTime(const google::protobuf::Timestamp& ts, absl::TimeZone zone = DisplayZone());

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_TIME_H_
