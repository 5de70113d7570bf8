// Indicator observations from the document's sentences.
//
// Per sentence, per clause (split at , ; :), the figures found by FindFigures are grouped into value
// lists ("7.4%、3.4%", "5.7%和8.3%"), and each group is read against the text before it in the clause
// (its "head"):
//
//   head = [list marker][time][subject][比/较 base][verb][bound]  figure[unit][bound]
//          1.          上半年  GDP       较一季度    下降              3.2     %
//
//   - verb and unit give the measure and direction: % after 增长/下降 is a growth rate (signed: 下降
//     makes it negative), 个百分点 a percentage-point change (value as written, the verb gives the
//     direction), 完成全年任务的 a progress, 占…的 a share, 倍/翻一番 a multiple, 新增/增加 + amount a
//     change, otherwise a level; 提升至/降至 make a level;
//   - the subject is the head with time words, verbs and comparisons stripped; it resolves to a catalog
//     indicator when an alias ends it (allowing 总量/规模/保有量 …), otherwise it stays a surface name;
//     an empty subject is carried from the previous figure of the sentence ("…完成53.6亿元,同比下降
//     8.1%"); subject lists pair with value lists ("A、B增长7.4%、3.4%");
//   - period, in layers (time_phrases.h, Overlay): the document's period, the section headings (outer
//     to inner: 二、2024年主要预期目标, 明年工作安排, 下半年…), the paragraph's earlier time phrases
//     (上半年, / 1-9月, opening it), the sentence's own time words before the figure; status: 预计 →
//     forecast, 力争/预期目标 → target, else plan sections (计划/安排/重点工作/预期目标/主要目标,
//     division plans) → target except for a base year before the section's, else actual; an actual of a
//     later year than the document's, or of the whole year (全年) in a report on part of a year, is a
//     target;
//   - qualitative figures (稳步增长, 保持稳定, 达到市级要求 …) are emitted for catalog indicators only;
//   - a figure outside the catalog needs a name a reader understands on its own: the noun phrase right
//     after a number and classifier is what it counts ("召开98次防控领导小组会议"), else the head; a
//     generic head noun (项目, 企业), an action verb (召开, 组建), an example list ending in 等, or a
//     prepositional object (为全区) is no name. Unnamed figures, counts of plan items (121项重点工作,
//     19条措施) and figures inside names (“惠企8条”, 1000万元以上企业) are marked left_out.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_INDICATORS_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_INDICATORS_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "luoshi/v1/indicators.pb.h"
#include "services/ingestion/extract/document.h"

namespace luoshi::extract {

// Alias matching over folded text. Immutable after construction.
class CatalogMatcher {
 public:
  explicit CatalogMatcher(const v1::Catalog& catalog);

  struct Hit {
    int begin = 0;
    int end = 0;
    int indicator = -1;
  };
  // All alias occurrences starting at pos, longest first.
  std::vector<Hit> MatchesAt(std::u32string_view s, int pos, int end) const;
  // Indicator whose folded name or alias is exactly `phrase`, or -1.
  int Lookup(std::u32string_view phrase) const;
  const v1::Catalog& catalog() const { return catalog_; }
  // Folded region names and aliases (longest first) with their region index.
  const std::vector<std::pair<std::u32string, int>>& region_names() const { return region_names_; }

 private:
  v1::Catalog catalog_;
  std::unordered_map<char32_t, std::vector<std::pair<std::u32string, int>>> by_first_;
  std::unordered_map<std::u32string, int> exact_;
  std::vector<std::pair<std::u32string, int>> region_names_;
};

// An observation plus the folded offsets the task reader needs.
struct FoundObservation {
  v1::Observation observation;
  int begin = 0;          // figure (or qualitative phrase), folded
  int end = 0;
  int subject_begin = -1;  // subject as written in this clause, -1 when carried
  // Why the figure is no observation (it stays a task milestone): empty = it is one. Figures outside
  // the catalog are left out when they count the plan's own items, when the figure is part of a name
  // ("惠企8条", "1000万元以上企业"), or when no understandable name is found for them.
  std::string left_out;
};

std::vector<FoundObservation> ExtractObservations(const Doc& doc, const CatalogMatcher& matcher,
                                                  const std::string& document_id);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_INDICATORS_H_
