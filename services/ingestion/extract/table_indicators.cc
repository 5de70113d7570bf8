#include "services/ingestion/extract/table_indicators.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/ingestion/extract/numbers.h"
#include "services/ingestion/extract/text.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract {
namespace {

using indicators_internal::TimeInfo;
using indicators_internal::TimePhrase;

constexpr int kMaxHeaderRows = 4;

bool HasAny(std::u32string_view s, std::initializer_list<const char32_t*> words) {
  for (const char32_t* w : words) {
    if (Contains(s, w)) return true;
  }
  return false;
}

// A bare year written as a header ("2023", "2023年").
bool IsYearText(std::u32string_view s) {
  if (s.size() < 4 || !IsAsciiDigit(s[0])) return false;
  for (int i = 0; i < 4; ++i) {
    if (!IsAsciiDigit(s[i])) return false;
  }
  const int year = (s[0] - U'0') * 1000 + (s[1] - U'0') * 100 + (s[2] - U'0') * 10 + (s[3] - U'0');
  if (year < 1949 || year > 2100) return false;
  return s.size() == 4 || s[4] == U'年';
}

// A cell holding a figure: a digit (after signs, comparison symbols and bound words), not a year.
bool IsFigureCell(std::u32string_view s) {
  s = Trim(s);
  if (s.empty() || IsYearText(s)) return false;
  for (size_t i = 0; i < s.size() && i < 6; ++i) {
    if (IsAsciiDigit(s[i])) {
      TimeInfo t;
      return TimePhrase(s, i, &t) == 0;  // 1-6月, 2024年上半年 are headers
    }
  }
  return false;
}

enum class Role { kOther, kName, kUnit, kValue };

struct Column {
  Role role = Role::kOther;
  std::u32string header;
  TimeInfo time;  // year 0: none written
  v1::ObservationStatus status = v1::OBSERVATION_STATUS_UNSPECIFIED;
  bool growth = false;
  std::u32string unit;  // a unit in brackets in the header ("增速(%)")
  std::u32string caption_unit;  // 单位：亿元 in a caption row over the table
};

// A unit in brackets at the end of a name or header: "(亿元)", "(%)"; the number reader decides what a
// unit is, so "(PM2.5)" is no unit.
std::u32string BracketUnit(std::u32string_view s, size_t* open_at) {
  s = Trim(s);
  if (s.empty() || s.back() != U')') return U"";
  const size_t open = s.rfind(U'(');
  if (open == std::u32string_view::npos || open + 2 >= s.size()) return U"";
  std::u32string inside(s.substr(open + 1, s.size() - open - 2));
  inside = std::u32string(Trim(inside));
  if (inside.empty() || inside.size() > 12) return U"";
  if (open_at != nullptr) *open_at = open;
  std::u32string probe = U"1" + inside;
  auto figures = FindFigures(probe, 0, static_cast<int>(probe.size()));
  if (figures.size() == 1 && figures[0].begin == 0 && figures[0].end == static_cast<int>(probe.size())) {
    return figures[0].unit;
  }
  // Units the number reader leaves to context (天, 辆, 床): a few characters, no digit, no word that
  // marks a remark (摘要, 含…, 其中, 预计).
  if (inside.size() > 6 || HasAny(inside, {U"摘要", U"含", U"其中", U"预计", U"草案", U"试行"})) return U"";
  for (char32_t c : inside) {
    if (!IsHan(c) && c != U'%' && c != U'/' && c != 0x2030) return U"";
  }
  return inside;
}

bool IsGrowthWord(std::u32string_view s) {
  return HasAny(s, {U"增长", U"增速", U"增幅", U"同比", U"比上年", U"增减"});
}

Column ReadHeader(std::u32string header, int document_year) {
  Column col;
  col.header = header;
  if (header.empty()) return col;
  if (HasAny(header, {U"序号", U"编号", U"备注", U"说明", U"属性", U"类别", U"类型", U"责任", U"牵头"})) {
    return col;
  }
  if (HasAny(header, {U"单位"}) && !HasAny(header, {U"指标", U"名称"})) {
    col.role = Role::kUnit;
    return col;
  }
  if (HasAny(header, {U"指标", U"名称", U"项目"})) {
    col.role = Role::kName;
    return col;
  }
  // Every time phrase of the header counts: 2024年 + 上半年, or 1-6月 alone (the document's year).
  for (size_t k = 0; k < header.size();) {
    TimeInfo t;
    const int n = TimePhrase(header, k, &t);
    if (n == 0) {
      ++k;
      continue;
    }
    if (t.year) col.time.year = t.year;
    if (t.has_period && !t.suffix.empty()) col.time.suffix = t.suffix, col.time.has_period = true;
    k += n;
  }
  const bool period_only = col.time.year == 0 && col.time.has_period;
  if (period_only) col.time.year = document_year;
  if (col.time.year == 0 && IsYearText(header)) {
    col.time.year = std::stoi(std::string(header.begin(), header.begin() + 4));
  }
  if (col.time.year == 0 && document_year > 0) {
    if (HasAny(header, {U"上年", U"去年"})) col.time.year = document_year - 1;
    else if (HasAny(header, {U"明年", U"下年", U"下一年"})) col.time.year = document_year + 1;
    else if (HasAny(header, {U"本年", U"今年", U"当年", U"全年"})) col.time.year = document_year;
  }
  if (HasAny(header, {U"预计"})) col.status = v1::OBSERVATION_STATUS_FORECAST;
  else if (HasAny(header, {U"目标", U"计划", U"预期", U"规划"})) col.status = v1::OBSERVATION_STATUS_TARGET;
  else if (HasAny(header, {U"完成", U"实际", U"实绩", U"执行", U"实现", U"累计"})) {
    col.status = v1::OBSERVATION_STATUS_ACTUAL;
  }
  col.growth = IsGrowthWord(header);
  col.unit = BracketUnit(header, nullptr);
  const bool value_like = col.time.year != 0 || period_only || col.status != v1::OBSERVATION_STATUS_UNSPECIFIED ||
                          col.growth || HasAny(header, {U"数值", U"值", U"数量"});
  if (value_like) col.role = Role::kValue;
  return col;
}

std::u32string_view CellText(const Doc& doc, std::pair<int, int> cell) {
  return std::u32string_view(doc.f()).substr(cell.first, cell.second - cell.first);
}

// Analyses one table; true when it is an indicator table (columns filled).
bool ReadLayout(const Doc& doc, Table* table, std::vector<Column>* columns) {
  const int rows = static_cast<int>(table->grid.size());
  if (rows < 2 || table->columns < 2) return false;
  // Header rows: before the first row with a figure outside its first column.
  int header_rows = 0;
  while (header_rows < rows && header_rows < kMaxHeaderRows) {
    bool figure = false;
    for (int c = 1; c < table->columns && !figure; ++c) {
      const CellRef& ref = table->grid[header_rows][c];
      // Only cells that start in this row and column: a caption across the table (表1 …) is no figure.
      if (ref.valid() && ref.row == header_rows && table->ColumnOf(header_rows, ref.cell) == c) {
        figure = IsFigureCell(CellText(doc, table->CellAt(header_rows, c)));
      }
    }
    if (figure) break;
    ++header_rows;
  }
  if (header_rows == 0 || header_rows >= rows) return false;
  // A header row of one cell across the table is its caption (表1 2024年主要经济指标, 单位：亿元): no
  // column's header, but a unit it names is every column's last resort.
  std::vector<bool> caption(header_rows, false);
  std::u32string caption_unit;
  for (int r = 0; r < header_rows; ++r) {
    const CellRef first = table->grid[r][0];
    caption[r] = first.valid();
    for (int c = 1; c < table->columns && caption[r]; ++c) caption[r] = table->grid[r][c] == first;
    if (!caption[r]) continue;
    std::u32string_view text = CellText(doc, table->CellAt(r, 0));
    const size_t at = text.find(U"单位:");
    if (at != std::u32string_view::npos) {
      std::u32string_view unit = Trim(text.substr(at + 3));
      const size_t stop = unit.find_first_of(U" ,、;)");
      if (stop == std::u32string_view::npos) caption_unit = std::u32string(unit);
    }
  }
  std::u32string all_headers;
  columns->assign(table->columns, Column());
  bool name = false, value = false;
  for (int c = 0; c < table->columns; ++c) {
    std::u32string header;
    CellRef last;
    for (int r = 0; r < header_rows; ++r) {
      const CellRef& ref = table->grid[r][c];
      if (caption[r] || !ref.valid() || ref == last) continue;
      last = ref;
      for (char32_t ch : CellText(doc, table->CellAt(r, c))) {
        if (!IsSpace(ch)) header.push_back(ch);  // 指  标 is 指标
      }
    }
    all_headers += header;
    (*columns)[c] = ReadHeader(header, doc.metadata.year());
    (*columns)[c].caption_unit = caption_unit;
    if ((*columns)[c].role == Role::kName) {
      if (name) (*columns)[c].role = Role::kOther;  // the first name column names the row
      name = true;
    }
    value = value || (*columns)[c].role == Role::kValue;
  }
  if (HasAny(all_headers, {U"工作任务", U"任务", U"牵头", U"责任单位", U"完成时限"})) return false;
  if (!name) {
    // No 指标名称 header (the corner cell is often blank): the first text column names the rows.
    for (auto& col : *columns) {
      if (col.role == Role::kOther && !HasAny(col.header, {U"序号", U"编号", U"备注", U"说明", U"属性"})) {
        col.role = Role::kName;
        name = true;
        break;
      }
    }
  }
  if (!name || !value) return false;
  // A value column without a year takes the year (and period) of the value column to its left.
  TimeInfo carried;
  for (auto& col : *columns) {
    if (col.role != Role::kValue) continue;
    if (col.time.year) carried = col.time;
    else col.time = carried;
  }
  table->indicators = true;
  table->header_rows = header_rows;
  return true;
}

// The catalog indicator a name cell names, or -1.
int NameIndicator(std::u32string_view name, const CatalogMatcher& matcher) {
  const int exact = matcher.Lookup(name);
  if (exact >= 0) return exact;
  static constexpr std::u32string_view kLead[] = {U"全区", U"全市", U"全县", U"全省", U"全镇", U"其中:", U"其中"};
  static constexpr std::u32string_view kTail[] = {U"增速", U"增长", U"增幅", U"增长率", U"同比增长", U"比上年增长",
                                                   U"总量", U"规模", U"总额"};
  const int n = static_cast<int>(name.size());
  for (int pos = 0; pos < n && pos <= 3; ++pos) {
    std::u32string_view lead = name.substr(0, pos);
    bool lead_ok = lead.empty();
    for (auto w : kLead) lead_ok = lead_ok || lead == w;
    if (!lead_ok) continue;
    for (const auto& hit : matcher.MatchesAt(name, pos, n)) {
      std::u32string_view tail = name.substr(hit.end);
      bool tail_ok = tail.empty();
      for (auto w : kTail) tail_ok = tail_ok || tail == w;
      if (tail_ok) return hit.indicator;
    }
  }
  return -1;
}

class TableReader {
 public:
  TableReader(const Doc& doc, const CatalogMatcher& matcher, const std::string& document_id,
              std::vector<FoundObservation>* out)
      : doc_(doc), m_(matcher), document_id_(document_id), out_(out) {}

  void Read(int index, const Table& table, const std::vector<Column>& columns) {
    int name_col = -1, unit_col = -1;
    for (int c = 0; c < table.columns; ++c) {
      if (columns[c].role == Role::kName && name_col < 0) name_col = c;
      if (columns[c].role == Role::kUnit && unit_col < 0) unit_col = c;
    }
    for (int r = table.header_rows; r < static_cast<int>(table.grid.size()); ++r) {
      // The name: marker and bracketed unit removed.
      auto [nb, ne] = table.CellAt(r, name_col);
      std::u32string_view name = CellText(doc_, {nb, ne});
      int marker = 0;
      if (HeadingMarker(name, &marker) > 0) {
        nb += marker;
        while (nb < ne && IsSpace(doc_.f()[nb])) ++nb;
        name = CellText(doc_, {nb, ne});
      }
      for (std::u32string_view lead : {std::u32string_view(U"其中:"), std::u32string_view(U"其中")}) {
        if (StartsWith(name, lead)) {
          nb += static_cast<int>(lead.size());
          name = CellText(doc_, {nb, ne});
          break;
        }
      }
      size_t open = 0;
      std::u32string name_unit = BracketUnit(name, &open);
      if (!name_unit.empty()) {
        ne = nb + static_cast<int>(open);
        while (ne > nb && IsSpace(doc_.f()[ne - 1])) --ne;
        name = CellText(doc_, {nb, ne});
      }
      if (name.empty()) continue;
      std::u32string unit_cell;
      if (unit_col >= 0) unit_cell = std::u32string(Trim(CellText(doc_, table.CellAt(r, unit_col))));
      const int indicator = NameIndicator(name, m_);
      for (int c = 0; c < table.columns; ++c) {
        const Column& col = columns[c];
        if (col.role != Role::kValue) continue;
        const CellRef& ref = table.grid[r][c];
        if (!ref.valid() || ref.row != r || table.ColumnOf(r, ref.cell) != c) continue;  // merged: once
        // The column's own unit (同比增长(%)) first, then the row's (unit column, then the name's).
        std::u32string unit = !col.unit.empty()      ? col.unit
                              : !unit_cell.empty() ? unit_cell
                              : !name_unit.empty() ? name_unit
                                                   : col.caption_unit;
        ReadCell(index, table, r, c, col, unit, indicator, {nb, ne});
      }
    }
  }

 private:
  void ReadCell(int index, const Table& table, int row, int column, const Column& col,
                const std::u32string& unit, int indicator, std::pair<int, int> name) {
    const std::pair<int, int> cell_range = table.CellAt(row, column);
    const int cb = cell_range.first;
    const int ce = cell_range.second;
    std::u32string probe(CellText(doc_, {cb, ce}));
    if (!IsFigureCell(probe)) return;
    // Comparison symbols and a leading minus become spaces (same length: offsets stay).
    v1::Bound symbol_bound = v1::BOUND_UNSPECIFIED;
    bool negative = false;
    for (size_t i = 0; i < probe.size(); ++i) {
      char32_t ch = probe[i];
      if (ch == 0x2265 || ch == 0x2267) symbol_bound = v1::BOUND_AT_LEAST, probe[i] = U' ';
      else if (ch == 0x2264 || ch == 0x2266) symbol_bound = v1::BOUND_AT_MOST, probe[i] = U' ';
      else if (ch == U'>' && i == 0) symbol_bound = v1::BOUND_MORE_THAN, probe[i] = U' ';
      else if (ch == U'<' && i == 0) symbol_bound = v1::BOUND_LESS_THAN, probe[i] = U' ';
      else if ((ch == U'-' || ch == 0x2212) && i + 1 < probe.size() && IsAsciiDigit(probe[i + 1]) &&
               Trim(std::u32string_view(probe).substr(0, i)).empty()) {
        negative = true;
        probe[i] = U' ';
      }
    }
    auto figures = FindFigures(probe, 0, static_cast<int>(probe.size()));
    int inserted_at = -1;
    constexpr std::u32string_view kPlaceholder = U"个";
    if ((figures.empty() || figures[0].unit.empty()) && !unit.empty()) {
      // The cell holds the number alone: the unit comes from the column, the name or the header. A
      // counting word stands in for it straight after the last digit ("5—5.5" → "5—5.5个", "6左右" →
      // "6个左右"), so that the number reader reads bounds and ranges, and the real unit replaces it.
      size_t last = probe.size();
      while (last > 0 && !IsAsciiDigit(probe[last - 1])) --last;
      inserted_at = static_cast<int>(last);
      probe.insert(last, kPlaceholder);
      figures = FindFigures(probe, 0, static_cast<int>(probe.size()));
      for (Figure& figure : figures) {
        if (figure.unit == kPlaceholder) figure.unit = unit;
      }
    }
    const int unit_len = inserted_at < 0 ? 0 : static_cast<int>(kPlaceholder.size());
    auto back = [&](int p) {
      if (inserted_at < 0 || p <= inserted_at) return cb + p;
      return cb + std::max(inserted_at, p - unit_len);
    };
    for (const Figure& figure : figures) {
      if (figure.unit.empty()) continue;
      std::u32string_view before = std::u32string_view(probe).substr(0, figure.begin);
      const bool down = negative || HasAny(before, {U"下降", U"减少", U"降低"});
      const bool growth = col.growth || IsGrowthWord(CellText(doc_, name)) || IsGrowthWord(before) ||
                          HasAny(before, {U"下降"});
      v1::Measure measure = v1::MEASURE_LEVEL;
      v1::ChangeDirection direction = v1::CHANGE_DIRECTION_UNSPECIFIED;
      if (figure.percent_points()) {
        measure = v1::MEASURE_PERCENTAGE_POINTS;
        direction = down ? v1::CHANGE_DIRECTION_DOWN : v1::CHANGE_DIRECTION_UP;
      } else if (growth && (figure.percent() || figure.unit == U"‰")) {
        measure = v1::MEASURE_GROWTH_RATE;
        direction = down ? v1::CHANGE_DIRECTION_DOWN
                         : (figure.value.unscaled() == 0 ? v1::CHANGE_DIRECTION_FLAT : v1::CHANGE_DIRECTION_UP);
      } else if (figure.times()) {
        measure = v1::MEASURE_MULTIPLE;
      } else if (Contains(CellText(doc_, name), U"新增")) {
        measure = v1::MEASURE_CHANGE;
        direction = v1::CHANGE_DIRECTION_UP;
      }
      FoundObservation found;
      found.begin = back(figure.begin);
      found.end = std::max(found.begin, back(figure.end));
      if (found.end > ce) found.end = ce;
      v1::Observation& o = found.observation;
      if (indicator >= 0) o.set_indicator_id(m_.catalog().indicators(indicator).id());
      o.set_surface_name(doc_.OriginalText(name.first, name.second));
      o.set_region(doc_.metadata.region());
      v1::ObservationStatus status = col.status;
      if (status == v1::OBSERVATION_STATUS_UNSPECIFIED) {
        status = col.time.year > doc_.metadata.year() && doc_.metadata.year() > 0 ? v1::OBSERVATION_STATUS_TARGET
                                                                                   : v1::OBSERVATION_STATUS_ACTUAL;
      }
      o.set_status(status);
      const int year = col.time.year ? col.time.year : doc_.metadata.year();
      if (year > 0) o.set_period(std::to_string(year) + (col.time.has_period ? col.time.suffix : ""));
      o.set_measure(measure);
      o.set_change_direction(direction);
      if (measure == v1::MEASURE_GROWTH_RATE) {
        const std::u32string context = col.header + std::u32string(before);
        if (Contains(context, U"同比")) o.set_comparison_base("上年同期");
        else if (Contains(context, U"比上年")) o.set_comparison_base("上年");
      }
      v1::Decimal value = figure.value;
      // A written minus is the value's sign whatever it measures (a level can be negative); 下降 makes a
      // growth rate or change negative.
      const bool signed_down = negative || (down && (measure == v1::MEASURE_GROWTH_RATE || measure == v1::MEASURE_CHANGE));
      if (signed_down && value.unscaled() > 0) {
        value.set_unscaled(-value.unscaled());
      }
      *o.mutable_value()->mutable_value() = value;
      o.mutable_value()->set_unit(U32ToUtf8(figure.unit));
      o.set_bound(symbol_bound != v1::BOUND_UNSPECIFIED ? symbol_bound : figure.bound);
      if (figure.upper) *o.mutable_upper_value() = *figure.upper;
      o.set_qualitative_text(doc_.OriginalText(cb, ce));
      auto* p = o.mutable_provenance();
      p->set_document_id(document_id_);
      const int sentence = doc_.SentenceAt(cb);
      const int line = table.row_lines[row];
      int sb = doc_.lines[line].begin, se = doc_.lines[line].end;
      if (sentence >= 0) {
        p->set_sentence_index(sentence);
        sb = doc_.sentences[sentence].begin;
        se = doc_.sentences[sentence].end;
      }
      p->set_sentence(doc_.OriginalText(sb, se));
      *p->mutable_sentence_span() = doc_.Span(sb, se);
      *p->mutable_span() = doc_.Span(found.begin, found.end);
      for (const auto& h : doc_.SectionPath(doc_.lines[line].section)) p->add_section_path(h);
      auto* cell = p->mutable_table_cell();
      cell->set_table(index + 1);  // counted from 1, as a reader counts (common.proto)
      cell->set_row(row + 1);
      cell->set_column(column + 1);
      out_->push_back(std::move(found));
    }
  }

  const Doc& doc_;
  const CatalogMatcher& m_;
  const std::string& document_id_;
  std::vector<FoundObservation>* out_;
};

}  // namespace

std::vector<FoundObservation> ReadIndicatorTables(Doc* doc, const CatalogMatcher& matcher,
                                                  const std::string& document_id) {
  std::vector<FoundObservation> out;
  TableReader reader(*doc, matcher, document_id, &out);
  for (size_t i = 0; i < doc->tables.size(); ++i) {
    Table& table = doc->tables[i];
    std::vector<Column> columns;
    if (!ReadLayout(*doc, &table, &columns)) continue;
    for (int line : table.row_lines) {
      if (doc->lines[line].table == static_cast<int>(i)) doc->lines[line].table_figures = true;
    }
    reader.Read(static_cast<int>(i), table, columns);
  }
  return out;
}

}  // namespace luoshi::extract
