// Names of figures outside the catalog: the noun phrase after a number and classifier, or the head
// before the figure, and why a figure is left out (no understandable name, a count of plan items, a
// figure inside a name). Members of SentenceReader (sentence_reader.h).
#include <algorithm>
#include <tuple>

#include "services/ingestion/extract/sentence_reader.h"

namespace luoshi::extract::indicators_internal {
namespace {

// Names of figures outside the catalog (see NameFigure). A name is read on its own in a table of
// targets, so it must say what is counted or measured.
//
// Head nouns too generic to be a name by themselves (项目 386个 says nothing).
constexpr std::u32string_view kGenericNames[] = {
    U"项目", U"企业", U"单位", U"机构", U"主体", U"村", U"户", U"人", U"家", U"个", U"项", U"件",
    U"工作", U"任务", U"领域", U"地区", U"区域", U"镇街", U"省份", U"活动", U"问题", U"事项",
    U"场所", U"服务", U"设施", U"资金", U"方面", U"规模", U"国家",
};
// Verbs that end an action phrase ("累计召开98次…会议", "组建26个名师工作室"): a head ending in one
// names the action, while what is counted follows the figure.
constexpr std::u32string_view kActionVerbs[] = {
    U"召开", U"核查", U"解决", U"设立", U"协助", U"建立", U"启动", U"加快", U"推进", U"推动",
    U"组建", U"组织", U"覆盖", U"开工", U"完工", U"竣工", U"落实", U"实施", U"细化", U"调整",
    U"规范", U"汇聚", U"确定", U"申报", U"提供", U"出台", U"发布", U"帮助", U"帮扶", U"开展",
    U"涉及", U"惠及", U"走访", U"培育", U"报送", U"创建", U"打造", U"举办", U"编制", U"批复",
    U"预留", U"征集", U"形成", U"评定", U"认定", U"对接", U"加强", U"上线", U"吸引", U"掌握",
    U"围绕", U"聚焦", U"带动", U"引导", U"部署", U"审批", U"发展", U"进行", U"投身", U"进入",
    U"新增", U"实现", U"完成", U"达到", U"全部", U"分解", U"获得", U"取得", U"到位", U"拨付",
};
// Predicates that end the noun phrase after a figure, or show that none follows it.
constexpr std::u32string_view kPredicates[] = {
    U"进行", U"投身", U"进入", U"实现", U"获得", U"取得", U"达到", U"完成", U"全部", U"全面",
    U"发力", U"应用于", U"纳入", U"参与", U"投入", U"运转", U"签约", U"落地", U"落户",
    U"积极", U"持续", U"有序", U"稳步", U"顺利", U"及时", U"全覆盖",
};
// Prepositions: "为全区637个社区…", "对全区…": the phrase after them is an object, not a subject.
constexpr std::u32string_view kPrepositions[] = {U"为", U"对", U"向", U"在", U"把", U"将", U"给", U"从"};
// Places and collectives that follow a preposition without naming anything measured.
constexpr std::u32string_view kCollectives[] = {U"全区", U"全市", U"区内", U"我区", U"全国", U"全球",
                                                U"各区", U"各镇街", U"全区各镇街"};
// Items of a plan or policy: "121项区政府重点工作", "21项指标", "19条措施". Counting them counts the
// document (or another plan), not something in the region.
constexpr std::u32string_view kPlanItems[] = {U"任务", U"重点工作", U"措施", U"举措", U"政策", U"指标"};
constexpr std::u32string_view kItemClassifiers[] = {U"项", U"条", U"个", U"件", U"方面"};
// Bound and linking words left at the end of a head ("…收入均超过", "每个乡镇、街道至少").
constexpr std::u32string_view kNameTrail[] = {U"至少", U"超过", U"不少于", U"不低于", U"不超过", U"突破",
                                              U"和", U"及", U"与", U"或", U"的", U"均",
                                              U"共", U"有"};

// Whether s may end with one of kActionVerbs: one lookup of its last character clears most phrases.
bool MayEndWithActionVerb(std::u32string_view s) {
  static const std::u32string kLast = [] {
    std::u32string last;
    for (auto v : kActionVerbs) {
      if (last.find(v.back()) == std::u32string::npos) last += v.back();
    }
    return last;
  }();
  return !s.empty() && kLast.find(s.back()) != std::u32string::npos;
}

}  // namespace

// The noun phrase right after a figure: in "召开98次防控领导小组会议", "设立112个…服务站" the number and
// classifier quantify what follows them. Empty when the figure ends its clause, when a verb follows,
// or when the phrase leads into the next figure ("228栋商务楼宇复工复产率均为100%": there it is that
// figure's subject).
Subject SentenceReader::PhraseAfter(const Figure& f, int ce) const {
  Subject none;
  int a = f.end;
  if (a >= ce || !IsHan(s_[a])) return none;
  for (auto p : kPredicates) {
    if (StartsAt(s_, a, p)) return none;  // "6.6万余人投身疫情防控一线": no noun follows
  }
  auto usable_so_far = [&](int e) { return UsableName(std::u32string_view(s_.data() + a, e - a)); };
  // First characters of the predicates: most positions are rejected by one lookup.
  static const std::u32string kPredicateFirst = [] {
    std::u32string first;
    for (auto p : kPredicates) {
      if (first.find(p[0]) == std::u32string::npos) first += p[0];
    }
    return first;
  }();
  int limit = std::min(ce, a + 16);
  int e = a;
  bool listed = false;
  for (; e < limit; ++e) {
    char32_t c = s_[e];
    if (c == U'(' || c == U')' || c == U'/' || IsAsciiDigit(c)) break;
    if (c == U'、') {
      // "182个建筑工地、284家工业企业": a list of figures, each with its noun; otherwise the noun
      // phrase goes on past the comma ("5100余名工作在大兴、居住在廊坊的产业人员") and is not read.
      if (e + 1 < ce && IsAsciiDigit(s_[e + 1])) {
        listed = true;
        break;
      }
      return none;
    }
    bool figure_starts = false;
    if (clause_figures_) {
      for (const auto& other : *clause_figures_) figure_starts = figure_starts || other.begin == e;
    }
    if (figure_starts) break;
    // The noun phrase ends where a predicate starts ("7833万元对口帮扶资金全部拨付到位", "110家
    // 企业进入审批流程"), unless what precedes is still only a generic noun ("项目开工建设").
    if (e > a && (c == U'的' || c == U'均')) {
      if (usable_so_far(e)) break;
      continue;
    }
    bool predicate = false;
    if (kPredicateFirst.find(c) != std::u32string::npos) {
      for (auto p : kPredicates) predicate = predicate || StartsAt(s_, e, p);
    }
    if (e > a && predicate && usable_so_far(e)) break;
    // "8个项目年底前签约": a time phrase starts the predicate.
    TimeInfo t;
    if (e > a && TimePhrase(s_, e, &t) > 0) {
      if (usable_so_far(e)) break;
      return none;
    }
  }
  // No natural end within reach: a clause, not a noun phrase ("61家重点行业企业开展“一厂一策”…").
  if (e == limit && limit < ce) return none;
  // A figure right after the phrase ("228栋商务楼宇复工复产率均为100%"): the phrase is its subject.
  std::u32string_view raw(s_.data() + a, e - a);
  bool coordinated = listed || EndsWithConjunction(raw);
  if (clause_figures_ && !coordinated) {
    for (const auto& other : *clause_figures_) {
      if (other.begin >= e && other.begin <= e + 4) return none;
    }
  }
  // Plain variables, not structured bindings: the lambda below captures them (C++17 forbids capturing
  // bindings; GCC accepts it, clang does not).
  int pb = 0, pe = 0;
  std::tie(pb, pe) = Strip(a, e);
  if (pe > pb && s_[pb] == U'的') ++pb;  // "3600余人的流调专业队伍"
  // Trailing linking words and a final verb: "2个市级现代农业产业园创建" counts 产业园.
  bool trimmed = true;
  auto trim = [&](std::u32string_view w) {
    if (pe - pb > static_cast<int>(w.size()) && EndsWith(std::u32string_view(s_.data() + pb, pe - pb), w)) {
      pe -= static_cast<int>(w.size());
      trimmed = true;
    }
  };
  while (trimmed && pe > pb) {
    trimmed = false;
    for (auto w : kNameTrail) trim(w);
    if (MayEndWithActionVerb(std::u32string_view(s_.data() + pb, pe - pb))) {
      for (auto w : kActionVerbs) trim(w);
    }
  }
  if (pe <= pb || !UsableName(std::u32string_view(s_.data() + pb, pe - pb))) return none;
  return Resolve(pb, pe);
}

// Whether a phrase can stand as the name of a figure in a table of targets.
bool SentenceReader::UsableName(std::u32string_view n) const {
  if (n.size() < 2) return false;
  for (auto g : kGenericNames) {
    if (n == g) return false;
  }
  // A batch (首批, 第二批), an example list (三元基因等), a rate per head (每3万人), a dangling
  // coordination (餐饮企业和: the noun belongs to the figure before).
  if (EndsWith(n, U"批") || EndsWith(n, U"等") || StartsWith(n, U"每") || EndsWithConjunction(n) ||
      EndsWith(n, U"、")) {
    return false;
  }
  if (MayEndWithActionVerb(n)) {
    for (auto verb : kActionVerbs) {
      if (EndsWith(n, verb)) return false;
    }
  }
  for (auto p : kPrepositions) {
    if (!StartsWith(n, p)) continue;
    std::u32string_view rest = n.substr(p.size());
    if (rest.empty()) return false;
    for (auto c : kCollectives) {
      if (rest == c) return false;
    }
    for (auto g : kGenericNames) {
      if (rest == g) return false;
    }
  }
  return true;
}

// Names a figure outside the catalog, possibly replacing *subject; returns why it is no observation
// (empty when it is one).
std::string SentenceReader::NameFigure(const Figure& f, bool first_of_group, v1::Measure measure, int ce,
                                       Subject* subject) const {
  if (subject->indicator >= 0) return "";
  // “惠企8条”, “科创20条”: the figure ends a quoted name (quotes are folded away: read the original).
  {
    const std::u32string& t = doc_.original;
    auto [ob, oe] = doc_.folded.OriginalSpan(f.begin, f.end);
    int sentence_begin = doc_.folded.OriginalSpan(sb_, se_).first;
    if (oe < static_cast<int>(t.size()) && (t[oe] == 0x201D || t[oe] == 0x300D || t[oe] == U'"')) {
      int open = 0, ascii = 0;
      for (int i = sentence_begin; i < ob; ++i) {
        open += (t[i] == 0x201C || t[i] == 0x300C) - (t[i] == 0x201D || t[i] == 0x300D);
        ascii += t[i] == U'"';
      }
      if (open > 0 || ascii % 2 == 1) return "part of a name";
    }
  }
  std::u32string_view text(s_.data() + f.begin, f.end - f.begin);
  // "注册资金1000万元以上企业": an amount with 以上/以下 qualifying the noun after it.
  if ((EndsWith(text, U"以上") || EndsWith(text, U"以下")) && EndsWith(f.unit, U"元") && f.end < ce &&
      IsHan(s_[f.end])) {
    return "a threshold inside a name";
  }
  bool counted = !f.percent() && !f.percent_points() && !f.times() && !f.fraction && !f.two_digit &&
                 f.unit != U"‰" && (measure == v1::MEASURE_LEVEL || measure == v1::MEASURE_CHANGE);
  Subject name;
  if (counted) name = PhraseAfter(f, ce);
  if (name.indicator >= 0) {
    *subject = name;
    return "";
  }
  // "182个建筑工地、284家工业企业", "110家餐饮企业和228栋…": a figure after 、/和 starts a new list
  // item; the words before it belong to the item before.
  bool list_item = false;
  if (first_of_group && f.begin > sb_) {
    char32_t before = s_[f.begin - 1];
    list_item = before == U'、' || IsConjunction(before);
  }
  if (name.empty() && !subject->empty() && !list_item) {
    std::u32string_view head = subject->surface;
    bool span = subject->begin >= 0 &&
                head == std::u32string_view(s_).substr(subject->begin, subject->end - subject->begin);
    // The fuller noun phrase: "落地项目", "储备项目", where stripping the verb left a generic noun.
    if (span && !UsableName(head)) {
      for (auto w : {U"落地", U"储备", U"新建", U"建成", U"引进", U"引入", U"签约", U"入库", U"在建"}) {
        std::u32string_view modifier(w);
        int b = subject->begin - static_cast<int>(modifier.size());
        if (b >= sb_ && StartsAt(s_, b, modifier)) {
          Subject fuller = Resolve(b, subject->end);
          if (UsableName(fuller.surface)) name = fuller;
          break;
        }
      }
    }
    // "…动态更新机制(目前重大项目已由245个…": an unclosed parenthesis starts the name.
    size_t open = head.rfind(U'(');
    if (name.empty() && span && open != std::u32string_view::npos &&
        head.find(U')', open) == std::u32string_view::npos) {
      auto [ib, ie] = Strip(subject->begin + static_cast<int>(open) + 1, subject->end);
      Subject inner = Resolve(ib, ie);
      if (ie > ib && UsableName(inner.surface)) name = inner;
    } else if (name.empty() && UsableName(head)) {
      name = *subject;
    }
  }
  // "121项区政府重点工作", "25项任务", "12项预期性指标": the items of a plan, named by the words
  // right after the figure or by the subject.
  for (auto c : kItemClassifiers) {
    if (f.unit != c) continue;
    std::u32string_view after(s_.data() + f.end, std::min(ce, f.end + 8) - f.end);
    for (auto item : kPlanItems) {
      if (Contains(after, item) || Contains(name.surface, item)) return "counts the items of a plan";
    }
  }
  if (name.empty()) return "no understandable name";
  *subject = name;
  return "";
}

}  // namespace luoshi::extract::indicators_internal
