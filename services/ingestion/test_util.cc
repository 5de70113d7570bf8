#include "services/ingestion/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace luoshi::ingestion::testing {

std::string FreshDatabasePath(const std::string& prefix) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", prefix, "_",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                                  getpid(), ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

std::string SourceDir() {
  const char* dir = std::getenv("LUOSHI_SOURCE_DIR");
  return dir ? dir : ".";
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/data/seeds")) {
    paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, std::string>> seeds;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    seeds.emplace_back(p.filename().string(), ss.str());
  }
  return seeds;
}

TempDatabase::~TempDatabase() {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
}

absl::StatusOr<v1::Extraction> FakeExtractionEngine::Extract(std::string_view bytes,
                                                             const ExtractRequest& request) const {
  ++calls_;
  v1::Extraction e;
  v1::DocumentMetadata* m = e.mutable_metadata();
  e.set_text(std::string(bytes));
  for (absl::string_view line : absl::StrSplit(absl::string_view(bytes.data(), bytes.size()), '\n')) {
    if (absl::ConsumePrefix(&line, "reject: ")) return absl::InvalidArgumentError(std::string(line));
    if (absl::ConsumePrefix(&line, "title: ")) m->set_title(std::string(line));
    int number = 0;
    if (absl::ConsumePrefix(&line, "type: ") && absl::SimpleAtoi(line, &number)) {
      m->set_type(static_cast<v1::DocumentType>(number));
    }
    if (absl::ConsumePrefix(&line, "region: ")) m->set_region(std::string(line));
    if (absl::ConsumePrefix(&line, "year: ") && absl::SimpleAtoi(line, &number)) m->set_year(number);
    if (absl::ConsumePrefix(&line, "obs: ")) {
      std::pair<std::string, std::string> parts = absl::StrSplit(line, ' ');
      v1::Observation* o = e.add_observations();
      o->set_surface_name(parts.first);
      int64_t value = 0;
      if (absl::SimpleAtoi(parts.second, &value)) o->mutable_value()->mutable_value()->set_unscaled(value);
      o->mutable_provenance()->set_sentence(std::string(line));
    }
    if (absl::ConsumePrefix(&line, "task: ")) {
      v1::TaskDefinition* t = e.add_tasks();
      t->set_number(std::to_string(e.tasks_size()));
      t->set_text(std::string(line));
    }
  }
  if (extra_observation_) e.add_observations()->set_surface_name("extra");
  if (m->region().empty()) m->set_region(request.region_hint);
  if (m->year() == 0) m->set_year(request.year_hint);
  for (v1::Observation& o : *e.mutable_observations()) {
    o.set_region(m->region());
    if (m->year() != 0) o.set_period(std::to_string(m->year()));  // like the library: no year, no period
  }
  e.set_extractor_version(Version());
  return e;
}

std::string FakeExtractionEngine::Version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

void FakeExtractionEngine::set_version(const std::string& v) {
  absl::MutexLock lock(&mu_);
  version_ = v;
}

std::string FakeDocument(const std::string& title, int observations, int tasks, int type,
                         const std::string& region, int year) {
  std::string out = absl::StrCat("title: ", title, "\ntype: ", type, "\n");
  if (!region.empty()) absl::StrAppend(&out, "region: ", region, "\n");
  if (year != 0) absl::StrAppend(&out, "year: ", year, "\n");
  for (int i = 0; i < observations; ++i) absl::StrAppend(&out, "obs: 指标", i, " ", 100 + i, "\n");
  for (int i = 0; i < tasks; ++i) absl::StrAppend(&out, "task: 任务", i, "\n");
  return out;
}

absl::Status FakeDeliveryClient::Answer(const std::string& target) {
  auto released = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.count(target) == 0; };
  mu_.Await(absl::Condition(&released));
  ++calls_[target];
  std::vector<absl::Status>& script = script_[target];
  if (script.empty()) {
    ++accepted_calls_[target];
    return absl::OkStatus();
  }
  absl::Status next = script.front();
  script.erase(script.begin());
  if (next.ok()) ++accepted_calls_[target];
  return next;
}

absl::Status FakeDeliveryClient::RecordObservations(const v1::RecordObservationsRequest& request) {
  absl::MutexLock lock(&mu_);
  absl::Status answer = Answer("indicators");
  if (answer.ok()) {
    for (const v1::Observation& o : request.observations()) ++observations_[o.source_key()];
  }
  return answer;
}

absl::Status FakeDeliveryClient::ImportPlan(const v1::ImportPlanRequest& request) {
  absl::MutexLock lock(&mu_);
  absl::Status answer = Answer("tasks");
  if (answer.ok()) ++plans_[request.document_sha256()];
  return answer;
}

void FakeDeliveryClient::Script(const std::string& target, std::vector<absl::Status> answers) {
  absl::MutexLock lock(&mu_);
  script_[target] = std::move(answers);
}

void FakeDeliveryClient::Hold(const std::string& target) {
  absl::MutexLock lock(&mu_);
  held_.insert(target);
}

void FakeDeliveryClient::Release(const std::string& target) {
  absl::MutexLock lock(&mu_);
  held_.erase(target);
}

int FakeDeliveryClient::calls(const std::string& target) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(target);
  return it == calls_.end() ? 0 : it->second;
}

std::map<std::string, int> FakeDeliveryClient::accepted_observations() const {
  absl::MutexLock lock(&mu_);
  return observations_;
}

std::map<std::string, int> FakeDeliveryClient::accepted_plans() const {
  absl::MutexLock lock(&mu_);
  return plans_;
}

bool FakeDeliveryClient::WaitForAccepted(const std::string& target, int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = accepted_calls_.find(target);
    return it != accepted_calls_.end() && it->second >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace luoshi::ingestion::testing
