// Test helper: runs a real Luoshi binary as a child process on an ephemeral loopback port.
// The child is started with --listen=127.0.0.1:0; the port is read from its first "listening" log line
// (JSON on stderr). Stop() sends SIGTERM and reports the exit code. POSIX only (Linux, macOS).
#ifndef LUOSHI_TESTS_COMMON_PROCESS_H_
#define LUOSHI_TESTS_COMMON_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/common/test_tokens.h"

struct sqlite3;

namespace luoshi::testing {

// Path of a built binary, e.g. BinaryPath("tasks/luoshi-tasks"), in this build tree (or LUOSHI_BINARY_DIR).
std::string BinaryPath(const std::string& relative);

// A fresh, empty directory under the test temp dir whose name carries `name` and this process's id, so
// that the same test run twice at once (two checkouts, two build dirs) never shares files.
std::string FreshTestDir(const std::string& name);

// The source tree: LUOSHI_SOURCE_DIR from the environment when set, else the tree this test was built from.
std::string SourceDir();
// The sample documents (`source_dir`/data/seeds/*), sorted by path.
std::vector<std::string> SeedPaths(const std::string& source_dir = SourceDir());
// The whole file at `path`; records a test failure and returns "" when it cannot be read.
std::string ReadTestFile(const std::string& path);

// Runs `command` with /bin/sh, stdout and stderr together into *output; returns its exit code (-1 when it
// could not run or was killed by a signal).
int RunShell(const std::string& command, std::string* output);

// One signing key for the whole test program: services started with AuthFlags() trust it, and
// ProgramTokens().For(who) / .Attach(who, context) sign in as anyone.
const TestTokens& ProgramTokens();
// --auth_keys (a directory holding ProgramTokens()' public key) and --service_token (a file holding its
// token for the ingestion service, role service): what every service started by a test needs.
std::vector<std::string> AuthFlags();

class ServiceProcess {
 public:
  ServiceProcess() = default;
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Starts `binary` with `args` plus --listen=127.0.0.1:0 (unless `args` give a --listen= of their own,
  // e.g. to restart a service on the port it had) and waits (up to 20 s) for its port.
  // The child gets SIGTERM when the *thread* that started it ends (PR_SET_PDEATHSIG follows the
  // thread, not the process): start services from a thread that lives as long as they should.
  absl::Status Start(const std::string& binary, const std::vector<std::string>& args);
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // SIGKILL at once (no chance to flush or close anything: a crash) and reaps the child.
  void Kill();
  // SIGTERM, then waits up to `timeout_seconds`; returns the exit code (or -signal). SIGKILL on timeout.
  int Stop(int timeout_seconds = 20);
  // Everything the child wrote to stderr so far.
  std::string Log() const;

 private:
  void ReadLoop(int fd);
  pid_t pid_ = -1;
  std::atomic<int> port_{0};  // written by the reader thread
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::string log_ ABSL_GUARDED_BY(mu_);
};

// The port a `"msg":"<msg>"` log line of `p` names; 0 until it is logged.
int LoggedPort(const ServiceProcess& p, const std::string& msg);

// A TCP socket connected to 127.0.0.1:`port` (the caller closes it), or -1 when the connection failed.
int ConnectToLoopback(int port);

// A service started while someone else holds its SQLite database under an exclusive lock, so that it
// stays in its warm-up (health NOT_SERVING, other calls UNAVAILABLE) until Release(). The service runs
// from a thread of this object (see ServiceProcess::Start) and stops when the object goes.
//
//   LockedDatabaseStart start(&tasks, BinaryPath("tasks/luoshi-tasks"), args, dir + "/tasks.db");
//   ASSERT_TRUE(start.locked());
//   int port = start.WarmUpPort(absl::Seconds(10));   // ask the warm-up server things here
//   ASSERT_TRUE(start.Release().ok());                 // now it serves on that same port
class LockedDatabaseStart {
 public:
  LockedDatabaseStart(ServiceProcess* process, const std::string& binary, const std::vector<std::string>& args,
                      const std::string& sqlite_path);
  ~LockedDatabaseStart();
  LockedDatabaseStart(const LockedDatabaseStart&) = delete;
  LockedDatabaseStart& operator=(const LockedDatabaseStart&) = delete;

  // Whether the lock was taken (the service was started only then).
  bool locked() const { return holder_ != nullptr; }
  // The warm-up server's port, from the service's "starting" line, waiting up to `timeout`; 0 if none.
  int WarmUpPort(absl::Duration timeout) const;
  // Releases the lock and waits until the service has started (or failed to): ServiceProcess::Start's
  // status. Idempotent.
  absl::Status Release();

 private:
  ServiceProcess* process_;
  ::sqlite3* holder_ = nullptr;
  absl::Status start_status_;
  absl::Notification started_, release_child_;
  std::thread starter_;
};

}  // namespace luoshi::testing

#endif  // LUOSHI_TESTS_COMMON_PROCESS_H_
