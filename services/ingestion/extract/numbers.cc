#include "services/ingestion/extract/numbers.h"

#include <algorithm>
#include <array>

#include "services/common/decimal.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

// Base units, longest first where one is a prefix of another.
constexpr std::u32string_view kUnits[] = {
    U"微克/立方米", U"毫克/立方米", U"元/平方米", U"个百分点", U"平方公里", U"平方米", U"立方米",
    U"百分点", U"千瓦时", U"千瓦", U"千米", U"公里", U"公顷", U"平米", U"个月", U"人次", U"家次",
    U"台套", U"剂次", U"批次", U"轮次", U"美元", U"%", U"‰", U"倍", U"元", U"家", U"个", U"项",
    U"亩", U"吨", U"人", U"名", U"辆", U"只", U"台", U"剂", U"件", U"套", U"座", U"处", U"条",
    U"场", U"所", U"株", U"批", U"部", U"张", U"例", U"次", U"份", U"户", U"块", U"宗", U"栋",
    U"根", U"枚", U"间", U"种", U"类", U"笔", U"米", U"篇", U"位", U"册", U"架", U"艘", U"对",
    U"组", U"支", U"个点",
};
constexpr std::u32string_view kMagnitudes[] = {U"万亿", U"亿", U"万"};

struct PrefixBound {
  std::u32string_view word;
  v1::Bound bound;
};
constexpr PrefixBound kPrefixBounds[] = {
    {U"不少于", v1::BOUND_AT_LEAST}, {U"不低于", v1::BOUND_AT_LEAST}, {U"至少", v1::BOUND_AT_LEAST},
    {U"不超过", v1::BOUND_AT_MOST},  {U"不高于", v1::BOUND_AT_MOST},  {U"控制在", v1::BOUND_AT_MOST},
    {U"超过", v1::BOUND_MORE_THAN},  {U"突破", v1::BOUND_MORE_THAN},  {U"高于", v1::BOUND_MORE_THAN},
    {U"低于", v1::BOUND_LESS_THAN},  {U"不到", v1::BOUND_LESS_THAN},  {U"小于", v1::BOUND_LESS_THAN},
    {U"逾", v1::BOUND_MORE_THAN},    {U"超", v1::BOUND_MORE_THAN},    {U"接近", v1::BOUND_ABOUT},
    {U"大约", v1::BOUND_ABOUT},      {U"约", v1::BOUND_ABOUT},        {U"近", v1::BOUND_ABOUT},
};

int CnDigit(char32_t c) {
  switch (c) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}

bool IsCnNumeralChar(char32_t c) {
  return CnDigit(c) >= 0 || c == U'十' || c == U'百' || c == U'千' || c == U'万' || c == U'亿' || c == U'点';
}

// Length of the Chinese numeral starting at pos (0 if none).
int CnNumeralLength(std::u32string_view s, size_t pos, size_t end) {
  size_t i = pos;
  while (i < end && IsCnNumeralChar(s[i])) ++i;
  while (i > pos && s[i - 1] == U'点') --i;
  return static_cast<int>(i - pos);
}

std::optional<v1::Decimal> CnValue(std::u32string_view s) {
  auto text = ChineseNumeralToDecimal(s);
  if (!text) return std::nullopt;
  auto d = ParseDecimal(*text);
  if (!d.ok()) return std::nullopt;
  return *d;
}

// Parses ASCII digits with optional thousands commas and a decimal point at folded[pos].
// Returns the digits without commas and sets *len.
std::string ParseDigits(std::u32string_view s, size_t pos, size_t end, size_t* len) {
  std::string digits;
  size_t i = pos;
  while (i < end && IsAsciiDigit(s[i])) digits.push_back(static_cast<char>(s[i++]));
  // Thousands separators: ",ddd" groups directly after a leading group of one to three digits
  // (full-width "，" is folded to "," before this; "1,2" or "12345,678" are not one number).
  while (i < end && IsThousandsSeparatorAt(s.substr(0, end), i)) {
    digits.append({static_cast<char>(s[i + 1]), static_cast<char>(s[i + 2]), static_cast<char>(s[i + 3])});
    i += 4;
  }
  if (i + 1 < end && s[i] == U'.' && IsAsciiDigit(s[i + 1])) {
    digits.push_back('.');
    ++i;
    while (i < end && IsAsciiDigit(s[i])) digits.push_back(static_cast<char>(s[i++]));
  }
  *len = i - pos;
  return digits;
}

// Matches magnitude + 余/多 + base unit at pos. Returns length consumed (0 = no unit) and fills unit.
int MatchUnit(std::u32string_view s, size_t pos, size_t end, std::u32string* unit, bool* about) {
  size_t i = pos;
  if (i < end && s[i] == U' ') ++i;
  auto approx = [&]() {
    if (i < end && (s[i] == U'余' || s[i] == U'多')) {
      *about = true;
      ++i;
    }
  };
  approx();
  std::u32string magnitude;
  for (auto m : kMagnitudes) {
    if (StartsAt(s.substr(0, end), i, m)) {
      magnitude = std::u32string(m);
      i += m.size();
      break;
    }
  }
  approx();
  for (auto u : kUnits) {
    if (StartsAt(s.substr(0, end), i, u)) {
      // "个" directly followed by a noun like 一批 is still a count; but "个人" is not "个"+"人".
      *unit = magnitude + std::u32string(u);
      return static_cast<int>(i + u.size() - pos);
    }
  }
  if (!magnitude.empty()) {
    *unit = magnitude;
    return static_cast<int>(i - pos);
  }
  return 0;
}

bool IsDateWord(char32_t c) {
  return c == U'年' || c == U'月' || c == U'日' || c == U'号' || c == U'时' || c == U'届' ||
         c == U'周' || c == U'天' || c == U'分' || c == U'秒' || c == U':' || c == U'点' ||
         c == U'季' || c == U'期' || c == U'代' || c == U'级' || c == U'线' || c == U'楼' ||
         c == U'岁';
}

// Bound words written after the unit.
int MatchSuffixBound(std::u32string_view s, size_t pos, size_t end, v1::Bound* bound) {
  auto at = [&](std::u32string_view w) { return StartsAt(s.substr(0, end), pos, w); };
  if (at(U"以上")) { *bound = v1::BOUND_AT_LEAST; return 2; }
  if (at(U"以内") || at(U"以下")) { *bound = v1::BOUND_AT_MOST; return 2; }
  if (at(U"左右")) { *bound = v1::BOUND_ABOUT; return 2; }
  if (at(U"之多")) { *bound = v1::BOUND_ABOUT; return 2; }
  return 0;
}

// Bound words written before the number; moves *begin back over them.
v1::Bound MatchPrefixBound(std::u32string_view s, int floor, int* begin) {
  for (const auto& p : kPrefixBounds) {
    int b = *begin - static_cast<int>(p.word.size());
    if (b >= floor && s.compare(b, p.word.size(), p.word) == 0) {
      // "超" inside "超额"/"超过" handled by order; "近" must not be part of "最近"/"接近" (listed).
      *begin = b;
      return p.bound;
    }
  }
  return v1::BOUND_UNSPECIFIED;
}

void ApplyBounds(std::u32string_view s, int floor, size_t end, Figure* f, bool about_word) {
  v1::Bound prefix = MatchPrefixBound(s, floor, &f->begin);
  v1::Bound suffix = v1::BOUND_UNSPECIFIED;
  f->end += MatchSuffixBound(s, f->end, end, &suffix);
  if (f->upper) {
    f->bound = v1::BOUND_RANGE;
  } else if (suffix != v1::BOUND_UNSPECIFIED) {
    f->bound = suffix;
  } else if (prefix != v1::BOUND_UNSPECIFIED) {
    f->bound = prefix;
  } else if (about_word) {
    f->bound = v1::BOUND_ABOUT;
  }
}

bool IsConjunctionChar(char32_t c) { return c == U'和' || c == U'及' || c == U'与' || c == U'、'; }
char32_t LastChar(const std::u32string& unit) { return unit.empty() ? 0 : unit.back(); }

bool IsRangeConnector(char32_t c) {
  return c == U'至' || c == U'到' || c == U'—' || c == U'-' || c == U'~' || c == 0x2013;
}

bool IsCnScale(char32_t c) { return c == U'十' || c == U'百' || c == U'千' || c == U'万' || c == U'亿'; }

// A numeral as a quantity is written with scale words: 一千零八十六, 十五, 两万, 三点五. Digit runs
// (十四五, 二〇二三, 五六) are names, years or vague counts, and a numeral starts with a digit or 十.
bool WellFormedQuantityNumeral(std::u32string_view num) {
  if (num.empty() || num[0] == U'零' || num[0] == U'〇' || num[0] == U'点') return false;
  if (IsCnScale(num[0]) && num[0] != U'十') return false;
  bool after_dot = false;
  for (size_t k = 0; k < num.size(); ++k) {
    if (num[k] == U'点') {
      after_dot = true;
      continue;
    }
    if (after_dot) {
      if (CnDigit(num[k]) < 0) return false;  // 三点五万 is split before this check
      continue;
    }
    if (k > 0 && CnDigit(num[k]) > 0 && CnDigit(num[k - 1]) > 0) return false;
  }
  return true;
}

// Length of a trailing magnitude (万亿, 亿, 万) in num, which the unit then carries: 一千零八十六亿元
// is 1086 亿元, as 1086亿元 is. Returns 0 when the numeral does not end in one.
int TrailingMagnitude(std::u32string_view num) {
  if (EndsWith(num, U"万亿")) return 2;
  if (EndsWith(num, U"亿") || EndsWith(num, U"万")) return 1;
  return 0;
}

// The value of a numeral whose trailing magnitude (mag_len characters) goes to the unit.
std::optional<v1::Decimal> CnQuantityValue(std::u32string_view num, int mag_len) {
  std::u32string_view body = num.substr(0, num.size() - mag_len);
  if (body.empty() || !WellFormedQuantityNumeral(body)) return std::nullopt;
  bool inner_scale =
      body.find(U'万') != std::u32string_view::npos || body.find(U'亿') != std::u32string_view::npos;
  if (mag_len > 0 && inner_scale) {
    // 一亿二千万 = 12000 万: read the whole numeral, then express it in the trailing magnitude.
    if (body.find(U'点') != std::u32string_view::npos) return std::nullopt;
    auto whole = CnValue(num);
    if (!whole || whole->scale() != 0) return std::nullopt;
    std::u32string_view mag = num.substr(num.size() - mag_len);
    int digits = mag == U"万" ? 4 : mag == U"亿" ? 8 : 12;
    return NormalizeDecimal(MakeDecimal(whole->unscaled(), digits));
  }
  return CnValue(body);
}

// A Chinese numeral with a unit: 五家, 一万六千二百人, 一百一十五点四亿元, 三十微克/立方米, 三至五个.
bool MatchChineseQuantity(std::u32string_view v, size_t pos, size_t end, Figure* f) {
  // 第三 (ordinal), 几十/数十/若干 (vague), 星期一, 之一 are not quantities.
  if (pos > 0) {
    char32_t prev = v[pos - 1];
    if (prev == U'第' || prev == U'几' || prev == U'数' || prev == U'干' || prev == U'期' || prev == U'之' ||
        prev == U'初' || prev == U'周') {
      return false;
    }
  }
  int n = CnNumeralLength(v, pos, end);
  if (n == 0) return false;
  std::u32string_view num = v.substr(pos, n);
  int mag = TrailingMagnitude(num);
  auto value = CnQuantityValue(num, mag);
  if (!value) return false;
  size_t unit_pos = pos + n - mag;
  std::optional<v1::Decimal> upper;
  size_t c = pos + n;
  if (mag == 0 && c + 1 < end && IsRangeConnector(v[c]) && IsCnNumeralChar(v[c + 1])) {
    int m = CnNumeralLength(v, c + 1, end);
    std::u32string_view num2 = v.substr(c + 1, m);
    int mag2 = TrailingMagnitude(num2);
    upper = CnQuantityValue(num2, mag2);
    if (!upper) return false;
    unit_pos = c + 1 + m - mag2;
  }
  std::u32string unit;
  bool about = false;
  int unit_len = MatchUnit(v, unit_pos, end, &unit, &about);
  // A base unit is required: a bare 一万 or 千万 is an idiom more often than a figure.
  if (unit_len == 0 || unit == U"万" || unit == U"亿" || unit == U"万亿") return false;
  size_t unit_end = unit_pos + unit_len;
  // 一批, 一个, 一项, 一次: 一 alone is the article of the sentence, not a count.
  if (!upper && num == U"一") return false;
  // 四个一批, 两个一百年: a numeral straight after the unit makes the whole a name.
  if (unit_end < end && (IsCnNumeralChar(v[unit_end]) || IsAsciiDigit(v[unit_end]))) return false;
  // 四项主要污染物, 三所学校: a numeral count straight before a noun describes the noun (the figure is
  // reported elsewhere, if at all); counts are read where they close the phrase (学校三所, 达到五家,
  // 五家以上). Money and measures stay figures before a noun (一百亿元投资).
  if (unit_end < end && IsHan(v[unit_end]) && v[unit_end] != U'以' && v[unit_end] != U'左' &&
      v[unit_end] != U'之' && !IsConjunctionChar(v[unit_end])) {
    static constexpr std::u32string_view kMeasureEnds = U"元米吨亩顷瓦时里";
    if (kMeasureEnds.find(LastChar(unit)) == std::u32string_view::npos) return false;
  }
  f->value = *value;
  f->upper = upper;
  f->unit = std::move(unit);
  f->begin = f->number_begin = static_cast<int>(pos);
  f->end = static_cast<int>(unit_end);
  if (about) f->bound = v1::BOUND_ABOUT;
  return true;
}

// Chinese-form figures starting at pos; returns true and fills f when one is found.
bool MatchChineseFigure(std::u32string_view s, size_t pos, size_t end, Figure* f) {
  std::u32string_view v = s.substr(0, end);
  auto set = [&](const std::string& text, std::u32string unit, size_t len) {
    auto d = ParseDecimal(text);
    if (!d.ok()) return false;
    f->value = *d;
    f->unit = std::move(unit);
    f->begin = f->number_begin = static_cast<int>(pos);
    f->end = static_cast<int>(pos + len);
    return true;
  };
  if (StartsAt(v, pos, U"百分之")) {
    int n = CnNumeralLength(v, pos + 3, end);
    if (n == 0) return false;
    auto text = ChineseNumeralToDecimal(v.substr(pos + 3, n));
    if (!text || !set(*text, U"%", 3 + n)) return false;
    // 百分之五至五点五, 百分之五至百分之五点五.
    size_t c = pos + 3 + n;
    if (c < end && IsRangeConnector(v[c])) {
      size_t u = c + 1;
      if (StartsAt(v, u, U"百分之")) u += 3;
      int m = CnNumeralLength(v, u, end);
      std::optional<v1::Decimal> upper = m > 0 ? CnValue(v.substr(u, m)) : std::nullopt;
      if (upper) {
        f->upper = *upper;
        f->end = static_cast<int>(u + m);
      }
    }
    return true;
  }
  if (StartsAt(v, pos, U"两位数")) {
    f->two_digit = true;
    bool ok = set("10", U"%", 3);
    f->bound = v1::BOUND_AT_LEAST;
    return ok;
  }
  if (StartsAt(v, pos, U"翻") && pos + 2 < end && v[pos + 2] == U'番' && CnDigit(v[pos + 1]) > 0) {
    int times = 1 << CnDigit(v[pos + 1]);
    f->doubling = true;
    return set(std::to_string(times), U"倍", 3);
  }
  if (pos > 0 && IsCnNumeralChar(v[pos - 1])) return false;  // start of the numeral only
  int n = CnNumeralLength(v, pos, end);
  if (n == 0) return false;
  std::u32string_view num = v.substr(pos, n);
  size_t after = pos + n;
  if (StartsAt(v, after, U"分之")) {
    int m = CnNumeralLength(v, after + 2, end);
    if (m == 0) return false;
    auto den = CnValue(num);
    auto numer = CnValue(v.substr(after + 2, m));
    if (!den || !numer || den->unscaled() == 0 || den->scale() != 0 || numer->scale() != 0) return false;
    // percent = numer * 100 / den, exact to 2 decimals when possible.
    long long scaled = numer->unscaled() * 10000;
    f->fraction = true;
    bool exact = scaled % den->unscaled() == 0;
    f->value = MakeDecimal(scaled / den->unscaled(), 2);
    f->value = NormalizeDecimal(f->value);
    f->unit = U"%";
    f->begin = f->number_begin = static_cast<int>(pos);
    f->end = static_cast<int>(after + 2 + m);
    if (!exact) f->bound = v1::BOUND_ABOUT;
    return true;
  }
  if (StartsAt(v, after, U"成") && n <= 2) {
    static constexpr std::u32string_view kNotTenths = U"功立为本员果交绩长都就效熟型果品年人分";
    if (after + 1 < end && kNotTenths.find(v[after + 1]) != std::u32string_view::npos) return false;
    auto d = CnValue(num);
    if (!d || d->scale() != 0 || d->unscaled() <= 0 || d->unscaled() > 10) return false;
    return set(std::to_string(d->unscaled() * 10), U"%", n + 1);
  }
  if (StartsAt(v, after, U"个百分点")) {
    auto text = ChineseNumeralToDecimal(num);
    return text && set(*text, U"个百分点", n + 4);
  }
  if (StartsAt(v, after, U"倍") && n <= 3) {
    auto text = ChineseNumeralToDecimal(num);
    return text && set(*text, U"倍", n + 1);
  }
  return MatchChineseQuantity(v, pos, end, f);
}

}  // namespace

bool IsChineseDigit(char32_t c) { return CnDigit(c) >= 0; }

bool IsThousandsSeparatorAt(std::u32string_view s, size_t i) {
  if (i == 0 || s[i] != U',') return false;
  if (i + 3 >= s.size() || !IsAsciiDigit(s[i + 1]) || !IsAsciiDigit(s[i + 2]) || !IsAsciiDigit(s[i + 3])) {
    return false;
  }
  if (i + 4 < s.size() && IsAsciiDigit(s[i + 4])) return false;
  // Back over ",ddd" groups to the leading group, which has one to three digits.
  size_t j = i;
  for (;;) {
    size_t k = j;
    while (k > 0 && IsAsciiDigit(s[k - 1])) --k;
    size_t len = j - k;
    if (len == 0) return false;
    if (k > 0 && s[k - 1] == U',' && len == 3) {
      j = k - 1;
      continue;
    }
    if (len > 3) return false;
    return k == 0 || s[k - 1] != U'.';  // not the fraction of 3.14,159
  }
}

std::optional<std::string> ChineseNumeralToDecimal(std::u32string_view s) {
  if (s.empty()) return std::nullopt;
  size_t dot = s.find(U'点');
  std::u32string_view integer = s.substr(0, dot);
  long long total = 0, section = 0, digit = -1;
  bool any = false;
  for (char32_t c : integer) {
    int d = CnDigit(c);
    if (d >= 0) {
      if (digit >= 0) {  // digit run like "二零二三": positional
        if (digit > 100000000LL) return std::nullopt;  // no overflow on long runs
        digit = digit * 10 + d;
      } else {
        digit = d;
      }
      any = true;
      continue;
    }
    if (c == U'万' || c == U'亿') {  // a section ends: 一万六千二百, 一亿零五百万
      section += digit < 0 ? 0 : digit;
      if (section == 0 && total == 0) section = 1;
      if (section > 100000000000LL || total + section > 10000000LL * (c == U'万' ? 100000 : 1)) {
        return std::nullopt;  // beyond 万亿 magnitudes: not a figure, and no overflow
      }
      if (c == U'万') {
        total += section * 10000;
      } else {
        total = (total + section) * 100000000;
      }
      if (total > 1000000000000000LL) return std::nullopt;
      section = 0;
      digit = -1;
      any = true;
      continue;
    }
    long long unit = c == U'十' ? 10 : c == U'百' ? 100 : c == U'千' ? 1000 : 0;
    if (unit == 0) return std::nullopt;
    section += (digit < 0 ? 1 : digit) * unit;
    digit = -1;
    any = true;
  }
  if (!any && dot != 0) return std::nullopt;
  total += section + (digit < 0 ? 0 : digit);
  std::string out = std::to_string(total);
  if (dot != std::u32string_view::npos) {
    std::string frac;
    for (char32_t c : s.substr(dot + 1)) {
      int d = CnDigit(c);
      if (d < 0) return std::nullopt;
      frac.push_back(static_cast<char>('0' + d));
    }
    if (frac.empty()) return std::nullopt;
    out += "." + frac;
  }
  return out;
}

std::vector<Figure> FindFigures(std::u32string_view s, int begin, int end) {
  std::vector<Figure> out;
  const size_t e = std::min<size_t>(end, s.size());
  size_t i = std::max(begin, 0);
  while (i < e) {
    char32_t c = s[i];
    if (!IsAsciiDigit(c)) {
      // A Chinese figure starts with a numeral character (百分之 included) or 翻 (翻一番); every other
      // character is passed over without building a Figure.
      if (c != U'翻' && !IsCnNumeralChar(c)) {
        ++i;
        continue;
      }
      Figure f;
      if (IsHan(c) && MatchChineseFigure(s, i, e, &f)) {
        bool keep_bound = f.bound;
        v1::Bound preset = f.bound;
        ApplyBounds(s, begin, e, &f, false);
        if (keep_bound && f.bound == v1::BOUND_EXACT) f.bound = preset;
        if (f.bound == v1::BOUND_UNSPECIFIED) f.bound = v1::BOUND_EXACT;
        i = f.end;
        out.push_back(std::move(f));
        continue;
      }
      ++i;
      continue;
    }
    size_t len = 0;
    std::string digits = ParseDigits(s, i, e, &len);
    size_t after = i + len;
    auto skip_to = [&](size_t pos) { i = std::max(pos, i + 1); };
    char32_t prev = i > 0 ? s[i - 1] : U' ';
    char32_t next = after < e ? s[after] : U' ';
    // Codes, ordinals and glued identifiers.
    if (IsAsciiLetter(prev) || prev == U'#' || prev == U'+' || prev == U'第' || prev == U'/' ||
        prev == U'_' || IsAsciiLetter(next) || next == U'#' || next == U'+' || next == U'_' ||
        IsDateWord(next) || next == U'〕' || next == U']' || next == U'】') {
      // Skip the whole run of digits/separators so its tail is not read as a new number.
      size_t j = after;
      while (j < e && (IsAsciiDigit(s[j]) || s[j] == U'.' || s[j] == U'-' || s[j] == U':' ||
                       s[j] == U'/')) {
        ++j;
      }
      skip_to(j);
      continue;
    }
    std::optional<std::string> upper_digits;
    size_t unit_pos = after;
    if ((next == U'-' || next == U'~' || next == U'至' || next == U'到' || next == U'—' ||
         next == U'/' || next == U'.') &&
        after + 1 < e && IsAsciiDigit(s[after + 1])) {
      size_t len2 = 0;
      std::string d2 = ParseDigits(s, after + 1, e, &len2);
      size_t after2 = after + 1 + len2;
      char32_t next2 = after2 < e ? s[after2] : U' ';
      if (next == U'/' || next == U'.' || next2 == U'-' || next2 == U'/' || next2 == U':' ||
          next2 == U'.' || IsDateWord(next2) || IsAsciiLetter(next2)) {
        size_t j = after2;
        while (j < e && (IsAsciiDigit(s[j]) || s[j] == U'.' || s[j] == U'-' || s[j] == U':' ||
                         s[j] == U'/' || IsDateWord(s[j]))) {
          ++j;
        }
        skip_to(j);
        continue;
      }
      upper_digits = d2;
      unit_pos = after2;
    }
    std::u32string unit;
    bool about = false;
    int unit_len = MatchUnit(s, unit_pos, e, &unit, &about);
    if (unit_len == 0) {
      skip_to(unit_pos);
      continue;
    }
    // Range "2至3个" needs the same unit on both ends: a unit after the lower end is not a range.
    auto value = ParseDecimal(digits);
    if (!value.ok()) {
      skip_to(unit_pos + unit_len);
      continue;
    }
    Figure f;
    f.value = *value;
    if (upper_digits) {
      auto up = ParseDecimal(*upper_digits);
      if (up.ok()) f.upper = *up;
    }
    f.unit = unit;
    f.begin = f.number_begin = static_cast<int>(i);
    f.end = static_cast<int>(unit_pos + unit_len);
    // A range with the unit written on both ends: 5%—5.5%, 3万-4万人 is not (units differ).
    if (!upper_digits && static_cast<size_t>(f.end) + 1 < e && IsRangeConnector(s[f.end]) &&
        IsAsciiDigit(s[f.end + 1])) {
      size_t len2 = 0;
      std::string d2 = ParseDigits(s, f.end + 1, e, &len2);
      std::u32string unit2;
      bool about2 = false;
      size_t after2 = f.end + 1 + len2;
      int unit2_len = after2 < e && !IsDateWord(s[after2]) ? MatchUnit(s, after2, e, &unit2, &about2) : 0;
      auto up = ParseDecimal(d2);
      if (unit2_len > 0 && unit2 == unit && up.ok()) {
        f.upper = *up;
        f.end = static_cast<int>(after2 + unit2_len);
      }
    }
    ApplyBounds(s, begin, e, &f, about);
    if (f.bound == v1::BOUND_UNSPECIFIED) f.bound = v1::BOUND_EXACT;
    i = f.end;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace luoshi::extract
