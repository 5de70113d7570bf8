// CSV records as spreadsheet programs read them: RFC 4180 quoting, CRLF line ends, UTF-8. Exports start
// with kUtf8Bom once so that Excel opens Chinese text correctly. Shared by every service's CSV export.
// Text that would run as a formula when the file is opened (CSV injection) is neutralised.
#ifndef LUOSHI_SERVICES_COMMON_CSV_H_
#define LUOSHI_SERVICES_COMMON_CSV_H_

#include <string>
#include <vector>

namespace luoshi {

inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

// True for a cell that a spreadsheet program would evaluate: it begins with =, @, a tab or a carriage
// return, or with + or - and is neither a lone sign nor a plain signed number (-, -2.3 and +5% stay).
bool StartsLikeFormula(const std::string& value);
// The field as written in a record: a cell that starts like a formula gets a leading ' (shown as text,
// as spreadsheet programs expect); quoted when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvField(const std::string& value);
// Appends one record (fields joined by commas, CRLF at the end).
void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out);
// One record as a string (what AppendCsvRecord appends).
std::string CsvLine(const std::vector<std::string>& fields);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_CSV_H_
