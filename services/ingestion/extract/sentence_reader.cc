// The sentence reader: a sentence split into clauses, each clause's figures grouped into value lists,
// and each group read against the text before it (verb, comparison base, measure, direction,
// subjects); qualitative phrases for catalog indicators. Figures outside the catalog are named in
// figure_names.cc; observations are assembled in observation_assembly.cc.
#include "services/ingestion/extract/sentence_reader.h"

#include <algorithm>
#include <cstdint>

namespace luoshi::extract::indicators_internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Word lists (folded text).

// Words stripped from the start of a subject.
constexpr std::u32string_view kLeadWords[] = {
    U"其中", U"全区", U"全市", U"本市", U"我区", U"区内", U"同时", U"此外", U"总体看", U"一年来",
    U"今年以来", U"截至目前", U"目前", U"实现了", U"实现", U"完成了", U"完成", U"达到", U"累计",
    U"新增", U"净增", U"共计", U"共", U"仍贡献了", U"贡献了", U"仍", U"推动", U"确保", U"力争",
    U"保持", U"持续", U"进一步", U"努力", U"争取", U"全力", U"预计", U"分别", U"同比", U"均", U"已",
    U"还", U"也", U"并", U"和", U"使", U"让", U"将", U"把", U"建设", U"建成", U"引进", U"引入",
    U"落地", U"举办", U"开展", U"全年", U"年内", U"年度", U"当年", U"逆势", U"基本", U"汇集",
    U"吸引", U"储备", U"新开通", U"开通", U"新建", U"打造", U"推出", U"提供", U"实施", U"带动",
    U"争取", U"安排", U"科学精准安排", U"培育", U"支持",
};
// Words stripped from the end of a subject.
constexpr std::u32string_view kTrailWords[] = {
    U"增长", U"下降", U"提高", U"提升", U"上升", U"增加", U"减少", U"降低", U"回落", U"收窄",
    U"扩大", U"回升", U"下滑", U"缩小", U"持平", U"增速", U"增幅", U"降幅", U"涨幅", U"完成了",
    U"完成", U"实现了", U"实现", U"达到了", U"达到", U"达", U"为", U"是", U"保持在", U"稳定在",
    U"保持", U"提升至", U"提高到", U"提高至", U"升至", U"降至", U"增至", U"降到", U"上升到",
    U"上升至", U"累计", U"分别", U"同比", U"环比", U"均", U"总计", U"合计", U"共计", U"共", U"由",
    U"至", U"到", U"在", U"仅", U"已", U"的", U"年度", U"全年", U"逆势", U"有", U"拥有", U"只",
    U"预计", U"力争", U"确保", U"争取",
};
// Allowed after an alias in a subject: 地区生产总值总量, 国高新企业保有量.
constexpr std::u32string_view kAliasSuffixes[] = {
    U"总量", U"规模", U"总额", U"数量", U"保有量", U"总数", U"数", U"指标", U"水平",
    U"目标", U"预期目标",  // 一般公共预算收入目标为38亿元
};
// What may stand before an alias once time words, verbs and region names are stripped: only a place.
// Any other qualifier changes what is measured (农村居民人均可支配收入, 软件与信息服务业营业收入).
constexpr std::u32string_view kPlacePrefixEnds[] = {U"新城", U"区", U"市", U"县", U"镇", U"街道"};
// Heads of noun phrases shared by a paired list ("金融、信息行业增加值").
constexpr std::u32string_view kSharedHeads[] = {
    U"行业增加值", U"增加值", U"工业产值", U"产值", U"营业收入", U"收入", U"零售额", U"总额",
};

// A word or phrase with the direction of change it states (growth verbs, qualitative phrases).
struct DirectedPhrase {
  std::u32string_view phrase;
  v1::ChangeDirection direction;
};
constexpr DirectedPhrase kDirectionWords[] = {
    {U"增长", v1::CHANGE_DIRECTION_UP},    {U"提高", v1::CHANGE_DIRECTION_UP},
    {U"上升", v1::CHANGE_DIRECTION_UP},    {U"增加", v1::CHANGE_DIRECTION_UP},
    {U"提升", v1::CHANGE_DIRECTION_UP},    {U"回升", v1::CHANGE_DIRECTION_UP},
    {U"上涨", v1::CHANGE_DIRECTION_UP},    {U"扩大", v1::CHANGE_DIRECTION_UP},
    {U"增速", v1::CHANGE_DIRECTION_UP},    {U"增幅", v1::CHANGE_DIRECTION_UP},
    {U"涨幅", v1::CHANGE_DIRECTION_UP},    {U"下降", v1::CHANGE_DIRECTION_DOWN},
    {U"减少", v1::CHANGE_DIRECTION_DOWN},  {U"降低", v1::CHANGE_DIRECTION_DOWN},
    {U"回落", v1::CHANGE_DIRECTION_DOWN},  {U"收窄", v1::CHANGE_DIRECTION_DOWN},
    {U"下滑", v1::CHANGE_DIRECTION_DOWN},  {U"缩小", v1::CHANGE_DIRECTION_DOWN},
    {U"降幅", v1::CHANGE_DIRECTION_DOWN},  {U"减", v1::CHANGE_DIRECTION_DOWN},
    {U"持平", v1::CHANGE_DIRECTION_FLAT},  {U"升", v1::CHANGE_DIRECTION_UP},
    {U"降", v1::CHANGE_DIRECTION_DOWN},
};

constexpr DirectedPhrase kQualitative[] = {
    {U"与经济增长基本同步", v1::CHANGE_DIRECTION_UP}, {U"达到市级要求", v1::CHANGE_DIRECTION_UNSPECIFIED},
    {U"稳步增长", v1::CHANGE_DIRECTION_UP},          {U"稳步提升", v1::CHANGE_DIRECTION_UP},
    {U"保持稳定", v1::CHANGE_DIRECTION_FLAT},        {U"进一步提升", v1::CHANGE_DIRECTION_UP},
    {U"持续提升", v1::CHANGE_DIRECTION_UP},          {U"持续增长", v1::CHANGE_DIRECTION_UP},
    {U"稳中有升", v1::CHANGE_DIRECTION_UP},          {U"稳步回升", v1::CHANGE_DIRECTION_UP},
    {U"只减不增", v1::CHANGE_DIRECTION_DOWN},        {U"持续下降", v1::CHANGE_DIRECTION_DOWN},
};

}  // namespace

void SentenceReader::Read(int sentence_index, const TimeInfo& paragraph_time,
                          const SectionContext& section, TimeInfo* sentence_time) {
  sentence_ = sentence_index;
  const auto& sent = doc_.sentences[sentence_index];
  sb_ = sent.begin;
  se_ = sent.end;
  paragraph_time_ = paragraph_time;
  section_ = section;
  carry_.clear();
  sentence_text_.clear();
  section_path_.clear();
  ScanTimes();
  int cb = sb_;
  for (int i = sb_; i <= se_; ++i) {
    if (i == se_ || (IsClauseBreak(s_[i]) && !IsThousandsSeparatorAt(s_, i))) {
      if (i > cb) ReadClause(cb, i);
      cb = i + 1;
    }
  }
  *sentence_time = TimeBefore(se_);
}

void SentenceReader::ReadClause(int cb, int ce) {
  std::vector<Figure> figures = FindFigures(s_, cb, ce);
  std::vector<Group> groups;
  for (auto& f : figures) {
    if (!groups.empty()) {
      const Figure& last = groups.back().figures.back();
      std::u32string_view between(s_.data() + last.end, f.begin - last.end);
      if (IsListSeparator(between)) {
        groups.back().figures.push_back(f);
        continue;
      }
    }
    groups.push_back({{f}});
  }
  int head = cb;
  clause_figures_ = &figures;
  for (auto& g : groups) {
    // "0.2个和4.8个百分点": an earlier member's unit completed from the last one.
    const std::u32string& last_unit = g.figures.back().unit;
    for (auto& f : g.figures) {
      if (f.unit.size() < last_unit.size() && StartsWith(last_unit, f.unit)) f.unit = last_unit;
    }
    ReadGroup(g, head, ce);
    head = g.figures.back().end;
  }
  ReadQualitative(cb, ce, figures);
}

SentenceReader::Verb SentenceReader::FindVerb(int b, int e) const {
  Verb best;
  int floor = std::max(b, e - 12);
  // The verb ending closest to the figure; at one end position the longest word ("提升" over "升").
  for (int end = e; end > floor && best.begin < 0; --end) {
    for (const auto& w : kDirectionWords) {
      int begin = end - static_cast<int>(w.phrase.size());
      if (begin < floor || !StartsAt(s_, begin, w.phrase)) continue;
      // "升"/"降" alone only as 升至/降至 or directly before the figure.
      if (w.phrase.size() == 1 && !(end < e && (s_[end] == U'至' || s_[end] == U'到')) && end != e) {
        continue;
      }
      if (best.begin < 0 || begin < best.begin) {
        best.begin = begin;
        best.end = end;
        best.direction = w.direction;
      }
    }
  }
  if (best.begin >= 0 && best.end < e && (s_[best.end] == U'至' || s_[best.end] == U'到')) {
    best.to_level = true;
  }
  return best;
}

std::string SentenceReader::ComparisonBase(int b, int e, int* cut) const {
  *cut = e;
  std::u32string_view head(s_.data() + b, e - b);
  for (auto [word, base] : {std::pair{U"比上年同期", "上年同期"}, {U"较上年同期", "上年同期"},
                            {U"较去年同期", "上年同期"}, {U"比去年同期", "上年同期"},
                            {U"同比", "上年同期"}, {U"环比", "上期"}}) {
    size_t p = head.rfind(word);
    if (p != std::u32string_view::npos) {
      *cut = b + static_cast<int>(p);
      return base;
    }
  }
  for (int i = e - 1; i >= b; --i) {
    char32_t c = s_[i];
    if (c != U'较' && c != U'比') continue;
    char32_t next = i + 1 < e ? s_[i + 1] : U' ';
    char32_t prev = i > b ? s_[i - 1] : U' ';
    if (next == U'重' || next == U'例' || next == U'率' || next == U'较' || prev == U'占' ||
        prev == U'对' || prev == U'相' || prev == U'评' || prev == U'类' || prev == U'无' ||
        prev == U'好' || next == U'高' || next == U'低' || next == U'大' || next == U'快') {
      continue;
    }
    std::u32string base(Trim(std::u32string_view(s_.data() + i + 1, e - i - 1)));
    if (base.empty() || base.size() > 10) return "";
    *cut = i;
    if (base == U"上年" || base == U"去年") return "上年";
    if (StartsWith(base, U"去年同期") || StartsWith(base, U"上年同期")) return "上年同期";
    return doc_.OriginalText(i + 1, e);
  }
  return "";
}

std::pair<int, int> SentenceReader::Strip(int b, int e) const {
  bool changed = true;
  int guard = 0;
  while (changed && b < e && guard++ < 64) {
    changed = false;
    int marker = 0;
    if (HeadingMarker(std::u32string_view(s_.data() + b, e - b), &marker) > 0) {
      b += marker;
      changed = true;
      continue;
    }
    while (b < e && IsPunct(s_[b])) ++b, changed = true;
    while (e > b && IsPunct(s_[e - 1])) --e, changed = true;
    if (b >= e) break;
    TimeInfo t;
    if (int n = TimePhrase(s_, b, &t); n > 0 && b + n <= e) {
      b += n;
      changed = true;
      continue;
    }
    for (auto w : kLeadWords) {
      if (s_[b] == w[0] && b + static_cast<int>(w.size()) <= e && StartsAt(s_, b, w)) {
        b += static_cast<int>(w.size());
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (const auto& [name, region] : m_.region_names()) {
      // Full names only (北京市, 大兴区): a bare 北京 starts names like 北京生源毕业生.
      if (s_[b] == name[0] && name.size() >= 3 && b + static_cast<int>(name.size()) < e && StartsAt(s_, b, name)) {
        b += static_cast<int>(name.size());
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (auto w : kTrailWords) {
      if (s_[e - 1] == w.back() && e - b >= static_cast<int>(w.size()) &&
          std::u32string_view(s_.data() + b, e - b).substr(e - b - w.size()) == w) {
        e -= static_cast<int>(w.size());
        changed = true;
        break;
      }
    }
  }
  return {b, std::max(b, e)};
}

Subject SentenceReader::Resolve(int b, int e) const {
  Subject subject;
  if (b >= e) return subject;
  subject.begin = b;
  subject.end = e;
  subject.surface = s_.substr(b, e - b);
  // The alias that ends the subject (allowing a measure suffix) names the indicator.
  for (int i = b; i < e; ++i) {
    for (const auto& hit : m_.MatchesAt(s_, i, e)) {
      std::u32string_view rest(s_.data() + hit.end, e - hit.end);
      bool ok = rest.empty();
      for (auto suffix : kAliasSuffixes) ok = ok || rest == suffix;
      if (!ok) continue;
      std::u32string_view prefix(s_.data() + b, i - b);
      bool place = prefix.empty();
      for (auto p : kPlacePrefixEnds) place = place || EndsWith(prefix, p);
      if (!place) continue;
      subject.indicator = hit.indicator;
      subject.begin = i;
      return subject;
    }
  }
  return subject;
}

std::vector<Subject> SentenceReader::SplitSubjects(int b, int e, size_t want) const {
  std::vector<std::pair<int, int>> parts;
  int start = b;
  for (int i = b; i <= e; ++i) {
    if (i == e || s_[i] == U'、' || s_[i] == U'和' || s_[i] == U'及') {
      auto [pb, pe] = Strip(start, i);
      if (pe > pb) parts.push_back({pb, pe});
      start = i + 1;
    }
  }
  std::vector<Subject> out;
  if (want <= 1 || parts.size() != want) {
    out.push_back(Resolve(b, e));
    return out;
  }
  std::u32string_view last(s_.data() + parts.back().first, parts.back().second - parts.back().first);
  for (auto [pb, pe] : parts) {
    Subject sub = Resolve(pb, pe);
    if (sub.indicator < 0) {
      std::u32string_view part(s_.data() + pb, pe - pb);
      for (auto head : kSharedHeads) {
        if (EndsWith(last, head) && !EndsWith(part, head)) {
          std::u32string completed = std::u32string(part) + std::u32string(head);
          sub.surface = completed;
          int id = m_.Lookup(completed);
          if (id >= 0) sub.indicator = id;
          break;
        }
      }
    }
    out.push_back(sub);
  }
  return out;
}

void SentenceReader::ReadGroup(const Group& g, int head_begin, int ce) {
  const Figure& first = g.figures.front();
  int head_end = first.begin;
  std::u32string_view head(s_.data() + head_begin, head_end - head_begin);
  // Progress and share markers cut the head: what follows them is not the subject.
  int cut = head_end;
  bool progress = false, share = false;
  for (auto w : {U"完成全年任务的", U"完成年度任务的", U"完成全年计划的", U"完成年度计划的",
                 U"完成全年目标的", U"完成年度目标的", U"完成进度"}) {
    size_t p = head.find(w);
    if (p != std::u32string_view::npos) {
      progress = true;
      cut = std::min(cut, head_begin + static_cast<int>(p));
    }
  }
  size_t zhan = head.find(U'占');
  bool percent_like = first.percent() || first.fraction;
  if (zhan != std::u32string_view::npos && !progress && percent_like &&
      head.find(U'的', zhan) != std::u32string_view::npos) {
    share = true;
    cut = std::min(cut, head_begin + static_cast<int>(zhan));
  } else if (percent_like && (Contains(head, U"占比") || Contains(head, U"比重"))) {
    share = true;
  }
  Verb verb = FindVerb(head_begin, cut);
  int subject_end = verb.begin >= 0 ? verb.begin : cut;
  int comparison_cut = subject_end;
  std::string base = ComparisonBase(head_begin, subject_end, &comparison_cut);
  subject_end = std::min(subject_end, comparison_cut);
  // "两位数增长": the verb follows the figure.
  int phrase_end = g.figures.back().end;
  if (first.two_digit && verb.begin < 0) {
    Verb after = FindVerb(first.end, std::min(ce, first.end + 2));
    if (after.begin == first.end) verb = after, phrase_end = after.end;
  }
  bool added = Contains(head, U"新增") || Contains(head, U"净增");
  v1::Measure measure = v1::MEASURE_LEVEL;
  if (first.percent_points()) {
    measure = v1::MEASURE_PERCENTAGE_POINTS;
  } else if (progress) {
    measure = v1::MEASURE_PROGRESS;
  } else if (share) {
    measure = v1::MEASURE_SHARE;
  } else if (first.times()) {
    measure = v1::MEASURE_MULTIPLE;
  } else if (first.percent()) {
    if (verb.begin >= 0 && !verb.to_level) measure = v1::MEASURE_GROWTH_RATE;
  } else if ((verb.begin >= 0 && !verb.to_level &&
              (verb.direction == v1::CHANGE_DIRECTION_UP || verb.direction == v1::CHANGE_DIRECTION_DOWN) &&
              verb.end == head_end) ||
             added) {
    measure = v1::MEASURE_CHANGE;
  }
  v1::ChangeDirection direction = v1::CHANGE_DIRECTION_UNSPECIFIED;
  if (measure == v1::MEASURE_GROWTH_RATE || measure == v1::MEASURE_PERCENTAGE_POINTS ||
      measure == v1::MEASURE_MULTIPLE || measure == v1::MEASURE_CHANGE) {
    direction = verb.begin >= 0 ? verb.direction : (added ? v1::CHANGE_DIRECTION_UP : direction);
  }
  if (measure == v1::MEASURE_MULTIPLE && first.doubling) direction = v1::CHANGE_DIRECTION_UP;
  if (measure == v1::MEASURE_LEVEL || measure == v1::MEASURE_PROGRESS || measure == v1::MEASURE_SHARE) {
    base.clear();
  }
  // Subjects.
  auto [sb, se] = Strip(head_begin, subject_end);
  std::vector<Subject> subjects;
  bool carried = false;
  if (se > sb) {
    subjects = SplitSubjects(sb, se, g.figures.size());
  } else if (!carry_.empty()) {
    subjects = carry_;
    carried = true;
  } else {
    // Number before its noun: "建设1.9万亩高标准农田".
    int after_end = g.figures.back().end;
    int limit = std::min(ce, after_end + 16);
    for (int k = after_end; k < limit; ++k) {
      if (s_[k] == U'(' || IsAsciiDigit(s_[k])) limit = k;
    }
    auto [ab, ae] = Strip(after_end, limit);
    Subject s;
    if (ae > ab) s = Resolve(ab, ae);
    subjects.push_back(s);
  }
  if (!carried && !subjects.empty() && !subjects.front().empty()) carry_ = subjects;
  int phrase_begin = verb.begin >= 0 ? std::min(verb.begin, comparison_cut) : first.begin;
  if (progress || share) phrase_begin = cut;
  for (size_t k = 0; k < g.figures.size(); ++k) {
    const Subject& subject =
        subjects.size() == g.figures.size() ? subjects[k] : subjects.back();
    const Figure& f = g.figures[k];
    Subject named = subject;
    std::string left_out = NameFigure(f, k == 0, measure, ce, &named);
    // A left-out figure keeps its rough head: as a task milestone the task text names it.
    const Subject& used = left_out.empty() ? named : subject;
    Emit(used, &f, measure, direction, base, k == 0 ? phrase_begin : f.begin, f.begin, f.end, {},
         g.figures.size() == 1 ? phrase_end : f.end);
    if (!carried && subject.begin >= 0) out_->back().subject_begin = subject.begin;
    out_->back().left_out = std::move(left_out);
  }
}

void SentenceReader::ReadQualitative(int cb, int ce, const std::vector<Figure>& figures) {
  // Most clauses hold no phrase's first character: one scan spares them a search per phrase. A mask of
  // the first characters' low six bits passes over most characters with one test.
  static constexpr uint64_t kFirstMask = [] {
    uint64_t mask = 0;
    for (const auto& q : kQualitative) mask |= uint64_t{1} << (q.phrase[0] & 63);
    return mask;
  }();
  bool candidate = false;
  for (int i = cb; i < ce && !candidate; ++i) {
    if (((kFirstMask >> (s_[i] & 63)) & 1) == 0) continue;
    for (const auto& q : kQualitative) {
      if (s_[i] == q.phrase[0]) {
        candidate = true;
        break;
      }
    }
  }
  if (!candidate) return;
  for (const auto& q : kQualitative) {
    std::u32string_view clause(s_.data() + cb, ce - cb);
    size_t p = clause.find(q.phrase);
    if (p == std::u32string_view::npos) continue;
    int pb = cb + static_cast<int>(p);
    int pe = pb + static_cast<int>(q.phrase.size());
    int head_begin = cb;
    bool figure_after = false;
    for (const auto& f : figures) {
      if (f.end <= pb) head_begin = std::max(head_begin, f.end);
      if (f.begin >= pe && f.begin - pe <= 2) figure_after = true;
    }
    if (figure_after) continue;
    auto [sb, se] = Strip(head_begin, pb);
    if (se <= sb) continue;
    std::vector<std::pair<int, int>> parts;
    int start = sb;
    for (int i = sb; i <= se; ++i) {
      if (i == se || s_[i] == U'、' || s_[i] == U'和' || s_[i] == U'及') {
        auto [b, e] = Strip(start, i);
        if (e > b) parts.push_back({b, e});
        start = i + 1;
      }
    }
    for (auto [b, e] : parts) {
      Subject subject = Resolve(b, e);
      if (subject.indicator < 0) continue;  // only catalog indicators: free text is too vague
      Emit(subject, nullptr, v1::MEASURE_QUALITATIVE, q.direction, "", pb, pb, pe,
           std::u32string(q.phrase));
      out_->back().subject_begin = subject.begin;
    }
    break;
  }
}

}  // namespace luoshi::extract::indicators_internal
