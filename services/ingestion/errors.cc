#include "services/ingestion/errors.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "luoshi/v1/common.pb.h"
#include "services/common/enums.h"
#include "services/common/utf8.h"

namespace luoshi::ingestion {
namespace {

std::string Named(const std::string& filename) {
  return filename.empty() ? "the document" : QuoteInput(filename);
}

std::string Mebibytes(int64_t bytes) { return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0)); }

}  // namespace

absl::Status DocumentNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat(
      "no document with id ", QuoteInput(id), " has been ingested; ListDocuments shows the stored ones"));
}

absl::Status EmptyDocument(const std::string& filename) {
  return absl::InvalidArgumentError(
      absl::StrCat(Named(filename), " is empty: there is nothing to ingest"));
}

absl::Status DocumentTooLarge(const std::string& filename, int64_t size, int64_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      Named(filename), " is ", Mebibytes(size), " (", size, " bytes), more than the limit of ",
      Mebibytes(limit), " (", limit, " bytes); split it, or ask the operator to raise --max_document_bytes"));
}

absl::Status MissingDocumentId() {
  return absl::InvalidArgumentError("a document id is required (e.g. \"doc-0123456789abcdef\")");
}

absl::Status InvalidYearHint(int year) {
  return absl::InvalidArgumentError(absl::StrCat("year_hint ", year, " is not a year: give one from ", kMinYearHint,
                                                 " to ", kMaxYearHint, ", or 0 for none"));
}

absl::Status UnknownDocumentType(int type) {
  return absl::InvalidArgumentError(absl::StrCat("type ", type, " is not a known DocumentType; use one of ",
                                                 KnownEnumValues(v1::DocumentType_descriptor()),
                                                 ", or leave it unset for every type"));
}

absl::Status DocumentIdCollision(const std::string& id) {
  return absl::InternalError(absl::StrCat(
      "document id ", id, " already belongs to a document with different bytes; this is a hash-prefix "
      "collision that should never happen: please report it"));
}

absl::Status OutboxEntryNotFound(int64_t entry_id) {
  return absl::NotFoundError(absl::StrCat("no outbox entry ", entry_id));
}

absl::Status NonPositiveLease(absl::Duration lease) {
  return absl::InvalidArgumentError(absl::StrCat("an outbox claim needs a positive lease, not ",
                                                 absl::FormatDuration(lease)));
}

}  // namespace luoshi::ingestion
