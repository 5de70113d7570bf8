// Byte decoding and format reading: from uploaded bytes to plain UTF-8 text.
//
//   bytes ──DetectFormat──► TEXT / HTML / DOCX
//     TEXT, HTML: DecodeBytes (BOM → HTML <meta charset> → strict UTF-8 → GB18030) → HtmlToText for HTML
//     DOCX:       DocxToText (libzip + pugixml over word/document.xml)
//   then NormalizeNewlines (CRLF and CR become LF).
//
// GB2312 and GBK are subsets of GB18030, so all three are decoded as GB18030 (through the C library's
// iconv, which every glibc and macOS libiconv provides); undecodable bytes become U+FFFD and never stop
// the decoding.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_DECODE_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_DECODE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "luoshi/v1/ingestion.pb.h"
#include "services/ingestion/extract/table.h"

namespace luoshi::extract {

struct DecodedText {
  std::string utf8;
  std::string encoding;  // "UTF-8", "UTF-16LE", "UTF-16BE", "GB18030"
};

// Charset declared in an HTML <meta charset=...> or <meta http-equiv content="...charset=...">,
// lower-cased; empty if none in the first 4 KiB.
std::string DeclaredHtmlCharset(std::string_view bytes);

// Decodes text bytes. `declared` is a charset from a MIME type or HTML meta ("gbk", "utf-8"), may be
// empty. Never fails.
DecodedText DecodeBytes(std::string_view bytes, std::string_view declared);

// GB18030 (and so GBK/GB2312) to UTF-8, replacing invalid sequences with U+FFFD.
std::string Gb18030ToUtf8(std::string_view bytes);
// UTF-8 to GB18030 (used by tests and tools); characters iconv cannot encode are skipped.
std::string Utf8ToGb18030(std::string_view utf8);

// CRLF and lone CR become LF.
std::string NormalizeNewlines(std::string_view text);

// Which reader applies. UNSPECIFIED means "not a format we read" (binary data, PDF, old .doc …).
v1::SourceFormat DetectFormat(std::string_view bytes, std::string_view filename,
                              std::string_view content_type);

struct HtmlText {
  std::string text;   // visible text, blocks and cells separated by newlines / tabs
  std::string title;  // <title>, if any
  std::vector<SourceTable> tables;  // each <table>: one line per row, cells separated by tabs
};
// Visible text of an HTML document (already decoded to UTF-8). Scripts, styles, navigation, headers,
// footers and comments are dropped; block elements end lines; table cells are separated by tabs.
HtmlText HtmlToText(std::string_view html);

struct DocxText {
  std::string text;                 // paragraphs one per line; table rows one per line, cells tab-separated
  std::vector<SourceTable> tables;  // each w:tbl of the body
};
// Paragraph and table text of a .docx. INVALID_ARGUMENT when the bytes are not a readable .docx.
absl::StatusOr<DocxText> DocxToText(std::string_view bytes);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_DECODE_H_
