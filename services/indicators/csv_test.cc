#include "services/indicators/csv.h"

#include "gtest/gtest.h"

namespace luoshi::indicators {
namespace {

TEST(CsvTest, HeaderMatchesFields) {
  EXPECT_EQ(ObservationCsvHeader().size(), ObservationCsvFields(v1::Observation(), "", "").size());
}

}  // namespace
}  // namespace luoshi::indicators
