// The table model (table.h) and the indicator-table reader (table_indicators.h): merged cells in Word
// and HTML, rows kept on one line, and figures read cell by cell with the cell in their provenance.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/files.h"
#include "services/ingestion/extract/decode.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/table.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

SourceRow Row(std::initializer_list<SourceCell> cells) {
  SourceRow row;
  row.cells = cells;
  return row;
}

TEST(TableGridTest, HtmlSpansCoverTheCellsTheyMerge) {
  // | A (rowspan 2) | B (colspan 2)  |
  // |               | C      | D     |
  SourceTable t;
  t.rows = {Row({{1, 2, false}, {2, 1, false}}), Row({{1, 1, false}, {1, 1, false}})};
  int columns = 0;
  auto grid = BuildGrid(t, &columns);
  ASSERT_EQ(columns, 3);
  EXPECT_EQ(grid[0][0], (CellRef{0, 0}));
  EXPECT_EQ(grid[0][1], (CellRef{0, 1}));
  EXPECT_EQ(grid[0][2], (CellRef{0, 1}));
  EXPECT_EQ(grid[1][0], (CellRef{0, 0}));  // the rowspan reaches down
  EXPECT_EQ(grid[1][1], (CellRef{1, 0}));  // C sits right of the merged cell, not under it
  EXPECT_EQ(grid[1][2], (CellRef{1, 1}));
}

TEST(TableGridTest, WordVerticalMergeContinuesTheCellAbove) {
  // Word writes every row's cells, the continuation empty: | 1 | 区发展改革委 |, | 2 | (cont) |.
  SourceTable t;
  t.rows = {Row({{1, 1, false}, {1, 1, false}}), Row({{1, 1, false}, {1, 1, true}}),
            Row({{1, 1, false}, {1, 1, true}})};
  int columns = 0;
  auto grid = BuildGrid(t, &columns);
  ASSERT_EQ(columns, 2);
  EXPECT_EQ(grid[2][1], (CellRef{0, 1}));
  EXPECT_EQ(grid[2][0], (CellRef{2, 0}));
}

TEST(TableGridTest, HostileSpansAreCapped) {
  SourceTable t;
  t.rows = {Row({{1000000, 1000000, false}}), Row({{1, 1, false}})};
  int columns = 0;
  auto grid = BuildGrid(t, &columns);
  EXPECT_LE(columns, kMaxTableColumns);
  EXPECT_EQ(grid.size(), 2u);
}

TEST(HtmlTableTest, EachRowIsOneLineAndItsShapeIsReported) {
  HtmlText t = HtmlToText(
      "<p>前言</p><table><tr><th rowspan=\"2\">指标</th><th colspan=2>2023年</th></tr>"
      "<tr><th>目标</th><th>完成<br>情况</th></tr><tr><td></td><td></td><td></td></tr>"
      "<tr><td><p>地区生产总值</p><p>（亿元）</p></td><td>420</td><td>431.6</td></tr></table><p>后记</p>");
  EXPECT_EQ(t.text, "前言\n指标\t2023年\n目标\t完成 情况\n地区生产总值 （亿元）\t420\t431.6\n后记\n");
  ASSERT_EQ(t.tables.size(), 1u);
  const auto& rows = t.tables[0].rows;
  ASSERT_EQ(rows.size(), 3u);  // the empty row leaves no line and no row
  EXPECT_EQ(t.text.substr(rows[0].offset, 6), "指标");
  EXPECT_EQ(rows[0].cells[0].row_span, 2);
  EXPECT_EQ(rows[0].cells[1].col_span, 2);
  EXPECT_EQ(t.text.substr(rows[1].offset, 6), "目标");
  EXPECT_EQ(t.text.substr(rows[2].offset, 18), "地区生产总值");
}

// One extractor for the file's tests, over the catalog every extraction test reads.
const Extractor& SharedExtractor() {
  static const Extractor* const extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

v1::Extraction ExtractFile(const std::string& relative) {
  const char* source = std::getenv("LUOSHI_SOURCE_DIR");
  auto bytes = ReadFileToString(absl::StrCat(source ? source : ".", "/", relative), "test document");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  ExtractOptions options;
  options.filename = relative;
  auto e = SharedExtractor().Extract(bytes.ok() ? *bytes : "", options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : v1::Extraction();
}

TEST(IndicatorTableTest, AFigureFromATableNamesItsCellAndQuotesIt) {
  v1::Extraction e = ExtractFile("services/ingestion/extract/testdata/tables/songhe_2024.docx");
  std::u32string text = Utf8ToU32(e.text());
  const v1::Observation* found = nullptr;
  for (const auto& o : e.observations()) {
    if (o.indicator_id() == "gdp" && o.value().unit() == "亿元" && o.status() == v1::OBSERVATION_STATUS_ACTUAL) {
      found = &o;
    }
  }
  ASSERT_NE(found, nullptr);
  const auto& p = found->provenance();
  ASSERT_TRUE(p.has_table_cell());
  // Counted from 1: rows 1 and 2 are the merged header; columns: 序号, 指标名称, 单位, 2023年目标,
  // 2023年完成, 2024年目标.
  EXPECT_EQ(p.table_cell().table(), 1);
  EXPECT_EQ(p.table_cell().row(), 3);
  EXPECT_EQ(p.table_cell().column(), 5);
  EXPECT_EQ(U32ToUtf8(text.substr(p.span().begin(), p.span().end() - p.span().begin())), "431.6");
  EXPECT_NE(p.sentence().find("地区生产总值"), std::string::npos);  // the sentence is the row
  EXPECT_NE(p.sentence().find("455"), std::string::npos);
  // Figures of sentences carry no cell.
  for (const auto& o : e.observations()) {
    if (o.indicator_id() == "retail_sales") EXPECT_FALSE(o.provenance().has_table_cell());
  }
}

TEST(IndicatorTableTest, ATaskTableIsNotAnIndicatorTable) {
  ExtractOptions options;
  options.filename = "plan.html";
  auto e = SharedExtractor().Extract(
      "<html><body><p>2023年重点工作分工方案</p><table><tr><td>序号</td><td>工作任务</td><td>牵头单位</td>"
      "<td>完成时限</td></tr><tr><td>1</td><td>新建充电桩不少于2970个</td><td>区城市管理委</td>"
      "<td>2023年12月</td></tr></table></body></html>",
      options);
  ASSERT_TRUE(e.ok()) << e.status();
  for (const auto& o : e->observations()) EXPECT_FALSE(o.provenance().has_table_cell()) << o.DebugString();
}


// Issue 20, kind 2: the same plan as paragraphs, as an HTML table, a .docx table and a GB18030 text
// table gives the same tasks, field for field.
TEST(TaskTableTest, APlanAsATableGivesTheSameTasksAsThePlanAsParagraphs) {
  const std::string dir = "services/ingestion/extract/testdata/table_plans/";
  v1::Extraction reference = ExtractFile(dir + "shiquan_plan_2024_paragraphs.txt");
  ASSERT_EQ(reference.tasks_size(), 7);
  for (const char* form : {"shiquan_plan_2024.html", "shiquan_plan_2024.docx", "shiquan_plan_2024_gb18030.txt"}) {
    v1::Extraction table = ExtractFile(dir + form);
    ASSERT_EQ(table.tasks_size(), reference.tasks_size()) << form;
    for (int i = 0; i < reference.tasks_size(); ++i) {
      v1::TaskDefinition want = reference.tasks(i);
      v1::TaskDefinition have = table.tasks(i);
      EXPECT_FALSE(have.lead_leaders().empty()) << form << " task " << i + 1;
      EXPECT_FALSE(have.responsible_units().empty()) << form << " task " << i + 1;
      EXPECT_TRUE(have.deadline().ongoing() || !have.deadline().date().empty()) << form << " task " << i + 1;
      // Where the text sits differs between the forms; what the task says does not.
      want.clear_provenance();
      have.clear_provenance();
      for (auto& m : *want.mutable_milestones()) m.clear_span();
      for (auto& m : *have.mutable_milestones()) m.clear_span();
      EXPECT_EQ(have.DebugString(), want.DebugString()) << form << " task " << i + 1;
    }
  }
}

}  // namespace
}  // namespace luoshi::extract
