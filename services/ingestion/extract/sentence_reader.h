// The sentence reader of the indicator extraction (see indicators.h): the class SentenceReader, the
// subjects it resolves and the character classes its files share. Internal to luoshi_extract; its
// members are defined in sentence_reader.cc (clauses, verbs, subjects, groups of figures),
// figure_names.cc (names of figures outside the catalog) and observation_assembly.cc (period, status,
// provenance: the Observation).
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_SENTENCE_READER_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_SENTENCE_READER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "luoshi/v1/indicators.pb.h"
#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/indicators.h"
#include "services/ingestion/extract/numbers.h"
#include "services/ingestion/extract/text.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract::indicators_internal {

inline bool IsClauseBreak(char32_t c) {
  return c == U',' || c == U';' || c == U':' || c == U'。' || c == U'!' || c == U'?' || c == U'\t' ||
         c == U'|';
}
// 和, 及, 与: the words that join two nouns ("企业和楼宇").
inline bool IsConjunction(char32_t c) { return c == U'和' || c == U'及' || c == U'与'; }
inline bool EndsWithConjunction(std::u32string_view s) { return !s.empty() && IsConjunction(s.back()); }
inline bool IsListSeparator(std::u32string_view s) {
  return s == U"、" || (s.size() == 1 && IsConjunction(s[0])) || s == U"、和";
}
inline bool IsPunct(char32_t c) {
  return IsSpace(c) || c == U'、' || c == U',' || c == U'(' || c == U')' || c == U'《' ||
         c == U'》' || c == U'-' || c == U'—' || c == U'─' || c == U'.' || c == U'·' || c == U'“';
}

struct Subject {
  int indicator = -1;
  int begin = -1;  // folded span of the subject text
  int end = -1;
  std::u32string surface;  // folded surface (possibly completed with a shared head)
  bool empty() const { return surface.empty() && indicator < 0; }
};

// What a section's headings say about the period and status of its figures (indicators.cc): the
// headings' time layers, outer to inner (year 0 when no heading names one), and whether the section
// plans (its figures are targets: 二、2024年主要预期目标, 明年工作安排) rather than reviews.
struct SectionContext {
  TimeInfo time;
  bool plan = false;
};

class SentenceReader {
 public:
  SentenceReader(const Doc& doc, const CatalogMatcher& m, const std::string& document_id,
                 std::vector<FoundObservation>* out)
      : doc_(doc), s_(doc.f()), m_(m), document_id_(document_id), out_(out) {}

  void Read(int sentence_index, const TimeInfo& paragraph_time, const SectionContext& section,
            TimeInfo* sentence_time);

 private:
  struct Group {
    std::vector<Figure> figures;
  };
  struct Verb {
    int begin = -1, end = -1;
    v1::ChangeDirection direction = v1::CHANGE_DIRECTION_UNSPECIFIED;
    bool to_level = false;
  };

  void ReadClause(int cb, int ce);
  void ReadGroup(const Group& g, int head_begin, int ce);
  void ReadQualitative(int cb, int ce, const std::vector<Figure>& figures);
  Verb FindVerb(int b, int e) const;
  std::string ComparisonBase(int b, int e, int* cut) const;
  std::pair<int, int> Strip(int b, int e) const;
  Subject Resolve(int b, int e) const;
  std::string NameFigure(const Figure& f, bool first_of_group, v1::Measure measure, int ce,
                         Subject* subject) const;
  Subject PhraseAfter(const Figure& f, int ce) const;
  bool UsableName(std::u32string_view name) const;
  std::vector<Subject> SplitSubjects(int b, int e, size_t want) const;
  void ScanTimes();
  TimeInfo TimeBefore(int pos) const;
  v1::ObservationStatus WordedStatus(int pos) const;
  std::string PeriodAndStatus(int pos, v1::ObservationStatus* status) const;
  std::string SurfaceText(int b, int e) const;
  void Emit(const Subject& subject, const Figure* figure, v1::Measure measure,
            v1::ChangeDirection direction, const std::string& base, int phrase_begin, int begin,
            int end, const std::u32string& qualitative, int phrase_end = -1);

  const Doc& doc_;
  const std::u32string& s_;
  const CatalogMatcher& m_;
  const std::string& document_id_;
  std::vector<FoundObservation>* out_;
  // Per sentence.
  int sentence_ = 0;
  int sb_ = 0, se_ = 0;
  TimeInfo paragraph_time_;
  SectionContext section_;
  std::vector<Subject> carry_;
  const std::vector<Figure>* clause_figures_ = nullptr;  // every figure of the clause being read
  std::vector<std::pair<int, TimeInfo>> times_;  // time phrases of the sentence (not comparisons)
  std::string sentence_text_;                     // filled on the first observation of the sentence
  std::vector<std::string> section_path_;
};

}  // namespace luoshi::extract::indicators_internal

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_SENTENCE_READER_H_
