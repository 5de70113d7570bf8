#include "services/indicators/csv.h"

#include "gtest/gtest.h"

namespace luoshi::indicators {
namespace {

TEST(CsvTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("大兴区"), "大兴区");
  EXPECT_EQ(CsvField("1334.8亿元,同比增长5.2%"), "\"1334.8亿元,同比增长5.2%\"");
  EXPECT_EQ(CsvField("专精特新\"小巨人\""), "\"专精特新\"\"小巨人\"\"\"");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
}

TEST(CsvTest, RecordsEndWithCrlfAndHeaderMatchesFields) {
  std::string out;
  AppendCsvRecord({"a", "b,c"}, &out);
  EXPECT_EQ(out, "a,\"b,c\"\r\n");
  EXPECT_EQ(ObservationCsvHeader().size(), ObservationCsvFields(v1::Observation(), "", "").size());
}

}  // namespace
}  // namespace luoshi::indicators
