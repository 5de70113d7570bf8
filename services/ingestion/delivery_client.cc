#include "services/ingestion/delivery_client.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "services/common/status.h"

namespace luoshi::ingestion {
namespace {

// Makes the channel try to connect now, and waits (until `deadline`) for a channel that is failing to
// become usable. gRPC backs off reconnecting on its own (up to two minutes) and meanwhile fails calls
// without trying; the dispatcher already spaces its attempts, so each attempt should really try.
void ConnectNow(grpc::Channel* channel, std::chrono::system_clock::time_point deadline) {
  grpc::experimental::ChannelResetConnectionBackoff(channel);
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_IDLE) {
    channel->WaitForStateChange(state, deadline);
  }
}

}  // namespace

GrpcDeliveryClient::GrpcDeliveryClient(std::shared_ptr<grpc::Channel> indicators,
                                       std::shared_ptr<grpc::Channel> tasks, absl::Duration deadline,
                                       std::string token)
    : indicators_channel_(indicators),
      tasks_channel_(tasks),
      indicators_(v1::IndicatorService::NewStub(indicators)),
      tasks_(v1::TaskService::NewStub(tasks)),
      deadline_(deadline),
      token_(std::move(token)) {}

absl::Status GrpcDeliveryClient::RecordObservations(const v1::RecordObservationsRequest& request) {
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_);
  ConnectNow(indicators_channel_.get(), deadline);
  grpc::ClientContext context;
  context.set_deadline(deadline);
  if (!token_.empty()) AttachToken(token_, &context);
  v1::RecordObservationsResponse response;
  return FromGrpcStatus(indicators_->RecordObservations(&context, request, &response));
}

absl::Status GrpcDeliveryClient::ImportPlan(const v1::ImportPlanRequest& request) {
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_);
  ConnectNow(tasks_channel_.get(), deadline);
  grpc::ClientContext context;
  context.set_deadline(deadline);
  if (!token_.empty()) AttachToken(token_, &context);
  v1::ImportPlanResponse response;
  return FromGrpcStatus(tasks_->ImportPlan(&context, request, &response));
}

}  // namespace luoshi::ingestion
