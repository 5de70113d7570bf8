// absl::Status <-> grpc::Status, converted in exactly one place. Handlers return absl::Status from plain
// C++ classes; the gRPC method wrapper calls ToGrpcStatus. Clients turn grpc::Status back with
// FromGrpcStatus so library code never sees gRPC types.
#ifndef LUOSHI_SERVICES_COMMON_STATUS_H_
#define LUOSHI_SERVICES_COMMON_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace luoshi {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Shorthand for handlers: `return ToGrpc(handler.Do(req, resp));`
inline grpc::Status ToGrpc(const absl::Status& status) { return ToGrpcStatus(status); }

// The UNIMPLEMENTED reply for methods that a later release fills in.
absl::Status NotYetImplemented(const char* method);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_STATUS_H_
