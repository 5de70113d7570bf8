// PumpedWriteReactor: the skeleton of a long-lived server-streaming call on gRPC's callback API (the
// task service's WatchTasks, the health service's Watch). An open stream holds no thread: whoever has
// something for it (a publishing thread, a status change) calls Pump, which starts the next write, or
// the Finish once an end has been recorded and nothing more is to be written. One write at a time: the
// next one starts from OnWriteDone.
//
// A subclass says what comes next (NextLocked) and how it is woken; it records an end with EndLocked or
// End. No gRPC operation is started while mu_ is held, since gRPC may run a reaction inline.
//
// Lifetime: gRPC holds one reference until OnDone; whoever wakes the stream from another thread must hold
// another (Ref, taken where the waker cannot race with OnDone, then Unref), so that the reactor is deleted
// by whichever lets go last, never under a lock. A subclass's OnDone unhooks it from its wakers, then
// calls Unref.
#ifndef LUOSHI_SERVICES_COMMON_WRITE_PUMP_H_
#define LUOSHI_SERVICES_COMMON_WRITE_PUMP_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace luoshi {

template <class Message>
class PumpedWriteReactor : public grpc::ServerWriteReactor<Message> {
 public:
  // With `headers_first`, the response headers go out at once (so a client knows the stream is live
  // before the first message) and nothing is written or finished before they have.
  explicit PumpedWriteReactor(bool headers_first) : headers_sent_(!headers_first) {
    if (headers_first) this->StartSendInitialMetadata();
  }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Starts the next write, or the Finish, when the stream is free for it. Safe from any thread.
  void Pump() {
    enum { kNothing, kWrite, kFinish } action = kNothing;
    grpc::Status finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_ || !headers_sent_) return;
      if (!gone_ && NextLocked(&current_)) {
        writing_ = true;
        action = kWrite;
      } else if (end_) {
        finished_ = true;
        finish = *end_;
        action = kFinish;
      }
    }
    if (action == kWrite) this->StartWrite(&current_);
    if (action == kFinish) this->Finish(std::move(finish));
  }

  // Records how the stream is to end (the first reason wins) and pumps.
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      EndLocked(std::move(status));
    }
    Pump();
  }

  void OnSendInitialMetadataDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      headers_sent_ = true;
      if (!ok) GoneLocked();
    }
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) GoneLocked();
    }
    Pump();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      GoneLocked();
    }
    Pump();
  }

 protected:
  ~PumpedWriteReactor() override = default;

  // The next message to write into *out, true; false when there is none now. Called under mu_, only
  // while the client is there (also after an end was recorded: what is still due goes out first). May
  // record an end (EndLocked), e.g. when its source failed.
  virtual bool NextLocked(Message* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;

  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!end_) end_ = std::move(status);
  }
  bool EndedLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return end_.has_value(); }

  absl::Mutex mu_;

 private:
  // The client went away: nothing more is written, and the stream finishes as soon as it can.
  void GoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    gone_ = true;
    EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
  }

  std::atomic<int> refs_{1};  // gRPC's, until OnDone
  bool headers_sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  Message current_;  // the message being written (touched only while no write is pending)
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_WRITE_PUMP_H_
