// Test helper: a real, throwaway PostgreSQL server for a test program, or an existing one.
//
// PostgresServer::Start() puts a fresh cluster in a new directory under the test temp dir (TEST_TMPDIR), a
// copy of one that initdb made once per build tree (initdb takes seconds; each test of a program runs in a
// process of its own), and starts `postgres` on it as a child process: on 127.0.0.1 only, on a free ephemeral port (another port is tried if
// that one is taken meanwhile), its unix socket in the same directory, fsync off and small buffers (about a
// second). PostgreSQL refuses to run as root, so when the test runs as root both programs run as the
// `postgres` account (setuid in the forked child; the directory is handed to it, and the directories above
// it must let that account pass, as build/test-tmp does). The destructor stops the
// server the way `pg_ctl stop -m fast` does (SIGINT, then wait) and removes the directory; if the test
// program dies, the server gets SIGQUIT (immediate shutdown) with it on Linux.
//
// The programs come from $LUOSHI_PG_BINDIR, else `pg_config --bindir`, else the newest
// /usr/lib/postgresql/*/bin (Debian's postgresql-NN package).
//
// With LUOSHI_TEST_PG_URL set (a libpq URI of a user allowed to CREATE DATABASE), no server is started: the
// databases are created in that server and dropped at the end.
//
// POSIX only (fork, setuid), like tests/common/process.h.
#ifndef LUOSHI_TESTS_COMMON_POSTGRES_SERVER_H_
#define LUOSHI_TESTS_COMMON_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace luoshi::testing {

class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A fresh, empty UTF-8 database whose name derives from `name` (any text: it is reduced to [a-z0-9_] and
  // made unique to this process), dropped first if a previous run left it. Returns its connection URI.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);

  // The URI of the administrator's database (postgres), e.g. for pg_terminate_backend.
  const std::string& admin_uri() const { return admin_uri_; }
  // true when the server is LUOSHI_TEST_PG_URL's rather than one this helper started.
  bool external() const { return pid_ <= 0; }

 private:
  PostgresServer() = default;
  absl::Status Launch(const std::string& bindir);
  std::string UriFor(const std::string& database) const;

  std::string dir_;        // initdb's directory and the socket's, when this helper started the server
  pid_t pid_ = -1;         // the postmaster
  int port_ = 0;
  std::string admin_uri_;
  std::vector<std::string> created_;  // databases to drop at the end on an external server
};

// One server for the whole test program, started on the first call (from the thread that will run the
// tests: the server is tied to it) and stopped when the program's tests end. The error of a failed start
// is returned to every caller.
absl::StatusOr<PostgresServer*> SharedPostgres();

}  // namespace luoshi::testing

#endif  // LUOSHI_TESTS_COMMON_POSTGRES_SERVER_H_
