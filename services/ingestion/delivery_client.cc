#include "services/ingestion/delivery_client.h"

#include <grpcpp/grpcpp.h>

#include "services/common/status.h"

namespace luoshi::ingestion {
namespace {

void SetDeadline(absl::Duration deadline, grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
}

}  // namespace

GrpcDeliveryClient::GrpcDeliveryClient(std::shared_ptr<grpc::Channel> indicators,
                                       std::shared_ptr<grpc::Channel> tasks, absl::Duration deadline)
    : indicators_channel_(indicators),
      tasks_channel_(tasks),
      indicators_(v1::IndicatorService::NewStub(indicators)),
      tasks_(v1::TaskService::NewStub(tasks)),
      deadline_(deadline) {}

absl::Status GrpcDeliveryClient::RecordObservations(const v1::RecordObservationsRequest& request) {
  grpc::experimental::ChannelResetConnectionBackoff(indicators_channel_.get());
  grpc::ClientContext context;
  SetDeadline(deadline_, &context);
  v1::RecordObservationsResponse response;
  return FromGrpcStatus(indicators_->RecordObservations(&context, request, &response));
}

absl::Status GrpcDeliveryClient::ImportPlan(const v1::ImportPlanRequest& request) {
  grpc::experimental::ChannelResetConnectionBackoff(tasks_channel_.get());
  grpc::ClientContext context;
  SetDeadline(deadline_, &context);
  v1::ImportPlanResponse response;
  return FromGrpcStatus(tasks_->ImportPlan(&context, request, &response));
}

}  // namespace luoshi::ingestion
