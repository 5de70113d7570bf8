// A small HTTP/1.1 server on Boost.Beast: accepts on one thread, serves each connection on its own
// thread (bounded by max_connections; beyond that a connection gets 503), keep-alive, a read timeout,
// and a body size limit. Stop() closes the listener and lets open connections finish their request.
#ifndef LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_
#define LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "services/gateway/gateway.h"

namespace luoshi::gateway {

struct HttpServerOptions {
  int max_connections = 64;
  int read_timeout_seconds = 30;
  size_t max_body_bytes = 40 << 20;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpServer(Handler handler, HttpServerOptions options = {});
  ~HttpServer();

  // Binds host:port (port 0 picks one); the bound port is port() afterwards.
  absl::Status Start(const std::string& address);
  int port() const { return port_; }
  // Stops accepting and waits for open connections to finish.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_
