// The extraction library: bytes of a government document in, a luoshi.v1.Extraction out.
//
// Pipeline (each step its own file):
//   decode.cc / html.cc / docx.cc  bytes → UTF-8 text (format and encoding detection, CRLF → LF)
//   text.cc                        text → code points + folded copy with an offset map
//   normalise.cc                   text from PDF conversion: hard line breaks read through, page
//                                  numbers and running heads dropped (folded copy and map only;
//                                  not for documents whose reader found tables)
//   document.cc                    lines, noise, headings (一、/(一)/1./(1)), sentences
//   metadata.cc                    title, type, region, year, period, issuer, number, dates
//   numbers.cc                     figures: numbers, units, magnitudes, bounds, Chinese numerals
//   indicators.cc                  figures + subjects + verbs → Observations with provenance (the
//                                  sentence reader: sentence_reader.cc, figure_names.cc,
//                                  observation_assembly.cc, time_phrases.cc)
//   tasks.cc                       division-plan tasks (paragraph and table layouts)
//   format_text.cc                 the readable table of `luoshi extract --format=text`
//
// No gRPC, no storage, no global state: an Extractor is immutable after construction, so one instance
// serves many threads. Every span in the output is a code point range of Extraction.text.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_EXTRACTOR_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_EXTRACTOR_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "luoshi/v1/indicators.pb.h"
#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::extract {

// Bump whenever a rule changes what is extracted (ReprocessDocument compares it).
inline constexpr char kExtractorVersion[] = "luoshi-extract/1.0.0";
// Most lines a document's text may have. The reader keeps a record of some 40 bytes per line and spends
// about a microsecond on each, so a document of nothing but line breaks (32 MiB of them, or a .docx of a
// few hundred KiB whose document.xml is millions of empty paragraphs) would hold a server thread for half
// a minute and gigabytes of memory; the longest real report has a few tens of thousands of lines.
inline constexpr size_t kMaxDocumentLines = 1'000'000;
// Most sentences a document may have, for the same reason: each costs the reader some 150 bytes and half a
// microsecond, and 32 MiB of "a?" would be 16 million of them (seconds, gigabytes). A real report of the
// largest size accepted has a few hundred thousand.
inline constexpr size_t kMaxDocumentSentences = 1'000'000;

struct ExtractOptions {
  std::string filename;           // helps format detection (.docx/.html/.txt)
  std::string content_type;       // MIME type if known
  std::string region_hint;        // used when the document does not name its region
  int year_hint = 0;              // used when the document does not give its year
  std::string document_id;        // copied into every Provenance.document_id
  std::string source_key_prefix;  // Observation.source_key = prefix + ":" + index; empty → empty
};

class CatalogMatcher;

class Extractor {
 public:
  explicit Extractor(const luoshi::v1::Catalog& catalog);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Thread-safe. INVALID_ARGUMENT, with a message naming the accepted formats, for bytes that are not
  // plain text, HTML or .docx (or a broken .docx, or an empty document). Never crashes, never hangs.
  absl::StatusOr<luoshi::v1::Extraction> Extract(std::string_view bytes,
                                                 const ExtractOptions& options) const;

 private:
  luoshi::v1::Catalog catalog_;
  std::unique_ptr<CatalogMatcher> matcher_;
};

// A readable table of metadata, observations and tasks (for `luoshi extract --format=text`).
std::string FormatExtractionText(const luoshi::v1::Extraction& e);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_EXTRACTOR_H_
