// Human-readable summaries of ingestion results, for `luoshi ingest FILE...` and other clients.
#ifndef LUOSHI_SERVICES_INGESTION_INGEST_SUMMARY_H_
#define LUOSHI_SERVICES_INGESTION_INGEST_SUMMARY_H_

#include <string>

#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::ingestion {

struct SummaryOptions {
  bool dry_run = false;      // the request was a dry run: say that nothing was stored
  int max_observations = 20;  // figures listed one per line; the rest are counted
  int max_tasks = 10;
};

// A few lines per document, e.g.
//   doc-1a2b3c4d5e6f7a8b  new  2023年区政府工作报告重点工作分工方案
//     file       004.txt · 33714 bytes · text · UTF-8
//     document   division plan · 大兴区 · 2023 · 区政府办 · 京兴政办发〔2023〕1号 · published 2023-03-09
//     extracted  0 figures, 121 tasks (extractor 0.3.0)
//     delivery   indicators: nothing to deliver · tasks: pending, attempt 1 failed: …
//     tasks
//       1  地区生产总值比上年增长4.5%以上  → 区发展改革委 · 2023-12-31
// Ends with a newline.
std::string FormatIngestSummary(const v1::IngestDocumentResponse& response, const SummaryOptions& options = {});

// One line per delivery ("indicators: delivered", "tasks: pending (3 attempts; last error: …)").
std::string FormatDeliveries(const v1::Document& document);

// "division plan", "work report", … ("unknown type" when unspecified).
std::string DocumentTypeLabel(v1::DocumentType type);

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_INGEST_SUMMARY_H_
