// The catalog matcher, and ExtractObservations: the document's sentences with their paragraph time and
// plan context, each read by the SentenceReader (sentence_reader.h).
#include "services/ingestion/extract/indicators.h"

#include <algorithm>
#include <iterator>

#include "services/ingestion/extract/sentence_reader.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract {
namespace {

using indicators_internal::Overlay;
using indicators_internal::ResolveYear;
using indicators_internal::SectionContext;
using indicators_internal::SentenceReader;
using indicators_internal::TimeInfo;
using indicators_internal::TimePhrase;

// Headings that review (their figures are actuals) and headings that plan (targets).
constexpr std::u32string_view kReviewWords[] = {U"执行情况", U"执行中",   U"完成情况", U"回顾",
                                                U"工作情况", U"发展情况", U"主要问题"};
constexpr std::u32string_view kPlanWords[] = {U"安排",     U"重点工作", U"工作措施", U"主要任务",
                                              U"预期目标", U"工作计划", U"计划",     U"工作思路",
                                              U"目标任务", U"主要目标"};
// An inner heading changes its parent's plan or review only by a word this plain (a sub-heading such
// as （三）重点工作稳步推进 in a review says nothing about the status).
constexpr std::u32string_view kInnerPlanWords[] = {U"预期目标", U"主要目标", U"工作安排", U"工作计划"};

bool HasAny(std::u32string_view h, const std::u32string_view* words, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (Contains(h, words[i])) return true;
  }
  return false;
}

// Plan sections: what the section promises is a target.
bool IsPlanHeading(std::u32string_view h) {
  if (HasAny(h, kReviewWords, std::size(kReviewWords))) return false;
  return HasAny(h, kPlanWords, std::size(kPlanWords));
}

// The period context of every section: its heading's time phrases over its parent's (a heading of
// a later year than the document's plans that year: 二、明年工作安排, （三）2024年…主要目标). The top
// heading always counts; an inner one only when it is a title, not a run-on sentence with commas.
std::vector<SectionContext> SectionContexts(const Doc& doc, bool division_plan) {
  std::vector<SectionContext> out(doc.sections.size());
  const int year = doc.metadata.year();
  for (size_t i = 0; i < doc.sections.size(); ++i) {
    const auto& sec = doc.sections[i];
    SectionContext ctx;
    if (sec.parent >= 0 && sec.parent < static_cast<int>(i)) ctx = out[sec.parent];
    std::u32string_view heading(doc.f().data() + sec.marker_end, std::max(0, sec.end - sec.marker_end));
    bool top = sec.parent < 0;
    bool title = top || heading.find_first_of(U",;:") == std::u32string_view::npos;
    if (title) {
      TimeInfo own;
      for (size_t k = 0; k < heading.size();) {
        TimeInfo t;
        int n = TimePhrase(heading, k, &t);
        if (n == 0) {
          ++k;
          continue;
        }
        ResolveYear(&t, year);
        if (t.year && !own.year) own.year = t.year;
        if (t.has_period) own.suffix = t.suffix, own.has_period = true, own.annual = t.annual;
        k += n;
      }
      ctx.time = Overlay(ctx.time, own);
      if (top) {
        ctx.plan = division_plan || IsPlanHeading(heading) || (year > 0 && own.year > year);
      } else if (HasAny(heading, kReviewWords, std::size(kReviewWords))) {
        ctx.plan = division_plan;
      } else if (HasAny(heading, kInnerPlanWords, std::size(kInnerPlanWords)) ||
                 (year > 0 && own.year > year)) {
        ctx.plan = true;
      }
    }
    out[i] = ctx;
  }
  return out;
}

}  // namespace

CatalogMatcher::CatalogMatcher(const v1::Catalog& catalog) : catalog_(catalog) {
  auto add = [&](const std::string& name, int index) {
    std::u32string folded = Fold(Utf8ToU32(name)).folded;
    if (folded.size() < 2) return;
    exact_.emplace(folded, index);
    auto& list = by_first_[folded[0]];
    list.push_back({folded, index});
  };
  for (int i = 0; i < catalog_.indicators_size(); ++i) {
    const auto& ind = catalog_.indicators(i);
    add(ind.name(), i);
    for (const auto& a : ind.aliases()) add(a, i);
  }
  for (auto& [c, list] : by_first_) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  for (int i = 0; i < catalog_.regions_size(); ++i) {
    const auto& r = catalog_.regions(i);
    region_names_.push_back({Fold(Utf8ToU32(r.name())).folded, i});
    for (const auto& a : r.aliases()) {
      std::u32string folded = Fold(Utf8ToU32(a)).folded;
      if (folded != U"开发区") region_names_.push_back({folded, i});
    }
  }
  std::sort(region_names_.begin(), region_names_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::vector<CatalogMatcher::Hit> CatalogMatcher::MatchesAt(std::u32string_view s, int pos,
                                                           int end) const {
  std::vector<Hit> hits;
  if (pos >= end) return hits;
  auto it = by_first_.find(s[pos]);
  if (it == by_first_.end()) return hits;
  for (const auto& [alias, index] : it->second) {
    if (pos + static_cast<int>(alias.size()) <= end && StartsAt(s, pos, alias)) {
      hits.push_back({pos, pos + static_cast<int>(alias.size()), index});
    }
  }
  return hits;
}

int CatalogMatcher::Lookup(std::u32string_view phrase) const {
  auto it = exact_.find(std::u32string(phrase));
  return it == exact_.end() ? -1 : it->second;
}

std::vector<FoundObservation> ExtractObservations(const Doc& doc, const CatalogMatcher& matcher,
                                                  const std::string& document_id) {
  std::vector<FoundObservation> out;
  SentenceReader reader(doc, matcher, document_id, &out);
  bool division_plan = doc.metadata.type() == v1::DOCUMENT_TYPE_DIVISION_PLAN;
  const std::vector<SectionContext> sections = SectionContexts(doc, division_plan);
  TimeInfo paragraph_time;
  int paragraph_line = -1;
  for (size_t i = 0; i < doc.sentences.size(); ++i) {
    const auto& sent = doc.sentences[i];
    const auto& line = doc.lines[sent.line];
    if (line.noise || line.task_label || line.title_like || line.table_figures) continue;
    if (line.heading_level > 0 && sent.begin == line.begin && sent.section >= 0 &&
        sent.end <= doc.sections[sent.section].end + 1) {
      continue;  // the heading itself
    }
    if (sent.line != paragraph_line) {
      paragraph_line = sent.line;
      paragraph_time = TimeInfo{};
    }
    SectionContext none;
    none.plan = division_plan;
    const SectionContext& section = sent.section >= 0 ? sections[sent.section] : none;
    TimeInfo sentence_time;
    reader.Read(static_cast<int>(i), paragraph_time, section, &sentence_time);
    if (sentence_time.year) paragraph_time.year = sentence_time.year;
    if (sentence_time.has_period) {
      paragraph_time.has_period = true;
      paragraph_time.suffix = sentence_time.suffix;
      paragraph_time.annual = sentence_time.annual;
    }
  }
  return out;
}

}  // namespace luoshi::extract
