// The gateway's HTTP/1.1 server: Boost.Beast, asynchronous, on a small pool of I/O threads. No thread is
// tied to a connection or a call, so hundreds of idle keep-alive connections and dozens of open
// server-streaming calls cost memory only.
//
// Each connection reads one request at a time (header, then body, each under its own timeout and size
// limit), hands it to the handler as an HttpExchange, and reads the next one once the response has been
// written (pipelined requests wait in the connection's buffer). While a response is being produced the
// connection keeps reading, so a client that goes away is noticed at once and the exchange's cancel
// handler runs (the proxy cancels its backend call there).
//
// A handler answers with Respond() (a whole response), or StartStream() / Write() / End() (a chunked
// response, each Write one chunk written as soon as it is queued). Exchange methods may be called from
// any thread; they run on the connection's strand.
//
// Limits and their answers: header larger than max_header_bytes → 431; body larger than max_body_bytes
// → 413; headers not complete within header_timeout after the first byte (slowloris) → 408; a body not
// complete within body_timeout → 408; no new request within idle_timeout → the connection is closed;
// max_connections open at once → 503 to the next one.
#ifndef LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_
#define LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/gateway/http_message.h"

namespace luoshi::gateway {

struct HttpServerOptions {
  int threads = 2;
  size_t max_header_bytes = 16 << 10;
  size_t max_body_bytes = 56 << 20;
  absl::Duration idle_timeout = absl::Seconds(75);
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(120);
  // A response write the client does not take within this time closes the connection.
  absl::Duration write_timeout = absl::Seconds(60);
  int max_connections = 4096;
  // TLS on the HTTP side when both are set (PEM files).
  std::string tls_cert;
  std::string tls_key;
  // Told of every request once its response has ended (status 499: the client left first), with the time
  // from its arrival; and of every request refused unread (request null, no duration). On an I/O
  // thread; may be empty.
  std::function<void(const HttpRequest* request, int status, absl::Duration took)> on_request_done;
  // Told of every connection refused with 503 because max_connections were open. On an I/O thread; may
  // be empty.
  std::function<void()> on_connection_refused;
};

class Connection;

// One request and its response. Created by the server; the handler keeps the shared_ptr as long as it
// produces the response.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  HttpExchange(std::shared_ptr<Connection> connection, HttpRequest request, bool keep_alive);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  const HttpRequest& request() const { return request_; }

  // The whole response. Only once, and not after StartStream.
  void Respond(HttpResponse response);
  // A streamed response: status and headers now (Transfer-Encoding: chunked), body by Write, then End.
  void StartStream(int status, std::map<std::string, std::string> headers);
  // Queues `bytes` as one chunk. `written(true)` runs once the socket took them, `written(false)` if the
  // client is gone; either way on an I/O thread. Use it to read the next message only then (backpressure).
  void Write(std::string bytes, std::function<void(bool ok)> written);
  // Ends the streamed response; `last` (if not empty) is written as one more chunk first.
  void End(std::string last = {});
  // Runs once, on an I/O thread, if the client disconnects or the server stops before the response
  // has ended. Any thread; set it before the first Respond/StartStream.
  void SetCancelHandler(std::function<void()> on_cancel);
  // Runs `fn` on an I/O thread after `delay`, unless the connection has closed by then. Any thread.
  void RunAfter(absl::Duration delay, std::function<void()> fn);
  // An extra field of this request's access-log line (e.g. grpc_status). Any thread.
  void AddLogField(std::string key, std::string value);

 private:
  friend class Connection;
  template <class Stream>
  friend class Session;
  std::string Head(int status, const std::map<std::string, std::string>& headers,
                   const std::string* content_type, size_t content_length, bool chunked) const;

  std::shared_ptr<Connection> connection_;
  HttpRequest request_;
  bool keep_alive_;
  absl::Time start_ = absl::Now();
  // The fields below are used on the connection's strand only.
  bool started_ = false;
  bool ended_ = false;
  bool chunked_ = true;
  int status_ = 0;
  size_t bytes_out_ = 0;
  std::function<void()> TakeCancelHandler();
  std::vector<std::pair<std::string, std::string>> LogFields() const;
  mutable std::mutex side_mu_;
  std::function<void()> on_cancel_;                              // guarded by side_mu_
  std::vector<std::pair<std::string, std::string>> log_fields_;  // guarded by side_mu_
};

class HttpServer {
 public:
  using Handler = std::function<void(std::shared_ptr<HttpExchange>)>;
  HttpServer(Handler handler, HttpServerOptions options = {});
  // Stops, then waits until the handler has released every exchange it was given (an exchange keeps
  // its connection, whose I/O objects belong to this server).
  ~HttpServer();

  // Binds host:port (port 0 picks one; [v6] in brackets) and starts the I/O threads. The bound port is
  // port() afterwards.
  absl::Status Start(const std::string& address);
  int port() const { return port_; }
  // Connections open now. Any thread.
  size_t open_connections() const;
  // Graceful stop: closes idle connections at once, lets requests being received or answered finish
  // (their connections close after the response) for up to `grace`, then closes what is still open
  // (cancelling those exchanges) and stops the I/O threads. Returns as soon as nothing is left open.
  // During the grace the port still accepts connections, and their requests reach the handler as
  // usual, each answered with `connection: close` (the gateway answers them 503 "shutting down", so
  // that a probe gets an answer rather than a refused connection); a connection opened then that sends
  // no request within a second is closed. Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(10));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_HTTP_SERVER_H_
