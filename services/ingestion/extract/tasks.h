// Tasks of a division plan (重点工作分工方案).
//
// Two layouts are read:
//   - numbered paragraphs followed by label lines, as in the seed plans:
//         1.地区生产总值比上年增长4.5%以上。
//         牵头领导:常务副区长
//         主要责任单位:区发展改革委
//         完成时限:2023年12月31日
//     (labels also: 责任领导, 牵头单位, 责任单位, 配合单位, 时间节点, 完成时间);
//   - tables whose header row names the columns (序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限), with
//     cells separated by tabs (HTML and .docx tables) or '|'.
// Units are split on 、 (lead unit first) except collective values such as 各部门、各单位. Deadlines keep
// their text and get an ISO date from the plan year (12月底前 → YYYY-12-31, 第三季度 → YYYY-09-30);
// 长期坚持 / 持续推进 are ongoing. Figures inside the task text become milestones, and a task whose text
// starts with a catalog indicator's target links to that indicator.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_TASKS_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_TASKS_H_

#include <string>
#include <vector>

#include "luoshi/v1/tasks.pb.h"
#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/indicators.h"

namespace luoshi::extract {

std::vector<v1::TaskDefinition> ExtractTasks(const Doc& doc,
                                             const std::vector<FoundObservation>& observations,
                                             const std::string& document_id);

// Deadline from its written text (folded or not) and the plan year.
v1::Deadline ParseDeadline(const std::string& text, int plan_year);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TASKS_H_
