#include "services/ingestion/extract/document.h"

#include <algorithm>

#include "services/ingestion/extract/numbers.h"

namespace luoshi::extract {
namespace {

constexpr std::u32string_view kNoisePrefixes[] = {
    U"索引号", U"发文单位", U"信息名称", U"发文序号", U"发文字号", U"文号", U"信息有效性", U"有效性",
    U"主题分类", U"公开类型", U"公开方式", U"成文日期", U"发布日期", U"发布机构", U"来源:", U"日期:",
    U"【字", U"[字", U"字号:", U"分享到", U"责任编辑", U"扫一扫", U"打印", U"关闭", U"收藏",
    U"-->", U"首页>", U"首页 >", U"当前位置", U"您的位置", U"•", U"·", U"●", U"面包屑",
};
constexpr std::u32string_view kNoiseLines[] = {U"展开", U"收起", U"打印本页", U"关闭窗口"};

constexpr std::u32string_view kTaskLabels[] = {
    U"牵头领导", U"责任领导", U"分管领导", U"主要责任单位", U"牵头单位", U"责任单位", U"主责单位",
    U"配合单位", U"协办单位", U"参与单位", U"完成时限", U"时间节点", U"完成时间", U"办结时限",
};

bool IsNoiseLine(std::u32string_view line) {
  for (auto w : kNoiseLines) {
    if (line == w) return true;
  }
  for (auto p : kNoisePrefixes) {
    if (StartsWith(line, p)) return true;
  }
  // Byline of a speech: "——2020年7月29日在北京市第十五届人民代表大会…上".
  if (StartsWith(line, U"——") && line.size() > 8 &&
      Contains(line.substr(0, std::min<size_t>(line.size(), 16)), U"日")) {
    return true;
  }
  if (Contains(line, U"面包屑") || (Contains(line, U"首页") && Contains(line, U">"))) return true;
  if ((Contains(line, U"打印") && (Contains(line, U"字体") || Contains(line, U"字号"))) ||
      (Contains(line, U"来源:") && Contains(line, U"日期:"))) {
    return true;
  }
  return false;
}

}  // namespace

bool IsTaskLabelLine(std::u32string_view line) {
  for (auto l : kTaskLabels) {
    if (StartsWith(line, l) && line.size() > l.size() && (line[l.size()] == U':')) return true;
  }
  return false;
}

int HeadingMarker(std::u32string_view line, int* marker_len) {
  size_t i = 0;
  *marker_len = 0;
  if (line.empty()) return 0;
  if (line[0] == U'(') {
    size_t j = 1;
    bool cn = false, digits = false;
    while (j < line.size() && j < 5 && (IsChineseDigit(line[j]) || line[j] == U'十')) ++j, cn = true;
    if (!cn) {
      while (j < line.size() && j < 5 && IsAsciiDigit(line[j])) ++j, digits = true;
    }
    if ((cn || digits) && j < line.size() && line[j] == U')') {
      *marker_len = static_cast<int>(j + 1);
      return cn ? 2 : 4;
    }
    return 0;
  }
  while (i < line.size() && i < 4 && (IsChineseDigit(line[i]) || line[i] == U'十')) ++i;
  if (i > 0 && i < line.size() && line[i] == U'、') {
    *marker_len = static_cast<int>(i + 1);
    return 1;
  }
  i = 0;
  while (i < line.size() && i < 3 && IsAsciiDigit(line[i])) ++i;
  if (i > 0 && i + 1 < line.size() && (line[i] == U'.' || line[i] == U'、') &&
      !IsAsciiDigit(line[i + 1])) {
    *marker_len = static_cast<int>(i + 1);
    return 3;
  }
  return 0;
}

v1::Span Doc::Span(int begin, int end) const {
  auto [b, e] = folded.OriginalSpan(begin, end);
  v1::Span s;
  s.set_begin(b);
  s.set_end(e);
  return s;
}

v1::Span Doc::SpanKeepingLead(int begin, int end) const {
  v1::Span s = Span(begin, end);
  if (begin > 0 && begin <= static_cast<int>(folded.folded.size())) {
    int lead = folded.to_original[begin - 1] + 1;
    while (lead < s.begin() && IsSpace(original[lead])) ++lead;
    if (lead < s.begin()) s.set_begin(lead);
  }
  return s;
}

std::string Doc::OriginalText(int begin, int end) const {
  auto [b, e] = folded.OriginalSpan(begin, end);
  return U32ToUtf8(std::u32string_view(original).substr(b, e - b));
}

std::vector<std::string> Doc::SectionPath(int section) const {
  std::vector<std::string> path;
  int guard = 0;
  while (section >= 0 && section < static_cast<int>(sections.size()) && guard++ < 64) {
    const auto& s = sections[section];
    path.push_back(OriginalText(s.begin, s.end));
    section = s.parent;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

int Doc::SentenceAt(int pos) const {
  auto it = std::upper_bound(sentences.begin(), sentences.end(), pos,
                             [](int p, const SentenceInfo& s) { return p < s.begin; });
  if (it == sentences.begin()) return -1;
  --it;
  if (pos >= it->begin && pos < it->end) return static_cast<int>(it - sentences.begin());
  return -1;
}

namespace {

void SplitLines(Doc* doc) {
  const std::u32string& t = doc->f();
  int start = 0;
  for (int i = 0; i <= static_cast<int>(t.size()); ++i) {
    if (i == static_cast<int>(t.size()) || t[i] == U'\n') {
      LineInfo line;
      // Trim spaces (ideographic spaces were folded to ' ').
      int b = start, e = i;
      while (b < e && IsSpace(t[b])) ++b;
      while (e > b && IsSpace(t[e - 1])) --e;
      line.begin = b;
      line.end = e;
      line.blank = b == e;
      doc->lines.push_back(line);
      start = i + 1;
    }
  }
}

bool LooksLikeTitle(std::u32string_view line) {
  if (line.size() < 6 || line.size() > 90) return false;
  if (line.back() == U'。' || Contains(line, U",")) return false;
  for (auto w : {U"报告", U"方案", U"通知", U"公报", U"计划", U"意见", U"要点", U"决定"}) {
    if (EndsWith(line, w) || Contains(line, std::u32string(w) + U"(") ||
        Contains(line, std::u32string(w) + U"》")) {
      return true;
    }
  }
  return false;
}

void ClassifyLines(Doc* doc) {
  const std::u32string& t = doc->f();
  auto text = [&](const LineInfo& l) { return std::u32string_view(t).substr(l.begin, l.end - l.begin); };
  for (auto& line : doc->lines) {
    line.marker_end = line.begin;
    if (line.blank) continue;
    auto s = text(line);
    line.noise = IsNoiseLine(s);
    line.task_label = IsTaskLabelLine(s);
    if (line.table >= 0) {
      // A row of several filled cells (1 | 任务 | 牵头领导 …) is no heading, title or label line; a
      // section row spanning the table (一、稳住经济基本盘) is read like any line.
      int filled = 0;
      for (const auto& [b, e] : doc->tables[line.table].cells[line.table_row]) filled += b < e ? 1 : 0;
      if (filled >= 2) {
        line.noise = false;
        line.task_label = false;
        continue;
      }
    }
    if (!line.noise && !line.task_label) {
      int len = 0;
      line.heading_level = HeadingMarker(s, &len);
      line.marker_end = line.begin + len;
      line.title_like = line.heading_level == 0 && LooksLikeTitle(s);
    }
  }
  // Numbered paragraphs followed by task labels are tasks.
  for (size_t i = 0; i < doc->lines.size(); ++i) {
    auto& line = doc->lines[i];
    if (line.heading_level != 3 && line.heading_level != 4) continue;
    for (size_t j = i + 1; j < doc->lines.size() && j <= i + 8; ++j) {
      const auto& next = doc->lines[j];
      if (next.blank) continue;
      if (next.task_label) line.task_start = true;
      break;
    }
    if (line.task_start) line.heading_level = 0;
  }
}

void BuildSections(Doc* doc) {
  const std::u32string& t = doc->f();
  std::vector<int> stack;  // open sections, innermost last
  for (size_t i = 0; i < doc->lines.size(); ++i) {
    auto& line = doc->lines[i];
    if (line.heading_level > 0) {
      while (!stack.empty() && doc->sections[stack.back()].level >= line.heading_level) stack.pop_back();
      SectionInfo s;
      s.level = line.heading_level;
      s.begin = line.begin;
      s.marker_end = line.marker_end;
      s.line = static_cast<int>(i);
      // A heading that runs on into body text ends at its first sentence end.
      s.end = line.end;
      for (int k = line.marker_end; k < line.end; ++k) {
        if (t[k] == U'。' || t[k] == U'!' || t[k] == U'?') {
          s.end = k;
          break;
        }
      }
      s.parent = stack.empty() ? -1 : stack.back();
      doc->sections.push_back(s);
      stack.push_back(static_cast<int>(doc->sections.size()) - 1);
    }
    line.section = stack.empty() ? -1 : stack.back();
  }
}

// (The ASCII '!' and '?' were listed twice; fullwidth '！' and '？' are not sentence ends here — whether they
// should be is an open question for the extraction goldens.)
bool IsSentenceEnd(char32_t c) { return c == U'。' || c == U'!' || c == U'?'; }

void BuildSentences(Doc* doc) {
  const std::u32string& t = doc->f();
  for (size_t i = 0; i < doc->lines.size(); ++i) {
    const auto& line = doc->lines[i];
    if (line.blank) continue;
    bool row = Contains(std::u32string_view(t).substr(line.begin, line.end - line.begin), U"\t");
    int start = line.begin;
    for (int k = line.begin; k < line.end; ++k) {
      bool end_here = !row && IsSentenceEnd(t[k]);
      if (end_here) {
        // Keep a closing quote or bracket with its sentence, and a run of ends ("？？！") too: each end
        // is no sentence of its own, and a line of nothing but them would be millions of sentences.
        int e = k + 1;
        while (e < line.end && (t[e] == U')' || t[e] == U'》' || IsSentenceEnd(t[e]))) ++e;
        doc->sentences.push_back({start, e, static_cast<int>(i), line.section});
        start = e;
        while (start < line.end && IsSpace(t[start])) ++start;
        k = start - 1;
      }
    }
    if (start < line.end) doc->sentences.push_back({start, line.end, static_cast<int>(i), line.section});
  }
}

}  // namespace

void AnalyzeStructure(Doc* doc, std::string_view utf8, const std::vector<SourceTable>& tables) {
  SplitLines(doc);
  PlaceTables(utf8, tables, doc);
  ClassifyLines(doc);
  BuildSections(doc);
  BuildSentences(doc);
}

}  // namespace luoshi::extract
