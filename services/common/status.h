// absl::Status <-> grpc::Status, converted in exactly one place. Services' logic returns absl::Status from
// plain C++ classes; CallAdapter (adapter.h) calls ToGrpcStatus. Clients turn grpc::Status back with
// FromGrpcStatus so library code never sees gRPC types.
#ifndef LUOSHI_SERVICES_COMMON_STATUS_H_
#define LUOSHI_SERVICES_COMMON_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace luoshi {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);


}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_STATUS_H_
