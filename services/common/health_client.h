// Asks a peer's grpc.health.v1.Health service how it is; shared by the CLI, the gateway and the tests.
#ifndef LUOSHI_SERVICES_COMMON_HEALTH_CLIENT_H_
#define LUOSHI_SERVICES_COMMON_HEALTH_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace luoshi {

// "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN" or "UNKNOWN"; an error status (UNAVAILABLE,
// DEADLINE_EXCEEDED …) when the peer cannot be reached within `timeout`.
absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout);

// The services' proto names, and the short names used in output.
struct ServiceName {
  const char* short_name;
  const char* full_name;
};
inline constexpr ServiceName kIngestionService{"ingestion", "luoshi.v1.IngestionService"};
inline constexpr ServiceName kIndicatorsService{"indicators", "luoshi.v1.IndicatorService"};
inline constexpr ServiceName kTasksService{"tasks", "luoshi.v1.TaskService"};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_HEALTH_CLIENT_H_
