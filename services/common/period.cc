#include "services/common/period.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/status_macros.h"
#include "services/common/utf8.h"

namespace luoshi {
namespace {

absl::Status InvalidPeriod(std::string_view code) {
  return absl::InvalidArgumentError(absl::StrCat(
      "period ", QuoteInput(absl::string_view(code.data(), code.size())),
      " is not a period code; write 2024, 2024H1, 2024H2, 2024Q1..2024Q4, 2024-07 or 2024M01-M06"));
}

// Reads 1 or 2 digits at `pos` as a month (1..12). Advances `pos`.
bool ReadMonth(std::string_view s, size_t* pos, int* month) {
  size_t i = *pos;
  int value = 0, digits = 0;
  while (i < s.size() && digits < 2 && std::isdigit(static_cast<unsigned char>(s[i]))) {
    value = value * 10 + (s[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || value < 1 || value > 12) return false;
  *pos = i;
  *month = value;
  return true;
}

bool Consume(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && std::toupper(static_cast<unsigned char>(s[*pos])) == c) {
    ++*pos;
    return true;
  }
  return false;
}

// Parses what follows the four-digit year.
bool ParseSuffix(std::string_view s, Period* p) {
  size_t pos = 0;
  if (s.empty()) return true;
  if (Consume(s, &pos, 'H')) {
    if (s.size() != 2 || (s[1] != '1' && s[1] != '2')) return false;
    p->first_month = s[1] == '1' ? 1 : 7;
    p->last_month = p->first_month + 5;
    return true;
  }
  if (Consume(s, &pos, 'Q')) {
    if (s.size() != 2 || s[1] < '1' || s[1] > '4') return false;
    p->first_month = (s[1] - '1') * 3 + 1;
    p->last_month = p->first_month + 2;
    return true;
  }
  if (Consume(s, &pos, '-')) {
    int m;
    if (!ReadMonth(s, &pos, &m) || pos != s.size()) return false;
    p->first_month = p->last_month = m;
    return true;
  }
  if (Consume(s, &pos, 'M')) {
    int first, last;
    if (!ReadMonth(s, &pos, &first)) return false;
    if (pos == s.size()) {
      p->first_month = p->last_month = first;
      return true;
    }
    if (!Consume(s, &pos, '-')) return false;
    Consume(s, &pos, 'M');
    if (!ReadMonth(s, &pos, &last) || pos != s.size() || last < first) return false;
    p->first_month = first;
    p->last_month = last;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Period> ParsePeriod(std::string_view code) {
  if (code.size() < 4) return InvalidPeriod(code);
  Period p;
  for (int i = 0; i < 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(code[i]))) return InvalidPeriod(code);
    p.year = p.year * 10 + (code[i] - '0');
  }
  if (p.year < 1900 || p.year > 2999) return InvalidPeriod(code);
  if (!ParseSuffix(code.substr(4), &p)) return InvalidPeriod(code);
  return p;
}

std::string FormatPeriod(const Period& p) {
  if (p.IsYear()) return absl::StrCat(p.year);
  if (p.MonthCount() == 6 && (p.first_month == 1 || p.first_month == 7)) {
    return absl::StrCat(p.year, p.first_month == 1 ? "H1" : "H2");
  }
  if (p.MonthCount() == 3 && (p.first_month - 1) % 3 == 0) {
    return absl::StrCat(p.year, "Q", (p.first_month - 1) / 3 + 1);
  }
  if (p.MonthCount() == 1) return absl::StrFormat("%d-%02d", p.year, p.first_month);
  return absl::StrFormat("%dM%02d-M%02d", p.year, p.first_month, p.last_month);
}

absl::StatusOr<std::string> NormalizePeriodCode(std::string_view code) {
  LUOSHI_ASSIGN_OR_RETURN(Period p, ParsePeriod(code));
  return FormatPeriod(p);
}

Period YearPeriod(int year) { return Period{year, 1, 12}; }

}  // namespace luoshi
