// The catalog matcher, and ExtractObservations: the document's sentences with their paragraph time and
// plan context, each read by the SentenceReader (sentence_reader.h).
#include "services/ingestion/extract/indicators.h"

#include <algorithm>

#include "services/ingestion/extract/sentence_reader.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract {
namespace {

using indicators_internal::SentenceReader;
using indicators_internal::TimeInfo;
using indicators_internal::TimePhrase;

// Plan sections: what the section promises is a target.
bool IsPlanHeading(std::u32string_view h) {
  for (auto w : {U"执行情况", U"执行中", U"完成情况", U"回顾", U"工作情况", U"发展情况", U"主要问题"}) {
    if (Contains(h, w)) return false;
  }
  for (auto w : {U"安排", U"重点工作", U"工作措施", U"主要任务", U"预期目标", U"工作计划", U"计划",
                 U"工作思路", U"目标任务"}) {
    if (Contains(h, w)) return true;
  }
  return false;
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
    // Plan context from the outermost section.
    int top = sent.section;
    int guard = 0;
    while (top >= 0 && doc.sections[top].parent >= 0 && guard++ < 64) top = doc.sections[top].parent;
    bool plan = division_plan;
    TimeInfo plan_time;
    plan_time.year = doc.metadata.year();
    if (top >= 0) {
      const auto& sec = doc.sections[top];
      std::u32string_view heading(doc.f().data() + sec.begin, sec.end - sec.begin);
      plan = plan || IsPlanHeading(heading);
      for (size_t k = 0; k + 4 < heading.size(); ++k) {
        TimeInfo t;
        if (TimePhrase(heading, k, &t) > 0 && t.year) {
          plan_time.year = t.year;
          break;
        }
      }
      if (Contains(heading, U"下半年")) plan_time.suffix = "H2";
    }
    TimeInfo sentence_time;
    reader.Read(static_cast<int>(i), paragraph_time, plan, plan_time, &sentence_time);
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
