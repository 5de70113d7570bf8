// The DocumentStore contract, run on every storage backend (services/common/store_testing.h; SQLite and
// PostgreSQL): documents, their extractions and the outbox with its claims. SQLite-only cases (migrations
// of old files) are in sqlite_store_test.cc; PostgreSQL-only ones (two dispatchers on one outbox) in
// postgres_store_test.cc.
#include "services/ingestion/store.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/store_testing.h"
#include "services/ingestion/ids.h"
#include "services/ingestion/open_store.h"

namespace luoshi::ingestion {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
// The lease of the outbox claims in these cases.
const absl::Duration kLease = absl::Minutes(10);

v1::Extraction MakeExtraction(const std::string& title, int observations, int tasks) {
  v1::Extraction e;
  e.mutable_metadata()->set_title(title);
  e.mutable_metadata()->set_type(v1::DOCUMENT_TYPE_WORK_REPORT);
  e.mutable_metadata()->set_region("大兴区");
  e.mutable_metadata()->set_year(2023);
  e.set_extractor_version("test-1");
  for (int i = 0; i < observations; ++i) e.add_observations()->set_surface_name("地区生产总值");
  for (int i = 0; i < tasks; ++i) e.add_tasks()->set_text("推进工作");
  return e;
}

DocumentRecord MakeRecord(const std::string& bytes, absl::Time at = kT0) {
  DocumentRecord r;
  r.sha256 = Sha256Hex(bytes);
  r.id = DocumentIdForSha256(r.sha256);
  r.filename = "report.txt";
  r.content_type = "text/plain";
  r.size_bytes = static_cast<int64_t>(bytes.size());
  r.region_hint = "北京市";
  r.year_hint = 2022;
  r.ingested_at = at;
  return r;
}

class DocumentStoreTest : public store_testing::StoreTest<DocumentStore, &OpenDocumentStore> {
 protected:
  // Stores `bytes` with an extraction of the given size and the standard deliveries.
  DocumentRecord Store(const std::string& bytes, int observations = 2, int tasks = 1, absl::Time at = kT0) {
    DocumentRecord r = MakeRecord(bytes, at);
    v1::Extraction e = MakeExtraction("报告 " + bytes, observations, tasks);
    std::vector<NewDelivery> deliveries = {{kIndicatorsTarget, observations > 0 ? "obs-payload" : ""},
                                           {kTasksTarget, tasks > 0 ? "plan-payload" : ""}};
    absl::Status s = store_->CreateDocument(r, bytes, e, deliveries);
    EXPECT_TRUE(s.ok()) << s;
    return r;
  }

  // Claims the due entries of `target` at `now` (at most `limit`), leased for kLease.
  std::vector<OutboxEntry> Claim(const std::string& target, absl::Time now, int limit = 10) {
    auto claimed = store_->ClaimDeliveries(target, now, kLease, limit);
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    return claimed.ok() ? *std::move(claimed) : std::vector<OutboxEntry>{};
  }
};

TEST_P(DocumentStoreTest, ReopenKeepsData) {
  DocumentRecord r = Store("甲");
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto found = store_->GetDocument(r.id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->sha256, r.sha256);
}

TEST_P(DocumentStoreTest, StoredDocumentRoundTrips) {
  DocumentRecord r = Store("一份报告的全部字节", 3, 2);
  auto found = store_->FindBySha256(r.sha256);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, r.id);
  EXPECT_EQ(found->filename, "report.txt");
  EXPECT_EQ(found->content_type, "text/plain");
  EXPECT_EQ(found->size_bytes, r.size_bytes);
  EXPECT_EQ(found->region_hint, "北京市");
  EXPECT_EQ(found->year_hint, 2022);
  EXPECT_EQ(found->metadata.title(), "报告 一份报告的全部字节");
  EXPECT_EQ(found->observation_count, 3);
  EXPECT_EQ(found->task_count, 2);
  EXPECT_EQ(found->extractor_version, "test-1");
  EXPECT_EQ(found->ingested_at, kT0);
  EXPECT_EQ(found->generation, 1);

  auto bytes = store_->GetBytes(r.id);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "一份报告的全部字节");
  auto extraction = store_->GetExtraction(r.id);
  ASSERT_TRUE(extraction.ok());
  EXPECT_EQ(extraction->observations_size(), 3);
  EXPECT_EQ(extraction->tasks_size(), 2);
}

// A document is any bytes (a .docx is a zip): NUL, invalid UTF-8 and every other byte come back as stored.
TEST_P(DocumentStoreTest, BytesComeBackExactly) {
  std::string bytes;
  for (int i = 0; i < 512; ++i) bytes.push_back(static_cast<char>(i % 256));
  DocumentRecord r = MakeRecord(bytes);
  ASSERT_TRUE(store_->CreateDocument(r, bytes, MakeExtraction("二进制", 0, 0), {}).ok());
  auto stored = store_->GetBytes(r.id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, bytes);
}

TEST_P(DocumentStoreTest, UnknownDocumentIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(store_->GetDocument("doc-0000000000000000").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->FindBySha256(std::string(64, 'a')).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetBytes("doc-0000000000000000").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetExtraction("doc-0000000000000000").status()));
  EXPECT_TRUE(absl::IsNotFound(
      store_->ReplaceExtraction("doc-0000000000000000", MakeExtraction("x", 1, 0), "", 0, {}, kT0).status()));
}

TEST_P(DocumentStoreTest, SameBytesTwiceIsAlreadyExistsAndWritesNothing) {
  DocumentRecord r = Store("同一份文件");
  absl::Status again = store_->CreateDocument(r, "同一份文件", MakeExtraction("x", 5, 5),
                                              {{kIndicatorsTarget, "p"}, {kTasksTarget, "p"}});
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  auto deliveries = store_->ListDeliveries(r.id);
  ASSERT_TRUE(deliveries.ok());
  EXPECT_THAT(*deliveries, SizeIs(2));
  EXPECT_EQ(store_->GetDocument(r.id)->observation_count, 2);
}

TEST_P(DocumentStoreTest, DocumentAndOutboxAreWrittenInOneTransaction) {
  DocumentRecord r = MakeRecord("会失败的文件");
  // An outbox row the store refuses (an unknown target) must take the document down with it.
  absl::Status s = store_->CreateDocument(r, "会失败的文件", MakeExtraction("x", 1, 0),
                                          {{kIndicatorsTarget, "p"}, {"nowhere", "p"}});
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsNotFound(store_->FindBySha256(r.sha256).status()));
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0), IsEmpty());
}

TEST_P(DocumentStoreTest, EmptyPayloadIsNotNeededAndNeverDue) {
  DocumentRecord r = Store("只有任务", 0, 3);
  auto deliveries = store_->ListDeliveries(r.id);
  ASSERT_TRUE(deliveries.ok());
  ASSERT_THAT(*deliveries, SizeIs(2));
  EXPECT_EQ((*deliveries)[0].target, kIndicatorsTarget);
  EXPECT_EQ((*deliveries)[0].state, OutboxState::kNotNeeded);
  EXPECT_FALSE((*deliveries)[0].next_attempt_at.has_value());
  EXPECT_EQ((*deliveries)[1].target, kTasksTarget);
  EXPECT_EQ((*deliveries)[1].state, OutboxState::kPending);
  EXPECT_EQ((*deliveries)[1].next_attempt_at, kT0);
  EXPECT_EQ((*deliveries)[1].payload, "plan-payload");

  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Hours(1)), IsEmpty());
  EXPECT_THAT(Claim(kTasksTarget, kT0 + absl::Hours(1)), SizeIs(1));
}

TEST_P(DocumentStoreTest, ClaimsFollowNextAttemptTimesEarliestFirst) {
  DocumentRecord a = Store("甲", 1, 0, kT0);
  DocumentRecord b = Store("乙", 1, 0, kT0 + absl::Seconds(5));
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 - absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Seconds(5), 1),
              ElementsAre(Field(&OutboxEntry::document_id, a.id)));
  auto second = Claim(kIndicatorsTarget, kT0 + absl::Seconds(5));
  ASSERT_THAT(second, ElementsAre(Field(&OutboxEntry::document_id, b.id)));  // a is leased

  // Both leased: the next entry is due when the first lease ends.
  EXPECT_EQ(*store_->NextDueTime(), kT0 + absl::Seconds(5) + kLease);
  auto first_entry = store_->ListDeliveries(a.id);
  ASSERT_TRUE(first_entry.ok()) << first_entry.status();
  ASSERT_TRUE(store_->MarkRetry((*first_entry)[0].id, "down", kT0 + absl::Seconds(60)).ok());
  EXPECT_EQ(*store_->NextDueTime(), kT0 + absl::Seconds(60));
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Seconds(30)), IsEmpty());
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Seconds(60)),
              ElementsAre(Field(&OutboxEntry::document_id, a.id)));
}

// A dispatcher that claimed an entry and died never records an outcome: the entry stays reserved for the
// lease, then any claimer gets it.
TEST_P(DocumentStoreTest, ClaimedEntryIsNotClaimedAgainBeforeItsLeaseEnds) {
  DocumentRecord r = Store("租约", 1, 0);
  auto claimed = Claim(kIndicatorsTarget, kT0);
  ASSERT_THAT(claimed, SizeIs(1));
  EXPECT_EQ(claimed[0].leased_until, kT0 + kLease);
  EXPECT_EQ(claimed[0].payload, "obs-payload");
  EXPECT_EQ((*store_->ListDeliveries(r.id))[0].leased_until, kT0 + kLease);

  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + kLease - absl::Microseconds(1)), IsEmpty());
  EXPECT_EQ(*store_->NextDueTime(), kT0 + kLease);
  EXPECT_EQ(store_->Backlog()->pending, 1);  // still waiting to be delivered

  // The lease is over: claimed again (by a surviving dispatcher), with a new lease; no attempt was recorded.
  auto again = Claim(kIndicatorsTarget, kT0 + kLease);
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].id, claimed[0].id);
  EXPECT_EQ(again[0].attempts, 0);
  EXPECT_EQ(again[0].leased_until, kT0 + 2 * kLease);
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + kLease + absl::Seconds(1)), IsEmpty());
}

// A restart is where the backends differ. A SQLite file has one service process: what it held when it
// died is free as soon as it starts again. On PostgreSQL other replicas may still be delivering what they
// claimed, so a lease is over only when it ends, restart or not.
TEST_P(DocumentStoreTest, LeasesAfterARestartFollowTheBackend) {
  Store("重启", 1, 0);
  ASSERT_THAT(Claim(kIndicatorsTarget, kT0), SizeIs(1));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const bool one_process = GetParam().name == "Sqlite";
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Seconds(1)), SizeIs(one_process ? 1 : 0));
}

TEST_P(DocumentStoreTest, RecordingTheOutcomeEndsTheLease) {
  DocumentRecord r = Store("结束租约", 1, 1);
  auto obs = Claim(kIndicatorsTarget, kT0);
  auto plan = Claim(kTasksTarget, kT0);
  ASSERT_THAT(obs, SizeIs(1));
  ASSERT_THAT(plan, SizeIs(1));

  // A retry is due at its own time, well before the lease would have ended.
  ASSERT_TRUE(store_->MarkRetry(obs[0].id, "unavailable", kT0 + absl::Seconds(2)).ok());
  EXPECT_FALSE((*store_->ListDeliveries(r.id))[0].leased_until.has_value());
  EXPECT_EQ(*store_->NextDueTime(), kT0 + absl::Seconds(2));
  auto retried = Claim(kIndicatorsTarget, kT0 + absl::Seconds(2));
  ASSERT_THAT(retried, SizeIs(1));
  EXPECT_EQ(retried[0].attempts, 1);

  // Delivered and failed entries are done: never claimed again, not even after the lease.
  ASSERT_TRUE(store_->MarkDelivered(obs[0].id, kT0 + absl::Seconds(3)).ok());
  ASSERT_TRUE(store_->MarkFailed(plan[0].id, "rejected").ok());
  auto deliveries = *store_->ListDeliveries(r.id);
  ASSERT_THAT(deliveries, SizeIs(2));
  EXPECT_FALSE(deliveries[0].leased_until.has_value());
  EXPECT_FALSE(deliveries[1].leased_until.has_value());
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + 3 * kLease), IsEmpty());
  EXPECT_THAT(Claim(kTasksTarget, kT0 + 3 * kLease), IsEmpty());
  EXPECT_FALSE(store_->NextDueTime()->has_value());
}

TEST_P(DocumentStoreTest, ClaimNeedsAPositiveLease) {
  Store("无租约", 1, 0);
  auto claimed = store_->ClaimDeliveries(kIndicatorsTarget, kT0, absl::ZeroDuration(), 10);
  EXPECT_TRUE(absl::IsInvalidArgument(claimed.status())) << claimed.status();
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0), SizeIs(1));  // the refused claim leased nothing
}

// Two stores on one location (two replicas of the service) claiming at once from several threads: every
// entry goes to exactly one claimer.
TEST_P(DocumentStoreTest, ConcurrentClaimersNeverShareAnEntry) {
  constexpr int kDocuments = 40;
  for (int i = 0; i < kDocuments; ++i) Store("并发领取" + std::to_string(i), 1, 0);
  auto other = OpenDocumentStore(scratch_->location());
  ASSERT_TRUE(other.ok()) << other.status();
  DocumentStore* stores[] = {store_.get(), other->get()};

  absl::Mutex mu;
  std::map<int64_t, int> claims;  // entry id → times claimed
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        auto claimed = stores[t % 2]->ClaimDeliveries(kIndicatorsTarget, kT0, kLease, 3);
        absl::MutexLock lock(&mu);
        if (!claimed.ok()) {
          errors.push_back(claimed.status().ToString());
          return;
        }
        if (claimed->empty()) return;
        for (const OutboxEntry& e : *claimed) ++claims[e.id];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_THAT(claims, SizeIs(kDocuments));
  for (const auto& [id, times] : claims) EXPECT_EQ(times, 1) << "entry " << id;
}

TEST_P(DocumentStoreTest, AttemptOutcomesAreRecorded) {
  DocumentRecord r = Store("结果", 1, 1);
  auto due = Claim(kIndicatorsTarget, kT0);
  ASSERT_THAT(due, SizeIs(1));
  const int64_t obs_entry = due[0].id;
  auto plans = Claim(kTasksTarget, kT0);
  ASSERT_THAT(plans, SizeIs(1));
  const int64_t plan_entry = plans[0].id;

  ASSERT_TRUE(store_->MarkRetry(obs_entry, "indicator service unavailable", kT0 + absl::Seconds(2)).ok());
  ASSERT_TRUE(store_->MarkDelivered(obs_entry, kT0 + absl::Seconds(3)).ok());
  ASSERT_TRUE(store_->MarkFailed(plan_entry, "rejected: bad plan").ok());

  auto deliveries = *store_->ListDeliveries(r.id);
  ASSERT_THAT(deliveries, SizeIs(2));
  EXPECT_EQ(deliveries[0].state, OutboxState::kDelivered);
  EXPECT_EQ(deliveries[0].attempts, 2);
  EXPECT_EQ(deliveries[0].delivered_at, kT0 + absl::Seconds(3));
  EXPECT_EQ(deliveries[0].last_error, "");  // the outage is over: its error no longer applies
  EXPECT_FALSE(deliveries[0].next_attempt_at.has_value());
  EXPECT_EQ(deliveries[1].state, OutboxState::kFailed);
  EXPECT_EQ(deliveries[1].attempts, 1);
  EXPECT_EQ(deliveries[1].last_error, "rejected: bad plan");
  EXPECT_FALSE(store_->NextDueTime()->has_value());

  // Outcomes for entries that are no longer pending change nothing; unknown entries are NOT_FOUND.
  ASSERT_TRUE(store_->MarkRetry(obs_entry, "late", kT0 + absl::Hours(1)).ok());
  EXPECT_EQ((*store_->ListDeliveries(r.id))[0].state, OutboxState::kDelivered);
  EXPECT_TRUE(absl::IsNotFound(store_->MarkDelivered(999999, kT0)));
}

// What the outbox metrics report: undelivered entries and the oldest one's creation time.
TEST_P(DocumentStoreTest, BacklogCountsPendingEntriesAndKnowsTheOldest) {
  auto empty = store_->Backlog();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->pending, 0);
  EXPECT_FALSE(empty->oldest_created_at.has_value());

  Store("先到", 1, 1, kT0);                     // two pending entries
  Store("后到", 1, 0, kT0 + absl::Seconds(5));  // one pending, one not needed
  EXPECT_EQ(store_->Backlog()->pending, 3);
  EXPECT_EQ(store_->Backlog()->oldest_created_at, kT0);

  // The first document's entries: one delivered, one refused (failed is not waiting any more).
  auto indicators = Claim(kIndicatorsTarget, kT0);
  auto tasks = Claim(kTasksTarget, kT0);
  ASSERT_THAT(indicators, SizeIs(1));
  ASSERT_THAT(tasks, SizeIs(1));
  ASSERT_TRUE(store_->MarkDelivered(indicators[0].id, kT0 + absl::Seconds(6)).ok());
  ASSERT_TRUE(store_->MarkFailed(tasks[0].id, "rejected").ok());
  EXPECT_EQ(store_->Backlog()->pending, 1);
  EXPECT_EQ(store_->Backlog()->oldest_created_at, kT0 + absl::Seconds(5));
}

TEST_P(DocumentStoreTest, ReplaceExtractionStartsANewGenerationAndSupersedesPendingEntries) {
  DocumentRecord r = Store("重新处理", 1, 1);
  auto claimed = Claim(kIndicatorsTarget, kT0);
  ASSERT_THAT(claimed, SizeIs(1));
  const int64_t obs_entry = claimed[0].id;
  ASSERT_TRUE(store_->MarkDelivered(obs_entry, kT0).ok());  // indicators delivered, tasks still pending

  v1::Extraction newer = MakeExtraction("新标题", 4, 0);
  newer.set_extractor_version("test-2");
  auto updated = store_->ReplaceExtraction(
      r.id, newer, "大兴区", 2024,
      {{kIndicatorsTarget, "obs-v2", 2, "2 figures have no region"}, {kTasksTarget, ""}},
      kT0 + absl::Minutes(1));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->generation, 2);
  EXPECT_EQ(updated->observation_count, 4);
  EXPECT_EQ(updated->task_count, 0);
  EXPECT_EQ(updated->extractor_version, "test-2");
  EXPECT_EQ(updated->metadata.title(), "新标题");
  EXPECT_EQ(updated->region_hint, "大兴区");  // the hints the new extraction ran with
  EXPECT_EQ(updated->year_hint, 2024);
  EXPECT_EQ(store_->GetDocument(r.id)->year_hint, 2024);
  EXPECT_EQ(store_->GetExtraction(r.id)->observations_size(), 4);

  auto deliveries = *store_->ListDeliveries(r.id);
  ASSERT_THAT(deliveries, SizeIs(2));
  EXPECT_EQ(deliveries[0].generation, 2);
  EXPECT_EQ(deliveries[0].state, OutboxState::kPending);
  EXPECT_EQ(deliveries[0].payload, "obs-v2");
  EXPECT_EQ(deliveries[0].left_out, 2);
  EXPECT_EQ(deliveries[0].left_out_reason, "2 figures have no region");
  EXPECT_EQ(deliveries[1].left_out, 0);
  EXPECT_EQ(deliveries[1].state, OutboxState::kNotNeeded);
  // The old tasks entry was pending: it is superseded and never due again.
  EXPECT_THAT(Claim(kTasksTarget, kT0 + absl::Hours(1)), IsEmpty());
  EXPECT_THAT(Claim(kIndicatorsTarget, kT0 + absl::Hours(1)), ElementsAre(Field(&OutboxEntry::payload, "obs-v2")));
}

TEST_P(DocumentStoreTest, ListDocumentsIsNewestFirstWithFiltersAndCursor) {
  std::vector<DocumentRecord> stored;
  for (int i = 0; i < 5; ++i) stored.push_back(Store("文件" + std::to_string(i)));
  DocumentQuery all;
  all.limit = 10;
  auto listed = store_->ListDocuments(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_THAT(*listed, SizeIs(5));
  EXPECT_EQ((*listed)[0].id, stored[4].id);
  EXPECT_EQ((*listed)[4].id, stored[0].id);

  DocumentQuery after = all;
  after.before_position = (*listed)[1].position;
  after.limit = 2;
  EXPECT_THAT(*store_->ListDocuments(after), ElementsAre(Field(&DocumentRecord::id, stored[2].id),
                                                         Field(&DocumentRecord::id, stored[1].id)));

  DocumentQuery filtered = all;
  filtered.type = v1::DOCUMENT_TYPE_WORK_REPORT;
  filtered.region = "大兴区";
  filtered.year = 2023;
  EXPECT_THAT(*store_->ListDocuments(filtered), SizeIs(5));
  filtered.year = 2024;
  EXPECT_THAT(*store_->ListDocuments(filtered), IsEmpty());
  filtered.year = 0;
  filtered.region = "北京市";
  EXPECT_THAT(*store_->ListDocuments(filtered), IsEmpty());
  filtered.region = "";
  filtered.type = v1::DOCUMENT_TYPE_DIVISION_PLAN;
  EXPECT_THAT(*store_->ListDocuments(filtered), IsEmpty());
}

// Every backend: SQLite and PostgreSQL.
INSTANTIATE_TEST_SUITE_P(Backends, DocumentStoreTest, ::testing::ValuesIn(store_testing::StoreBackends()),
                         store_testing::BackendName);

}  // namespace
}  // namespace luoshi::ingestion
