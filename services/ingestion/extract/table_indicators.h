// Indicator tables: one row per indicator, one column per figure (issue 20, kind 1).
//
//   指标名称          | 单位 | 2023年目标 | 2023年完成 | 2024年目标
//   地区生产总值增速  | %    | 5左右      | 5.2        | 5—5.5
//
// A table is an indicator table when its header rows (the rows before the first row with a figure; a
// merged header `2023年` over `目标 | 完成` reads as `2023年目标` and `2023年完成`) name a name column
// (指标/名称/项目) and at least one value column (a year, or 目标/完成/实际/预计/增长 …), and it is not a
// task table (工作任务/牵头/责任单位). Every figure in a value cell is then an observation:
//   - indicator: the row's name cell (a catalog alias, optionally with 全区/其中 before it and
//     增速/增长/总量 after it), else a figure outside the catalog named by the cell;
//   - unit: the unit column, else a unit in brackets in the name cell (`地区生产总值（亿元）`) or in the
//     column header (`增速(%)`), else the unit written in the cell;
//   - period and status: the column header's year and 上半年/1-9月 (a value column without a year takes
//     the one to its left, then the document's), 预计 → forecast, 目标/计划/预期 → target,
//     完成/实际/执行 → actual; with no such word, a year after the document's is a target;
//   - measure: 增长/增速/增幅/同比 in the header, name or cell before the figure → growth rate (signed),
//     个百分点 → percentage points, 新增 in the name → change, 倍 → multiple, else a level.
// Provenance: the row is the sentence, the value cell the span, and table_cell names the grid cell.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_INDICATORS_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_INDICATORS_H_

#include <string>
#include <vector>

#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/indicators.h"

namespace luoshi::extract {

// Recognises the indicator tables among doc->tables and returns the observations of every value cell,
// in reading order. Marks the tables (Table::indicators) and their rows (LineInfo::table_figures), so
// that the sentence reader leaves those rows alone.
std::vector<FoundObservation> ReadIndicatorTables(Doc* doc, const CatalogMatcher& matcher,
                                                  const std::string& document_id);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_INDICATORS_H_
