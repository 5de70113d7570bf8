// luoshi-gateway: the browser's door — grpc-web for every RPC of the three services, the built browser
// client, and /healthz, over HTTP/1.1 (see gateway.h for the routes, docs/gateway.md for the decisions).
#ifndef _WIN32
#include <sys/resource.h>
#endif

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/flags.h"
#include "services/common/health_client.h"
#include "services/common/log.h"
#include "services/common/metrics_server.h"
#include "services/common/server.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"

ABSL_FLAG(std::string, ingestion_addr, luoshi::kDefaultIngestionAddress, "Address of luoshi-ingestion.");
ABSL_FLAG(std::string, indicators_addr, luoshi::kDefaultIndicatorsAddress, "Address of luoshi-indicators.");
ABSL_FLAG(std::string, tasks_addr, luoshi::kDefaultTasksAddress, "Address of luoshi-tasks.");
ABSL_FLAG(std::string, backends, "",
          "More services to forward, as package.Service=host:port[,…] (the three Luoshi services have their "
          "own flags). A service added here needs no gateway code.");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the built browser client. Default: client-web/dist of the source tree.");
ABSL_FLAG(std::string, cors_origins, "",
          "Origins allowed to call across origins, comma-separated (https://portal.example.gov.cn), or * for "
          "any. Empty: same origin only.");
ABSL_FLAG(
    std::string, forward_headers, "authorization,x-request-id",
    "Request headers forwarded to the services as gRPC metadata (a trailing * is a prefix); every other "
    "header is dropped.");
ABSL_FLAG(int, http_threads, 2, "I/O threads of the HTTP server.");
ABSL_FLAG(int, max_connections, 4096, "Open HTTP connections at most; the next one gets 503.");
ABSL_FLAG(int, max_concurrent_calls, 1000, "grpc-web calls in progress at most; beyond, RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, backend_connections, 4,
          "HTTP/2 connections to each service; calls are spread over them in turn.");
ABSL_FLAG(int64_t, max_body_bytes, 56 << 20, "Largest request body (413 beyond).");
ABSL_FLAG(int64_t, max_header_bytes, 16 << 10, "Largest request header block (431 beyond).");
ABSL_FLAG(int64_t, max_message_bytes, 40 << 20,
          "Largest grpc-web request message (RESOURCE_EXHAUSTED beyond).");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(75),
          "A keep-alive connection idle this long is closed.");
ABSL_FLAG(absl::Duration, header_timeout, absl::Seconds(10),
          "Time allowed for a request's headers once its first byte arrived (408 beyond; slow clients).");
ABSL_FLAG(absl::Duration, body_timeout, absl::Seconds(120),
          "Time allowed for a request's body (408 beyond).");
ABSL_FLAG(absl::Duration, grpc_default_timeout, absl::Minutes(5),
          "Deadline of a call that sends no grpc-timeout.");
ABSL_FLAG(absl::Duration, grpc_max_timeout, absl::Hours(1), "Cap on a call's grpc-timeout.");

namespace {

// Hundreds of keep-alive connections need more descriptors than the usual soft limit of 1024.
void RaiseDescriptorLimit() {
#ifndef _WIN32
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using luoshi::gateway::Backend;
  luoshi::ParseFlags(argc, argv,
                     "luoshi-gateway: grpc-web for the three services, the browser client and /healthz over "
                     "HTTP/1.1.\nTLS: --tls_cert/--tls_key serve HTTPS; --tls_ca verifies the services.\n"
                     "--probe: GET /healthz of the running gateway (--listen), exit 0 when it answers 200.\n"
                     "--shutdown_grace: how long requests in flight may finish after SIGTERM.\n"
                     "--metrics_listen serves Prometheus metrics.");
  if (luoshi::ProbeRequested()) {
    return luoshi::gateway::ProbeHealthz(
        luoshi::ProbeAddress(luoshi::ListenAddress(luoshi::kDefaultGatewayAddress)),
        absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_ca), absl::Seconds(3));
  }
  luoshi::InitLogging("gateway");
  const absl::Duration grace = luoshi::ShutdownGrace();
  luoshi::TuneProcessForServing();
  RaiseDescriptorLimit();

  luoshi::gateway::GatewayConfig config;
  config.backends = {
      {luoshi::kIngestionService.full_name, luoshi::kIngestionService.short_name,
       absl::GetFlag(FLAGS_ingestion_addr)},
      {luoshi::kIndicatorsService.full_name, luoshi::kIndicatorsService.short_name,
       absl::GetFlag(FLAGS_indicators_addr)},
      {luoshi::kTasksService.full_name, luoshi::kTasksService.short_name, absl::GetFlag(FLAGS_tasks_addr)},
  };
  auto extra = luoshi::gateway::ParseBackendList(absl::GetFlag(FLAGS_backends));
  if (!extra.ok()) {
    luoshi::LogError("bad --backends", {{"error", std::string(extra.status().message())}});
    return 2;
  }
  for (Backend& b : *extra) config.backends.push_back(std::move(b));
  config.web_root = absl::GetFlag(FLAGS_web_root);
  if (config.web_root.empty()) config.web_root = std::string(LUOSHI_SOURCE_DIR) + "/client-web/dist";
  config.cors_origins = absl::StrSplit(absl::GetFlag(FLAGS_cors_origins), ',', absl::SkipWhitespace());
  config.proxy.forward_headers =
      absl::StrSplit(absl::GetFlag(FLAGS_forward_headers), ',', absl::SkipWhitespace());
  config.proxy.max_message_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_message_bytes));
  config.proxy.max_concurrent_calls = absl::GetFlag(FLAGS_max_concurrent_calls);
  config.proxy.channels_per_backend = absl::GetFlag(FLAGS_backend_connections);
  config.proxy.default_timeout = absl::GetFlag(FLAGS_grpc_default_timeout);
  config.proxy.max_timeout = absl::GetFlag(FLAGS_grpc_max_timeout);

  luoshi::gateway::HttpServerOptions http;
  http.threads = absl::GetFlag(FLAGS_http_threads);
  http.max_connections = absl::GetFlag(FLAGS_max_connections);
  http.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  http.max_header_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_header_bytes));
  http.idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  http.header_timeout = absl::GetFlag(FLAGS_header_timeout);
  http.body_timeout = absl::GetFlag(FLAGS_body_timeout);
  http.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  http.tls_key = absl::GetFlag(FLAGS_tls_key);

  // Fail closed, as the services do (services/common/server.h): an unreadable CA or certificate stops the
  // gateway, and plaintext HTTP is served on loopback addresses only.
  const std::string listen = luoshi::ListenAddress(luoshi::kDefaultGatewayAddress);
  if (absl::Status s = luoshi::ChannelCredentialsFromFlags().status(); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  if (http.tls_cert.empty() && !luoshi::IsLoopbackAddress(listen)) {
    luoshi::LogError("cannot start",
                     {{"error", absl::StrCat("refusing to serve plaintext HTTP on ", listen,
                                             ": only loopback addresses may go without TLS; give --tls_cert and "
                                             "--tls_key or listen on 127.0.0.1")}});
    return 1;
  }

  luoshi::gateway::HttpMetrics http_metrics;
  http.on_request_done = [&http_metrics](const luoshi::gateway::HttpRequest* request, int status,
                                         absl::Duration took) { http_metrics.Record(request, status, took); };
  http.on_connection_refused = [&http_metrics] { http_metrics.ConnectionRefused(); };
  luoshi::gateway::Gateway gateway(std::move(config));
  luoshi::gateway::HttpServer server(
      [&gateway](std::shared_ptr<luoshi::gateway::HttpExchange> exchange) { gateway.Handle(exchange); },
      http);
  luoshi::ServiceHost::CatchShutdownSignals();  // before "listening" is logged
  luoshi::metrics::FunctionHandle connections_metric = luoshi::metrics::DefaultRegistry().AddFunction(
      "luoshi_http_connections_open", "HTTP connections open now.", luoshi::metrics::Type::kGauge,
      [&server] { return static_cast<double>(server.open_connections()); });
  auto metrics_server = luoshi::metrics::StartMetricsServerFromFlags();
  if (!metrics_server.ok()) {
    luoshi::LogError("cannot serve metrics", {{"error", std::string(metrics_server.status().message())}});
    return 1;
  }
  if (absl::Status s = server.Start(listen); !s.ok()) {
    luoshi::LogError("cannot start", {{"error", std::string(s.message())}});
    return 1;
  }
  luoshi::ServiceHost::WaitForShutdownSignal();
  luoshi::LogInfo("shutting down", {{"grace", absl::FormatDuration(grace)}});
  gateway.StartDraining();  // new requests, /healthz among them, get 503 "shutting down" from now on
  server.Stop(grace);       // requests in flight get the grace, then are cancelled
  gateway.Shutdown();  // calls still open (none, normally) end with CANCELLED
  luoshi::LogInfo("stopped");
  return 0;
}
