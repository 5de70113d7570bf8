#include "services/indicators/grpc_service.h"

#include <string>
#include <utility>

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

// A raw callback method: decodes the request, lets `answer` write the serialized response, finishes the
// call. The answer is computed on the calling gRPC thread: a read is a short, CPU-bound SQLite query.
template <typename Request, typename Answer>
grpc::ServerUnaryReactor* AnswerWithBytes(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                          const Answer& answer) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request decoded;
  grpc::ByteBuffer copy(*request);  // shares the slices; Deserialize consumes its argument
  grpc::Status parsed = grpc::SerializationTraits<Request>::Deserialize(&copy, &decoded);
  if (!parsed.ok()) {
    reactor->Finish(parsed);
    return reactor;
  }
  std::string bytes;
  absl::Status s = answer(decoded, &bytes);
  if (s.ok()) {
    grpc::Slice slice(bytes);  // one copy of the answer into gRPC's buffer
    *response = grpc::ByteBuffer(&slice, 1);
  }
  reactor->Finish(ToGrpc(s));
  return reactor;
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
  return AnswerWithBytes<v1::QueryObservationsRequest>(
      context, request, response, [this](const v1::QueryObservationsRequest& r, std::string* out) {
        return service_->QueryObservationsWire(r, out);
      });
}

grpc::ServerUnaryReactor* IndicatorGrpcService::GetSeries(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return AnswerWithBytes<v1::GetSeriesRequest>(
      context, request, response,
      [this](const v1::GetSeriesRequest& r, std::string* out) { return service_->GetSeriesWire(r, out); });
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
