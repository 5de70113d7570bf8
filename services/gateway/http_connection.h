// What http_server.cc (HttpExchange, HttpServer) and http_session.cc (Session, accepting connections)
// share: the Connection interface an exchange uses and the server's state, HttpServer::Impl. Internal
// to luoshi_gateway.
#ifndef LUOSHI_SERVICES_GATEWAY_HTTP_CONNECTION_H_
#define LUOSHI_SERVICES_GATEWAY_HTTP_CONNECTION_H_

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "services/gateway/http_server.h"

namespace luoshi::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// What an exchange needs of its connection; Session<Stream> implements it for plain TCP and TLS.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(HttpServer::Impl* server) : server_(server) {}
  virtual ~Connection() = default;
  // Runs `fn` on the connection's strand.
  virtual void Post(std::function<void()> fn) = 0;
  // On the strand: queue bytes for the socket; `done(ok)` once written or failed (may be empty).
  virtual void QueueWrite(std::string bytes, std::function<void(bool)> done) = 0;
  // On the strand: the exchange's last bytes are written.
  virtual void FinishExchange(HttpExchange* exchange, bool keep_alive) = 0;
  virtual bool closed() const = 0;
  // Runs `fn` on the strand after `delay`, unless the connection is closed by then.
  virtual void PostAfter(absl::Duration delay, std::function<void()> fn) = 0;
  // On the strand: closes the connection, cancelling an exchange in progress.
  virtual void Close() = 0;
  // On the strand, when the server stops: closes the connection unless a request is being received or
  // answered; such a connection closes once its response is written (FinishExchange sees `stopping`).
  virtual void CloseIfIdle() = 0;
  HttpServer::Impl* server() const { return server_; }

 private:
  HttpServer::Impl* server_;
};

struct HttpServer::Impl {
  Handler handler;
  HttpServerOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::optional<ssl::context> tls;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable released;
  std::map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
  std::atomic<int> exchanges{0};

  void Accept();
  // Runs `action` on every open connection's strand, then waits up to `timeout` until every connection
  // and exchange is released; false if some are left.
  bool WaitForRelease(absl::Duration timeout, void (*action)(Connection&));
  void Register(const std::shared_ptr<Connection>& c) {
    std::lock_guard<std::mutex> lock(mu);
    connections[c.get()] = c;
  }
  void Unregister(Connection* c) {
    std::lock_guard<std::mutex> lock(mu);
    connections.erase(c);
    released.notify_all();
  }
  // Counted without the lock on the way up and down; only a stopping server waits for zero.
  void ExchangeCreated() { exchanges.fetch_add(1); }
  void ExchangeReleased() {
    if (exchanges.fetch_sub(1) == 1 && stopping) {
      std::lock_guard<std::mutex> lock(mu);
      released.notify_all();
    }
  }
};

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_HTTP_CONNECTION_H_
