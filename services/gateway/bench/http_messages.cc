// luoshi_gateway_bench: grpc-web frames and the requests of a browser on the gateway's origin.
#include "services/gateway/bench/http_messages.h"

#include "absl/strings/str_cat.h"
#include "services/gateway/bench/common.h"

namespace luoshi::gateway_bench {

// Takes the next complete grpc-web frame from body[*pos...]; false when none is complete yet.
bool NextFrame(const std::string& body, size_t* pos, uint8_t* flags, absl::string_view* payload) {
  if (body.size() - *pos < 5) return false;
  const auto* h = reinterpret_cast<const unsigned char*>(body.data() + *pos);
  uint32_t length = (uint32_t{h[1]} << 24) | (uint32_t{h[2]} << 16) | (uint32_t{h[3]} << 8) | h[4];
  if (body.size() - *pos - 5 < length) return false;
  *flags = h[0];
  *payload = absl::string_view(body.data() + *pos + 5, length);
  *pos += 5 + length;
  return true;
}

// The grpc-status of a trailer frame's block ("grpc-status: 0\r\n…"); -1 when absent.
int TrailerStatus(absl::string_view block) {
  for (absl::string_view line : absl::StrSplit(block, "\r\n")) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)), "grpc-status")) continue;
    int code = -1;
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &code) ? code : -1;
  }
  return -1;
}

std::string GrpcWebFrame(const std::string& message) {
  std::string out(5, '\0');
  const uint32_t n = static_cast<uint32_t>(message.size());
  out[1] = static_cast<char>(n >> 24);
  out[2] = static_cast<char>(n >> 16);
  out[3] = static_cast<char>(n >> 8);
  out[4] = static_cast<char>(n);
  return out + message;
}

// What a browser on the gateway's own origin sends, roughly (connect-web's grpc-web transport in Chrome).
std::string BrowserHeaders(int port) {
  return absl::StrCat("Host: 127.0.0.1:", port,
                      "\r\nConnection: keep-alive\r\n"
                      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/120.0.0.0 Safari/537.36\r\n"
                      "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: zh-CN,zh;q=0.9\r\n");
}

std::string GrpcWebRequest(int port, const std::string& path, const std::string& message,
                           const std::string& timeout) {
  const std::string frame = GrpcWebFrame(message);
  return absl::StrCat(
      "POST ", path, " HTTP/1.1\r\n", BrowserHeaders(port), "Accept: */*\r\nOrigin: http://127.0.0.1:", port,
      "\r\nReferer: http://127.0.0.1:", port,
      "/\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n"
      "X-User-Agent: connect-es/1.4.0\r\ngrpc-timeout: ",
      timeout, "\r\nauthorization: ", AdminAuthorization(), "\r\nContent-Length: ", frame.size(),
      "\r\n\r\n", frame);
}

std::string StaticRequest(int port) {
  return absl::StrCat("GET / HTTP/1.1\r\n", BrowserHeaders(port),
                      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\r\n");
}

}  // namespace luoshi::gateway_bench
