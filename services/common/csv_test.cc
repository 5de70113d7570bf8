#include "services/common/csv.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(CommonCsvTest, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(CsvField("大兴区"), "大兴区");
  EXPECT_EQ(CsvField("1334.8亿元,同比增长5.2%"), "\"1334.8亿元,同比增长5.2%\"");
  EXPECT_EQ(CsvField("专精特新\"小巨人\""), "\"专精特新\"\"小巨人\"\"\"");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(CsvField(""), "");
}

// Issue 21: a cell that begins like a formula is shown as text by spreadsheet programs, not run.
TEST(CommonCsvTest, CellsThatStartLikeFormulasGetALeadingQuote) {
  EXPECT_EQ(CsvField("=HYPERLINK(\"http://example.invalid\")"), "\"'=HYPERLINK(\"\"http://example.invalid\"\")\"");
  EXPECT_EQ(CsvField("@SUM(A1:A9)"), "'@SUM(A1:A9)");
  EXPECT_EQ(CsvField("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(CsvField("-1+2"), "'-1+2");
  EXPECT_EQ(CsvField("\t=1"), "'\t=1");
  EXPECT_EQ(CsvField("\r=1"), "\"'\r=1\"");
  // Numbers stay numbers; text with = inside is untouched.
  EXPECT_EQ(CsvField("-2.3"), "-2.3");
  EXPECT_EQ(CsvField("+5%"), "+5%");
  EXPECT_EQ(CsvField("-"), "-");
  EXPECT_EQ(CsvField("a=b"), "a=b");
  EXPECT_EQ(CsvField("增长=5%"), "增长=5%");
}

TEST(CommonCsvTest, RecordsEndInCrlf) {
  std::string out;
  AppendCsvRecord({"a", "b,c", ""}, &out);
  EXPECT_EQ(out, "a,\"b,c\",\r\n");
  EXPECT_EQ(CsvLine({"a", "b,c", ""}), out);
}

}  // namespace
}  // namespace luoshi
