#include "services/ingestion/ids.h"

#include <openssl/evp.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace luoshi::ingestion {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string DocumentIdForSha256(const std::string& sha256_hex) {
  return absl::StrCat("doc-", sha256_hex.substr(0, 16));
}

std::string ObservationSourceKey(const std::string& sha256_hex, int index) {
  return absl::StrCat(sha256_hex, ":obs:", index);
}

std::string PlanKeyFor(const v1::DocumentMetadata& metadata) {
  std::string issuer(absl::StripAsciiWhitespace(metadata.issuer()));
  std::string title(absl::StripAsciiWhitespace(metadata.title()));
  return absl::StrCat(issuer, "|", title, "|", metadata.year());
}

}  // namespace luoshi::ingestion
