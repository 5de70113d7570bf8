// Test doubles shared by the ingestion unit tests (not linked into the service).
#ifndef LUOSHI_SERVICES_INGESTION_TEST_UTIL_H_
#define LUOSHI_SERVICES_INGESTION_TEST_UTIL_H_

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/extraction_engine.h"

namespace luoshi::ingestion::testing {

// A fresh SQLite path in the test temporary directory for the running test, unique per process so
// concurrent runs of the suite do not share files. Removes leftovers of an earlier run.
std::string FreshDatabasePath(const std::string& prefix);

// The source tree: LUOSHI_SOURCE_DIR when set, else the working directory (CTest runs tests from the
// source root).
std::string SourceDir();
// The sample documents in data/seeds/ as (file name, bytes), sorted by name.
std::vector<std::pair<std::string, std::string>> Seeds();

// Owns such a path and deletes the database files when destroyed (declare it before the store).
class TempDatabase {
 public:
  explicit TempDatabase(const std::string& prefix) : path_(FreshDatabasePath(prefix)) {}
  ~TempDatabase();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads a tiny line format instead of real documents, so handler tests control exactly what an
// "extraction" contains:
//   title: 标题            type: 3 (DocumentType number)   region: 大兴区   year: 2023
//   obs: 地区生产总值 52     (one observation: surface name, integer value)
//   task: 推进某项工作       (one task)
//   reject: why           (the engine answers INVALID_ARGUMENT with this message)
// Any other line is ignored. The region and year hints fill in when the text has none; every
// observation gets the document's region and its year as period (none without a year).
class FakeExtractionEngine : public ExtractionEngine {
 public:
  explicit FakeExtractionEngine(std::string version = "fake-1") : version_(std::move(version)) {}
  absl::StatusOr<v1::Extraction> Extract(std::string_view bytes, const ExtractRequest& request) const override;
  std::string Version() const override;
  void set_version(const std::string& v);
  // Adds one observation ("extra N") to every extraction, as a newer extractor that finds more would.
  void set_extra_observation(bool on) { extra_observation_ = on; }
  int calls() const { return calls_.load(); }

 private:
  mutable absl::Mutex mu_;
  std::string version_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> extra_observation_{false};
  mutable std::atomic<int> calls_{0};
};

// A document in FakeExtractionEngine's format with `observations` figures and `tasks` tasks.
std::string FakeDocument(const std::string& title, int observations, int tasks, int type = 1,
                         const std::string& region = "大兴区", int year = 2023);

// In-process stand-in for the indicator and task services. Each target answers from a script of
// statuses (then OK once the script is used up), remembers what it accepted, and counts calls.
class FakeDeliveryClient : public DeliveryClient {
 public:
  absl::Status RecordObservations(const v1::RecordObservationsRequest& request) override;
  absl::Status ImportPlan(const v1::ImportPlanRequest& request) override;

  // The next answers of a target, in order ("indicators" or "tasks").
  void Script(const std::string& target, std::vector<absl::Status> answers);
  int calls(const std::string& target) const;
  // How many times each observation source key / plan sha256 was accepted.
  std::map<std::string, int> accepted_observations() const;
  std::map<std::string, int> accepted_plans() const;
  // While held, calls to `target` wait (like a peer that hangs) until Release(target).
  void Hold(const std::string& target);
  void Release(const std::string& target);
  // Blocks until at least `n` accepted calls to `target` happened, or `timeout` passed; true if reached.
  bool WaitForAccepted(const std::string& target, int n, absl::Duration timeout) const;

 private:
  absl::Status Answer(const std::string& target) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<absl::Status>> script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> accepted_calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> observations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> plans_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi::ingestion::testing

#endif  // LUOSHI_SERVICES_INGESTION_TEST_UTIL_H_
