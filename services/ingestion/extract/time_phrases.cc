// Time phrases: the length of a time phrase at a position and the year and period it states.
#include "services/ingestion/extract/time_phrases.h"

#include <cstdint>

#include <utility>

#include "services/ingestion/extract/text.h"

namespace luoshi::extract::indicators_internal {
namespace {

int Digits(std::u32string_view s, size_t pos, size_t max, int* value) {
  size_t i = pos;
  int v = 0;
  while (i < s.size() && i - pos < max && IsAsciiDigit(s[i])) v = v * 10 + (s[i++] - U'0');
  *value = v;
  return static_cast<int>(i - pos);
}

std::string Two(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

}  // namespace

// Length of a time phrase at pos (0 if none), with what it says.
int TimePhrase(std::u32string_view s, size_t pos, TimeInfo* info) {
  struct Word {
    std::u32string_view w;
    const char* suffix;
    bool annual;
  };
  static constexpr Word kWords[] = {
      {U"今年以来", nullptr, false}, {U"一年来", nullptr, false},  {U"上半年", "H1", false},
      {U"下半年", "H2", false},      {U"前三季度", "M01-M09", false}, {U"第一季度", "Q1", false},
      {U"第二季度", "Q2", false},    {U"第三季度", "Q3", false},   {U"第四季度", "Q4", false},
      {U"一季度", "Q1", false},      {U"二季度", "Q2", false},     {U"三季度", "Q3", false},
      {U"四季度", "Q4", false},      {U"全年", nullptr, true},     {U"年内", nullptr, true},
      {U"年底前", nullptr, true},    {U"年底", nullptr, true},     {U"年末", nullptr, true},
      {U"年度", nullptr, true},      {U"当年", nullptr, true},     {U"截至目前", nullptr, false},
  };
  if (pos >= s.size()) return 0;
  // Quick reject: every time phrase starts with a digit or one of these characters.
  static constexpr std::u32string_view kFirst = U"今一上下前第二三四全年当截明来去";
  char32_t c0 = s[pos];
  // A mask of the first characters' low six bits rejects most characters with one test.
  static constexpr uint64_t kFirstMask = [] {
    uint64_t mask = 0;
    for (char32_t c : kFirst) mask |= uint64_t{1} << (c & 63);
    return mask;
  }();
  if (!IsAsciiDigit(c0) &&
      (((kFirstMask >> (c0 & 63)) & 1) == 0 || kFirst.find(c0) == std::u32string_view::npos)) {
    return 0;
  }
  // Years named relative to the document's (今年以来 above is a span, not a year).
  static constexpr std::pair<std::u32string_view, int> kRelative[] = {
      {U"今年", 0}, {U"明年", 1}, {U"来年", 1}, {U"去年", -1}};
  for (const auto& [w, offset] : kRelative) {
    // 去年同期 is a comparison base (同比), 今年以来 a span up to now.
    if (w[0] == c0 && StartsAt(s, pos, w) && !StartsAt(s, pos, U"今年以来") &&
        !StartsAt(s, pos + 2, U"同期")) {
      info->relative = true;
      info->year_offset = offset;
      return static_cast<int>(w.size());
    }
  }
  for (const auto& w : kWords) {
    if (w.w[0] == c0 && StartsAt(s, pos, w.w)) {
      if (w.suffix) info->suffix = w.suffix, info->has_period = true;
      if (w.annual) info->annual = true, info->has_period = true;
      return static_cast<int>(w.w.size());
    }
  }
  int v = 0;
  int n = Digits(s, pos, 4, &v);
  if (n == 4 && pos + 4 < s.size() && s[pos + 4] == U'年' && v >= 1949 && v <= 2100) {
    info->year = v;
    size_t i = pos + 5;
    int m = 0;
    int mn = Digits(s, i, 2, &m);
    if (mn > 0 && i + mn < s.size() && s[i + mn] == U'月') {
      i += mn + 1;
      int d = 0;
      int dn = Digits(s, i, 2, &d);
      if (dn > 0 && i + dn < s.size() && s[i + dn] == U'日') i += dn + 1;
    }
    return static_cast<int>(i - pos);
  }
  if (n >= 1 && n <= 2 && pos + n < s.size()) {
    size_t i = pos + n;
    if ((s[i] == U'-' || s[i] == U'至' || s[i] == U'—' || s[i] == U'~') && i + 1 < s.size()) {
      int b = 0;
      int bn = Digits(s, i + 1, 2, &b);
      if (bn > 0 && i + 1 + bn < s.size() && s[i + 1 + bn] == U'月' && v >= 1 && b <= 12 && v < b) {
        info->suffix = "M" + Two(v) + "-M" + Two(b);
        info->has_period = true;
        size_t e = i + 2 + bn;
        if (StartsAt(s, e, U"份")) ++e;
        return static_cast<int>(e - pos);
      }
    }
    if (s[i] == U'月' && v >= 1 && v <= 12) {
      size_t e = i + 1;
      bool month_period = StartsAt(s, e, U"份,") || (e < s.size() && s[e] == U',');
      if (StartsAt(s, e, U"份")) ++e;
      if (StartsAt(s, e, U"底前") || StartsAt(s, e, U"末前")) e += 2;
      else if (StartsAt(s, e, U"底") || StartsAt(s, e, U"末") || StartsAt(s, e, U"前")) e += 1;
      if (month_period) info->suffix = "-" + Two(v), info->has_period = true;
      return static_cast<int>(e - pos);
    }
  }
  return 0;
}

void ResolveYear(TimeInfo* t, int document_year) {
  if (!t->relative) return;
  t->relative = false;
  t->year = document_year > 0 ? document_year + t->year_offset : 0;
}

TimeInfo Overlay(const TimeInfo& below, const TimeInfo& layer) {
  TimeInfo out = below;
  if (layer.year && layer.year != below.year) {
    out.year = layer.year;
    if (below.year) {  // another year than the context's: the whole year, unless the layer names a part
      out.suffix.clear();
      out.has_period = true;
      out.annual = false;
    }
  }
  if (layer.has_period) {
    out.suffix = layer.suffix;
    out.has_period = true;
    out.annual = layer.annual;
  }
  return out;
}

std::string PeriodCode(const TimeInfo& t) {
  if (t.year == 0) return "";
  return std::to_string(t.year) + t.suffix;
}

}  // namespace luoshi::extract::indicators_internal
