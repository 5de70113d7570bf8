// Fuzz target for the token parser and verifier (jwt.h): any bytes, as a token or as the header, payload
// and signature of one, must give claims or UNAUTHENTICATED, never a crash, a hang or a leak. Built for
// libFuzzer by scripts/fuzz.sh (clang, -DLUOSHI_FUZZ=ON).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/common/jwt.h"

namespace {

const luoshi::TokenVerifier& Verifier() {
  static const luoshi::TokenVerifier* verifier = [] {
    auto* v = new luoshi::TokenVerifier();
    (void)v->AddPublicKey(luoshi::GenerateKeyPair()->public_pem);
    return v;
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token;
  if (data[0] & 1) {
    // header JSON, payload JSON and signature bytes separated by NUL, each encoded as a JWT would be.
    std::vector<std::string> parts = absl::StrSplit(rest, absl::MaxSplits('\0', 2));
    parts.resize(3);
    token = absl::StrCat(absl::WebSafeBase64Escape(parts[0]), ".", absl::WebSafeBase64Escape(parts[1]), ".",
                         absl::WebSafeBase64Escape(parts[2]));
  } else {
    token = rest;
  }
  auto verified = Verifier().Verify(token, absl::FromUnixSeconds(1780000000));
  if (verified.ok()) __builtin_trap();  // nothing made without the private key may verify
  (void)luoshi::DecodeTokenUnverified(token);
  return 0;
}
