// Where indicator-linked tasks (TaskDefinition.indicator_id, e.g. seed 004 tasks 1–7) get the
// indicator's latest actual shown beside the target (Task.indicator_actual).
//
// The service depends only on the IndicatorActuals interface; tests inject their own implementation.
// GrpcIndicatorActuals asks the indicator service (luoshi.v1.IndicatorService.QueryObservations) with
// a deadline on every call and caches answers — including "unknown" and failures — for a short TTL,
// so a slow or absent peer costs a task listing at most one deadline per indicator per TTL, and never
// fails it: the field is simply left empty.
#ifndef LUOSHI_SERVICES_TASKS_INDICATOR_SOURCE_H_
#define LUOSHI_SERVICES_TASKS_INDICATOR_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "services/common/clock.h"

namespace luoshi::tasks {

class IndicatorActuals {
 public:
  virtual ~IndicatorActuals() = default;
  // The latest actual of `indicator_id` in `region` as display text ("增长5.2% (2023)"), or "" when
  // unknown or unavailable. Must be thread-safe and return within a bounded time.
  virtual std::string LatestActual(const std::string& indicator_id, const std::string& region) = 0;
};

// Formats an observation for display: value with unit, direction word for changes, period.
std::string FormatActual(const v1::Observation& observation);

class GrpcIndicatorActuals final : public IndicatorActuals {
 public:
  // Calls carry `token` (this service's own, --service_token; "" for none).
  GrpcIndicatorActuals(std::unique_ptr<v1::IndicatorService::StubInterface> stub, const Clock* clock,
                       std::string token, absl::Duration deadline = absl::Milliseconds(500),
                       absl::Duration cache_ttl = absl::Seconds(60))
      : stub_(std::move(stub)), clock_(clock), token_(std::move(token)), deadline_(deadline), ttl_(cache_ttl) {}

  std::string LatestActual(const std::string& indicator_id, const std::string& region) override;

 private:
  std::string Fetch(const std::string& indicator_id, const std::string& region);

  std::unique_ptr<v1::IndicatorService::StubInterface> stub_;
  const Clock* clock_;
  const std::string token_;
  const absl::Duration deadline_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::pair<absl::Time, std::string>> cache_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_INDICATOR_SOURCE_H_
