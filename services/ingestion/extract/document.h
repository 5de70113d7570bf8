// The document model every extraction step reads: decoded text, its folded form, lines, sections and
// sentences, plus the metadata found in the header.
//
// All analysis runs on folded offsets (see text.h); Doc::Span() maps a folded range to the original
// decoded text that luoshi.v1.Extraction.text holds, which is what every Span in the output uses.
//
// Structure rules:
//   - a line is noise when it is page furniture: breadcrumbs, 来源/日期/打印 lines, metadata bullets
//     (索引号, 发文单位, 成文日期 …), bylines (——2020年7月29日在…), font-size widgets. Noise lines
//     feed the metadata and never produce figures;
//   - headings: 一、 (level 1), (一) (level 2), 1. / 1、 (level 3), (1) (level 4) at the start of a
//     line. A numbered paragraph directly followed by task labels (牵头领导: …) is a task, not a
//     heading. A heading that runs on into text ends at its first 。;
//   - sentences end at 。！？!? and at line ends; table rows (cells separated by tabs or |) are one
//     sentence each.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_DOCUMENT_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_DOCUMENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "luoshi/v1/ingestion.pb.h"
#include "services/ingestion/extract/table.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {

struct LineInfo {
  int begin = 0;  // folded offsets, without the newline
  int end = 0;
  bool noise = false;
  bool blank = false;
  bool task_start = false;  // a numbered task paragraph (division plans)
  bool task_label = false;  // 牵头领导: / 主要责任单位: / 完成时限: …
  bool title_like = false;  // the document title or a plan title line
  int heading_level = 0;    // 0 when not a heading
  int marker_end = 0;       // end of the heading/list marker ("一、")
  int section = -1;         // index into sections of the innermost section holding the line
  int table = -1;           // index into Doc::tables when the line is a row of a .docx/HTML table
  int table_row = -1;       // the row within that table
  bool table_figures = false;  // a row of an indicator table: its figures are read cell by cell
};

struct SectionInfo {
  int level = 0;
  int begin = 0;  // heading span, folded
  int end = 0;
  int marker_end = 0;
  int parent = -1;
  int line = 0;
};

struct SentenceInfo {
  int begin = 0;  // folded
  int end = 0;
  int line = 0;
  int section = -1;
};

struct Doc {
  std::u32string original;
  FoldedText folded;
  std::vector<LineInfo> lines;
  std::vector<SectionInfo> sections;
  std::vector<SentenceInfo> sentences;
  std::vector<Table> tables;  // the .docx/HTML tables (see table.h)
  v1::DocumentMetadata metadata;

  const std::u32string& f() const { return folded.folded; }
  // Original-text span of a folded range.
  v1::Span Span(int begin, int end) const;
  // Original text of a folded range, as UTF-8.
  std::string OriginalText(int begin, int end) const;
  // Same, but the span starts at the first character after folded position begin - 1, so that
  // characters dropped by folding (an opening quote) right before `begin` are kept.
  v1::Span SpanKeepingLead(int begin, int end) const;
  // Heading texts of a section and its ancestors, outermost first.
  std::vector<std::string> SectionPath(int section) const;
  // Index of the sentence holding folded offset pos (-1 if none).
  int SentenceAt(int pos) const;
};

// Splits lines, places the reader's tables on them (see PlaceTables), classifies noise and task lines,
// finds headings and sentences. A table row with two or more filled cells is never a heading.
void AnalyzeStructure(Doc* doc, std::string_view utf8 = {}, const std::vector<SourceTable>& tables = {});

// Places the tables a reader reported (row offsets in `utf8`, the reader's text) on the document's lines.
// A table whose rows no longer start lines is left out.
void PlaceTables(std::string_view utf8, const std::vector<SourceTable>& tables, Doc* doc);

// Fills doc->metadata (title, type, region, year, period, issuer, number, dates) from the header lines
// and the title; hints apply when the document does not say. `regions` are the catalog's regions.
void ExtractMetadata(const v1::Catalog& catalog, const std::string& region_hint, int year_hint,
                     const std::string& html_title, Doc* doc);

// "2023年3月3日", "2023-03-09", "2023/3/9" → "2023-03-03"; empty when not a date.
std::string ParseIsoDate(std::u32string_view folded);

// True for a line starting with a task label and a colon (牵头领导: …), folded text.
bool IsTaskLabelLine(std::u32string_view line);

// Level of a heading marker at the start of a trimmed line, and the marker length; 0 if none.
int HeadingMarker(std::u32string_view line, int* marker_len);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_DOCUMENT_H_
