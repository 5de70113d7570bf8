#include "services/gateway/gateway.h"

#include <boost/asio/post.hpp>

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

}  // namespace

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

Gateway::~Gateway() {
  proxy_.Shutdown();
  health_pool_.join();
}

void Gateway::Handle(const std::shared_ptr<HttpExchange>& exchange) {
  const HttpRequest& request = exchange->request();
  const std::string path = request.Path();
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

HttpMetrics::HttpMetrics() {
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
