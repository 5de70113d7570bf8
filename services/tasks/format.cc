#include "services/tasks/format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/tasks/csv.h"
#include "services/tasks/rules.h"

namespace luoshi::tasks {
namespace {

// Decodes one UTF-8 sequence at `i`; returns its length (1 for invalid bytes).
int DecodeAt(const std::string& s, size_t i, uint32_t* cp) {
  const unsigned char c = s[i];
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  uint32_t v = c & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = v;
  return len;
}

int CellsOf(uint32_t cp) {
  if (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))) {
    return 2;
  }
  return 1;
}

std::string Time(const google::protobuf::Timestamp& ts) {
  std::string t = FormatDisplayTime(ts);
  return t.empty() ? "-" : t;
}

std::string Deadline(const v1::TaskDefinition& d) {
  if (!d.deadline().date().empty()) return d.deadline().date();
  return d.deadline().text().empty() ? "-" : d.deadline().text();
}

std::string Row(const std::vector<std::pair<std::string, int>>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += i + 1 == cells.size() ? cells[i].first : PadRight(cells[i].first, cells[i].second);
    if (i + 1 < cells.size()) line += "  ";
  }
  return line + "\n";
}

}  // namespace


int DisplayWidth(const std::string& text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    i += DecodeAt(text, i, &cp);
    width += CellsOf(cp);
  }
  return width;
}

std::string PadRight(const std::string& text, int width) {
  const int have = DisplayWidth(text);
  return have >= width ? text : text + std::string(width - have, ' ');
}

std::string Shorten(const std::string& text, int width) {
  if (DisplayWidth(text) <= width) return text;
  std::string out;
  int used = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const int len = DecodeAt(text, i, &cp);
    if (used + CellsOf(cp) > width - 1) break;
    used += CellsOf(cp);
    out.append(text, i, len);
    i += len;
  }
  return out + "…";
}

std::string FormatTaskLine(const v1::Task& t) {
  const v1::TaskDefinition& d = t.definition();
  const std::string unit = d.responsible_units().empty() ? "-" : d.responsible_units(0);
  return Row({{t.id(), 7},
              {d.number(), 4},
              {LightLabel(t.light()), 2},
              {StatusLabel(t.status()), 8},
              {absl::StrCat(t.percent_complete(), "%"), 4},
              {Deadline(d), 10},
              {Shorten(unit, 20), 20},
              {Shorten(d.text(), 40), 0}});
}

std::string FormatTaskList(const v1::ListTasksResponse& r) {
  std::string out = Row({{"ID", 7}, {"编号", 4}, {"灯", 2}, {"状态", 8}, {"进度", 4},
                         {"完成时限", 10}, {"责任单位", 20}, {"任务", 0}});
  for (const v1::Task& t : r.tasks()) out += FormatTaskLine(t);
  absl::StrAppend(&out, "共 ", r.total(), " 项", r.next_page_token().empty() ? "" : "（还有下一页）",
                  "\n");
  return out;
}

std::string FormatTask(const v1::TaskDetail& detail) {
  const v1::Task& t = detail.task();
  const v1::TaskDefinition& d = t.definition();
  std::string out;
  absl::StrAppend(&out, "任务 ", t.id(), "（方案 ", t.plan_id(), " 第", d.number(), "项）\n");
  if (!d.section_path().empty()) absl::StrAppend(&out, "部分：", absl::StrJoin(d.section_path(), " / "), "\n");
  absl::StrAppend(&out, "内容：", d.text(), "\n");
  absl::StrAppend(&out, "牵头领导：", absl::StrJoin(d.lead_leaders(), "、"), "\n");
  absl::StrAppend(&out, "责任单位：", absl::StrJoin(d.responsible_units(), "、"), "\n");
  if (!d.cooperating_units().empty()) {
    absl::StrAppend(&out, "配合单位：", absl::StrJoin(d.cooperating_units(), "、"), "\n");
  }
  absl::StrAppend(&out, "完成时限：", Deadline(d), "\n");
  absl::StrAppend(&out, "状态：", StatusLabel(t.status()), "  灯：", LightLabel(t.light()),
                  "  进度：", t.percent_complete(), "%  最近报告：", Time(t.last_report_at()), "\n");
  if (!d.indicator_id().empty()) {
    absl::StrAppend(&out, "指标：", d.indicator_id(), "  实际值：",
                    t.indicator_actual().empty() ? "暂无" : t.indicator_actual(), "\n");
  }
  for (const v1::Milestone& m : d.milestones()) absl::StrAppend(&out, "  节点：", m.text(), "\n");
  absl::StrAppend(&out, "\n进展报告（", detail.reports_size(), "）\n");
  for (const v1::ProgressReport& r : detail.reports()) {
    std::string progress = r.progress_case() == v1::ProgressReport::kPercent
                               ? absl::StrCat(r.percent(), "%")
                               : r.stage();
    absl::StrAppend(&out, "  ", r.period(), "  ", Time(r.reported_at()), "  ", r.unit(), " ",
                    r.reporter(), "  ", progress, r.claims_completion() ? "  申请办结" : "", "\n");
    if (!r.narrative().empty()) absl::StrAppend(&out, "    进展：", r.narrative(), "\n");
    if (!r.problems().empty()) absl::StrAppend(&out, "    问题：", r.problems(), "\n");
    if (!r.next_steps().empty()) absl::StrAppend(&out, "    下步：", r.next_steps(), "\n");
    for (const std::string& link : r.evidence_links()) absl::StrAppend(&out, "    佐证：", link, "\n");
  }
  absl::StrAppend(&out, "\n审核（", detail.reviews_size(), "）\n");
  for (const v1::Review& v : detail.reviews()) {
    absl::StrAppend(&out, "  ", Time(v.reviewed_at()), "  ", v.reviewer(), "  ",
                    v.accepted() ? "同意办结" : "退回", v.comment().empty() ? "" : "：",
                    v.comment(), "\n");
  }
  absl::StrAppend(&out, "\n变更记录（", detail.journal_size(), "）\n");
  for (const v1::JournalEntry& e : detail.journal()) {
    absl::StrAppend(&out, "  ", Time(e.at()), "  ", e.actor(), "  ", e.action(), " ", e.field(),
                    ": ", e.old_value().empty() ? "∅" : e.old_value(), " → ", e.new_value());
    if (!e.token_id().empty()) absl::StrAppend(&out, "  [令牌 ", e.token_id().substr(0, 8), "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string FormatLedger(const v1::Ledger& ledger) {
  const char* key = ledger.grouping() == v1::LEDGER_GROUPING_LEADER    ? "牵头领导"
                    : ledger.grouping() == v1::LEDGER_GROUPING_SECTION ? "部分"
                                                                       : "责任单位";
  int key_width = DisplayWidth(key);
  for (const v1::LedgerRow& r : ledger.rows()) key_width = std::max(key_width, DisplayWidth(r.key()));
  key_width = std::min(key_width, 40);
  std::string out = Row({{key, key_width}, {"任务数", 6}, {"已办结", 6}, {"推进中", 6},
                         {"未启动", 6}, {"逾期", 4}, {"办结率", 6}, {"最近报告", 0}});
  int tasks = 0, done = 0, overdue = 0;
  for (const v1::LedgerRow& r : ledger.rows()) {
    out += Row({{Shorten(r.key(), key_width), key_width},
                {absl::StrCat(r.task_count()), 6},
                {absl::StrCat(r.done()), 6},
                {absl::StrCat(r.in_progress()), 6},
                {absl::StrCat(r.not_started()), 6},
                {absl::StrCat(r.overdue()), 4},
                {absl::StrCat(r.completion_rate(), "%"), 6},
                {Time(r.last_report_at()), 0}});
    tasks += r.task_count();
    done += r.done();
    overdue += r.overdue();
  }
  absl::StrAppend(&out, ledger.rows_size(), " 行；合计 ", tasks, " 项任务（按行计，一项任务可属多个",
                  key, "），已办结 ", done, "，逾期 ", overdue, "\n");
  return out;
}

std::string FormatDueTasks(const v1::ListDueTasksResponse& r) {
  std::string out;
  auto section = [&](const char* title, const google::protobuf::RepeatedPtrField<v1::Task>& tasks) {
    absl::StrAppend(&out, title, "（", tasks.size(), "）\n");
    for (const v1::Task& t : tasks) out += "  " + FormatTaskLine(t);
  };
  section("已逾期", r.overdue());
  section("即将到期", r.due_soon());
  section("本期未报告", r.without_report());
  return out;
}

std::string FormatPlans(const v1::ListPlansResponse& r) {
  std::string out = Row({{"ID", 6}, {"版本", 4}, {"任务数", 6}, {"导入时间", 16}, {"标题", 0}});
  for (const v1::Plan& p : r.plans()) {
    out += Row({{p.id(), 6},
                {absl::StrCat("v", p.version(), p.current() ? "" : "*"), 4},
                {absl::StrCat(p.task_count()), 6},
                {Time(p.imported_at()), 16},
                {p.title(), 0}});
  }
  out += "（* 已被新版本取代）\n";
  return out;
}

std::string FormatTaskEvent(const v1::TaskEvent& e) {
  return absl::StrCat(Time(e.at()), "  ", e.action(), "  ", FormatTaskLine(e.task()));
}

}  // namespace luoshi::tasks
