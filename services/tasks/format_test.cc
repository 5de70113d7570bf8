#include "services/tasks/format.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace luoshi::tasks {
namespace {

TEST(FormatTest, WidthCountsChineseAsTwoCells) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("区财政局"), 8);
  EXPECT_EQ(PadRight("区财政局", 10), "区财政局  ");
  EXPECT_EQ(Shorten("一二三四五六", 7), "一二三…");
}

TEST(FormatTest, LedgerTableLinesUp) {
  v1::Ledger ledger;
  ledger.set_grouping(v1::LEDGER_GROUPING_UNIT);
  v1::LedgerRow* a = ledger.add_rows();
  a->set_key("区农业农村局");
  a->set_task_count(12);
  a->set_overdue(2);
  a->set_completion_rate("41.7");
  v1::LedgerRow* b = ledger.add_rows();
  b->set_key("区商务局");
  b->set_task_count(5);
  b->set_completion_rate("0.0");
  const std::string text = FormatLedger(ledger);
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "责任单位"));
  EXPECT_TRUE(absl::StrContains(lines[1], "41.7%"));
  // Columns after the key start at the same cell in every row.
  EXPECT_EQ(DisplayWidth(lines[1].substr(0, lines[1].find("12"))),
            DisplayWidth(lines[2].substr(0, lines[2].find("5 "))));
  EXPECT_TRUE(absl::StrContains(lines[3], "合计 17"));
}

TEST(FormatTest, TaskCardShowsStateAndHistory) {
  v1::TaskDetail d;
  v1::Task* t = d.mutable_task();
  t->set_id("T2");
  t->set_status(v1::TASK_STATUS_RETURNED);
  t->set_light(v1::LIGHT_YELLOW);
  t->mutable_definition()->set_text("一般公共预算收入完成104亿元。");
  t->mutable_definition()->set_indicator_id("general_budget_revenue");
  v1::Review* r = d.add_reviews();
  r->set_reviewer("王敏");
  r->set_comment("缺少佐证材料");
  const std::string text = FormatTask(d);
  EXPECT_TRUE(absl::StrContains(text, "已退回"));
  EXPECT_TRUE(absl::StrContains(text, "黄"));
  EXPECT_TRUE(absl::StrContains(text, "实际值：暂无"));
  EXPECT_TRUE(absl::StrContains(text, "退回：缺少佐证材料"));
}

}  // namespace
}  // namespace luoshi::tasks
