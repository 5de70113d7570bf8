// The gateway's view of one HTTP/1.1 request and of a response given whole (static files, /healthz,
// errors). Streaming responses (grpc-web) go through HttpExchange in http_server.h instead.
#ifndef LUOSHI_SERVICES_GATEWAY_HTTP_MESSAGE_H_
#define LUOSHI_SERVICES_GATEWAY_HTTP_MESSAGE_H_

#include <map>
#include <string>

namespace luoshi::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "POST", …
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // lower-case names; a repeated header's values joined by ", "
  std::string body;
  std::string peer;  // "127.0.0.1:53122"
  bool tls = false;  // arrived over TLS

  // The value of a header, "" when absent. `name` in lower case.
  const std::string& Header(const std::string& name) const {
    static const std::string kEmpty;
    auto it = headers.find(name);
    return it == headers.end() ? kEmpty : it->second;
  }
  // The target without its query string or fragment.
  std::string Path() const {
    size_t q = target.find_first_of("?#");
    return q == std::string::npos ? target : target.substr(0, q);
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";  // no Content-Type header when empty
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;
};

// A plain-text response: `message` plus a newline.
inline HttpResponse TextResponse(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = message + "\n";
  return r;
}

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_HTTP_MESSAGE_H_
