#include "services/gateway/gateway.h"

#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "luoshi/v1/indicators.pb.h"
#include "luoshi/v1/ingestion.pb.h"
#include "luoshi/v1/tasks.pb.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace luoshi::gateway {
namespace {

// Request headers a grpc-web client sends besides the forwarded ones; a preflight may ask for them.
constexpr const char* kClientHeaders[] = {"content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"};

constexpr const char* kRouteNames[] = {"grpc-web", "static", "healthz", "other"};
enum RouteIndex { kGrpcWeb = 0, kStatic = 1, kHealthz = 2, kOther = 3 };

// Touching one message of each schema links its file's descriptors into the binary, so that the
// proxy can look up which methods are unary (proxy.h). Only descriptors: no service stub is used.
void LinkSchemas() {
  (void)luoshi::v1::DocumentMetadata::descriptor();
  (void)luoshi::v1::Indicator::descriptor();
  (void)luoshi::v1::TaskDefinition::descriptor();
}

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// GET /healthz on a connected stream; the status code and body, or what went wrong.
template <class Stream>
absl::StatusOr<http::response<http::string_body>> GetHealthz(Stream& stream, const std::string& host) {
  http::request<http::empty_body> request{http::verb::get, "/healthz", 11};
  request.set(http::field::host, host);
  request.set(http::field::connection, "close");
  beast::error_code ec;
  http::write(stream, request, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!ec) http::read(stream, buffer, response, ec);
  if (ec) return absl::UnavailableError(ec.message());
  return response;
}

absl::StatusOr<http::response<http::string_body>> FetchHealthz(const std::string& address,
                                                               const std::string& tls_cert,
                                                               const std::string& tls_ca,
                                                               absl::Duration timeout) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("the address must be host:port");
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::asio::io_context io;
  beast::error_code ec;
  tcp::resolver::results_type endpoints = tcp::resolver(io).resolve(host, address.substr(colon + 1), ec);
  if (ec) return absl::UnavailableError(ec.message());
  beast::tcp_stream tcp_stream(io);
  tcp_stream.expires_after(absl::ToChronoNanoseconds(timeout));
  tcp_stream.connect(endpoints, ec);
  if (ec) return absl::UnavailableError(ec.message());
  if (tls_cert.empty()) return GetHealthz(tcp_stream, address);
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_peer);
  // Without a CA, trust exactly the certificate this gateway serves (a leaf: a partial chain).
  tls.load_verify_file(tls_ca.empty() ? tls_cert : tls_ca, ec);
  if (ec)
    return absl::FailedPreconditionError(absl::StrCat("cannot read the CA or certificate: ", ec.message()));
  if (tls_ca.empty())
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(tls.native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("TLS handshake: ", ec.message()));
  return GetHealthz(stream, address);
}

}  // namespace

int ProbeHealthz(const std::string& address, const std::string& tls_cert, const std::string& tls_ca,
                 absl::Duration timeout) {
  absl::StatusOr<http::response<http::string_body>> response =
      FetchHealthz(address, tls_cert, tls_ca, timeout);
  if (!response.ok()) {
    std::fprintf(stderr, "gateway at %s: UNREACHABLE (%s)\n", address.c_str(),
                 std::string(response.status().message()).c_str());
    return 1;
  }
  const bool healthy = response->result_int() == 200;
  std::fprintf(healthy ? stdout : stderr, "gateway at %s: %u %s", address.c_str(), response->result_int(),
               response->body().c_str());
  return healthy ? 0 : 1;
}

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)), proxy_(config_.proxy), static_files_(config_.web_root) {
  LinkSchemas();
  for (const Backend& b : config_.backends) {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int i = 0; i < std::max(1, config_.proxy.channels_per_backend); ++i) {
      channels.push_back(MakeChannel(b.address, /*own_connection=*/true));
    }
    proxy_.AddBackend(b.service, channels);
    channels_.emplace_back(b, channels.front());
  }
}

Gateway::~Gateway() { Shutdown(); }

void Gateway::Shutdown() {
  proxy_.Shutdown();
  {
    absl::MutexLock lock(&health_mu_);
    health_open_ = false;
  }
  health_pool_.join();  // every answer posted while it was open has been given
}

void Gateway::Handle(const std::shared_ptr<HttpExchange>& exchange) {
  const HttpRequest& request = exchange->request();
  const std::string path = request.Path();
  if (draining_.load()) return exchange->Respond(Draining(path));
  if (request.method == "OPTIONS") return exchange->Respond(Preflight(request));
  if (IsRpcPath(path)) {
    if (request.method != "POST") {
      HttpResponse r = TextResponse(405, "grpc-web calls are POST requests");
      r.headers["allow"] = "POST, OPTIONS";
      return exchange->Respond(std::move(r));
    }
    std::map<std::string, std::string> cors;
    if (!CorsFor(request, &cors)) {
      return exchange->Respond(
          TextResponse(403, absl::StrCat("origin ", request.Header("origin"), " may not call this gateway")));
    }
    return proxy_.Handle(exchange, cors);
  }
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = TextResponse(405, "method not allowed");
    r.headers["allow"] = "GET, HEAD";
    return exchange->Respond(std::move(r));
  }
  if (path == "/healthz") {
    // Asking three services can take up to their timeout; not on an I/O thread.
    absl::MutexLock lock(&health_mu_);
    if (!health_open_) return exchange->Respond(Draining(path));
    boost::asio::post(health_pool_, [this, exchange] { exchange->Respond(Health()); });
    return;
  }
  exchange->Respond(static_files_.Serve(request));
}

bool Gateway::CorsFor(const HttpRequest& request, std::map<std::string, std::string>* headers) const {
  const std::string& origin = request.Header("origin");
  if (origin.empty()) return true;  // not a browser's cross-origin request
  std::string own = absl::StrCat(request.tls ? "https://" : "http://", request.Header("host"));
  if (absl::EqualsIgnoreCase(origin, own)) return true;
  for (const std::string& allowed : config_.cors_origins) {
    if (allowed == "*" || absl::EqualsIgnoreCase(allowed, origin)) {
      (*headers)["access-control-allow-origin"] = origin;
      (*headers)["vary"] = "origin";
      return true;
    }
  }
  return false;
}

HttpResponse Gateway::Preflight(const HttpRequest& request) const {
  std::map<std::string, std::string> cors;
  if (!CorsFor(request, &cors)) {
    return TextResponse(403, absl::StrCat("origin ", request.Header("origin"), " may not call this gateway"));
  }
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  r.headers = cors;
  r.headers["allow"] = "GET, HEAD, POST, OPTIONS";
  if (!cors.empty()) {
    r.headers["access-control-allow-methods"] = "POST, GET, OPTIONS";
    std::vector<std::string> allowed;
    for (absl::string_view h : absl::StrSplit(request.Header("access-control-request-headers"), ',')) {
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(h));
      if (name.empty()) continue;
      bool ok = proxy_.Forwarded(name);
      for (const char* c : kClientHeaders) ok = ok || name == c;
      if (ok) allowed.push_back(name);
    }
    if (!allowed.empty()) r.headers["access-control-allow-headers"] = absl::StrJoin(allowed, ", ");
    r.headers["access-control-max-age"] = "600";
  }
  return r;
}

HttpResponse Gateway::Health() const {
  bool all_serving = true;
  std::string services;
  for (const auto& [backend, channel] : channels_) {
    auto status = CheckHealth(channel, backend.service, absl::Seconds(2));
    std::string state = status.ok() ? *status : "UNREACHABLE";
    if (state != "SERVING") all_serving = false;
    if (!services.empty()) services += ",";
    services += JsonQuote(backend.short_name) + ":" + JsonQuote(state);
  }
  HttpResponse r;
  r.status = all_serving ? 200 : 503;
  r.content_type = "application/json";
  r.headers["cache-control"] = "no-store";
  r.body = absl::StrCat("{\"status\":", JsonQuote(all_serving ? "SERVING" : "DEGRADED"),
                        ",\"gateway\":\"SERVING\",\"services\":{", services, "}}\n");
  return r;
}

HttpResponse Gateway::Draining(const std::string& path) {
  HttpResponse r;
  r.status = 503;
  r.headers["cache-control"] = "no-store";
  r.headers["retry-after"] = "1";
  if (path == "/healthz") {
    // The shape of the other /healthz answers, so that what reads them needs no special case.
    r.content_type = "application/json";
    r.body = "{\"status\":\"SHUTTING_DOWN\",\"gateway\":\"SHUTTING_DOWN\",\"message\":\"the gateway is "
             "shutting down\"}\n";
  } else {
    r.content_type = "text/plain; charset=utf-8";
    r.body = "the gateway is shutting down; retry shortly\n";
  }
  return r;
}

HttpMetrics::HttpMetrics() {
  connections_refused_ =
      &metrics::DefaultRegistry()
           .AddCounter("luoshi_http_connections_refused_total",
                       "HTTP connections refused with 503 because --max_connections were open.", {})
           .With({});
  metrics::Family<metrics::Histogram>& durations = metrics::DefaultRegistry().AddHistogram(
      "luoshi_http_request_duration_seconds",
      "Time from an HTTP request's arrival to the end of its response, by route.", {"route"},
      metrics::LatencyBuckets());
  for (size_t i = 0; i < routes_.size(); ++i) routes_[i].duration = &durations.With({kRouteNames[i]});
}

size_t HttpMetrics::RouteOf(const HttpRequest& request) {
  const std::string path = request.Path();
  if (request.method == "OPTIONS") return kOther;
  if (IsRpcPath(path)) return kGrpcWeb;
  if (request.method != "GET" && request.method != "HEAD") return kOther;
  return path == "/healthz" ? kHealthz : kStatic;
}

metrics::Counter& HttpMetrics::Requests(size_t route, int status) {
  const size_t code = status >= 100 && status < 600 ? static_cast<size_t>(status) : 0;
  metrics::Counter* cell = routes_[route].by_status[code].load(std::memory_order_acquire);
  if (cell != nullptr) return *cell;
  cell = &metrics::DefaultRegistry()
              .AddCounter("luoshi_http_requests_total", "HTTP requests answered, by route and status code.",
                          {"route", "code"})
              .With({kRouteNames[route], std::to_string(code)});
  routes_[route].by_status[code].store(cell, std::memory_order_release);  // racing threads store the same
  return *cell;
}

void HttpMetrics::Record(const HttpRequest* request, int status, absl::Duration took) {
  if (request == nullptr) {  // refused unread: counted, but it has no meaningful duration
    Requests(kOther, status).Add();
    return;
  }
  const size_t route = RouteOf(*request);
  Requests(route, status).Add();
  routes_[route].duration->ObserveDuration(took);
}

absl::StatusOr<std::vector<Backend>> ParseBackendList(const std::string& text) {
  std::vector<Backend> out;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    std::string service(absl::StripAsciiWhitespace(kv.first));
    std::string address(absl::StripAsciiWhitespace(kv.second));
    if (service.find('.') == std::string::npos || address.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("backend \"", entry, "\" is not package.Service=host:port"));
    }
    std::string short_name = service.substr(service.rfind('.') + 1);
    out.push_back({service, short_name, address});
  }
  return out;
}

}  // namespace luoshi::gateway
