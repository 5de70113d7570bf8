// CSV rendering of observations for ExportObservations: RFC 4180 quoting, CRLF line ends, UTF-8 with a
// byte-order mark first so that Excel opens Chinese text correctly.
#ifndef LUOSHI_SERVICES_INDICATORS_CSV_H_
#define LUOSHI_SERVICES_INDICATORS_CSV_H_

#include <string>
#include <vector>

#include "luoshi/v1/indicators.pb.h"
#include "services/common/csv.h"  // CsvField, AppendCsvRecord, kUtf8Bom

namespace luoshi::indicators {

// The header record of an observation export (without BOM).
std::vector<std::string> ObservationCsvHeader();
// One record: the observation's fields plus the display names the caller resolved from the catalog.
std::vector<std::string> ObservationCsvFields(const v1::Observation& o, const std::string& indicator_name,
                                              const std::string& region_name);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_CSV_H_
