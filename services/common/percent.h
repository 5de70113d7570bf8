// Percent-decoding ("%E5%8C%BA" → "区"), header-only and free of gRPC, for every place that reads
// percent-encoded text: identity metadata (identity.h) and grpc-message (the gateway's grpc-web codec).
// The encoders differ on purpose (what each must escape), the decoding does not.
#ifndef LUOSHI_SERVICES_COMMON_PERCENT_H_
#define LUOSHI_SERVICES_COMMON_PERCENT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace luoshi {

// Each %XX (hex digits in either case) becomes its byte; a '%' not followed by two hex digits is kept
// as it is.
inline std::string PercentDecode(absl::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_PERCENT_H_
