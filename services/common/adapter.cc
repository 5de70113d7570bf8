#include "services/common/adapter.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace luoshi {

grpc::Status CallAdapter::Finish(const char* method, const absl::Status& status) const {
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown ||
      status.code() == absl::StatusCode::kDataLoss) {
    LogError("call failed on the server's side",
             {{"method", absl::StrCat("/", service_, "/", method)}, {"status", status.ToString()}});
  }
  return ToGrpcStatus(status);
}

}  // namespace luoshi
