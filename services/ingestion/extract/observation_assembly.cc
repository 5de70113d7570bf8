// Observation assembly: the time phrases of a sentence, the period and status of a figure, the
// subject's original text, and Emit, which builds the Observation with its provenance. Members of
// SentenceReader (sentence_reader.h).
#include <algorithm>
#include <optional>

#include "services/common/decimal.h"
#include "services/ingestion/extract/sentence_reader.h"

namespace luoshi::extract::indicators_internal {

void SentenceReader::ScanTimes() {
  times_.clear();
  for (int i = sb_; i < se_;) {
    TimeInfo t;
    int n = TimePhrase(s_, i, &t);
    if (n == 0) {
      ++i;
      continue;
    }
    ResolveYear(&t, doc_.metadata.year());
    char32_t prev = i > sb_ ? s_[i - 1] : U' ';
    bool comparison = prev == U'较' || prev == U'比' || prev == U'与' || prev == U'由' ||
                      prev == U'截' || prev == U'至' || (i >= sb_ + 2 && StartsAt(s_, i - 2, U"截至")) ||
                      (i >= sb_ + 2 && StartsAt(s_, i - 2, U"完成")) ||
                      // 不低于2016年核定规模, 高于上年: 于 after a comparative (not 于2023年底前完成).
                      (prev == U'于' && i >= sb_ + 2 &&
                       std::u32string_view(U"高低多少大小").find(s_[i - 2]) != std::u32string_view::npos);
    if (!comparison) times_.push_back({i, t});
    i += n;
  }
}

TimeInfo SentenceReader::TimeBefore(int pos) const {
  TimeInfo result;
  for (const auto& [at, t] : times_) {
    if (at >= pos) break;
    if (t.year) result.year = t.year;
    if (t.has_period) {
      result.suffix = t.suffix;
      result.annual = t.annual;
      result.has_period = true;
    }
  }
  return result;
}

// Status stated by the sentence's words before pos: 预计 → forecast; 力争, 预期目标 → target; else
// unspecified (the context decides).
v1::ObservationStatus SentenceReader::WordedStatus(int pos) const {
  std::u32string_view before(s_.data() + sb_, pos - sb_);
  if (Contains(before, U"预计")) return v1::OBSERVATION_STATUS_FORECAST;
  if (Contains(before, U"力争") || Contains(before, U"预期目标")) return v1::OBSERVATION_STATUS_TARGET;
  return v1::OBSERVATION_STATUS_UNSPECIFIED;
}

// Period and status of the figure at pos, from the layers document → section headings → paragraph
// opening → sentence (see Overlay in time_phrases.h). Status: the sentence's words first (预计, 力争);
// else a plan section makes targets, except for a year the sentence or paragraph names before the
// section's year (the base the plan starts from: an actual); else actual. An actual of a year after
// the document's is a target, and so is a whole-year figure stated by 全年/年内/年底 in a report on
// part of a year (the year's target in a half-year report, not the half-year's actual).
std::string SentenceReader::PeriodAndStatus(int pos, v1::ObservationStatus* status) const {
  const v1::DocumentMetadata& md = doc_.metadata;
  TimeInfo own = TimeBefore(pos);
  TimeInfo stated = Overlay(paragraph_time_, own);  // what the paragraph and the sentence say
  int section_year = section_.time.year ? section_.time.year : md.year();
  v1::ObservationStatus st = WordedStatus(pos);
  if (st == v1::OBSERVATION_STATUS_UNSPECIFIED) {
    bool base_year = stated.year && stated.year < section_year;
    st = section_.plan && !base_year ? v1::OBSERVATION_STATUS_TARGET : v1::OBSERVATION_STATUS_ACTUAL;
  }
  TimeInfo document;
  document.year = md.year();
  bool part_of_year = md.period().size() > 4;
  // A target set in a report on part of a year is for the year unless a layer says otherwise: the
  // document's part applies to actuals and forecasts.
  if (part_of_year && st != v1::OBSERVATION_STATUS_TARGET) document.suffix = md.period().substr(4);
  TimeInfo period = Overlay(Overlay(Overlay(document, section_.time), paragraph_time_), own);
  if (st == v1::OBSERVATION_STATUS_ACTUAL && md.year() > 0) {
    bool later_year = period.year > md.year();
    bool whole_year_of_part = part_of_year && period.year == md.year() && period.suffix.empty() &&
                              stated.has_period && stated.annual;
    if (later_year || whole_year_of_part) st = v1::OBSERVATION_STATUS_TARGET;
  }
  *status = st;
  return PeriodCode(period);
}

// Original text of a subject, with quote marks balanced: “一刻钟社区服务圈”覆盖率, not 一刻钟社区服务圈”覆盖率.
std::string SentenceReader::SurfaceText(int b, int e) const {
  auto [ob, oe] = doc_.folded.OriginalSpan(b, e);
  const std::u32string& t = doc_.original;
  auto opening = [](char32_t c) { return c == 0x201C || c == 0x2018 || c == 0x300C || c == U'"'; };
  auto closing = [](char32_t c) { return c == 0x201D || c == 0x2019 || c == 0x300D || c == U'"'; };
  int open = 0;
  for (int i = ob; i < oe; ++i) {
    if (opening(t[i]) && t[i] != U'"') ++open;
    if (closing(t[i]) && t[i] != U'"') --open;
  }
  if (open < 0 && ob > 0 && opening(t[ob - 1])) --ob;
  if (open > 0 && oe < static_cast<int>(t.size()) && closing(t[oe])) ++oe;
  return U32ToUtf8(std::u32string_view(t).substr(ob, oe - ob));
}

void SentenceReader::Emit(const Subject& subject, const Figure* figure, v1::Measure measure,
                          v1::ChangeDirection direction, const std::string& base, int phrase_begin,
                          int begin, int end, const std::u32string& qualitative, int phrase_end) {
  FoundObservation found;
  found.begin = begin;
  found.end = end;
  v1::Observation& o = found.observation;
  if (subject.indicator >= 0) o.set_indicator_id(m_.catalog().indicators(subject.indicator).id());
  if (subject.begin >= 0 && subject.surface == s_.substr(subject.begin, subject.end - subject.begin)) {
    o.set_surface_name(SurfaceText(subject.begin, subject.end));
  } else {
    o.set_surface_name(U32ToUtf8(subject.surface));
  }
  if (o.surface_name().empty() && subject.indicator >= 0) {
    o.set_surface_name(m_.catalog().indicators(subject.indicator).name());
  }
  o.set_region(doc_.metadata.region());
  v1::ObservationStatus status = v1::OBSERVATION_STATUS_UNSPECIFIED;
  o.set_period(PeriodAndStatus(begin, &status));
  o.set_status(status);
  o.set_measure(measure);
  o.set_change_direction(direction);
  o.set_comparison_base(base);
  if (figure) {
    v1::Decimal value = figure->value;
    bool negative = direction == v1::CHANGE_DIRECTION_DOWN &&
                    (measure == v1::MEASURE_GROWTH_RATE || measure == v1::MEASURE_CHANGE);
    if (negative) value.set_unscaled(-value.unscaled());
    *o.mutable_value()->mutable_value() = value;
    o.mutable_value()->set_unit(U32ToUtf8(figure->unit));
    o.set_bound(figure->bound);
    if (figure->upper) *o.mutable_upper_value() = *figure->upper;
    o.set_qualitative_text(doc_.OriginalText(std::min(phrase_begin, begin), std::max(end, phrase_end)));
  } else {
    o.set_qualitative_text(U32ToUtf8(qualitative));
  }
  auto* p = o.mutable_provenance();
  p->set_document_id(document_id_);
  p->set_sentence_index(sentence_);
  if (sentence_text_.empty()) {
    sentence_text_ = doc_.OriginalText(sb_, se_);
    section_path_ = doc_.SectionPath(doc_.sentences[sentence_].section);
  }
  p->set_sentence(sentence_text_);
  *p->mutable_sentence_span() = doc_.Span(sb_, se_);
  *p->mutable_span() = doc_.Span(begin, end);
  for (const auto& h : section_path_) p->add_section_path(h);
  out_->push_back(std::move(found));
}

}  // namespace luoshi::extract::indicators_internal
