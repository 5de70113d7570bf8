// Data-driven golden tests: every line of testdata/golden/*.golden must hold (failures print
// file:line), and the core-catalog precision and recall over all files must each reach 0.95.
#include "services/ingestion/extract/golden.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

std::string SourceDir() {
  const char* env = std::getenv("LUOSHI_SOURCE_DIR");
  return env ? env : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto catalog = LoadCatalog(SourceDir() + "/data/catalog.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    extractor_ = new Extractor(*catalog);
    auto cases = LoadGoldenCases(SourceDir());
    ASSERT_TRUE(cases.ok()) << cases.status();
    cases_ = new std::vector<GoldenCase>(std::move(*cases));
  }
  static void TearDownTestSuite() {
    delete extractor_;
    delete cases_;
  }
  static v1::Extraction Run(const GoldenCase& c) {
    ExtractOptions options;
    options.filename = c.input_path;
    options.document_id = c.name;
    auto e = extractor_->Extract(ReadFile(c.input_path), options);
    EXPECT_TRUE(e.ok()) << c.input_path << ": " << e.status();
    return e.ok() ? *e : v1::Extraction();
  }
  // The original text every observation's span quotes (and its surface name, when `names` is given),
  // over the golden cases whose name contains `group`.
  static void QuoteFigures(const std::string& group, std::set<std::string>* quoted, std::set<std::string>* names) {
    for (const auto& c : *cases_) {
      if (c.name.find(group) == std::string::npos) continue;
      v1::Extraction e = Run(c);
      std::u32string text = Utf8ToU32(e.text());
      for (const auto& o : e.observations()) {
        const auto& span = o.provenance().span();
        ASSERT_LE(span.end(), static_cast<int>(text.size()));
        quoted->insert(U32ToUtf8(std::u32string_view(text).substr(span.begin(), span.end() - span.begin())));
        if (names != nullptr) names->insert(o.surface_name());
      }
    }
  }
  static Extractor* extractor_;
  static std::vector<GoldenCase>* cases_;
};
Extractor* GoldenTest::extractor_ = nullptr;
std::vector<GoldenCase>* GoldenTest::cases_ = nullptr;

TEST_F(GoldenTest, AllFiveSeedsHaveGoldenFiles) { EXPECT_GE(cases_->size(), 5u); }

TEST_F(GoldenTest, EveryObservationLineIsExtracted) {
  for (const auto& c : *cases_) {
    auto r = CompareObservations(c, Run(c));
    for (const auto& f : r.failures) ADD_FAILURE() << f;
  }
}

TEST_F(GoldenTest, MetadataTasksAndMilestonesMatch) {
  for (const auto& c : *cases_) {
    for (const auto& f : CheckMetadataAndTasks(c, Run(c))) ADD_FAILURE() << f;
  }
}

TEST_F(GoldenTest, CoreCatalogPrecisionAndRecallAtLeast95Percent) {
  Score core;
  std::string extra;
  for (const auto& c : *cases_) {
    auto r = CompareObservations(c, Run(c));
    core.Add(r.core);
    for (const auto& x : r.extra) extra += x + "\n";
  }
  EXPECT_GE(core.precision(), 0.95) << "catalog observations not in the golden files:\n" << extra;
  EXPECT_GE(core.recall(), 0.95) << "matched " << core.matched << " of " << core.expected;
  std::printf("core catalog: precision %.3f recall %.3f (%d matched, %d extracted, %d expected)\n",
              core.precision(), core.recall(), core.matched, core.extracted, core.expected);
}

TEST_F(GoldenTest, ProvenancePointsIntoTheText) {
  for (const auto& c : *cases_) {
    v1::Extraction e = Run(c);
    std::u32string text = Utf8ToU32(e.text());
    for (const auto& o : e.observations()) {
      const auto& p = o.provenance();
      ASSERT_LE(p.sentence_span().begin(), p.span().begin()) << c.name << " " << DescribeObservation(o);
      ASSERT_GE(p.sentence_span().end(), p.span().end()) << c.name << " " << DescribeObservation(o);
      ASSERT_LE(p.sentence_span().end(), static_cast<int>(text.size()));
      std::u32string_view sentence(text.data() + p.sentence_span().begin(),
                                   p.sentence_span().end() - p.sentence_span().begin());
      EXPECT_EQ(U32ToUtf8(sentence), p.sentence());
      EXPECT_EQ(p.document_id(), c.name);
    }
  }
}

// Issue 20, kind 3: figures written with full-width characters and separators are read from folded
// text, but their provenance span quotes the original characters.
TEST_F(GoldenTest, SpansOfRespelledNumbersQuoteTheOriginalText) {
  std::set<std::string> quoted;
  ASSERT_NO_FATAL_FAILURE(QuoteFigures("_numbers_", &quoted, nullptr));
  auto has = [&](const std::string& part) {
    for (const auto& q : quoted) {
      if (q.find(part) != std::string::npos) return true;
    }
    return false;
  };
  for (const char* part : {"５．２％", "46，215万元", "1,086.5亿元", "２，４６８．３亿元", "一万六千二百人",
                           "百分之五至五点五", "5—5.5%"}) {
    EXPECT_TRUE(has(part)) << part;
  }
}

// Issue 20, kind 4: in text converted from PDF, figures whose unit is wrapped onto the next line are
// read through the line break, and their provenance span quotes the original text, line break included;
// names read across a line break or a page break are given as a reader reads them.
TEST_F(GoldenTest, SpansInTextFromPdfQuoteTheOriginalLines) {
  std::set<std::string> quoted;
  std::set<std::string> names;
  ASSERT_NO_FATAL_FAILURE(QuoteFigures("_pdf_", &quoted, &names));
  for (const char* part : {"38.6亿\n元", "86.9亿\n千瓦时"}) {
    EXPECT_EQ(quoted.count(part), 1u) << part;
  }
  for (const auto& n : names) EXPECT_EQ(n.find('\n'), std::string::npos) << n;
  EXPECT_EQ(names.count("网上零售额"), 1u);                 // 网\n上零售额
  EXPECT_EQ(names.count("专精特新“小巨人”企业"), 1u);  // read across a page break
}

}  // namespace
}  // namespace luoshi::extract
