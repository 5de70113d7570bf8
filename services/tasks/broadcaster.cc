#include "services/tasks/broadcaster.h"

#include <vector>

#include "services/tasks/errors.h"

namespace luoshi::tasks {

Subscription::~Subscription() { owner_->Remove(id_); }

std::shared_ptr<SubscriptionListener> Subscription::Offer(const v1::TaskEvent& event) {
  if (!matcher_(event.task())) return nullptr;
  absl::MutexLock lock(&mu_);
  if (closed_ || overflowed_ || event.sequence() <= skip_through_) return nullptr;
  if (queue_.size() >= capacity_ + replayed_) {
    overflowed_ = true;
    queue_.clear();
    return listener_;
  }
  queue_.push_back(event);
  // A listener that found the queue empty is waiting for this one; with more queued it is still busy
  // writing and comes back for the rest by itself.
  return queue_.size() == 1 ? listener_ : nullptr;
}

std::shared_ptr<SubscriptionListener> Subscription::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  return listener_;
}

void Subscription::Resume(std::vector<v1::TaskEvent> missed, int64_t through) {
  absl::MutexLock lock(&mu_);
  skip_through_ = through;
  std::deque<v1::TaskEvent> queue;
  for (v1::TaskEvent& e : missed) queue.push_back(std::move(e));
  replayed_ = queue.size();
  for (v1::TaskEvent& e : queue_) {
    if (e.sequence() > through) queue.push_back(std::move(e));
  }
  queue_.swap(queue);
}

void Subscription::SetListener(std::shared_ptr<SubscriptionListener> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

absl::StatusOr<std::optional<v1::TaskEvent>> Subscription::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || overflowed_ || closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (overflowed_) return WatcherTooSlow(capacity_);
  if (!queue_.empty()) {
    v1::TaskEvent event = std::move(queue_.front());
    queue_.pop_front();
    if (replayed_ > 0) --replayed_;  // the replayed events come first
    return std::optional<v1::TaskEvent>(std::move(event));
  }
  if (closed_) return ServerShuttingDown();
  return std::optional<v1::TaskEvent>();
}

TaskBroadcaster::~TaskBroadcaster() { Close(); }

absl::StatusOr<std::unique_ptr<Subscription>> TaskBroadcaster::Subscribe(
    std::function<bool(const v1::Task&)> matcher) {
  absl::MutexLock lock(&mu_);
  if (closed_) return ServerShuttingDown();
  if (static_cast<int>(subscribers_.size()) >= max_subscribers_) return TooManyWatchers(max_subscribers_);
  const uint64_t id = next_id_++;
  std::unique_ptr<Subscription> sub(new Subscription(this, id, std::move(matcher), capacity_));
  subscribers_[id] = sub.get();
  return sub;
}

namespace {

void Tell(const std::vector<std::shared_ptr<SubscriptionListener>>& listeners) {
  for (const auto& l : listeners) l->OnReady();
}

}  // namespace

void TaskBroadcaster::Publish(const v1::TaskEvent& event) {
  std::vector<std::shared_ptr<SubscriptionListener>> wake;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, sub] : subscribers_) {
      if (auto l = sub->Offer(event)) wake.push_back(std::move(l));
    }
  }
  Tell(wake);
}

void TaskBroadcaster::Close() {
  std::vector<std::shared_ptr<SubscriptionListener>> wake;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (auto& [id, sub] : subscribers_) {
      if (auto l = sub->Close()) wake.push_back(std::move(l));
    }
  }
  Tell(wake);
}

int TaskBroadcaster::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(subscribers_.size());
}

void TaskBroadcaster::Remove(uint64_t id) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(id);
}

}  // namespace luoshi::tasks
