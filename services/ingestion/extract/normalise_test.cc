// Text from PDF conversion (issue 20, kind 4): hard line breaks read through, page numbers and running
// heads dropped, spans still quoting the original text, and ordinary documents left as they are.
#include "services/ingestion/extract/normalise.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

// Lines wrapped at about 19 CJK characters, two pages, each ending in "— N —" and the running head.
constexpr char kWrapped[] =
    "晴溪区政府工作报告\n"
    "一、经济运行\n"
    "全区经济运行稳中有进，全年实现地区生产\n"
    "总值256.3亿元，同比增长5.4%，一般\n"
    "公共预算收入完成18.2亿元，同比增长\n"
    "6.1%。全区固定资产投资完成98.7亿\n"
    "元，增长7.3%，新增就业岗位3200个\n"
    "（二）民生保障\n"
    "城镇新增就业3,260人，城镇登记失业率为\n"
    "2.9%，居民人均可支配收入达到41,250元。\n"
    "全区生态环境持续改善，森林覆盖率达到\n"
    "\n"
    "— 1 —\n"
    "\n"
    "\f晴溪区政府工作报告\n"
    "45.6%，比上年提高0.8个百分点，细颗粒\n"
    "物(PM2.5)年均浓度为28微克/立方米。\n"
    "\n"
    "— 2 —\n"
    "晴溪区政府工作报告\n";

std::u32string Normalised(const std::string& utf8, NormaliseStats* stats = nullptr) {
  std::string text = utf8;
  for (char& c : text) {
    if (c == '\f') c = ' ';  // as the extractor's control-character cleaning does
  }
  std::u32string original = Utf8ToU32(text);
  FoldedText f = Fold(original);
  NormaliseStats s = NormaliseConvertedText(original, &f);
  if (stats) *stats = s;
  EXPECT_EQ(f.to_original.size(), f.folded.size() + 1);
  for (size_t i = 0; i < f.folded.size(); ++i) {
    // Every folded character still maps to the original character it came from.
    EXPECT_EQ(FoldChar(original[f.to_original[i]]), f.folded[i]) << i;
  }
  return f.folded;
}

bool Has(const std::u32string& s, const std::string& part) { return Contains(s, Utf8ToU32(part)); }

TEST(NormaliseTest, PageNumberLines) {
  EXPECT_EQ(PageNumberOfLine(U"— 3 —"), 3);
  EXPECT_EQ(PageNumberOfLine(U"-3-"), 3);
  EXPECT_EQ(PageNumberOfLine(U"  - 12 -  "), 12);
  EXPECT_EQ(PageNumberOfLine(U"第 3 页 共 5 页"), 3);
  EXPECT_EQ(PageNumberOfLine(U"第3页,共5页"), 3);
  EXPECT_EQ(PageNumberOfLine(U"共5页 第4页"), 4);
  EXPECT_EQ(PageNumberOfLine(U"3/5"), 3);
  bool bare = false;
  EXPECT_EQ(PageNumberOfLine(U"7", &bare), 7);
  EXPECT_TRUE(bare);
  EXPECT_EQ(PageNumberOfLine(U"- 7 -", &bare), 7);
  EXPECT_FALSE(bare);
  EXPECT_EQ(PageNumberOfLine(U"增长3%"), -1);
  EXPECT_EQ(PageNumberOfLine(U"第三页"), -1);
  EXPECT_EQ(PageNumberOfLine(U"6/5"), -1);
  EXPECT_EQ(PageNumberOfLine(U"2023年"), -1);
  EXPECT_EQ(PageNumberOfLine(U"123456"), -1);
}

TEST(NormaliseTest, PageNumberBesideARunningFoot) {
  // The title and the page number on one line, the number on either side.
  std::string text = kWrapped;
  auto replace = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("— 1 —\n\n\f晴溪区政府工作报告\n", "晴溪区政府工作报告  — 1 —\n");
  replace("— 2 —\n晴溪区政府工作报告\n", "— 2 — 晴溪区政府工作报告\n");
  NormaliseStats stats;
  std::u32string f = Normalised(text, &stats);
  EXPECT_EQ(stats.page_numbers, 2);
  EXPECT_TRUE(Has(f, "森林覆盖率达到45.6%"));
  EXPECT_EQ(f.find(Utf8ToU32("晴溪区政府工作报告"), 1), std::u32string::npos);
  // Text that comes back beside a number once only is no running foot.
  std::u32string once = Utf8ToU32("晴溪区政府工作报告 -1-\n第一段。\n第二段。\n第三段。\n第四段。\n另一行 -2-\n");
  FoldedText g = Fold(once);
  EXPECT_EQ(NormaliseConvertedText(once, &g).page_numbers, 0);
  EXPECT_EQ(g.folded, Fold(once).folded);
}

TEST(NormaliseTest, JoinsInsideNamesNumbersAndUnits) {
  NormaliseStats stats;
  std::u32string f = Normalised(kWrapped, &stats);
  EXPECT_TRUE(stats.hard_wrapped);
  EXPECT_TRUE(Has(f, "全年实现地区生产总值256.3亿元"));       // inside an indicator name
  EXPECT_TRUE(Has(f, "一般公共预算收入完成18.2亿元,同比增长6.1%"));  // name, then before a number
  EXPECT_TRUE(Has(f, "98.7亿元,增长7.3%"));                  // inside a unit
  EXPECT_TRUE(Has(f, "失业率为2.9%"));
  EXPECT_TRUE(Has(f, "细颗粒物(PM2.5)年均浓度"));
  // Across a page break: the page number and the running head between the two halves are gone.
  EXPECT_TRUE(Has(f, "全区生态环境持续改善,森林覆盖率达到45.6%,比上年提高0.8个百分点"));
}

TEST(NormaliseTest, NoJoinBeforeAHeadingOrAfterASentenceEnd) {
  std::u32string f = Normalised(kWrapped);
  EXPECT_TRUE(Has(f, "新增就业岗位3200个\n(二)民生保障\n城镇新增就业"));  // the heading stays a line
  EXPECT_TRUE(Has(f, "41,250元。\n全区生态环境"));                        // after 。 the line ends
  EXPECT_TRUE(Has(f, "晴溪区政府工作报告\n一、经济运行\n全区"));              // short lines: title, heading
}

TEST(NormaliseTest, RunningHeadsAndPageNumbersDropped) {
  NormaliseStats stats;
  std::u32string f = Normalised(kWrapped, &stats);
  EXPECT_EQ(stats.page_numbers, 2);
  EXPECT_EQ(stats.running_heads, 2);
  EXPECT_FALSE(Has(f, "—"));
  // The title on the first line stays; its repetitions as a running head go.
  size_t first = f.find(Utf8ToU32("晴溪区政府工作报告"));
  EXPECT_EQ(first, 0u);
  EXPECT_EQ(f.find(Utf8ToU32("晴溪区政府工作报告"), first + 1), std::u32string::npos);
  EXPECT_TRUE(Has(f, "28微克/立方米。") && f.back() == U'。');  // the last page's furniture too
}

TEST(NormaliseTest, RunningHeadWithoutPageNumbers) {
  // No page numbers, but the running head comes back on every page: it is dropped (not the title line
  // that opens the document), and the sentence around it is read through.
  std::string page =
      "全区经济运行稳中有进，全年实现地区生产\n总值256.3亿元，同比增长5.4%，一般\n"
      "公共预算收入完成18.2亿元，同比增长\n";
  std::string text = "晴溪区政府工作报告\n" + page + "晴溪区政府工作报告\n" + page + "晴溪区政府工作报告\n" + page +
                     "6.1%。\n";
  NormaliseStats stats;
  std::u32string f = Normalised(text, &stats);
  EXPECT_EQ(stats.page_numbers, 0);
  EXPECT_EQ(stats.running_heads, 2);
  EXPECT_TRUE(Has(f, "同比增长全区经济运行"));
  EXPECT_TRUE(Has(f, "一般公共预算收入完成18.2亿元,同比增长6.1%。"));
  EXPECT_EQ(f.find(Utf8ToU32("晴溪区政府工作报告")), 0u);
}

TEST(NormaliseTest, ColumnsLaidOutWithSpacesAreNotJoined) {
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += "全区经济运行稳中有进，全年实现地区生产\n总值256.3亿元，同比增长5.4%，一般\n"
            "公共预算收入完成18.2亿元，同比增长\n";
  }
  text += "地区生产总值，亿元    256.3    5.4\n一般公共预算收入，亿元    18.2    6.1\n";
  std::u32string f = Normalised(text);
  EXPECT_TRUE(Has(f, "同比增长\n地区生产总值"));  // not into the table, nor inside it
  EXPECT_TRUE(Has(f, "5.4\n一般公共预算收入"));
}

TEST(NormaliseTest, IndentedLineStartsAParagraph) {
  // Indented paragraph starts (two ideographic spaces) are never joined to the line before.
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += "　　全区经济运行稳中有进，全年实现地区生产\n总值256.3亿元，同比增长5.4%，全年\n"
            "公共预算收入完成18.2亿元，同比增长\n";
  }
  std::u32string f = Normalised(text);
  EXPECT_TRUE(Has(f, "地区生产总值256.3亿元"));
  EXPECT_TRUE(Has(f, "同比增长\n"));
}

TEST(NormaliseTest, OrdinaryDocumentsAreLeftAlone) {
  const std::string docs[] = {
      // One paragraph per line, as the seeds and the web pages give it.
      "晴溪区政府工作报告\n一、经济运行\n全区经济运行稳中有进，全年实现地区生产总值256.3亿元，同比增长5.4%，"
      "一般公共预算收入完成18.2亿元。\n规模以上工业增加值完成98.7亿元，增长7.3%\n（二）民生保障\n"
      "城镇新增就业3,260人，城镇登记失业率为2.9%。\n全区空气质量持续改善，全年优良天数达到298天。\n",
      // Short lines that do not end a sentence: a list of headings and labels, a table of numbers.
      "一、稳增长\n二、促改革\n三、调结构\n四、惠民生\n1\n2\n3\n4\n5\n6\n牵头领导：张三\n责任单位：区发展改革委\n",
      // A table's 序号 cells on lines of their own, counting up four lines apart: no page numbers.
      "序号\n1\n推进重点项目建设，确保按期开工。\n牵头领导：张三\n责任单位：区发展改革委\n"
      "2\n优化营商环境，提升政务服务水平。\n牵头领导：李四\n责任单位：区政务服务局\n"
      "3\n加强生态环境保护，改善空气质量。\n牵头领导：王五\n责任单位：区生态环境局\n",
      // A heading list where each line is as wide as the next, but every one is a heading.
      "1.加快推进产业结构调整和转型升级\n2.加快推进区域协调发展和城乡融合\n3.加快推进生态文明建设和绿色发展\n"
      "4.加快推进社会事业发展和民生改善\n5.加快推进政府职能转变和作风建设\n",
  };
  for (const auto& d : docs) {
    std::u32string original = Utf8ToU32(d);
    FoldedText before = Fold(original);
    FoldedText after = before;
    NormaliseStats stats = NormaliseConvertedText(original, &after);
    EXPECT_EQ(after.folded, before.folded) << d;
    EXPECT_EQ(after.to_original, before.to_original) << d;
    EXPECT_EQ(stats.joins, 0) << d;
  }
}

TEST(NormaliseTest, ReadingTextLeavesOutWhatWasReadOver) {
  std::u32string original = U"专精特新企\n\n-1-\n\n雁川区人民政府工作报告\n\n业4家";
  FoldedText f = Fold(original);
  NormaliseStats stats;
  // Not hard-wrapped: no joins, so nothing is read over.
  stats = NormaliseConvertedText(original, &f);
  EXPECT_EQ(ReadingText(original, stats.read_over, 0, static_cast<int>(original.size())),
            U32ToUtf8(original));
  std::vector<std::pair<int, int>> over = {{5, 25}};
  EXPECT_EQ(ReadingText(original, over, 0, static_cast<int>(original.size())), "专精特新企业4家");
  EXPECT_EQ(ReadingText(original, over, 2, 27), "特新企业4");
  EXPECT_EQ(ReadingText(U"PM\n2.5 big\ndata", {{10, 11}}, 0, 15), "PM\n2.5 big data");
}

TEST(NormaliseTest, ReadThroughLineBreaks) {
  EXPECT_EQ(ReadThroughLineBreaks("网\n上零售额"), "网上零售额");
  EXPECT_EQ(ReadThroughLineBreaks("5G\n  基站"), "5G基站");
  EXPECT_EQ(ReadThroughLineBreaks("R&D \nintensity"), "R&D intensity");
  EXPECT_EQ(ReadThroughLineBreaks("big data"), "big data");
}

// Mutated PDF text: the map stays whole (every folded character maps to the one it came from, in
// order), ranges read over lie inside the text, and nothing crashes.
TEST(NormaliseTest, MutatedTextKeepsTheMapWhole) {
  const std::u32string alphabet = U"\n\n\n  　—-0123456789第页共/。，,A总值增长亿元\t";
  std::u32string base = Utf8ToU32(kWrapped);
  uint32_t seed = 12345;
  auto next = [&seed]() {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) & 0xFFFFFF;
  };
  int joined = 0;
  for (int round = 0; round < 500; ++round) {
    std::u32string text = base;
    const int edits = 1 + static_cast<int>(next() % 12);
    for (int k = 0; k < edits; ++k) {
      size_t at = next() % (text.size() + 1);
      if (next() % 3 == 0 && at < text.size()) {
        text.erase(at, 1 + next() % 4);
      } else {
        text.insert(at, 1, alphabet[next() % alphabet.size()]);
      }
    }
    FoldedText f = Fold(text);
    NormaliseStats stats = NormaliseConvertedText(text, &f);
    ASSERT_EQ(f.to_original.size(), f.folded.size() + 1);
    for (size_t i = 0; i < f.folded.size(); ++i) {
      ASSERT_EQ(FoldChar(text[f.to_original[i]]), f.folded[i]);
      if (i > 0) ASSERT_LT(f.to_original[i - 1], f.to_original[i]);
    }
    int last = 0;
    for (const auto& [b, e] : stats.read_over) {
      ASSERT_LE(last, b);
      ASSERT_LE(b, e);
      ASSERT_LE(e, static_cast<int>(text.size()));
      last = e;
    }
    ReadingText(text, stats.read_over, 0, static_cast<int>(text.size()));
    joined += stats.joins > 0 ? 1 : 0;
  }
  EXPECT_GT(joined, 100);  // most mutants are still read as hard-wrapped
}

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

// A figure whose sentence crosses a dropped line break (or a page break) is found, and its span
// quotes the original text: the line break, and the page furniture when it lies inside, included.
TEST(NormaliseTest, SpansAcrossJoinedLinesQuoteTheOriginalText) {
  auto e = TheExtractor().Extract(kWrapped, ExtractOptions{});
  ASSERT_TRUE(e.ok()) << e.status();
  std::u32string text = Utf8ToU32(e->text());
  EXPECT_EQ(e->text().find("\n— 1 —\n") != std::string::npos, true);  // Extraction.text unchanged
  auto quoted = [&](const std::string& id, const std::string& value) {
    for (const auto& o : e->observations()) {
      if (o.indicator_id() != id || FormatDecimal(o.value().value()) != value) continue;
      const auto& span = o.provenance().span();
      EXPECT_LE(span.end(), static_cast<int>(text.size()));
      return U32ToUtf8(std::u32string_view(text).substr(span.begin(), span.end() - span.begin()));
    }
    return std::string("(not found)");
  };
  auto sentence = [&](const std::string& id, const std::string& value) {
    for (const auto& o : e->observations()) {
      if (o.indicator_id() == id && FormatDecimal(o.value().value()) == value) return o.provenance().sentence();
    }
    return std::string("(not found)");
  };
  std::string gdp = quoted("gdp", "256.3");
  EXPECT_NE(gdp.find("256.3亿元"), std::string::npos) << gdp;
  std::string growth = sentence("general_budget_revenue", "6.1");
  EXPECT_NE(growth.find("同比增长\n6.1%"), std::string::npos) << growth;
  std::string investment = quoted("fixed_asset_investment", "98.7");
  EXPECT_EQ(investment, "98.7亿\n元");
  // Across a page break the sentence holds the page number and the running head between its halves.
  std::string forest = sentence("forest_coverage", "45.6");
  EXPECT_NE(forest.find("森林覆盖率达到\n"), std::string::npos) << forest;
  EXPECT_NE(forest.find("— 1 —"), std::string::npos) << forest;
  EXPECT_NE(forest.find("45.6%"), std::string::npos) << forest;
  EXPECT_EQ(quoted("forest_coverage", "45.6"), "45.6%");
  EXPECT_EQ(quoted("pm25", "28"), "28微克/立方米");
  for (const auto& o : e->observations()) EXPECT_EQ(o.surface_name().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace luoshi::extract
