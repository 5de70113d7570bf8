#include "services/gateway/http_server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/gateway/http_connection.h"

namespace luoshi::gateway {

namespace {

std::string ChunkOf(const std::string& bytes) {
  return absl::StrCat(absl::Hex(bytes.size()), "\r\n", bytes, "\r\n");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// HttpExchange

HttpExchange::HttpExchange(std::shared_ptr<Connection> connection, HttpRequest request, bool keep_alive)
    : connection_(std::move(connection)), request_(std::move(request)), keep_alive_(keep_alive) {
  connection_->server()->ExchangeCreated();
}

HttpExchange::~HttpExchange() {
  // The connection goes first: an exchange is counted as released only once its Session (timers and
  // socket of the server's io_context) may have gone with it, so a stopping server that sees no
  // exchange left can destroy the io_context.
  HttpServer::Impl* server = connection_->server();
  connection_.reset();
  server->ExchangeReleased();
}

std::string HttpExchange::Head(int status, const std::map<std::string, std::string>& headers,
                               const std::string* content_type, size_t content_length, bool chunked) const {
  std::string head = absl::StrCat("HTTP/1.1 ", status, " ",
                                  std::string(http::obsolete_reason(static_cast<http::status>(status))),
                                  "\r\nserver: luoshi-gateway\r\nx-content-type-options: nosniff\r\n");
  if (content_type != nullptr && !content_type->empty())
    absl::StrAppend(&head, "content-type: ", *content_type, "\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&head, k, ": ", v, "\r\n");
  if (chunked) {
    head += "transfer-encoding: chunked\r\n";
  } else if (content_length != static_cast<size_t>(-1)) {
    absl::StrAppend(&head, "content-length: ", content_length, "\r\n");
  }
  head += keep_alive_ ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n";
  return head;
}

void HttpExchange::Respond(HttpResponse response) {
  auto self = shared_from_this();
  connection_->Post([self, r = std::move(response)]() mutable {
    if (self->started_ || self->ended_ || self->connection_->closed()) return;
    self->started_ = true;
    self->ended_ = true;
    self->chunked_ = false;
    self->status_ = r.status;
    // 1xx, 204 and 304 carry no body; HEAD gets the length of the body it would have had.
    bool no_body = r.status == 204 || r.status == 304;
    std::string bytes = self->Head(r.status, r.headers, &r.content_type,
                                   no_body ? static_cast<size_t>(-1) : r.body.size(), false);
    if (!no_body && self->request_.method != "HEAD") bytes += r.body;
    self->bytes_out_ += bytes.size();
    HttpExchange* raw = self.get();
    self->connection_->QueueWrite(std::move(bytes), [self, raw](bool ok) {
      self->connection_->FinishExchange(raw, ok && self->keep_alive_);
    });
  });
}

void HttpExchange::StartStream(int status, std::map<std::string, std::string> headers) {
  auto self = shared_from_this();
  connection_->Post([self, status, h = std::move(headers)] {
    if (self->started_ || self->ended_ || self->connection_->closed()) return;
    self->started_ = true;
    self->status_ = status;
    if (!self->chunked_) self->keep_alive_ = false;
    // HTTP/1.0 has no chunked encoding (chunked_ is false): the body then ends with the connection.
    std::string head = self->Head(status, h, nullptr, static_cast<size_t>(-1), self->chunked_);
    self->bytes_out_ += head.size();
    self->connection_->QueueWrite(std::move(head), nullptr);
  });
}

void HttpExchange::Write(std::string bytes, std::function<void(bool)> written) {
  auto self = shared_from_this();
  connection_->Post([self, b = std::move(bytes), written = std::move(written)]() mutable {
    if (!self->started_ || self->ended_ || self->connection_->closed()) {
      if (written) written(false);
      return;
    }
    if (b.empty()) {  // an empty chunk would end the body
      if (written) written(true);
      return;
    }
    std::string out = self->chunked_ ? ChunkOf(b) : std::move(b);
    self->bytes_out_ += out.size();
    self->connection_->QueueWrite(std::move(out), std::move(written));
  });
}

void HttpExchange::End(std::string last) {
  auto self = shared_from_this();
  connection_->Post([self, last = std::move(last)] {
    if (!self->started_ || self->ended_ || self->connection_->closed()) return;
    self->ended_ = true;
    std::string out;
    if (self->chunked_) {
      if (!last.empty()) out = ChunkOf(last);
      out += "0\r\n\r\n";
    } else {
      out = last;
    }
    self->bytes_out_ += out.size();
    HttpExchange* raw = self.get();
    bool keep_alive = self->keep_alive_ && self->chunked_;
    self->connection_->QueueWrite(std::move(out), [self, raw, keep_alive](bool ok) {
      self->connection_->FinishExchange(raw, ok && keep_alive);
    });
  });
}

// These two take a lock instead of a trip to the connection's strand: they are called once or twice per
// call from gRPC's threads, and each trip costs a thread wake-up.
void HttpExchange::SetCancelHandler(std::function<void()> on_cancel) {
  std::lock_guard<std::mutex> lock(side_mu_);
  on_cancel_ = std::move(on_cancel);
}

void HttpExchange::RunAfter(absl::Duration delay, std::function<void()> fn) {
  connection_->PostAfter(delay, std::move(fn));
}

void HttpExchange::AddLogField(std::string key, std::string value) {
  std::lock_guard<std::mutex> lock(side_mu_);
  log_fields_.emplace_back(std::move(key), std::move(value));
}

std::function<void()> HttpExchange::TakeCancelHandler() {
  std::lock_guard<std::mutex> lock(side_mu_);
  return std::move(on_cancel_);
}

std::vector<std::pair<std::string, std::string>> HttpExchange::LogFields() const {
  std::lock_guard<std::mutex> lock(side_mu_);
  return log_fields_;
}

// ---------------------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(Handler handler, HttpServerOptions options) : impl_(new Impl) {
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() {
  Stop();
  if (!impl_) return;
  // An exchange still held by the handler's side (a thread of its own) keeps a Session whose timers
  // belong to the io_context destroyed with impl_: wait for the last one, however long the handler
  // takes, rather than let it touch freed memory later.
  std::unique_lock<std::mutex> lock(impl_->mu);
  while (!impl_->released.wait_for(lock, std::chrono::seconds(5), [this] { return impl_->exchanges == 0; })) {
    LogWarning("HTTP server waits for its handler to release requests", {{"held", absl::StrCat(impl_->exchanges.load())}});
  }
}

absl::Status HttpServer::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address must be host:port, not \"", address, "\""));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  auto ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", host, "\""));

  const HttpServerOptions& o = impl_->options;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    if (o.tls_cert.empty() || o.tls_key.empty()) {
      return absl::InvalidArgumentError("HTTPS needs both a certificate and a key file");
    }
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    impl_->tls->use_certificate_chain_file(o.tls_cert, ec);
    if (!ec) impl_->tls->use_private_key_file(o.tls_key, ssl::context::pem, ec);
    if (ec)
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the HTTPS certificate or key: ", ec.message()));
  }

  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->work.emplace(impl_->io.get_executor());
  impl_->Accept();
  int threads = std::max(1, o.threads);
  for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
  LogInfo("listening", {{"addr", address},
                        {"port", std::to_string(port_)},
                        {"protocol", impl_->tls ? "https" : "http"},
                        {"threads", std::to_string(threads)}});
  return absl::OkStatus();
}

size_t HttpServer::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections.size();
}

void HttpServer::Stop(absl::Duration grace) {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  if (impl_->threads.empty()) return;  // never started
  // The acceptor stays open through the grace (see Stop's contract); closed once it is over.
  const bool drained = impl_->WaitForRelease(grace, [](Connection& c) { c.CloseIfIdle(); });
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_retry.cancel();
  });
  if (!drained) {
    LogWarning("requests still running after the shutdown grace; cancelling them",
               {{"grace", absl::FormatDuration(grace)}});
    // Cancelled exchanges are released as soon as their handlers let go; a second is plenty.
    impl_->WaitForRelease(absl::Seconds(1), [](Connection& c) { c.Close(); });
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

bool HttpServer::Impl::WaitForRelease(absl::Duration timeout, void (*action)(Connection&)) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [raw, weak] : connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) {
    c->Post([c, action] { action(*c); });
  }
  open.clear();
  std::unique_lock<std::mutex> lock(mu);
  return released.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [this] { return connections.empty() && exchanges == 0; });
}

}  // namespace luoshi::gateway
