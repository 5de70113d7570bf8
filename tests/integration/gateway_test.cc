// The grpc-web gateway over real sockets: a gateway in this process (so the sanitizers see it) in front
// of the real task service (a child process) and of an echo service in this process whose behaviour the
// test steers through metadata (see EchoReactor). Requests are written byte by byte where the protocol
// allows any chunking; answers are read as a browser would, frame by frame.
#include "services/gateway/gateway.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "services/gateway/grpc_web.h"
#include "services/gateway/http_server.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using gateway::grpcweb::Mode;

constexpr char kEchoService[] = "test.v1.Echo";
constexpr char kEchoMethod[] = "/test.v1.Echo/Call";
constexpr char kNotFoundMessage[] = "任务不存在：T999";

// ---------------------------------------------------------------------------------------------------
// The echo service: answers every request message with itself, in order, then
//   x-test-echo-stream: N        N more copies of the first message,
//   x-test-echo-interval-ms: M   M ms apart (and before the first copy),
//   x-test-echo-fail: CODE       ends with that status and kNotFoundMessage instead of OK.
// Its trailing metadata repeats every client metadata key as echo-<key> (binary keys stay binary) and
// echo-deadline-ms, the time the call had left when it arrived.
struct EchoBackend {
  std::atomic<int> calls{0};
  std::atomic<int> cancelled{0};
  std::atomic<int> done{0};
  // Calls that sent x-test-echo-id, by id: whether the service saw them cancelled, and ended.
  absl::Mutex mu;
  std::set<std::string> cancelled_ids ABSL_GUARDED_BY(mu);
  std::set<std::string> done_ids ABSL_GUARDED_BY(mu);
  bool Cancelled(const std::string& id) {
    absl::MutexLock lock(&mu);
    return cancelled_ids.count(id) > 0;
  }
  bool Done(const std::string& id) {
    absl::MutexLock lock(&mu);
    return done_ids.count(id) > 0;
  }
  grpc::CallbackGenericService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

class EchoReactor : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor(grpc::GenericCallbackServerContext* context, EchoBackend* backend)
      : context_(context), backend_(backend) {
    ++backend_->calls;
    auto remaining = context->deadline() - std::chrono::system_clock::now();
    trailers_.emplace_back(
        "echo-deadline-ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(remaining).count()));
    for (const auto& [k, v] : context->client_metadata()) {
      std::string key(k.data(), k.size()), value(v.data(), v.size());
      if (key == "x-test-echo-stream") stream_ = std::stoi(value);
      if (key == "x-test-echo-interval-ms") interval_ms_ = std::stoi(value);
      if (key == "x-test-echo-fail") fail_ = std::stoi(value);
      if (key == "x-test-echo-id") id_ = value;
      if (key == "x-test-echo-details-bin") details_ = value;
      if (key.rfind("grpc-", 0) != 0 && key != "user-agent" && key[0] != ':')
        trailers_.emplace_back("echo-" + key, value);
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      received_.push_back(in_);
      StartRead(&in_);
      return;
    }
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    Next();
  }
  void OnCancel() override {
    cancelled_ = true;
    ++backend_->cancelled;
    absl::MutexLock lock(&backend_->mu);
    backend_->cancelled_ids.insert(id_);
  }
  void OnDone() override {
    ++backend_->done;
    {
      absl::MutexLock lock(&backend_->mu);
      backend_->done_ids.insert(id_);
    }
    delete this;
  }

 private:
  void Next() {
    if (written_ < received_.size()) {
      out_ = received_[written_++];
      StartWrite(&out_);
      return;
    }
    if (streamed_ < stream_ && !received_.empty()) {
      ++streamed_;
      // One timer thread at a time: the reactor lives until FinishOnce, which only this path calls.
      std::thread([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms_));
        if (cancelled_) return FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
        out_ = received_[0];
        StartWrite(&out_);
      }).detach();
      return;
    }
    for (auto& [k, v] : trailers_) context_->AddTrailingMetadata(k, v);
    if (fail_ != 0) {
      return FinishOnce(grpc::Status(static_cast<grpc::StatusCode>(fail_), kNotFoundMessage, details_));
    }
    FinishOnce(grpc::Status::OK);
  }
  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return;
    Finish(status);
  }

  grpc::GenericCallbackServerContext* context_;
  EchoBackend* backend_;
  grpc::ByteBuffer in_, out_;
  std::vector<grpc::ByteBuffer> received_;
  std::vector<std::pair<std::string, std::string>> trailers_;
  size_t written_ = 0;
  int stream_ = 0, streamed_ = 0, interval_ms_ = 0, fail_ = 0;
  std::string id_;
  std::string details_;  // binary status details to fail with
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

class EchoService : public grpc::CallbackGenericService {
 public:
  explicit EchoService(EchoBackend* backend) : backend_(backend) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    return new EchoReactor(context, backend_);
  }

 private:
  EchoBackend* backend_;
};

// ---------------------------------------------------------------------------------------------------
// HTTP on a raw socket.

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case
  std::string body;                            // de-chunked
  std::string Header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "" : it->second;
  }
};

class Client {
 public:
  explicit Client(int port) : stream_(io_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    stream_.socket().set_option(tcp::no_delay(true));
  }
  // False when the server has closed (it may refuse a request before reading all of it).
  bool Send(const std::string& bytes) {
    beast::error_code ec;
    asio::write(stream_.socket(), asio::buffer(bytes), ec);
    return !ec;
  }
  // Sends in pieces of `step` bytes, each its own write.
  void SendInPieces(const std::string& bytes, size_t step) {
    for (size_t i = 0; i < bytes.size(); i += step) {
      Send(bytes.substr(i, step));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // Reads one whole response (up to `timeout`).
  Response Read(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_request = false) {
    StartResponse(timeout);
    parser_->skip(head_request);
    beast::error_code ec;
    http::read(stream_, buffer_, *parser_, ec);
    EXPECT_FALSE(ec) << ec.message();
    return Take();
  }
  // For streamed answers: reads the header, then body bytes as they come.
  void StartResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    parser_.emplace();
    parser_->body_limit(boost::none);
    stream_.expires_after(timeout);
  }
  // Reads until the body so far satisfies `enough`; false on timeout or end.
  bool ReadUntil(const std::function<bool(const std::string&)>& enough,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    stream_.expires_after(timeout);
    while (!enough(parser_->get().body())) {
      if (parser_->is_done()) return false;
      beast::error_code ec;
      http::read_some(stream_, buffer_, *parser_, ec);
      if (ec) return false;
    }
    return true;
  }
  // Reads until the response's header is complete; false on timeout.
  bool ReadHeader(std::chrono::milliseconds timeout) {
    stream_.expires_after(timeout);
    beast::error_code ec;
    http::read_header(stream_, buffer_, *parser_, ec);
    return !ec;
  }
  const http::response_parser<http::string_body>& parser() const { return *parser_; }
  Response Take() {
    Response r;
    auto& m = parser_->get();
    r.status = m.result_int();
    for (const auto& f : m)
      r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    r.body = m.body();
    return r;
  }
  // True when the server closed the connection (a read gives EOF) within `timeout`.
  bool ClosedByServer(std::chrono::milliseconds timeout) {
    stream_.expires_after(timeout);
    char c;
    beast::error_code ec;
    stream_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

std::string Post(const std::string& path, const std::string& body, const std::string& content_type,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}, bool chunked = false) {
  std::string req =
      absl::StrCat("POST ", path, " HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ", content_type, "\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&req, k, ": ", v, "\r\n");
  if (chunked) {
    absl::StrAppend(&req, "transfer-encoding: chunked\r\n\r\n");
  } else {
    absl::StrAppend(&req, "content-length: ", body.size(), "\r\n\r\n", body);
  }
  return req;
}

// The frames of a grpc-web response body: message payloads and the trailer block's fields.
struct Frames {
  std::vector<std::string> messages;
  std::map<std::string, std::string> trailers;
  bool has_trailer = false;
  bool ok = true;
};

std::string DecodeText(const std::string& text) {
  std::string out;
  for (size_t i = 0; i + 4 <= text.size(); i += 4) {
    auto piece = gateway::grpcweb::Base64DecodeHeader(text.substr(i, 4));
    if (piece) out += *piece;
  }
  return out;
}

Frames ParseFrames(const std::string& body, Mode mode) {
  std::string bytes = mode == Mode::kText ? DecodeText(body) : body;
  Frames f;
  size_t i = 0;
  while (i + 5 <= bytes.size()) {
    uint8_t flags = static_cast<uint8_t>(bytes[i]);
    uint32_t len = (uint8_t(bytes[i + 1]) << 24) | (uint8_t(bytes[i + 2]) << 16) |
                   (uint8_t(bytes[i + 3]) << 8) | uint8_t(bytes[i + 4]);
    if (i + 5 + len > bytes.size()) break;
    std::string payload = bytes.substr(i + 5, len);
    i += 5 + len;
    if (flags & 0x80) {
      f.has_trailer = true;
      for (absl::string_view line : absl::StrSplit(payload, "\r\n", absl::SkipEmpty())) {
        size_t colon = line.find(':');
        f.trailers[std::string(line.substr(0, colon))] =
            std::string(absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
      }
    } else {
      f.messages.push_back(payload);
    }
  }
  f.ok = i == bytes.size();
  return f;
}

size_t CountMessages(const std::string& body) { return ParseFrames(body, Mode::kBinary).messages.size(); }

// The request header that signs in as `who`.
std::pair<std::string, std::string> SignedInAs(const Identity& who) {
  return {"authorization", "Bearer " + ProgramTokens().For(who)};
}

std::vector<std::pair<std::string, std::string>> Admin() { return {SignedInAs(AdminIdentity())}; }

std::string Serialize(const google::protobuf::Message& m) { return m.SerializeAsString(); }

template <class T>
T Parse(const std::string& bytes) {
  T m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

// A self-signed P-256 certificate for 127.0.0.1 and its key, as PEM files.
bool WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) return false;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  FILE* c = std::fopen(cert_path.c_str(), "w");
  FILE* k = std::fopen(key_path.c_str(), "w");
  ok = ok && c && k && PEM_write_X509(c, cert) &&
       PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  if (c) std::fclose(c);
  if (k) std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// ---------------------------------------------------------------------------------------------------

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FreshTestDir("gateway_test"));
    tasks_ = new ServiceProcess();
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + *dir_ + "/tasks.db");
    absl::Status s = tasks_->Start(BinaryPath("tasks/luoshi-tasks"), args);
    ASSERT_TRUE(s.ok()) << s;
    echo_ = new EchoBackend();
    echo_->server = [] {
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &echo_->port);
      static EchoService* service = nullptr;
      service = new EchoService(echo_);
      builder.RegisterCallbackGenericService(service);
      return builder.BuildAndStart();
    }();
    ASSERT_GT(echo_->port, 0);
    // A port nothing listens on, for the "backend down" case.
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    down_port_ = a.local_endpoint().port();
    a.close();
    ImportPlan();
  }
  static void TearDownTestSuite() {
    echo_->server->Shutdown();
    delete echo_;
    EXPECT_EQ(tasks_->Stop(), 0);
    delete tasks_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  // A plan with two tasks of 区农业农村局, imported directly.
  static void ImportPlan() {
    auto stub = luoshi::v1::TaskService::NewStub(MakeChannel(tasks_->address()));
    luoshi::v1::ImportPlanRequest req;
    req.set_document_id("doc-gateway-test");
    req.set_document_sha256(std::string(64, 'a'));
    req.set_plan_key("gateway-test");
    req.set_title("网关测试方案");
    req.set_year(2023);
    req.set_region("大兴区");
    for (int i = 1; i <= 2; ++i) {
      auto* t = req.add_tasks();
      t->set_number(std::to_string(i));
      t->set_text(absl::StrCat("第", i, "项任务：完成选址"));
      t->add_responsible_units("区农业农村局");
      t->mutable_deadline()->set_text("2023年12月31日");
      t->mutable_deadline()->set_date("2023-12-31");
    }
    grpc::ClientContext ctx;
    ProgramTokens().Attach(AdminIdentity(), &ctx);
    luoshi::v1::ImportPlanResponse resp;
    grpc::Status s = stub->ImportPlan(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void SetUp() override { StartGateway({}); }
  void TearDown() override { StopGateway(); }

  void StartGateway(std::function<void(gateway::GatewayConfig&, gateway::HttpServerOptions&)> adjust) {
    StopGateway();
    gateway::GatewayConfig config;
    config.backends = {{"luoshi.v1.TaskService", "tasks", tasks_->address()},
                       {kEchoService, "echo", absl::StrCat("127.0.0.1:", echo_->port)},
                       {"test.v1.Down", "down", absl::StrCat("127.0.0.1:", down_port_)}};
    config.web_root = *dir_ + "/web";
    config.proxy.default_timeout = absl::Seconds(30);
    config.proxy.max_timeout = absl::Minutes(1);
    config.proxy.forward_headers.push_back("x-test-*");  // the echo backend's instructions
    gateway::HttpServerOptions options;
    if (adjust) adjust(config, options);
    gateway_ = std::make_unique<gateway::Gateway>(config);
    server_ = std::make_unique<gateway::HttpServer>(
        [g = gateway_.get()](std::shared_ptr<gateway::HttpExchange> e) { g->Handle(e); }, options);
    ASSERT_TRUE(server_->Start("127.0.0.1:0").ok());
    port_ = server_->port();
  }
  void StopGateway() {
    if (gateway_) gateway_->Shutdown();
    if (server_) server_->Stop();
    server_.reset();
    gateway_.reset();
  }

  // The same call made directly over gRPC, as raw bytes.
  static std::string DirectCall(const std::string& method, const std::string& request) {
    grpc::GenericStub stub(MakeChannel(tasks_->address()));
    grpc::ClientContext ctx;
    ProgramTokens().Attach(AdminIdentity(), &ctx);
    grpc::Slice slice(request);
    grpc::ByteBuffer in(&slice, 1), out;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out, [&](grpc::Status s) { done.set_value(s); });
    EXPECT_TRUE(done.get_future().get().ok());
    std::vector<grpc::Slice> slices;
    (void)out.Dump(&slices);
    std::string bytes;
    for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes;
  }

  Response Call(const std::string& path, const std::string& message, Mode mode = Mode::kBinary,
                std::vector<std::pair<std::string, std::string>> headers = Admin()) {
    std::string frame = gateway::grpcweb::MessageFrame(message);
    std::string body = mode == Mode::kText ? gateway::grpcweb::Base64Encode(frame) : frame;
    Client c(port_);
    c.Send(Post(path, body, mode == Mode::kText ? "application/grpc-web-text" : "application/grpc-web+proto",
                headers));
    return c.Read();
  }

  static std::string* dir_;
  static ServiceProcess* tasks_;
  static EchoBackend* echo_;
  static int down_port_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<gateway::HttpServer> server_;
  int port_ = 0;
};

std::string* GatewayTest::dir_ = nullptr;
ServiceProcess* GatewayTest::tasks_ = nullptr;
EchoBackend* GatewayTest::echo_ = nullptr;
int GatewayTest::down_port_ = 0;

TEST_F(GatewayTest, BinaryUnaryIsByteExactWithTheDirectCall) {
  luoshi::v1::ListTasksRequest req;
  req.mutable_filter()->set_unit("区农业农村局");
  std::string direct = DirectCall("/luoshi.v1.TaskService/ListTasks", Serialize(req));
  Response r = Call("/luoshi.v1.TaskService/ListTasks", Serialize(req));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/grpc-web+proto");
  Frames f = ParseFrames(r.body, Mode::kBinary);
  ASSERT_TRUE(f.ok);
  ASSERT_EQ(f.messages.size(), 1u);
  EXPECT_EQ(f.messages[0], direct);
  EXPECT_EQ(Parse<luoshi::v1::ListTasksResponse>(f.messages[0]).tasks_size(), 2);
  EXPECT_EQ(f.trailers["grpc-status"], "0");
}

TEST_F(GatewayTest, TextModeInOneTwoAndThreeByteChunksWithPaddingInside) {
  // One request frame cut into two base64 pieces, the first padded, so padding sits inside the body.
  luoshi::v1::ListTasksRequest req;
  req.mutable_filter()->set_unit("区农业农村局");
  std::string frame = gateway::grpcweb::MessageFrame(Serialize(req));
  std::string body =
      gateway::grpcweb::Base64Encode(frame.substr(0, 4)) + gateway::grpcweb::Base64Encode(frame.substr(4));
  ASSERT_EQ(body.substr(4, 4).back(), '=');
  std::string direct = DirectCall("/luoshi.v1.TaskService/ListTasks", Serialize(req));
  for (size_t step : {1, 2, 3}) {
    Client c(port_);
    std::string head =
        Post("/luoshi.v1.TaskService/ListTasks", "", "application/grpc-web-text", Admin(), true);
    std::string chunked;
    for (size_t i = 0; i < body.size(); i += step) {
      std::string piece = body.substr(i, step);
      absl::StrAppend(&chunked, absl::Hex(piece.size()), "\r\n", piece, "\r\n");
    }
    chunked += "0\r\n\r\n";
    c.Send(head);
    c.SendInPieces(chunked, step);
    Response r = c.Read();
    ASSERT_EQ(r.status, 200) << step;
    EXPECT_EQ(r.Header("content-type"), "application/grpc-web-text+proto");
    Frames f = ParseFrames(r.body, Mode::kText);
    ASSERT_EQ(f.messages.size(), 1u) << step;
    EXPECT_EQ(f.messages[0], direct);
    EXPECT_EQ(f.trailers["grpc-status"], "0");
  }
}

TEST_F(GatewayTest, WatchTasksEventArrivesBeforeTheNextChangeIsMade) {
  Client c(port_);
  luoshi::v1::WatchTasksRequest watch;
  watch.mutable_filter()->set_unit("区农业农村局");
  c.Send(Post("/luoshi.v1.TaskService/WatchTasks", gateway::grpcweb::MessageFrame(Serialize(watch)),
              "application/grpc-web+proto", {SignedInAs(AdminIdentity()), {"grpc-timeout", "20S"}}));
  c.StartResponse();
  // The service confirms the watch with its initial metadata: the browser gets the headers before any
  // change is made, so it knows the watch is live.
  ASSERT_TRUE(c.ReadHeader(std::chrono::seconds(5))) << "no response headers for an open watch";
  EXPECT_EQ(c.parser().get().result_int(), 200);
  EXPECT_EQ(c.parser().get()[http::field::transfer_encoding], "chunked");
  auto tasks_stub = luoshi::v1::TaskService::NewStub(MakeChannel(tasks_->address()));
  // The list tells the ids of the two tasks.
  grpc::ClientContext list_ctx;
  ProgramTokens().Attach(AdminIdentity(), &list_ctx);
  luoshi::v1::ListTasksRequest list;
  list.mutable_filter()->set_unit("区农业农村局");
  luoshi::v1::ListTasksResponse tasks;
  ASSERT_TRUE(tasks_stub->ListTasks(&list_ctx, list, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 2);
  auto report = [&](int i, int percent) {
    grpc::ClientContext ctx;
    ProgramTokens().Attach({"农业农村局办公室", "区农业农村局", Role::kOffice}, &ctx);
    luoshi::v1::ReportProgressRequest r;
    r.set_task_id(tasks.tasks(i).id());
    r.set_percent(percent);
    r.set_narrative("完成选址");
    luoshi::v1::Task out;
    grpc::Status s = tasks_stub->ReportProgress(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  };
  // A watch registers when the call reaches the service: report until the first event shows (bounded;
  // a slow machine may need more than one try).
  auto event_for = [](const std::string& task_id) {
    return [task_id](const std::string& body) {
      for (const std::string& m : ParseFrames(body, Mode::kBinary).messages) {
        if (Parse<luoshi::v1::TaskEvent>(m).task().id() == task_id) return true;
      }
      return false;
    };
  };
  bool first = false;
  for (int attempt = 0; attempt < 10 && !first; ++attempt) {
    report(0, 10 + attempt);
    first = c.ReadUntil(event_for(tasks.tasks(0).id()), std::chrono::seconds(2));
  }
  ASSERT_TRUE(first) << "no WatchTasks event through the gateway";
  EXPECT_EQ(c.parser().get()[http::field::transfer_encoding], "chunked");
  ASSERT_FALSE(event_for(tasks.tasks(1).id())(c.parser().get().body()));
  report(1, 50);  // the second change is made only after the first event arrived
  ASSERT_TRUE(c.ReadUntil(event_for(tasks.tasks(1).id())));
  Frames f = ParseFrames(c.parser().get().body(), Mode::kBinary);
  EXPECT_FALSE(f.has_trailer) << "the stream is still open";
}

TEST_F(GatewayTest, ErrorsWithAChineseMessageInATrailerFrameAndTrailersOnly) {
  // No request message, so no answer message: trailers-only, the status in the HTTP headers.
  {
    Client c(port_);
    c.Send(Post(kEchoMethod, "", "application/grpc-web+proto", {{"x-test-echo-fail", "5"}}));
    Response r = c.Read();
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.Header("grpc-status"), "5");
    EXPECT_EQ(gateway::grpcweb::PercentDecodeMessage(r.Header("grpc-message")), kNotFoundMessage);
  }
  // One message echoed, then the failure: a trailer frame, in both modes.
  for (Mode mode : {Mode::kBinary, Mode::kText}) {
    Response r = Call(kEchoMethod, "payload", mode, {{"x-test-echo-fail", "5"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("grpc-status"), "");
    Frames f = ParseFrames(r.body, mode);
    ASSERT_TRUE(f.ok);
    ASSERT_EQ(f.messages.size(), 1u);
    EXPECT_EQ(f.messages[0], "payload");
    EXPECT_EQ(f.trailers["grpc-status"], "5");
    EXPECT_EQ(gateway::grpcweb::PercentDecodeMessage(f.trailers["grpc-message"]), kNotFoundMessage);
  }
  // Binary status details (google.rpc.Status bytes) reach the browser as grpc-status-details-bin.
  const std::string details("\x08\x05\x12\x03" "abc\xff", 8);
  Response with_details = Call(
      kEchoMethod, "", Mode::kBinary,
      {{"x-test-echo-fail", "5"}, {"x-test-echo-details-bin", gateway::grpcweb::Base64Encode(details)}});
  Frames df = ParseFrames(with_details.body, Mode::kBinary);
  ASSERT_EQ(df.trailers.count("grpc-status-details-bin"), 1u);
  EXPECT_EQ(*gateway::grpcweb::Base64DecodeHeader(df.trailers["grpc-status-details-bin"]), details);
  // A real service's refusal naming a Chinese unit, trailers-only.
  luoshi::v1::ReportProgressRequest req;
  req.set_task_id("T999");
  req.set_percent(10);
  Response r = Call("/luoshi.v1.TaskService/ReportProgress", Serialize(req), Mode::kBinary,
                    {SignedInAs({"财政局办公室", "区财政局", Role::kOffice})});
  EXPECT_EQ(r.Header("grpc-status"), "5");
  EXPECT_NE(gateway::grpcweb::PercentDecodeMessage(r.Header("grpc-message")).find("T999"), std::string::npos);
}

TEST_F(GatewayTest, CorsAllowedAndDenied) {
  StartGateway([](gateway::GatewayConfig& c, gateway::HttpServerOptions&) {
    c.cors_origins = {"https://portal.example.gov.cn"};
  });
  auto preflight = [&](const std::string& origin) {
    Client c(port_);
    c.Send(absl::StrCat(
        "OPTIONS /luoshi.v1.TaskService/ListTasks HTTP/1.1\r\nhost: 127.0.0.1\r\norigin: ", origin,
        "\r\naccess-control-request-method: POST\r\naccess-control-request-headers: "
        "content-type, x-grpc-web, authorization, x-test-trace, cookie\r\n\r\n"));
    return c.Read();
  };
  Response ok = preflight("https://portal.example.gov.cn");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.Header("access-control-allow-origin"), "https://portal.example.gov.cn");
  EXPECT_NE(ok.Header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_EQ(ok.Header("access-control-allow-headers"),
            "content-type, x-grpc-web, authorization, x-test-trace");
  Response denied = preflight("https://evil.example.com");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.Header("access-control-allow-origin"), "");

  // The call itself: allowed origin gets the headers and the trailing keys exposed.
  Response call = Call(kEchoMethod, "x", Mode::kBinary,
                       {{"origin", "https://portal.example.gov.cn"}, {"x-test-echo-fail", "5"}});
  EXPECT_EQ(call.Header("access-control-allow-origin"), "https://portal.example.gov.cn");
  std::string expose = call.Header("access-control-expose-headers");
  EXPECT_NE(expose.find("grpc-status"), std::string::npos);
  EXPECT_NE(expose.find("grpc-message"), std::string::npos);
  // A trailers-only answer (no request message, so none echoed) exposes its metadata keys too.
  Client c(port_);
  c.Send(Post(kEchoMethod, "", "application/grpc-web+proto",
              {{"origin", "https://portal.example.gov.cn"}, {"x-test-trace", "t1"}}));
  Response to = c.Read();
  EXPECT_EQ(to.Header("grpc-status"), "0");
  EXPECT_NE(to.Header("access-control-expose-headers").find("echo-x-test-trace"), std::string::npos)
      << to.Header("access-control-expose-headers");
  Response foreign = Call(kEchoMethod, "x", Mode::kBinary, {{"origin", "https://evil.example.com"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.Header("access-control-allow-origin"), "");
  // Same origin needs no list.
  Response same = Call(kEchoMethod, "x", Mode::kBinary, {{"origin", "http://127.0.0.1"}});
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.Header("access-control-allow-origin"), "");
}

TEST_F(GatewayTest, MetadataAllowListAndBinaryKeys) {
  const std::string raw = std::string("\x00\x01\xfe\xff", 4) + " 二进制";
  Response r = Call(kEchoMethod, "m", Mode::kBinary,
                    {{"authorization", "Bearer abc"},
                     {"x-request-id", "req-1"},
                     {"x-luoshi-role", "admin"},
                     {"x-test-trace-bin", gateway::grpcweb::Base64Encode(raw)},
                     {"cookie", "session=1"},
                     {"x-forwarded-for", "10.0.0.1"},
                     {"user-agent", "test"}});
  ASSERT_EQ(r.status, 200);
  Frames f = ParseFrames(r.body, Mode::kBinary);
  EXPECT_EQ(f.trailers["echo-authorization"], "Bearer abc");
  EXPECT_EQ(f.trailers["echo-x-request-id"], "req-1");
  ASSERT_EQ(f.trailers.count("echo-x-test-trace-bin"), 1u);
  EXPECT_EQ(*gateway::grpcweb::Base64DecodeHeader(f.trailers["echo-x-test-trace-bin"]), raw);
  EXPECT_EQ(f.trailers.count("echo-x-luoshi-role"), 0u) << "identity travels only as a signed token";
  EXPECT_EQ(f.trailers.count("echo-cookie"), 0u);
  EXPECT_EQ(f.trailers.count("echo-x-forwarded-for"), 0u);
  EXPECT_EQ(f.trailers.count("echo-content-type"), 0u);

  // Invalid values are refused with 400 and no call is made.
  int calls = echo_->calls.load();
  Response bad_bin = Call(kEchoMethod, "m", Mode::kBinary, {{"x-test-trace-bin", "***"}});
  EXPECT_EQ(bad_bin.status, 400);
  Response raw_utf8 = Call(kEchoMethod, "m", Mode::kBinary, {{"x-test-unit", "区财政局"}});
  EXPECT_EQ(raw_utf8.status, 400);
  EXPECT_NE(raw_utf8.body.find("percent-encode"), std::string::npos);
  EXPECT_EQ(echo_->calls.load(), calls);
}

TEST_F(GatewayTest, GrpcTimeoutInEveryUnitCappedAndDefaulted) {
  // Test gateway: default 30 s, maximum 1 minute.
  struct Case {
    const char* header;
    int64_t expect_ms;
  } cases[] = {{"2H", 60000},      {"3M", 60000},     {"10S", 10000},  {"1500m", 1500},
               {"2500000u", 2500}, {"80000000n", 80}, {nullptr, 30000}};
  for (const Case& c : cases) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (c.header) headers.emplace_back("grpc-timeout", c.header);
    Response r = Call(kEchoMethod, "m", Mode::kBinary, headers);
    Frames f = ParseFrames(r.body, Mode::kBinary);
    ASSERT_EQ(f.trailers["grpc-status"], "0") << (c.header ? c.header : "none");
    int64_t left = std::stoll(f.trailers["echo-deadline-ms"]);
    // gRPC sends a deadline on the wire rounded up to its coarser units, so the backend may see a few
    // milliseconds more than was asked (at most 1 % plus a little here); never the uncapped value.
    EXPECT_LE(left, c.expect_ms + c.expect_ms / 100 + 10) << (c.header ? c.header : "none");
    // …and close to what was asked (a loaded machine may take a moment to deliver the call).
    EXPECT_GT(left, c.expect_ms - std::max<int64_t>(1000, c.expect_ms / 5)) << (c.header ? c.header : "none");
  }
  // A deadline shorter than the backend's work ends the call with DEADLINE_EXCEEDED.
  Response slow =
      Call(kEchoMethod, "m", Mode::kBinary,
           {{"grpc-timeout", "100m"}, {"x-test-echo-stream", "1"}, {"x-test-echo-interval-ms", "2000"}});
  Frames f = ParseFrames(slow.body, Mode::kBinary);
  EXPECT_EQ(f.trailers["grpc-status"], "4");
  EXPECT_EQ(Call(kEchoMethod, "m", Mode::kBinary, {{"grpc-timeout", "soon"}}).status, 400);
}

TEST_F(GatewayTest, ClientLeavingMidStreamCancelsTheBackendCall) {
  {
    Client c(port_);
    c.Send(Post(kEchoMethod, gateway::grpcweb::MessageFrame("tick"), "application/grpc-web+proto",
                {{"x-test-echo-stream", "1000"},
                 {"x-test-echo-interval-ms", "20"},
                 {"x-test-echo-id", "leaver"}}));
    c.StartResponse();
    ASSERT_TRUE(c.ReadUntil([](const std::string& b) { return CountMessages(b) >= 3; }));
    c.Close();
  }
  auto until = absl::Now() + absl::Seconds(5);
  while ((!echo_->Cancelled("leaver") || !echo_->Done("leaver") || gateway_->proxy().active_calls() != 0) &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(echo_->Cancelled("leaver")) << "the backend never saw the cancel";
  EXPECT_TRUE(echo_->Done("leaver")) << "the backend call never ended";
  EXPECT_EQ(gateway_->proxy().active_calls(), 0);
}

TEST_F(GatewayTest, LimitsAnswerWithTheRightStatus) {
  StartGateway([](gateway::GatewayConfig& c, gateway::HttpServerOptions& o) {
    o.max_body_bytes = 64 << 10;
    o.max_header_bytes = 4 << 10;
    o.idle_timeout = absl::Milliseconds(300);
    o.header_timeout = absl::Milliseconds(300);
    c.proxy.max_message_bytes = 1 << 10;
    c.proxy.max_concurrent_calls = 2;
  });
  {  // body too large, known from content-length
    Client c(port_);
    c.Send(Post(kEchoMethod, std::string(100 << 10, 'x'), "application/grpc-web+proto"));
    EXPECT_EQ(c.Read().status, 413);
  }
  {  // body too large, found while reading a chunked body
    Client c(port_);
    c.Send(Post(kEchoMethod, "", "application/grpc-web+proto", {}, true));
    std::string big(80 << 10, 'x');
    c.Send(absl::StrCat(absl::Hex(big.size()), "\r\n", big, "\r\n"));
    EXPECT_EQ(c.Read().status, 413);
  }
  {  // header too large
    Client c(port_);
    c.Send(
        Post(kEchoMethod, "", "application/grpc-web+proto", {{"x-test-big", std::string(8 << 10, 'h')}}));
    EXPECT_EQ(c.Read().status, 431);
  }
  {  // message too large: grpc status, not HTTP
    Response r = Call(kEchoMethod, std::string(2 << 10, 'm'));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("grpc-status"), "8");
    EXPECT_NE(r.Header("grpc-message").find("1024 bytes"), std::string::npos);
  }
  {  // concurrent calls: two hanging streams, the third is refused
    Client a(port_), b(port_);
    for (Client* c : {&a, &b}) {
      c->Send(Post(kEchoMethod, gateway::grpcweb::MessageFrame("s"), "application/grpc-web+proto",
                   {{"x-test-echo-stream", "1"}, {"x-test-echo-interval-ms", "3000"}}));
      c->StartResponse();
      ASSERT_TRUE(c->ReadUntil([](const std::string& body) { return CountMessages(body) >= 1; }));
    }
    Response third = Call(kEchoMethod, "m");
    EXPECT_EQ(third.Header("grpc-status"), "8");
    EXPECT_NE(third.Header("grpc-message").find("calls in progress"), std::string::npos);
  }
  {  // slow headers (slowloris): 408 and closed
    Client c(port_);
    c.Send("POST /test.v1.Echo/Call HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    Response r = c.Read(std::chrono::seconds(5));
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(c.ClosedByServer(std::chrono::seconds(5)));
  }
  {  // an idle keep-alive connection is closed
    Client c(port_);
    c.Send("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    c.Read();
    EXPECT_TRUE(c.ClosedByServer(std::chrono::seconds(5)));
  }
}

TEST_F(GatewayTest, BackendDownUnknownPathsAndMalformedRequests) {
  Response down = Call("/test.v1.Down/Call", "m");
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.Header("grpc-status"), "14");  // UNAVAILABLE
  Response unknown_service = Call("/luoshi.v1.NoSuchService/Get", "m");
  EXPECT_EQ(unknown_service.status, 200);
  EXPECT_EQ(unknown_service.Header("grpc-status"), "12");  // UNIMPLEMENTED, trailers-only
  EXPECT_TRUE(unknown_service.body.empty());
  Response unknown_method = Call("/luoshi.v1.TaskService/NoSuchMethod", "");
  EXPECT_EQ(unknown_method.Header("grpc-status"), "12");
  {
    Client c(port_);
    c.Send("GET /luoshi.v1.TaskService/ListTasks HTTP/1.1\r\nhost: x\r\n\r\n");
    Response r = c.Read();
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.Header("allow"), "POST, OPTIONS");
  }
  {
    Client c(port_);
    c.Send(Post("/luoshi.v1.TaskService/ListTasks", "{}", "application/json"));
    EXPECT_EQ(c.Read().status, 415);
  }
  {
    Client c(port_);
    c.Send(Post("/luoshi.v1.TaskService/ListTasks",
                std::string("\0\0\0\0\x09"
                            "abc",
                            8),
                "application/grpc-web"));
    EXPECT_EQ(c.Read().status, 400);
  }
  {
    Client c(port_);
    c.Send(Post("/luoshi.v1.TaskService/ListTasks", "AA*A", "application/grpc-web-text"));
    EXPECT_EQ(c.Read().status, 400);
  }
  {
    Client c(port_);
    c.Send("GARBAGE\r\n\r\n");
    EXPECT_EQ(c.Read().status, 400);
  }
  {
    Client c(port_);
    c.Send(Post("/index.html", "x", "text/plain"));
    EXPECT_EQ(c.Read().status, 405);
  }
}

TEST_F(GatewayTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  std::filesystem::create_directories(*dir_ + "/web");
  std::ofstream(*dir_ + "/web/index.html") << "<html>落实</html>";
  Client c(port_);
  // Two requests in one write, then a grpc-web call on the same connection.
  c.Send("GET / HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
  Response first = c.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "<html>落实</html>");
  Response second = c.Read();
  EXPECT_EQ(second.Header("content-type"), "application/json");
  c.Send(Post(kEchoMethod, gateway::grpcweb::MessageFrame("again"), "application/grpc-web+proto"));
  Frames f = ParseFrames(c.Read().body, Mode::kBinary);
  ASSERT_EQ(f.messages.size(), 1u);
  EXPECT_EQ(f.messages[0], "again");
  c.Send("HEAD / HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
  Response head = c.Read(std::chrono::seconds(10), /*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), std::to_string(std::string("<html>落实</html>").size()));
  EXPECT_EQ(c.Read().Header("content-type"), "application/json") << "HEAD must not send a body";
}

TEST_F(GatewayTest, ServesHttpsWithTheGivenCertificate) {
  const std::string cert = *dir_ + "/gateway.pem", key = *dir_ + "/gateway.key";
  ASSERT_TRUE(WriteSelfSignedCertificate(cert, key));
  StartGateway([&](gateway::GatewayConfig&, gateway::HttpServerOptions& o) {
    o.tls_cert = cert;
    o.tls_key = key;
  });
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file(cert);
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  stream.handshake(asio::ssl::stream_base::client);  // throws if the certificate does not verify
  asio::write(stream, asio::buffer(Post(kEchoMethod, gateway::grpcweb::MessageFrame("加密"),
                                        "application/grpc-web+proto")));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  Frames f = ParseFrames(res.body(), Mode::kBinary);
  ASSERT_EQ(f.messages.size(), 1u);
  EXPECT_EQ(f.messages[0], "加密");
  EXPECT_EQ(f.trailers["grpc-status"], "0");
  // Plain HTTP on the HTTPS port gets no answer, and the gateway keeps serving.
  Client plain(port_);
  plain.Send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_TRUE(plain.ClosedByServer(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace luoshi::testing
