// libFuzzer target for the HTML reader alone (charset sniffing, decoding, tags, entities, tables):
// any bytes give visible text, never a crash or a hang. Its corpus starts from the HTML test documents.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/ingestion/extract/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  luoshi::extract::DecodedText decoded =
      luoshi::extract::DecodeBytes(bytes, luoshi::extract::DeclaredHtmlCharset(bytes));
  luoshi::extract::HtmlText html = luoshi::extract::HtmlToText(decoded.utf8);
  for (const auto& table : html.tables) {
    for (const auto& row : table.rows) {
      if (row.offset > html.text.size()) __builtin_trap();
      for (const auto& cell : row.cells) {
        if (cell.col_span < 1 || cell.row_span < 1) __builtin_trap();
      }
    }
  }
  return 0;
}
