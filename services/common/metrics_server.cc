#include "services/common/metrics_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"

ABSL_FLAG(
    std::string, metrics_listen, "",
    "Address of the Prometheus metrics endpoint (GET /metrics, plaintext HTTP), host:port; port 0 picks "
    "one (printed in the 'metrics listening' log line). Scrape it from inside the cluster network: it "
    "carries counts and method names only. Empty: no endpoint.");

namespace luoshi::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A scraper sends a short GET; anything much larger or slower is not one.
constexpr size_t kMaxRequestBytes = 8 << 10;
constexpr std::chrono::seconds kTimeout(10);

// One connection: requests answered in turn while the scraper keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Registry* registry) : stream_(std::move(socket)), registry_(registry) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestBytes);
    parser_->body_limit(kMaxRequestBytes);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Answer(self->parser_->release());
    });
  }

 private:
  void Answer(const http::request<http::string_body>& request) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->keep_alive(request.keep_alive());
    response->set(http::field::server, "luoshi-metrics");
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    if (path != "/metrics") {
      response->result(http::status::not_found);
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "not found: metrics are at /metrics\n";
    } else if (request.method() != http::verb::get) {
      response->result(http::status::method_not_allowed);
      response->set(http::field::allow, "GET");
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "/metrics answers GET only\n";
    } else {
      response->result(http::status::ok);
      response->set(http::field::content_type, kTextContentType);
      response->body() = registry_->TextExposition();
    }
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  const Registry* registry_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

// "host:port" or "[v6]:port" into an endpoint.
absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen must be host:port (e.g. 0.0.0.0:9464), not \"", address, "\""));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  asio::ip::address ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen needs an IP address, not \"", host, "\" (e.g. 0.0.0.0:9464)"));
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

}  // namespace

struct MetricsServer::Impl {
  explicit Impl(const Registry* r) : registry(r) {}
  const Registry* registry;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {  // out of descriptors and the like: try again shortly instead of spinning
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code) { Accept(); });
        return;
      }
      std::make_shared<Session>(std::move(socket), registry)->Read();
      Accept();
    });
  }
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  port_ = impl_->acceptor.local_endpoint().port();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                                    const Registry* registry) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseEndpoint(address);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_unique<Impl>(registry);
  beast::error_code ec;
  impl->acceptor.open(endpoint->protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ", ec.message(),
                                               " (try --metrics_listen=127.0.0.1:0)"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(impl)));
  Impl* running = server->impl_.get();
  running->Accept();
  running->thread = std::thread([running] { running->io.run(); });
  LogInfo("metrics listening", {{"addr", address}, {"port", std::to_string(server->port())}});
  return server;
}

MetricsServer::~MetricsServer() {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->io.stop();  // open sessions go with the io_context
  impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServerFromFlags() {
  const std::string address = absl::GetFlag(FLAGS_metrics_listen);
  if (address.empty()) return std::unique_ptr<MetricsServer>();
  return MetricsServer::Start(address, &DefaultRegistry());
}

}  // namespace luoshi::metrics
