#include "services/tasks/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/tasks/rules.h"

namespace luoshi::tasks {

std::string TaskCsvHeader() {
  return CsvLine({"任务ID", "方案", "编号", "部分", "任务内容", "牵头领导", "责任单位", "配合单位",
                  "完成时限", "状态", "灯", "完成进度", "最近报告", "指标实际值"});
}

std::string TaskCsvRow(const v1::Task& t, absl::TimeZone zone) {
  const v1::TaskDefinition& d = t.definition();
  return CsvLine({t.id(), t.plan_id(), d.number(),
                  d.section_path().empty() ? "" : d.section_path(0), d.text(),
                  absl::StrJoin(d.lead_leaders(), "、"), absl::StrJoin(d.responsible_units(), "、"),
                  absl::StrJoin(d.cooperating_units(), "、"),
                  d.deadline().date().empty() ? d.deadline().text() : d.deadline().date(),
                  StatusLabel(t.status()), LightLabel(t.light()),
                  absl::StrCat(t.percent_complete(), "%"), FormatDisplayTime(t.last_report_at(), zone),
                  t.indicator_actual()});
}

std::string LedgerCsvHeader(v1::LedgerGrouping grouping) {
  const char* key = grouping == v1::LEDGER_GROUPING_LEADER    ? "牵头领导"
                    : grouping == v1::LEDGER_GROUPING_SECTION ? "部分"
                                                              : "责任单位";
  return CsvLine({key, "任务数", "已办结", "推进中", "未启动", "逾期", "办结率(%)", "最近报告",
                  "逾期任务"});
}

std::string LedgerCsvRow(const v1::LedgerRow& r, absl::TimeZone zone) {
  return CsvLine({r.key(), absl::StrCat(r.task_count()), absl::StrCat(r.done()),
                  absl::StrCat(r.in_progress()), absl::StrCat(r.not_started()),
                  absl::StrCat(r.overdue()), r.completion_rate(),
                  FormatDisplayTime(r.last_report_at(), zone), absl::StrJoin(r.overdue_task_ids(), " ")});
}

}  // namespace luoshi::tasks
