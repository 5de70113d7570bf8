#include "services/common/adapter.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace luoshi {

absl::Time CallAdapter::DeadlineOf(const grpc::ServerContextBase& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  // gRPC reports "no deadline" as the largest time point; anything beyond a year is as good as none.
  if (deadline >= std::chrono::system_clock::now() + std::chrono::hours(24 * 366)) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

grpc::Status CallAdapter::Finish(const char* method, const absl::Status& status) const {
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown ||
      status.code() == absl::StatusCode::kDataLoss) {
    LogError("call failed on the server's side",
             {{"method", absl::StrCat("/", service_, "/", method)}, {"status", status.ToString()}});
  }
  return ToGrpcStatus(status);
}

}  // namespace luoshi
