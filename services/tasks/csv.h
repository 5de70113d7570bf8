// CSV of task lists and ledgers (RFC 4180 quoting, UTF-8; the caller prepends the BOM once).
#ifndef LUOSHI_SERVICES_TASKS_CSV_H_
#define LUOSHI_SERVICES_TASKS_CSV_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/time.h"
#include "luoshi/v1/tasks.pb.h"
#include "services/common/csv.h"  // CsvLine, kUtf8Bom

namespace luoshi::tasks {

std::string TaskCsvHeader();
std::string TaskCsvRow(const v1::Task& task, absl::TimeZone zone);
std::string LedgerCsvHeader(v1::LedgerGrouping grouping);
std::string LedgerCsvRow(const v1::LedgerRow& row, absl::TimeZone zone);


}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_CSV_H_
