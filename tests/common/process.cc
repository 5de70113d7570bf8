#include "tests/common/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/common/files.h"

namespace luoshi::testing {

std::string BinaryPath(const std::string& relative) {
  const char* dir = std::getenv("LUOSHI_BINARY_DIR");
  return std::string(dir ? dir : LUOSHI_BUILD_DIR) + "/services/" + relative;
}

std::string SourceDir() {
  const char* dir = std::getenv("LUOSHI_SOURCE_DIR");
  return dir != nullptr ? dir : LUOSHI_SOURCE_DIR;
}

std::vector<std::string> SeedPaths(const std::string& source_dir) {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(source_dir + "/data/seeds")) {
    paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string ReadTestFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path, "test");
  if (!bytes.ok()) {
    ADD_FAILURE() << bytes.status().message();
    return "";
  }
  return *std::move(bytes);
}

int RunShell(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string FreshTestDir(const std::string& name) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/", name, "_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

const TestTokens& ProgramTokens() {
  static const TestTokens* tokens = new TestTokens();
  return *tokens;
}

std::vector<std::string> AuthFlags() {
  static const std::string* dir = [] {
    auto* d = new std::string(FreshTestDir("token_keys"));
    EXPECT_TRUE(ProgramTokens().WritePublicKey(*d).ok());
    std::ofstream(*d + "/service.token") << ProgramTokens().For(ServiceIdentity()) << "\n";
    return d;
  }();
  return {"--auth_keys=" + *dir, "--service_token=" + *dir + "/service.token"};
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Stop(5);
  if (reader_.joinable()) reader_.join();
}

absl::Status ServiceProcess::Start(const std::string& binary, const std::vector<std::string>& args) {
  if (pid_ > 0) return absl::FailedPreconditionError("already running");
  if (reader_.joinable()) reader_.join();
  {
    absl::MutexLock lock(&mu_);
    port_ = 0;
    log_.clear();
  }
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv_s = {binary};
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--listen=", 0) == 0; })) {
    argv_s.push_back("--listen=127.0.0.1:0");
  }
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
#ifdef __linux__
    // A test that crashes (a sanitizer abort) must not leave its services running: they would keep
    // CTest's output pipe open and the run would wait for the timeout.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  pid_ = pid;
  reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      if (port_ > 0) return absl::OkStatus();
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (reader_.joinable()) reader_.join();
      return absl::InternalError(absl::StrCat(binary, " exited at start-up:\n", Log()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(binary, " did not report a port:\n", Log()));
}

void ServiceProcess::ReadLoop(int fd) {
  static const std::regex kListening("\"msg\":\"listening\".*\"port\":\"([0-9]+)\"");
  char buf[4096];
  std::string line;
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    absl::MutexLock lock(&mu_);
    log_.append(buf, static_cast<size_t>(n));
    if (port_ == 0) {
      std::smatch m;
      if (std::regex_search(log_, m, kListening)) port_ = std::atoi(m[1].str().c_str());
    }
  }
  close(fd);
}

int ServiceProcess::Stop(int timeout_seconds) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

std::string ServiceProcess::Log() const {
  absl::MutexLock lock(&mu_);
  return log_;
}

int ConnectToLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int LoggedPort(const ServiceProcess& p, const std::string& msg) {
  const std::regex line(absl::StrCat("\"msg\":\"", msg, "\".*?\"port\":\"([0-9]+)\""));
  std::smatch m;
  const std::string log = p.Log();
  return std::regex_search(log, m, line) ? std::stoi(m[1].str()) : 0;
}

LockedDatabaseStart::LockedDatabaseStart(ServiceProcess* process, const std::string& binary,
                                         const std::vector<std::string>& args, const std::string& sqlite_path)
    : process_(process) {
  if (sqlite3_open(sqlite_path.c_str(), &holder_) != SQLITE_OK ||
      sqlite3_exec(holder_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot lock " << sqlite_path << ": " << sqlite3_errmsg(holder_);
    sqlite3_close(holder_);
    holder_ = nullptr;
    return;
  }
  starter_ = std::thread([this, binary, args] {
    start_status_ = process_->Start(binary, args);
    started_.Notify();
    release_child_.WaitForNotification();
    process_->Stop();
  });
}

LockedDatabaseStart::~LockedDatabaseStart() {
  Release().IgnoreError();
  if (!starter_.joinable()) return;
  release_child_.Notify();
  starter_.join();
}

int LockedDatabaseStart::WarmUpPort(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  int port = LoggedPort(*process_, "starting");
  while (port == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
    port = LoggedPort(*process_, "starting");
  }
  return port;
}

absl::Status LockedDatabaseStart::Release() {
  if (holder_ != nullptr) {
    sqlite3_exec(holder_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(holder_);
    holder_ = nullptr;
  }
  if (!starter_.joinable()) return absl::FailedPreconditionError("the service was never started");
  started_.WaitForNotification();
  return start_status_;
}

}  // namespace luoshi::testing
