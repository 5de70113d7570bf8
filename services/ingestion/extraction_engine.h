// The seam between the ingestion service and the extraction library (services/ingestion/extract/).
// The handler sees only this interface, so its tests can run a small deterministic fake and the
// library can evolve behind LibraryExtractionEngine (library_extraction_engine.h).
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACTION_ENGINE_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACTION_ENGINE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::ingestion {

struct ExtractRequest {
  std::string filename;
  std::string content_type;
  std::string region_hint;
  int year_hint = 0;
  std::string document_id;        // stamped into every Provenance
  std::string source_key_prefix;  // "<sha256>:obs"; the service re-stamps the keys either way
};

class ExtractionEngine {
 public:
  virtual ~ExtractionEngine() = default;
  // Bytes in, an Extraction out; INVALID_ARGUMENT (naming the accepted formats) for unreadable input.
  // Thread-safe: called concurrently from request threads.
  virtual absl::StatusOr<v1::Extraction> Extract(std::string_view bytes, const ExtractRequest& request) const = 0;
  // The version stored with each extraction, so a newer extractor can be told apart.
  virtual std::string Version() const = 0;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACTION_ENGINE_H_
