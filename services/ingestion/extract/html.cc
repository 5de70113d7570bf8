// HTML to visible text: a small forgiving tag scanner (real pages are rarely well-formed).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "services/ingestion/extract/decode.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsOneOf(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

// Elements whose whole content is dropped.
bool IsHiddenElement(const std::string& name) {
  return IsOneOf(name, {"script", "style", "nav", "footer", "header", "noscript", "template", "svg", "title",
                        "iframe", "object", "select", "button", "head", "aside", "form"});
}

bool IsBlockElement(const std::string& name) {
  return IsOneOf(name, {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4",
                        "h5", "h6", "section", "article", "blockquote", "pre", "hr", "dt", "dd",
                        "dl", "center", "tbody", "thead", "title", "main", "body", "html"});
}

void AppendEntity(std::string_view entity, std::string* out) {
  if (entity.empty()) return;
  if (entity[0] == '#') {
    long cp = 0;
    if (entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')) {
      cp = std::strtol(std::string(entity.substr(2)).c_str(), nullptr, 16);
    } else {
      cp = std::strtol(std::string(entity.substr(1)).c_str(), nullptr, 10);
    }
    if (cp > 0 && cp < 0x20) out->push_back(' ');  // &#10; &#13; &#9;: no line or cell breaks
    else if (cp > 0 && cp <= 0x10FFFF) AppendUtf8(static_cast<char32_t>(cp), out);
    return;
  }
  std::string e = LowerAscii(entity);
  if (e == "nbsp" || e == "ensp" || e == "emsp") out->push_back(' ');
  else if (e == "amp") out->push_back('&');
  else if (e == "lt") out->push_back('<');
  else if (e == "gt") out->push_back('>');
  else if (e == "quot") out->push_back('"');
  else if (e == "apos") out->push_back('\'');
  else if (e == "ldquo") out->append("\xE2\x80\x9C");
  else if (e == "rdquo") out->append("\xE2\x80\x9D");
  else if (e == "middot") out->append("\xC2\xB7");
  else if (e == "mdash") out->append("\xE2\x80\x94");
  else out->push_back(' ');
}

// Appends text with runs of whitespace collapsed into one space.
void AppendText(std::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    // Ordinary bytes up to the next one that needs a look are copied in one go (a byte at a time was a
    // fifth of reading 16 MiB of HTML).
    const size_t special = text.find_first_of("& \n\r\t", i);
    const size_t run_end = special == std::string_view::npos ? text.size() : special;
    if (run_end > i) {
      out->append(text.substr(i, run_end - i));
      i = run_end;
      if (i == text.size()) break;
    }
    char c = text[i];
    if (c == '&') {
      // Look for the ';' only as far as an entity can reach: searching the rest of the text from every
      // '&' made a run of them quadratic.
      size_t semi = text.substr(i, 11).find(';');
      if (semi != std::string_view::npos) semi += i;
      if (semi != std::string_view::npos && semi - i <= 10) {
        AppendEntity(text.substr(i + 1, semi - i - 1), out);
        i = semi;
        continue;
      }
    }
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      if (!out->empty() && out->back() != ' ' && out->back() != '\n' && out->back() != '\t') {
        out->push_back(' ');
      }
      continue;
    }
    out->push_back(c);
  }
}

void EndLine(std::string* out) {
  while (!out->empty() && (out->back() == ' ' || out->back() == '\t')) out->pop_back();
  if (!out->empty() && out->back() != '\n') out->push_back('\n');
}

// Value of a numeric attribute (rowspan="2", colspan=3) in a tag's text; `fallback` when absent.
int SpanAttribute(std::string_view tag, std::string_view name, int fallback) {
  const std::string lower = LowerAscii(tag);
  size_t at = lower.find(name);
  while (at != std::string::npos) {
    const bool starts_word = at > 0 && (lower[at - 1] == ' ' || lower[at - 1] == '\t' || lower[at - 1] == '\n');
    size_t k = at + name.size();
    while (k < lower.size() && lower[k] == ' ') ++k;
    if (starts_word && k < lower.size() && lower[k] == '=') {
      ++k;
      while (k < lower.size() && (lower[k] == ' ' || lower[k] == '"' || lower[k] == '\'')) ++k;
      int value = 0;
      int digits = 0;
      while (k < lower.size() && std::isdigit(static_cast<unsigned char>(lower[k])) && digits < 6) {
        value = value * 10 + (lower[k] - '0');
        ++k, ++digits;
      }
      return digits > 0 && value > 0 ? value : fallback;
    }
    at = lower.find(name, at + 1);
  }
  return fallback;
}

// The outermost open <table>: its rows as they are written (one line each, cells tab-separated) and
// their shape. Tables inside cells are flattened into the cell's text.
class TableWriter {
 public:
  explicit TableWriter(std::string* out) : out_(out) {}

  bool open() const { return depth_ > 0; }
  bool in_cell() const { return in_cell_; }

  void Tag(const std::string& name, bool closing, std::string_view tag) {
    if (name == "table") {
      if (closing) {
        if (depth_ == 1) EndTable();
        if (depth_ > 0) --depth_;
      } else if (++depth_ == 1) {
        EndLine(out_);
        table_ = SourceTable();
      }
      return;
    }
    if (depth_ != 1) {
      if (in_cell_ && (name == "td" || name == "th" || name == "tr")) out_->push_back(' ');
      return;
    }
    if (name == "tr") {
      EndRow();
      if (!closing) StartRow();
    } else if ((name == "td" || name == "th") && !closing) {
      if (!row_open_) StartRow();
      EndCell();
      if (!row_.cells.empty()) out_->push_back('\t');
      SourceCell cell;
      cell.col_span = std::min(SpanAttribute(tag, "colspan", 1), kMaxTableColumns);
      cell.row_span = std::min(SpanAttribute(tag, "rowspan", 1), kMaxTableRows);
      row_.cells.push_back(cell);
      in_cell_ = true;
    } else if (name == "td" || name == "th") {
      EndCell();
    }
  }

  // A line break inside a cell is a space: a row stays one line.
  void Break() {
    if (in_cell_) {
      if (!out_->empty() && out_->back() != ' ' && out_->back() != '\t') out_->push_back(' ');
    } else {
      EndLine(out_);
    }
  }

  void Finish() {
    if (depth_ > 0) EndTable();
    depth_ = 0;
  }

  std::vector<SourceTable> tables;

 private:
  void StartRow() {
    EndLine(out_);
    row_ = SourceRow();
    row_.offset = out_->size();
    row_open_ = true;
  }
  void EndCell() {
    while (!out_->empty() && out_->back() == ' ') out_->pop_back();
    in_cell_ = false;
  }
  void EndRow() {
    if (!row_open_) return;
    EndCell();
    row_open_ = false;
    // A row with no text at all leaves no line (and no row): the tidy pass would drop the line.
    bool text = false;
    for (size_t i = row_.offset; i < out_->size() && !text; ++i) {
      char c = (*out_)[i];
      text = c != '\t' && c != ' ' && c != '\n';
    }
    if (!text) {
      out_->resize(row_.offset);
      return;
    }
    EndLine(out_);
    if (table_.rows.size() < static_cast<size_t>(kMaxTableRows)) table_.rows.push_back(std::move(row_));
  }
  void EndTable() {
    EndRow();
    EndLine(out_);
    if (!table_.rows.empty()) tables.push_back(std::move(table_));
    table_ = SourceTable();
  }

  std::string* out_;
  int depth_ = 0;
  bool row_open_ = false;
  bool in_cell_ = false;
  SourceRow row_;
  SourceTable table_;
};

}  // namespace

HtmlText HtmlToText(std::string_view html) {
  HtmlText result;
  std::string& out = result.text;
  out.reserve(html.size());  // the text is never longer than its HTML; growing it was copies and page faults
  {
    std::string lower = LowerAscii(html.substr(0, std::min<size_t>(html.size(), 1 << 16)));
    size_t t = lower.find("<title");
    size_t gt = t == std::string::npos ? t : lower.find('>', t);
    size_t end = gt == std::string::npos ? gt : lower.find("</title", gt);
    if (end != std::string::npos) AppendText(html.substr(gt + 1, end - gt - 1), &result.title);
  }
  TableWriter tables(&out);
  size_t i = 0;
  const size_t n = html.size();
  while (i < n) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) lt = n;
    AppendText(html.substr(i, lt - i), &out);
    if (lt >= n) break;
    if (html.compare(lt, 4, "<!--") == 0) {
      size_t end = html.find("-->", lt + 4);
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    size_t gt = html.find('>', lt + 1);
    if (gt == std::string_view::npos) break;
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    size_t name_begin = closing ? 1 : 0;
    size_t name_end = name_begin;
    while (name_end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[name_end])))) {
      ++name_end;
    }
    std::string name = LowerAscii(tag.substr(name_begin, name_end - name_begin));
    i = gt + 1;
    if (name.empty()) continue;  // <!DOCTYPE>, <?xml?>
    if (!closing && IsHiddenElement(name) && tag.back() != '/') {
      // Skip to the matching close tag (nesting of the same element counted).
      int depth = 1;
      size_t j = i;
      while (depth > 0 && j < n) {
        size_t next = html.find('<', j);
        if (next == std::string_view::npos) { j = n; break; }
        size_t next_gt = html.find('>', next);
        if (next_gt == std::string_view::npos) { j = n; break; }
        std::string_view t = html.substr(next + 1, next_gt - next - 1);
        bool cl = !t.empty() && t[0] == '/';
        std::string_view rest = t.substr(cl ? 1 : 0);
        size_t k = 0;
        while (k < rest.size() && std::isalnum(static_cast<unsigned char>(rest[k]))) ++k;
        if (LowerAscii(rest.substr(0, k)) == name && (name != "script" && name != "style" ? true : cl)) {
          depth += cl ? -1 : (t.back() == '/' ? 0 : 1);
        }
        j = next_gt + 1;
      }
      i = j;
      tables.Break();
      continue;
    }
    if (name == "table" || name == "tr" || name == "td" || name == "th") {
      tables.Tag(name, closing, tag);
      continue;
    }
    if (IsBlockElement(name)) tables.Break();
  }
  tables.Finish();
  // Tidy: drop trailing tabs at line ends and blank lines; the tables' rows move with their lines.
  std::vector<size_t*> row_offsets;
  for (auto& table : tables.tables) {
    for (auto& row : table.rows) row_offsets.push_back(&row.offset);
  }
  size_t next_row = 0;
  std::string tidy;
  tidy.reserve(out.size());
  size_t start = 0;
  while (start <= out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    std::string_view line(out.data() + start, nl - start);
    while (!line.empty() && (line.back() == '\t' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    while (next_row < row_offsets.size() && *row_offsets[next_row] <= start) {
      *row_offsets[next_row++] = tidy.size();
    }
    if (!line.empty()) {
      tidy.append(line);
      tidy.push_back('\n');
    }
    start = nl + 1;
  }
  while (next_row < row_offsets.size()) *row_offsets[next_row++] = tidy.size();
  result.text = std::move(tidy);
  result.tables = std::move(tables.tables);
  return result;
}

}  // namespace luoshi::extract
