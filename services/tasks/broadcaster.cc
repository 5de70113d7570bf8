#include "services/tasks/broadcaster.h"

#include "services/tasks/errors.h"

namespace luoshi::tasks {

Subscription::~Subscription() { owner_->Remove(id_); }

void Subscription::Offer(const v1::TaskEvent& event) {
  if (!matcher_(event.task())) return;
  absl::MutexLock lock(&mu_);
  if (closed_ || overflowed_) return;
  if (queue_.size() >= capacity_) {
    overflowed_ = true;
    queue_.clear();
    return;
  }
  queue_.push_back(event);
}

void Subscription::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
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
  const uint64_t id = next_id_++;
  std::unique_ptr<Subscription> sub(new Subscription(this, id, std::move(matcher), capacity_));
  subscribers_[id] = sub.get();
  return sub;
}

void TaskBroadcaster::Publish(const v1::TaskEvent& event) {
  absl::MutexLock lock(&mu_);
  for (auto& [id, sub] : subscribers_) sub->Offer(event);
}

void TaskBroadcaster::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (auto& [id, sub] : subscribers_) sub->Close();
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
