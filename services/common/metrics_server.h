// The metrics endpoint: a small HTTP/1.1 server (Boost.Beast, one thread) that answers GET /metrics with
// a registry's text exposition and 404 to anything else. Every Luoshi binary starts one when
// --metrics_listen is set (docs/metrics.md).
//
// Plaintext only, even where the service itself serves TLS: it is meant to be scraped from inside the
// cluster network (or the host), and what it serves carries no personal data (method names, status
// codes and counts only; no user, unit or document appears in a label).
#ifndef LUOSHI_SERVICES_COMMON_METRICS_SERVER_H_
#define LUOSHI_SERVICES_COMMON_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "services/common/metrics.h"

ABSL_DECLARE_FLAG(std::string, metrics_listen);

namespace luoshi::metrics {

class MetricsServer {
 public:
  // Binds `address` (host:port, port 0 picks one; [v6] in brackets), logs "metrics listening" with the
  // bound port, and serves `registry` (which must outlive the server) until destroyed.
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              const Registry* registry);
  ~MetricsServer();  // stops serving and joins the thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// The default registry's endpoint on --metrics_listen; nullptr (and OK) when the flag is empty.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServerFromFlags();

}  // namespace luoshi::metrics

#endif  // LUOSHI_SERVICES_COMMON_METRICS_SERVER_H_
