// Session<Stream>: one HTTP/1.1 connection, plain TCP or TLS (reading requests under their limits and
// timeouts, writing responses, closing), and HttpServer::Impl::Accept, which creates the sessions.
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"
#include "services/gateway/http_connection.h"
#include "services/gateway/http_server.h"

namespace luoshi::gateway {

namespace {

// While a response is produced the connection reads ahead only until its buffer holds this much of
// the next (pipelined) request; the rest waits in the kernel.
constexpr size_t kReadAheadBytes = 4096;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

}  // namespace

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

  void CloseIfIdle() override {
    if (!exchange_ && phase_ != Phase::kBody) Close();
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
    // While the server stops, only a request that comes at once (a probe's) is worth waiting for: an
    // idle connection would hold the shutdown until the grace ends.
    ArmTimer(server()->stopping ? std::min(options().idle_timeout, absl::Seconds(1)) : options().idle_timeout,
             Phase::kIdle);
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
    if (options().on_request_done) options().on_request_done(nullptr, status, absl::ZeroDuration());
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
    const int status = ex.status_ == 0 ? 499 : ex.status_;
    const absl::Duration took = absl::Now() - ex.start_;
    if (options().on_request_done) options().on_request_done(&ex.request_, status, took);
    std::vector<LogField> fields = {
        {"method", ex.request_.method},
        {"path", ex.request_.Path()},
        {"status", std::to_string(status)},
        {"duration_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(took))},
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

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;  // closed at the end of a stop
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
      // Counted before the answer goes out, so whoever reads the 503 then the metrics sees it counted.
      if (options.on_connection_refused) options.on_connection_refused();
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

}  // namespace luoshi::gateway
