// The gateway: the browser's door to Luoshi.
//
// Layers: HttpServer (Boost.Beast, HTTP/1.1, one thread per connection up to a bound) parses requests
// and hands each to Gateway::Handle, which routes by path:
//   GET  /healthz             → asks the three gRPC services' health (grpc.health.v1) and answers JSON,
//                               200 when all are SERVING, 503 otherwise;
//   POST /luoshi.v1.*/Method  → grpc-web translation (its own issue; answered 501 until it lands);
//   GET  anything else        → a file of the built browser client (--web_root), index.html for "/".
// Gateway holds no state of its own beyond the channels to the services.
#ifndef LUOSHI_SERVICES_GATEWAY_GATEWAY_H_
#define LUOSHI_SERVICES_GATEWAY_GATEWAY_H_

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>

namespace luoshi::gateway {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query, as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::map<std::string, std::string> headers;
  std::string body;
};

struct GatewayConfig {
  std::string ingestion_address;
  std::string indicators_address;
  std::string tasks_address;
  std::string web_root;  // directory of the built client (client-web/dist)
};

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  // Thread-safe.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  HttpResponse Health() const;
  HttpResponse StaticFile(const std::string& path) const;

  GatewayConfig config_;
  std::map<std::string, std::pair<std::string, std::shared_ptr<grpc::Channel>>> backends_;
};

// Maps a URL path to a file under `root`, refusing anything that would leave it ("..", NUL, backslash).
// Returns "" when refused.
std::string SafeJoin(const std::string& root, const std::string& url_path);
std::string ContentTypeFor(const std::string& path);

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_GATEWAY_H_
