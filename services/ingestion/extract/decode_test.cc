// Decoding (UTF-8, BOMs, GB18030), HTML, .docx and the normalization offset map.
#include <zip.h>

#include "gtest/gtest.h"
#include "services/ingestion/extract/decode.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

TEST(DecodeTest, Utf8WithAndWithoutBom) {
  EXPECT_EQ(DecodeBytes("\xEF\xBB\xBF中文", "").utf8, "中文");
  EXPECT_EQ(DecodeBytes("中文", "").utf8, "中文");
  EXPECT_EQ(DecodeBytes("中文", "").encoding, "UTF-8");
}

TEST(DecodeTest, Gb18030FromAKnownByteTable) {
  // GB2312/GBK bytes of 中文 (D6D0 CEC4) and 增长5.2% (D4F6 B3A4 35 2E 32 25).
  DecodedText d = DecodeBytes("\xD6\xD0\xCE\xC4\xD4\xF6\xB3\xA4" "5.2%", "");
  EXPECT_EQ(d.encoding, "GB18030");
  EXPECT_EQ(d.utf8, "中文增长5.2%");
  // A four-byte GB18030 sequence: U+20087 is 0x95 0x32 0x90 0x31.
  EXPECT_EQ(Gb18030ToUtf8("\x95\x32\x90\x31"), "\xF0\xA0\x82\x87");
}

TEST(DecodeTest, Gb18030RoundTripOfASeedSentence) {
  std::string utf8 = "一般公共预算收入完成53.6亿元,同比下降8.1%,完成全年任务的48.9%。";
  std::string gb = Utf8ToGb18030(utf8);
  ASSERT_FALSE(IsValidUtf8(gb));
  EXPECT_EQ(DecodeBytes(gb, "").utf8, utf8);
  EXPECT_EQ(DecodeBytes(gb, "gbk").utf8, utf8);
}

TEST(DecodeTest, InvalidBytesBecomeReplacementCharacters) {
  std::string out = Gb18030ToUtf8("\xD6\xD0\xFF");
  EXPECT_EQ(out.substr(0, 3), "中");
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
}

// 0x80 and 0xFF start no GB18030 character: a run of them is one replacement each, and the text after
// the run is read again (the run is skipped without asking iconv byte by byte).
TEST(DecodeTest, RunsOfBytesThatStartNoCharacterAreOneReplacementEach) {
  EXPECT_EQ(Gb18030ToUtf8("\xFF\x80\xFF\xD6\xD0" "A\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xE4\xB8\xAD" "A\xEF\xBF\xBD");
  EXPECT_EQ(Gb18030ToUtf8(std::string(1000, '\xFF')).size(), 3000u);
}

TEST(DecodeTest, Utf16WithBom) {
  std::string le("\xFF\xFE\x2D\x4E\x87\x65", 6);  // 中文
  EXPECT_EQ(DecodeBytes(le, "").utf8, "中文");
}

TEST(DecodeTest, HtmlMetaCharset) {
  EXPECT_EQ(DeclaredHtmlCharset("<html><head><meta charset=\"gb2312\"></head>"), "gb2312");
  EXPECT_EQ(DeclaredHtmlCharset("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=GBK\">"),
            "gbk");
}

TEST(DecodeTest, NewlinesNormalized) { EXPECT_EQ(NormalizeNewlines("a\r\nb\rc\n"), "a\nb\nc\n"); }

TEST(DecodeTest, FormatDetection) {
  EXPECT_EQ(DetectFormat("PK\x03\x04", "", ""), v1::SOURCE_FORMAT_DOCX);
  EXPECT_EQ(DetectFormat("<html><body>x</body></html>", "", ""), v1::SOURCE_FORMAT_HTML);
  EXPECT_EQ(DetectFormat("纯文本", "a.txt", ""), v1::SOURCE_FORMAT_TEXT);
  EXPECT_EQ(DetectFormat("%PDF-1.4", "a.pdf", ""), v1::SOURCE_FORMAT_UNSPECIFIED);
  EXPECT_EQ(DetectFormat(std::string("\x01\x02\x00\x03", 4), "", ""), v1::SOURCE_FORMAT_UNSPECIFIED);
}

// Issue 21: the entity scan looked for ';' through the rest of the text from every '&', so a page of
// ampersands took time quadratic in its length (16 MiB: hours). Now each '&' looks ahead 10 bytes.
TEST(HtmlTest, ARunOfAmpersandsIsReadInOnePass) {
  const std::string html(16 << 20, '&');
  HtmlText t = HtmlToText(html);
  EXPECT_EQ(t.text, html + "\n");
  EXPECT_EQ(HtmlToText("a&amp;b &#x4E00;&lt;x & y").text, "a&b 一<x & y\n");
}

TEST(HtmlTest, VisibleTextOnlyWithBlocksAndCells) {
  HtmlText t = HtmlToText(
      "<html><head><title>报告</title><style>p{}</style><script>var x = '增长9%';</script></head>"
      "<body><nav>首页 &gt; 要闻 2024年5G</nav><p>地区生产总值&nbsp;增长5.2%。</p><div>第二段<br>换行</div>"
      "<table><tr><td>序号</td><td>工作任务</td></tr><tr><td>1</td><td>任务一</td></tr></table>"
      "<footer>电话:010-12345678</footer><!-- 增长7% --></body></html>");
  EXPECT_EQ(t.title, "报告");
  EXPECT_EQ(t.text, "地区生产总值 增长5.2%。\n第二段\n换行\n序号\t工作任务\n1\t任务一\n");
}

std::string MakeDocx(const std::string& document_xml) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(out);
  zip_t* z = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  zip_source_t* doc = zip_source_buffer(z, document_xml.data(), document_xml.size(), 0);
  zip_file_add(z, "word/document.xml", doc, ZIP_FL_OVERWRITE);
  zip_close(z);
  zip_source_open(out);
  zip_source_seek(out, 0, SEEK_END);
  zip_int64_t size = zip_source_tell(out);
  zip_source_seek(out, 0, SEEK_SET);
  std::string bytes(static_cast<size_t>(size), '\0');
  zip_source_read(out, bytes.data(), size);
  zip_source_close(out);
  zip_source_free(out);
  zip_error_fini(&error);
  return bytes;
}

TEST(DocxTest, ParagraphsAndTableCells) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
      "<w:p><w:r><w:t>一、主要目标</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>地区生产总值</w:t></w:r><w:r><w:t>增长5%。</w:t></w:r></w:p>"
      "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>序号</w:t></w:r></w:p></w:tc>"
      "<w:tc><w:p><w:r><w:t>工作任务</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
      "</w:body></w:document>";
  auto text = DocxToText(MakeDocx(xml));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->text, "一、主要目标\n地区生产总值增长5%。\n序号\t工作任务\n");
  ASSERT_EQ(text->tables.size(), 1u);
  ASSERT_EQ(text->tables[0].rows.size(), 1u);
  EXPECT_EQ(text->tables[0].rows[0].offset, text->text.find("序号"));
  EXPECT_EQ(text->tables[0].rows[0].cells.size(), 2u);
}

TEST(DocxTest, BrokenDocxIsInvalidArgument) {
  auto text = DocxToText("PK\x03\x04 not really a zip");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(text.status().message()).find("accepted formats"), std::string::npos);
  auto no_document = DocxToText(MakeDocx("x"));  // a zip, but its only entry is not XML
  EXPECT_FALSE(no_document.ok());
}

TEST(NormalizationTest, FoldedOffsetsMapBackToTheOriginal) {
  std::u32string original = Utf8ToU32("专精特新“小巨人”企业增长５．２％");
  FoldedText f = Fold(original);
  EXPECT_EQ(U32ToUtf8(f.folded), "专精特新小巨人企业增长5.2%");
  // "5.2%" in the folded text maps to "５．２％" in the original.
  size_t pos = f.folded.find(U"5.2%");
  auto [b, e] = f.OriginalSpan(static_cast<int>(pos), static_cast<int>(pos + 4));
  EXPECT_EQ(U32ToUtf8(original.substr(b, e - b)), "５．２％");
  // A span across the dropped quotes covers them in the original.
  auto [nb, ne] = f.OriginalSpan(4, 7);  // 小巨人
  EXPECT_EQ(U32ToUtf8(original.substr(nb, ne - nb)), "小巨人");
}

TEST(NormalizationTest, StrictUtf8Check) {
  EXPECT_TRUE(IsValidUtf8("中文abc"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
  EXPECT_EQ(Utf8ToU32("\xE4\xB8").size(), 2u);  // lenient decode never fails
}

}  // namespace
}  // namespace luoshi::extract
