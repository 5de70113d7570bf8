// Bad input, one table (issue 21): the real ingestion, indicator and task services and the gateway,
// each a child process on a loopback port, loaded with the seed documents; then every row of the table
// sends one bad input (to a service over gRPC, to the gateway over HTTP, or through the `luoshi` command)
// and states the answer a person should get: the gRPC status (or HTTP status, or exit code) and a fragment
// of the message. After the table every service still answers health, the full exports and the document
// list are byte-for-byte what they were before, and each service's peak RSS stays under a bound.
//
// Documents that a reader accepts are sent as dry runs, so that a row never stores anything: a stored
// document would change the document list, and that list must stay as it was to prove nothing else did.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <future>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/health_client.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "services/common/wire.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

// 1 GiB per process, after the whole table; 3 GiB when the services are built with AddressSanitizer (its
// shadow memory and the quarantine of freed blocks, 256 MiB by default, count in the resident set).
#if defined(__SANITIZE_ADDRESS__)
constexpr int64_t kRssBoundBytes = 3LL << 30;
#else
constexpr int64_t kRssBoundBytes = 1LL << 30;
#endif

// ---- Inputs -------------------------------------------------------------------------------------------

std::string Repeat(const std::string& piece, size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// A zip archive in memory, written by libzip (the library the .docx reader uses). Entries are
// deflated; `stored` names entries kept uncompressed.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    return "";
  }
  zip_source_keep(buffer);
  for (const auto& [name, data] : entries) {
    zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
    zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      continue;
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9);
  }
  zip_close(archive);
  std::string out;
  if (zip_source_open(buffer) == 0) {
    zip_source_seek(buffer, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(buffer);
    zip_source_seek(buffer, 0, SEEK_SET);
    out.resize(static_cast<size_t>(std::max<zip_int64_t>(size, 0)));
    zip_source_read(buffer, out.data(), out.size());
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

constexpr char kDocxHead[] =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
    R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)";
constexpr char kDocxTail[] = "</w:body></w:document>";
constexpr char kSentence[] = "2023年，大兴区地区生产总值增长5.2%。";

std::string Paragraph(const std::string& text) { return absl::StrCat("<w:p><w:r><w:t>", text, "</w:t></w:r></w:p>"); }

std::string DocumentXml(const std::string& body) { return absl::StrCat(kDocxHead, body, kDocxTail); }

// ---- Outcomes -----------------------------------------------------------------------------------------

// What one row got: a gRPC status code, an HTTP status or an exit code, and the words a person reads.
struct Outcome {
  int code = -1;
  std::string message;
};

enum class Via { kGrpc, kHttp, kCli };

struct Case {
  std::string service;   // ingestion, indicators, tasks, gateway, cli
  std::string input;     // what was sent, in words
  Via via;
  int expected;          // gRPC code (Via::kGrpc), HTTP status (kHttp) or exit code (kCli)
  std::string fragment;  // part of the message; empty: any
  std::function<Outcome()> run;
  // Not empty: the expected status is what a person should get, but the fix lies in a file this change
  // does not own (the reason says which); the row reports what it got without failing.
  std::string deferred = {};
};

Outcome FromStatus(const grpc::Status& s, const std::string& ok_summary = "") {
  return {static_cast<int>(s.error_code()), s.ok() ? ok_summary : s.error_message()};
}

void Prepare(grpc::ClientContext* ctx, const std::string& authorization, int seconds = 60) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
}

std::string Bearer(const Identity& who) { return "Bearer " + ProgramTokens().For(who); }

// A unary call with request bytes as they are (unknown enum values, invalid UTF-8, unknown fields).
Outcome RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& bytes,
                 const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  Prepare(&ctx, authorization);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](const grpc::Status& s) { done.set_value(s); });
  return FromStatus(done.get_future().get(), "answered");
}

// ---- HTTP to the gateway ------------------------------------------------------------------------------

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

std::string Dechunk(const std::string& body) {
  std::string out;
  size_t i = 0;
  while (i < body.size()) {
    const size_t eol = body.find("\r\n", i);
    if (eol == std::string::npos) break;
    size_t size = 0;
    if (!absl::SimpleHexAtoi(body.substr(i, eol - i), &size) || size == 0) break;
    out += body.substr(eol + 2, size);
    i = eol + 2 + size + 2;
  }
  return out;
}

// Sends `request` as is on a new connection and reads the answer until the gateway closes it.
HttpAnswer SendHttp(int port, const std::string& request) {
  HttpAnswer answer;
  const int fd = ConnectToLoopback(port);
  if (fd < 0) return answer;
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the gateway may answer (413, 431) and close before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return answer;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2 || !absl::SimpleAtoi(first[1], &answer.status)) return answer;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    answer.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  answer.body = raw.substr(end + 4);
  if (absl::AsciiStrToLower(answer.headers["transfer-encoding"]) == "chunked") answer.body = Dechunk(answer.body);
  return answer;
}

std::string HttpRequest(const std::string& method, const std::string& path, const std::string& content_type,
                        const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string req = absl::StrCat(method, " ", path, " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
  if (!content_type.empty()) absl::StrAppend(&req, "content-type: ", content_type, "\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&req, k, ": ", v, "\r\n");
  absl::StrAppend(&req, "content-length: ", body.size(), "\r\n\r\n", body);
  return req;
}

std::string Frame(const std::string& message, uint8_t flags = 0) {
  std::string f(5, '\0');
  f[0] = static_cast<char>(flags);
  const auto n = static_cast<uint32_t>(message.size());
  f[1] = static_cast<char>(n >> 24);
  f[2] = static_cast<char>(n >> 16);
  f[3] = static_cast<char>(n >> 8);
  f[4] = static_cast<char>(n);
  return f + message;
}

std::string PercentDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    int value = 0;
    if (in[i] == '%' && i + 2 < in.size() && absl::SimpleHexAtoi(in.substr(i + 1, 2), &value)) {
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// The gRPC status of a grpc-web answer (trailers-only headers, or the trailer frame of a binary body);
// an HTTP status other than 200 comes back as its negative.
Outcome GrpcWebOutcome(const HttpAnswer& a) {
  if (a.status != 200) return {-a.status, absl::StrCat("HTTP ", a.status, ": ", a.body)};
  std::map<std::string, std::string> fields = a.headers;
  size_t i = 0;
  while (i + 5 <= a.body.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(a.body.data() + i);
    const uint32_t len = (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | p[4];
    if ((p[0] & 0x80) != 0) {
      for (absl::string_view line : absl::StrSplit(a.body.substr(i + 5, len), "\r\n", absl::SkipEmpty())) {
        const size_t colon = line.find(':');
        if (colon == absl::string_view::npos) continue;
        fields[absl::AsciiStrToLower(line.substr(0, colon))] =
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
    i += 5 + len;
  }
  Outcome o;
  if (!absl::SimpleAtoi(fields["grpc-status"], &o.code)) o.code = -1;
  o.message = PercentDecode(fields["grpc-message"]);
  return o;
}

Outcome HttpOutcome(const HttpAnswer& a) { return {a.status, a.body}; }

// ---- The command-line client --------------------------------------------------------------------------

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// ---- The fixture --------------------------------------------------------------------------------------

int64_t PeakRssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      int64_t kib = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) return kib * 1024;
    }
  }
  return -1;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("luoshi_bad_input");
    admin_ = Bearer(AdminIdentity("bad-input-admin"));
    viewer_ = Bearer(Identity{"bad-input-viewer", "", Role::kViewer, ""});
    office_ = Bearer(Identity{"bad-input-office", "区农业农村局", Role::kOffice, ""});
    ASSERT_TRUE(indicators_.Start(BinaryPath("indicators/luoshi-indicators"), Flags({"--db=" + dir_ + "/indicators.db"}))
                    .ok());
    ASSERT_TRUE(tasks_.Start(BinaryPath("tasks/luoshi-tasks"), Flags({"--db=" + dir_ + "/tasks.db"})).ok());
    ASSERT_TRUE(ingestion_
                    .Start(BinaryPath("ingestion/luoshi-ingestion"),
                           Flags({"--db=" + dir_ + "/ingestion.db", "--indicators_addr=" + indicators_.address(),
                                  "--tasks_addr=" + tasks_.address(), "--dispatch_interval_ms=50",
                                  "--retry_max_ms=500"}))
                    .ok());
    ASSERT_TRUE(gateway_
                    .Start(BinaryPath("gateway/luoshi-gateway"),
                           {"--ingestion_addr=" + ingestion_.address(), "--indicators_addr=" + indicators_.address(),
                            "--tasks_addr=" + tasks_.address()})
                    .ok());
    ingestion_channel_ = MakeChannel(ingestion_.address());
    indicators_channel_ = MakeChannel(indicators_.address());
    tasks_channel_ = MakeChannel(tasks_.address());
    ingestion_stub_ = v1::IngestionService::NewStub(ingestion_channel_);
    indicators_stub_ = v1::IndicatorService::NewStub(indicators_channel_);
    tasks_stub_ = v1::TaskService::NewStub(tasks_channel_);
  }
  void TearDown() override {
    for (ServiceProcess* p : {&gateway_, &ingestion_, &tasks_, &indicators_}) {
      if (p->running()) p->Stop();
    }
    std::filesystem::remove_all(dir_);
  }

  static std::vector<std::string> Flags(std::vector<std::string> own) {
    std::vector<std::string> args = AuthFlags();
    args.insert(args.end(), own.begin(), own.end());
    return args;
  }

  // Ingests every seed as an administrator and waits until the indicator and task services hold what
  // the extractor found (the 121 tasks of seed 004 among it).
  void LoadSeeds() {
    const std::vector<std::string> paths = SeedPaths();
    ASSERT_EQ(paths.size(), 5u);
    int tasks = 0;
    for (const std::string& path : paths) {
      v1::IngestDocumentRequest req;
      req.set_content(ReadTestFile(path));
      req.set_filename(std::filesystem::path(path).filename().string());
      v1::IngestDocumentResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      grpc::Status s = ingestion_stub_->IngestDocument(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << path << ": " << s.error_message();
      document_ids_.push_back(resp.document().id());
      tasks += resp.document().task_count();
    }
    ASSERT_EQ(tasks, 121);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && !AllDelivered()) absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(AllDelivered()) << "the seeds' figures and tasks did not arrive within 60 s";
    v1::ListTasksRequest req;
    v1::ListTasksResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    ASSERT_TRUE(tasks_stub_->ListTasks(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.total(), 121);
  }

  bool AllDelivered() {
    for (const std::string& id : document_ids_) {
      v1::GetDocumentRequest req;
      req.set_document_id(id);
      v1::Document doc;
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      if (!ingestion_stub_->GetDocument(&ctx, req, &doc).ok()) return false;
      for (const auto& d : doc.deliveries()) {
        if (d.state() != v1::DELIVERY_STATE_DELIVERED && d.state() != v1::DELIVERY_STATE_NOT_NEEDED) return false;
      }
    }
    return true;
  }

  // Everything a user can read back in bulk: both CSV exports and every page of the document list.
  struct Snapshot {
    std::string observations_csv, tasks_csv, ledger_csv, documents;
  };
  Snapshot Take() {
    Snapshot s;
    {
      v1::ExportObservationsRequest req;
      req.mutable_filter()->set_all_vintages(true);
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      auto reader = indicators_stub_->ExportObservations(&ctx, req);
      v1::ExportChunk chunk;
      while (reader->Read(&chunk)) s.observations_csv += chunk.data();
      EXPECT_TRUE(reader->Finish().ok());
    }
    for (bool ledger : {false, true}) {
      v1::ExportTasksRequest req;
      if (ledger) req.mutable_ledger();
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      auto reader = tasks_stub_->ExportTasks(&ctx, req);
      v1::TaskExportChunk chunk;
      std::string& out = ledger ? s.ledger_csv : s.tasks_csv;
      while (reader->Read(&chunk)) out += chunk.data();
      EXPECT_TRUE(reader->Finish().ok());
    }
    v1::ListDocumentsRequest req;
    req.mutable_page()->set_page_size(2);  // several pages, so that paging is compared too
    do {
      v1::ListDocumentsResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      grpc::Status st = ingestion_stub_->ListDocuments(&ctx, req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      for (const v1::Document& d : resp.documents()) s.documents += d.SerializeAsString();
      req.mutable_page()->set_page_token(resp.next_page_token());
    } while (!req.page().page_token().empty());
    return s;
  }

  // ---- Row builders ----

  Outcome Ingest(v1::IngestDocumentRequest req, const std::string& authorization) {
    v1::IngestDocumentResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, authorization);
    grpc::Status s = ingestion_stub_->IngestDocument(&ctx, req, &resp);
    return FromStatus(s, absl::StrCat("observations=", resp.extraction().observations_size(),
                                      " tasks=", resp.extraction().tasks_size(),
                                      " text_bytes=", resp.extraction().text().size(),
                                      " stored=", resp.created() ? "yes" : "no"));
  }
  // A document sent as a dry run (nothing stored whatever the answer).
  std::function<Outcome()> DryRun(std::string content, std::string filename, std::string content_type = "") {
    return [this, content = std::move(content), filename = std::move(filename),
            content_type = std::move(content_type)] {
      v1::IngestDocumentRequest req;
      req.set_content(content);
      req.set_filename(filename);
      req.set_content_type(content_type);
      req.set_dry_run(true);
      return Ingest(req, admin_);
    };
  }

  // A typed call on one of the three stubs as `authorization`.
  template <typename Response, typename Call>
  Outcome Unary(const std::string& authorization, Call call, const std::string& ok_summary = "answered") {
    Response resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, authorization);
    grpc::Status s = call(&ctx, &resp);
    return FromStatus(s, ok_summary);
  }

  std::function<Outcome()> ListTasks(v1::ListTasksRequest req, std::string authorization = "") {
    return [this, req = std::move(req), authorization = std::move(authorization)] {
      return Unary<v1::ListTasksResponse>(authorization.empty() ? admin_ : authorization,
                                          [&](grpc::ClientContext* c, v1::ListTasksResponse* r) {
                                            return tasks_stub_->ListTasks(c, req, r);
                                          });
    };
  }
  std::function<Outcome()> Report(v1::ReportProgressRequest req) {
    return [this, req = std::move(req)] {
      return Unary<v1::Task>(office_, [&](grpc::ClientContext* c, v1::Task* r) {
        return tasks_stub_->ReportProgress(c, req, r);
      });
    };
  }
  std::function<Outcome()> Query(v1::QueryObservationsRequest req) {
    return [this, req = std::move(req)] {
      v1::QueryObservationsResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      grpc::Status s = indicators_stub_->QueryObservations(&ctx, req, &resp);
      return FromStatus(s, absl::StrCat("observations=", resp.observations_size()));
    };
  }
  std::function<Outcome()> ListDocs(v1::ListDocumentsRequest req) {
    return [this, req = std::move(req)] {
      v1::ListDocumentsResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, admin_);
      grpc::Status s = ingestion_stub_->ListDocuments(&ctx, req, &resp);
      return FromStatus(s, absl::StrCat("documents=", resp.documents_size()));
    };
  }
  // One grpc-web call through the gateway, binary mode, the message framed.
  std::function<Outcome()> ViaGateway(std::string path, std::string message, std::string authorization) {
    return [this, path = std::move(path), message = std::move(message), authorization = std::move(authorization)] {
      std::vector<std::pair<std::string, std::string>> headers;
      if (!authorization.empty()) headers.emplace_back("authorization", authorization);
      return GrpcWebOutcome(SendHttp(gateway_.port(), HttpRequest("POST", path, "application/grpc-web+proto",
                                                                   Frame(message), headers)));
    };
  }
  std::function<Outcome()> Http(std::string request) {
    return [this, request = std::move(request)] { return HttpOutcome(SendHttp(gateway_.port(), request)); };
  }
  // `luoshi` with the three services' addresses and `token` (empty: none), then `args`.
  std::function<Outcome()> Cli(std::vector<std::string> args, std::string token) {
    return [this, args = std::move(args), token = std::move(token)] {
      std::string command = absl::StrCat(
          ShellQuote(BinaryPath("cli/luoshi")), " --ingestion_addr ", ingestion_.address(), " --indicators_addr ",
          indicators_.address(), " --tasks_addr ", tasks_.address(), " --gateway_addr 127.0.0.1:", gateway_.port(),
          " --credentials ", ShellQuote(dir_ + "/no-credentials"));
      if (!token.empty()) absl::StrAppend(&command, " --token ", ShellQuote(token));
      for (const std::string& a : args) absl::StrAppend(&command, " ", ShellQuote(a));
      Outcome o;
      o.code = RunShell(command + " </dev/null", &o.message);
      return o;
    };
  }
  std::string AdminToken() const { return admin_.substr(7); }

  std::vector<Case> Table();

  std::string dir_;
  std::string admin_, viewer_, office_;  // authorization header values
  ServiceProcess indicators_, tasks_, ingestion_, gateway_;
  std::shared_ptr<grpc::Channel> ingestion_channel_, indicators_channel_, tasks_channel_;
  std::unique_ptr<v1::IngestionService::Stub> ingestion_stub_;
  std::unique_ptr<v1::IndicatorService::Stub> indicators_stub_;
  std::unique_ptr<v1::TaskService::Stub> tasks_stub_;
  std::vector<std::string> document_ids_;
};

constexpr int kOk = 0;
constexpr int kInvalid = 3;
constexpr int kNotFound = 5;
constexpr int kPermission = 7;
constexpr int kExhausted = 8;
constexpr int kPrecondition = 9;
constexpr int kUnimplemented = 12;
constexpr int kUnauthenticated = 16;

std::vector<Case> BadInputTest::Table() {
  std::vector<Case> t;
  auto add = [&t](std::string service, std::string input, Via via, int expected, std::string fragment,
                  std::function<Outcome()> run, std::string deferred = "") {
    t.push_back(Case{std::move(service), std::move(input), via, expected, std::move(fragment), std::move(run),
                     std::move(deferred)});
  };
  const Via g = Via::kGrpc;

  // ---- Ingestion: documents -----------------------------------------------------------------------
  add("ingestion", "empty document", g, kInvalid, "is empty", [this] {
    v1::IngestDocumentRequest req;
    req.set_filename("empty.txt");
    return Ingest(req, admin_);
  });
  add("ingestion", "1-byte document \"x\" (dry run)", g, kOk, "observations=0", DryRun("x", "one.txt"));
  add("ingestion", "1-byte document NUL", g, kInvalid, "not a document Luoshi can read",
      DryRun(std::string(1, '\0'), "nul.txt"));
  add("ingestion", "50 MB document", g, kExhausted, "", [this] {
    v1::IngestDocumentRequest req;
    req.set_content(Repeat("一二三四五六七八九十", 50'000'000 / 30 + 1));
    req.set_filename("huge.txt");
    return Ingest(req, admin_);
  });
  add("ingestion", "invalid UTF-8 (lone continuation and overlong bytes) in text", g, kOk, "observations=1",
      DryRun(absl::StrCat("\x80\xC0\xAF\xED\xA0\x80", kSentence, "\xF8\x88\x80\x80\x80\n"), "bad-utf8.txt"));
  add("ingestion", "GB18030 declared, bytes not GB18030", g, kOk, "observations=0",
      DryRun(Repeat("\x81\x20\xFF\xFE\x80", 1000), "gb.txt", "text/plain; charset=GB18030"));
  add("ingestion", "HTML meta charset=gb18030, invalid bytes", g, kOk, "observations=0",
      DryRun(absl::StrCat("<html><head><meta charset=\"gb18030\"></head><body><p>", Repeat("\xFF\x81", 500),
                          "</p></body></html>"),
             "gb.html"));
  add("ingestion", "64 KiB of random bytes (binary garbage)", g, kInvalid, "not a document Luoshi can read", [this] {
    std::mt19937 rng(21);
    std::string bytes(64 * 1024, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    bytes[10] = '\0';
    v1::IngestDocumentRequest req;
    req.set_content(bytes);
    req.set_filename("garbage.dat");
    req.set_dry_run(true);
    return Ingest(req, admin_);
  });
  add("ingestion", "a PDF", g, kInvalid, "not a document Luoshi can read",
      DryRun("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n", "report.pdf"));
  add("ingestion", "\"PK\\3\\4\" then garbage (a broken zip)", g, kInvalid, "not a readable .docx",
      DryRun(std::string("PK\x03\x04", 4) + Repeat("garbage", 100), "broken.docx"));
  add("ingestion", ".docx truncated in the middle", g, kInvalid, "not a readable .docx", [this] {
    std::string docx = MakeZip({{"word/document.xml", DocumentXml(Repeat(Paragraph(kSentence), 200))}});
    return DryRun(docx.substr(0, docx.size() / 2), "half.docx")();
  });
  add("ingestion", "zip without word/document.xml", g, kInvalid, "no word/document.xml",
      DryRun(MakeZip({{"readme.txt", "hello"}}), "notword.docx"));
  add("ingestion", "zip bomb: 300 KiB .docx, document.xml 128 MiB", g, kInvalid, "too large", [this] {
    std::string xml = DocumentXml(Repeat(Paragraph("一"), (128u << 20) / 38));
    std::string docx = MakeZip({{"word/document.xml", xml}});
    xml.clear();
    xml.shrink_to_fit();
    return DryRun(docx, "bomb.docx")();
  });
  add("ingestion", "zip bomb under the XML cap: document.xml 60 MiB of empty paragraphs", g, kInvalid,
      "tags, far more than any real document", [this] {
        std::string docx = MakeZip({{"word/document.xml", DocumentXml(Repeat("<w:p/>", (60u << 20) / 6))}});
        return DryRun(docx, "flat-bomb.docx")();
      });
  add("ingestion", ".docx of 1,500,000 empty paragraphs (under the tag cap)", g, kInvalid,
      "lines, more than the 1000000 a document may have", [this] {
        return DryRun(MakeZip({{"word/document.xml", DocumentXml(Repeat("<w:p/>", 1'500'000))}}), "blank.docx")();
      });
  add("ingestion", "10 MiB of line breaks", g, kInvalid, "lines, more than the 1000000 a document may have",
      DryRun(std::string(10u << 20, '\n'), "newlines.txt"));
  add("ingestion", "2,000,000 lines of one character", g, kInvalid, "lines, more than",
      DryRun(Repeat("a\n", 2'000'000), "short-lines.txt"));
  add("ingestion", "1,000,000 lines of one character (at the line cap)", g, kOk, "observations=0",
      DryRun(Repeat("a\n", 1'000'000), "cap-lines.txt"));
  add("ingestion", "4 MiB of question marks (one sentence, not four million)", g, kOk, "observations=0",
      DryRun(std::string(4u << 20, '?'), "questions.txt"));
  add("ingestion", "1,000,001 sentences of one letter", g, kInvalid,
      "1000001 sentences, more than the 1000000 a document may have", DryRun(Repeat("a?", 1'000'001), "asks.txt"));
  add("ingestion", "binary garbage with a 20 KB file name", g, kInvalid, "(a name of 20000 bytes)",
      DryRun(std::string("\0\1\2", 3), std::string(20000, 'n')));
  add("ingestion", "an empty document with a 20 KB file name", g, kInvalid, "(20000 bytes) is empty", [this] {
    v1::IngestDocumentRequest req;
    req.set_filename(std::string(20000, 'n'));
    return Ingest(req, admin_);
  });
  add("ingestion", "zip with 5,000 entries and one document.xml", g, kOk, "observations=1", [this] {
    std::vector<std::pair<std::string, std::string>> entries;
    for (int i = 0; i < 5000; ++i) entries.emplace_back(absl::StrCat("word/media/image", i, ".bin"), "x");
    entries.emplace_back("word/document.xml", DocumentXml(Paragraph(kSentence)));
    return DryRun(MakeZip(entries), "many.docx")();
  });
  add("ingestion", ".docx with ../ entry names beside document.xml", g, kOk, "observations=1", [this] {
    return DryRun(MakeZip({{"../../../../tmp/luoshi-bad-input-escape", "owned"},
                           {"../word/document.xml", DocumentXml(Paragraph("无关"))},
                           {"word/document.xml", DocumentXml(Paragraph(kSentence))}}),
                  "slip.docx")();
  });
  add("ingestion", ".docx whose only document.xml is ../word/document.xml", g, kInvalid, "no word/document.xml",
      DryRun(MakeZip({{"../word/document.xml", DocumentXml(Paragraph(kSentence))}}), "slip-only.docx"));
  add("ingestion", ".docx with a billion-laughs DTD", g, kOk, "observations=1", [this] {
    std::string dtd = R"(<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY lol "lol">)";
    std::string prev = "lol";
    for (int i = 1; i <= 9; ++i) {
      absl::StrAppend(&dtd, "<!ENTITY lol", i, " \"", Repeat("&" + prev + ";", 10), "\">");
      prev = absl::StrCat("lol", i);
    }
    absl::StrAppend(&dtd, "]>");
    std::string xml = absl::StrCat(
        dtd, R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)",
        Paragraph("&lol9;"), Paragraph(kSentence), kDocxTail);
    return DryRun(MakeZip({{"word/document.xml", xml}}), "laughs.docx")();
  });
  add("ingestion", ".docx whose document.xml is not XML", g, kInvalid, "is not XML",
      DryRun(MakeZip({{"word/document.xml", "<w:document><w:body><w:p>"}}), "notxml.docx"));
  add("ingestion", ".docx nested 100,000 w:sdt deep", g, kOk, "observations=0", [this] {
    std::string body = absl::StrCat(Repeat("<w:sdt><w:sdtContent>", 100000), Paragraph(kSentence),
                                    Repeat("</w:sdtContent></w:sdt>", 100000));
    return DryRun(MakeZip({{"word/document.xml", DocumentXml(body)}}), "deep.docx")();
  });
  add("ingestion", "HTML nested 100,000 <div> deep", g, kOk, "observations=1",
      DryRun(absl::StrCat("<html><body>", Repeat("<div>", 100000), kSentence, Repeat("</div>", 100000),
                          "</body></html>"),
             "deep.html"));
  add("ingestion", "HTML nested 100,000 <table><tr><td> deep", g, kOk, "",
      DryRun(absl::StrCat("<html><body>", Repeat("<table><tr><td>", 100000), kSentence,
                          Repeat("</td></tr></table>", 100000), "</body></html>"),
             "deep-table.html"));
  add("ingestion", "a single 10 MB line of text", g, kOk, "observations=", DryRun(Repeat("落实", 10'000'000 / 6), "line.txt"));
  add("ingestion", "16 MiB of '&' as HTML", g, kOk, "observations=0",
      DryRun(std::string(16u << 20, '&'), "amp.html"));
  add("ingestion", "16 MiB of '<' as HTML", g, kOk, "observations=0",
      DryRun(std::string(16u << 20, '<'), "lt.html"));
  add("ingestion", "year_hint 1800", g, kInvalid, "is not a year", [this] {
    v1::IngestDocumentRequest req;
    req.set_content(kSentence);
    req.set_year_hint(1800);
    req.set_dry_run(true);
    return Ingest(req, admin_);
  });
  add("ingestion", "year_hint -2023", g, kInvalid, "is not a year", [this] {
    v1::IngestDocumentRequest req;
    req.set_content(kSentence);
    req.set_year_hint(-2023);
    return Ingest(req, admin_);
  });
  add("ingestion", "ingest as a viewer", g, kPermission, "may not ingest", [this] {
    v1::IngestDocumentRequest req;
    req.set_content(kSentence);
    return Ingest(req, viewer_);
  });
  add("ingestion", "filename with invalid UTF-8 (raw wire)", g, kInvalid, "UTF-8",
      [this] {
        std::string bytes;
        wire::AppendBytesField(v1::IngestDocumentRequest::kContentFieldNumber, std::string(kSentence), &bytes);
        wire::AppendBytesField(v1::IngestDocumentRequest::kFilenameFieldNumber, std::string("\xFF\xFE.txt"), &bytes);
        return RawUnary(ingestion_channel_, "/luoshi.v1.IngestionService/IngestDocument", bytes, admin_);
      },
      "gRPC's generated handler fails to parse the request and answers INTERNAL before any Luoshi code runs; "
      "needs a request-parsing hook in services/common (server.cc / adapter)");
  add("ingestion", "request bytes that are not a protobuf message", g, kInvalid, "",
      [this] {
        return RawUnary(ingestion_channel_, "/luoshi.v1.IngestionService/GetDocument", "\xFF\xFF\xFF\xFF", admin_);
      },
      "as above: gRPC answers INTERNAL for an unparsable request");
  add("ingestion", "GetDocument with no id", g, kInvalid, "a document id is required", [this] {
    return Unary<v1::Document>(admin_, [&](grpc::ClientContext* c, v1::Document* r) {
      return ingestion_stub_->GetDocument(c, v1::GetDocumentRequest(), r);
    });
  });
  add("ingestion", "GetDocument doc-ffffffffffffffff", g, kNotFound, "has been ingested", [this] {
    v1::GetDocumentRequest req;
    req.set_document_id("doc-ffffffffffffffff");
    return Unary<v1::Document>(admin_, [&](grpc::ClientContext* c, v1::Document* r) {
      return ingestion_stub_->GetDocument(c, req, r);
    });
  });
  add("ingestion", "GetDocument of a 10 KB id", g, kNotFound, "(10000 bytes) has been ingested", [this] {
    v1::GetDocumentRequest req;
    req.set_document_id("doc-" + std::string(9996, 'f'));
    return Unary<v1::Document>(admin_, [&](grpc::ClientContext* c, v1::Document* r) {
      return ingestion_stub_->GetDocument(c, req, r);
    });
  });
  add("ingestion", "GetExtraction of an SQL-looking id", g, kNotFound, "has been ingested", [this] {
    v1::GetExtractionRequest req;
    req.set_document_id("doc-1' OR '1'='1");
    return Unary<v1::Extraction>(admin_, [&](grpc::ClientContext* c, v1::Extraction* r) {
      return ingestion_stub_->GetExtraction(c, req, r);
    });
  });
  add("ingestion", "ReprocessDocument of an unknown id", g, kNotFound, "has been ingested", [this] {
    v1::ReprocessDocumentRequest req;
    req.set_document_id("doc-0000000000000000");
    return Unary<v1::IngestDocumentResponse>(admin_, [&](grpc::ClientContext* c, v1::IngestDocumentResponse* r) {
      return ingestion_stub_->ReprocessDocument(c, req, r);
    });
  });
  add("ingestion", "ReprocessDocument with year_hint 99999", g, kInvalid, "is not a year", [this] {
    v1::ReprocessDocumentRequest req;
    req.set_document_id(document_ids_[0]);
    req.set_year_hint(99999);
    return Unary<v1::IngestDocumentResponse>(admin_, [&](grpc::ClientContext* c, v1::IngestDocumentResponse* r) {
      return ingestion_stub_->ReprocessDocument(c, req, r);
    });
  });
  {
    v1::ListDocumentsRequest req;
    req.mutable_page()->set_page_size(-1);
    add("ingestion", "ListDocuments page_size -1", g, kInvalid, "page_size must be between", ListDocs(req));
    req.mutable_page()->set_page_size(1001);
    add("ingestion", "ListDocuments page_size 1001", g, kInvalid, "page_size must be between", ListDocs(req));
    req.mutable_page()->set_page_size(0);
    req.mutable_page()->set_page_token("%%%not-base64%%%");
    add("ingestion", "ListDocuments garbage page token", g, kInvalid, "page_token", ListDocs(req));
    req.mutable_page()->set_page_token(std::string(100000, 'A'));
    add("ingestion", "ListDocuments 100 KB page token", g, kInvalid, "page_token", ListDocs(req));
  }
  add("ingestion", "ListDocuments with a QueryObservations page token", g, kInvalid, "page_token", [this] {
    v1::QueryObservationsRequest q;
    q.mutable_page()->set_page_size(1);
    v1::QueryObservationsResponse qr;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    if (!indicators_stub_->QueryObservations(&ctx, q, &qr).ok() || qr.next_page_token().empty()) {
      return Outcome{-1, "no token to borrow"};
    }
    v1::ListDocumentsRequest req;
    req.mutable_page()->set_page_token(qr.next_page_token());
    return ListDocs(req)();
  });
  add("ingestion", "ListDocuments type 999 (unknown enum, raw wire)", g, kInvalid, "type", [this] {
    std::string bytes;
    wire::AppendTag(v1::ListDocumentsRequest::kTypeFieldNumber, 0, &bytes);
    wire::AppendVarint(999, &bytes);
    return RawUnary(ingestion_channel_, "/luoshi.v1.IngestionService/ListDocuments", bytes, admin_);
  });
  add("ingestion", "ListDocuments with an unknown field 4000 (raw wire)", g, kOk, "answered", [this] {
    std::string bytes;
    wire::AppendBytesField(4000, std::string("from a newer client"), &bytes);
    return RawUnary(ingestion_channel_, "/luoshi.v1.IngestionService/ListDocuments", bytes, admin_);
  });

  // ---- Authentication (each service) --------------------------------------------------------------
  auto list_plans = [this](std::string authorization) {
    return [this, authorization = std::move(authorization)] {
      return Unary<v1::ListPlansResponse>(authorization, [&](grpc::ClientContext* c, v1::ListPlansResponse* r) {
        return tasks_stub_->ListPlans(c, v1::ListPlansRequest(), r);
      });
    };
  };
  auto list_regions = [this](std::string authorization) {
    return [this, authorization = std::move(authorization)] {
      return Unary<v1::ListRegionsResponse>(authorization, [&](grpc::ClientContext* c, v1::ListRegionsResponse* r) {
        return indicators_stub_->ListRegions(c, v1::ListRegionsRequest(), r);
      });
    };
  };
  auto list_documents = [this](std::string authorization) {
    return [this, authorization = std::move(authorization)] {
      return Unary<v1::ListDocumentsResponse>(authorization,
                                              [&](grpc::ClientContext* c, v1::ListDocumentsResponse* r) {
                                                return ingestion_stub_->ListDocuments(c, v1::ListDocumentsRequest(), r);
                                              });
    };
  };
  add("tasks", "no token", g, kUnauthenticated, "no token", list_plans(""));
  add("indicators", "no token", g, kUnauthenticated, "no token", list_regions(""));
  add("ingestion", "no token", g, kUnauthenticated, "no token", list_documents(""));
  add("tasks", "\"Bearer\" and garbage", g, kUnauthenticated, "malformed", list_plans("Bearer not.a.jwt!"));
  add("indicators", "Basic scheme", g, kUnauthenticated, "is not \"Bearer <token>\"",
      list_regions("Basic dXNlcjpwYXNz"));
  {
    TokenClaims claims;
    claims.subject = "expired-admin";
    claims.role = "admin";
    claims.token_id = "bad-input-expired";
    const absl::Time then = absl::Now() - absl::Hours(48);
    claims.expires_at = then + absl::Hours(1);
    const std::string expired = "Bearer " + ProgramTokens().Issue(claims, then);
    add("ingestion", "expired token", g, kUnauthenticated, "expired at", list_documents(expired));
    add("tasks", "expired token", g, kUnauthenticated, "expired at", list_plans(expired));
  }
  {
    const TestTokens other;  // another deployment's key
    add("indicators", "token signed by an unknown key", g, kUnauthenticated, "is not one of this service's keys",
        list_regions("Bearer " + other.For(AdminIdentity("intruder"))));
  }
  add("tasks", "token with its signature altered", g, kUnauthenticated, "signature", [this, list_plans] {
    std::string token = AdminToken();
    // Not the last character: its low bits are padding that a base64url decoder may ignore.
    char& c = token[token.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    return list_plans("Bearer " + token)();
  });
  // Oversized metadata goes on a connection of its own: the service may close the connection after
  // refusing it, and a call that follows on a shared one would see UNAVAILABLE "Socket closed".
  add("tasks", "1 MiB authorization header", g, kExhausted, "", [this] {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address(), /*own_connection=*/true));
    v1::ListPlansResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, "Bearer " + std::string(1 << 20, 'a'));
    return FromStatus(stub->ListPlans(&ctx, v1::ListPlansRequest(), &resp), "answered");
  });
  add("indicators", "64 KiB of metadata in 64 headers", g, kExhausted, "", [this] {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address(), /*own_connection=*/true));
    v1::ListRegionsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    for (int i = 0; i < 64; ++i) ctx.AddMetadata(absl::StrCat("x-pad-", i), std::string(1024, 'p'));
    return FromStatus(stub->ListRegions(&ctx, v1::ListRegionsRequest(), &resp), "answered");
  });

  // ---- Indicators --------------------------------------------------------------------------------
  {
    v1::QueryObservationsRequest req;
    req.set_period_from("2023-13");
    add("indicators", "QueryObservations period_from 2023-13", g, kInvalid, "period_from", Query(req));
    req.clear_period_from();
    req.set_period_to("H3");
    add("indicators", "QueryObservations period_to H3", g, kInvalid, "period_to", Query(req));
    req.set_period_to("2023Q5");
    add("indicators", "QueryObservations period_to 2023Q5", g, kInvalid, "period_to", Query(req));
    req.clear_period_to();
    req.mutable_page()->set_page_size(-10);
    add("indicators", "QueryObservations page_size -10", g, kInvalid, "page_size must be between", Query(req));
    req.mutable_page()->set_page_size(1000000);
    // common.proto and indicators.proto still say QueryObservations caps a larger page_size at 1000;
    // limits.h, ListDocuments and ListTasks refuse it, and so does QueryObservations (see the report).
    add("indicators", "QueryObservations page_size 1,000,000", g, kInvalid, "page_size must be between",
        Query(req));
    req.mutable_page()->set_page_size(0);
    req.mutable_page()->set_page_token("////");
    add("indicators", "QueryObservations garbage page token", g, kInvalid, "page_token", Query(req));
  }
  add("indicators", "QueryObservations with a token of another filter", g, kInvalid, "page_token", [this] {
    v1::QueryObservationsRequest q;
    q.mutable_page()->set_page_size(1);
    v1::QueryObservationsResponse qr;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    if (!indicators_stub_->QueryObservations(&ctx, q, &qr).ok() || qr.next_page_token().empty()) {
      return Outcome{-1, "no token to borrow"};
    }
    q.set_region("大兴区");
    q.mutable_page()->set_page_token(qr.next_page_token());
    return Query(q)();
  });
  add("indicators", "QueryObservations with a ListDocuments page token", g, kInvalid, "page_token", [this] {
    v1::ListDocumentsRequest l;
    l.mutable_page()->set_page_size(1);
    v1::ListDocumentsResponse lr;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    if (!ingestion_stub_->ListDocuments(&ctx, l, &lr).ok() || lr.next_page_token().empty()) {
      return Outcome{-1, "no token to borrow"};
    }
    v1::QueryObservationsRequest q;
    q.mutable_page()->set_page_token(lr.next_page_token());
    return Query(q)();
  });
  add("indicators", "QueryObservations measure 999 (unknown enum)", g, kInvalid, "measure", [this] {
    v1::QueryObservationsRequest req;
    req.set_measure(static_cast<v1::Measure>(999));
    return Query(req)();
  });
  add("indicators", "QueryObservations status -5 (unknown enum, raw wire)", g, kInvalid, "status", [this] {
    std::string bytes;
    wire::AppendTag(v1::QueryObservationsRequest::kStatusFieldNumber, 0, &bytes);
    wire::AppendVarint(static_cast<uint64_t>(int64_t{-5}), &bytes);
    return RawUnary(indicators_channel_, "/luoshi.v1.IndicatorService/QueryObservations", bytes, admin_);
  });
  auto series = [this](std::string indicator, std::string region, int measure) {
    return [this, indicator = std::move(indicator), region = std::move(region), measure] {
      v1::GetSeriesRequest req;
      req.set_indicator_id(indicator);
      req.set_region(region);
      req.set_measure(static_cast<v1::Measure>(measure));
      return Unary<v1::Series>(admin_, [&](grpc::ClientContext* c, v1::Series* r) {
        return indicators_stub_->GetSeries(c, req, r);
      });
    };
  };
  add("indicators", "GetSeries with no indicator", g, kInvalid, "indicator_id is required", series("", "大兴区", 0));
  add("indicators", "GetSeries of an unknown indicator", g, kNotFound, "is not in the catalog",
      series("no_such_indicator", "大兴区", 0));
  add("indicators", "GetSeries in region 火星区", g, kNotFound, "region \"火星区\"",
      series("general_budget_revenue", "火星区", 0));
  add("indicators", "GetSeries of a 10 KB indicator name", g, kNotFound, "(10000 bytes) is not in the catalog",
      series(std::string(10000, 'x'), "大兴区", 0));
  add("indicators", "GetSeries measure 12345 (unknown enum)", g, kInvalid, "measure",
      series("general_budget_revenue", "大兴区", 12345));
  auto compare = [this](std::string region, int year) {
    return [this, region = std::move(region), year] {
      v1::CompareTargetsRequest req;
      req.set_region(region);
      req.set_year(year);
      return Unary<v1::CompareTargetsResponse>(admin_, [&](grpc::ClientContext* c, v1::CompareTargetsResponse* r) {
        return indicators_stub_->CompareTargets(c, req, r);
      });
    };
  };
  add("indicators", "CompareTargets year 0", g, kInvalid, "year", compare("大兴区", 0));
  add("indicators", "CompareTargets year -2023", g, kInvalid, "year", compare("大兴区", -2023));
  add("indicators", "CompareTargets without region", g, kInvalid, "region is required", compare("", 2023));
  add("indicators", "CompareTargets region 火星区", g, kNotFound, "region \"火星区\"", compare("火星区", 2023));
  add("indicators", "GetIndicator of an unknown id", g, kNotFound, "is not in the catalog", [this] {
    v1::GetIndicatorRequest req;
    req.set_id("gdp'; DROP TABLE observations; --");
    return Unary<v1::Indicator>(admin_, [&](grpc::ClientContext* c, v1::Indicator* r) {
      return indicators_stub_->GetIndicator(c, req, r);
    });
  });
  auto record = [this](v1::RecordObservationsRequest req, std::string authorization) {
    return [this, req = std::move(req), authorization = std::move(authorization)] {
      return Unary<v1::RecordObservationsResponse>(authorization,
                                                   [&](grpc::ClientContext* c, v1::RecordObservationsResponse* r) {
                                                     return indicators_stub_->RecordObservations(c, req, r);
                                                   });
    };
  };
  {
    v1::RecordObservationsRequest req;
    v1::Observation good;
    good.set_indicator_id("general_budget_revenue");
    good.set_region("大兴区");
    good.set_period("2019");
    good.set_status(v1::OBSERVATION_STATUS_ACTUAL);
    good.set_measure(v1::MEASURE_LEVEL);
    good.mutable_value()->mutable_value()->set_unscaled(1);
    good.mutable_value()->set_unit("亿元");
    good.set_source_key("bad-input:1");
    *req.add_observations() = good;
    add("indicators", "RecordObservations as a viewer", g, kPermission, "may not record observations",
        record(req, viewer_));
    v1::Observation bad = good;
    bad.set_period("2023-13");
    bad.set_source_key("bad-input:2");
    *req.add_observations() = bad;
    add("indicators", "RecordObservations: one good figure, one with period 2023-13", g, kInvalid,
        "nothing of the batch was stored", record(req, admin_));
    req.mutable_observations(1)->set_period("2023");
    req.mutable_observations(1)->set_region("");
    add("indicators", "RecordObservations: a figure without region", g, kInvalid, "observation 1",
        record(req, admin_));
    req.mutable_observations(1)->set_region("大兴区");
    req.mutable_observations(1)->set_measure(static_cast<v1::Measure>(777));
    add("indicators", "RecordObservations: measure 777 (unknown enum)", g, kInvalid, "observation 1",
        record(req, admin_));
    v1::RecordObservationsRequest many;
    for (int i = 0; i < 10001; ++i) {
      v1::Observation o = good;
      o.set_source_key(absl::StrCat("bad-input:many:", i));
      *many.add_observations() = o;
    }
    add("indicators", "RecordObservations: 10,001 figures", g, kInvalid, "at most 10000", record(many, admin_));
  }
  add("indicators", "ExportObservations with period_from 2023-13", g, kInvalid, "period_from", [this] {
    v1::ExportObservationsRequest req;
    req.mutable_filter()->set_period_from("2023-13");
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    auto reader = indicators_stub_->ExportObservations(&ctx, req);
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return FromStatus(reader->Finish());
  });

  // ---- Tasks -------------------------------------------------------------------------------------
  auto get_task = [this](std::string id) {
    return [this, id = std::move(id)] {
      v1::GetTaskRequest req;
      req.set_id(id);
      return Unary<v1::TaskDetail>(admin_, [&](grpc::ClientContext* c, v1::TaskDetail* r) {
        return tasks_stub_->GetTask(c, req, r);
      });
    };
  };
  add("tasks", "GetTask T99999", g, kNotFound, "does not exist", get_task("T99999"));
  add("tasks", "GetTask with no id", g, kInvalid, "id is required", get_task(""));
  // On a connection of its own: before TaskNotFound quoted at most 200 bytes, the whole id made the answer
  // RESOURCE_EXHAUSTED (the client's 8 KiB metadata limit) and failed the next calls on the connection.
  add("tasks", "GetTask of 10 KB of Chinese", g, kNotFound, "(10200 bytes)",
      [this] {
        auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address(), /*own_connection=*/true));
        v1::GetTaskRequest req;
        req.set_id(Repeat("任务", 1700));
        return Unary<v1::TaskDetail>(admin_, [&](grpc::ClientContext* c, v1::TaskDetail* r) {
          return stub->GetTask(c, req, r);
        });
      });
  {
    v1::ReportProgressRequest req;
    req.set_task_id("T56");
    req.set_percent(-1);
    add("tasks", "ReportProgress percent -1", g, kInvalid, "between 0 and 100", Report(req));
    req.set_percent(101);
    add("tasks", "ReportProgress percent 101", g, kInvalid, "between 0 and 100", Report(req));
    req.set_percent(std::numeric_limits<int32_t>::min());
    add("tasks", "ReportProgress percent INT_MIN", g, kInvalid, "between 0 and 100", Report(req));
    req.set_percent(40);
    req.set_period("2023-13");
    add("tasks", "ReportProgress period 2023-13", g, kInvalid, "reporting period", Report(req));
    req.set_period("H3");
    add("tasks", "ReportProgress period H3", g, kInvalid, "reporting period", Report(req));
    req.set_period("2999-01");
    add("tasks", "ReportProgress period 2999-01 (future)", g, kInvalid, "lies in the future", Report(req));
    req.clear_period();
    req.set_task_id("T99999");
    add("tasks", "ReportProgress on T99999", g, kNotFound, "does not exist", Report(req));
    req.set_task_id("");
    add("tasks", "ReportProgress with no task id", g, kInvalid, "task_id is required", Report(req));
    v1::ReportProgressRequest empty;
    empty.set_task_id("T56");
    add("tasks", "ReportProgress with nothing to report", g, kInvalid, "needs a percent", Report(empty));
    req.set_task_id("T2");
    add("tasks", "ReportProgress by 区农业农村局 on 区财政局's T2", g, kPermission, "is not responsible", Report(req));
  }
  auto review = [this](std::string id, bool accept, std::string comment) {
    return [this, id = std::move(id), accept, comment = std::move(comment)] {
      v1::ReviewTaskRequest req;
      req.set_task_id(id);
      req.set_accept(accept);
      req.set_comment(comment);
      return Unary<v1::Task>(admin_, [&](grpc::ClientContext* c, v1::Task* r) {
        return tasks_stub_->ReviewTask(c, req, r);
      });
    };
  };
  add("tasks", "ReviewTask accept on a task with no claim", g, kPrecondition, "no completion claim",
      review("T1", true, ""));
  add("tasks", "ReviewTask on T99999", g, kNotFound, "does not exist", review("T99999", true, ""));
  {
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_size(-5);
    add("tasks", "ListTasks page_size -5", g, kInvalid, "page_size must be between", ListTasks(req));
    req.mutable_page()->set_page_size(1001);
    add("tasks", "ListTasks page_size 1001", g, kInvalid, "page_size must be between", ListTasks(req));
    req.mutable_page()->set_page_size(0);
    req.mutable_page()->set_page_token("garbage==");
    add("tasks", "ListTasks garbage page token", g, kInvalid, "page_token", ListTasks(req));
    req.mutable_page()->clear_page_token();
    req.mutable_filter()->set_plan_id("P999");
    add("tasks", "ListTasks plan P999", g, kNotFound, "does not exist", ListTasks(req));
    req.mutable_filter()->clear_plan_id();
    req.mutable_filter()->set_due_before("2023-02-30");
    add("tasks", "ListTasks due_before 2023-02-30", g, kInvalid, "is not an ISO date", ListTasks(req));
    req.mutable_filter()->clear_due_before();
    req.mutable_filter()->set_status(static_cast<v1::TaskStatus>(99));
    add("tasks", "ListTasks status 99 (unknown enum)", g, kInvalid, "filter.status 99 is not a known TaskStatus",
        ListTasks(req));
    req.mutable_filter()->clear_status();
    req.mutable_filter()->set_light(static_cast<v1::Light>(7));
    add("tasks", "ListTasks light 7 (unknown enum)", g, kInvalid, "filter.light 7 is not a known Light",
        ListTasks(req));
  }
  add("tasks", "ListTasks with a ListDocuments page token", g, kInvalid, "page_token", [this] {
    v1::ListDocumentsRequest l;
    l.mutable_page()->set_page_size(1);
    v1::ListDocumentsResponse lr;
    grpc::ClientContext ctx;
    Prepare(&ctx, admin_);
    if (!ingestion_stub_->ListDocuments(&ctx, l, &lr).ok() || lr.next_page_token().empty()) {
      return Outcome{-1, "no token to borrow"};
    }
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_token(lr.next_page_token());
    return ListTasks(req)();
  });
  add("tasks", "ListDueTasks within_days -1", g, kInvalid, "within_days", [this] {
    v1::ListDueTasksRequest req;
    req.set_within_days(-1);
    return Unary<v1::ListDueTasksResponse>(admin_, [&](grpc::ClientContext* c, v1::ListDueTasksResponse* r) {
      return tasks_stub_->ListDueTasks(c, req, r);
    });
  });
  add("tasks", "GetLedger of plan P999", g, kNotFound, "does not exist", [this] {
    v1::GetLedgerRequest req;
    req.set_plan_id("P999");
    return Unary<v1::Ledger>(admin_, [&](grpc::ClientContext* c, v1::Ledger* r) {
      return tasks_stub_->GetLedger(c, req, r);
    });
  });
  add("tasks", "ImportPlan as a viewer", g, kPermission, "may not", [this] {
    v1::ImportPlanRequest req;
    req.set_document_sha256(std::string(64, 'a'));
    req.set_title("伪造的方案");
    req.add_tasks()->set_number("1");
    req.mutable_tasks(0)->set_text("伪造");
    return Unary<v1::ImportPlanResponse>(viewer_, [&](grpc::ClientContext* c, v1::ImportPlanResponse* r) {
      return tasks_stub_->ImportPlan(c, req, r);
    });
  });
  add("tasks", "ImportPlan with no tasks", g, kInvalid, "at least one task", [this] {
    v1::ImportPlanRequest req;
    req.set_document_sha256(std::string(64, 'b'));
    req.set_title("空方案");
    return Unary<v1::ImportPlanResponse>(admin_, [&](grpc::ClientContext* c, v1::ImportPlanResponse* r) {
      return tasks_stub_->ImportPlan(c, req, r);
    });
  });

  // ---- Gateway -----------------------------------------------------------------------------------
  const std::string list_tasks_path = "/luoshi.v1.TaskService/ListTasks";
  const Via h = Via::kHttp;
  add("gateway", "GET on an RPC path", h, 405, "",
      Http(HttpRequest("GET", list_tasks_path, "", "")));
  add("gateway", "content-type application/json", h, 415, "",
      Http(HttpRequest("POST", list_tasks_path, "application/json", "{}")));
  add("gateway", "frame length prefix 9, 3 bytes follow", h, 400, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web", std::string("\0\0\0\0\x09" "abc", 8))));
  add("gateway", "truncated frame header (3 bytes)", h, 400, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web", std::string("\0\0\0", 3))));
  add("gateway", "text mode, body not base64", h, 400, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web-text", "AA*A")));
  add("gateway", "frame length prefix 0xFFFFFFFF", g, kExhausted, "",
      [this, list_tasks_path] {
        return GrpcWebOutcome(SendHttp(gateway_.port(),
                                       HttpRequest("POST", list_tasks_path, "application/grpc-web",
                                                   std::string("\0\xFF\xFF\xFF\xFF", 5) + "xyz",
                                                   {{"authorization", admin_}})));
      });
  add("gateway", "compressed frame (flag 1)", g, kUnimplemented, "", [this, list_tasks_path] {
    return GrpcWebOutcome(SendHttp(gateway_.port(), HttpRequest("POST", list_tasks_path, "application/grpc-web",
                                                                 Frame("", 1), {{"authorization", admin_}})));
  });
  add("gateway", "not HTTP at all", h, 400, "", Http("GARBAGE\r\n\r\n"));
  add("gateway", "20 KiB header", h, 431, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web", Frame(""),
                       {{"authorization", "Bearer " + std::string(20 << 10, 'a')}})));
  add("gateway", "content-length of 100 MB", h, 413, "",
      Http(absl::StrCat("POST ", list_tasks_path,
                        " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/grpc-web\r\n"
                        "content-length: 100000000\r\n\r\n")));
  add("gateway", "grpc-timeout \"soon\"", h, 400, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web", Frame(""),
                       {{"authorization", admin_}, {"grpc-timeout", "soon"}})));
  add("gateway", "non-ASCII authorization header", h, 400, "",
      Http(HttpRequest("POST", list_tasks_path, "application/grpc-web", Frame(""),
                       {{"authorization", "Bearer 令牌"}})));
  add("gateway", "path with ../ outside the web root", h, 400, "",
      Http(HttpRequest("GET", "/assets/../../../etc/passwd", "", "")));
  add("gateway", "unknown service", g, kUnimplemented, "",
      ViaGateway("/luoshi.v1.NoSuchService/Get", "", admin_));
  add("gateway", "ListPlans without a token", g, kUnauthenticated, "no token",
      ViaGateway("/luoshi.v1.TaskService/ListPlans", "", ""));
  {
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_size(-1);
    add("gateway", "ListTasks page_size -1", g, kInvalid, "page_size must be between",
        ViaGateway(list_tasks_path, req.SerializeAsString(), admin_));
    v1::GetTaskRequest get;
    get.set_id("T99999");
    add("gateway", "GetTask T99999 (message in Chinese-safe percent encoding)", g, kNotFound, "does not exist",
        ViaGateway("/luoshi.v1.TaskService/GetTask", get.SerializeAsString(), admin_));
  }
  add("gateway", "message bytes that are not the request type", g, kInvalid, "",
      ViaGateway(list_tasks_path, "\xFF\xFF\xFF", admin_),
      "the task service's generated handler answers INTERNAL for an unparsable request (see the raw-wire rows)");

  // ---- CLI ---------------------------------------------------------------------------------------
  const Via c = Via::kCli;
  const std::string token = AdminToken();
  add("cli", "tasks show T99999", c, 1, "does not exist", Cli({"tasks", "show", "T99999"}, token));
  add("cli", "tasks report T56 --percent 101", c, 1, "between 0 and 100",
      Cli({"tasks", "report", "T56", "--percent", "101"}, ProgramTokens().For(Identity{"cli-office", "区农业农村局", Role::kOffice, ""})));
  add("cli", "tasks report T56 --percent abc", c, 1, "whole number",
      Cli({"tasks", "report", "T56", "--percent", "abc"}, token));
  add("cli", "tasks list --plan P999", c, 1, "does not exist", Cli({"tasks", "list", "--plan", "P999"}, token));
  add("cli", "indicators query --from 2023-13", c, 1, "period_from",
      Cli({"indicators", "query", "--from", "2023-13"}, token));
  add("cli", "indicators compare --region 火星区 --year 2023", c, 1, "火星区",
      Cli({"indicators", "compare", "--region", "火星区", "--year", "2023"}, token));
  add("cli", "documents --page_size -1", c, 1, "page_size", Cli({"documents", "--page_size", "-1"}, token));
  add("cli", "ingest of an empty file", c, 1, "is empty", [this, token] {
    std::ofstream(dir_ + "/empty.txt").close();
    return Cli({"ingest", dir_ + "/empty.txt"}, token)();
  });
  add("cli", "ingest of a file that does not exist", c, 1, "no-such-file.txt",
      Cli({"ingest", "/nonexistent/no-such-file.txt"}, token));
  add("cli", "--token garbage documents", c, 1, "token refused", Cli({"documents"}, "garbage"));
  add("cli", "no token at all", c, 1, "no token", Cli({"tasks", "plans"}, ""));
  add("cli", "unknown command", c, 2, "unknown command", Cli({"frobnicate"}, token));
  add("cli", "--timeout 0", c, 2, "--timeout must be a positive number", Cli({"--timeout", "0", "health"}, token));
  return t;
}

const char* ViaName(Via via) {
  switch (via) {
    case Via::kGrpc: return "grpc";
    case Via::kHttp: return "http";
    case Via::kCli: return "exit";
  }
  return "?";
}

TEST_F(BadInputTest, EveryRowAnsweredAsStatedAndNothingChanged) {
  ASSERT_NO_FATAL_FAILURE(LoadSeeds());
  const Snapshot before = Take();
  ASSERT_FALSE(before.observations_csv.empty());
  ASSERT_FALSE(before.documents.empty());

  std::vector<Case> table = Table();
  std::map<std::string, int> per_service;
  std::map<std::string, int> statuses;
  int deferred = 0;
  int64_t ingestion_peak = PeakRssBytes(ingestion_.pid());
  for (size_t i = 0; i < table.size(); ++i) {
    const Case& row = table[i];
    const absl::Time start = absl::Now();
    const Outcome got = row.run();
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    ++per_service[row.service];
    ++statuses[absl::StrCat(ViaName(row.via), " ", got.code)];
    std::string shown = got.message.substr(0, 160);
    std::replace(shown.begin(), shown.end(), '\n', ' ');
    const bool as_stated =
        got.code == row.expected && (row.fragment.empty() || absl::StrContains(got.message, row.fragment));
    std::printf("%3zu %-10s %-70s %s %d (want %d) %7.0f ms  %s%s\n", i + 1, row.service.c_str(), row.input.c_str(),
                ViaName(row.via), got.code, row.expected, ms, row.deferred.empty() ? "" : "[deferred] ",
                shown.c_str());
    // Which rows raised the ingestion service's peak memory (the others stay near their start).
    if (const int64_t peak = PeakRssBytes(ingestion_.pid()); peak > ingestion_peak + (16 << 20)) {
      std::printf("    ingestion peak RSS %.0f → %.0f MiB\n", ingestion_peak / 1048576.0, peak / 1048576.0);
      ingestion_peak = peak;
    }
    if (!row.deferred.empty()) {
      ++deferred;
      continue;
    }
    EXPECT_TRUE(as_stated) << "row " << i + 1 << " (" << row.service << ": " << row.input << "): want "
                           << ViaName(row.via) << " " << row.expected << " with \"" << row.fragment << "\", got "
                           << got.code << ": " << got.message.substr(0, 400);
  }
  EXPECT_GE(table.size(), 60u);
  std::printf("\n%zu rows (%d deferred); by service:", table.size(), deferred);
  for (const auto& [service, n] : per_service) std::printf(" %s %d,", service.c_str(), n);
  std::printf("\nanswers:");
  for (const auto& [status, n] : statuses) std::printf(" [%s]×%d", status.c_str(), n);
  std::printf("\n");

  // Every process is alive and answers health.
  for (auto [process, service] : {std::pair{&ingestion_, kIngestionService}, std::pair{&indicators_, kIndicatorsService},
                                  std::pair{&tasks_, kTasksService}}) {
    absl::StatusOr<std::string> health = CheckHealth(MakeChannel(process->address()), service.full_name, absl::Seconds(5));
    EXPECT_TRUE(health.ok() && *health == "SERVING") << service.short_name << ": "
                                                     << (health.ok() ? *health : health.status().ToString());
  }
  const HttpAnswer healthz = SendHttp(gateway_.port(), HttpRequest("GET", "/healthz", "", ""));
  EXPECT_EQ(healthz.status, 200) << healthz.body;

  // Nothing stored before changed, and nothing was added.
  const Snapshot after = Take();
  EXPECT_TRUE(after.observations_csv == before.observations_csv) << "the observation export changed";
  EXPECT_TRUE(after.tasks_csv == before.tasks_csv) << "the task export changed";
  EXPECT_TRUE(after.ledger_csv == before.ledger_csv) << "the ledger export changed";
  EXPECT_TRUE(after.documents == before.documents) << "the document list changed";
  EXPECT_FALSE(std::filesystem::exists("/tmp/luoshi-bad-input-escape"));

  // Memory stayed bounded.
  std::printf("peak RSS (VmHWM) after the table:");
  for (auto [process, name] : {std::pair{&ingestion_, "ingestion"}, std::pair{&indicators_, "indicators"},
                               std::pair{&tasks_, "tasks"}, std::pair{&gateway_, "gateway"}}) {
    const int64_t peak = PeakRssBytes(process->pid());
    std::printf(" %s %.0f MiB,", name, peak / (1024.0 * 1024.0));
    EXPECT_GT(peak, 0) << name;
    EXPECT_LT(peak, kRssBoundBytes) << name << " peaked at " << peak << " bytes";
  }
  std::printf(" (bound %lld MiB each)\n", static_cast<long long>(kRssBoundBytes >> 20));
}

}  // namespace
}  // namespace luoshi::testing
