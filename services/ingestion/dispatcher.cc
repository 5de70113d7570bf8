#include "services/ingestion/dispatcher.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

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
    : store_(store), client_(client), clock_(clock), options_(options), random01_(std::move(random01)) {
  lanes_[0].target = kIndicatorsTarget;
  lanes_[1].target = kTasksTarget;
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  for (Lane& lane : lanes_) {
    if (!lane.thread.joinable()) lane.thread = std::thread([this, &lane] { Loop(lane); });
  }
}

void Dispatcher::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

bool Dispatcher::StopRequested() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Dispatcher::Stop() {
  RequestStop();
  for (Lane& lane : lanes_) {
    if (lane.thread.joinable()) lane.thread.join();
  }
}

void Dispatcher::Wake() {
  absl::MutexLock lock(&mu_);
  for (Lane& lane : lanes_) lane.woken = true;
}

void Dispatcher::Loop(Lane& lane) {
  while (true) {
    DispatchStats stats;
    if (absl::Status s = Pass(lane, &stats); !s.ok()) {
      LogWarning("outbox pass failed", {{"target", lane.target}, {"error", std::string(s.message())}});
    }
    absl::MutexLock lock(&mu_);
    auto ready = [this, &lane]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || lane.woken; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
    if (stopping_) return;
    lane.woken = false;
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
  double r = 1.0;
  {
    absl::MutexLock lock(&random_mu_);
    if (random01_) r = std::clamp(random01_(), 0.0, 1.0);
  }
  return base * (0.5 + 0.5 * r);
}

absl::StatusOr<DispatchStats> Dispatcher::RunOnce() {
  DispatchStats stats;
  for (Lane& lane : lanes_) {
    LUOSHI_RETURN_IF_ERROR(Pass(lane, &stats));
  }
  return stats;
}

absl::Status Dispatcher::Pass(Lane& lane, DispatchStats* stats) {
  absl::MutexLock lock(&lane.pass_mu);
  if (clock_->Now() < lane.paused_until) {
    ++stats->paused_targets;
    return absl::OkStatus();
  }
  for (int n = 0; n < options_.entries_per_pass; ++n) {
    if (StopRequested()) break;  // between deliveries: the rest stay pending for the next start
    // One entry per claim (see the header): nothing stays claimed when the pass stops or backs off.
    LUOSHI_ASSIGN_OR_RETURN(std::vector<OutboxEntry> claimed,
                            store_->ClaimDeliveries(lane.target, clock_->Now(), options_.lease, 1));
    if (claimed.empty()) break;
    const OutboxEntry& entry = claimed.front();
    Record(lane, entry, Send(entry), stats);
    if (lane.failures > 0) break;  // the peer is failing: back off as a whole
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
    LUOSHI_RETURN_IF_ERROR(client_->RecordObservations(request));
  }
  return absl::OkStatus();
}

absl::Status Dispatcher::SendPlan(const std::string& payload) {
  v1::ImportPlanRequest request;
  if (!request.ParseFromString(payload)) return absl::DataLossError("stored plan is corrupt");
  return client_->ImportPlan(request);
}

void Dispatcher::Record(Lane& lane, const OutboxEntry& entry, const absl::Status& outcome, DispatchStats* stats) {
  const absl::Time now = clock_->Now();
  absl::Status stored;
  if (outcome.ok() || IsPermanent(outcome.code())) {  // the peer answered: it is up
    lane.failures = 0;
    lane.paused_until = absl::InfinitePast();
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
    const absl::Time next = now + BackoffAfter(++lane.failures);
    lane.paused_until = next;
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
