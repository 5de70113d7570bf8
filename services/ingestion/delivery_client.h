// How the dispatcher reaches the indicator and task services. Unit tests substitute an in-process
// fake; the service uses GrpcDeliveryClient with a deadline on every call.
#ifndef LUOSHI_SERVICES_INGESTION_DELIVERY_CLIENT_H_
#define LUOSHI_SERVICES_INGESTION_DELIVERY_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"

namespace luoshi::ingestion {

class DeliveryClient {
 public:
  virtual ~DeliveryClient() = default;
  // The peer's answer as an absl::Status (UNAVAILABLE / DEADLINE_EXCEEDED when it cannot be reached).
  // Must be safe to call from the dispatcher thread while other threads use the client.
  virtual absl::Status RecordObservations(const v1::RecordObservationsRequest& request) = 0;
  virtual absl::Status ImportPlan(const v1::ImportPlanRequest& request) = 0;
};

class GrpcDeliveryClient : public DeliveryClient {
 public:
  // Every call gets `deadline` from the moment it starts, connecting included. Channels may be shared.
  //
  // Before each call the channel's own reconnect backoff is reset and a connection attempted: the
  // dispatcher already spaces its attempts, and gRPC's backoff (up to two minutes) would otherwise
  // fail the first attempts after a peer comes back without even trying to connect. While a peer is
  // down, a call therefore takes up to `deadline` before it reports UNAVAILABLE or DEADLINE_EXCEEDED.
  //
  // Calls carry `token`, the ingestion service's own token (role service, from --service_token): the
  // indicator service lets it record observations, and the task service imports a plan as the person the
  // request names in on_behalf_of (the uploader).
  GrpcDeliveryClient(std::shared_ptr<grpc::Channel> indicators, std::shared_ptr<grpc::Channel> tasks,
                     absl::Duration deadline, std::string token);

  absl::Status RecordObservations(const v1::RecordObservationsRequest& request) override;
  absl::Status ImportPlan(const v1::ImportPlanRequest& request) override;

 private:
  std::shared_ptr<grpc::Channel> indicators_channel_;
  std::shared_ptr<grpc::Channel> tasks_channel_;
  std::unique_ptr<v1::IndicatorService::Stub> indicators_;
  std::unique_ptr<v1::TaskService::Stub> tasks_;
  absl::Duration deadline_;
  std::string token_;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_DELIVERY_CLIENT_H_
