// The grpc-web wire format (grpc/grpc doc/PROTOCOL-WEB.md), with no I/O: content types, the framed
// message stream and its base64 ("text") form, trailer frames, grpc-timeout and the percent-encoding of
// grpc-message. The HTTP server and the proxy use it; the fuzz target feeds it arbitrary bytes.
#ifndef LUOSHI_SERVICES_GATEWAY_GRPC_WEB_H_
#define LUOSHI_SERVICES_GATEWAY_GRPC_WEB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace luoshi::gateway::grpcweb {

// Binary mode carries frames as they are; text mode carries base64 of the framed stream.
enum class Mode { kBinary, kText };

// The mode of a request's Content-Type ("application/grpc-web", "application/grpc-web+proto",
// "application/grpc-web-text", "application/grpc-web-text+proto", parameters after ';' ignored, case of
// the type ignored); nullopt for any other type (the caller answers 415).
std::optional<Mode> ParseContentType(absl::string_view content_type);
// The Content-Type of a response in `mode`.
const char* ResponseContentType(Mode mode);

inline constexpr uint8_t kTrailerFlag = 0x80;
inline constexpr uint8_t kCompressedFlag = 0x01;
inline constexpr size_t kFrameHeaderBytes = 5;

// Reads a request body that arrives in pieces of any size. In text mode the body is base64, possibly
// several padded pieces one after another ("AAAA" "AA==" "AAAA"); ASCII whitespace between characters
// is skipped. Each complete message frame's payload is appended to messages().
//
// Errors (the body is then unusable):
//   INVALID_ARGUMENT   malformed base64, a trailer frame or unknown flag bits in a request, or (Finish)
//                      a frame or base64 quantum cut short;
//   RESOURCE_EXHAUSTED a frame longer than max_message_bytes (found from its header, before buffering);
//   UNIMPLEMENTED      a compressed frame (the gateway announces no grpc-accept-encoding).
class RequestDecoder {
 public:
  RequestDecoder(Mode mode, size_t max_message_bytes) : mode_(mode), max_message_bytes_(max_message_bytes) {}

  absl::Status Feed(absl::string_view bytes);
  // The body has ended.
  absl::Status Finish();

  std::vector<std::string>& messages() { return messages_; }

 private:
  absl::Status FeedFramed(absl::string_view bytes);

  Mode mode_;
  size_t max_message_bytes_;
  // Text mode: up to three base64 characters of an unfinished quantum, and whether a padded quantum
  // ended the last piece (then a new piece may start, nothing else may follow inside this quantum).
  char quantum_[4] = {};
  int quantum_size_ = 0;
  // Framing: the header being read, then the payload.
  uint8_t header_[kFrameHeaderBytes] = {};
  size_t header_size_ = 0;
  size_t payload_expected_ = 0;
  bool in_payload_ = false;
  std::string payload_;
  std::vector<std::string> messages_;
  absl::Status error_;
};

// Appends the 5-byte header of a frame with `flags` and a payload of `length` bytes.
void AppendFrameHeader(uint8_t flags, uint32_t length, std::string* out);
// A whole message frame.
std::string MessageFrame(absl::string_view payload);

using Metadata = std::vector<std::pair<std::string, std::string>>;

// The trailer frame: "grpc-status: N\r\ngrpc-message: …\r\n" then every (already encoded) key: value.
std::string TrailerFrame(int grpc_status, absl::string_view grpc_message, const Metadata& trailers);

// grpc-message encoding: bytes outside printable ASCII, and '%', become %XX (upper-case hex).
std::string PercentEncodeMessage(absl::string_view message);
// The reverse (luoshi::PercentDecode, services/common/percent.h); a malformed escape is kept as it is.
std::string PercentDecodeMessage(absl::string_view encoded);

// Standard padded base64, for text-mode responses and -bin header values.
std::string Base64Encode(absl::string_view bytes);
// Decodes a -bin header value (padded or not); nullopt when it is not base64.
std::optional<std::string> Base64DecodeHeader(absl::string_view value);

// "1S", "250m", "3H" …: 1 to 8 digits and one of H M S m u n. INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view value);

// Whether `key` may be gRPC metadata: 1+ of [0-9a-z_.-], not starting with ':' or "grpc-".
bool IsValidMetadataKey(absl::string_view key);
// Whether `value` may be the value of a non-binary key: printable ASCII (0x20-0x7E).
bool IsValidMetadataValue(absl::string_view value);
inline bool IsBinaryKey(absl::string_view key) {
  return key.size() > 4 && key.substr(key.size() - 4) == "-bin";
}

}  // namespace luoshi::gateway::grpcweb

#endif  // LUOSHI_SERVICES_GATEWAY_GRPC_WEB_H_
