#include "services/ingestion/extract/tasks.h"

#include <algorithm>
#include <cstdio>

#include "services/ingestion/extract/numbers.h"

namespace luoshi::extract {
namespace {

enum class Field { kNone, kNumber, kText, kLeaders, kUnits, kCooperating, kDeadline };

struct Label {
  std::u32string_view word;
  Field field;
};
constexpr Label kLabels[] = {
    {U"牵头领导", Field::kLeaders},   {U"责任领导", Field::kLeaders},  {U"分管领导", Field::kLeaders},
    {U"主要责任单位", Field::kUnits}, {U"牵头单位", Field::kUnits},    {U"责任单位", Field::kUnits},
    {U"主责单位", Field::kUnits},     {U"配合单位", Field::kCooperating}, {U"协办单位", Field::kCooperating},
    {U"参与单位", Field::kCooperating}, {U"完成时限", Field::kDeadline}, {U"时间节点", Field::kDeadline},
    {U"完成时间", Field::kDeadline},  {U"办结时限", Field::kDeadline},
};

// The field a table column holds, from its header: exact labels first, then by the words offices use
// (牵头区领导, 责任单位（部门）, 主要任务及措施, 时间节点).
Field ColumnField(std::u32string_view header) {
  std::u32string h;
  for (char32_t c : header) {
    if (!IsSpace(c)) h.push_back(c);  // 序  号
  }
  if (h.empty()) return Field::kNone;
  if (h == U"序号" || h == U"编号" || h == U"NO." || h == U"NO") return Field::kNumber;
  for (const auto& l : kLabels) {
    if (h == l.word) return l.field;
  }
  if (Contains(h, U"序号") || Contains(h, U"编号")) return Field::kNumber;
  if (Contains(h, U"领导")) return Field::kLeaders;
  if (Contains(h, U"配合") || Contains(h, U"协办") || Contains(h, U"参与") || Contains(h, U"协同")) {
    return Field::kCooperating;
  }
  if (Contains(h, U"单位") || Contains(h, U"部门")) return Field::kUnits;
  if (Contains(h, U"时限") || Contains(h, U"时间") || Contains(h, U"节点") || Contains(h, U"期限")) {
    return Field::kDeadline;
  }
  for (auto w : {U"任务", U"工作", U"事项", U"内容", U"措施"}) {
    if (Contains(h, w)) return Field::kText;
  }
  return Field::kNone;
}

// A task table's header: a task column and a column naming who answers for it.
bool IsTaskHeader(const std::vector<Field>& columns) {
  bool text = false, owner = false;
  for (Field f : columns) {
    text = text || f == Field::kText;
    owner = owner || f == Field::kLeaders || f == Field::kUnits;
  }
  return text && owner;
}

// The digits of a task number cell: "1", "1.", "1、", "（1）" → "1"; empty when the cell is no number
// (a section row's 一, or text).
std::string TaskNumber(std::u32string_view cell) {
  cell = Trim(cell);
  std::string digits;
  for (char32_t c : cell) {
    if (IsAsciiDigit(c)) {
      digits.push_back(static_cast<char>(c));
    } else if (!(c == U'(' || c == U')' || c == U'.' || c == U'、' || c == U' ')) {
      return "";
    }
  }
  return digits;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

std::string Iso(int y, int m, int d) {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return "";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  return buf;
}

int ReadInt(std::u32string_view s, size_t* i, size_t max_digits) {
  int v = 0;
  size_t n = 0;
  while (*i < s.size() && n < max_digits && IsAsciiDigit(s[*i])) v = v * 10 + (s[(*i)++] - U'0'), ++n;
  return n == 0 ? -1 : v;
}

std::vector<std::string> SplitUnits(std::u32string_view value, bool keep_collective) {
  std::vector<std::u32string> parts;
  std::u32string current;
  for (char32_t c : value) {
    if (c == U'、' || c == U',' || c == U';' || c == U'/' || c == U' ') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) parts.push_back(current);
  std::vector<std::string> out;
  bool collective = keep_collective && parts.size() > 1 &&
                    std::all_of(parts.begin(), parts.end(),
                                [](const std::u32string& p) { return !p.empty() && p[0] == U'各'; });
  if (collective) {
    std::u32string joined;
    for (size_t i = 0; i < parts.size(); ++i) joined += (i ? U"、" : U"") + parts[i];
    out.push_back(U32ToUtf8(joined));
    return out;
  }
  for (const auto& p : parts) out.push_back(U32ToUtf8(p));
  return out;
}

class TaskReader {
 public:
  TaskReader(const Doc& doc, const std::vector<FoundObservation>& observations,
             const std::string& document_id)
      : doc_(doc), s_(doc.f()), observations_(observations), document_id_(document_id) {}

  std::vector<v1::TaskDefinition> Read();

 private:
  std::u32string_view Text(int b, int e) const { return std::u32string_view(s_.data() + b, e - b); }
  // Original text of a folded range, trimmed.
  std::string Original(int b, int e) const {
    while (b < e && IsSpace(s_[b])) ++b;
    while (e > b && IsSpace(s_[e - 1])) --e;
    return doc_.OriginalText(b, e);
  }
  void ReadLabelLine(const LineInfo& line, v1::TaskDefinition* task);
  void SetField(Field field, int b, int e, v1::TaskDefinition* task);
  void Finish(int text_begin, int text_end, int line_index, v1::TaskDefinition* task);
  size_t ReadTable(size_t header_line, std::vector<v1::TaskDefinition>* out);
  size_t ReadGridTable(size_t header_line, std::vector<v1::TaskDefinition>* out);

  const Doc& doc_;
  const std::u32string& s_;
  const std::vector<FoundObservation>& observations_;
  const std::string& document_id_;
};

void TaskReader::SetField(Field field, int b, int e, v1::TaskDefinition* task) {
  std::u32string_view value = Trim(Text(b, e));
  if (value.empty()) return;
  switch (field) {
    case Field::kLeaders:
      for (auto& v : SplitUnits(value, false)) task->add_lead_leaders(v);
      break;
    case Field::kUnits:
      for (auto& v : SplitUnits(value, true)) task->add_responsible_units(v);
      break;
    case Field::kCooperating:
      for (auto& v : SplitUnits(value, true)) task->add_cooperating_units(v);
      break;
    case Field::kDeadline:
      *task->mutable_deadline() = ParseDeadline(Original(b, e), doc_.metadata.year());
      break;
    default:
      break;
  }
}

void TaskReader::ReadLabelLine(const LineInfo& line, v1::TaskDefinition* task) {
  // One or more "label:value" pairs on the line.
  struct At {
    int begin, value_begin;
    Field field;
  };
  std::vector<At> found;
  for (int i = line.begin; i < line.end; ++i) {
    for (const auto& l : kLabels) {
      int e = i + static_cast<int>(l.word.size());
      if (e < line.end && StartsAt(s_, i, l.word) && s_[e] == U':') {
        found.push_back({i, e + 1, l.field});
        i = e;
        break;
      }
    }
  }
  for (size_t k = 0; k < found.size(); ++k) {
    int end = k + 1 < found.size() ? found[k + 1].begin : line.end;
    SetField(found[k].field, found[k].value_begin, end, task);
  }
}

void TaskReader::Finish(int text_begin, int text_end, int line_index, v1::TaskDefinition* task) {
  while (text_end > text_begin && IsSpace(s_[text_end - 1])) --text_end;
  v1::Span span = doc_.SpanKeepingLead(text_begin, text_end);
  task->set_text(U32ToUtf8(std::u32string_view(doc_.original).substr(span.begin(), span.end() - span.begin())));
  for (auto& h : doc_.SectionPath(doc_.lines[line_index].section)) task->add_section_path(h);
  auto* p = task->mutable_provenance();
  p->set_document_id(document_id_);
  int sentence = doc_.SentenceAt(text_begin);
  if (sentence >= 0) {
    const auto& sent = doc_.sentences[sentence];
    p->set_sentence_index(sentence);
    p->set_sentence(doc_.OriginalText(sent.begin, sent.end));
    *p->mutable_sentence_span() = doc_.Span(sent.begin, sent.end);
  }
  *p->mutable_span() = span;
  for (const auto& h : task->section_path()) p->add_section_path(h);
  // Milestones and the indicator link from the observations inside the text.
  for (const auto& found : observations_) {
    if (found.begin < text_begin || found.end > text_end) continue;
    const auto& o = found.observation;
    if (!o.indicator_id().empty() && task->indicator_id().empty() && found.subject_begin >= 0 &&
        found.subject_begin <= text_begin + 1) {
      task->set_indicator_id(o.indicator_id());
    }
    if (!o.has_value()) continue;
    auto* m = task->add_milestones();
    m->set_text(doc_.OriginalText(found.begin, found.end));
    m->set_subject(o.surface_name());
    *m->mutable_quantity() = o.value();
    // Milestones state amounts as written: a decline keeps its sign in the observation only.
    if (m->quantity().value().unscaled() < 0) {
      m->mutable_quantity()->mutable_value()->set_unscaled(-m->quantity().value().unscaled());
    }
    m->set_bound(o.bound());
    if (o.has_upper_value()) *m->mutable_upper_value() = o.upper_value();
    *m->mutable_span() = o.provenance().span();
  }
}

size_t TaskReader::ReadTable(size_t header_line, std::vector<v1::TaskDefinition>* out) {
  const auto& header = doc_.lines[header_line];
  char32_t sep = Contains(Text(header.begin, header.end), U"\t") ? U'\t' : U'|';
  auto cells = [&](const LineInfo& line) {
    std::vector<std::pair<int, int>> result;
    int start = line.begin;
    for (int i = line.begin; i <= line.end; ++i) {
      if (i == line.end || s_[i] == sep) {
        result.push_back({start, i});
        start = i + 1;
      }
    }
    if (sep == U'|' && !result.empty() && Trim(Text(result.front().first, result.front().second)).empty()) {
      result.erase(result.begin());
    }
    return result;
  };
  std::vector<Field> columns;
  for (auto [b, e] : cells(header)) columns.push_back(ColumnField(Text(b, e)));
  size_t i = header_line + 1;
  for (; i < doc_.lines.size(); ++i) {
    const auto& line = doc_.lines[i];
    if (line.blank) continue;
    if (!Contains(Text(line.begin, line.end), std::u32string(1, sep))) {
      if (line.heading_level > 0) continue;  // a section row of the table
      break;
    }
    auto row = cells(line);
    v1::TaskDefinition task;
    int text_b = -1, text_e = -1;
    for (size_t c = 0; c < row.size() && c < columns.size(); ++c) {
      auto [b, e] = row[c];
      if (columns[c] == Field::kNumber) {
        task.set_number(U32ToUtf8(Trim(Text(b, e))));
      } else if (columns[c] == Field::kText) {
        text_b = b, text_e = e;
      } else {
        SetField(columns[c], b, e, &task);
      }
    }
    task.set_number(TaskNumber(Utf8ToU32(task.number())));
    if (task.number().empty() || text_b < 0) continue;
    while (text_b < text_e && IsSpace(s_[text_b])) ++text_b;
    Finish(text_b, text_e, static_cast<int>(i), &task);
    out->push_back(std::move(task));
  }
  return i;
}

// A task table of a .docx or HTML document, read on its grid: a cell merged over several rows (one
// 牵头领导 for a block of tasks) answers for each of them, and a row whose one cell spans the table
// (一、稳住经济基本盘) heads the tasks below it.
size_t TaskReader::ReadGridTable(size_t header_line, std::vector<v1::TaskDefinition>* out) {
  const LineInfo& header = doc_.lines[header_line];
  const Table& table = doc_.tables[header.table];
  std::vector<Field> columns(table.columns, Field::kNone);
  for (int c = 0; c < table.columns; ++c) {
    auto [b, e] = table.CellAt(header.table_row, c);
    columns[c] = ColumnField(Text(b, e));
  }
  const bool numbered = std::find(columns.begin(), columns.end(), Field::kNumber) != columns.end();
  std::string table_section;  // a section row that is no heading of the document
  int ordinal = 0;
  const int rows = static_cast<int>(table.grid.size());
  for (int r = header.table_row + 1; r < rows; ++r) {
    const int line_index = table.row_lines[r];
    const LineInfo& line = doc_.lines[line_index];
    // Section rows: one cell across the table, or a single filled cell.
    int filled = 0;
    for (const auto& [b, e] : table.cells[r]) filled += b < e ? 1 : 0;
    if (filled <= 1) {
      if (line.heading_level > 0) table_section.clear();  // a heading of the document: BuildSections has it
      else if (filled == 1) table_section = Original(line.begin, line.end);
      continue;
    }
    v1::TaskDefinition task;
    int text_b = -1, text_e = -1;
    for (int c = 0; c < table.columns; ++c) {
      if (columns[c] == Field::kNone) continue;
      // A merged cell counts once per field (the first column it covers).
      if (c > 0 && columns[c - 1] == columns[c] && table.grid[r][c] == table.grid[r][c - 1]) continue;
      auto [b, e] = table.CellAt(r, c);
      if (columns[c] == Field::kNumber) {
        task.set_number(TaskNumber(Text(b, e)));
      } else if (columns[c] == Field::kText) {
        if (text_b < 0 && b < e) text_b = b, text_e = e;
      } else {
        SetField(columns[c], b, e, &task);
      }
    }
    if (text_b < 0) continue;
    if (numbered && task.number().empty()) continue;
    ++ordinal;
    if (!numbered) task.set_number(std::to_string(ordinal));
    Finish(text_b, text_e, line_index, &task);
    if (!table_section.empty()) {
      task.add_section_path(table_section);
      task.mutable_provenance()->add_section_path(table_section);
    }
    out->push_back(std::move(task));
  }
  // Past the table's last row.
  return static_cast<size_t>(table.row_lines.back()) + 1;
}

std::vector<v1::TaskDefinition> TaskReader::Read() {
  std::vector<v1::TaskDefinition> tasks;
  for (size_t i = 0; i < doc_.lines.size(); ++i) {
    const auto& line = doc_.lines[i];
    if (line.blank) continue;
    std::u32string_view text = Text(line.begin, line.end);
    if (line.table >= 0 && !doc_.tables[line.table].indicators) {
      const Table& table = doc_.tables[line.table];
      std::vector<Field> columns;
      for (const auto& [b, e] : table.cells[line.table_row]) columns.push_back(ColumnField(Text(b, e)));
      if (IsTaskHeader(columns)) {
        i = ReadGridTable(i, &tasks) - 1;
        continue;
      }
    }
    // A table header: 序号 plus a task column.
    if ((Contains(text, U"\t") || Contains(text, U"|")) && Contains(text, U"序号")) {
      i = ReadTable(i, &tasks) - 1;
      continue;
    }
    if (!line.task_start) continue;
    v1::TaskDefinition task;
    int marker = 0;
    HeadingMarker(text, &marker);
    std::u32string_view number = text.substr(0, marker);
    while (!number.empty() && !IsAsciiDigit(number.back())) number.remove_suffix(1);
    while (!number.empty() && !IsAsciiDigit(number.front())) number.remove_prefix(1);
    task.set_number(U32ToUtf8(number));
    int text_begin = line.begin + marker;
    int text_end = line.end;
    size_t j = i + 1;
    // Continuation lines up to the labels, then the labels.
    for (; j < doc_.lines.size(); ++j) {
      const auto& next = doc_.lines[j];
      if (next.blank) continue;
      if (next.task_label || next.task_start || next.heading_level > 0) break;
      text_end = next.end;
    }
    for (; j < doc_.lines.size(); ++j) {
      const auto& next = doc_.lines[j];
      if (next.blank) continue;
      if (!next.task_label) break;
      ReadLabelLine(next, &task);
    }
    while (text_begin < text_end && IsSpace(s_[text_begin])) ++text_begin;
    Finish(text_begin, text_end, static_cast<int>(i), &task);
    tasks.push_back(std::move(task));
    i = j - 1;
  }
  return tasks;
}

}  // namespace

v1::Deadline ParseDeadline(const std::string& text, int year) {
  v1::Deadline d;
  d.set_text(text);
  std::u32string s = Fold(Utf8ToU32(text)).folded;
  if (Contains(s, U"长期") || Contains(s, U"持续推进") || Contains(s, U"持续") || Contains(s, U"常态")) {
    d.set_ongoing(true);
  }
  std::string date;
  // The last date written wins ("6月底前启动,12月底前完成").
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsAsciiDigit(s[i]) || (i > 0 && IsAsciiDigit(s[i - 1]))) continue;
    size_t k = i;
    int a = ReadInt(s, &k, 4);
    int y = year, m = -1, day = -1;
    if (k - i == 4 && k < s.size() && (s[k] == U'年' || s[k] == U'-' || s[k] == U'/' || s[k] == U'.')) {
      y = a;
      ++k;
      m = ReadInt(s, &k, 2);
      if (m < 0) {
        if (StartsAt(s, k, U"底") || StartsAt(s, k, U"年底") || k >= s.size() || s[k] != U'月') {
          date = Iso(y, 12, 31);
          i = k;
          continue;
        }
      }
    } else if (k - i <= 2) {
      m = a;
    } else {
      i = k;
      continue;
    }
    if (m < 1 || m > 12 || k >= s.size()) {
      i = k;
      continue;
    }
    if (s[k] == U'月' || s[k] == U'-' || s[k] == U'/' || s[k] == U'.') {
      ++k;
      day = ReadInt(s, &k, 2);
      if (day < 0) day = DaysInMonth(y, m);  // "6月底前", "2023年3月"
      std::string iso = Iso(y, m, day);
      if (!iso.empty()) date = iso;
    }
    i = k;
  }
  if (date.empty()) {
    static constexpr std::pair<std::u32string_view, int> kQuarters[] = {
        {U"一季度", 3}, {U"二季度", 6}, {U"三季度", 9}, {U"四季度", 12}, {U"上半年", 6},
        {U"下半年", 12}, {U"年底", 12}, {U"年内", 12}, {U"全年", 12}, {U"年末", 12}};
    for (auto [word, month] : kQuarters) {
      if (Contains(s, word) && year > 0) date = Iso(year, month, DaysInMonth(year, month));
    }
  }
  if (!d.ongoing()) d.set_date(date);
  return d;
}

std::vector<v1::TaskDefinition> ExtractTasks(const Doc& doc,
                                             const std::vector<FoundObservation>& observations,
                                             const std::string& document_id) {
  return TaskReader(doc, observations, document_id).Read();
}

}  // namespace luoshi::extract
