// Text from PDF conversion: reading through hard line breaks and dropping page furniture.
//
// pdftotext and "save as text" give lines wrapped at the page width (增长\n6.2%, 亿\n元, 地区生产\n总值),
// a page number on every page (— 3 —, -3-, 第 3 页 共 5 页, 3/5) and often a running head (the document
// title) next to it. The extractor reads sentences line by line, so such a document loses the figures
// whose sentence crosses a line end. NormaliseConvertedText edits the folded text (text.h) the way a
// reader sees the page, before any structure is read:
//   - page furniture: lines that are page numbers, when at least two of them count up through the
//     document at least four lines apart (a bare "3" only in a hard-wrapped document; a decorated
//     number beside text, "雁川区人民政府工作报告 -3-", when the same text comes back beside another),
//     and a line repeated next to two or more of them (the running head or foot) are dropped with the
//     blank lines around them; in a hard-wrapped document also a short line that is no running text, heading or
//     label and comes back three times or more (a running head without page numbers; the first line
//     of the document, its title, stays);
//   - hard wraps, only when the document looks hard-wrapped (at least four lines of running text, with
//     a clause mark inside, of about the same display width (CJK 2, ASCII 1) and ending in the middle
//     of a sentence, and they are at least half of the lines as wide or wider): a line of that width
//     which does not end a sentence (。!?) is joined with the next line, across blank lines and page
//     furniture only at a page break, unless the next line is indented (a new paragraph), a heading
//     (一、 (一) 1. (1) 第一章), a bullet, a task label (牵头领导:), or either is a table row (tabs, or
//     columns set apart by runs of spaces). Two Latin letters meeting at the join keep a space.
// Only the folded string and its `to_original` map change; the original text is untouched, so every
// span still points at the original characters (a span across a join covers the line break).
// A document that is not converted text (no page-number sequence, not hard-wrapped) is left as it is.
// Cost: one pass over the lines, O(n); line widths are measured only where needed.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_NORMALISE_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_NORMALISE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/ingestion/extract/text.h"

namespace luoshi::extract {

struct NormaliseStats {
  bool hard_wrapped = false;
  int wrap_width = 0;       // display width of a full line (CJK 2, ASCII 1)
  int page_numbers = 0;     // page-number lines dropped
  int running_heads = 0;    // running head/foot lines dropped
  int joins = 0;            // line breaks read through
  // Original ranges read over at each join (the line break, spaces and any page furniture between the
  // two halves), in order; for names quoted from the original text (ReadingText).
  std::vector<std::pair<int, int>> read_over;
};

// Edits `folded` (made by Fold(original)) in place; returns what was done.
NormaliseStats NormaliseConvertedText(std::u32string_view original, FoldedText* folded);

// Page number of a page-number line (trimmed folded text: "— 3 —", "-3-", "第 3 页 共 5 页", "3/5",
// "3"), or -1 when the line is something else. *bare tells a bare number ("3"), which counts as a page
// number only in a hard-wrapped document.
int PageNumberOfLine(std::u32string_view line, bool* bare = nullptr);

// The original text of [begin, end) as a reader reads it, without the ranges read over
// ("网\n上零售额" → "网上零售额"; a page break with its furniture inside a name disappears too). A space
// stays between two Latin letters.
std::string ReadingText(std::u32string_view original, const std::vector<std::pair<int, int>>& read_over,
                        int begin, int end);

// A name quoted across joined lines when its place is not known: whitespace runs holding a line break
// are removed (a space stays between Latin letters).
std::string ReadThroughLineBreaks(const std::string& utf8);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_NORMALISE_H_
