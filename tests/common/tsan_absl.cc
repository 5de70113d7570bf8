// ThreadSanitizer and Debian's Abseil (linked into the test binaries of a -DLUOSHI_TSAN=ON build only).
//
// libabsl_synchronization.so is not built with -fsanitize=thread: absl::Mutex locks with its own atomics
// and futexes, which TSan cannot see, so every access guarded by an absl::Mutex would be reported as a
// data race. This file interposes the Mutex and CondVar entry points (an executable's definition wins
// over a shared library's, for callers in the library too, e.g. absl::Notification), tells TSan about
// each acquire and release with its public mutex annotations (sanitizer/tsan_interface.h) and calls the
// real function, found with dlsym(RTLD_NEXT). What happens inside the real call (condition evaluation,
// the library's own bookkeeping) is ignored by TSan between the pre_ and post_ annotations. Abseil built
// with TSan does the same annotations itself; this stands in for that.
//
// Covered: Lock/Unlock, ReaderLock/ReaderUnlock, TryLock/ReaderTryLock, [Reader]LockWhen[WithTimeout|
// WithDeadline], Await[WithTimeout|WithDeadline] (writer mode: the only mode Luoshi awaits in), CondVar::
// Wait[WithTimeout|WithDeadline], ~Mutex, Notification::Notify and WaitForNotification[WithTimeout|
// WithDeadline]. Checked against a deliberate race (still reported) and a mutex-guarded counter, Await
// and Notification hand-offs (no reports) with libabsl 20220623.
#if !defined(__SANITIZE_THREAD__) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __SANITIZE_THREAD__ 1
#endif
#endif

#ifdef __SANITIZE_THREAD__

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

// "_ZN[K]4absl" + <inline namespace> + rest: the mangled name of a member of absl's inline namespace
// (K for a const member function).
#define LUOSHI_STR2(x) #x
#define LUOSHI_STR(x) LUOSHI_STR2(x)
void* Real(const char* rest, bool const_member) {
  const char* ns = LUOSHI_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::string name = std::string(const_member ? "_ZNK4absl" : "_ZN4absl") + std::to_string(std::strlen(ns)) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl: %s not found in the Abseil library\n", name.c_str());
    std::abort();
  }
  return f;
}

template <typename F>
F RealFn(const char* rest, bool const_member = false) {
  return reinterpret_cast<F>(Real(rest, const_member));
}

using MutexFn = void (*)(absl::Mutex*);
using TryFn = bool (*)(absl::Mutex*);
using WhenFn = void (*)(absl::Mutex*, const absl::Condition&);
using WhenTimeoutFn = bool (*)(absl::Mutex*, const absl::Condition&, absl::Duration);
using WhenDeadlineFn = bool (*)(absl::Mutex*, const absl::Condition&, absl::Time);
using AwaitFn = void (*)(absl::Mutex*, const absl::Condition&);
using WaitFn = void (*)(absl::CondVar*, absl::Mutex*);
using WaitTimeoutFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Duration);
using WaitDeadlineFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Time);
using NotifyFn = void (*)(absl::Notification*);
using WaitForFn = void (*)(const absl::Notification*);
using WaitForTimeoutFn = bool (*)(const absl::Notification*, absl::Duration);
using WaitForDeadlineFn = bool (*)(const absl::Notification*, absl::Time);

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// Some entry points call others through the library's PLT (AwaitWithTimeout calls AwaitWithDeadline):
// only the outermost call on a thread is annotated.
thread_local int depth = 0;

struct Nested {
  Nested() { ++depth; }
  ~Nested() { --depth; }
  Nested(const Nested&) = delete;
  Nested& operator=(const Nested&) = delete;
};

// The mutex is released for the wait and held again afterwards (CondVar::Wait, Mutex::Await).
template <typename Call>
auto ReleaseAndReacquire(absl::Mutex* mu, Call call) {
  if (depth > 0) return call();
  Nested nested;
  __tsan_mutex_pre_unlock(mu, 0);
  auto result = call();
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

template <typename Call>
auto Acquire(absl::Mutex* mu, unsigned flags, Call call) {
  if (depth > 0) return call();
  Nested nested;
  __tsan_mutex_pre_lock(mu, flags);
  auto result = call();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

template <typename Call>
void Release(absl::Mutex* mu, unsigned flags, Call call) {
  if (depth > 0) return call();
  Nested nested;
  __tsan_mutex_pre_unlock(mu, flags);
  call();
  __tsan_mutex_post_unlock(mu, flags);
}

// Try-locks: the post annotation says whether the lock was taken.
template <typename Call>
bool TryAcquire(absl::Mutex* mu, unsigned flags, Call call) {
  if (depth > 0) return call();
  Nested nested;
  __tsan_mutex_pre_lock(mu, flags | kTry);
  bool locked = call();
  __tsan_mutex_post_lock(mu, locked ? flags | kTry : flags | kTry | kTryFailed, 0);
  return locked;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static auto real = RealFn<MutexFn>("5MutexD2Ev");
  if (depth == 0) __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  static auto real = RealFn<MutexFn>("5Mutex4LockEv");
  Acquire(this, 0, [&] { real(this); return 0; });
}

void Mutex::ReaderLock() {
  static auto real = RealFn<MutexFn>("5Mutex10ReaderLockEv");
  Acquire(this, kRead, [&] { real(this); return 0; });
}

void Mutex::Unlock() {
  static auto real = RealFn<MutexFn>("5Mutex6UnlockEv");
  Release(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  static auto real = RealFn<MutexFn>("5Mutex12ReaderUnlockEv");
  Release(this, kRead, [&] { real(this); });
}

bool Mutex::TryLock() {
  static auto real = RealFn<TryFn>("5Mutex7TryLockEv");
  return TryAcquire(this, 0, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  static auto real = RealFn<TryFn>("5Mutex13ReaderTryLockEv");
  return TryAcquire(this, kRead, [&] { return real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  static auto real = RealFn<WhenFn>("5Mutex8LockWhenERKNS0_9ConditionE");
  Acquire(this, 0, [&] { real(this, cond); return 0; });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = RealFn<WhenFn>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Acquire(this, kRead, [&] { real(this, cond); return 0; });
}

// The *WithTimeout/*WithDeadline forms hold the mutex on return whatever they return.
bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = RealFn<WhenTimeoutFn>("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Acquire(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real =
      RealFn<WhenTimeoutFn>("5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Acquire(this, kRead, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = RealFn<WhenDeadlineFn>("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Acquire(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real =
      RealFn<WhenDeadlineFn>("5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Acquire(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  static auto real = RealFn<AwaitFn>("5Mutex5AwaitERKNS0_9ConditionE");
  ReleaseAndReacquire(this, [&] { real(this, cond); return 0; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = RealFn<WhenTimeoutFn>("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return ReleaseAndReacquire(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = RealFn<WhenDeadlineFn>("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return ReleaseAndReacquire(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static auto real = RealFn<WaitFn>("7CondVar4WaitEPNS0_5MutexE");
  ReleaseAndReacquire(mu, [&] { real(this, mu); return 0; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static auto real = RealFn<WaitTimeoutFn>("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return ReleaseAndReacquire(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static auto real = RealFn<WaitDeadlineFn>("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return ReleaseAndReacquire(mu, [&] { return real(this, mu, deadline); });
}

// Notification: Notify releases, the out-of-line waits acquire once notified. (HasBeenNotified() is
// inline and reads the flag directly: a caller that only polls it is not covered. Luoshi does not.)
void Notification::Notify() {
  static auto real = RealFn<NotifyFn>("12Notification6NotifyEv");
  if (depth == 0) __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = RealFn<WaitForFn>("12Notification19WaitForNotificationEv", true);
  real(this);
  if (depth == 0) __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static auto real = RealFn<WaitForTimeoutFn>("12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", true);
  bool notified = real(this, timeout);
  if (notified && depth == 0) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static auto real = RealFn<WaitForDeadlineFn>("12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", true);
  bool notified = real(this, deadline);
  if (notified && depth == 0) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // __SANITIZE_THREAD__
