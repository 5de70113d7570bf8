// luoshi_jwt_bench: what token verification costs per call (docs/benchmarks.md, "Identity tokens").
//
//   luoshi_jwt_bench [--seconds=3]
//
// Prints verifications per second on one thread for: a valid ES256 token (the full check: parse, key
// look-up, ECDSA P-256 signature, claims, revocation list), issuing (signing) a token, and parsing a token
// without checking its signature (the part a cache keyed by the signature bytes would still pay).
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "services/common/jwt.h"

ABSL_FLAG(double, seconds, 3, "How long each measurement runs.");

namespace {

template <typename Fn>
void Measure(const char* what, Fn fn) {
  using Clock = std::chrono::steady_clock;
  const auto limit = std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  for (int i = 0; i < 100; ++i) fn();  // warm-up
  long n = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < limit) {
    for (int i = 0; i < 100; ++i) fn();
    n += 100;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("| %s | %.0f | %.1f |\n", what, n / s, 1e6 * s / n);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto pair = luoshi::GenerateKeyPair();
  luoshi::TokenVerifier verifier;
  if (!pair.ok() || !verifier.AddPublicKey(pair->public_pem).ok()) {
    std::fprintf(stderr, "cannot make a key\n");
    return 1;
  }
  luoshi::TokenClaims claims;
  claims.subject = "张三";
  claims.unit = "区财政局";
  claims.role = "office";
  const absl::Time now = absl::Now();
  claims.expires_at = now + absl::Hours(1);
  const std::string token = *luoshi::IssueToken(claims, pair->private_pem, now);
  std::printf("| operation (one thread) | per second | µs each |\n|---|---:|---:|\n");
  Measure("verify a valid ES256 token", [&] {
    if (!verifier.Verify(token, now).ok()) std::abort();
  });
  Measure("issue (sign) a token", [&] {
    if (!luoshi::IssueToken(claims, pair->private_pem, now).ok()) std::abort();
  });
  Measure("parse claims without the signature check", [&] {
    if (!luoshi::DecodeTokenUnverified(token).ok()) std::abort();
  });
  return 0;
}
