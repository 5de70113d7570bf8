#include "services/tasks/unit_directory.h"

#include <gtest/gtest.h>

#include "services/tasks/test_util.h"

namespace luoshi::tasks {
namespace {

UnitDirectory Shipped() {
  auto dir = UnitDirectory::Load(testing::SourcePath("data/units.json"));
  EXPECT_TRUE(dir.ok()) << dir.status();
  return dir.ok() ? *dir : UnitDirectory();
}

TEST(UnitDirectoryTest, AliasesAndPrefixesMapToOneName) {
  UnitDirectory dir = Shipped();
  EXPECT_EQ(dir.Canonical("区发改委"), "区发展改革委");
  EXPECT_EQ(dir.Canonical(" 区发展改革委 "), "区发展改革委");
  EXPECT_EQ(dir.Canonical("大兴区发展改革委"), "区发展改革委");
  EXPECT_EQ(dir.Canonical("区住建委"), "区住房城乡建设委");
  EXPECT_EQ(dir.Canonical("某个新单位"), "某个新单位");
}

TEST(UnitDirectoryTest, CollectivesAreRecognised) {
  UnitDirectory dir = Shipped();
  EXPECT_EQ(dir.CanonicalList({"各部门", "各单位"}), std::vector<std::string>{"各部门、各单位"});
  EXPECT_EQ(dir.ScopeOf("各部门、各单位"), CollectiveScope::kAll);
  EXPECT_EQ(dir.ScopeOf("相关属地"), CollectiveScope::kLocalities);
  EXPECT_EQ(dir.ScopeOf(dir.Canonical("各镇、街道")), CollectiveScope::kLocalities);
  EXPECT_EQ(dir.ScopeOf("区财政局"), CollectiveScope::kNone);
  EXPECT_TRUE(dir.Covers("各部门、各单位", "区财政局"));
  EXPECT_TRUE(dir.Covers("相关属地", "黄村镇人民政府"));
  EXPECT_FALSE(dir.Covers("相关属地", "区财政局"));
  EXPECT_FALSE(dir.Covers("区财政局", "区商务局"));
}

TEST(UnitDirectoryTest, RejectsMalformedTables) {
  EXPECT_FALSE(UnitDirectory::FromJson("{").ok());
  EXPECT_FALSE(UnitDirectory::FromJson(R"({"units":[{"aliases":["x"]}]})").ok());
  EXPECT_FALSE(UnitDirectory::FromJson(
                   R"({"units":[{"name":"A","aliases":["x"]},{"name":"B","aliases":["x"]}]})")
                   .ok());
  EXPECT_FALSE(UnitDirectory::FromJson(R"({"units":[{"name":"A","scope":"some"}]})").ok());
  EXPECT_EQ(UnitDirectory::Load("/nonexistent/units.json").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace luoshi::tasks
