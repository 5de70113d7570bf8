// What every part of luoshi_gateway_bench (gateway_bench.cc) uses: asio and clock names, durations in
// milliseconds, and how the program gives up. Also the flags read outside gateway_bench.cc.
#ifndef LUOSHI_SERVICES_GATEWAY_BENCH_COMMON_H_
#define LUOSHI_SERVICES_GATEWAY_BENCH_COMMON_H_

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/declare.h"
#include "services/common/test_tokens.h"

ABSL_DECLARE_FLAG(bool, decode);
ABSL_DECLARE_FLAG(int, load_threads);
ABSL_DECLARE_FLAG(int, report_gap_ms);

namespace luoshi::gateway_bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
inline Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// The bench's signing key: the services it starts trust it (--auth_keys), and every call carries a token.
const TestTokens& Tokens();
// `authorization` metadata value of the bench's administrator.
std::string AdminAuthorization();

[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "luoshi_gateway_bench: %s\n", message.c_str());
  std::exit(1);  // the atexit handler kills the children
}

}  // namespace luoshi::gateway_bench

#endif  // LUOSHI_SERVICES_GATEWAY_BENCH_COMMON_H_
