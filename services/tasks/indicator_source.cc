#include "services/tasks/indicator_source.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "services/common/decimal.h"
#include "services/common/identity.h"
#include "services/common/log.h"

namespace luoshi::tasks {

std::string FormatActual(const v1::Observation& o) {
  std::string value;
  if (o.has_value()) {
    value = absl::StrCat(FormatDecimal(o.value().value()), o.value().unit());
    if (o.change_direction() == v1::CHANGE_DIRECTION_UP) value = "增长" + value;
    if (o.change_direction() == v1::CHANGE_DIRECTION_DOWN) value = "下降" + value;
  } else {
    value = o.qualitative_text();
  }
  if (value.empty()) return "";
  return o.period().empty() ? value : absl::StrCat(value, " (", o.period(), ")");
}

std::string GrpcIndicatorActuals::LatestActual(const std::string& indicator_id,
                                               const std::string& region) {
  const auto key = std::make_pair(indicator_id, region);
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.first < ttl_) return it->second.second;
  }
  std::string text = Fetch(indicator_id, region);
  absl::MutexLock lock(&mu_);
  cache_[key] = {now, text};
  return text;
}

std::string GrpcIndicatorActuals::Fetch(const std::string& indicator_id,
                                        const std::string& region) {
  v1::QueryObservationsRequest request;
  request.add_indicator_ids(indicator_id);
  request.set_region(region);
  request.set_status(v1::OBSERVATION_STATUS_ACTUAL);
  request.mutable_page()->set_page_size(1000);
  v1::QueryObservationsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::microseconds(absl::ToInt64Microseconds(deadline_)));
  if (!token_.empty()) AttachToken(token_, &context);
  grpc::Status status = stub_->QueryObservations(&context, request, &response);
  if (!status.ok()) {
    LogWarning("indicator actual unavailable", {{"indicator", indicator_id},
                                                {"error", status.error_message()}});
    return "";
  }
  // The latest period wins; among equal periods the newest vintage (as_of).
  const v1::Observation* best = nullptr;
  for (const v1::Observation& o : response.observations()) {
    if (best == nullptr || o.period() > best->period() ||
        (o.period() == best->period() && o.as_of().seconds() > best->as_of().seconds())) {
      best = &o;
    }
  }
  return best == nullptr ? "" : FormatActual(*best);
}

}  // namespace luoshi::tasks
