// Time phrases in folded text (上半年, 2021年, 1-6月, 年底前 …) and the period they state. Internal to
// the indicator reader (indicators.cc, sentence_reader.cc, figure_names.cc, observation_assembly.cc).
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_TIME_PHRASES_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_TIME_PHRASES_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace luoshi::extract::indicators_internal {

struct TimeInfo {
  int year = 0;
  std::string suffix;  // "H1", "Q3", "M01-M06", "-07"; empty = the whole year
  bool has_period = false;
  bool annual = false;
  // 今年 / 明年 / 来年 / 去年: the year is the document's year plus year_offset (see ResolveYear).
  bool relative = false;
  int year_offset = 0;
};

// Length of a time phrase at pos (0 if none), with what it says.
int TimePhrase(std::u32string_view s, size_t pos, TimeInfo* info);

// Gives a relative phrase (明年) its year from the document's year; no-op for other phrases.
void ResolveYear(TimeInfo* t, int document_year);

// The period context of a figure is built in layers, least specific first: the document's period,
// the section headings (outer to inner), the paragraph opening, the sentence's own time phrases (a
// table column's header is read by the table reader). Overlay puts one layer over the context below
// it: a layer naming another year than the context's starts that whole year (the part below, 上半年
// or 1-9月, belongs to its own year and is dropped); a layer naming a part (上半年, 1-9月, 一季度, or
// 全年 for the whole year) sets the part; a layer naming the context's year alone keeps the part.
TimeInfo Overlay(const TimeInfo& below, const TimeInfo& layer);

// Period code of a context: "2023", "2023H1", "2023M01-M09", "2023-07"; empty without a year.
std::string PeriodCode(const TimeInfo& t);

}  // namespace luoshi::extract::indicators_internal

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TIME_PHRASES_H_
