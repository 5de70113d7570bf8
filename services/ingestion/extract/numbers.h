// Figures in running text: a number with its unit, magnitude and bound words.
//
// FindFigures scans folded text (see text.h) and returns every written quantity that can be an
// indicator figure: "1334.8亿元", "20%左右", "400家以上", "超过1800家", "2至3个", and the Chinese forms
// "百分之五点二", "九成", "近三成", "两位数", "四分之一", "翻一番", "三个百分点".
// It refuses, by construction, what only looks like a number: years, months and days (2023年, 6月,
// 2020-08-05, 17:36), ordinals (第24次, 第一产业), codes glued to Latin letters (PM2.5, 5G, L4, M9),
// numbers without a unit (list markers "1.", "(1)", hotline 12345, versions 3.0, phone numbers), house
// numbers (1-7号楼, 16号线) and document numbers (〔2023〕1号).
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_NUMBERS_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_NUMBERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "luoshi/v1/common.pb.h"

namespace luoshi::extract {

struct Figure {
  int begin = 0;  // folded offsets of the whole phrase, bound words included
  int end = 0;
  int number_begin = 0;  // the digits (or Chinese numeral) alone
  v1::Decimal value;
  std::optional<v1::Decimal> upper;  // ranges
  std::u32string unit;               // "亿元", "%", "个百分点" (magnitude kept, 余/多 dropped)
  v1::Bound bound = v1::BOUND_EXACT;
  bool percent_points() const { return unit == U"个百分点" || unit == U"百分点"; }
  bool percent() const { return unit == U"%"; }
  bool times() const { return unit == U"倍"; }
  bool two_digit = false;     // 两位数
  bool doubling = false;      // 翻一番
  bool fraction = false;      // 四分之一
};

// All figures in folded[begin, end), in order.
std::vector<Figure> FindFigures(std::u32string_view folded, int begin, int end);

// Parses a Chinese numeral ("五点二", "十五", "一百二十") into a decimal string; nullopt if not one.
std::optional<std::string> ChineseNumeralToDecimal(std::u32string_view s);
bool IsChineseDigit(char32_t c);

// True when folded[i] is a "," (or a folded full-width "，") between digit groups of one number:
// a leading group of one to three digits, then groups of exactly three ("46,215", "1,086.5").
// The clause splitter keeps such a comma inside the clause.
bool IsThousandsSeparatorAt(std::u32string_view folded, size_t i);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_NUMBERS_H_
