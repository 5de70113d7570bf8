#include "services/indicators/grpc_service.h"

#include <string>

namespace luoshi::indicators {
namespace {

// Sends one CSV chunk; false once the client has gone.
bool SendChunk(grpc::ServerContext* context, grpc::ServerWriter<v1::ExportChunk>* writer,
               const std::string& data) {
  if (context->IsCancelled()) return false;
  v1::ExportChunk chunk;
  chunk.set_data(data);
  return writer->Write(chunk);
}

}  // namespace

grpc::Status GrpcService::ListIndicators(grpc::ServerContext* context,
                                         const v1::ListIndicatorsRequest* request,
                                         v1::ListIndicatorsResponse* response) {
  return adapter_.Unary(context, "ListIndicators", response,
                        [&](const Identity& who) { return service_->ListIndicators(who, *request); });
}

grpc::Status GrpcService::GetIndicator(grpc::ServerContext* context, const v1::GetIndicatorRequest* request,
                                       v1::Indicator* response) {
  return adapter_.Unary(context, "GetIndicator", response,
                        [&](const Identity& who) { return service_->GetIndicator(who, *request); });
}

grpc::Status GrpcService::ListRegions(grpc::ServerContext* context, const v1::ListRegionsRequest* request,
                                      v1::ListRegionsResponse* response) {
  return adapter_.Unary(context, "ListRegions", response,
                        [&](const Identity& who) { return service_->ListRegions(who, *request); });
}

grpc::Status GrpcService::RecordObservations(grpc::ServerContext* context,
                                             const v1::RecordObservationsRequest* request,
                                             v1::RecordObservationsResponse* response) {
  return adapter_.Unary(context, "RecordObservations", response,
                        [&](const Identity& who) { return service_->RecordObservations(who, *request); });
}

grpc::ServerUnaryReactor* GrpcService::QueryObservations(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return adapter_.UnaryRaw<v1::QueryObservationsRequest>(
      context, "QueryObservations", request, response,
      [&](const Identity& who, const v1::QueryObservationsRequest& r) {
        return service_->QueryObservationsWire(who, r);
      });
}

grpc::ServerUnaryReactor* GrpcService::GetSeries(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return adapter_.UnaryRaw<v1::GetSeriesRequest>(
      context, "GetSeries", request, response,
      [&](const Identity& who, const v1::GetSeriesRequest& r) { return service_->GetSeriesWire(who, r); });
}

grpc::Status GrpcService::CompareTargets(grpc::ServerContext* context,
                                         const v1::CompareTargetsRequest* request,
                                         v1::CompareTargetsResponse* response) {
  return adapter_.Unary(context, "CompareTargets", response,
                        [&](const Identity& who) { return service_->CompareTargets(who, *request); });
}

grpc::Status GrpcService::ExportObservations(grpc::ServerContext* context,
                                             const v1::ExportObservationsRequest* request,
                                             grpc::ServerWriter<v1::ExportChunk>* writer) {
  return adapter_.Stream(context, "ExportObservations", [&](const Identity& who) {
    return service_->ExportObservations(
        who, *request, [&](const std::string& data) { return SendChunk(context, writer, data); });
  });
}

}  // namespace luoshi::indicators
