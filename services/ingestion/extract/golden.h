// Golden files: expected extractions written by hand from the seed documents (format in
// testdata/golden/README.md). Shared by the golden test and the benchmark.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_GOLDEN_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_GOLDEN_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::extract {

struct GoldenObservation {
  int line = 0;
  bool known_miss = false;  // "xobs": expected, counted in recall, not yet extracted
  std::string indicator;    // "-" for figures outside the catalog
  std::string region, period, measure, value, unit, bound, status;
  std::map<std::string, std::string> extra;  // dir, base, surface, upper, text
  bool core() const { return indicator != "-"; }
};

struct GoldenTask {
  int line = 0;
  std::string number, section, text, leaders, units, cooperating, deadline_text, deadline_date,
      indicator;
};

struct GoldenMilestone {
  int line = 0;
  std::string task, value, unit, bound, upper;
};

struct GoldenCase {
  std::string name;        // golden file name
  std::string path;        // golden file path
  std::string input_path;  // document the case reads
  std::vector<std::pair<int, std::pair<std::string, std::string>>> meta;  // line, key, value
  std::vector<GoldenObservation> observations;
  std::vector<GoldenTask> tasks;
  std::vector<GoldenMilestone> milestones;
  int task_count = -1;
  int task_count_line = 0;
};

// Reads every *.golden under services/ingestion/extract/testdata/golden of the source tree.
absl::StatusOr<std::vector<GoldenCase>> LoadGoldenCases(const std::string& source_dir);
absl::StatusOr<GoldenCase> ParseGoldenFile(const std::string& path, const std::string& source_dir);

struct Score {
  int matched = 0, extracted = 0, expected = 0;
  double precision() const { return extracted == 0 ? 1.0 : double(matched) / extracted; }
  double recall() const { return expected == 0 ? 1.0 : double(matched) / expected; }
  void Add(const Score& o) {
    matched += o.matched, extracted += o.extracted, expected += o.expected;
  }
};

struct ObservationComparison {
  Score core;  // catalog indicators, whole document
  Score all;   // every figure; precision over the sentences the golden file annotates
  std::vector<std::string> failures;  // "file:line: …" for each golden obs line not found
  std::vector<std::string> extra;     // catalog observations not in the golden file
  std::vector<std::string> unmatched;  // observations in annotated sentences that match no line
};
ObservationComparison CompareObservations(const GoldenCase& c, const v1::Extraction& e);

// "file:line: …" for each metadata, task or milestone line that does not hold. With `task_score`, also
// counts the task lines (expected), the tasks of documents that have task lines (extracted) and the task
// lines that hold in every field (matched).
std::vector<std::string> CheckMetadataAndTasks(const GoldenCase& c, const v1::Extraction& e,
                                               Score* task_score = nullptr);

// One line describing an observation in golden syntax (used in failure messages).
std::string DescribeObservation(const v1::Observation& o);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_GOLDEN_H_
