// The gateway: the browser's door to Luoshi.
//
// HttpServer (http_server.h: Boost.Beast, asynchronous HTTP/1.1) hands every request to Gateway::Handle,
// which routes by path:
//   GET  /healthz                 → the three services' gRPC health as JSON; 200 when all are SERVING
//   POST /package.Service/Method  → grpc-web, forwarded to the backend serving package.Service (proxy.h)
//   OPTIONS (any path)            → CORS preflight
//   GET/HEAD anything else        → the built browser client (static_files.h)
// CORS: a request whose Origin is this gateway's own origin, or one on the allow-list, is served (with
// Access-Control-* headers for a foreign one); a cross-origin grpc-web call from any other origin gets
// 403 and no CORS headers. The gateway keeps no state beyond its channels and file cache.
#ifndef LUOSHI_SERVICES_GATEWAY_GATEWAY_H_
#define LUOSHI_SERVICES_GATEWAY_GATEWAY_H_

#include <grpcpp/channel.h>

#include <array>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/metrics.h"
#include "services/gateway/http_message.h"
#include "services/gateway/http_server.h"
#include "services/gateway/proxy.h"
#include "services/gateway/static_files.h"

namespace luoshi::gateway {

struct Backend {
  std::string service;     // full proto name, "luoshi.v1.TaskService"
  std::string short_name;  // for /healthz, "tasks"
  std::string address;
};

struct GatewayConfig {
  std::vector<Backend> backends;
  std::string web_root;  // directory of the built client (client-web/dist)
  // Origins allowed to call across origins ("https://portal.example.gov.cn"); "*" allows any. Empty:
  // same origin only.
  std::vector<std::string> cors_origins;
  ProxyOptions proxy;
};

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();

  // The HttpServer handler. Thread-safe; never blocks (health checks run on a small pool of their own).
  void Handle(const std::shared_ptr<HttpExchange>& exchange);

  // From now on every new request is answered 503 with a short body saying the gateway is shutting down
  // (/healthz too, so that a load balancer takes it out of rotation during the grace); requests already
  // being answered go on. Called when the shutdown grace begins. Any thread.
  void StartDraining() { draining_.store(true); }
  // Cancels the calls in progress and waits for them, and waits for the health answers being prepared;
  // from then on /healthz is answered "shutting down" at once. Call it before the HttpServer is
  // destroyed (an exchange still held here keeps that server's connection).
  void Shutdown();
  const GrpcWebProxy& proxy() const { return proxy_; }

 private:
  HttpResponse Health() const;
  // The answer to every request while draining (StartDraining).
  static HttpResponse Draining(const std::string& path);
  // The CORS headers for this request, and whether it may proceed at all.
  bool CorsFor(const HttpRequest& request, std::map<std::string, std::string>* headers) const;
  HttpResponse Preflight(const HttpRequest& request) const;

  GatewayConfig config_;
  GrpcWebProxy proxy_;
  StaticFiles static_files_;
  std::vector<std::pair<Backend, std::shared_ptr<grpc::Channel>>> channels_;
  std::atomic<bool> draining_{false};
  absl::Mutex health_mu_;
  bool health_open_ ABSL_GUARDED_BY(health_mu_) = true;  // false once Shutdown has joined the pool
  boost::asio::thread_pool health_pool_{2};
};

// The gateway's --probe: GET /healthz at `address` within `timeout`, over HTTPS when `tls_cert` is set
// (the gateway serves HTTPS then), verifying the server against `tls_ca`, or without one against
// `tls_cert` itself (the certificate this very gateway serves). Prints one line (stdout when healthy,
// stderr otherwise) and returns the exit code: 0 for 200 (every service SERVING), 1 otherwise.
int ProbeHealthz(const std::string& address, const std::string& tls_cert, const std::string& tls_ca,
                 absl::Duration timeout);

// The gateway's HTTP metrics in the default registry (docs/metrics.md): luoshi_http_requests_total{route,
// code} and luoshi_http_request_duration_seconds{route}, route one of grpc-web, static, healthz, other (the
// routes of Gateway::Handle; preflights, wrong methods and requests refused unread are "other"). Record
// is HttpServerOptions::on_request_done; it takes no lock. ConnectionRefused is
// HttpServerOptions::on_connection_refused: luoshi_http_connections_refused_total.
class HttpMetrics {
 public:
  HttpMetrics();
  void Record(const HttpRequest* request, int status, absl::Duration took);
  void ConnectionRefused() { connections_refused_->Add(); }

 private:
  static size_t RouteOf(const HttpRequest& request);  // index into the route names
  struct Route {
    metrics::Histogram* duration = nullptr;
    // Request counters by status code, created on a code's first request (only codes seen show).
    std::array<std::atomic<metrics::Counter*>, 600> by_status{};
  };
  metrics::Counter& Requests(size_t route, int status);
  std::array<Route, 4> routes_;
  metrics::Counter* connections_refused_;
};

// Parses "name=addr,name=addr" (service full name = host:port) into backends. INVALID_ARGUMENT on a
// malformed entry.
absl::StatusOr<std::vector<Backend>> ParseBackendList(const std::string& text);

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_GATEWAY_H_
