#include "tests/common/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/common/fnv.h"

namespace luoshi::testing {
namespace {

namespace fs = std::filesystem;

// The account the server programs run as: the caller's own, or `postgres` when the caller is root.
struct Account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<Account> ServerAccount() {
  Account account;
  if (geteuid() != 0) return account;
  const passwd* pw = getpwnam("postgres");
  if (!pw) {
    return absl::FailedPreconditionError(
        "running as root, and PostgreSQL refuses to: no `postgres` account to run it as (Debian's postgresql "
        "package creates one), or set LUOSHI_TEST_PG_URL to an existing server");
  }
  account.switch_user = true;
  account.uid = pw->pw_uid;
  account.gid = pw->pw_gid;
  return account;
}

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// Where initdb and postgres are (see the header).
absl::StatusOr<std::string> BinDir() {
  if (const char* dir = std::getenv("LUOSHI_PG_BINDIR"); dir && *dir) return std::string(dir);
  if (FILE* p = popen("pg_config --bindir 2>/dev/null", "r")) {
    char line[4096] = {};
    const bool read = fgets(line, sizeof(line), p) != nullptr;
    pclose(p);
    const std::string dir(absl::StripTrailingAsciiWhitespace(line));
    if (read && IsExecutable(dir + "/initdb")) return dir;
  }
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    if (IsExecutable(bin + "/initdb")) found.push_back(bin);
  }
  if (found.empty()) {
    return absl::NotFoundError(
        "PostgreSQL's initdb not found (install postgresql-15, set LUOSHI_PG_BINDIR, or set LUOSHI_TEST_PG_URL)");
  }
  // Newest version: compare the numeric directory names (15 before 9 as text, not as numbers).
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return std::atoi(fs::path(a).parent_path().filename().c_str()) <
           std::atoi(fs::path(b).parent_path().filename().c_str());
  });
  return found.back();
}

// Forks and execs argv[0] with stdout and stderr appended to `log`, as `account`. With `tie_to_parent`
// the child gets SIGQUIT when the thread that forked it ends (Linux), so a crashed test leaves no server.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const std::string& log, const Account& account,
                            bool tie_to_parent) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork failed: ", strerror(errno)));
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (account.switch_user &&
        (setgroups(0, nullptr) != 0 || setgid(account.gid) != 0 || setuid(account.uid) != 0)) {
      _exit(125);
    }
    // The working directory inherited from the test may be closed to the postgres account.
    if (account.switch_user && chdir("/") != 0) _exit(124);
#ifdef __linux__
    // After setuid, which clears it.
    if (tie_to_parent) prctl(PR_SET_PDEATHSIG, SIGQUIT);
#endif
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a program to its end; its output goes to `log`, quoted in the error when it fails.
absl::Status Run(const std::vector<std::string>& args, const std::string& log, const Account& account) {
  auto pid = Spawn(args, log, account, /*tie_to_parent=*/false);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(absl::StrJoin(args, " "), " failed (wait status ", status, "):\n",
                                          ReadFile(log)));
}

// A port that was free a moment ago (bound to port 0 and released); the caller retries on a collision.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) return absl::InternalError("cannot bind a loopback port");
  return ntohs(addr.sin_port);
}

// Runs one statement (no parameters: identifiers only) on a fresh connection to `uri`.
absl::Status AdminExec(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::UnavailableError(absl::StrCat("cannot connect to the test PostgreSQL: ", PQerrorMessage(conn)));
  } else {
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
      status = absl::InternalError(absl::StrCat(sql, ": ", PQresultErrorMessage(result)));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

// Where the clusters live: the test temporary directory, unless the server runs as the postgres account
// (the tests run as root) and so may not be able to enter it (a checkout under a mode-700 directory such as
// mktemp -d's or /root). Then a directory of its own under the system's temporary directory, named after
// the test temporary directory, holds them; its template stays there for the next run.
std::string ClusterRoot(const Account& account) {
  if (!account.switch_user) return ::testing::TempDir();
  std::error_code ec;
  return absl::StrFormat("%s/luoshi-pg-%016x", fs::temp_directory_path(ec).string(),
                         Fnv1a64(::testing::TempDir()));
}

// A directory handed to `account`, readable by it alone.
absl::Status MakeOwnedDirectory(const std::string& dir, const Account& account) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  if (account.switch_user && chown(dir.c_str(), account.uid, account.gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot hand ", dir, " to the postgres account"));
  }
  return absl::OkStatus();
}

// initdb's output, made once per build tree and PostgreSQL installation and copied for every server:
// initdb takes seconds, a copy a fraction of one, and every test of a program runs in a process of its own.
// Made under a private name and renamed into place, so that concurrent test processes never see half of
// one (the loser of the race throws its copy away).
absl::StatusOr<std::string> TemplateCluster(const std::string& bindir, const Account& account) {
  // The name changes with the installation and with the initdb options below (bump v1 when they change).
  const std::string dir = absl::StrFormat("%s/pg_template_v1_%016x", ClusterRoot(account), Fnv1a64(bindir));
  if (fs::exists(dir + "/data/PG_VERSION")) return dir + "/data";
  const std::string staging = absl::StrCat(dir, ".staging_", getpid());
  if (absl::Status s = MakeOwnedDirectory(staging, account); !s.ok()) return s;
  if (absl::Status s = Run({bindir + "/initdb", "-D", staging + "/data", "-U", "postgres", "-A", "trust", "-E",
                            "UTF8", "--locale=C", "--no-sync"},
                           staging + ".log", account);
      !s.ok()) {
    return s;
  }
  std::error_code ec;
  fs::remove(staging + ".log", ec);
  fs::rename(staging, dir, ec);
  if (ec) fs::remove_all(staging, ec);  // another process was first
  return dir + "/data";
}

// A copy of the cluster at `from` in `to`, owned by `account` (PostgreSQL insists on owning its directory).
absl::Status CopyCluster(const std::string& from, const std::string& to, const Account& account) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot copy ", from, " to ", to, ": ", ec.message()));
  fs::permissions(to, fs::perms::owner_all, ec);
  if (!account.switch_user) return absl::OkStatus();
  bool owned = lchown(to.c_str(), account.uid, account.gid) == 0;
  for (const auto& entry : fs::recursive_directory_iterator(to, ec)) {
    owned = owned && lchown(entry.path().c_str(), account.uid, account.gid) == 0;
  }
  if (!owned || ec) return absl::InternalError(absl::StrCat("cannot hand ", to, " to the postgres account"));
  return absl::OkStatus();
}

// `uri` with its database replaced by `database` (URI or key=value form).
std::string WithDatabase(const std::string& uri, const std::string& database) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return absl::StrCat(uri, " dbname=", database);  // the last one counts
  const size_t path = uri.find_first_of("/?", scheme + 3);
  if (path == std::string::npos) return absl::StrCat(uri, "/", database);
  const size_t query = uri[path] == '?' ? path : uri.find('?', path);
  return absl::StrCat(uri.substr(0, path), "/", database, query == std::string::npos ? "" : uri.substr(query));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  if (const char* url = std::getenv("LUOSHI_TEST_PG_URL"); url && *url) {
    server->admin_uri_ = url;
    if (absl::Status s = AdminExec(url, "SELECT 1"); !s.ok()) return s;
    return server;
  }
  auto bindir = BinDir();
  if (!bindir.ok()) return bindir.status();
  if (absl::Status s = server->Launch(*bindir); !s.ok()) return s;
  return server;
}

absl::Status PostgresServer::Launch(const std::string& bindir) {
  auto account = ServerAccount();
  if (!account.ok()) return account.status();
  dir_ = absl::StrCat(ClusterRoot(*account), "/pg_", getpid());
  if (absl::Status s = MakeOwnedDirectory(dir_, *account); !s.ok()) return s;
  const std::string data = dir_ + "/data";
  const std::string log = dir_ + "/server.log";
  auto cluster = TemplateCluster(bindir, *account);
  if (!cluster.ok()) return cluster.status();
  if (absl::Status s = CopyCluster(*cluster, data, *account); !s.ok()) return s;
  // Another program may take the port between FreePort and the server's bind: try a few.
  std::string failures;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = FreePort();
    if (!port.ok()) return port.status();
    auto pid = Spawn({bindir + "/postgres", "-D", data, "-p", absl::StrCat(*port), "-c", "listen_addresses=127.0.0.1",
                      "-c", "unix_socket_directories=" + dir_, "-c", "fsync=off", "-c", "synchronous_commit=off",
                      "-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=60"},
                     log, *account, /*tie_to_parent=*/true);
    if (!pid.ok()) return pid.status();
    const std::string admin = absl::StrCat("postgres://postgres@127.0.0.1:", *port, "/postgres?sslmode=disable");
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    bool exited = false;
    while (absl::Now() < deadline) {
      if (PQping(admin.c_str()) == PQPING_OK) {
        pid_ = *pid;
        port_ = *port;
        admin_uri_ = admin;
        return absl::OkStatus();
      }
      int status = 0;
      if (waitpid(*pid, &status, WNOHANG) == *pid) {
        exited = true;
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));  // polling for readiness, nothing to wait on
    }
    if (!exited) {
      kill(*pid, SIGKILL);
      waitpid(*pid, nullptr, 0);
      return absl::DeadlineExceededError(absl::StrCat("PostgreSQL did not accept connections within 60 s:\n",
                                                      ReadFile(log)));
    }
    const std::string text = ReadFile(log);
    if (!absl::StrContains(text, "ddress already in use")) {
      return absl::InternalError(absl::StrCat("PostgreSQL exited at start:\n", text));
    }
    absl::StrAppend(&failures, "port ", *port, " taken; ");
  }
  return absl::UnavailableError(absl::StrCat("no free port for PostgreSQL: ", failures));
}

PostgresServer::~PostgresServer() {
  if (pid_ <= 0) {
    for (const std::string& name : created_) {
      AdminExec(admin_uri_, absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)")).IgnoreError();
    }
    return;
  }
  // SIGINT is PostgreSQL's fast shutdown (what pg_ctl stop -m fast sends): roll back and exit.
  kill(pid_, SIGINT);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, nullptr, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::UriFor(const std::string& database) const {
  if (pid_ > 0) return absl::StrCat("postgres://postgres@127.0.0.1:", port_, "/", database, "?sslmode=disable");
  return WithDatabase(admin_uri_, database);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  // Lower-case letters, digits and _ only, so the name can stand in CREATE DATABASE unquoted; the process
  // id keeps two runs on one external server apart.
  std::string database = absl::StrCat("t", getpid(), "_");
  for (char c : absl::AsciiStrToLower(name)) database.push_back(absl::ascii_isalnum(c) ? c : '_');
  database.resize(std::min<size_t>(database.size(), 63));
  if (absl::Status s = AdminExec(admin_uri_, absl::StrCat("DROP DATABASE IF EXISTS ", database, " WITH (FORCE)"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AdminExec(admin_uri_, absl::StrCat("CREATE DATABASE ", database,
                                                          " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                                                          "LC_CTYPE 'C'"));
      !s.ok()) {
    return s;
  }
  created_.push_back(database);
  return UriFor(database);
}

namespace {

absl::Mutex shared_mu(absl::kConstInit);
PostgresServer* shared_server ABSL_GUARDED_BY(shared_mu) = nullptr;
absl::Status* shared_error ABSL_GUARDED_BY(shared_mu) = nullptr;

// Stops the shared server when the program's tests have run.
class SharedPostgresTeardown : public ::testing::Environment {
 public:
  void TearDown() override {
    absl::MutexLock lock(&shared_mu);
    delete shared_server;
    shared_server = nullptr;
  }
};

[[maybe_unused]] ::testing::Environment* const teardown =
    ::testing::AddGlobalTestEnvironment(new SharedPostgresTeardown());

}  // namespace

absl::StatusOr<PostgresServer*> SharedPostgres() {
  absl::MutexLock lock(&shared_mu);
  if (shared_server) return shared_server;
  if (shared_error) return *shared_error;
  auto server = PostgresServer::Start();
  if (!server.ok()) {
    shared_error = new absl::Status(server.status());
    return *shared_error;
  }
  shared_server = server->release();
  return shared_server;
}

}  // namespace luoshi::testing
