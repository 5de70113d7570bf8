// CSV rendering of observations for ExportObservations: RFC 4180 quoting, CRLF line ends, UTF-8 with a
// byte-order mark first so that Excel opens Chinese text correctly.
#ifndef LUOSHI_SERVICES_INDICATORS_CSV_H_
#define LUOSHI_SERVICES_INDICATORS_CSV_H_

#include <string>
#include <vector>

#include "luoshi/v1/indicators.pb.h"

namespace luoshi::indicators {

inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

// Quotes a field when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvField(const std::string& value);
// Appends one record (fields joined by commas, CRLF at the end).
void AppendCsvRecord(const std::vector<std::string>& fields, std::string* out);

// The header record of an observation export (without BOM).
std::vector<std::string> ObservationCsvHeader();
// One record: the observation's fields plus the display names the caller resolved from the catalog.
std::vector<std::string> ObservationCsvFields(const v1::Observation& o, const std::string& indicator_name,
                                              const std::string& region_name);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_CSV_H_
