// luoshi_gateway_bench: the children's bookkeeping for the signal and exit handlers, and the readings
// from /proc (CPU time, memory, context switches, descriptors, the machine's CPU, listening ports).
#include "services/gateway/bench/process.h"

#include <sys/resource.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_split.h"

namespace luoshi::gateway_bench {

std::atomic<pid_t> g_children[kMaxChildren];

// The temporary directory and the files the task service keeps there, removed however the run ends (kept
// as plain strings so that a signal handler may use them: kill, waitpid, unlink and rmdir are all
// async-signal-safe).
char g_scratch_dir[256];
char g_scratch_files[4][300];

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

namespace {

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

}  // namespace

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

}  // namespace luoshi::gateway_bench
