// ExtractionEngine backed by the extraction library (services/ingestion/extract/extractor.h).
#ifndef LUOSHI_SERVICES_INGESTION_LIBRARY_EXTRACTION_ENGINE_H_
#define LUOSHI_SERVICES_INGESTION_LIBRARY_EXTRACTION_ENGINE_H_

#include <string>
#include <string_view>

#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extraction_engine.h"

namespace luoshi::ingestion {

class LibraryExtractionEngine : public ExtractionEngine {
 public:
  explicit LibraryExtractionEngine(const v1::Catalog& catalog) : extractor_(catalog) {}

  absl::StatusOr<v1::Extraction> Extract(std::string_view bytes, const ExtractRequest& request) const override;
  std::string Version() const override { return extract::kExtractorVersion; }

 private:
  extract::Extractor extractor_;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_LIBRARY_EXTRACTION_ENGINE_H_
