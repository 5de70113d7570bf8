#include "services/ingestion/extract/normalise.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/numbers.h"

namespace luoshi::extract {
namespace {

// A full line may fall this much short of the widest lines: justified text ends a line early when the
// next number or word does not fit, and closing punctuation may hang past the margin.
constexpr int kWidthTolerance = 6;
constexpr int kMinLongWidth = 16;   // display width of a line that can be a wrapped body line
constexpr int kMaxTrackedWidth = 256;
constexpr int kMinFullOpenLines = 4;
constexpr int kMinPageLineGap = 4;  // page numbers of consecutive pages are this many lines apart at least
constexpr size_t kMaxRunningHeadLength = 80;
constexpr size_t kMaxRepeatedHeadLength = 40;
constexpr int kMaxPageLineLength = 60;  // code points of a page-number line, running foot included

struct Line {
  int begin = 0;  // folded, line start (leading spaces included)
  int end = 0;    // folded, position of the '\n' (or the text end)
  int tb = 0;     // trimmed
  int te = 0;
  int indent = 0;   // display width of the leading spaces
  int width = -1;   // display width, indentation included; -1 until measured (Width)
  bool indented = false;
  bool blank = true;
  bool furniture = false;
  int page = -1;
};

// Folding turns every space (ideographic, no-break, en/em/thin) into ' ', so IsSpace on folded text is:
bool IsFoldedSpace(char32_t c) { return c == U' ' || c == U'\t' || c == U'\r' || c == U'\n'; }

int DisplayWidth(char32_t original) {
  if (original == U'\t') return 4;
  if (original < 0x80 || (original >= 0xFF61 && original <= 0xFF9F)) return 1;
  return 2;
}

bool IsDash(char32_t c) {
  return c == U'-' || c == 0x2012 || c == 0x2013 || c == 0x2014 || c == 0x2015 || c == 0x2212;
}

// Reads 1–4 ASCII digits at *i; -1 if none.
int ReadNumber(std::u32string_view s, size_t* i) {
  size_t j = *i;
  int v = 0;
  while (j < s.size() && j - *i < 4 && IsAsciiDigit(s[j])) v = v * 10 + static_cast<int>(s[j++] - U'0');
  if (j == *i || (j < s.size() && IsAsciiDigit(s[j]))) return -1;
  *i = j;
  return v;
}

bool Expect(std::u32string_view s, size_t* i, char32_t c) {
  if (*i < s.size() && s[*i] == c) {
    ++*i;
    return true;
  }
  return false;
}

// "第3页", optionally with "共5页" before or after (spaces, commas and slashes already removed).
int PageOfChineseForm(std::u32string_view s) {
  size_t i = 0;
  auto total = [&]() {
    size_t j = i;
    if (Expect(s, &j, U'共') && ReadNumber(s, &j) >= 0 && Expect(s, &j, U'页')) {
      i = j;
      return true;
    }
    return false;
  };
  total();
  if (!Expect(s, &i, U'第')) return -1;
  int page = ReadNumber(s, &i);
  if (page < 0 || !Expect(s, &i, U'页')) return -1;
  total();
  return i == s.size() ? page : -1;
}

bool EndsSentence(std::u32string_view line) {
  size_t e = line.size();
  while (e > 0 && (line[e - 1] == U')' || line[e - 1] == U'》' || line[e - 1] == U']')) --e;
  if (e == 0) return false;
  char32_t c = line[e - 1];
  return c == U'。' || c == U'!' || c == U'?';
}

// Running text: a clause mark inside the line (a thousands separator is no clause mark).
bool IsProse(std::u32string_view line) {
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    char32_t c = line[i];
    if (c == U'。' || c == U'、' || c == U';') return true;
    if (c == U',' && !(i > 0 && IsAsciiDigit(line[i - 1]) && IsAsciiDigit(line[i + 1]))) return true;
  }
  return false;
}

// A line that starts a block of its own: a heading, a chapter or article, a task label, a byline.
bool StartsBlock(std::u32string_view line) {
  constexpr std::u32string_view kBullets = U"•·●○■□◆◇▪*";
  if (!line.empty() && kBullets.find(line[0]) != std::u32string_view::npos) return true;
  int marker = 0;
  if (HeadingMarker(line, &marker) > 0 || IsTaskLabelLine(line) || StartsWith(line, U"——")) return true;
  if (StartsWith(line, U"第")) {
    size_t i = 1;
    while (i < line.size() && i < 6 && (IsChineseDigit(line[i]) || line[i] == U'十' || line[i] == U'百')) ++i;
    if (i > 1 && i < line.size() &&
        (line[i] == U'章' || line[i] == U'节' || line[i] == U'条' || line[i] == U'部' || line[i] == U'篇')) {
      return true;
    }
  }
  return false;
}

std::vector<Line> SplitLines(std::u32string_view original, const FoldedText& f) {
  std::vector<Line> lines;
  const std::u32string& t = f.folded;
  size_t start = 0;
  while (start <= t.size()) {
    size_t nl = t.find(U'\n', start);
    if (nl == std::u32string::npos) nl = t.size();
    Line line;
    line.begin = static_cast<int>(start);
    line.end = static_cast<int>(nl);
    int b = line.begin, e = line.end;
    while (b < e && IsFoldedSpace(t[b])) line.indent += DisplayWidth(original[f.to_original[b++]]);
    while (e > b && IsFoldedSpace(t[e - 1])) --e;
    line.tb = b;
    line.te = e;
    line.blank = b == e;
    line.indented = line.indent >= 2;
    lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

// Display width of a line, measured on first use (most lines of an ordinary document never are). Only
// short lines can be wrapped lines: a long paragraph is measured up to kMaxTrackedWidth.
int Width(std::u32string_view original, const FoldedText& f, Line* l) {
  if (l->width < 0) {
    int width = l->indent;
    for (int k = l->tb; k < l->te && width <= kMaxTrackedWidth; ++k) {
      width += DisplayWidth(original[f.to_original[k]]);
    }
    l->width = width;
  }
  return l->width;
}

std::u32string_view Text(const FoldedText& f, const Line& l) {
  return std::u32string_view(f.folded).substr(l.tb, l.te - l.tb);
}

// A page number beside a running foot or head, set apart by spaces: "雁川区人民政府工作报告 -3-",
// "— 4 — 雁川区人民政府工作报告", "桐湾市统计局 第 2 页". The number must be decorated (dashes, 第…页, 3/5):
// text ending in a bare number is a sentence. Returns the page and the text beside it, or -1.
int LabelledPageNumber(std::u32string_view s, std::u32string_view* label) {
  // The number stands at one end: the line starts with a dash, 第, 共 or a digit, or ends with a dash, 页
  // or a digit. Most lines leave at this first look.
  if (s.size() < 3) return -1;
  const char32_t first = s.front(), last = s.back();
  if (!(IsDash(first) || first == U'第' || first == U'共' || IsAsciiDigit(first)) &&
      !(IsDash(last) || last == U'页' || IsAsciiDigit(last))) {
    return -1;
  }
  bool mark = false, space = false;
  for (char32_t c : s) {
    mark |= IsDash(c) || c == U'第' || c == U'/';
    space |= c == U' ' || c == U'\t';  // folded: every other space is ' ' already
  }
  if (!mark || !space) return -1;
  auto try_split = [&](size_t cut, bool number_last) {
    if (cut == 0 || cut >= s.size()) return -1;
    auto left = Trim(s.substr(0, cut)), right = Trim(s.substr(cut));
    auto number = number_last ? right : left;
    auto text = number_last ? left : right;
    while (!text.empty() && (IsDash(text.front()) || IsSpace(text.front()))) text.remove_prefix(1);
    while (!text.empty() && (IsDash(text.back()) || IsSpace(text.back()))) text.remove_suffix(1);
    bool bare = false;
    int page = PageNumberOfLine(number, &bare);
    if (page < 0 || bare || text.empty() || PageNumberOfLine(text) >= 0) return -1;
    *label = text;
    return page;
  };
  // Lines this short are tried at each space (第 3 页 has spaces inside, and so may the foot).
  for (size_t i = 1; i < s.size(); ++i) {
    if (!IsSpace(s[i]) || IsSpace(s[i - 1])) continue;
    int page = try_split(i, true);
    if (page < 0) page = try_split(i, false);
    if (page >= 0) return page;
  }
  return -1;
}

// Marks page-number lines (when they count up through the document) and the running heads next to
// them as furniture. Returns the number of running-head lines. A bare number on a line ("3") counts
// only in a hard-wrapped document: elsewhere it may be a table's 序号 cell or a list marker.
int MarkFurniture(const FoldedText& f, bool bare_numbers, std::vector<Line>* lines, int* page_numbers) {
  std::vector<int> pages;
  std::unordered_map<std::u32string_view, int> labels;  // the text beside a page number: count
  for (size_t i = 0; i < lines->size(); ++i) {
    auto& l = (*lines)[i];
    if (l.blank || l.te - l.tb > kMaxPageLineLength) continue;
    bool bare = false;
    auto s = Text(f, l);
    l.page = PageNumberOfLine(s, &bare);
    if (bare && !bare_numbers) l.page = -1;
    if (l.page < 0) {
      std::u32string_view label;
      l.page = LabelledPageNumber(s, &label);
      if (l.page >= 0) ++labels[label];
    }
    if (l.page >= 0) pages.push_back(static_cast<int>(i));
  }
  // A page number beside text ("雁川区人民政府工作报告 -3-") counts when that text comes back beside
  // another page number: a running foot, not a sentence that happens to end in a number.
  if (!labels.empty()) {
    std::vector<int> kept;
    for (int p : pages) {
      auto& l = (*lines)[p];
      std::u32string_view label;
      if (LabelledPageNumber(Text(f, l), &label) >= 0 && labels[label] < 2) {
        l.page = -1;
      } else {
        kept.push_back(p);
      }
    }
    pages.swap(kept);
  }
  *page_numbers = 0;
  if (pages.size() < 2) return 0;
  for (size_t k = 1; k < pages.size(); ++k) {
    const auto& prev = (*lines)[pages[k - 1]];
    const auto& cur = (*lines)[pages[k]];
    if (cur.page <= prev.page || pages[k] - pages[k - 1] < kMinPageLineGap) return 0;
  }
  // The nearest non-blank line on each side of a page number is a running head or foot when the same
  // text sits next to at least two page numbers.
  auto neighbour = [&](int i, int step) {
    for (int j = i + step; j >= 0 && j < static_cast<int>(lines->size()); j += step) {
      const auto& l = (*lines)[j];
      if (l.blank) continue;
      return l.page >= 0 ? -1 : j;
    }
    return -1;
  };
  std::unordered_map<std::u32string, int> seen;
  std::vector<int> candidates;
  for (int p : pages) {
    for (int step : {-1, 1}) {
      int j = neighbour(p, step);
      if (j < 0) continue;
      auto s = Text(f, (*lines)[j]);
      if (s.size() > kMaxRunningHeadLength || EndsSentence(s)) continue;
      ++seen[std::u32string(s)];
      candidates.push_back(j);
    }
  }
  int heads = 0;
  for (int j : candidates) {
    auto& l = (*lines)[j];
    if (!l.furniture && seen[std::u32string(Text(f, l))] >= 2) {
      l.furniture = true;
      ++heads;
    }
  }
  for (int p : pages) (*lines)[p].furniture = true;
  *page_numbers = static_cast<int>(pages.size());
  return heads;
}

// In a hard-wrapped document, a short line that is no running text, heading or label and comes back
// three times or more is a running head even without page numbers (its first occurrence stays when it
// opens the document: the title).
int MarkRepeatedLines(const FoldedText& f, std::vector<Line>* lines) {
  auto candidate = [&](const Line& l) {
    if (l.blank || l.furniture || static_cast<size_t>(l.te - l.tb) > kMaxRepeatedHeadLength) return false;
    auto s = Text(f, l);
    return !EndsSentence(s) && !IsProse(s) && !StartsBlock(s);
  };
  std::unordered_map<std::u32string_view, int> seen;
  for (const auto& l : *lines) {
    if (candidate(l)) ++seen[Text(f, l)];
  }
  int first_content = 0;
  while (first_content < static_cast<int>(lines->size()) && (*lines)[first_content].blank) ++first_content;
  int heads = 0;
  for (int i = first_content + 1; i < static_cast<int>(lines->size()); ++i) {
    auto& l = (*lines)[i];
    if (candidate(l) && seen[Text(f, l)] >= 3) {
      l.furniture = true;
      ++heads;
    }
  }
  return heads;
}

// Columns laid out with runs of spaces (a table in pdftotext -layout): such lines are never joined.
bool HasColumnGap(std::u32string_view line) { return line.find(U"  ") != std::u32string_view::npos; }

// Finds the width of a full line: the widest window of kWidthTolerance holding the most lines of
// running text that end mid-sentence. Hard-wrapped when there are enough of them and they are at least
// half of all the lines as wide or wider (in an ordinary document those are paragraphs ending in 。).
bool DetectHardWrap(std::u32string_view original, const FoldedText& f, std::vector<Line>* lines,
                    int* full_width) {
  std::array<int, kMaxTrackedWidth + 2> hist{};
  int last_content = static_cast<int>(lines->size()) - 1;
  while (last_content >= 0 && (*lines)[last_content].blank) --last_content;
  // Every character is at least 1 wide and at most 2 (tabs aside): lines are measured only when the
  // bounds cannot decide.
  for (int i = 0; i < last_content; ++i) {
    Line& l = (*lines)[i];
    const int len = l.te - l.tb;
    if (l.blank || l.indent + 2 * len < kMinLongWidth) continue;
    auto s = Text(f, l);
    if (EndsSentence(s) || !IsProse(s)) continue;
    ++hist[std::min(Width(original, f, &l), kMaxTrackedWidth + 1)];
  }
  int best = 0, best_top = 0, window = 0;
  for (int top = 0; top <= kMaxTrackedWidth; ++top) {
    window += hist[top];
    if (top - kWidthTolerance - 1 >= 0) window -= hist[top - kWidthTolerance - 1];
    if (window >= best) best = window, best_top = top;
  }
  *full_width = best_top;
  if (best < kMinFullOpenLines) return false;
  const int lo = std::max(best_top - kWidthTolerance, kMinLongWidth);
  int as_wide = 0;
  for (int i = 0; i < last_content; ++i) {
    Line& l = (*lines)[i];
    const int len = l.te - l.tb;
    if (l.blank || l.indent + 2 * len < lo) continue;
    if (l.indent + len >= lo || Width(original, f, &l) >= lo) ++as_wide;
  }
  return 2 * best >= as_wide;
}

}  // namespace

int PageNumberOfLine(std::u32string_view line, bool* bare) {
  if (bare) *bare = false;
  line = Trim(line);
  if (line.empty() || line.size() > 24) return -1;
  // "— 3 —", "-3-", "- 3 -", "3"
  {
    size_t b = 0, e = line.size();
    while (b < e && (IsDash(line[b]) || IsSpace(line[b]))) ++b;
    while (e > b && (IsDash(line[e - 1]) || IsSpace(line[e - 1]))) --e;
    size_t i = b;
    int v = ReadNumber(line.substr(0, e), &i);
    if (v >= 0 && i == e) {
      if (bare) *bare = b == 0 && e == line.size();
      return v;
    }
  }
  // "3/5", "3 / 5", "第 3 页 共 5 页", "共5页 第3页", "第3页/共5页"
  if (line[0] == U'第' || line[0] == U'共') {
    std::array<char32_t, 24> packed{};
    size_t n = 0;
    for (char32_t c : line) {
      if (!IsSpace(c) && c != U',' && c != U'/') packed[n++] = c;
    }
    return PageOfChineseForm(std::u32string_view(packed.data(), n));
  }
  size_t slash = line.find(U'/');
  if (slash != std::u32string_view::npos) {
    auto left = Trim(line.substr(0, slash));
    auto right = Trim(line.substr(slash + 1));
    size_t i = 0, j = 0;
    int page = ReadNumber(left, &i);
    int total = ReadNumber(right, &j);
    if (page > 0 && total >= page && i == left.size() && j == right.size()) return page;
  }
  return -1;
}

NormaliseStats NormaliseConvertedText(std::u32string_view original, FoldedText* f) {
  NormaliseStats stats;
  std::vector<Line> lines = SplitLines(original, *f);
  // Wrapping is measured before page furniture is known: furniture lines are short, and a running head
  // as wide as a full line only counts against wrapping.
  stats.hard_wrapped = DetectHardWrap(original, *f, &lines, &stats.wrap_width);
  stats.running_heads = MarkFurniture(*f, stats.hard_wrapped, &lines, &stats.page_numbers);
  if (stats.hard_wrapped) stats.running_heads += MarkRepeatedLines(*f, &lines);
  if (!stats.hard_wrapped && stats.page_numbers == 0 && stats.running_heads == 0) return stats;
  const int full = stats.wrap_width - kWidthTolerance;

  struct Edit {
    int from;
    int to;
    bool space;
  };
  std::vector<Edit> edits;
  const std::u32string& t = f->folded;
  int prev = -1;
  bool gap_blank = false, gap_furniture = false;
  for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
    const Line& b = lines[i];
    if (b.furniture) {
      gap_furniture = true;
      continue;
    }
    if (b.blank) {
      gap_blank = true;
      continue;
    }
    if (prev < 0) {
      if (gap_furniture) edits.push_back({0, b.begin, false});
    } else {
      Line& a = lines[prev];
      auto at = Text(*f, a), bt = Text(*f, b);
      bool join = stats.hard_wrapped && (gap_furniture || !gap_blank) && Width(original, *f, &a) >= full &&
                  !EndsSentence(at) && !b.indented && !StartsBlock(bt) && !Contains(at, U"\t") &&
                  !Contains(bt, U"\t") && !HasColumnGap(at) && !HasColumnGap(bt);
      if (join) {
        bool space = IsAsciiLetter(t[a.te - 1]) && IsAsciiLetter(t[b.tb]);
        edits.push_back({a.te, b.tb, space});
        ++stats.joins;
        int over_end = f->to_original[b.begin - 1] + 1;  // after the newline before b's line
        while (over_end < static_cast<int>(original.size()) && IsSpace(original[over_end])) ++over_end;
        stats.read_over.emplace_back(f->to_original[a.te], over_end);
      } else if (gap_furniture) {
        edits.push_back({a.end + 1, b.begin, false});
      }
    }
    prev = i;
    gap_blank = gap_furniture = false;
  }
  if (prev >= 0 && gap_furniture) edits.push_back({lines[prev].end, static_cast<int>(t.size()), false});
  if (edits.empty()) return stats;

  FoldedText out;
  out.folded.reserve(t.size());
  out.to_original.reserve(t.size() + 1);
  int pos = 0;
  auto copy = [&](int from, int to) {
    out.folded.append(t, from, to - from);
    out.to_original.insert(out.to_original.end(), f->to_original.begin() + from, f->to_original.begin() + to);
  };
  for (const Edit& e : edits) {
    if (e.from < pos || e.to < e.from) continue;
    copy(pos, e.from);
    if (e.space) {
      out.folded.push_back(U' ');
      out.to_original.push_back(f->to_original[e.from]);
    }
    pos = e.to;
  }
  copy(pos, static_cast<int>(t.size()));
  out.to_original.push_back(f->to_original.back());
  *f = std::move(out);
  return stats;
}

std::string ReadingText(std::u32string_view original, const std::vector<std::pair<int, int>>& read_over,
                        int begin, int end) {
  begin = std::max(begin, 0);
  end = std::min(end, static_cast<int>(original.size()));
  std::u32string out;
  auto it = std::lower_bound(read_over.begin(), read_over.end(), std::make_pair(begin, begin),
                             [](const auto& a, const auto& b) { return a.second <= b.first; });
  int pos = begin;
  for (; it != read_over.end() && it->first < end && pos < end; ++it) {
    if (it->first > pos) out.append(original.substr(pos, it->first - pos));
    pos = std::max(pos, it->second);
    if (!out.empty() && pos < end && IsAsciiLetter(out.back()) && IsAsciiLetter(original[pos])) out.push_back(U' ');
  }
  if (pos < end) out.append(original.substr(pos, end - pos));
  return U32ToUtf8(out);
}

std::string ReadThroughLineBreaks(const std::string& utf8) {
  if (utf8.find('\n') == std::string::npos) return utf8;
  std::u32string s = Utf8ToU32(utf8), out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (!IsSpace(s[i])) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i;
    bool newline = false;
    while (j < s.size() && IsSpace(s[j])) newline |= s[j++] == U'\n';
    if (!newline) {
      out.append(s, i, j - i);
    } else if (!out.empty() && j < s.size() && IsAsciiLetter(out.back()) && IsAsciiLetter(s[j])) {
      out.push_back(U' ');
    }
    i = j;
  }
  return U32ToUtf8(out);
}

}  // namespace luoshi::extract
