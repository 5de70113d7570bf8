#include "services/gateway/grpc_web.h"

#include <random>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace luoshi::gateway::grpcweb {
namespace {

std::string Frames(std::initializer_list<std::string> payloads) {
  std::string out;
  for (const auto& p : payloads) out += MessageFrame(p);
  return out;
}

TEST(ContentTypeTest, KnowsTheFourGrpcWebTypes) {
  EXPECT_EQ(ParseContentType("application/grpc-web"), Mode::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web+proto"), Mode::kBinary);
  EXPECT_EQ(ParseContentType("Application/GRPC-Web+proto; charset=utf-8"), Mode::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web-text"), Mode::kText);
  EXPECT_EQ(ParseContentType("application/grpc-web-text+proto"), Mode::kText);
  EXPECT_EQ(ParseContentType("application/grpc"), std::nullopt);
  EXPECT_EQ(ParseContentType("application/grpc-web+json"), std::nullopt);
  EXPECT_EQ(ParseContentType("text/plain"), std::nullopt);
  EXPECT_EQ(ParseContentType(""), std::nullopt);
}

TEST(RequestDecoderTest, BinaryInAnyChunking) {
  std::string body = Frames({"hello", "", std::string(300, 'x')});
  for (size_t step : {1, 2, 3, 7, 1000}) {
    RequestDecoder d(Mode::kBinary, 1 << 20);
    for (size_t i = 0; i < body.size(); i += step) ASSERT_TRUE(d.Feed(body.substr(i, step)).ok());
    ASSERT_TRUE(d.Finish().ok());
    ASSERT_EQ(d.messages().size(), 3u) << step;
    EXPECT_EQ(d.messages()[0], "hello");
    EXPECT_EQ(d.messages()[1], "");
    EXPECT_EQ(d.messages()[2], std::string(300, 'x'));
  }
}

TEST(RequestDecoderTest, TextModeInPiecesWithPaddingInside) {
  // Each frame as its own padded base64 piece, then fed in 1, 2 and 3 byte chunks.
  std::string body = Base64Encode(MessageFrame("任务")) + Base64Encode(MessageFrame("ab")) + "\r\n";
  ASSERT_NE(body.find('='), std::string::npos);
  ASSERT_LT(body.find('='), body.size() - 4) << "padding must sit inside the body";
  for (size_t step : {1, 2, 3}) {
    RequestDecoder d(Mode::kText, 1 << 20);
    for (size_t i = 0; i < body.size(); i += step) ASSERT_TRUE(d.Feed(body.substr(i, step)).ok()) << step;
    ASSERT_TRUE(d.Finish().ok());
    ASSERT_EQ(d.messages().size(), 2u);
    EXPECT_EQ(d.messages()[0], "任务");
    EXPECT_EQ(d.messages()[1], "ab");
  }
}

TEST(RequestDecoderTest, MalformedInputIsInvalidArgument) {
  auto status_of = [](Mode mode, const std::string& body) {
    RequestDecoder d(mode, 1 << 20);
    absl::Status s = d.Feed(body);
    return s.ok() ? d.Finish() : s;
  };
  EXPECT_EQ(status_of(Mode::kText, "AA*A").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kText, "A===").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kText, "AA=A").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kText, "AAAAA").code(), absl::StatusCode::kInvalidArgument);  // cut quantum
  EXPECT_EQ(status_of(Mode::kBinary, std::string("\0\0\0\0\5abc", 8)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kBinary, std::string("\0\0\0", 3)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kBinary, std::string("\x80\0\0\0\0", 5)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kBinary, std::string("\x04\0\0\0\0", 5)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of(Mode::kBinary, std::string("\x01\0\0\0\0", 5)).code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(status_of(Mode::kBinary, "").ok());
}

TEST(RequestDecoderTest, OversizedMessageRefusedFromItsHeader) {
  RequestDecoder d(Mode::kBinary, 10);
  std::string header;
  AppendFrameHeader(0, 0x7fffffff, &header);
  absl::Status s = d.Feed(header);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("10 bytes"), absl::string_view::npos);
  // Further input is refused the same way (nothing is buffered).
  EXPECT_EQ(d.Feed("more").code(), absl::StatusCode::kResourceExhausted);
}

TEST(TrailerFrameTest, StatusMessageAndMetadata) {
  std::string frame = TrailerFrame(5, "任务不存在: T9", {{"x-luoshi-trace", "abc"}});
  ASSERT_GE(frame.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), kTrailerFlag);
  uint32_t len =
      (uint8_t(frame[1]) << 24) | (uint8_t(frame[2]) << 16) | (uint8_t(frame[3]) << 8) | uint8_t(frame[4]);
  EXPECT_EQ(len, frame.size() - 5);
  EXPECT_EQ(frame.substr(5),
            "grpc-status: 5\r\ngrpc-message: %E4%BB%BB%E5%8A%A1%E4%B8%8D%E5%AD%98%E5%9C%A8: T9\r\n"
            "x-luoshi-trace: abc\r\n");
}

TEST(PercentEncodingTest, RoundTripsAnyBytes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string encoded = PercentEncodeMessage(all);
  EXPECT_TRUE(IsValidMetadataValue(encoded));
  EXPECT_EQ(PercentDecodeMessage(encoded), all);
  EXPECT_EQ(PercentEncodeMessage("100% done"), "100%25 done");
  EXPECT_EQ(PercentDecodeMessage("bad %zz and %4"), "bad %zz and %4");
}

TEST(TimeoutTest, EveryUnit) {
  EXPECT_EQ(*ParseTimeout("2H"), absl::Hours(2));
  EXPECT_EQ(*ParseTimeout("3M"), absl::Minutes(3));
  EXPECT_EQ(*ParseTimeout("10S"), absl::Seconds(10));
  EXPECT_EQ(*ParseTimeout("250m"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseTimeout("99999999u"), absl::Microseconds(99999999));
  EXPECT_EQ(*ParseTimeout("5n"), absl::Nanoseconds(5));
  for (const char* bad : {"", "S", "10", "10s", "-1S", "123456789S", "1.5S", "10 S"}) {
    EXPECT_FALSE(ParseTimeout(bad).ok()) << bad;
  }
}

TEST(MetadataTest, KeysValuesAndBinary) {
  EXPECT_TRUE(IsValidMetadataKey("x-luoshi-unit"));
  EXPECT_TRUE(IsValidMetadataKey("authorization"));
  EXPECT_FALSE(IsValidMetadataKey("X-Upper"));
  EXPECT_FALSE(IsValidMetadataKey("grpc-status"));
  EXPECT_FALSE(IsValidMetadataKey(":path"));
  EXPECT_FALSE(IsValidMetadataKey(""));
  EXPECT_FALSE(IsValidMetadataValue("区财政局"));
  EXPECT_FALSE(IsValidMetadataValue("a\nb"));
  EXPECT_TRUE(IsBinaryKey("x-trace-bin"));
  EXPECT_FALSE(IsBinaryKey("-bin"));
  EXPECT_EQ(*Base64DecodeHeader("AAEC/w=="), std::string("\0\1\2\xff", 4));
  EXPECT_EQ(*Base64DecodeHeader("AAEC/w"), std::string("\0\1\2\xff", 4));
  EXPECT_FALSE(Base64DecodeHeader("A").has_value());
  EXPECT_FALSE(Base64DecodeHeader("AA==AA==").has_value());
  EXPECT_FALSE(Base64DecodeHeader("%%%%").has_value());
}

// The fuzz target (grpc_web_fuzz.cc; libFuzzer runs it in scripts/fuzz.sh) on deterministic random
// inputs: well-formed frames in both modes, then the same with bytes flipped, cut or inserted.
TEST(GrpcWebFuzzTargetTest, BoundedRandomInputsNeverCrash) {
  std::mt19937 rng(16);
  auto run = [](const std::string& input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  };
  for (int i = 0; i < 20000; ++i) {
    std::string frames;
    int count = rng() % 4;
    for (int m = 0; m < count; ++m) frames += MessageFrame(std::string(rng() % 40, static_cast<char>(rng())));
    char control = static_cast<char>(rng());
    std::string body = (control & 1) ? Base64Encode(frames) : frames;
    int edits = rng() % 3;
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[at] = static_cast<char>(rng());
          break;
        case 1:
          body.resize(at);
          break;
        default:
          body.insert(at, 1, "=A+/\n\x80\0"[rng() % 8]);
          break;
      }
    }
    run(std::string(1, control) + body);
  }
}

}  // namespace
}  // namespace luoshi::gateway::grpcweb
