// GrpcService: the gRPC face of the indicator service.
//
// Layers, outermost first:
//   main.cc            flags → catalog file → SqliteObservationStore → IndicatorLogic → ServiceHost
//   grpc_service (this) one line per RPC through the CallAdapter (caller, status, logging)
//   service            validation, name resolution through the catalog, vintages, series alignment,
//                      target verdicts (compare.h), CSV export (csv.h)
//   store / sqlite_store  observations in SQLite behind the ObservationStore interface
//   period, measurement_units  pure helpers: period codes, unit magnitudes
//
// A request's flow, e.g. GetSeries("gdp", "大兴区"): gRPC runs the callback handler on one of its own threads
// (the two read calls that carry many observations, GetSeries and QueryObservations, are callback methods
// on raw bytes; the others go through the sync server's bounded pool) → GrpcService::GetSeries →
// IndicatorLogic::GetSeries resolves 大兴区 to "beijing.daxing" and gdp through the catalog →
// ObservationStore::QueryBytes reads the latest vintages from a reader connection (WAL, concurrent with
// writes) → the service groups them into points by normalized period → the Series goes back, as bytes
// assembled from the stored observations (no decoding and re-encoding of each observation on the server),
// with status OK, or the absl::Status (NOT_FOUND, INVALID_ARGUMENT …) is mapped to a grpc::Status in
// services/common/status.cc.
#ifndef LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_
#define LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_

#include "luoshi/v1/indicators.grpc.pb.h"
#include "services/common/adapter.h"
#include "services/indicators/service.h"

namespace luoshi::indicators {

// The generated service with GetSeries and QueryObservations as callback methods on raw bytes.
using IndicatorServiceBase = v1::IndicatorService::WithRawCallbackMethod_GetSeries<
    v1::IndicatorService::WithRawCallbackMethod_QueryObservations<v1::IndicatorService::Service>>;

class GrpcService final : public IndicatorServiceBase {
 public:
  // `service` and `authenticator` (which verifies every caller's token) must outlive this object.
  GrpcService(IndicatorLogic* service, const Authenticator* authenticator)
      : service_(service), adapter_("luoshi.v1.IndicatorService", authenticator) {}

  grpc::Status ListIndicators(grpc::ServerContext* context, const v1::ListIndicatorsRequest* request,
                              v1::ListIndicatorsResponse* response) override;
  grpc::Status GetIndicator(grpc::ServerContext* context, const v1::GetIndicatorRequest* request,
                            v1::Indicator* response) override;
  grpc::Status ListRegions(grpc::ServerContext* context, const v1::ListRegionsRequest* request,
                           v1::ListRegionsResponse* response) override;
  grpc::Status RecordObservations(grpc::ServerContext* context, const v1::RecordObservationsRequest* request,
                                  v1::RecordObservationsResponse* response) override;
  grpc::ServerUnaryReactor* QueryObservations(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetSeries(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::Status CompareTargets(grpc::ServerContext* context, const v1::CompareTargetsRequest* request,
                              v1::CompareTargetsResponse* response) override;
  grpc::Status ExportObservations(grpc::ServerContext* context, const v1::ExportObservationsRequest* request,
                                  grpc::ServerWriter<v1::ExportChunk>* writer) override;

 private:
  IndicatorLogic* service_;
  CallAdapter adapter_;
};

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_
