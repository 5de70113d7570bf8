// Structure and metadata: headings, sentences, noise lines, header bullets.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/ingestion/extract/decode.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

v1::Extraction Extract(const std::string& text, ExtractOptions options = {}) {
  auto e = TheExtractor().Extract(text, options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : v1::Extraction();
}

TEST(StructureTest, HeadingLevelsAndParents) {
  auto e = Extract(
      "关于大兴区2024年国民经济和社会发展计划执行情况的报告\n"
      "一、2024年计划执行情况\n(一)经济运行\n1.工业。工业增长。\n(1)细项\n二、2025年安排\n");
  ASSERT_EQ(e.sections_size(), 5);
  EXPECT_EQ(e.sections(0).level(), 1);
  EXPECT_EQ(e.sections(0).marker(), "一、");
  EXPECT_EQ(e.sections(1).level(), 2);
  EXPECT_EQ(e.sections(1).parent(), 0);
  EXPECT_EQ(e.sections(2).level(), 3);
  EXPECT_EQ(e.sections(2).heading(), "1.工业");
  EXPECT_EQ(e.sections(2).parent(), 1);
  EXPECT_EQ(e.sections(3).level(), 4);
  EXPECT_EQ(e.sections(3).parent(), 2);
  EXPECT_EQ(e.sections(4).parent(), -1);
}

TEST(StructureTest, SentencesAndTheirSections) {
  auto e = Extract("标题行\n一、总体\n第一句。第二句!\n");
  ASSERT_GE(e.sentences_size(), 3);
  std::u32string text = Utf8ToU32(e.text());
  auto sentence = [&](int i) {
    const auto& s = e.sentences(i).span();
    return U32ToUtf8(std::u32string_view(text).substr(s.begin(), s.end() - s.begin()));
  };
  EXPECT_EQ(sentence(2), "第一句。");
  EXPECT_EQ(sentence(3), "第二句!");
  EXPECT_EQ(e.sentences(3).section(), 0);
}

// A run of sentence ends closes one sentence: "真的吗？！" is one, and a line of nothing but question
// marks is one sentence, not one per mark (16 MiB of them took 24 s and gigabytes).
TEST(StructureTest, RunsOfSentenceEndsCloseOneSentence) {
  auto e = Extract("真的吗？！还有。。。后面\n");
  std::u32string text = Utf8ToU32(e.text());
  std::vector<std::string> sentences;
  for (const auto& s : e.sentences()) {
    sentences.push_back(U32ToUtf8(std::u32string_view(text).substr(s.span().begin(), s.span().end() - s.span().begin())));
  }
  EXPECT_EQ(sentences, (std::vector<std::string>{"真的吗？！", "还有。。。", "后面"}));
  EXPECT_EQ(Extract(std::string(100000, '?')).sentences_size(), 1);
}

// Beyond kMaxDocumentSentences the document is refused with a message, as beyond the line cap.
TEST(StructureTest, TooManySentencesAreRefused) {
  std::string many;
  for (size_t i = 0; i <= kMaxDocumentSentences; ++i) many += "a?";
  ExtractOptions options;
  options.filename = "short.txt";
  auto e = TheExtractor().Extract(many, options);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("1000001 sentences, more than the 1000000 a document may have"),
            std::string::npos)
      << e.status();
}

TEST(StructureTest, HeaderBulletsGiveMetadata) {
  auto e = Extract(
      "  • 索引号:11N000/ZK-2023-000021\n  • 发文单位:区政府办\n"
      "  • 发文序号:京兴政办发〔2023〕1 号\n  • 成文日期:2023年3月3日\n  • 发布日期:2023年3月9日\n"
      "关于印发《2023年区政府工作报告重点工作分工方案》的通知\n  北京市大兴区人民政府办公室\n全区各部门。\n全区落实。\n");
  const auto& md = e.metadata();
  EXPECT_EQ(md.issuer(), "区政府办");
  EXPECT_EQ(md.document_number(), "京兴政办发〔2023〕1号");
  EXPECT_EQ(md.written_date(), "2023-03-03");
  EXPECT_EQ(md.published_date(), "2023-03-09");
  EXPECT_EQ(md.title(), "关于印发《2023年区政府工作报告重点工作分工方案》的通知");
  EXPECT_EQ(md.type(), v1::DOCUMENT_TYPE_DIVISION_PLAN);
  EXPECT_EQ(md.year(), 2023);
  EXPECT_EQ(md.region(), "大兴区");
  EXPECT_EQ(e.observations_size(), 0) << "noise lines never give figures";
}

TEST(StructureTest, HintsApplyWhenTheDocumentIsSilent) {
  ExtractOptions options;
  options.region_hint = "亦庄";
  options.year_hint = 2022;
  auto e = Extract("一、工作情况\n工业增长5%。\n", options);
  EXPECT_EQ(e.metadata().region(), "北京经济技术开发区");
  EXPECT_EQ(e.metadata().year(), 2022);
}

TEST(StructureTest, UnknownFormatsAreRefusedWithTheAcceptedList) {
  auto e = TheExtractor().Extract(std::string("\x01\x02\x03\x00\x04", 5), {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(e.status().message()).find("plain text, HTML, .docx"), std::string::npos);
  ExtractOptions pdf;
  pdf.filename = "report.pdf";
  EXPECT_FALSE(TheExtractor().Extract("%PDF-1.7 ...", pdf).ok());
  EXPECT_FALSE(TheExtractor().Extract("", {}).ok());
}

TEST(StructureTest, HtmlAndGbkDocumentsExtractLikeText) {
  std::string html =
      "<html><head><meta charset=\"gbk\"><title>x</title></head><body>"
      "<p>大兴区2024年国民经济和社会发展计划执行情况的报告</p><p>一、2024年执行情况</p>"
      "<p>地区生产总值增长5.2%。</p><script>var a='增长9%';</script></body></html>";
  auto e = Extract(Utf8ToGb18030(html));
  EXPECT_EQ(e.metadata().encoding(), "GB18030");
  EXPECT_EQ(e.metadata().format(), v1::SOURCE_FORMAT_HTML);
  ASSERT_EQ(e.observations_size(), 1);
  EXPECT_EQ(e.observations(0).indicator_id(), "gdp");
  EXPECT_EQ(e.observations(0).provenance().sentence(), "地区生产总值增长5.2%。");
}

}  // namespace
}  // namespace luoshi::extract
