#include "services/ingestion/extract/extractor.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/status_macros.h"
#include "services/ingestion/extract/decode.h"
#include "services/ingestion/extract/document.h"
#include "services/ingestion/extract/indicators.h"
#include "services/ingestion/extract/normalise.h"
#include "services/ingestion/extract/table_indicators.h"
#include "services/ingestion/extract/tasks.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

constexpr char kAccepted[] = "accepted formats: plain text, HTML, .docx";

// " NAME" for a message about the file, NAME cut to its first 200 bytes (at a character boundary): a
// status message travels as gRPC metadata, which a client refuses beyond a few KiB.
std::string FileNamed(const std::string& filename) {
  if (filename.empty()) return "";
  constexpr size_t kMaxQuoted = 200;
  if (filename.size() <= kMaxQuoted) return " " + filename;
  size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(filename[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(" ", filename.substr(0, cut), "… (a name of ", filename.size(), " bytes)");
}

// Replaces control characters (other than tab and newline) so the text is clean and printable.
std::string CleanControls(std::string text) {
  for (char& c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\n' && c != '\t') c = ' ';
    if (u == 0x7F) c = ' ';
  }
  return text;
}

struct Text {
  std::string utf8;
  std::string encoding;
  std::string html_title;
  std::vector<SourceTable> tables;  // row offsets into utf8
  v1::SourceFormat format = v1::SOURCE_FORMAT_UNSPECIFIED;
};

absl::StatusOr<Text> ReadText(std::string_view bytes, const ExtractOptions& options) {
  Text t;
  t.format = DetectFormat(bytes, options.filename, options.content_type);
  switch (t.format) {
    case v1::SOURCE_FORMAT_DOCX: {
      LUOSHI_ASSIGN_OR_RETURN(auto docx, DocxToText(bytes));
      t.utf8 = std::move(docx.text);
      t.tables = std::move(docx.tables);
      t.encoding = "UTF-8";
      break;
    }
    case v1::SOURCE_FORMAT_HTML: {
      std::string declared = DeclaredHtmlCharset(bytes);
      DecodedText decoded = DecodeBytes(bytes, declared);
      HtmlText html = HtmlToText(decoded.utf8);
      t.utf8 = std::move(html.text);
      t.html_title = std::move(html.title);
      t.tables = std::move(html.tables);
      t.encoding = decoded.encoding;
      break;
    }
    case v1::SOURCE_FORMAT_TEXT: {
      std::string declared;
      size_t cs = options.content_type.find("charset=");
      if (cs != std::string::npos) declared = options.content_type.substr(cs + 8);
      DecodedText decoded = DecodeBytes(bytes, declared);
      t.utf8 = std::move(decoded.utf8);
      t.encoding = decoded.encoding;
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("the file", FileNamed(options.filename),
                       " is not a document Luoshi can read (", kAccepted, ")"));
  }
  const size_t before = t.utf8.size();
  // Most documents have no carriage return: then the text is not copied (16 MiB inputs showed the copies).
  if (t.utf8.find('\r') != std::string::npos) t.utf8 = NormalizeNewlines(t.utf8);
  t.utf8 = CleanControls(std::move(t.utf8));
  if (const auto lines = static_cast<size_t>(std::count(t.utf8.begin(), t.utf8.end(), '\n'));
      lines > kMaxDocumentLines) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the file", FileNamed(options.filename), " has ", lines,
        " lines, more than the ", kMaxDocumentLines, " a document may have; remove its empty lines or split it"));
  }
  // The readers write no carriage returns, so the rows stay where they were; if a length changed the
  // tables' offsets would no longer hold, and the rows are read as plain lines.
  if (t.utf8.size() != before) t.tables.clear();
  return t;
}

// Inserts the table observations (in reading order) among the sentence observations, each before the
// first sentence observation that comes after it in the text.
void MergeInReadingOrder(std::vector<FoundObservation> table, std::vector<FoundObservation>* sentences) {
  if (table.empty()) return;
  std::vector<FoundObservation> merged;
  merged.reserve(table.size() + sentences->size());
  size_t t = 0;
  for (auto& found : *sentences) {
    while (t < table.size() && table[t].begin < found.begin) merged.push_back(std::move(table[t++]));
    merged.push_back(std::move(found));
  }
  while (t < table.size()) merged.push_back(std::move(table[t++]));
  *sentences = std::move(merged);
}

bool SetTimestamp(const std::string& iso, google::protobuf::Timestamp* ts) {
  absl::CivilDay day;
  if (iso.empty() || !absl::ParseCivilTime(iso, &day)) return false;
  ts->set_seconds(absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())));
  return true;
}

// The surface name as a reader reads it when it was quoted across a joined line break: found in its
// sentence, then read without the line break and any page furniture inside.
void SetReadingName(const std::u32string& original, const std::vector<std::pair<int, int>>& read_over,
                    v1::Observation* obs) {
  if (obs->surface_name().find('\n') == std::string::npos) return;
  std::u32string name = Utf8ToU32(obs->surface_name());
  const auto& sentence = obs->provenance().sentence_span();
  size_t at = original.find(name, std::max(0, sentence.begin()));
  if (at != std::u32string::npos && at + name.size() <= static_cast<size_t>(sentence.end())) {
    const int begin = static_cast<int>(at);
    obs->set_surface_name(ReadingText(original, read_over, begin, begin + static_cast<int>(name.size())));
  } else {
    obs->set_surface_name(ReadThroughLineBreaks(obs->surface_name()));
  }
}

}  // namespace

Extractor::Extractor(const v1::Catalog& catalog)
    : catalog_(catalog), matcher_(std::make_unique<CatalogMatcher>(catalog)) {}

Extractor::~Extractor() = default;

absl::StatusOr<v1::Extraction> Extractor::Extract(std::string_view bytes,
                                                  const ExtractOptions& options) const {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the document is empty (", kAccepted, ")"));
  }
  LUOSHI_ASSIGN_OR_RETURN(auto text, ReadText(bytes, options));

  Doc doc;
  doc.original = Utf8ToU32(text.utf8);
  doc.folded = Fold(doc.original);
  // Text converted from PDF: hard line breaks read through, page furniture dropped (normalise.h). A
  // document whose reader found tables is laid out already, and its rows are located by offset.
  NormaliseStats normalised;
  if (text.tables.empty()) normalised = NormaliseConvertedText(doc.original, &doc.folded);
  AnalyzeStructure(&doc, text.utf8, text.tables);
  if (doc.sentences.size() > kMaxDocumentSentences) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the file", FileNamed(options.filename), " has ", doc.sentences.size(), " sentences, more than the ",
        kMaxDocumentSentences, " a document may have; split it"));
  }
  ExtractMetadata(catalog_, options.region_hint, options.year_hint, text.html_title, &doc);
  doc.metadata.set_encoding(text.encoding);
  doc.metadata.set_format(text.format);

  v1::Extraction e;
  *e.mutable_metadata() = doc.metadata;
  e.set_text(U32ToUtf8(doc.original));
  e.set_extractor_version(kExtractorVersion);
  for (const auto& s : doc.sections) {
    auto* out = e.add_sections();
    out->set_level(s.level);
    out->set_marker(doc.OriginalText(s.begin, s.marker_end));
    *out->mutable_span() = doc.Span(s.begin, s.end);
    out->set_heading(normalised.joins == 0 ? doc.OriginalText(s.begin, s.end)
                                           : ReadingText(doc.original, normalised.read_over,
                                                         out->span().begin(), out->span().end()));
    out->set_parent(s.parent);
  }
  for (const auto& s : doc.sentences) {
    auto* out = e.add_sentences();
    *out->mutable_span() = doc.Span(s.begin, s.end);
    out->set_section(s.section);
  }
  // The tables first: they mark their rows, which the sentence reader then passes over.
  auto table_observations = ReadIndicatorTables(&doc, *matcher_, options.document_id);
  auto observations = ExtractObservations(doc, *matcher_, options.document_id);
  MergeInReadingOrder(std::move(table_observations), &observations);
  for (auto& t : ExtractTasks(doc, observations, options.document_id)) *e.add_tasks() = std::move(t);
  google::protobuf::Timestamp as_of;
  bool dated = SetTimestamp(doc.metadata.published_date(), &as_of) ||
               SetTimestamp(doc.metadata.written_date(), &as_of);
  // Figures that are no observation (see FoundObservation::left_out), counted per reason for one
  // warning each: a long plan leaves out dozens, and a warning per figure would bury the others.
  std::vector<std::pair<std::string, int>> left_out;
  for (auto& found : observations) {
    v1::Observation& obs = found.observation;
    // A percentage is never a multiple: in a paired list (增长3.5倍、54.76%) the second figure is a rate.
    if (obs.measure() == v1::MEASURE_MULTIPLE && obs.value().unit() == "%") obs.set_measure(v1::MEASURE_GROWTH_RATE);
    // A figure whose subject could not be named is no observation of anything.
    if (found.left_out.empty() && obs.indicator_id().empty() && obs.surface_name().empty()) {
      found.left_out = "no understandable name";
    }
    if (!found.left_out.empty()) {
      auto it = std::find_if(left_out.begin(), left_out.end(),
                             [&](const auto& r) { return r.first == found.left_out; });
      if (it == left_out.end()) left_out.push_back({found.left_out, 1});
      else ++it->second;
      continue;
    }
    // A name read across a joined line break (PDF text) is shown as the reader reads it.
    if (normalised.joins > 0) SetReadingName(doc.original, normalised.read_over, &obs);
    const int index = e.observations_size();
    auto* o = e.add_observations();
    *o = std::move(obs);
    if (!options.source_key_prefix.empty()) {
      o->set_source_key(absl::StrCat(options.source_key_prefix, ":", index));
    }
    if (dated) *o->mutable_as_of() = as_of;
  }
  for (const auto& [reason, count] : left_out) {
    e.add_warnings(absl::StrCat(count, count == 1 ? " figure" : " figures",
                                " outside the catalog left out (", reason, ")"));
  }
  if (doc.metadata.region().empty()) e.add_warnings("the document does not name its region");
  if (doc.metadata.year() == 0) e.add_warnings("the document does not give its year");
  return e;
}

}  // namespace luoshi::extract
