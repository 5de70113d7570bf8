// gRPC server metrics, collected by an interceptor that ServiceHost installs on every server:
//   luoshi_grpc_requests_total{method}                 calls ended (counted when their status is sent)
//   luoshi_grpc_errors_total{method,code}              calls ended with another status than OK
//   luoshi_grpc_request_duration_seconds{method}       from the call's arrival to its status (streams too)
// `method` is the full method name ("/luoshi.v1.TaskService/GetTask") of a method the server serves, or
// "other" for any other path a client asks for, so that no client can create series at will. `code` is
// the canonical status name (NOT_FOUND).
//
// Per call: one hash lookup of the method (in a table built once at start-up) and lock-free updates.
#ifndef LUOSHI_SERVICES_COMMON_METRICS_GRPC_H_
#define LUOSHI_SERVICES_COMMON_METRICS_GRPC_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace luoshi::metrics {

// The interceptor for a server hosting `services` (the service and its full proto name, as ServiceHost
// keeps them); the health and reflection services are known too. Metrics go to DefaultRegistry().
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> GrpcServerMetrics(
    const std::vector<std::pair<grpc::Service*, std::string>>& services);

}  // namespace luoshi::metrics

#endif  // LUOSHI_SERVICES_COMMON_METRICS_GRPC_H_
