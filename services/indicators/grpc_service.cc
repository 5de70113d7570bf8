#include "services/indicators/grpc_service.h"

#include "services/common/status.h"

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

grpc::Status IndicatorGrpcService::ListIndicators(grpc::ServerContext*,
                                                  const v1::ListIndicatorsRequest* request,
                                                  v1::ListIndicatorsResponse* response) {
  return ToGrpc(service_->ListIndicators(*request, response));
}

grpc::Status IndicatorGrpcService::GetIndicator(grpc::ServerContext*, const v1::GetIndicatorRequest* request,
                                                v1::Indicator* response) {
  return ToGrpc(service_->GetIndicator(*request, response));
}

grpc::Status IndicatorGrpcService::ListRegions(grpc::ServerContext*, const v1::ListRegionsRequest* request,
                                               v1::ListRegionsResponse* response) {
  return ToGrpc(service_->ListRegions(*request, response));
}

grpc::Status IndicatorGrpcService::RecordObservations(grpc::ServerContext*,
                                                      const v1::RecordObservationsRequest* request,
                                                      v1::RecordObservationsResponse* response) {
  return ToGrpc(service_->RecordObservations(*request, response));
}

grpc::Status IndicatorGrpcService::QueryObservations(grpc::ServerContext*,
                                                     const v1::QueryObservationsRequest* request,
                                                     v1::QueryObservationsResponse* response) {
  return ToGrpc(service_->QueryObservations(*request, response));
}

grpc::Status IndicatorGrpcService::GetSeries(grpc::ServerContext*, const v1::GetSeriesRequest* request,
                                             v1::Series* response) {
  return ToGrpc(service_->GetSeries(*request, response));
}

grpc::Status IndicatorGrpcService::CompareTargets(grpc::ServerContext*,
                                                  const v1::CompareTargetsRequest* request,
                                                  v1::CompareTargetsResponse* response) {
  return ToGrpc(service_->CompareTargets(*request, response));
}

grpc::Status IndicatorGrpcService::ExportObservations(grpc::ServerContext* context,
                                                      const v1::ExportObservationsRequest* request,
                                                      grpc::ServerWriter<v1::ExportChunk>* writer) {
  return ToGrpc(service_->ExportObservations(
      *request, [&](const std::string& data) { return SendChunk(context, writer, data); }));
}

}  // namespace luoshi::indicators
