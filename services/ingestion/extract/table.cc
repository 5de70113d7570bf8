#include "services/ingestion/extract/table.h"

#include <algorithm>
#include <string>

#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {

std::pair<int, int> Table::CellAt(int row, int column) const {
  if (row < 0 || row >= static_cast<int>(grid.size()) || column < 0 || column >= columns) return {0, 0};
  const CellRef& ref = grid[row][column];
  if (!ref.valid() || ref.cell >= static_cast<int>(cells[ref.row].size())) return {0, 0};
  return cells[ref.row][ref.cell];
}

int Table::ColumnOf(int row, int cell) const {
  if (row < 0 || row >= static_cast<int>(grid.size())) return -1;
  for (int c = 0; c < columns; ++c) {
    if (grid[row][c].row == row && grid[row][c].cell == cell) return c;
  }
  return -1;
}

std::vector<std::vector<CellRef>> BuildGrid(const SourceTable& table, int* columns) {
  const int rows = std::min<int>(static_cast<int>(table.rows.size()), kMaxTableRows);
  int width = 0;
  for (int r = 0; r < rows; ++r) {
    int w = 0;
    for (const auto& cell : table.rows[r].cells) w += std::clamp(cell.col_span, 1, kMaxTableColumns);
    width = std::max(width, std::min(w, kMaxTableColumns));
  }
  std::vector<std::vector<CellRef>> grid(rows, std::vector<CellRef>(width));
  for (int r = 0; r < rows; ++r) {
    int c = 0;
    const auto& cells = table.rows[r].cells;
    for (int k = 0; k < static_cast<int>(cells.size()); ++k) {
      while (c < width && grid[r][c].valid()) ++c;  // covered by a cell spanning from above
      if (c >= width) break;
      const SourceCell& cell = cells[k];
      const int span = std::clamp(cell.col_span, 1, width - c);
      if (cell.continues_above && r > 0) {
        for (int j = c; j < c + span; ++j) grid[r][j] = grid[r - 1][j];
        // The continuation has its own (empty) place in the line; where the cell above is missing it
        // stands for itself.
        for (int j = c; j < c + span; ++j) {
          if (!grid[r][j].valid()) grid[r][j] = {r, k};
        }
      } else {
        const int down = std::clamp(cell.row_span, 1, rows - r);
        for (int i = r; i < r + down; ++i) {
          for (int j = c; j < c + span; ++j) {
            if (!grid[i][j].valid()) grid[i][j] = {r, k};
          }
        }
      }
      c += span;
    }
  }
  *columns = width;
  return grid;
}

void PlaceTables(std::string_view utf8, const std::vector<SourceTable>& tables, Doc* doc) {
  const std::u32string& f = doc->f();
  const std::vector<int>& to_original = doc->folded.to_original;
  // Code point offset of each row start, counted segment by segment (row starts follow a newline, so
  // decoding the pieces gives the same code points as decoding the whole).
  size_t byte_at = 0;
  int code_point_at = 0;
  int newline_scan = 0;
  int newlines = 0;
  for (const SourceTable& source : tables) {
    Table table;
    table.grid = BuildGrid(source, &table.columns);
    const int rows = static_cast<int>(table.grid.size());
    bool placed = rows > 0 && table.columns > 0;
    for (int r = 0; r < rows && placed; ++r) {
      const size_t offset = source.rows[r].offset;
      if (offset < byte_at || offset > utf8.size()) {
        placed = false;
        break;
      }
      code_point_at += static_cast<int>(Utf8ToU32(utf8.substr(byte_at, offset - byte_at)).size());
      byte_at = offset;
      // Folded position of the row's first character, and the line that starts there.
      const int folded_pos = static_cast<int>(
          std::lower_bound(to_original.begin(), to_original.end() - 1, code_point_at) - to_original.begin());
      if (folded_pos > 0 && folded_pos < static_cast<int>(f.size()) + 1 && f[folded_pos - 1] != U'\n') {
        placed = false;  // the row no longer starts a line (text was rejoined): leave the table alone
        break;
      }
      // Lines are split at every newline, so the row's line is the number of newlines before it.
      for (; newline_scan < folded_pos; ++newline_scan) {
        if (f[newline_scan] == U'\n') ++newlines;
      }
      const int line = newlines;
      if (line >= static_cast<int>(doc->lines.size())) {
        placed = false;
        break;
      }
      table.row_lines.push_back(line);
      // The row's cells: tab-separated from the raw line start to the newline.
      std::vector<std::pair<int, int>> cells;
      int b = folded_pos;
      const int n = static_cast<int>(f.size());
      for (int i = folded_pos;; ++i) {
        if (i == n || f[i] == U'\n' || f[i] == U'\t') {
          int cb = b, ce = i;
          while (cb < ce && IsSpace(f[cb])) ++cb;
          while (ce > cb && IsSpace(f[ce - 1])) --ce;
          cells.emplace_back(cb, ce);
          if (i == n || f[i] == U'\n') break;
          b = i + 1;
        }
      }
      table.cells.push_back(std::move(cells));
    }
    if (!placed) continue;
    const int index = static_cast<int>(doc->tables.size());
    for (int r = 0; r < rows; ++r) {
      LineInfo& line = doc->lines[table.row_lines[r]];
      if (line.table >= 0) continue;
      line.table = index;
      line.table_row = r;
    }
    doc->tables.push_back(std::move(table));
  }
}

}  // namespace luoshi::extract
