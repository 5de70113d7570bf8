// The indicator service's logic, as a plain C++ class: no gRPC, no SQL. See grpc_service.h for how a
// request reaches it, store.h for where observations live, docs/indicators.md for the rules.
//
// Each public method is one RPC of luoshi.v1.IndicatorService and follows the same shape:
//   validate the request → resolve names through the catalog (indicator and region aliases, region
//   children) → ask the ObservationStore → shape the answer (series points, verdicts, CSV).
// Errors are absl::Status values from errors.h; the gRPC layer converts them in one place.
//
// Thread safety: all methods may run concurrently. The catalog is immutable, the store is thread-safe,
// and the class keeps no other mutable state.
#ifndef LUOSHI_SERVICES_INDICATORS_SERVICE_H_
#define LUOSHI_SERVICES_INDICATORS_SERVICE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "luoshi/v1/indicators.pb.h"
#include "services/common/catalog.h"
#include "services/common/clock.h"
#include "services/common/identity.h"
#include "services/common/limits.h"
#include "services/indicators/store.h"

namespace luoshi::indicators {


// "", "同比", "比上年", "上年同期", "较上年" … all mean year on year and become ""; other bases keep their
// words without a leading 比/较/与 ("较一季度" -> "一季度").
std::string NormalizeComparisonBase(const std::string& base);

class IndicatorLogic {
 public:
  // `catalog`, `store` and `clock` must outlive the service.
  IndicatorLogic(const CatalogIndex* catalog, ObservationStore* store, const Clock* clock);

  absl::StatusOr<v1::ListIndicatorsResponse> ListIndicators(const Identity& caller,
                                                            const v1::ListIndicatorsRequest& request) const;
  absl::StatusOr<v1::Indicator> GetIndicator(const Identity& caller, const v1::GetIndicatorRequest& request) const;
  absl::StatusOr<v1::ListRegionsResponse> ListRegions(const Identity& caller,
                                                      const v1::ListRegionsRequest& request) const;
  absl::StatusOr<v1::RecordObservationsResponse> RecordObservations(const Identity& caller,
                                                                    const v1::RecordObservationsRequest& request);
  absl::StatusOr<v1::QueryObservationsResponse> QueryObservations(const Identity& caller,
                                                                  const v1::QueryObservationsRequest& request) const;
  absl::StatusOr<v1::Series> GetSeries(const Identity& caller, const v1::GetSeriesRequest& request) const;
  // The two read answers that carry many observations, as serialized luoshi.v1.QueryObservationsResponse /
  // luoshi.v1.Series bytes, assembled from the stored observations without decoding them (the gRPC layer
  // sends these bytes as they are). The typed methods above decode exactly these bytes.
  absl::StatusOr<std::string> QueryObservationsWire(const Identity& caller,
                                                    const v1::QueryObservationsRequest& request) const;
  absl::StatusOr<std::string> GetSeriesWire(const Identity& caller, const v1::GetSeriesRequest& request) const;
  absl::StatusOr<v1::CompareTargetsResponse> CompareTargets(const Identity& caller,
                                                            const v1::CompareTargetsRequest& request) const;

  // CSV of every observation matching request.filter (its paging is ignored), handed to `sink` in chunks of
  // about `chunk_bytes`; the first chunk starts with the UTF-8 BOM and the header. CANCELLED when `sink`
  // returns false (the client went away).
  absl::Status ExportObservations(const Identity& caller, const v1::ExportObservationsRequest& request,
                                  const std::function<bool(const std::string& chunk)>& sink,
                                  size_t chunk_bytes = kExportChunkBytes) const;

 private:
  absl::StatusOr<ObservationRecord> Normalize(int index, const v1::Observation& in) const;
  absl::StatusOr<ObservationFilter> FilterFrom(const v1::QueryObservationsRequest& request) const;
  std::string IndicatorKey(const std::string& id_or_name) const;
  std::string RegionKey(const std::string& id_or_name) const;
  std::vector<std::string> RegionWithDescendants(const std::string& region_key) const;
  const v1::Indicator* IndicatorOf(const v1::Observation& o) const;
  int CatalogPosition(const v1::Observation& o) const;

  const CatalogIndex* catalog_;
  ObservationStore* store_;
  const Clock* clock_;
  std::multimap<std::string, std::string> children_;  // parent region id -> child ids
  std::map<std::string, int> positions_;              // indicator id -> position in the catalog
};

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_SERVICE_H_
