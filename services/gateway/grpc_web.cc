#include "services/gateway/grpc_web.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/percent.h"

namespace luoshi::gateway::grpcweb {
namespace {

// Value of a base64 character, -1 for anything else ('=' included).
int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Decodes one complete 4-character quantum (padding allowed at the end) into `out`. False if malformed.
bool DecodeQuantum(const char q[4], std::string* out) {
  int v[4];
  int pad = 0;
  for (int i = 0; i < 4; ++i) {
    if (q[i] == '=') {
      if (i < 2) return false;  // "=" can only stand for the third and fourth character
      ++pad;
      v[i] = 0;
      continue;
    }
    if (pad > 0) return false;  // a character after padding inside one quantum
    v[i] = Base64Value(static_cast<unsigned char>(q[i]));
    if (v[i] < 0) return false;
  }
  uint32_t bits = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
  out->push_back(static_cast<char>((bits >> 16) & 0xff));
  if (pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xff));
  if (pad < 1) out->push_back(static_cast<char>(bits & 0xff));
  return true;
}

}  // namespace

std::optional<Mode> ParseContentType(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  type = absl::StripAsciiWhitespace(type);
  if (absl::EqualsIgnoreCase(type, "application/grpc-web") ||
      absl::EqualsIgnoreCase(type, "application/grpc-web+proto")) {
    return Mode::kBinary;
  }
  if (absl::EqualsIgnoreCase(type, "application/grpc-web-text") ||
      absl::EqualsIgnoreCase(type, "application/grpc-web-text+proto")) {
    return Mode::kText;
  }
  return std::nullopt;
}

const char* ResponseContentType(Mode mode) {
  return mode == Mode::kBinary ? "application/grpc-web+proto" : "application/grpc-web-text+proto";
}

absl::Status RequestDecoder::Feed(absl::string_view bytes) {
  if (!error_.ok()) return error_;
  if (mode_ == Mode::kBinary) {
    error_ = FeedFramed(bytes);
    return error_;
  }
  // Text mode: decode whole quanta as they complete and pass the bytes on in runs.
  std::string decoded;
  decoded.reserve(bytes.size() / 4 * 3 + 3);
  for (char c : bytes) {
    if (IsAsciiSpace(c)) continue;
    if (c != '=' && Base64Value(static_cast<unsigned char>(c)) < 0) {
      error_ = absl::InvalidArgumentError("the grpc-web-text body is not base64");
      return error_;
    }
    quantum_[quantum_size_++] = c;
    if (quantum_size_ == 4) {
      quantum_size_ = 0;
      if (!DecodeQuantum(quantum_, &decoded)) {
        error_ = absl::InvalidArgumentError("the grpc-web-text body has misplaced base64 padding");
        return error_;
      }
    }
  }
  error_ = FeedFramed(decoded);
  return error_;
}

absl::Status RequestDecoder::FeedFramed(absl::string_view bytes) {
  while (!bytes.empty()) {
    if (!in_payload_) {
      size_t take = std::min(kFrameHeaderBytes - header_size_, bytes.size());
      std::memcpy(header_ + header_size_, bytes.data(), take);
      header_size_ += take;
      bytes.remove_prefix(take);
      if (header_size_ < kFrameHeaderBytes) return absl::OkStatus();
      uint8_t flags = header_[0];
      uint32_t length = (uint32_t{header_[1]} << 24) | (uint32_t{header_[2]} << 16) |
                        (uint32_t{header_[3]} << 8) | uint32_t{header_[4]};
      if (flags & kTrailerFlag)
        return absl::InvalidArgumentError("a grpc-web request cannot carry a trailer frame");
      if (flags & kCompressedFlag) {
        return absl::UnimplementedError(
            "compressed grpc-web messages are not accepted; send them uncompressed");
      }
      if (flags != 0)
        return absl::InvalidArgumentError(absl::StrCat("unknown grpc-web frame flags 0x", absl::Hex(flags)));
      if (length > max_message_bytes_) {
        return absl::ResourceExhaustedError(absl::StrCat("request message of ", length,
                                                         " bytes is larger than the ", max_message_bytes_,
                                                         " bytes this gateway accepts"));
      }
      header_size_ = 0;
      in_payload_ = true;
      payload_expected_ = length;
      payload_.clear();
      payload_.reserve(length);
    }
    size_t take = std::min(payload_expected_ - payload_.size(), bytes.size());
    payload_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    if (payload_.size() == payload_expected_) {
      messages_.push_back(std::move(payload_));
      payload_ = std::string();
      in_payload_ = false;
    }
  }
  return absl::OkStatus();
}

absl::Status RequestDecoder::Finish() {
  if (!error_.ok()) return error_;
  if (quantum_size_ != 0) {
    error_ = absl::InvalidArgumentError("the grpc-web-text body ends inside a base64 quantum");
  } else if (in_payload_ || header_size_ != 0) {
    error_ = absl::InvalidArgumentError("the grpc-web body ends inside a message frame");
  }
  return error_;
}

void AppendFrameHeader(uint8_t flags, uint32_t length, std::string* out) {
  char header[kFrameHeaderBytes] = {static_cast<char>(flags), static_cast<char>((length >> 24) & 0xff),
                                    static_cast<char>((length >> 16) & 0xff),
                                    static_cast<char>((length >> 8) & 0xff),
                                    static_cast<char>(length & 0xff)};
  out->append(header, kFrameHeaderBytes);
}

std::string MessageFrame(absl::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  AppendFrameHeader(0, static_cast<uint32_t>(payload.size()), &out);
  out.append(payload.data(), payload.size());
  return out;
}

std::string TrailerFrame(int grpc_status, absl::string_view grpc_message, const Metadata& trailers) {
  std::string block = absl::StrCat("grpc-status: ", grpc_status, "\r\n");
  if (!grpc_message.empty())
    absl::StrAppend(&block, "grpc-message: ", PercentEncodeMessage(grpc_message), "\r\n");
  for (const auto& [key, value] : trailers) absl::StrAppend(&block, key, ": ", value, "\r\n");
  std::string out;
  AppendFrameHeader(kTrailerFlag, static_cast<uint32_t>(block.size()), &out);
  out += block;
  return out;
}

std::string PercentEncodeMessage(absl::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string PercentDecodeMessage(absl::string_view encoded) { return PercentDecode(encoded); }

std::string Base64Encode(absl::string_view bytes) {
  std::string out;
  absl::Base64Escape(bytes, &out);
  return out;
}

std::optional<std::string> Base64DecodeHeader(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  while (!value.empty() && value.back() == '=') value.remove_suffix(1);
  if (value.size() % 4 == 1) return std::nullopt;
  std::string padded(value);
  while (padded.size() % 4 != 0) padded.push_back('=');
  std::string out;
  out.reserve(padded.size() / 4 * 3);
  for (size_t i = 0; i < padded.size(); i += 4) {
    if (!DecodeQuantum(padded.data() + i, &out)) return std::nullopt;
    // Padding may only close the value.
    if (padded[i + 3] == '=' && i + 4 != padded.size()) return std::nullopt;
  }
  return out;
}

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) {
    return absl::InvalidArgumentError(
        absl::StrCat("grpc-timeout \"", value, "\" is not 1-8 digits and a unit"));
  }
  absl::string_view digits = value.substr(0, value.size() - 1);
  int64_t amount = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("grpc-timeout \"", value, "\" is not 1-8 digits and a unit"));
    }
    amount = amount * 10 + (c - '0');
  }
  switch (value.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("grpc-timeout \"", value, "\" has no unit (H, M, S, m, u or n)"));
  }
}

bool IsValidMetadataKey(absl::string_view key) {
  if (key.empty() || absl::StartsWith(key, "grpc-")) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsValidMetadataValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace luoshi::gateway::grpcweb
