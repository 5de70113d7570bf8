// Period codes of Luoshi observations: parsing, normalizing and ordering.
//
// A period is a span of whole months inside one calendar year. Reports name the same span in several
// ways ("2020H1" 上半年 and "2020M01-M06" 1-6月; "2020Q1" and "2020M01-M03"), so every code is parsed
// to (year, first month, last month) and printed back in one canonical spelling:
//
//   months 1-12 -> "2020"      months 1-6 / 7-12 -> "2020H1" / "2020H2"
//   a quarter   -> "2020Q3"    one month         -> "2020-07"
//   any other run of months starting in January -> "2020M01-M09" (cumulative, 前三季度 / 1-9月)
//   any other run of months                      -> "2020M04-M08"
//
// Different spans stay different periods: the annual point "2020" and the half-year point "2020H1"
// are never merged. This header has no storage or RPC dependencies; any service may use it.
#ifndef LUOSHI_SERVICES_COMMON_PERIOD_H_
#define LUOSHI_SERVICES_COMMON_PERIOD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace luoshi {

struct Period {
  int year = 0;         // 1900..2999
  int first_month = 1;  // 1..12
  int last_month = 12;  // first_month..12

  // Sortable integers: year * 100 + month.
  int StartKey() const { return year * 100 + first_month; }
  int EndKey() const { return year * 100 + last_month; }
  bool IsYear() const { return first_month == 1 && last_month == 12; }
  int MonthCount() const { return last_month - first_month + 1; }

  friend bool operator==(const Period& a, const Period& b) {
    return a.year == b.year && a.first_month == b.first_month && a.last_month == b.last_month;
  }
  friend bool operator!=(const Period& a, const Period& b) { return !(a == b); }
  // Chronological by start, then shorter spans first ("2020Q1" < "2020H1" < "2020").
  friend bool operator<(const Period& a, const Period& b) {
    if (a.StartKey() != b.StartKey()) return a.StartKey() < b.StartKey();
    return a.last_month < b.last_month;
  }
};

// Accepts "2024", "2024H1", "2024H2", "2024Q1".."2024Q4", "2024-07" (also "2024-7", "2024M07"),
// "2024M01-M06" (also "2024M01-06", "2024M1-M6"). Lower-case letters are accepted.
// INVALID_ARGUMENT, with the accepted forms in the message, for anything else.
absl::StatusOr<Period> ParsePeriod(std::string_view code);

// The canonical code of a period (see the header comment).
std::string FormatPeriod(const Period& period);

// ParsePeriod followed by FormatPeriod.
absl::StatusOr<std::string> NormalizePeriodCode(std::string_view code);

// The whole calendar year.
Period YearPeriod(int year);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_PERIOD_H_
