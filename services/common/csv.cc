#include "services/common/csv.h"

namespace luoshi {

namespace {

// A signed plain number (-2.3, +5, -1.5%): spreadsheet programs read it as a number, not a formula.
bool IsSignedNumber(const std::string& value) {
  size_t i = 1;
  size_t digits = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i, ++digits;
  if (i < value.size() && value[i] == '.') {
    ++i;
    size_t fraction = 0;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i, ++fraction;
    if (fraction == 0) return false;
  }
  if (i < value.size() && value[i] == '%') ++i;
  return digits > 0 && i == value.size();
}

}  // namespace

bool StartsLikeFormula(const std::string& value) {
  if (value.empty()) return false;
  switch (value[0]) {
    case '=':
    case '@':
    case '\t':
    case '\r':
      return true;
    case '+':
    case '-':
      // A lone sign (the "-" of an empty field) runs nothing.
      return value.size() > 1 && !IsSignedNumber(value);
    default:
      return false;
  }
}

std::string CsvField(const std::string& raw) {
  // A cell a spreadsheet would run as a formula (=HYPERLINK(…), @SUM, +cmd|…) gets a leading ' so that
  // it shows as the text it is.
  const std::string neutral = StartsLikeFormula(raw) ? "'" + raw : std::string();
  const std::string& value = neutral.empty() ? raw : neutral;
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(CsvField(fields[i]));
  }
  out->append("\r\n");
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  AppendCsvRecord(fields, &out);
  return out;
}

}  // namespace luoshi
