// The store test suites (services/*/store_test.cc) run every case on every storage backend built into
// the test binary: each suite is a value-parameterized GoogleTest suite over StoreBackends(), and each
// case gets a fresh, empty store of that backend through the service's own factory (OpenDocumentStore,
// OpenObservationStore, OpenTaskStore), so the suite tests what the binary runs. Test names end in the
// backend: Backends/TaskStoreTest.MutationIsAtomicAndErrorsWriteNothing/Sqlite.
//
// Cases that are about one backend's files or schema (SQLite migrations from old files, the file's
// pragmas) stay in that backend's own suite beside it (services/*/sqlite_store_test.cc).
//
// Test-only (luoshi_store_testing, linked by the store test binaries).
#ifndef LUOSHI_SERVICES_COMMON_STORE_TESTING_H_
#define LUOSHI_SERVICES_COMMON_STORE_TESTING_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "services/common/store_url.h"

namespace luoshi::store_testing {

// A store location made for one test and removed with it (the files of a SQLite store).
class ScratchStore {
 public:
  virtual ~ScratchStore() = default;
  virtual const StoreLocation& location() const = 0;
};

// One storage backend the suites run on.
struct StoreBackend {
  std::string name;  // ends the test names: "Sqlite"
  // A new, empty location for the running test.
  std::function<absl::StatusOr<std::unique_ptr<ScratchStore>>()> make_scratch;
};

// Shows the backend's name where GoogleTest prints a parameter (--gtest_list_tests, failures).
void PrintTo(const StoreBackend& backend, std::ostream* os);

// A SQLite file under the test temporary directory, named after the running test.
StoreBackend SqliteBackend();

// A fresh database per test on the test program's PostgreSQL server (tests/common/postgres_server.h:
// a throwaway one the test starts, or the one LUOSHI_TEST_PG_URL names).
StoreBackend PostgresBackend();

// Every backend the store suites run on: SQLite and PostgreSQL.
std::vector<StoreBackend> StoreBackends();

// Names each instantiation after its backend (for INSTANTIATE_TEST_SUITE_P).
std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info);

// The fixture of a store suite: `store_` is a fresh `Store` opened by `Open` (the service's factory) on
// the backend under test; Reopen() closes it and opens the same location again, as a restarted service
// would.
template <typename Store, absl::StatusOr<std::unique_ptr<Store>> (*Open)(const StoreLocation&)>
class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ScratchStore>> scratch = GetParam().make_scratch();
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    scratch_ = *std::move(scratch);
    Reopen();
  }
  void TearDown() override { store_.reset(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = Open(scratch_->location());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::unique_ptr<ScratchStore> scratch_;  // declared first: outlives the store
  std::unique_ptr<Store> store_;
};

}  // namespace luoshi::store_testing

#endif  // LUOSHI_SERVICES_COMMON_STORE_TESTING_H_
