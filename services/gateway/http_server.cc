#include "services/gateway/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"

namespace luoshi::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// While a response is produced the connection reads ahead only until its buffer holds this much of
// the next (pipelined) request; the rest waits in the kernel.
constexpr size_t kReadAheadBytes = 4096;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

std::string ChunkOf(const std::string& bytes) {
  return absl::StrCat(absl::Hex(bytes.size()), "\r\n", bytes, "\r\n");
}

}  // namespace

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

// ---------------------------------------------------------------------------------------------------
// HttpExchange

HttpExchange::HttpExchange(std::shared_ptr<Connection> connection, HttpRequest request, bool keep_alive)
    : connection_(std::move(connection)), request_(std::move(request)), keep_alive_(keep_alive) {
  connection_->server()->ExchangeCreated();
}

HttpExchange::~HttpExchange() { connection_->server()->ExchangeReleased(); }

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
// Session: one connection, plain or TLS.

template <class Stream>
class Session final : public Connection {
 public:
  Session(HttpServer::Impl* server, Stream stream, bool tls, std::string peer)
      : Connection(server),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        write_timer_(stream_.get_executor()),
        tls_(tls),
        peer_(std::move(peer)) {}

  void Start() {
    Post([self = Self()] {
      if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        self->ArmTimer(self->options().header_timeout, Phase::kHeader);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec || self->closed_) return self->Close();
          self->CancelTimer();
          self->WaitForRequest();
        });
      } else {
        self->WaitForRequest();
      }
    });
  }

  void Post(std::function<void()> fn) override { asio::post(stream_.get_executor(), std::move(fn)); }
  bool closed() const override { return closed_; }

  void PostAfter(absl::Duration delay, std::function<void()> fn) override {
    auto timer = std::make_shared<asio::steady_timer>(stream_.get_executor(), ToChrono(delay));
    // The wait holds neither the connection nor what `fn` refers to weakly: a finished call costs only
    // the timer until it fires.
    timer->async_wait(
        [weak = std::weak_ptr<Session>(Self()), timer, fn = std::move(fn)](beast::error_code ec) {
          auto self = weak.lock();
          if (!ec && self && !self->closed_) fn();
        });
  }

  void QueueWrite(std::string bytes, std::function<void(bool)> done) override {
    if (closed_) {
      if (done) done(false);
      return;
    }
    pending_ += bytes;
    if (done) pending_done_.push_back(std::move(done));
    if (!writing_) StartWrite();
  }

  void FinishExchange(HttpExchange* exchange, bool keep_alive) override {
    if (exchange_.get() != exchange) return;  // already cancelled and logged by Close
    LogExchange(*exchange_);
    exchange_.reset();
    if (!keep_alive || server()->stopping) return Close();
    WaitForRequest();
  }

  // Closes the socket; an exchange still in progress is cancelled. Idempotent.
  void Close() override {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    write_timer_.cancel();
    if (exchange_) {
      std::shared_ptr<HttpExchange> ex = std::move(exchange_);
      ex->ended_ = true;
      LogExchange(*ex);
      if (auto f = ex->TakeCancelHandler()) f();
    }
    std::vector<std::function<void(bool)>> failed;
    failed.swap(pending_done_);
    for (auto& f : failed) f(false);
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    server()->Unregister(this);
  }

 private:
  enum class Phase { kIdle, kHeader, kBody, kHandling };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  const HttpServerOptions& options() const { return server()->options; }

  void ArmTimer(absl::Duration d, Phase phase) {
    phase_ = phase;
    timer_.expires_after(ToChrono(d));
    timer_.async_wait([self = Self(), phase](beast::error_code ec) {
      if (ec || self->closed_ || self->phase_ != phase) return;
      self->OnTimeout();
    });
  }
  void CancelTimer() {
    phase_ = Phase::kHandling;
    timer_.cancel();
  }

  void OnTimeout() {
    if (phase_ == Phase::kHeader) {
      return RefuseAndClose(408, "request headers not received in time", /*linger=*/false);
    }
    if (phase_ == Phase::kBody)
      return RefuseAndClose(408, "request body not received in time", /*linger=*/false);
    Close();  // idle keep-alive connection
  }

  // Between requests: parse what is buffered, or wait (up to the idle timeout) for the next bytes.
  void WaitForRequest() {
    if (closed_) return;
    if (buffer_.size() > 0 && !reading_) return ReadHeader();
    ArmTimer(options().idle_timeout, Phase::kIdle);
    if (!reading_) ReadMore();
  }

  // One read of whatever arrives. Between requests it ends the idle wait; while a response is being
  // produced it notices a client that went away (EOF or reset) or keeps the start of a pipelined request.
  void ReadMore() {
    if (reading_ || closed_) return;
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(kReadAheadBytes),
                            [self = Self()](beast::error_code ec, size_t n) {
                              self->reading_ = false;
                              if (ec || self->closed_) return self->Close();
                              self->buffer_.commit(n);
                              if (self->exchange_)
                                return;  // keep it for after the response; no more reading ahead
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    ArmTimer(options().header_timeout, Phase::kHeader);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (closed_ || closing_) return;
    if (ec == http::error::header_limit) {
      return RefuseAndClose(
          431, absl::StrCat("request header larger than ", options().max_header_bytes, " bytes"));
    }
    // Beast compares a Content-Length with the body limit as soon as the header is read.
    if (ec == http::error::body_limit) return RefuseBodyTooLarge();
    if (PeerLeft(ec)) return Close();
    if (ec) return RefuseAndClose(400, absl::StrCat("malformed HTTP request: ", ec.message()));
    auto& req = parser_->get();
    if (absl::EqualsIgnoreCase(std::string(req[http::field::expect]), "100-continue")) {
      QueueWrite("HTTP/1.1 100 Continue\r\n\r\n", nullptr);
    }
    ArmTimer(options().body_timeout, Phase::kBody);
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (closed_ || closing_) return;
    if (ec == http::error::body_limit) return RefuseBodyTooLarge();  // a chunked body grew past it
    if (PeerLeft(ec)) return Close();
    if (ec) return RefuseAndClose(400, absl::StrCat("malformed HTTP request: ", ec.message()));
    CancelTimer();
    auto message = parser_->release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
      auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
      if (!inserted) absl::StrAppend(&it->second, ", ", std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.peer = peer_;
    request.tls = tls_;
    bool keep_alive = message.keep_alive() && !server()->stopping;
    bytes_in_ = request.body.size();
    exchange_ = std::make_shared<HttpExchange>(shared_from_this(), std::move(request), keep_alive);
    exchange_->chunked_ = message.version() >= 11;
    if (buffer_.size() == 0) ReadMore();  // notice the client leaving while the response is produced
    server()->handler(exchange_);
  }

  // Answers a request that cannot be read (limits, timeouts, malformed) and closes the connection.
  static bool PeerLeft(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
  }
  void RefuseBodyTooLarge() {
    RefuseAndClose(413, absl::StrCat("request body larger than the ", options().max_body_bytes,
                                     " bytes this gateway accepts"));
  }

  // `linger` only when no read is in progress (a timed-out read still is).
  void RefuseAndClose(int status, const std::string& message, bool linger = true) {
    if (closing_) return;
    closing_ = true;
    phase_ = Phase::kHandling;
    timer_.cancel();
    std::string body = message + "\n";
    std::string bytes = absl::StrCat(
        "HTTP/1.1 ", status, " ", std::string(http::obsolete_reason(static_cast<http::status>(status))),
        "\r\nserver: luoshi-gateway\r\ncontent-type: text/plain; charset=utf-8\r\n"
        "content-length: ",
        body.size(), "\r\nconnection: close\r\n\r\n", body);
    LogInfo("http", {{"method", parser_ ? std::string(parser_->get().method_string()) : ""},
                     {"status", std::to_string(status)},
                     {"peer", peer_},
                     {"error", message}});
    QueueWrite(std::move(bytes), [self = Self(), linger](bool ok) {
      if (ok && linger) return self->LingeringClose();
      self->Close();
    });
  }

  // After refusing a request whose body may still be arriving: stop sending, then read and discard for
  // a moment before closing. Closing at once would make the kernel answer the client's remaining bytes
  // with a reset, which can destroy the refusal before the client reads it.
  void LingeringClose() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = Self()](beast::error_code ec) {
      if (!ec) self->Close();
    });
    Discard();
  }
  void Discard() {
    if (closed_ || reading_) return;
    if (discarded_ > (4u << 20)) return Close();
    reading_ = true;
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 << 10), [self = Self()](beast::error_code ec, size_t n) {
      self->reading_ = false;
      if (ec || self->closed_) return self->Close();
      self->discarded_ += n;
      self->Discard();
    });
  }

  void StartWrite() {
    writing_ = true;
    writing_buf_.swap(pending_);
    pending_.clear();
    writing_done_.swap(pending_done_);
    pending_done_.clear();
    write_timer_.expires_after(ToChrono(options().write_timeout));
    write_timer_.async_wait([self = Self()](beast::error_code ec) {
      if (!ec && self->writing_) self->Close();
    });
    asio::async_write(stream_, asio::buffer(writing_buf_), [self = Self()](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->write_timer_.cancel();
      std::vector<std::function<void(bool)>> done;
      done.swap(self->writing_done_);
      if (ec) {
        for (auto& f : done) f(false);
        return self->Close();
      }
      for (auto& f : done) f(true);
      if (!self->writing_ && !self->pending_.empty() && !self->closed_) self->StartWrite();
    });
  }

  void LogExchange(const HttpExchange& ex) {
    std::vector<LogField> fields = {
        {"method", ex.request_.method},
        {"path", ex.request_.Path()},
        {"status", std::to_string(ex.status_ == 0 ? 499 : ex.status_)},
        {"duration_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(absl::Now() - ex.start_))},
        {"bytes_in", std::to_string(bytes_in_)},
        {"bytes_out", std::to_string(ex.bytes_out_)},
        {"peer", peer_},
    };
    if (!ex.ended_ || closed_) fields.emplace_back("client_gone", "true");
    for (auto& f : ex.LogFields()) fields.push_back(std::move(f));
    Log(LogLevel::kInfo, "http", fields);
  }

  Stream stream_;
  asio::steady_timer timer_;
  asio::steady_timer write_timer_;
  bool tls_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpExchange> exchange_;
  Phase phase_ = Phase::kIdle;
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool closing_ = false;
  size_t bytes_in_ = 0;
  size_t discarded_ = 0;
  std::string pending_, writing_buf_;
  std::vector<std::function<void(bool)>> pending_done_, writing_done_;
};

// ---------------------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(Handler handler, HttpServerOptions options) : impl_(new Impl) {
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

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

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: try again shortly instead of spinning.
      LogWarning("accept failed", {{"error", ec.message()}});
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code) { Accept(); });
      return;
    }
    beast::error_code peer_ec;
    auto remote = socket.remote_endpoint(peer_ec);
    std::string peer = peer_ec ? "" : absl::StrCat(remote.address().to_string(), ":", remote.port());
    size_t open;
    {
      std::lock_guard<std::mutex> lock(mu);
      open = connections.size();
    }
    if (open >= static_cast<size_t>(options.max_connections)) {
      // A short answer into a fresh socket's send buffer does not block.
      static constexpr char kBusy[] =
          "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
          "32\r\n"
          "connection: close\r\nretry-after: 1\r\n\r\ntoo many connections, try again\n";
      beast::error_code ignored;
      asio::write(socket, asio::buffer(kBusy, sizeof(kBusy) - 1), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::shared_ptr<Connection> session;
      if (tls) {
        auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), true,
            peer);
        Register(s);
        s->Start();
      } else {
        auto s = std::make_shared<Session<beast::tcp_stream>>(this, beast::tcp_stream(std::move(socket)),
                                                              false, peer);
        Register(s);
        s->Start();
      }
    }
    Accept();
  });
}

void HttpServer::Stop(absl::Duration grace) {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  if (impl_->threads.empty()) return;  // never started
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_retry.cancel();
  });
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [raw, weak] : impl_->connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) {
    c->Post([c] { c->Close(); });
  }
  open.clear();
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->released.wait_for(lock, absl::ToChronoNanoseconds(grace),
                             [this] { return impl_->connections.empty() && impl_->exchanges == 0; });
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace luoshi::gateway
