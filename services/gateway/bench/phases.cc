// luoshi_gateway_bench: set-up calls over gRPC (one call through the generic stub, one blocking HTTP
// exchange), the idle-connection phase (the gateway's memory) and the WatchTasks phase.
#include "services/gateway/bench/phases.h"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/bench/common.h"
#include "services/gateway/bench/process.h"

namespace luoshi::gateway_bench {

// ---------------------------------------------------------------------------------------------------
// Set-up over gRPC.

const TestTokens& Tokens() {
  static const TestTokens* tokens = new TestTokens();
  return *tokens;
}

std::string AdminAuthorization() {
  static const std::string* value = new std::string("Bearer " + Tokens().For(AdminIdentity("bench")));
  return *value;
}

void Attach(grpc::ClientContext* c, const Identity& who) {
  Tokens().Attach(who, c);
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

const Identity kAdmin{"bench", "", Role::kAdmin};

// One call through the generic stub, its answer's bytes.
std::string DirectBytes(const std::string& target, const Read& read) {
  grpc::GenericStub stub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  Attach(&context, kAdmin);
  grpc::ByteBuffer request = ToByteBuffer(read.request), response;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, read.path, request, &cq);
  call->StartCall();
  call->Finish(&response, &status, &cq);
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) Die(absl::StrCat(read.path, " failed: ", status.error_message()));
  return Flatten(response);
}

// One exchange over a fresh blocking connection: the parsed response.
ResponseParser BlockingExchange(int port, const std::string& request) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  asio::write(s, asio::buffer(request));
  ResponseParser p;
  p.Reset();
  std::array<char, 1 << 16> buf;
  while (!p.done()) {
    size_t n = s.read_some(asio::buffer(buf));
    if (p.Feed(buf.data(), n) < 0) Die("malformed HTTP response from the gateway");
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------
// Idle keep-alive connections and the gateway's memory.

MemorySample Memory(pid_t pid) {
  return {StatusKib(pid, "VmRSS:"), StatusKib(pid, "VmHWM:"), OpenDescriptors(pid)};
}

void RunIdle(const Env& env, int count) {
  const pid_t gw = env.gateway->pid();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const MemorySample before = Memory(gw);
  asio::io_context io(1);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(env.gateway_port));
  const std::string request = StaticRequest(env.gateway_port);
  // One connection: connect, GET /, read the whole answer, then stay open and idle.
  struct Conn {
    Conn(asio::io_context& io, std::function<void(bool, const std::string&)>* done)
        : socket(io), done(done) {}
    void Read() {
      socket.async_read_some(asio::buffer(buf), [this](const boost::system::error_code& ec, size_t n) {
        if (ec) return (*done)(false, "read: " + ec.message());
        if (parser.Feed(buf.data(), n) < 0) return (*done)(false, "malformed response");
        if (!parser.done()) return Read();
        (*done)(parser.status() == 200 && !parser.close(), absl::StrCat("HTTP ", parser.status()));
      });
    }
    tcp::socket socket;
    std::function<void(bool, const std::string&)>* done;
    ResponseParser parser;
    std::array<char, 8192> buf;
  };
  std::vector<std::unique_ptr<Conn>> conns;
  int next = 0, failed = 0;
  std::string first_error;
  std::function<void()> open_next;
  std::function<void(bool, const std::string&)> finish = [&](bool ok, const std::string& what) {
    if (!ok) {
      ++failed;
      if (first_error.empty()) first_error = what;
    }
    open_next();
  };
  open_next = [&] {
    if (next >= count) return;
    conns.push_back(std::make_unique<Conn>(io, &finish));
    Conn* c = conns.back().get();
    ++next;
    c->parser.Reset();
    c->socket.async_connect(endpoint, [&, c](const boost::system::error_code& ec) {
      if (ec) return finish(false, "connect: " + ec.message());
      asio::async_write(c->socket, asio::buffer(request),
                        [&, c](const boost::system::error_code& ec, size_t) {
                          if (ec) return finish(false, "write: " + ec.message());
                          c->Read();
                        });
    });
  };
  const auto t0 = Clock::now();
  for (int i = 0; i < 64; ++i) open_next();  // 64 connections being opened at a time
  io.run_for(std::chrono::seconds(60));
  const double open_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const MemorySample with = Memory(gw);
  for (auto& c : conns) {
    boost::system::error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    c->socket.close(ignored);
  }
  // The gateway notices each close on its pending read; wait for its descriptors to come back.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (OpenDescriptors(gw) > before.fds + 2 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const MemorySample after = Memory(gw);
  std::printf(
      "\nGateway memory, %d idle keep-alive connections (each made one GET /; opened in %.2f s, %d "
      "failed%s):\n\n",
      count, open_s, failed, first_error.empty() ? "" : (" — " + first_error).c_str());
  std::printf("| moment | VmRSS | VmHWM | open descriptors |\n|---|---:|---:|---:|\n");
  auto row = [](const char* what, const MemorySample& m) {
    std::printf("| %s | %.1f MiB | %.1f MiB | %d |\n", what, m.rss_kib / 1024.0, m.hwm_kib / 1024.0, m.fds);
  };
  row("before (after the phases run so far)", before);
  row(absl::StrCat("with ", count, " idle connections").c_str(), with);
  row("after they closed", after);
  std::printf("\nper idle connection: %.1f KiB of resident memory\n",
              static_cast<double>(with.rss_kib - before.rss_kib) / std::max(1, count - failed));
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------------
// WatchTasks: a grpc-web watcher through the gateway and a direct one, ReportProgress one at a time.

namespace {

using EventKey = std::pair<std::string, int>;  // task id, percent

struct Arrivals {
  absl::Mutex mu;
  std::map<EventKey, Clock::time_point> web ABSL_GUARDED_BY(mu), direct ABSL_GUARDED_BY(mu);
  uint64_t web_events ABSL_GUARDED_BY(mu) = 0, direct_events ABSL_GUARDED_BY(mu) = 0;
  std::string web_error ABSL_GUARDED_BY(mu);
};

class WebWatcher {
 public:
  WebWatcher(int port, std::string request, Arrivals* arrivals)
      : socket_(io_), request_(std::move(request)), arrivals_(arrivals) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
    socket_.set_option(tcp::no_delay(true));
    parser_.Reset();
    asio::async_write(socket_, asio::buffer(request_), [this](const boost::system::error_code& ec, size_t) {
      if (ec) return Fail("write: " + ec.message());
      ReadSome();
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~WebWatcher() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
    });
    thread_.join();
  }

 private:
  void ReadSome() {
    socket_.async_read_some(asio::buffer(buf_), [this](const boost::system::error_code& ec, size_t n) {
      const auto now = Clock::now();
      if (ec) return Fail("read: " + ec.message());
      if (parser_.Feed(buf_.data(), n) < 0) return Fail("malformed HTTP response");
      if (parser_.in_body()) {
        if (parser_.status() != 200) return Fail(absl::StrCat("HTTP ", parser_.status()));
        std::string& body = parser_.body();
        uint8_t flags;
        absl::string_view payload;
        while (NextFrame(body, &pos_, &flags, &payload)) {
          if (flags & 0x80) return Fail(absl::StrCat("stream ended, grpc-status ", TrailerStatus(payload)));
          v1::TaskEvent event;
          if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
            return Fail("event does not decode");
          absl::MutexLock lock(&arrivals_->mu);
          arrivals_->web.emplace(EventKey{event.task().id(), event.task().percent_complete()}, now);
          ++arrivals_->web_events;
        }
        body.erase(0, pos_);
        pos_ = 0;
      }
      if (parser_.done()) return Fail("stream ended");
      ReadSome();
    });
  }
  void Fail(const std::string& what) {
    absl::MutexLock lock(&arrivals_->mu);
    if (arrivals_->web_error.empty()) arrivals_->web_error = what;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string request_;
  Arrivals* arrivals_;
  ResponseParser parser_;
  size_t pos_ = 0;
  std::array<char, 1 << 16> buf_;
  std::thread thread_;
};

class DirectWatcher {
 public:
  DirectWatcher(const std::string& target, const v1::WatchTasksRequest& request, Arrivals* arrivals)
      : stub_(v1::TaskService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        arrivals_(arrivals) {
    Tokens().Attach(kAdmin, &context_);
    reader_ = stub_->WatchTasks(&context_, request);
    thread_ = std::thread([this] {
      v1::TaskEvent event;
      while (reader_->Read(&event)) {
        const auto now = Clock::now();
        absl::MutexLock lock(&arrivals_->mu);
        arrivals_->direct.emplace(EventKey{event.task().id(), event.task().percent_complete()}, now);
        ++arrivals_->direct_events;
      }
    });
  }
  ~DirectWatcher() {
    context_.TryCancel();
    thread_.join();
    reader_->Finish();
  }

 private:
  std::unique_ptr<v1::TaskService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> reader_;
  Arrivals* arrivals_;
  std::thread thread_;
};

}  // namespace

void RunWatch(const Env& env, const std::string& plan_id, const std::vector<ReportTarget>& targets,
              int reports) {
  auto stub =
      v1::TaskService::NewStub(grpc::CreateChannel(env.tasks_target, grpc::InsecureChannelCredentials()));
  v1::WatchTasksRequest watch;
  watch.mutable_filter()->set_plan_id(plan_id);
  Arrivals arrivals;
  // The grpc-web watcher asks for a deadline well beyond the run (a browser reopens the stream when it ends).
  WebWatcher web(
      env.gateway_port,
      GrpcWebRequest(env.gateway_port, "/luoshi.v1.TaskService/WatchTasks", watch.SerializeAsString(), "10M"),
      &arrivals);
  DirectWatcher direct(env.tasks_target, watch, &arrivals);
  int sequence = 0;
  const int k = static_cast<int>(targets.size());
  std::vector<double> report_ms, web_ms, direct_ms, added_ms;
  int missed_web = 0, missed_direct = 0, failed_reports = 0;
  std::string report_error;
  const int warmup =
      5;  // also makes sure both streams are live (the gateway sends the HTTP head with the first event)
  for (int i = 0; i < warmup + reports; ++i, ++sequence) {
    const ReportTarget& t = targets[static_cast<size_t>(sequence % k)];
    const int percent = (sequence / k) % 101;
    v1::ReportProgressRequest req;
    req.set_task_id(t.task_id);
    req.set_percent(percent);
    req.set_narrative(absl::StrCat("基准测试进度报告第", sequence, "次"));
    v1::Task answer;
    grpc::ClientContext context;
    Attach(&context, t.office);
    const auto start = Clock::now();
    grpc::Status st = stub->ReportProgress(&context, req, &answer);
    const auto replied = Clock::now();
    if (!st.ok()) {
      ++failed_reports;
      if (report_error.empty()) report_error = st.error_message();
      continue;
    }
    const EventKey key{t.task_id, percent};
    std::optional<Clock::time_point> web_at, direct_at;
    {
      absl::MutexLock lock(&arrivals.mu);
      auto both = [&] {
        return (arrivals.web.count(key) > 0 || !arrivals.web_error.empty()) && arrivals.direct.count(key) > 0;
      };
      arrivals.mu.AwaitWithTimeout(absl::Condition(&both), absl::Seconds(5));
      if (auto it = arrivals.web.find(key); it != arrivals.web.end()) web_at = it->second;
      if (auto it = arrivals.direct.find(key); it != arrivals.direct.end()) direct_at = it->second;
    }
    if (i >= warmup) {
      report_ms.push_back(Ms(replied - start));
      if (web_at)
        web_ms.push_back(Ms(*web_at - start));
      else
        ++missed_web;
      if (direct_at)
        direct_ms.push_back(Ms(*direct_at - start));
      else
        ++missed_direct;
      if (web_at && direct_at) added_ms.push_back(Ms(*web_at - *direct_at));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(absl::GetFlag(FLAGS_report_gap_ms)));
  }
  std::string web_error;
  {
    absl::MutexLock lock(&arrivals.mu);
    web_error = arrivals.web_error;
  }
  std::printf(
      "\nWatchTasks: %d ReportProgress calls one at a time (after %d not counted), each as the office "
      "responsible for the task (%d tasks in turn), %d ms apart; time from sending the report:\n\n",
      reports, warmup, k, absl::GetFlag(FLAGS_report_gap_ms));
  std::printf("| measured | count | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
  auto row = [](const char* what, const std::vector<double>& v) {
    std::printf("| %s | %zu | %.3f | %.3f | %.3f | %.3f |\n", what, v.size(), Percentile(v, 0.5),
                Percentile(v, 0.9), Percentile(v, 0.99), Percentile(v, 1.0));
  };
  row("ReportProgress answered (durable commit)", report_ms);
  row("event at a direct gRPC watcher", direct_ms);
  row("event at a grpc-web watcher through the gateway", web_ms);
  row("grpc-web event after the direct one (same report)", added_ms);
  if (missed_web || missed_direct || failed_reports) {
    std::printf("\nmissing after 5 s: %d grpc-web events, %d direct events; %d reports failed%s%s\n",
                missed_web, missed_direct, failed_reports, report_error.empty() ? "" : ": ",
                report_error.c_str());
  }
  if (!web_error.empty()) std::printf("grpc-web watcher: %s\n", web_error.c_str());
  std::fflush(stdout);
}

// Tasks of the plan on which their first responsible unit, acting as an office, may report (a
// collective value such as 各镇街 is not an office); the first ones found, at most `max`.
std::vector<ReportTarget> ReportTargets(v1::TaskService::Stub* stub, const std::vector<v1::Task>& tasks,
                                        size_t max) {
  std::vector<ReportTarget> out;
  std::set<std::string> units_used;
  for (const v1::Task& t : tasks) {
    if (out.size() >= max) break;
    if (t.definition().responsible_units().empty()) continue;
    const std::string unit = t.definition().responsible_units(0);
    if (units_used.count(unit)) continue;  // spread the reports over offices
    ReportTarget target{t.id(), Identity{"bench-office", unit, Role::kOffice}};
    v1::ReportProgressRequest req;
    req.set_task_id(t.id());
    req.set_percent(0);
    req.set_narrative("基准测试准备");
    v1::Task answer;
    grpc::ClientContext context;
    Attach(&context, target.office);
    if (stub->ReportProgress(&context, req, &answer).ok()) {
      out.push_back(target);
      units_used.insert(unit);
    }
  }
  return out;
}

}  // namespace luoshi::gateway_bench
