// luoshi_gateway_bench: the grpc-web gateway against direct gRPC (docs/benchmarks.md, "grpc-web gateway
// (issue 16)"). A program that prints figures, not a test.
//
// It starts the real luoshi-tasks (fresh database in a temporary directory) and luoshi-gateway binaries
// of this build tree on 127.0.0.1 port 0, reading each port from the child's JSON "listening" log line,
// imports the 2023 division plan of seed 004 (121 tasks) over gRPC, and measures:
//   1. the same read (TaskService/GetLedger of that plan by unit, or --method=list: ListTasks of the plan,
//      page of 50) with --clients closed-loop clients for --seconds after --warmup_seconds, (a) direct
//      gRPC to the task service, (b) grpc-web (binary) through the gateway, each client its own HTTP/1.1
//      keep-alive connection with one request in flight; throughput, latency percentiles, the CPU each
//      process spent per call, and the ratios against the issue's goals. The same pair again with one
//      client (--single_client_seconds) shows the latency the gateway adds when nothing queues;
//   2. GET / (the client's index.html) through the gateway with the same clients;
//   3. the gateway's resident memory before, with --idle_connections idle keep-alive connections open
//      (each made one GET /), and after they closed;
//   4. the time from a ReportProgress (direct gRPC, as the office responsible for the task) to the
//      matching WatchTasks event at a grpc-web client through the gateway, and at a direct gRPC watcher
//      for comparison, --reports reports one at a time.
//
// One load generator design serves every load phase: N clients, one call in flight each, the next sent
// as soon as the answer has arrived and been checked, all driven by --load_threads threads (default one:
// a gRPC completion queue for the direct path, an asio io_context for the HTTP paths), so that the
// generator takes as little as possible of the two cores it shares with the gateway and the service.
// Neither path decodes the answer by default (both check its length against the answer of a direct call;
// --decode parses it on both). The gateway's access log (one JSON line per request on stderr) is drained
// by the benchmark as a log collector would.
//
// Bounded: every phase has a fixed duration or count, everything is on loopback, and the program kills its
// children when it ends, however it ends (--max_seconds is a hard stop).
#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/flags.h"
#include "services/common/identity.h"
#include "services/tasks/test_util.h"

ABSL_FLAG(int, clients, 16, "Concurrent clients of every load phase (direct, gateway, GET /).");
ABSL_FLAG(double, seconds, 10, "Measured duration of each load phase.");
ABSL_FLAG(double, warmup_seconds, 2, "The same load, run and not counted, before each load phase.");
ABSL_FLAG(double, single_client_seconds, 5,
          "Measured duration of the one-client direct/gateway pair (latency with no queueing); 0 skips it.");
ABSL_FLAG(int, rounds, 1, "Direct/gateway pairs at --clients, run alternately (the machine is noisy).");
ABSL_FLAG(std::string, method, "ledger",
          "The read: ledger (GetLedger of the plan by unit) or list (ListTasks of the plan, page of 50).");
ABSL_FLAG(bool, decode, false,
          "Parse every answer into its message on both paths (default: check its length).");
ABSL_FLAG(int, load_threads, 1, "Threads driving the clients of a load phase.");
ABSL_FLAG(int, idle_connections, 1000, "Idle keep-alive connections opened for the memory measurement.");
ABSL_FLAG(int, idle_rounds, 1,
          "Times the idle-connection measurement is repeated (a second round shows whether the memory of the "
          "first is reused).");
ABSL_FLAG(int, reports, 200, "ReportProgress calls, one at a time, for the WatchTasks latency.");
ABSL_FLAG(int, report_gap_ms, 5, "Pause between two of those reports.");
ABSL_FLAG(std::string, phases, "rw,static,idle,watch",
          "Phases to run: rw (direct and gateway reads), static (GET /), idle (memory), watch; also web "
          "(the gateway reads alone, for profiling).");
ABSL_FLAG(std::string, binary_dir, LUOSHI_BUILD_DIR,
          "Build tree holding services/tasks/luoshi-tasks and services/gateway/luoshi-gateway.");
ABSL_FLAG(
    std::string, gateway_binary, "",
    "The gateway binary (default: services/gateway/luoshi-gateway under --binary_dir), e.g. one built from "
    "another commit for an A/B comparison.");
ABSL_FLAG(std::string, web_root, LUOSHI_SOURCE_DIR "/client-web/dist", "The gateway's --web_root.");
ABSL_FLAG(std::string, seed, LUOSHI_SOURCE_DIR "/data/seeds/004_bb9545a5710306fa.txt",
          "Division-plan document imported as the plan (seed 004: 121 tasks).");
ABSL_FLAG(
    std::string, gateway_flags, "",
    "Extra flags for luoshi-gateway, separated by spaces (e.g. \"--http_threads=1 --log_level=warning\").");
ABSL_FLAG(std::string, tasks_flags, "", "Extra flags for luoshi-tasks, separated by spaces.");
ABSL_FLAG(std::string, gateway_wrapper, "",
          "Command the gateway is started under, separated by spaces (e.g. \"valgrind --tool=callgrind "
          "--log-file=/tmp/cg.log\" to profile it; the CPU columns then include the wrapper).");
ABSL_FLAG(double, max_seconds, 600, "Hard limit on the whole run: children killed, exit 3.");

namespace luoshi::gateway_bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "luoshi_gateway_bench: %s\n", message.c_str());
  std::exit(1);  // the atexit handler kills the children
}

// ---------------------------------------------------------------------------------------------------
// Child processes. (tests/common/process.h keeps a child's whole stderr in memory, and the gateway writes
// an access-log line per request, tens of MB in a run; this one keeps the head and counts the rest.)

constexpr int kMaxChildren = 4;
std::atomic<pid_t> g_children[kMaxChildren];

// The temporary directory and the files the task service keeps there, removed however the run ends (kept
// as plain strings so that a signal handler may use them: kill, waitpid, unlink and rmdir are all
// async-signal-safe).
char g_scratch_dir[256];
char g_scratch_files[3][300];

void KillChildrenNow() {
  for (auto& c : g_children) {
    pid_t pid = c.exchange(0);
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  if (g_scratch_dir[0] != '\0') {
    for (const char* f : g_scratch_files) unlink(f);
    rmdir(g_scratch_dir);
  }
}

extern "C" void OnFatalSignal(int sig) {
  KillChildrenNow();
  signal(sig, SIG_DFL);
  raise(sig);
}

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// CPU seconds (user + system) of a process or of one of this process's threads, from /proc.
double CpuSecondsFromStat(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(text.substr(paren + 2), ' ');
  // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based), i.e. indexes 11 and 12 here.
  if (f.size() < 13) return 0;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / ticks;
}
double ProcessCpuSeconds(pid_t pid) { return CpuSecondsFromStat(absl::StrCat("/proc/", pid, "/stat")); }
double ThreadCpuSeconds(pid_t tid) {
  return CpuSecondsFromStat(absl::StrCat("/proc/", getpid(), "/task/", tid, "/stat"));
}
double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// "VmRSS:" and the like from /proc/PID/status, in KiB; -1 when absent.
long StatusKib(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, key)) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  }
  return -1;
}

// Context switches (voluntary and not) of all threads of a process so far.
double ContextSwitches(pid_t pid) {
  double n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::ifstream in(it->path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StartsWith(line, "voluntary_ctxt_switches:") ||
          absl::StartsWith(line, "nonvoluntary_ctxt_switches:")) {
        n += std::strtod(line.c_str() + line.find(':') + 1, nullptr);
      }
    }
  }
  return n;
}

int OpenDescriptors(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Busy and total jiffies of the whole machine (/proc/stat), to show what else ran during a phase.
struct MachineCpu {
  double busy = 0, softirq = 0, total = 0;  // seconds of CPU, all cores together
};
MachineCpu ReadMachineCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  MachineCpu m;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  for (int i = 0; i < 8; ++i) {
    double v = 0;
    if (!(in >> v)) break;
    v /= ticks;
    m.total += v;
    if (i != 3 && i != 4 && i != 7) m.busy += v;
    if (i == 5 || i == 6) m.softirq += v;
  }
  return m;
}

// The port a process listens on, from its socket descriptors and /proc/net/tcp (for a child started with
// a log level that leaves out its "listening" line); 0 when none is found.
int ListeningPort(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    std::string target = std::filesystem::read_symlink(it->path(), link_ec).string();
    if (!link_ec && absl::StartsWith(target, "socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::ifstream in(absl::StrCat("/proc/", pid, "/net/tcp"));
  std::string line;
  std::getline(in, line);  // column names
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.size() < 10 || f[3] != "0A" || inodes.count(f[9]) == 0) continue;
    uint32_t port = 0;
    if (absl::SimpleHexAtoi(f[1].substr(f[1].find(':') + 1), &port)) return static_cast<int>(port);
  }
  return 0;
}

class Child {
 public:
  ~Child() { Stop(); }

  void Start(const std::string& name, const std::string& binary, std::vector<std::string> args,
             std::vector<std::string> wrapper = {}) {
    name_ = name;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) Die("pipe failed");
    std::vector<std::string> argv_s = wrapper;
    argv_s.push_back(binary);
    argv_s.push_back("--listen=127.0.0.1:0");
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    const std::string program =
        argv_s[0].find('/') == std::string::npos ? "/usr/bin/" + argv_s[0] : argv_s[0];
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // the benchmark dying takes its children along
      if (getppid() != parent) _exit(126);
      dup2(fds[1], STDERR_FILENO);
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDOUT_FILENO);
      execv(program.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    pid_ = pid;
    for (auto& c : g_children) {
      pid_t expected = 0;
      if (c.compare_exchange_strong(expected, pid)) break;
    }
    reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
    const auto deadline = Clock::now() + std::chrono::seconds(wrapper.empty() ? 20 : 120);
    while (port_.load() == 0) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        Forget();
        pid_ = -1;
        if (reader_.joinable()) reader_.join();
        Die(absl::StrCat(binary, " exited at start-up:\n", LogHead()));
      }
      if (Clock::now() > deadline) Die(absl::StrCat(binary, " reported no port in time:\n", LogHead()));
      if (Clock::now() > deadline - std::chrono::seconds(wrapper.empty() ? 17 : 110)) {
        if (int port = ListeningPort(pid_); port > 0) port_ = port;  // no "listening" line (--log_level)
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // SIGTERM, then SIGKILL after 10 s. Returns a description of how the child ended.
  std::string Stop() {
    if (pid_ <= 0) return "not running";
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::string how;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        how = "killed after 10 s without exiting on SIGTERM; ";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Forget();
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    if (WIFEXITED(status)) return absl::StrCat(how, "exit code ", WEXITSTATUS(status));
    return absl::StrCat(how, "signal ", WTERMSIG(status));
  }

  pid_t pid() const { return pid_; }
  int port() const { return port_.load(); }
  pid_t reader_tid() const { return reader_tid_.load(); }
  uint64_t log_lines() const { return lines_.load(); }
  std::string LogHead() const {
    absl::MutexLock lock(&mu_);
    return head_;
  }
  // Warning and error lines seen (the first few).
  std::vector<std::string> Problems() const {
    absl::MutexLock lock(&mu_);
    return problems_;
  }
  uint64_t problem_count() const { return problem_count_.load(); }

 private:
  void Forget() {
    for (auto& c : g_children) {
      pid_t expected = pid_;
      if (c.compare_exchange_strong(expected, 0)) break;
    }
  }

  void ReadLoop(int fd) {
    reader_tid_ = Gettid();
    char buf[1 << 16];
    std::string line;
    while (true) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n;) {
        const char* nl = static_cast<const char*>(std::memchr(buf + i, '\n', static_cast<size_t>(n - i)));
        size_t take = nl ? static_cast<size_t>(nl - (buf + i)) : static_cast<size_t>(n - i);
        if (line.size() < 4096) line.append(buf + i, std::min(take, 4096 - line.size()));
        i += static_cast<ssize_t>(take);
        if (!nl) break;
        ++i;
        Line(line);
        line.clear();
      }
    }
    close(fd);
  }

  void Line(const std::string& line) {
    lines_.fetch_add(1, std::memory_order_relaxed);
    const bool listening = port_.load() == 0 && absl::StrContains(line, "\"msg\":\"listening\"");
    const bool problem =
        absl::StrContains(line, "\"level\":\"warning\"") || absl::StrContains(line, "\"level\":\"error\"");
    if (problem) problem_count_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    if (head_.size() < (32 << 10)) absl::StrAppend(&head_, line, "\n");
    if (problem && problems_.size() < 10) problems_.push_back(line);
    if (listening) {
      size_t at = line.find("\"port\":\"");
      int port = 0;
      if (at != std::string::npos) {
        std::string digits;
        for (size_t i = at + 8; i < line.size() && absl::ascii_isdigit(line[i]); ++i) digits += line[i];
        if (absl::SimpleAtoi(digits, &port) && port > 0) port_ = port;
      }
    }
  }

  std::string name_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::atomic<int> port_{0};
  std::atomic<pid_t> reader_tid_{0};
  std::atomic<uint64_t> lines_{0}, problem_count_{0};
  mutable absl::Mutex mu_;
  std::string head_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
};

// ---------------------------------------------------------------------------------------------------
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
      timeout, "\r\nx-luoshi-role: admin\r\nx-luoshi-user: bench\r\nContent-Length: ", frame.size(),
      "\r\n\r\n", frame);
}

std::string StaticRequest(int port) {
  return absl::StrCat("GET / HTTP/1.1\r\n", BrowserHeaders(port),
                      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\r\n");
}

// ---------------------------------------------------------------------------------------------------
// The read under test, its answer, and the checks both paths apply.

struct Read {
  std::string path;     // "/luoshi.v1.TaskService/GetLedger"
  std::string request;  // serialized request message
  std::string answer;   // serialized answer of a direct call (the reference)
  bool ledger = true;
};

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

// ---------------------------------------------------------------------------------------------------
// Load phases: closed-loop clients over a time window; calls that complete inside the measured window
// are counted.

struct Window {
  Clock::time_point measure_from, measure_to;
};

struct Tally {
  std::vector<double> ms;
  uint64_t errors = 0;
  uint64_t reconnects = 0;
  std::string first_error;
  void Error(const std::string& what) {
    ++errors;
    if (first_error.empty()) first_error = what;
  }
  void Merge(const Tally& o) {
    ms.insert(ms.end(), o.ms.begin(), o.ms.end());
    errors += o.errors;
    reconnects += o.reconnects;
    if (first_error.empty()) first_error = o.first_error;
  }
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

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A direct gRPC client: its own HTTP/2 connection (as a separate browser or program would have), the
// generic stub (the bytes of the request, no stub code), calls driven through a completion queue.
class GrpcClient {
 public:
  GrpcClient(const std::string& target, const Read* read)
      : read_(read), request_(ToByteBuffer(read->request)) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    stub_ = std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }

  void Issue(grpc::CompletionQueue* cq) {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->AddMetadata(kRoleHeader, "admin");
    context_->AddMetadata(kUserHeader, "bench");
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

struct PhaseResult {
  std::string name;
  int clients = 0;
  double seconds = 0;
  Tally tally;
  double cpu_generator = 0, cpu_gateway = 0, cpu_tasks = 0, cpu_log_drain = 0;
  double cpu_machine = 0, cpu_softirq = 0, cpu_total = 0;  // the whole machine, busy / interrupts / all
  double switches_gateway = 0, switches_tasks = 0;         // context switches of all their threads
  double Rate() const { return static_cast<double>(tally.ms.size()) / seconds; }
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

struct Env {
  Child* tasks = nullptr;
  Child* gateway = nullptr;
  std::string tasks_target;
  int gateway_port = 0;
};

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

// ---------------------------------------------------------------------------------------------------
// Set-up over gRPC.

void Attach(grpc::ClientContext* c, const Identity& who) {
  AttachIdentity(who, c);
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

struct MemorySample {
  long rss_kib = 0, hwm_kib = 0;
  int fds = 0;
};
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
    AttachIdentity(kAdmin, &context_);
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

struct ReportTarget {
  std::string task_id;
  Identity office;
};

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

std::vector<std::string> SplitArgs(const std::string& s) {
  return absl::StrSplit(s, ' ', absl::SkipWhitespace());
}

int Run() {
  const int clients = absl::GetFlag(FLAGS_clients);
  const double seconds = absl::GetFlag(FLAGS_seconds), warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const std::set<std::string> phases =
      absl::StrSplit(absl::GetFlag(FLAGS_phases), ',', absl::SkipWhitespace());
  const std::string method = absl::GetFlag(FLAGS_method);
  if (method != "ledger" && method != "list") Die("--method is ledger or list");
  if (clients < 1 || seconds <= 0) Die("--clients and --seconds must be positive");

  // Descriptors for --idle_connections and the clients.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  char dir_template[] = "/tmp/luoshi_gateway_bench_XXXXXX";
  if (mkdtemp(dir_template) == nullptr) Die("mkdtemp failed");
  const std::string dir = dir_template;
  const char* suffixes[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; ++i) {
    std::snprintf(g_scratch_files[i], sizeof g_scratch_files[i], "%s/tasks.db%s", dir.c_str(), suffixes[i]);
  }
  std::snprintf(g_scratch_dir, sizeof g_scratch_dir, "%s", dir.c_str());
  const std::string bin = absl::GetFlag(FLAGS_binary_dir);

  Child tasks, gateway;
  std::vector<std::string> tasks_args = {"--db=" + dir + "/tasks.db",
                                         "--units=" + std::string(LUOSHI_SOURCE_DIR) + "/data/units.json"};
  for (auto& a : SplitArgs(absl::GetFlag(FLAGS_tasks_flags))) tasks_args.push_back(a);
  tasks.Start("tasks", bin + "/services/tasks/luoshi-tasks", tasks_args);
  Env env;
  env.tasks = &tasks;
  env.gateway = &gateway;
  env.tasks_target = absl::StrCat("127.0.0.1:", tasks.port());
  std::vector<std::string> gateway_args = {"--tasks_addr=" + env.tasks_target,
                                           "--web_root=" + absl::GetFlag(FLAGS_web_root)};
  for (auto& a : SplitArgs(absl::GetFlag(FLAGS_gateway_flags))) gateway_args.push_back(a);
  std::string gateway_binary = absl::GetFlag(FLAGS_gateway_binary);
  if (gateway_binary.empty()) gateway_binary = bin + "/services/gateway/luoshi-gateway";
  gateway.Start("gateway", gateway_binary, gateway_args, SplitArgs(absl::GetFlag(FLAGS_gateway_wrapper)));
  env.gateway_port = gateway.port();
  const MemorySample gateway_fresh = Memory(gateway.pid());

  // The plan.
  auto stub =
      v1::TaskService::NewStub(grpc::CreateChannel(env.tasks_target, grpc::InsecureChannelCredentials()));
  auto plan_request = tasks::testing::PlanFromSeed(absl::GetFlag(FLAGS_seed));
  if (!plan_request.ok()) Die(std::string(plan_request.status().message()));
  v1::ImportPlanResponse imported;
  {
    grpc::ClientContext context;
    Attach(&context, kAdmin);
    grpc::Status st = stub->ImportPlan(&context, *plan_request, &imported);
    if (!st.ok()) Die("ImportPlan: " + st.error_message());
  }
  const std::string plan_id = imported.plan().id();
  std::vector<v1::Task> plan_tasks;
  {
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(1000);
    v1::ListTasksResponse resp;
    grpc::ClientContext context;
    Attach(&context, kAdmin);
    grpc::Status st = stub->ListTasks(&context, req, &resp);
    if (!st.ok()) Die("ListTasks: " + st.error_message());
    plan_tasks.assign(resp.tasks().begin(), resp.tasks().end());
  }
  std::set<std::string> units;
  for (const v1::Task& t : plan_tasks)
    for (const std::string& u : t.definition().responsible_units()) units.insert(u);

  Read read;
  read.ledger = method == "ledger";
  if (read.ledger) {
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    req.set_grouping(v1::LEDGER_GROUPING_UNIT);
    read.path = "/luoshi.v1.TaskService/GetLedger";
    read.request = req.SerializeAsString();
  } else {
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(50);
    read.path = "/luoshi.v1.TaskService/ListTasks";
    read.request = req.SerializeAsString();
  }
  read.answer = DirectBytes(env.tasks_target, read);
  const std::string web_request = GrpcWebRequest(env.gateway_port, read.path, read.request, "10S");
  const std::string static_request = StaticRequest(env.gateway_port);
  {
    // The same answer through the gateway, byte for byte.
    ResponseParser p = BlockingExchange(env.gateway_port, web_request);
    size_t pos = 0;
    uint8_t flags = 0;
    absl::string_view payload;
    if (p.status() != 200 || !NextFrame(p.body(), &pos, &flags, &payload) || flags != 0 ||
        payload != read.answer)
      Die(absl::StrCat("the gateway's answer differs from the direct one (HTTP ", p.status(),
                       ", grpc-status ", p.grpc_status_header(), ")"));
  }
  size_t static_bytes = 0;
  {
    ResponseParser p = BlockingExchange(env.gateway_port, static_request);
    if (p.status() != 200)
      Die(absl::StrCat("GET / answered HTTP ", p.status(), " (is client-web/dist built?)"));
    static_bytes = p.body().size();
  }

  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf(
      "luoshi_gateway_bench: plan %s, %zu tasks, %zu responsible units; %s answer %zu bytes "
      "(request %zu bytes, grpc-web HTTP request %zu bytes); GET / body %zu bytes\n",
      plan_id.c_str(), plan_tasks.size(), units.size(), read.path.c_str(), read.answer.size(),
      read.request.size(), web_request.size(), static_bytes);
  std::printf("tasks pid %d port %d; gateway %s pid %d port %d, flags: %s\n", tasks.pid(), tasks.port(),
              gateway_binary.c_str(), gateway.pid(), gateway.port(),
              absl::StrJoin(gateway_args, " ").c_str());
  std::printf(
      "%d clients, %.0f s warm-up + %.0f s measured per phase, %d driving thread(s), answers %s; "
      "load average at start %.2f %.2f %.2f\n\n",
      clients, warmup, seconds, std::max(1, absl::GetFlag(FLAGS_load_threads)),
      absl::GetFlag(FLAGS_decode) ? "decoded" : "checked by length", load[0], load[1], load[2]);
  std::fflush(stdout);

  if (phases.count("rw")) {
    PrintHeader();
    std::vector<PhaseResult> direct, web;
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_rounds)); ++round) {
      direct.push_back(RunPhase(env, "direct gRPC", clients, warmup, seconds, read, nullptr, true));
      PrintRow(direct.back());
      web.push_back(
          RunPhase(env, "grpc-web via gateway", clients, warmup, seconds, read, &web_request, false));
      PrintRow(web.back());
    }
    PhaseResult d1, w1;
    const double single = absl::GetFlag(FLAGS_single_client_seconds);
    if (single > 0) {
      d1 = RunPhase(env, "direct gRPC", 1, warmup, single, read, nullptr, true);
      PrintRow(d1);
      w1 = RunPhase(env, "grpc-web via gateway", 1, warmup, single, read, &web_request, false);
      PrintRow(w1);
    }
    std::printf("\n");
    for (size_t i = 0; i < direct.size(); ++i) {
      const double ratio = web[i].Rate() / std::max(1e-9, direct[i].Rate());
      const double added = Percentile(web[i].tally.ms, 0.5) - Percentile(direct[i].tally.ms, 0.5);
      std::printf(
          "round %zu, %d clients: throughput gateway/direct %.3f (goal >= 0.6: %s); median latency "
          "added %.3f ms (goal <= 0.3 ms: %s)\n",
          i + 1, clients, ratio, ratio >= 0.6 ? "met" : "NOT met", added, added <= 0.3 ? "met" : "NOT met");
    }
    if (single > 0) {
      std::printf("1 client: throughput gateway/direct %.3f; median latency added %.3f ms (p90 %.3f ms)\n",
                  w1.Rate() / std::max(1e-9, d1.Rate()),
                  Percentile(w1.tally.ms, 0.5) - Percentile(d1.tally.ms, 0.5),
                  Percentile(w1.tally.ms, 0.9) - Percentile(d1.tally.ms, 0.9));
    }
    std::fflush(stdout);
  }
  if (phases.count("web")) {  // the gateway path alone, e.g. while a profiler watches the gateway
    std::printf("\n");
    PrintHeader();
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_rounds)); ++round)
      PrintRow(RunPhase(env, "grpc-web via gateway", clients, warmup, seconds, read, &web_request, false));
  }
  if (phases.count("static")) {
    std::printf("\n");
    PrintHeader();
    PrintRow(RunPhase(env, "GET / (index.html)", clients, warmup, seconds, read, &static_request, false));
  }
  if (phases.count("idle")) {
    std::printf("\n(gateway at start: VmRSS %.1f MiB, %d descriptors)\n", gateway_fresh.rss_kib / 1024.0,
                gateway_fresh.fds);
    for (int round = 0; round < std::max(1, absl::GetFlag(FLAGS_idle_rounds)); ++round)
      RunIdle(env, absl::GetFlag(FLAGS_idle_connections));
  }
  if (phases.count("watch")) {
    std::vector<ReportTarget> targets = ReportTargets(stub.get(), plan_tasks, 20);
    if (targets.empty()) Die("no task of the plan accepts a report from its first responsible unit");
    RunWatch(env, plan_id, targets, absl::GetFlag(FLAGS_reports));
  }

  getloadavg(load, 3);
  std::printf("\nload average at the end: %.2f %.2f %.2f; gateway log: %" PRIu64 " lines, %" PRIu64
              " warnings or errors; tasks log: %" PRIu64 " lines, %" PRIu64 " warnings or errors\n",
              load[0], load[1], load[2], gateway.log_lines(), gateway.problem_count(), tasks.log_lines(),
              tasks.problem_count());
  for (const std::string& line : gateway.Problems()) std::printf("  gateway: %s\n", line.c_str());
  for (const std::string& line : tasks.Problems()) std::printf("  tasks: %s\n", line.c_str());
  const std::string gateway_end = gateway.Stop();
  const std::string tasks_end = tasks.Stop();
  std::printf("gateway stopped: %s; tasks stopped: %s\n", gateway_end.c_str(), tasks_end.c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace luoshi::gateway_bench

int main(int argc, char** argv) {
  using namespace luoshi::gateway_bench;
  luoshi::ParseFlags(argc, argv,
                     "luoshi_gateway_bench: direct gRPC against grpc-web through luoshi-gateway, GET /, the "
                     "gateway's memory with idle connections, WatchTasks latency through the gateway.");
  std::atexit(KillChildrenNow);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE})
    signal(sig, OnFatalSignal);
  signal(SIGPIPE, SIG_IGN);
  // Hard stop: whatever hangs, the run ends and its children with it.
  const double max_seconds = absl::GetFlag(FLAGS_max_seconds);
  std::thread([max_seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(max_seconds));
    std::fprintf(stderr, "luoshi_gateway_bench: --max_seconds=%.0f reached, stopping\n", max_seconds);
    KillChildrenNow();
    _exit(3);
  }).detach();
  return Run();
}
