#include "services/ingestion/extract/indicators.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "services/common/decimal.h"
#include "services/ingestion/extract/numbers.h"

namespace luoshi::extract {
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
    U"预计",
};
// Allowed after an alias in a subject: 地区生产总值总量, 国高新企业保有量.
constexpr std::u32string_view kAliasSuffixes[] = {
    U"总量", U"规模", U"总额", U"数量", U"保有量", U"总数", U"数", U"指标", U"水平",
};
// What may stand before an alias once time words, verbs and region names are stripped: only a place.
// Any other qualifier changes what is measured (农村居民人均可支配收入, 软件与信息服务业营业收入).
constexpr std::u32string_view kPlacePrefixEnds[] = {U"新城", U"区", U"市", U"县", U"镇", U"街道"};
// Heads of noun phrases shared by a paired list ("金融、信息行业增加值").
constexpr std::u32string_view kSharedHeads[] = {
    U"行业增加值", U"增加值", U"工业产值", U"产值", U"营业收入", U"收入", U"零售额", U"总额",
};

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

bool IsClauseBreak(char32_t c) {
  return c == U',' || c == U';' || c == U':' || c == U'。' || c == U'!' || c == U'?' || c == U'\t' ||
         c == U'|';
}
// 和, 及, 与: the words that join two nouns ("企业和楼宇").
bool IsConjunction(char32_t c) { return c == U'和' || c == U'及' || c == U'与'; }
bool EndsWithConjunction(std::u32string_view s) { return !s.empty() && IsConjunction(s.back()); }
bool IsListSeparator(std::u32string_view s) {
  return s == U"、" || (s.size() == 1 && IsConjunction(s[0])) || s == U"、和";
}
bool IsPunct(char32_t c) {
  return IsSpace(c) || c == U'、' || c == U',' || c == U'(' || c == U')' || c == U'《' ||
         c == U'》' || c == U'-' || c == U'—' || c == U'─' || c == U'.' || c == U'·' || c == U'“';
}

// ---------------------------------------------------------------------------------------------
// Time phrases.

struct TimeInfo {
  int year = 0;
  std::string suffix;  // "H1", "Q3", "M01-M06", "-07"; empty = the whole year
  bool has_period = false;
  bool annual = false;
};

int Digits(std::u32string_view s, size_t pos, size_t max, int* value) {
  size_t i = pos;
  int v = 0;
  while (i < s.size() && i - pos < max && IsAsciiDigit(s[i])) v = v * 10 + (s[i++] - U'0');
  *value = v;
  return static_cast<int>(i - pos);
}

std::string Two(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

// Length of a time phrase at pos (0 if none), with what it says.
int TimePhrase(std::u32string_view s, size_t pos, TimeInfo* info) {
  struct Word {
    std::u32string_view w;
    const char* suffix;
    bool annual;
  };
  static constexpr Word kWords[] = {
      {U"今年以来", nullptr, false}, {U"一年来", nullptr, false},  {U"上半年", "H1", false},
      {U"下半年", "H2", false},      {U"前三季度", "M01-M09", false}, {U"第一季度", "Q1", false},
      {U"第二季度", "Q2", false},    {U"第三季度", "Q3", false},   {U"第四季度", "Q4", false},
      {U"一季度", "Q1", false},      {U"二季度", "Q2", false},     {U"三季度", "Q3", false},
      {U"四季度", "Q4", false},      {U"全年", nullptr, true},     {U"年内", nullptr, true},
      {U"年底前", nullptr, true},    {U"年底", nullptr, true},     {U"年末", nullptr, true},
      {U"年度", nullptr, true},      {U"当年", nullptr, true},     {U"截至目前", nullptr, false},
  };
  if (pos >= s.size()) return 0;
  // Quick reject: every time phrase starts with a digit or one of these characters.
  static constexpr std::u32string_view kFirst = U"今一上下前第二三四全年当截";
  char32_t c0 = s[pos];
  if (!IsAsciiDigit(c0) && kFirst.find(c0) == std::u32string_view::npos) return 0;
  for (const auto& w : kWords) {
    if (w.w[0] == c0 && StartsAt(s, pos, w.w)) {
      if (w.suffix) info->suffix = w.suffix, info->has_period = true;
      if (w.annual) info->annual = true, info->has_period = true;
      return static_cast<int>(w.w.size());
    }
  }
  int v = 0;
  int n = Digits(s, pos, 4, &v);
  if (n == 4 && pos + 4 < s.size() && s[pos + 4] == U'年' && v >= 1949 && v <= 2100) {
    info->year = v;
    size_t i = pos + 5;
    int m = 0;
    int mn = Digits(s, i, 2, &m);
    if (mn > 0 && i + mn < s.size() && s[i + mn] == U'月') {
      i += mn + 1;
      int d = 0;
      int dn = Digits(s, i, 2, &d);
      if (dn > 0 && i + dn < s.size() && s[i + dn] == U'日') i += dn + 1;
    }
    return static_cast<int>(i - pos);
  }
  if (n >= 1 && n <= 2 && pos + n < s.size()) {
    size_t i = pos + n;
    if ((s[i] == U'-' || s[i] == U'至' || s[i] == U'—' || s[i] == U'~') && i + 1 < s.size()) {
      int b = 0;
      int bn = Digits(s, i + 1, 2, &b);
      if (bn > 0 && i + 1 + bn < s.size() && s[i + 1 + bn] == U'月' && v >= 1 && b <= 12 && v < b) {
        info->suffix = "M" + Two(v) + "-M" + Two(b);
        info->has_period = true;
        size_t e = i + 2 + bn;
        if (StartsAt(s, e, U"份")) ++e;
        return static_cast<int>(e - pos);
      }
    }
    if (s[i] == U'月' && v >= 1 && v <= 12) {
      size_t e = i + 1;
      bool month_period = StartsAt(s, e, U"份,") || (e < s.size() && s[e] == U',');
      if (StartsAt(s, e, U"份")) ++e;
      if (StartsAt(s, e, U"底前") || StartsAt(s, e, U"末前")) e += 2;
      else if (StartsAt(s, e, U"底") || StartsAt(s, e, U"末") || StartsAt(s, e, U"前")) e += 1;
      if (month_period) info->suffix = "-" + Two(v), info->has_period = true;
      return static_cast<int>(e - pos);
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

struct Subject {
  int indicator = -1;
  int begin = -1;  // folded span of the subject text
  int end = -1;
  std::u32string surface;  // folded surface (possibly completed with a shared head)
  bool empty() const { return surface.empty() && indicator < 0; }
};

class SentenceReader {
 public:
  SentenceReader(const Doc& doc, const CatalogMatcher& m, const std::string& document_id,
                 std::vector<FoundObservation>* out)
      : doc_(doc), s_(doc.f()), m_(m), document_id_(document_id), out_(out) {}

  void Read(int sentence_index, const TimeInfo& paragraph_time, bool plan, const TimeInfo& plan_time,
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
  v1::ObservationStatus StatusAt(int pos) const;
  std::string Period(const TimeInfo& t, v1::ObservationStatus status) const;
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
  bool plan_ = false;
  TimeInfo plan_time_;
  std::vector<Subject> carry_;
  const std::vector<Figure>* clause_figures_ = nullptr;  // every figure of the clause being read
  std::vector<std::pair<int, TimeInfo>> times_;  // time phrases of the sentence (not comparisons)
  std::string sentence_text_;                     // filled on the first observation of the sentence
  std::vector<std::string> section_path_;
};

void SentenceReader::Read(int sentence_index, const TimeInfo& paragraph_time, bool plan,
                          const TimeInfo& plan_time, TimeInfo* sentence_time) {
  sentence_ = sentence_index;
  const auto& sent = doc_.sentences[sentence_index];
  sb_ = sent.begin;
  se_ = sent.end;
  paragraph_time_ = paragraph_time;
  plan_ = plan;
  plan_time_ = plan_time;
  carry_.clear();
  sentence_text_.clear();
  section_path_.clear();
  ScanTimes();
  int cb = sb_;
  for (int i = sb_; i <= se_; ++i) {
    if (i == se_ || IsClauseBreak(s_[i])) {
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
      if (b + static_cast<int>(w.size()) <= e && StartsAt(s_, b, w)) {
        b += static_cast<int>(w.size());
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (const auto& [name, region] : m_.region_names()) {
      // Full names only (北京市, 大兴区): a bare 北京 starts names like 北京生源毕业生.
      if (name.size() >= 3 && b + static_cast<int>(name.size()) < e && StartsAt(s_, b, name)) {
        b += static_cast<int>(name.size());
        changed = true;
        break;
      }
    }
    if (changed) continue;
    for (auto w : kTrailWords) {
      if (e - b >= static_cast<int>(w.size()) &&
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

void SentenceReader::ReadQualitative(int cb, int ce, const std::vector<Figure>& figures) {
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
    if (line.noise || line.task_label || line.title_like) continue;
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
