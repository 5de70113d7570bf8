// luoshi_gateway_bench: HTTP/1.1 and grpc-web on the wire, as the benchmark's clients write and read them.
#ifndef LUOSHI_SERVICES_GATEWAY_BENCH_HTTP_MESSAGES_H_
#define LUOSHI_SERVICES_GATEWAY_BENCH_HTTP_MESSAGES_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace luoshi::gateway_bench {

// HTTP/1.1 responses, read incrementally: head, then a Content-Length or chunked body. grpc-web frames
// are taken from the body as they complete.

class ResponseParser {
 public:
  void Reset() {
    state_ = State::kHead;
    head_.clear();
    body_.clear();
    line_.clear();
    status_ = 0;
    content_length_ = -1;
    remaining_ = 0;
    chunked_ = close_ = false;
    grpc_status_.clear();
    content_type_.clear();
  }

  // Takes bytes of one response. Returns how many were used (fewer than n only when the response ended
  // within them), or -1 when the response is malformed.
  long Feed(const char* p, size_t n) {
    size_t i = 0;
    while (i < n && state_ != State::kDone) {
      switch (state_) {
        case State::kHead: {
          const size_t old = head_.size();
          head_.append(p + i, n - i);
          size_t end = head_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
          if (end == std::string::npos) {
            if (head_.size() > (64 << 10)) return -1;
            i = n;
            break;
          }
          i += end + 4 - old;
          head_.resize(end + 4);
          if (!ParseHead()) return -1;
          if (status_ == 204 || status_ == 304) {
            state_ = State::kDone;
          } else if (chunked_) {
            state_ = State::kChunkSize;
          } else if (content_length_ >= 0) {
            remaining_ = static_cast<size_t>(content_length_);
            state_ = remaining_ == 0 ? State::kDone : State::kFixed;
          } else {
            return -1;  // a body delimited by the connection's end: not expected from the gateway
          }
          break;
        }
        case State::kFixed:
        case State::kChunkData: {
          size_t take = std::min(remaining_, n - i);
          body_.append(p + i, take);
          i += take;
          remaining_ -= take;
          if (remaining_ == 0) state_ = state_ == State::kFixed ? State::kDone : State::kChunkEnd;
          break;
        }
        case State::kChunkSize:
        case State::kChunkEnd:
        case State::kTrailer: {
          const char* nl = static_cast<const char*>(std::memchr(p + i, '\n', n - i));
          if (nl == nullptr) {
            line_.append(p + i, n - i);
            i = n;
            if (line_.size() > 4096) return -1;
            break;
          }
          line_.append(p + i, static_cast<size_t>(nl - (p + i)));
          i = static_cast<size_t>(nl - p) + 1;
          if (!line_.empty() && line_.back() == '\r') line_.pop_back();
          if (state_ == State::kChunkSize) {
            std::string hex = line_.substr(0, line_.find(';'));
            uint64_t size = 0;
            if (hex.empty() || !absl::SimpleHexAtoi(hex, &size)) return -1;
            state_ = size == 0 ? State::kTrailer : State::kChunkData;
            remaining_ = static_cast<size_t>(size);
          } else if (state_ == State::kChunkEnd) {
            if (!line_.empty()) return -1;
            state_ = State::kChunkSize;
          } else if (line_.empty()) {  // the blank line after the (empty) trailer section
            state_ = State::kDone;
          }
          line_.clear();
          break;
        }
        case State::kDone:
          break;
      }
    }
    return static_cast<long>(i);
  }

  bool done() const { return state_ == State::kDone; }
  bool in_body() const { return state_ != State::kHead; }
  int status() const { return status_; }
  bool close() const { return close_; }
  const std::string& grpc_status_header() const { return grpc_status_; }
  const std::string& content_type() const { return content_type_; }
  std::string& body() { return body_; }

 private:
  enum class State { kHead, kFixed, kChunkSize, kChunkData, kChunkEnd, kTrailer, kDone };

  bool ParseHead() {
    std::vector<absl::string_view> lines = absl::StrSplit(head_, "\r\n");
    if (lines.empty() || !absl::StartsWith(lines[0], "HTTP/1.") || lines[0].size() < 12) return false;
    if (!absl::SimpleAtoi(lines[0].substr(9, 3), &status_)) return false;
    close_ = absl::StartsWith(lines[0], "HTTP/1.0");
    for (size_t k = 1; k < lines.size(); ++k) {
      size_t colon = lines[k].find(':');
      if (colon == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(lines[k].substr(0, colon));
      absl::string_view value = absl::StripAsciiWhitespace(lines[k].substr(colon + 1));
      if (name == "content-length") {
        if (!absl::SimpleAtoi(value, &content_length_)) return false;
      } else if (name == "transfer-encoding") {
        chunked_ = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
      } else if (name == "connection") {
        close_ = absl::EqualsIgnoreCase(value, "close");
      } else if (name == "grpc-status") {
        grpc_status_ = std::string(value);
      } else if (name == "content-type") {
        content_type_ = std::string(value);
      }
    }
    return true;
  }

  State state_ = State::kHead;
  std::string head_, body_, line_;
  int status_ = 0;
  int64_t content_length_ = -1;
  size_t remaining_ = 0;
  bool chunked_ = false, close_ = false;
  std::string grpc_status_, content_type_;
};

// Takes the next complete grpc-web frame from body[*pos...]; false when none is complete yet.
bool NextFrame(const std::string& body, size_t* pos, uint8_t* flags, absl::string_view* payload);

// The grpc-status of a trailer frame's block ("grpc-status: 0\r\n…"); -1 when absent.
int TrailerStatus(absl::string_view block);

std::string GrpcWebFrame(const std::string& message);

// What a browser on the gateway's own origin sends, roughly (connect-web's grpc-web transport in Chrome).
std::string BrowserHeaders(int port);

// A grpc-web POST of `message` to `path`, as the browser sends it; `timeout` is its grpc-timeout.
std::string GrpcWebRequest(int port, const std::string& path, const std::string& message,
                           const std::string& timeout);

// GET / as the browser sends it.
std::string StaticRequest(int port);

}  // namespace luoshi::gateway_bench

#endif  // LUOSHI_SERVICES_GATEWAY_BENCH_HTTP_MESSAGES_H_
