#include "services/common/catalog.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(CatalogTest, ShippedCatalogLoadsAndResolvesAliases) {
  auto catalog = LoadCatalog(DefaultCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  CatalogIndex index(*catalog);
  ASSERT_NE(index.FindIndicator("GDP"), nullptr);
  EXPECT_EQ(index.FindIndicator("GDP")->id(), "gdp");
  EXPECT_EQ(index.FindIndicator("规上工业总产值")->id(), "industrial_output_above_scale");
  EXPECT_EQ(index.FindIndicator("nothing such"), nullptr);
  ASSERT_NE(index.FindRegion("亦庄"), nullptr);
  EXPECT_EQ(index.FindRegion("亦庄")->name(), "北京经济技术开发区");
  EXPECT_EQ(index.FindRegion("大兴区")->parent_id(), "beijing");
}

TEST(CatalogTest, MissingAndMalformedFilesAreClearErrors) {
  EXPECT_EQ(LoadCatalog("/nonexistent/catalog.json").status().code(), absl::StatusCode::kNotFound);
  std::string path = testing::TempDir() + "/bad_catalog.json";
  std::ofstream(path) << "{\"indicators\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}";
  EXPECT_EQ(LoadCatalog(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(path) << "{not json";
  EXPECT_EQ(LoadCatalog(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace luoshi
