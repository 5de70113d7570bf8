// In-process fan-out of task changes to WatchTasks subscribers.
//
// Publish() never blocks on a subscriber: each subscription has a bounded queue, and a subscriber
// that falls `capacity` events behind is disconnected (Next() then reports RESOURCE_EXHAUSTED) rather
// than slowing down writers or losing events silently. Close() ends every subscription so stream
// handlers return promptly at shutdown. Filtering is the publisher's matcher, evaluated once per
// subscriber at publish time. At most `max_subscribers` subscriptions are open at once; one more is
// RESOURCE_EXHAUSTED.
//
// A subscriber either waits in Next(timeout), or (the gRPC stream, which holds no thread while it
// waits) takes Next(absl::ZeroDuration()) whenever its SubscriptionListener is told there is
// something to take. The listener is called after the broadcaster's lock is released, never under it,
// so it may start network writes.
//
// Thread safety: all methods may be called from any thread.
#ifndef LUOSHI_SERVICES_TASKS_BROADCASTER_H_
#define LUOSHI_SERVICES_TASKS_BROADCASTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "luoshi/v1/tasks.pb.h"

namespace luoshi::tasks {

class TaskBroadcaster;

// Told that a subscription has something to deliver: an event after an empty queue, an overflow, the
// end. Shared, so a wake-up on its way never reaches a freed listener.
class SubscriptionListener {
 public:
  virtual ~SubscriptionListener() = default;
  virtual void OnReady() = 0;
};

class Subscription {
 public:
  ~Subscription();  // unsubscribes
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Waits up to `timeout` for the next event. nullopt when none arrived in time; RESOURCE_EXHAUSTED
  // when this subscriber fell too far behind; UNAVAILABLE once the broadcaster is closed.
  absl::StatusOr<std::optional<v1::TaskEvent>> Next(absl::Duration timeout);

  // From now on `listener` is told whenever Next() has something new to give (call Next right after
  // setting it: what was queued before is not announced).
  void SetListener(std::shared_ptr<SubscriptionListener> listener);

  // Resuming after a disconnect (WatchTasksRequest.after_sequence): `missed` (stored events after the
  // client's token that match, in sequence order) goes before everything queued, and events with a
  // sequence up to `through` (the last stored event read) are dropped from the queue now and when offered
  // later, since `missed` already holds them. `missed` does not count against the capacity. Call once,
  // before SetListener.
  void Resume(std::vector<v1::TaskEvent> missed, int64_t through);

 private:
  friend class TaskBroadcaster;
  using Matcher = std::function<bool(const v1::Task&)>;
  Subscription(TaskBroadcaster* owner, uint64_t id, Matcher matcher, size_t capacity)
      : owner_(owner), id_(id), matcher_(std::move(matcher)), capacity_(capacity) {}
  // Called by the broadcaster under its lock; each returns the listener to tell once the lock is
  // released (null when there is nothing new to announce).
  std::shared_ptr<SubscriptionListener> Offer(const v1::TaskEvent& event);
  std::shared_ptr<SubscriptionListener> Close();

  TaskBroadcaster* owner_;
  const uint64_t id_;
  const Matcher matcher_;
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<v1::TaskEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t skip_through_ ABSL_GUARDED_BY(mu_) = -1;  // see Resume; -1: nothing to skip
  size_t replayed_ ABSL_GUARDED_BY(mu_) = 0;       // events Resume queued beyond the capacity
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<SubscriptionListener> listener_ ABSL_GUARDED_BY(mu_);
};

class TaskBroadcaster {
 public:
  explicit TaskBroadcaster(size_t queue_capacity = 1024, int max_subscribers = 10000)
      : capacity_(queue_capacity), max_subscribers_(max_subscribers) {}
  ~TaskBroadcaster();

  // `matcher` decides which events this subscriber receives. UNAVAILABLE after Close();
  // RESOURCE_EXHAUSTED when max_subscribers are already open.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(std::function<bool(const v1::Task&)> matcher);
  void Publish(const v1::TaskEvent& event);
  // Ends every subscription and refuses new ones.
  void Close();
  int subscriber_count() const;

 private:
  friend class Subscription;
  void Remove(uint64_t id);

  const size_t capacity_;
  const int max_subscribers_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, Subscription*> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_BROADCASTER_H_
