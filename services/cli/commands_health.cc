// luoshi health: is every service up?
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/cli/cli.h"
#include "services/common/health_client.h"
#include "services/common/server.h"

namespace luoshi::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// GET http://address/healthz; returns the status code, or an error when unreachable.
absl::StatusOr<int> HttpHealth(const std::string& address, absl::Duration timeout) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("gateway address must be host:port");
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1), ec);
  if (ec) return absl::UnavailableError(ec.message());
  stream.expires_after(absl::ToChronoMilliseconds(timeout));
  stream.connect(endpoints, ec);
  if (ec) return absl::UnavailableError(ec.message());
  http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, address);
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) return absl::UnavailableError(ec.message());
  return res.result_int();
}

absl::Status Health(Context& ctx, const std::vector<std::string>& words) {
  auto args = Args::Parse(words, {});
  if (!args.ok()) return args.status();
  struct Target {
    ServiceName name;
    std::string address;
  };
  const Target targets[] = {{kIngestionService, ctx.ingestion_addr},
                            {kIndicatorsService, ctx.indicators_addr},
                            {kTasksService, ctx.tasks_addr}};
  bool all_ok = true;
  for (const auto& t : targets) {
    auto state = CheckHealth(MakeChannel(t.address), t.name.full_name, absl::Seconds(3));
    std::string shown = state.ok() ? *state : "UNREACHABLE";
    if (!state.ok() || *state != "SERVING") all_ok = false;
    *ctx.out << absl::StrFormat("%-11s %-22s %s\n", t.name.short_name, t.address, shown);
  }
  auto code = HttpHealth(ctx.gateway_addr, absl::Seconds(5));
  std::string shown = code.ok() ? absl::StrCat(*code == 200 ? "SERVING" : "DEGRADED", " (HTTP ", *code, ")")
                                : std::string("UNREACHABLE");
  if (!code.ok() || *code != 200) all_ok = false;
  *ctx.out << absl::StrFormat("%-11s %-22s %s\n", "gateway", ctx.gateway_addr, shown);
  if (!all_ok) return absl::UnavailableError("not every service is healthy");
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> HealthCommands() {
  return {{"health", "luoshi health", "Checks every service (SERVING / NOT_SERVING / UNREACHABLE).", Health}};
}

}  // namespace luoshi::cli
