// TaskBroadcaster under threads: publishers, subscribers coming and going, and Close racing with
// readers. Also run under ThreadSanitizer by the test command (build-tsan).
#include "services/tasks/broadcaster.h"

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace luoshi::tasks {
namespace {

// An event whose task id names its publisher and whose percent is its sequence number.
v1::TaskEvent Event(int publisher, int seq) {
  v1::TaskEvent e;
  e.mutable_task()->set_id(absl::StrCat("T", publisher));
  e.mutable_task()->set_percent_complete(seq);
  return e;
}

TEST(BroadcasterTest, EverySubscriberSeesEveryEventInEachPublishersOrder) {
  constexpr int kPublishers = 4;
  constexpr int kEvents = 300;
  constexpr int kSubscribers = 3;
  TaskBroadcaster broadcaster(kPublishers * kEvents);
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    auto sub = broadcaster.Subscribe([](const v1::Task&) { return true; });
    ASSERT_TRUE(sub.ok());
    subs.push_back(*std::move(sub));
  }
  std::vector<std::map<std::string, std::vector<int>>> seen(kSubscribers);
  std::vector<std::thread> readers;
  for (int i = 0; i < kSubscribers; ++i) {
    readers.emplace_back([&, i] {
      for (int got = 0; got < kPublishers * kEvents;) {
        absl::StatusOr<std::optional<v1::TaskEvent>> next = subs[i]->Next(absl::Seconds(10));
        if (!next.ok() || !*next) return;  // the test fails below on the count
        seen[i][(*next)->task().id()].push_back((*next)->task().percent_complete());
        ++got;
      }
    });
  }
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int s = 0; s < kEvents; ++s) broadcaster.Publish(Event(p, s));
    });
  }
  for (auto& t : publishers) t.join();
  for (auto& t : readers) t.join();
  for (int i = 0; i < kSubscribers; ++i) {
    ASSERT_EQ(seen[i].size(), static_cast<size_t>(kPublishers)) << "subscriber " << i;
    for (const auto& [publisher, seqs] : seen[i]) {
      ASSERT_EQ(seqs.size(), static_cast<size_t>(kEvents)) << publisher;
      for (int s = 0; s < kEvents; ++s) EXPECT_EQ(seqs[s], s) << publisher;
    }
  }
}

TEST(BroadcasterTest, SubscribersComeAndGoWhileOthersPublish) {
  TaskBroadcaster broadcaster;
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int s = 0; !stop; ++s) broadcaster.Publish(Event(0, s % 100));
  });
  std::vector<std::thread> churn;
  for (int t = 0; t < 3; ++t) {
    churn.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        auto sub = broadcaster.Subscribe([](const v1::Task&) { return true; });
        ASSERT_TRUE(sub.ok());
        (void)(*sub)->Next(absl::Milliseconds(1));
      }  // each subscription unsubscribes as it goes
    });
  }
  for (auto& t : churn) t.join();
  stop = true;
  publisher.join();
  EXPECT_EQ(broadcaster.subscriber_count(), 0);
}

TEST(BroadcasterTest, CloseEndsWaitingReadersAndRefusesNewSubscribers) {
  TaskBroadcaster broadcaster;
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int i = 0; i < 4; ++i) subs.push_back(*broadcaster.Subscribe([](const v1::Task&) { return true; }));
  std::vector<std::thread> readers;
  std::atomic<int> unavailable{0};
  for (auto& sub : subs) {
    readers.emplace_back([&, s = sub.get()] {
      while (true) {
        absl::StatusOr<std::optional<v1::TaskEvent>> next = s->Next(absl::Seconds(10));
        if (!next.ok()) {
          if (absl::IsUnavailable(next.status())) ++unavailable;
          return;
        }
      }
    });
  }
  broadcaster.Publish(Event(0, 1));
  broadcaster.Close();
  for (auto& t : readers) t.join();
  EXPECT_EQ(unavailable.load(), 4);
  EXPECT_TRUE(absl::IsUnavailable(broadcaster.Subscribe([](const v1::Task&) { return true; }).status()));
}

TEST(BroadcasterTest, ASubscriberThatFallsBehindIsDisconnectedNotWaitedFor) {
  TaskBroadcaster broadcaster(/*queue_capacity=*/8);
  auto slow = *broadcaster.Subscribe([](const v1::Task&) { return true; });
  for (int s = 0; s < 20; ++s) broadcaster.Publish(Event(0, s));  // never blocks
  absl::StatusOr<std::optional<v1::TaskEvent>> next;
  do {
    next = slow->Next(absl::Milliseconds(10));
  } while (next.ok() && *next);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
}

// The listener a stream without a thread relies on: told when an event lands in an empty queue, when
// the subscriber overflows and when the broadcaster closes; never for events it is still draining.
class CountingListener : public SubscriptionListener {
 public:
  void OnReady() override { calls.fetch_add(1); }
  std::atomic<int> calls{0};
};

TEST(BroadcasterTest, ListenerIsToldWhenThereIsSomethingNewToTake) {
  TaskBroadcaster broadcaster(/*queue_capacity=*/3);
  auto sub = broadcaster.Subscribe([](const v1::Task&) { return true; });
  ASSERT_TRUE(sub.ok());
  auto listener = std::make_shared<CountingListener>();
  (*sub)->SetListener(listener);
  broadcaster.Publish(Event(1, 1));
  EXPECT_EQ(listener->calls.load(), 1);
  broadcaster.Publish(Event(1, 2));  // queued behind the first: the listener is still draining
  EXPECT_EQ(listener->calls.load(), 1);
  for (int seq : {1, 2}) {
    auto next = (*sub)->Next(absl::ZeroDuration());
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*next)->task().percent_complete(), seq);
  }
  auto empty = (*sub)->Next(absl::ZeroDuration());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  broadcaster.Publish(Event(1, 3));  // the queue was empty again
  EXPECT_EQ(listener->calls.load(), 2);
  for (int seq = 4; seq <= 6; ++seq) broadcaster.Publish(Event(1, seq));  // the fourth queued overflows
  EXPECT_EQ(listener->calls.load(), 3);
  EXPECT_EQ((*sub)->Next(absl::ZeroDuration()).status().code(), absl::StatusCode::kResourceExhausted);
  broadcaster.Close();
  EXPECT_EQ(listener->calls.load(), 4);
}

TEST(BroadcasterTest, RefusesSubscribersBeyondItsLimit) {
  TaskBroadcaster broadcaster(/*queue_capacity=*/8, /*max_subscribers=*/2);
  auto match_all = [](const v1::Task&) { return true; };
  auto a = broadcaster.Subscribe(match_all);
  auto b = broadcaster.Subscribe(match_all);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = broadcaster.Subscribe(match_all);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("--max_watchers"), std::string::npos) << c.status();
  a->reset();  // one closes: room for another
  EXPECT_TRUE(broadcaster.Subscribe(match_all).ok());
}

}  // namespace
}  // namespace luoshi::tasks
