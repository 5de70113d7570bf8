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
    char32_t prev = i > sb_ ? s_[i - 1] : U' ';
    bool comparison = prev == U'较' || prev == U'比' || prev == U'与' || prev == U'由' ||
                      prev == U'截' || prev == U'至' || (i >= sb_ + 2 && StartsAt(s_, i - 2, U"截至")) ||
                      (i >= sb_ + 2 && StartsAt(s_, i - 2, U"完成"));
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

v1::ObservationStatus SentenceReader::StatusAt(int pos) const {
  std::u32string_view before(s_.data() + sb_, pos - sb_);
  if (Contains(before, U"预计")) return v1::OBSERVATION_STATUS_FORECAST;
  if (plan_ || Contains(before, U"力争") || Contains(before, U"预期目标")) {
    return v1::OBSERVATION_STATUS_TARGET;
  }
  return v1::OBSERVATION_STATUS_ACTUAL;
}

std::string SentenceReader::Period(const TimeInfo& t, v1::ObservationStatus status) const {
  bool target = status == v1::OBSERVATION_STATUS_TARGET;
  const TimeInfo& fallback = target ? plan_time_ : TimeInfo{};
  int year = t.year ? t.year : paragraph_time_.year ? paragraph_time_.year
                                                       : (fallback.year ? fallback.year : doc_.metadata.year());
  if (year == 0) return "";
  std::string y = std::to_string(year);
  if (t.has_period) return y + t.suffix;
  if (paragraph_time_.has_period) return y + paragraph_time_.suffix;
  if (target) return y + plan_time_.suffix;
  // The document's own period when the year is the document's.
  const std::string& period = doc_.metadata.period();
  if (year == doc_.metadata.year() && period.size() > 4) return y + period.substr(4);
  return y;
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
  v1::ObservationStatus status = StatusAt(begin);
  o.set_status(status);
  o.set_period(Period(TimeBefore(begin), status));
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
