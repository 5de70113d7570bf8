// The table model shared by the .docx and HTML readers and by the readers of indicator tables and
// table-form division plans.
//
// A reader writes each table row as one line of its text, the row's cells separated by tabs, and
// reports the table's shape as a SourceTable: for each row, where its line starts and, for each cell in
// the order the line holds them, how many grid columns and rows it covers (HTML colspan/rowspan, Word
// w:gridSpan) or whether it continues the cell above (Word w:vMerge without "restart", written as an
// empty cell). The merged cells are written once, where they start.
//
// PlaceTables turns each SourceTable into a Table of the document: the line of every row and a grid
// that names, for every (row, column), the cell that covers it. A cell merged over three rows therefore
// answers for all three, which is how a 牵头领导 written once for a block of tasks reaches each task, and
// how a merged header `2023年` over `目标 | 完成` reaches both columns.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_H_

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace luoshi::extract {

struct SourceCell {
  int col_span = 1;
  int row_span = 1;
  bool continues_above = false;  // Word's vMerge continuation: the cell above covers this one
};

struct SourceRow {
  size_t offset = 0;  // byte offset in the reader's UTF-8 text where the row's line starts
  std::vector<SourceCell> cells;
};

struct SourceTable {
  std::vector<SourceRow> rows;
};

// Limits that keep a hostile document's spans from building huge grids.
inline constexpr int kMaxTableColumns = 64;
inline constexpr int kMaxTableRows = 4096;

struct CellRef {
  int row = -1;   // row whose line holds the cell (the row where a merged cell starts); -1: no cell
  int cell = -1;  // ordinal of the cell in that line (0-based, tab-separated)
  bool valid() const { return row >= 0; }
  bool operator==(const CellRef& o) const { return row == o.row && cell == o.cell; }
};

struct Table {
  std::vector<int> row_lines;  // Doc line index of each row
  int columns = 0;
  std::vector<std::vector<CellRef>> grid;  // grid[row][column]
  // Each row's cells as folded ranges [begin, end), trimmed, in line order (filled by PlaceTables).
  std::vector<std::vector<std::pair<int, int>>> cells;
  // Set by the indicator-table reader (table_indicators.h): an indicator table and its header rows.
  bool indicators = false;
  int header_rows = 0;

  // Folded range of the cell covering (row, column); {0, 0} when none.
  std::pair<int, int> CellAt(int row, int column) const;
  // Grid column where cell `cell` of `row`'s line starts (-1 if it covers none).
  int ColumnOf(int row, int cell) const;
};

// Builds the grid of a table from its source rows (spans capped by the limits above).
std::vector<std::vector<CellRef>> BuildGrid(const SourceTable& table, int* columns);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TABLE_H_
