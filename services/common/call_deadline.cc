#include "services/common/call_deadline.h"

namespace luoshi {
namespace {

absl::Time& ThreadDeadline() {
  thread_local absl::Time deadline = absl::InfiniteFuture();
  return deadline;
}

}  // namespace

absl::Time CallDeadline() { return ThreadDeadline(); }

ScopedCallDeadline::ScopedCallDeadline(absl::Time deadline) : previous_(ThreadDeadline()) {
  ThreadDeadline() = deadline;
}

ScopedCallDeadline::~ScopedCallDeadline() { ThreadDeadline() = previous_; }

}  // namespace luoshi
