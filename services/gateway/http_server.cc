#include "services/gateway/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace luoshi::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Handler handler;
  HttpServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex mu;
  std::condition_variable idle;
  int open_connections = 0;  // guarded by mu
  std::set<tcp::socket*> sockets;  // guarded by mu: shut down on Stop to wake blocked reads
  std::atomic<bool> stopping{false};

  void AcceptLoop();
  void Serve(tcp::socket socket);
  void Reject(tcp::socket& socket);
};

namespace {

void SetReadTimeout(tcp::socket& socket, int seconds) {
#ifdef _WIN32
  DWORD ms = seconds * 1000;
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof(ms));
#else
  timeval tv{seconds, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
#endif
}

http::response<http::string_body> ToBeast(const HttpResponse& r, unsigned version, bool keep_alive,
                                          bool head_only) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "luoshi-gateway");
  res.set(http::field::content_type, r.content_type);
  res.set("x-content-type-options", "nosniff");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  if (head_only) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

}  // namespace

HttpServer::HttpServer(Handler handler, HttpServerOptions options) : impl_(new Impl) {
  impl_->handler = std::move(handler);
  impl_->options = options;
}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("listen address must be host:port, not \"", address, "\""));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  auto ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", host, "\""));
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->AcceptLoop();
  impl_->accept_thread = std::thread([this] { impl_->io.run(); });
  LogInfo("listening", {{"addr", address}, {"port", std::to_string(port_)}, {"protocol", "http"}});
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  std::unique_lock<std::mutex> lock(impl_->mu);
  for (tcp::socket* socket : impl_->sockets) {
    beast::error_code ec;
    socket->shutdown(tcp::socket::shutdown_receive, ec);
  }
  impl_->idle.wait(lock, [this] { return impl_->open_connections == 0; });
}

void HttpServer::Impl::AcceptLoop() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (!ec) {
      std::lock_guard<std::mutex> lock(mu);
      if (open_connections >= options.max_connections) {
        Reject(socket);
      } else {
        ++open_connections;
        std::thread([this, s = std::move(socket)]() mutable {
          Serve(std::move(s));
          std::lock_guard<std::mutex> lock(mu);
          --open_connections;
          idle.notify_all();
        }).detach();
      }
    }
    AcceptLoop();
  });
}

void HttpServer::Impl::Reject(tcp::socket& socket) {
  HttpResponse r;
  r.status = 503;
  r.body = "too many connections, try again\n";
  beast::error_code ec;
  http::write(socket, ToBeast(r, 11, false, false), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

void HttpServer::Impl::Serve(tcp::socket socket) {
  {
    std::lock_guard<std::mutex> lock(mu);
    sockets.insert(&socket);
  }
  SetReadTimeout(socket, options.read_timeout_seconds);
  beast::flat_buffer buffer;
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
    if (ec) {
      if (ec == http::error::body_limit) {
        HttpResponse r;
        r.status = 413;
        r.body = "request body too large\n";
        http::write(socket, ToBeast(r, 11, false, false), ec);
      } else if (ec != asio::error::would_block && ec != asio::error::timed_out &&
                 ec != asio::error::connection_reset) {
        HttpResponse r;
        r.status = 400;
        r.body = absl::StrCat("malformed HTTP request: ", ec.message(), "\n");
        http::write(socket, ToBeast(r, 11, false, false), ec);
      }
      break;
    }
    auto& req = parser.get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
      request.headers[absl::AsciiStrToLower(std::string(field.name_string()))] = std::string(field.value());
    }
    request.body = std::move(req.body());
    HttpResponse response = handler(request);
    bool keep_alive = req.keep_alive() && !stopping;
    http::write(socket, ToBeast(response, req.version(), keep_alive, request.method == "HEAD"), ec);
    if (ec || !keep_alive) break;
  }
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  std::lock_guard<std::mutex> lock(mu);
  sockets.erase(&socket);
}

}  // namespace luoshi::gateway
