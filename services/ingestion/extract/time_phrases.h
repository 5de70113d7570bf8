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
};

// Length of a time phrase at pos (0 if none), with what it says.
int TimePhrase(std::u32string_view s, size_t pos, TimeInfo* info);

}  // namespace luoshi::extract::indicators_internal

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TIME_PHRASES_H_
