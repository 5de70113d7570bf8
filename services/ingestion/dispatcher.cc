#include "services/ingestion/dispatcher.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace luoshi::ingestion {
namespace {

std::string PeerName(const std::string& target) {
  return target == kTasksTarget ? "the task service" : "the indicator service";
}

std::string DescribeTransient(const std::string& target, const absl::Status& status) {
  return absl::StrCat(PeerName(target), " did not accept the delivery (",
                      absl::StatusCodeToString(status.code()), ": ", status.message(), "); retrying");
}

std::string DescribePermanent(const std::string& target, const absl::Status& status) {
  return absl::StrCat(PeerName(target), " rejected the delivery (", absl::StatusCodeToString(status.code()),
                      ": ", status.message(),
                      "); not retried: fix the extractor or the peer, then ReprocessDocument");
}

}  // namespace

Dispatcher::Dispatcher(DocumentStore* store, DeliveryClient* client, const Clock* clock,
                       DispatcherOptions options, std::function<double()> random01)
    : store_(store), client_(client), clock_(clock), options_(options), random01_(std::move(random01)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void Dispatcher::Loop() {
  while (true) {
    if (absl::StatusOr<DispatchStats> stats = RunOnce(); !stats.ok()) {
      LogWarning("outbox pass failed", {{"error", std::string(stats.status().message())}});
    }
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
    if (stopping_) return;
    woken_ = false;
  }
}

bool Dispatcher::IsPermanent(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

absl::Duration Dispatcher::BackoffAfter(int failed_attempts) {
  absl::Duration base = options_.initial_backoff;
  for (int i = 1; i < failed_attempts && base < options_.max_backoff; ++i) base *= 2;
  base = std::min(base, options_.max_backoff);
  double r = std::clamp(random01_ ? random01_() : 1.0, 0.0, 1.0);
  return base * (0.5 + 0.5 * r);
}

absl::StatusOr<DispatchStats> Dispatcher::RunOnce() {
  absl::MutexLock lock(&pass_mu_);
  DispatchStats stats;
  for (const char* target : {kIndicatorsTarget, kTasksTarget}) {
    if (absl::Status s = DeliverTarget(target, &stats); !s.ok()) return s;
  }
  return stats;
}

absl::Status Dispatcher::DeliverTarget(const std::string& target, DispatchStats* stats) {
  const absl::Time now = clock_->Now();
  auto paused = target_paused_until_.find(target);
  if (paused != target_paused_until_.end() && now < paused->second) {
    ++stats->paused_targets;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<OutboxEntry>> due = store_->DueDeliveries(target, now, options_.entries_per_pass);
  if (!due.ok()) return due.status();
  for (const OutboxEntry& entry : *due) {
    absl::Status outcome = Send(entry);
    Record(entry, outcome, stats);
    if (target_paused_until_.count(target) > 0) break;  // the peer is failing: back off as a whole
  }
  return absl::OkStatus();
}

absl::Status Dispatcher::Send(const OutboxEntry& entry) {
  if (entry.target == kIndicatorsTarget) return SendObservations(entry.payload);
  if (entry.target == kTasksTarget) return SendPlan(entry.payload);
  return absl::InvalidArgumentError(absl::StrCat("unknown delivery target \"", entry.target, "\""));
}

absl::Status Dispatcher::SendObservations(const std::string& payload) {
  v1::RecordObservationsRequest all;
  if (!all.ParseFromString(payload)) return absl::DataLossError("stored observations are corrupt");
  const int size = all.observations_size();
  const int batch = std::max(1, options_.batch_size);
  for (int begin = 0; begin < size; begin += batch) {
    v1::RecordObservationsRequest request;
    for (int i = begin; i < std::min(size, begin + batch); ++i) *request.add_observations() = all.observations(i);
    if (absl::Status s = client_->RecordObservations(request); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Dispatcher::SendPlan(const std::string& payload) {
  v1::ImportPlanRequest request;
  if (!request.ParseFromString(payload)) return absl::DataLossError("stored plan is corrupt");
  return client_->ImportPlan(request);
}

void Dispatcher::Record(const OutboxEntry& entry, const absl::Status& outcome, DispatchStats* stats) {
  const absl::Time now = clock_->Now();
  absl::Status stored;
  if (outcome.ok() || IsPermanent(outcome.code())) {  // the peer answered: it is up
    target_failures_.erase(entry.target);
    target_paused_until_.erase(entry.target);
  }
  if (outcome.ok()) {
    stored = store_->MarkDelivered(entry.id, now);
    ++stats->delivered;
    LogInfo("delivered", {{"document", entry.document_id}, {"target", entry.target},
                          {"attempt", std::to_string(entry.attempts + 1)}});
  } else if (IsPermanent(outcome.code()) || outcome.code() == absl::StatusCode::kDataLoss) {
    std::string error = DescribePermanent(entry.target, outcome);
    stored = store_->MarkFailed(entry.id, error);
    ++stats->failed;
    LogError("delivery rejected", {{"document", entry.document_id}, {"target", entry.target}, {"error", error}});
  } else {
    const absl::Time next = now + BackoffAfter(++target_failures_[entry.target]);
    target_paused_until_[entry.target] = next;
    std::string error = DescribeTransient(entry.target, outcome);
    stored = store_->MarkRetry(entry.id, error, next);
    ++stats->retried;
    LogWarning("delivery will be retried",
               {{"document", entry.document_id}, {"target", entry.target},
                {"attempt", std::to_string(entry.attempts + 1)}, {"error", error}});
  }
  if (!stored.ok()) {
    LogError("cannot record delivery outcome",
             {{"document", entry.document_id}, {"error", std::string(stored.message())}});
  }
}

}  // namespace luoshi::ingestion
