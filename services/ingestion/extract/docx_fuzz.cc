// libFuzzer target for the .docx reader alone (zip container, then word/document.xml): any bytes give
// the document's text or INVALID_ARGUMENT, never a crash, a hang or unbounded memory. Its corpus starts
// from real .docx files (scripts/fuzz.sh), so mutations land inside the zip's structures.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/ingestion/extract/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto text = luoshi::extract::DocxToText(bytes);
  if (text.ok()) {
    // Every table row the reader reports starts inside the text it returned, with sane spans.
    for (const auto& table : text->tables) {
      for (const auto& row : table.rows) {
        if (row.offset > text->text.size()) __builtin_trap();
      for (const auto& cell : row.cells) {
        if (cell.col_span < 1 || cell.row_span < 1) __builtin_trap();
      }
      }
    }
  } else if (text.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();  // a document we cannot read is the caller's input, never the reader's failure
  }
  return 0;
}
