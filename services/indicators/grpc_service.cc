#include "services/indicators/grpc_service.h"

#include <string>
#include <utility>

#include "services/common/raw_call.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"

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

// GetSeries / QueryObservations answer in wire form through an out-parameter; raw methods want the bytes.
template <typename Request, typename Wire>
auto Bytes(Wire wire) {
  return [wire](const Request& request) -> absl::StatusOr<std::string> {
    std::string out;
    LUOSHI_RETURN_IF_ERROR(wire(request, &out));
    return out;
  };
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

grpc::ServerUnaryReactor* IndicatorGrpcService::QueryObservations(grpc::CallbackServerContext* context,
                                                                  const grpc::ByteBuffer* request,
                                                                  grpc::ByteBuffer* response) {
  return AnswerRaw<v1::QueryObservationsRequest>(
      context, request, response,
      Bytes<v1::QueryObservationsRequest>([this](const v1::QueryObservationsRequest& r, std::string* out) {
        return service_->QueryObservationsWire(r, out);
      }));
}

grpc::ServerUnaryReactor* IndicatorGrpcService::GetSeries(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return AnswerRaw<v1::GetSeriesRequest>(
      context, request, response,
      Bytes<v1::GetSeriesRequest>([this](const v1::GetSeriesRequest& r, std::string* out) {
        return service_->GetSeriesWire(r, out);
      }));
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
