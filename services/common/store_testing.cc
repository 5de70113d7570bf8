#include "services/common/store_testing.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/common/postgres_server.h"

namespace luoshi::store_testing {
namespace {

// The SQLite files SQLite may leave beside a database.
constexpr const char* kSqliteSuffixes[] = {"", "-wal", "-shm", "-journal"};

void RemoveSqliteFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : kSqliteSuffixes) std::filesystem::remove(path + suffix, ec);
}

class SqliteScratch : public ScratchStore {
 public:
  explicit SqliteScratch(const std::string& path) : location_(StoreLocation::Sqlite(path)) {
    RemoveSqliteFiles(path);  // left by an earlier run that crashed
  }
  ~SqliteScratch() override { RemoveSqliteFiles(location_.sqlite_path()); }
  const StoreLocation& location() const override { return location_; }

 private:
  StoreLocation location_;
};

// A database on the shared test server; dropped with the server at the end of the test program.
class PostgresScratch : public ScratchStore {
 public:
  explicit PostgresScratch(StoreLocation location) : location_(std::move(location)) {}
  const StoreLocation& location() const override { return location_; }

 private:
  StoreLocation location_;
};

// "store_<suite>_<test>_<pid>.db": parameterized names hold '/', and the pid keeps two runs of one
// binary apart.
std::string ScratchFileName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = absl::StrCat("store_", info->test_suite_name(), "_", info->name(), "_", getpid());
  return absl::StrReplaceAll(name, {{"/", "_"}}) + ".db";
}

}  // namespace

void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

StoreBackend SqliteBackend() {
  return {"Sqlite", []() -> absl::StatusOr<std::unique_ptr<ScratchStore>> {
            return std::make_unique<SqliteScratch>(
                (std::filesystem::path(::testing::TempDir()) / ScratchFileName()).string());
          }};
}

StoreBackend PostgresBackend() {
  return {"Postgres", []() -> absl::StatusOr<std::unique_ptr<ScratchStore>> {
            absl::StatusOr<testing::PostgresServer*> server = testing::SharedPostgres();
            if (!server.ok()) return server.status();
            const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
            absl::StatusOr<std::string> uri =
                (*server)->CreateDatabase(absl::StrCat(info->test_suite_name(), "_", info->name()));
            if (!uri.ok()) return uri.status();
            absl::StatusOr<StoreLocation> location = StoreLocation::Parse(*uri);
            if (!location.ok()) return location.status();
            return std::make_unique<PostgresScratch>(*std::move(location));
          }};
}

std::vector<StoreBackend> StoreBackends() { return {SqliteBackend(), PostgresBackend()}; }

std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; }

}  // namespace luoshi::store_testing
