// .docx to text: word/document.xml read with libzip from memory, walked with pugixml.
#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pugixml.hpp"
#include "services/common/status_macros.h"
#include "services/ingestion/extract/decode.h"

namespace luoshi::extract {
namespace {

constexpr zip_uint64_t kMaxDocumentXml = 64ull << 20;  // refuse zip bombs
// Most tags ('<') document.xml may have. The parsed tree costs some 60 bytes per element, so 64 MiB of
// empty paragraphs (a .docx of a few hundred KiB) would be a tree of 600 MiB; a long real report has a few
// hundred thousand tags.
constexpr size_t kMaxDocumentXmlTags = 4'000'000;

absl::Status NotDocx(std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("the file is not a readable .docx (", std::string(why),
                   "); accepted formats: plain text, HTML, .docx"));
}

absl::StatusOr<std::string> ReadDocumentXml(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) {
    zip_error_fini(&error);
    return NotDocx("cannot open the zip container");
  }
  zip_t* archive = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    zip_source_free(src);
    zip_error_fini(&error);
    return NotDocx("broken zip container");
  }
  std::unique_ptr<zip_t, int (*)(zip_t*)> closer(archive, zip_close);
  zip_error_fini(&error);
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(archive, "word/document.xml", 0, &st) != 0) return NotDocx("no word/document.xml");
  if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > kMaxDocumentXml) {
    return NotDocx("word/document.xml is missing its size or is too large");
  }
  zip_file_t* file = zip_fopen(archive, "word/document.xml", 0);
  if (file == nullptr) return NotDocx("cannot read word/document.xml");
  std::string xml(static_cast<size_t>(st.size), '\0');
  zip_int64_t got = 0;
  while (got < static_cast<zip_int64_t>(xml.size())) {
    zip_int64_t r = zip_fread(file, xml.data() + got, xml.size() - got);
    if (r <= 0) break;
    got += r;
  }
  zip_fclose(file);
  if (got != static_cast<zip_int64_t>(xml.size())) return NotDocx("word/document.xml is truncated");
  return xml;
}

// Text of one w:p: runs' w:t, tabs and breaks.
void AppendParagraph(const pugi::xml_node& p, std::string* out, int depth = 0) {
  if (depth > 32) return;
  for (pugi::xml_node n = p.first_child(); n; n = n.next_sibling()) {
    std::string_view name = n.name();
    if (name == "w:r" || name == "w:hyperlink" || name == "w:ins" || name == "w:smartTag" ||
        name == "w:fldSimple" || name == "w:sdt" || name == "w:sdtContent") {
      AppendParagraph(n, out, depth + 1);
    } else if (name == "w:t") {
      out->append(n.text().get());
    } else if (name == "w:tab") {
      out->push_back(' ');
    } else if (name == "w:br" || name == "w:cr") {
      out->push_back('\n');
    }
  }
}

// Where the reader writes: the text, and the tables of the body (cells' inner tables are flattened
// into their cell and not reported).
struct Sink {
  std::string* out;
  std::vector<SourceTable>* tables;  // null inside a table cell
};

void AppendBlock(const pugi::xml_node& parent, Sink sink, int depth);

int IntAttribute(const pugi::xml_node& node, int fallback) {
  const pugi::xml_attribute val = node.attribute("w:val");
  return val ? val.as_int(fallback) : fallback;
}

// One w:tbl: each w:tr one line, its w:tc separated by tabs. w:gridSpan gives a cell's width in grid
// columns; a w:vMerge without val="restart" continues the cell above (Word writes it empty).
void AppendTable(const pugi::xml_node& tbl, Sink sink, int depth) {
  SourceTable table;
  for (pugi::xml_node tr : tbl.children("w:tr")) {
    SourceRow row;
    row.offset = sink.out->size();
    bool first = true;
    for (pugi::xml_node tc : tr.children("w:tc")) {
      if (!first) sink.out->push_back('\t');
      first = false;
      SourceCell source_cell;
      const pugi::xml_node props = tc.child("w:tcPr");
      if (const pugi::xml_node span = props.child("w:gridSpan")) {
        source_cell.col_span = std::clamp(IntAttribute(span, 1), 1, kMaxTableColumns);
      }
      if (const pugi::xml_node merge = props.child("w:vMerge")) {
        source_cell.continues_above = std::string_view(merge.attribute("w:val").value()) != "restart";
      }
      row.cells.push_back(source_cell);
      std::string cell;
      AppendBlock(tc, Sink{&cell, nullptr}, depth + 1);
      // A cell's paragraphs are joined on one line so that a row stays one line.
      for (char& c : cell) {
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
      }
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      sink.out->append(cell);
    }
    sink.out->push_back('\n');
    table.rows.push_back(std::move(row));
  }
  if (sink.tables != nullptr && !table.rows.empty()) sink.tables->push_back(std::move(table));
}

void AppendBlock(const pugi::xml_node& parent, Sink sink, int depth) {
  if (depth > 32) return;
  for (pugi::xml_node n = parent.first_child(); n; n = n.next_sibling()) {
    std::string_view name = n.name();
    if (name == "w:p") {
      AppendParagraph(n, sink.out);
      sink.out->push_back('\n');
    } else if (name == "w:tbl") {
      AppendTable(n, sink, depth);
    } else if (name == "w:sdt" || name == "w:sdtContent" || name == "w:customXml") {
      AppendBlock(n, sink, depth + 1);
    }
  }
}

}  // namespace

absl::StatusOr<DocxText> DocxToText(std::string_view bytes) {
  LUOSHI_ASSIGN_OR_RETURN(auto xml, ReadDocumentXml(bytes));
  if (std::count(xml.begin(), xml.end(), '<') > static_cast<std::ptrdiff_t>(kMaxDocumentXmlTags)) {
    return NotDocx(absl::StrCat("word/document.xml has more than ", kMaxDocumentXmlTags,
                                " tags, far more than any real document"));
  }
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) return NotDocx(absl::StrCat("word/document.xml is not XML: ", parsed.description()));
  pugi::xml_node body = doc.child("w:document").child("w:body");
  if (!body) return NotDocx("no w:body in word/document.xml");
  DocxText out;
  AppendBlock(body, Sink{&out.text, &out.tables}, 0);
  // Carriage returns would become line breaks later and move the tables' rows: make them spaces.
  std::replace(out.text.begin(), out.text.end(), '\r', ' ');
  return out;
}

}  // namespace luoshi::extract
