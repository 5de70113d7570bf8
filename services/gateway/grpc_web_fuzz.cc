// Fuzz target for the grpc-web request parser (framing and base64) and the small codecs beside it: any
// bytes, cut into pieces of any size, must give messages or a clear error, never a crash, a hang or a
// buffer past the message limit; whatever decodes must be exactly what the bytes framed.
//
// Built for libFuzzer by scripts/fuzz.sh (clang, -DLUOSHI_FUZZ=ON); the regular build links the same
// function into grpc_web_test, which feeds it a bounded number of deterministic random inputs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/grpc_web.h"

namespace gw = luoshi::gateway::grpcweb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: mode (bit 0), piece size (bits 1-4, 1..16), message limit (bits 5-7).
  const uint8_t control = data[0];
  const gw::Mode mode = (control & 1) ? gw::Mode::kText : gw::Mode::kBinary;
  const size_t step = ((control >> 1) & 0xf) + 1;
  const size_t limit = size_t{1} << (4 + ((control >> 5) & 7) * 2);  // 16 B … 256 KiB
  absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  gw::RequestDecoder decoder(mode, limit);
  absl::Status status;
  for (size_t i = 0; i < body.size() && status.ok(); i += step) status = decoder.Feed(body.substr(i, step));
  if (status.ok()) status = decoder.Finish();
  if (status.ok()) {
    std::string framed;
    for (const std::string& m : decoder.messages()) {
      if (m.size() > limit) __builtin_trap();
      framed += gw::MessageFrame(m);
    }
    // Binary: the frames are the body itself. Text: the body decodes (whitespace aside) to them.
    if (mode == gw::Mode::kBinary && framed != body) __builtin_trap();
    if (mode == gw::Mode::kText) {
      gw::RequestDecoder again(gw::Mode::kBinary, limit);
      if (!again.Feed(framed).ok() || !again.Finish().ok() || again.messages() != decoder.messages())
        __builtin_trap();
    }
  } else if (status.code() != absl::StatusCode::kInvalidArgument &&
             status.code() != absl::StatusCode::kResourceExhausted &&
             status.code() != absl::StatusCode::kUnimplemented) {
    __builtin_trap();
  }

  // The header-level codecs on the same bytes.
  std::string text(body);
  if (gw::PercentDecodeMessage(gw::PercentEncodeMessage(text)) != text) __builtin_trap();
  if (!gw::IsValidMetadataValue(gw::PercentEncodeMessage(text))) __builtin_trap();
  auto decoded = gw::Base64DecodeHeader(gw::Base64Encode(text));
  if (!decoded || *decoded != text) __builtin_trap();
  (void)gw::Base64DecodeHeader(text);
  (void)gw::ParseTimeout(text);
  (void)gw::ParseContentType(text);
  (void)gw::TrailerFrame(static_cast<int>(control), text, {{"k", gw::PercentEncodeMessage(text)}});
  return 0;
}
