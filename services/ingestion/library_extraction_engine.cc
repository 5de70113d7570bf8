#include "services/ingestion/library_extraction_engine.h"

namespace luoshi::ingestion {

absl::StatusOr<v1::Extraction> LibraryExtractionEngine::Extract(std::string_view bytes,
                                                                const ExtractRequest& request) const {
  extract::ExtractOptions options;
  options.filename = request.filename;
  options.content_type = request.content_type;
  options.region_hint = request.region_hint;
  options.year_hint = request.year_hint;
  options.document_id = request.document_id;
  options.source_key_prefix = request.source_key_prefix;
  return extractor_.Extract(bytes, options);
}

}  // namespace luoshi::ingestion
