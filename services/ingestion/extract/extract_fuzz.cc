// libFuzzer target for the extraction library: any bytes must give an Extraction or an error status,
// never a crash or a hang. Also linked by fuzz_driver.cc, which runs it in every test run.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "services/common/catalog.h"
#include "services/ingestion/extract/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const luoshi::extract::Extractor* extractor = [] {
    auto catalog = luoshi::LoadCatalog(std::string(LUOSHI_SOURCE_DIR) + "/data/catalog.json");
    return new luoshi::extract::Extractor(catalog.ok() ? *catalog : luoshi::v1::Catalog());
  }();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks a format hint so every reader gets exercised.
  luoshi::extract::ExtractOptions options;
  if (size > 0) {
    static const char* kNames[] = {"", "a.txt", "a.html", "a.docx"};
    options.filename = kNames[data[0] % 4];
  }
  auto e = extractor->Extract(bytes, options);
  if (e.ok()) {
    // Every span must lie inside the text.
    int64_t length = 0;
    for (unsigned char c : e->text()) length += (c & 0xC0) != 0x80;
    for (const auto& o : e->observations()) {
      const auto& s = o.provenance().span();
      if (s.begin() < 0 || s.end() > length || s.begin() > s.end()) __builtin_trap();
    }
    (void)luoshi::extract::FormatExtractionText(*e);
  }
  return 0;
}
