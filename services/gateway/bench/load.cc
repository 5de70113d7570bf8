// luoshi_gateway_bench: the read under test and its checks, and the load phases.
//
// Load phases: closed-loop clients over a time window; calls that complete inside the measured window
// are counted.
#include "services/gateway/bench/load.h"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/limits.h"
#include "services/gateway/bench/common.h"
#include "services/gateway/bench/http_messages.h"

namespace luoshi::gateway_bench {

bool Decodes(const Read& read, absl::string_view bytes) {
  if (read.ledger) {
    v1::Ledger m;
    return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) && m.rows_size() > 0;
  }
  v1::ListTasksResponse m;
  return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) && m.tasks_size() > 0;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

namespace {

struct Window {
  Clock::time_point measure_from, measure_to;
};

// Records one completed call; returns whether the client should send another.
bool Record(const Window& w, Clock::time_point start, Clock::time_point end, bool ok,
            const std::string& error, Tally* t) {
  if (end >= w.measure_from && end < w.measure_to) {
    if (ok) {
      t->ms.push_back(Ms(end - start));
    } else {
      t->Error(error);
    }
  }
  return end < w.measure_to;
}

// A direct gRPC client: its own HTTP/2 connection (as a separate browser or program would have), the
// generic stub (the bytes of the request, no stub code), calls driven through a completion queue.
class GrpcClient {
 public:
  GrpcClient(const std::string& target, const Read* read)
      : read_(read), request_(ToByteBuffer(read->request)) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(luoshi::kMaxMessageBytes);
    stub_ = std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }

  void Issue(grpc::CompletionQueue* cq) {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->AddMetadata("authorization", AdminAuthorization());
    context_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    response_.Clear();
    start_ = Clock::now();
    call_ = stub_->PrepareUnaryCall(context_.get(), read_->path, request_, cq);
    call_->StartCall();
    call_->Finish(&response_, &status_, this);
  }

  // Checks the finished call; "" when it is right.
  std::string Check(bool decode) const {
    if (!status_.ok())
      return absl::StrCat("grpc status ", status_.error_code(), ": ", status_.error_message());
    if (response_.Length() != read_->answer.size())
      return absl::StrCat("answer of ", response_.Length(), " bytes, expected ", read_->answer.size());
    if (decode && !Decodes(*read_, Flatten(response_))) return "answer does not decode";
    return "";
  }
  Clock::time_point start() const { return start_; }

 private:
  const Read* read_;
  grpc::ByteBuffer request_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
  Clock::time_point start_;
};

void DriveGrpc(std::vector<GrpcClient*> clients, Window w, bool decode, Tally* tally,
               std::atomic<pid_t>* tid) {
  *tid = Gettid();
  grpc::CompletionQueue cq;
  size_t in_flight = 0;
  for (GrpcClient* c : clients) {
    c->Issue(&cq);
    ++in_flight;
  }
  void* tag;
  bool ok;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* c = static_cast<GrpcClient*>(tag);
    const auto end = Clock::now();
    const std::string error = ok ? c->Check(decode) : "completion queue failure";
    if (Record(w, c->start(), end, error.empty(), error, tally)) {
      c->Issue(&cq);
    } else {
      --in_flight;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// An HTTP/1.1 client of the gateway: one keep-alive connection, one request in flight. kGrpcWeb checks
// the answer as a grpc-web client must (status 200, one message frame of the expected length, a trailer
// frame with grpc-status 0; or trailers-only, which is an error here); kStatic checks for a 200 with a body.
class HttpClient {
 public:
  enum class Kind { kGrpcWeb, kStatic };
  HttpClient(asio::io_context& io, tcp::endpoint endpoint, const std::string* request, Kind kind,
             const Read* read, bool decode, const Window* window, Tally* tally)
      : socket_(io),
        endpoint_(endpoint),
        request_(request),
        kind_(kind),
        read_(read),
        decode_(decode),
        window_(window),
        tally_(tally) {}

  void Start() { Connect(); }

 private:
  void Connect() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    socket_.async_connect(endpoint_, [this](const boost::system::error_code& ec) {
      if (ec) return Fatal(absl::StrCat("connect: ", ec.message()));
      boost::system::error_code ignored;
      socket_.set_option(tcp::no_delay(true), ignored);
      Issue();
    });
  }

  void Issue() {
    parser_.Reset();
    start_ = Clock::now();
    asio::async_write(socket_, asio::buffer(*request_), [this](const boost::system::error_code& ec, size_t) {
      if (ec) return Failed(absl::StrCat("write: ", ec.message()));
      ReadSome();
    });
  }

  void ReadSome() {
    socket_.async_read_some(asio::buffer(buf_), [this](const boost::system::error_code& ec, size_t n) {
      if (ec) return Failed(absl::StrCat("read: ", ec.message()));
      long used = parser_.Feed(buf_.data(), n);
      if (used < 0) return Failed("malformed HTTP response");
      if (!parser_.done()) return ReadSome();
      if (static_cast<size_t>(used) != n) return Failed("bytes after the response");
      Finished();
    });
  }

  std::string Check() {
    if (parser_.status() != 200) return absl::StrCat("HTTP ", parser_.status());
    if (kind_ == Kind::kStatic) return parser_.body().empty() ? "empty body" : "";
    if (!absl::StartsWith(parser_.content_type(), "application/grpc-web"))
      return absl::StrCat("content type ", parser_.content_type());
    if (!parser_.grpc_status_header().empty())
      return absl::StrCat("trailers-only, grpc-status ", parser_.grpc_status_header());
    size_t pos = 0;
    uint8_t flags;
    absl::string_view payload;
    int messages = 0, status = -1;
    while (NextFrame(parser_.body(), &pos, &flags, &payload)) {
      if (flags & 0x80) {
        status = TrailerStatus(payload);
      } else {
        ++messages;
        if (payload.size() != read_->answer.size())
          return absl::StrCat("message of ", payload.size(), " bytes, expected ", read_->answer.size());
        if (decode_ && !Decodes(*read_, payload)) return "message does not decode";
      }
    }
    if (pos != parser_.body().size()) return "body ends inside a frame";
    if (messages != 1) return absl::StrCat(messages, " message frames");
    if (status != 0) return absl::StrCat("trailer grpc-status ", status);
    return "";
  }

  void Finished() {
    const auto end = Clock::now();
    const std::string error = Check();
    if (!Record(*window_, start_, end, error.empty(), error, tally_)) return Close();
    if (parser_.close()) {
      ++tally_->reconnects;
      return Connect();
    }
    Issue();
  }

  // The connection failed: counted as an error if inside the window; a new connection is made.
  void Failed(const std::string& what) {
    if (!Record(*window_, start_, Clock::now(), false, what, tally_)) return Close();
    ++tally_->reconnects;
    Connect();
  }
  void Fatal(const std::string& what) {
    tally_->Error(what);
    Close();
  }
  void Close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  tcp::endpoint endpoint_;
  const std::string* request_;
  Kind kind_;
  const Read* read_;
  bool decode_;
  const Window* window_;
  Tally* tally_;
  ResponseParser parser_;
  std::array<char, 64 << 10> buf_;
  Clock::time_point start_;
};

// Runs until every client has stopped after the window (or, should the gateway stop answering, 20 s later).
void DriveHttp(std::vector<std::unique_ptr<HttpClient>>* clients, asio::io_context* io, Window w,
               std::atomic<pid_t>* tid) {
  *tid = Gettid();
  for (auto& c : *clients) c->Start();
  io->run_until(w.measure_to + std::chrono::seconds(20));
}

}  // namespace

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

// Runs one load phase with `clients` clients of `kind` ("direct", "grpc-web", "GET /").
PhaseResult RunPhase(const Env& env, const std::string& name, int clients, double warmup, double seconds,
                     const Read& read, const std::string* http_request, bool grpc) {
  const bool decode = absl::GetFlag(FLAGS_decode);
  const int drivers = std::max(1, std::min(clients, absl::GetFlag(FLAGS_load_threads)));
  PhaseResult r;
  r.name = name;
  r.clients = clients;
  r.seconds = seconds;
  Window w;
  w.measure_from = Clock::now() + Seconds(warmup);
  w.measure_to = w.measure_from + Seconds(seconds);
  std::vector<Tally> tallies(drivers);
  std::vector<std::atomic<pid_t>> tids(drivers);
  std::vector<std::thread> threads;
  // Objects owned here, used by the driving threads until they are joined.
  std::vector<std::unique_ptr<GrpcClient>> grpc_clients;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::vector<std::unique_ptr<HttpClient>>> http_clients(drivers);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(env.gateway_port));
  if (grpc) {
    std::vector<std::vector<GrpcClient*>> groups(drivers);
    for (int c = 0; c < clients; ++c) {
      grpc_clients.push_back(std::make_unique<GrpcClient>(env.tasks_target, &read));
      groups[c % drivers].push_back(grpc_clients.back().get());
    }
    for (int d = 0; d < drivers; ++d)
      threads.emplace_back(DriveGrpc, groups[d], w, decode, &tallies[d], &tids[d]);
  } else {
    const auto kind =
        absl::StartsWith(*http_request, "GET ") ? HttpClient::Kind::kStatic : HttpClient::Kind::kGrpcWeb;
    for (int d = 0; d < drivers; ++d) ios.push_back(std::make_unique<asio::io_context>(1));
    for (int c = 0; c < clients; ++c) {
      const int d = c % drivers;
      http_clients[d].push_back(std::make_unique<HttpClient>(*ios[d], endpoint, http_request, kind, &read,
                                                             decode, &w, &tallies[d]));
    }
    for (int d = 0; d < drivers; ++d)
      threads.emplace_back(DriveHttp, &http_clients[d], ios[d].get(), w, &tids[d]);
  }
  auto sample = [&](double* gen, double* gw, double* ts, double* drain, MachineCpu* m) {
    *gen = SelfCpuSeconds();
    *gw = ProcessCpuSeconds(env.gateway->pid());
    *ts = ProcessCpuSeconds(env.tasks->pid());
    *drain = ThreadCpuSeconds(env.gateway->reader_tid()) + ThreadCpuSeconds(env.tasks->reader_tid());
    *m = ReadMachineCpu();
  };
  double g0, gw0, t0, d0, g1, gw1, t1, d1;
  MachineCpu m0, m1;
  std::this_thread::sleep_until(w.measure_from);
  sample(&g0, &gw0, &t0, &d0, &m0);
  const double sg0 = ContextSwitches(env.gateway->pid()), st0 = ContextSwitches(env.tasks->pid());
  std::this_thread::sleep_until(w.measure_to);
  sample(&g1, &gw1, &t1, &d1, &m1);
  r.switches_gateway = ContextSwitches(env.gateway->pid()) - sg0;
  r.switches_tasks = ContextSwitches(env.tasks->pid()) - st0;
  for (auto& t : threads) t.join();
  for (auto& t : tallies) r.tally.Merge(t);
  r.cpu_log_drain = d1 - d0;
  r.cpu_generator = (g1 - g0) - r.cpu_log_drain;
  r.cpu_gateway = gw1 - gw0;
  r.cpu_tasks = t1 - t0;
  r.cpu_machine = m1.busy - m0.busy;
  r.cpu_softirq = m1.softirq - m0.softirq;
  r.cpu_total = m1.total - m0.total;
  return r;
}

// CPU columns: each process's CPU time during the measured window per counted call (the generator is this
// process without the threads draining the children's logs); "kernel, other" is the rest of the machine's
// busy time (interrupt and softirq work, loopback TCP included, and anything else running); "busy" the share
// of all cores that was busy.
void PrintHeader() {
  std::printf(
      "| path | clients | calls | calls/s | p50 ms | p90 ms | p99 ms | max ms | errors | CPU ms/call: "
      "generator | gateway | tasks | log drain | kernel, other | machine busy | context switches/call: "
      "gateway "
      "| tasks |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

void PrintRow(const PhaseResult& r) {
  const double calls = std::max<double>(1, static_cast<double>(r.tally.ms.size()));
  const double other = r.cpu_machine - r.cpu_generator - r.cpu_gateway - r.cpu_tasks - r.cpu_log_drain;
  std::printf("| %s | %d | %zu | %.0f | %.3f | %.3f | %.3f | %.3f | %" PRIu64
              " | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f %% | %.1f | %.1f |\n",
              r.name.c_str(), r.clients, r.tally.ms.size(), r.Rate(), Percentile(r.tally.ms, 0.5),
              Percentile(r.tally.ms, 0.9), Percentile(r.tally.ms, 0.99), Percentile(r.tally.ms, 1.0),
              r.tally.errors, r.cpu_generator * 1000 / calls, r.cpu_gateway * 1000 / calls,
              r.cpu_tasks * 1000 / calls, r.cpu_log_drain * 1000 / calls, other * 1000 / calls,
              r.cpu_total > 0 ? 100 * r.cpu_machine / r.cpu_total : 0, r.switches_gateway / calls,
              r.switches_tasks / calls);
  if (!r.tally.first_error.empty()) std::printf("  (first error: %s)\n", r.tally.first_error.c_str());
  if (r.tally.reconnects > 0) std::printf("  (%" PRIu64 " reconnections)\n", r.tally.reconnects);
  std::fflush(stdout);
}

}  // namespace luoshi::gateway_bench
