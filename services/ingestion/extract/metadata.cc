// Metadata from the header lines, the title and, failing those, the body and the caller's hints.
#include <algorithm>
#include <map>

#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/numbers.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract {
namespace {

std::u32string_view LineText(const Doc& doc, const LineInfo& l) {
  return std::u32string_view(doc.f()).substr(l.begin, l.end - l.begin);
}

// Value after "label:" in a line (up to the next double space), folded.
std::u32string_view LabelValue(std::u32string_view line, std::u32string_view label) {
  size_t pos = line.find(label);
  if (pos == std::u32string_view::npos) return {};
  size_t i = pos + label.size();
  while (i < line.size() && (line[i] == U':' || line[i] == U' ')) ++i;
  size_t j = i;
  while (j < line.size() && !(line[j] == U' ' && j + 1 < line.size() && line[j + 1] == U' ') &&
         !(line[j] == U' ' && j + 2 < line.size() && (StartsAt(line, j + 1, U"日期") ||
                                                       StartsAt(line, j + 1, U"来源") ||
                                                       StartsAt(line, j + 1, U"打印")))) {
    ++j;
  }
  return Trim(line.substr(i, j - i));
}

std::string StripSpaces(std::u32string_view s) {
  std::u32string out;
  for (char32_t c : s) {
    if (!IsSpace(c)) out.push_back(c);
  }
  return U32ToUtf8(out);
}

int YearIn(std::u32string_view s) {
  for (size_t i = 0; i + 4 < s.size(); ++i) {
    if (IsAsciiDigit(s[i]) && IsAsciiDigit(s[i + 1]) && IsAsciiDigit(s[i + 2]) &&
        IsAsciiDigit(s[i + 3]) && s[i + 4] == U'年' && (i == 0 || !IsAsciiDigit(s[i - 1]))) {
      int y = (s[i] - U'0') * 1000 + (s[i + 1] - U'0') * 100 + (s[i + 2] - U'0') * 10 + (s[i + 3] - U'0');
      if (y >= 1949 && y <= 2100) return y;
    }
  }
  return 0;
}

v1::DocumentType TypeFromTitle(std::u32string_view title) {
  if (Contains(title, U"分工方案") || Contains(title, U"任务分解") || Contains(title, U"责任分工") ||
      Contains(title, U"分工")) {
    return v1::DOCUMENT_TYPE_DIVISION_PLAN;
  }
  if (Contains(title, U"统计公报")) return v1::DOCUMENT_TYPE_STATISTICAL_BULLETIN;
  if (Contains(title, U"执行情况")) return v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT;
  if (Contains(title, U"工作报告")) return v1::DOCUMENT_TYPE_WORK_REPORT;
  return v1::DOCUMENT_TYPE_UNSPECIFIED;
}

struct RegionName {
  std::u32string name;  // folded
  int region;
};

std::vector<RegionName> RegionNames(const v1::Catalog& catalog) {
  std::vector<RegionName> names;
  for (int i = 0; i < catalog.regions_size(); ++i) {
    const auto& r = catalog.regions(i);
    names.push_back({Fold(Utf8ToU32(r.name())).folded, i});
    for (const auto& a : r.aliases()) names.push_back({Fold(Utf8ToU32(a)).folded, i});
  }
  std::sort(names.begin(), names.end(),
            [](const RegionName& a, const RegionName& b) { return a.name.size() > b.name.size(); });
  return names;
}

// Region named in a short text (title, issuer): the longest name or alias found.
int RegionIn(std::u32string_view s, const std::vector<RegionName>& names) {
  for (const auto& n : names) {
    if (n.name.size() >= 2 && Contains(s, n.name) && n.name != U"开发区") return n.region;
  }
  return -1;
}

// Region inferred from the body: a district or zone that the text speaks of as 全区 / 我区, else the
// city when it speaks of 全市 / 本市.
int RegionFromBody(std::u32string_view body, const v1::Catalog& catalog,
                   const std::vector<RegionName>& names) {
  auto count = [&](std::u32string_view w) {
    int c = 0;
    for (size_t p = body.find(w); p != std::u32string_view::npos; p = body.find(w, p + w.size())) ++c;
    return c;
  };
  bool district = count(U"全区") + count(U"我区") + count(U"区委") >= 2;
  std::map<int, int> hits;
  for (const auto& n : names) {
    if (n.name.size() < 2 || n.name == U"开发区") continue;
    const auto& level = catalog.regions(n.region).level();
    if ((level == "province") == district) continue;
    hits[n.region] += count(n.name);
  }
  int best = -1, best_count = 0;
  for (auto [r, c] : hits) {
    if (c > best_count) best = r, best_count = c;
  }
  return best;
}

// The part of the year a title covers: its first time phrase naming one (上半年 → H1, 前三季度 and
// 1-9月 or 1—9月 → M01-M09, 第三季度 → Q3, 1-11月 → M01-M11); the whole year otherwise.
std::string PeriodFromTitle(std::u32string_view title, int year) {
  std::string y = std::to_string(year);
  for (size_t i = 0; i < title.size();) {
    indicators_internal::TimeInfo t;
    int n = indicators_internal::TimePhrase(title, i, &t);
    if (n == 0) {
      ++i;
      continue;
    }
    if (!t.suffix.empty()) return y + t.suffix;
    i += n;
  }
  return y;
}

}  // namespace

std::string ParseIsoDate(std::u32string_view s) {
  int parts[3] = {0, 0, 0};
  int n = 0;
  size_t i = 0;
  while (i < s.size() && !IsAsciiDigit(s[i])) ++i;
  while (i < s.size() && n < 3) {
    if (!IsAsciiDigit(s[i])) break;
    int v = 0, digits = 0;
    while (i < s.size() && IsAsciiDigit(s[i]) && digits < 5) v = v * 10 + (s[i++] - U'0'), ++digits;
    parts[n++] = v;
    if (i < s.size() && (s[i] == U'年' || s[i] == U'月' || s[i] == U'-' || s[i] == U'/' || s[i] == U'.')) {
      ++i;
    } else {
      break;
    }
  }
  if (n < 3 || parts[0] < 1900 || parts[0] > 2200 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 ||
      parts[2] > 31) {
    return "";
  }
  char buf[16];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02d", parts[0], parts[1], parts[2]);
  return buf;
}

void ExtractMetadata(const v1::Catalog& catalog, const std::string& region_hint, int year_hint,
                     const std::string& html_title, Doc* doc) {
  auto& md = doc->metadata;
  auto names = RegionNames(catalog);
  std::u32string title;
  std::u32string info_name;
  int header_lines = 0;
  for (auto& line : doc->lines) {
    if (line.blank) continue;
    auto s = LineText(*doc, line);
    if (line.noise) {
      if (auto v = LabelValue(s, U"发文单位"); !v.empty()) md.set_issuer(U32ToUtf8(v));
      if (auto v = LabelValue(s, U"发布机构"); !v.empty() && md.issuer().empty()) md.set_issuer(U32ToUtf8(v));
      if (auto v = LabelValue(s, U"来源"); !v.empty() && md.issuer().empty()) md.set_issuer(U32ToUtf8(v));
      if (auto v = LabelValue(s, U"信息名称"); !v.empty()) info_name = std::u32string(v);
      for (auto label : {U"发文序号", U"发文字号", U"文号"}) {
        if (auto v = LabelValue(s, label); !v.empty() && md.document_number().empty()) {
          md.set_document_number(StripSpaces(v));
        }
      }
      if (auto v = LabelValue(s, U"成文日期"); !v.empty()) md.set_written_date(ParseIsoDate(v));
      if (auto v = LabelValue(s, U"发布日期"); !v.empty()) md.set_published_date(ParseIsoDate(v));
      if (auto v = LabelValue(s, U"日期"); !v.empty() && md.published_date().empty() &&
          !Contains(s, U"成文日期")) {
        md.set_published_date(ParseIsoDate(v));
      }
      if (StartsWith(s, U"——") && md.written_date().empty()) md.set_written_date(ParseIsoDate(s));
      continue;
    }
    if (++header_lines <= 12 && title.empty() && line.title_like) title = std::u32string(s);
  }
  if (title.empty()) title = info_name;
  if (title.empty() && !html_title.empty()) title = Fold(Utf8ToU32(html_title)).folded;
  if (title.empty()) {
    // No title line (a copied body): use the first heading, without its marker.
    for (const auto& line : doc->lines) {
      if (line.blank || line.noise) continue;
      auto s = LineText(*doc, line);
      title = std::u32string(s.substr(std::max(0, line.marker_end - line.begin), 60));
      break;
    }
  }
  // Title as written in the original text when it is a line of the document.
  size_t pos = doc->f().find(title);
  if (!title.empty() && pos != std::u32string::npos) {
    md.set_title(doc->OriginalText(static_cast<int>(pos), static_cast<int>(pos + title.size())));
  } else {
    md.set_title(U32ToUtf8(title));
  }
  // Document type: the title, then the body's shape.
  v1::DocumentType type = TypeFromTitle(title);
  if (type == v1::DOCUMENT_TYPE_UNSPECIFIED) {
    int labels = 0;
    for (const auto& l : doc->lines) labels += l.task_label ? 1 : 0;
    std::u32string_view head = std::u32string_view(doc->f()).substr(0, 400);
    if (labels >= 3) type = v1::DOCUMENT_TYPE_DIVISION_PLAN;
    else if (Contains(head, U"计划执行情况")) type = v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT;
    else if (Contains(head, U"工作报告")) type = v1::DOCUMENT_TYPE_WORK_REPORT;
    else type = v1::DOCUMENT_TYPE_OTHER;
  }
  md.set_type(type);
  // Issuer from the title ("区政府关于…", "北京经济技术开发区管委会2021年度工作报告").
  if (md.issuer().empty()) {
    size_t about = title.find(U"关于");
    if (about != std::u32string::npos && about > 1) {
      md.set_issuer(U32ToUtf8(title.substr(0, about)));
    } else {
      for (size_t i = 2; i + 4 < title.size(); ++i) {
        if (IsAsciiDigit(title[i]) && YearIn(title.substr(i, 5)) > 0) {
          std::u32string_view prefix(title.data(), i);
          for (auto org : {U"管委会", U"政府", U"委员会", U"办公室", U"局"}) {
            if (EndsWith(prefix, org)) md.set_issuer(U32ToUtf8(prefix));
          }
          break;
        }
      }
    }
  }
  if (md.document_number().empty()) {
    // 京兴政办发〔2023〕1号 anywhere in the header.
    std::u32string_view head = std::u32string_view(doc->f()).substr(0, 3000);
    size_t p = head.find(U'〔');
    if (p != std::u32string_view::npos && p + 6 < head.size()) {
      size_t b = p;
      while (b > 0 && IsHan(head[b - 1]) && p - b < 8) --b;
      size_t e = head.find(U'号', p);
      if (b < p && e != std::u32string_view::npos && e - p < 12) {
        md.set_document_number(StripSpaces(head.substr(b, e + 1 - b)));
      }
    }
  }
  // Region: title, issuer, caller's hint, body.
  int region = RegionIn(title, names);
  if (region < 0) region = RegionIn(Fold(Utf8ToU32(md.issuer())).folded, names);
  if (region < 0 && !region_hint.empty()) {
    md.set_region(region_hint);
    int hinted = RegionIn(Fold(Utf8ToU32(region_hint)).folded, names);
    if (hinted >= 0) md.set_region(catalog.regions(hinted).name());
  } else {
    if (region < 0) region = RegionFromBody(doc->f(), catalog, names);
    if (region >= 0) md.set_region(catalog.regions(region).name());
  }
  // Year and period.
  int year = YearIn(title);
  if (year == 0) year = year_hint;
  if (year == 0) {
    for (const auto& line : doc->lines) {
      if (line.blank || line.noise) continue;
      year = YearIn(LineText(*doc, line));
      break;
    }
  }
  if (year == 0 && md.published_date().size() >= 4) year = std::stoi(md.published_date().substr(0, 4));
  if (year == 0 && md.written_date().size() >= 4) year = std::stoi(md.written_date().substr(0, 4));
  md.set_year(year);
  if (year > 0) md.set_period(PeriodFromTitle(title, year));
}

}  // namespace luoshi::extract
