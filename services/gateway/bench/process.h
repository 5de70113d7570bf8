// luoshi_gateway_bench: child processes and what /proc says about them.
//
// Child processes. (tests/common/process.h keeps a child's whole stderr in memory, and the gateway writes
// an access-log line per request, tens of MB in a run; this one keeps the head and counts the rest.)
#ifndef LUOSHI_SERVICES_GATEWAY_BENCH_PROCESS_H_
#define LUOSHI_SERVICES_GATEWAY_BENCH_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/bench/common.h"

namespace luoshi::gateway_bench {

constexpr int kMaxChildren = 4;
extern std::atomic<pid_t> g_children[kMaxChildren];

// The temporary directory and the files the task service keeps there, removed however the run ends (kept
// as plain strings so that a signal handler may use them: kill, waitpid, unlink and rmdir are all
// async-signal-safe).
extern char g_scratch_dir[256];
extern char g_scratch_files[4][300];  // the database's three files and the token key

// Kills the children and removes the scratch files (async-signal-safe).
void KillChildrenNow();
extern "C" void OnFatalSignal(int sig);

pid_t Gettid();

// CPU seconds (user + system) of a process or of one of this process's threads, from /proc.
double ProcessCpuSeconds(pid_t pid);
double ThreadCpuSeconds(pid_t tid);
double SelfCpuSeconds();

// "VmRSS:" and the like from /proc/PID/status, in KiB; -1 when absent.
long StatusKib(pid_t pid, const std::string& key);

// Context switches (voluntary and not) of all threads of a process so far.
double ContextSwitches(pid_t pid);

int OpenDescriptors(pid_t pid);

// Busy and total jiffies of the whole machine (/proc/stat), to show what else ran during a phase.
struct MachineCpu {
  double busy = 0, softirq = 0, total = 0;  // seconds of CPU, all cores together
};
MachineCpu ReadMachineCpu();

// The port a process listens on, from its socket descriptors and /proc/net/tcp (for a child started with
// a log level that leaves out its "listening" line); 0 when none is found.
int ListeningPort(pid_t pid);

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

}  // namespace luoshi::gateway_bench

#endif  // LUOSHI_SERVICES_GATEWAY_BENCH_PROCESS_H_
