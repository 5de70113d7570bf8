// IndicatorGrpcService: the gRPC face of the indicator service.
//
// Layers, outermost first:
//   main.cc            flags → catalog file → SqliteObservationStore → IndicatorService → ServiceHost
//   grpc_service (this) one line per RPC: call IndicatorService, convert its absl::Status with ToGrpc
//   indicator_service  validation, name resolution through the catalog, vintages, series alignment,
//                      target verdicts (compare.h), CSV export (csv.h)
//   store / sqlite_store  observations in SQLite behind the ObservationStore interface
//   period, units      pure helpers: period codes, unit magnitudes
//
// A request's flow, e.g. GetSeries("gdp", "大兴区"): the sync gRPC server hands the call to a thread of its
// bounded pool → IndicatorGrpcService::GetSeries → IndicatorService::GetSeries resolves 大兴区 to
// "beijing.daxing" and gdp through the catalog → ObservationStore::Query reads the latest vintages from a
// reader connection (WAL, concurrent with writes) → the service groups them into points by normalized
// period → the Series goes back with status OK, or the absl::Status (NOT_FOUND, INVALID_ARGUMENT …) is
// mapped to a grpc::Status in services/common/status.cc.
#ifndef LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_
#define LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_

#include "luoshi/v1/indicators.grpc.pb.h"
#include "services/indicators/indicator_service.h"

namespace luoshi::indicators {

class IndicatorGrpcService final : public v1::IndicatorService::Service {
 public:
  // `service` must outlive this object.
  explicit IndicatorGrpcService(IndicatorService* service) : service_(service) {}

  grpc::Status ListIndicators(grpc::ServerContext* context, const v1::ListIndicatorsRequest* request,
                              v1::ListIndicatorsResponse* response) override;
  grpc::Status GetIndicator(grpc::ServerContext* context, const v1::GetIndicatorRequest* request,
                            v1::Indicator* response) override;
  grpc::Status ListRegions(grpc::ServerContext* context, const v1::ListRegionsRequest* request,
                           v1::ListRegionsResponse* response) override;
  grpc::Status RecordObservations(grpc::ServerContext* context, const v1::RecordObservationsRequest* request,
                                  v1::RecordObservationsResponse* response) override;
  grpc::Status QueryObservations(grpc::ServerContext* context, const v1::QueryObservationsRequest* request,
                                 v1::QueryObservationsResponse* response) override;
  grpc::Status GetSeries(grpc::ServerContext* context, const v1::GetSeriesRequest* request,
                         v1::Series* response) override;
  grpc::Status CompareTargets(grpc::ServerContext* context, const v1::CompareTargetsRequest* request,
                              v1::CompareTargetsResponse* response) override;
  grpc::Status ExportObservations(grpc::ServerContext* context, const v1::ExportObservationsRequest* request,
                                  grpc::ServerWriter<v1::ExportChunk>* writer) override;

 private:
  IndicatorService* service_;
};

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_GRPC_SERVICE_H_
