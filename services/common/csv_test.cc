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

TEST(CommonCsvTest, RecordsEndInCrlf) {
  std::string out;
  AppendCsvRecord({"a", "b,c", ""}, &out);
  EXPECT_EQ(out, "a,\"b,c\",\r\n");
  EXPECT_EQ(CsvLine({"a", "b,c", ""}), out);
}

}  // namespace
}  // namespace luoshi
