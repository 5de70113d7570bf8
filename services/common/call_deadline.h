// The deadline of the call the current thread is serving, for work far below the gRPC layer that should
// give up when the caller has (the PostgreSQL pool bounds each statement by it: postgres.h).
//
// CallAdapter (adapter.h) opens a ScopedCallDeadline around every call it hands to a service, so any code
// the service runs on that thread sees the caller's deadline through CallDeadline(). Work on other threads
// (background dispatchers, pools) sees none unless it opens a scope itself.
//
// Thread safety: the deadline is per thread; scopes nest (the inner one wins until it ends).
#ifndef LUOSHI_SERVICES_COMMON_CALL_DEADLINE_H_
#define LUOSHI_SERVICES_COMMON_CALL_DEADLINE_H_

#include "absl/time/time.h"

namespace luoshi {

// The current thread's call deadline; absl::InfiniteFuture() when no call with a deadline is being served.
absl::Time CallDeadline();

class ScopedCallDeadline {
 public:
  explicit ScopedCallDeadline(absl::Time deadline);
  ~ScopedCallDeadline();
  ScopedCallDeadline(const ScopedCallDeadline&) = delete;
  ScopedCallDeadline& operator=(const ScopedCallDeadline&) = delete;

 private:
  absl::Time previous_;
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_CALL_DEADLINE_H_
