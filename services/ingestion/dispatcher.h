// Dispatcher: delivers the outbox to the indicator and task services.
//
// Each target has its own lane: a background thread (Start/Stop) that runs passes over that target's
// entries, so a peer that is slow or down never delays the other. RunOnce() runs one pass of every lane
// in the calling thread and is what tests drive with a FakeClock. A pass claims the lane's due entries
// (per the injected Clock) one at a time (DocumentStore::ClaimDeliveries, leased for `lease`) and, per
// entry:
//   - indicators: RecordObservations in batches of `batch_size` (the service is idempotent by
//     source_key, so a batch resent after a partial failure changes nothing);
//   - tasks: one ImportPlan (idempotent by document_sha256);
// then records the outcome:
//   - accepted                → delivered;
//   - a transient error (UNAVAILABLE, DEADLINE_EXCEEDED, and anything not listed as permanent)
//                             → the whole target pauses for an exponential backoff, initial_backoff ·
//                               2^(n-1) after n consecutive failures of that target, capped at
//                               max_backoff, scaled by a jitter factor in [0.5, 1] drawn from the
//                               injected randomness; the entry's next attempt is set to the end of the
//                               pause. An outage thus costs one probing call per backoff period, not one
//                               per pending document, and the other target keeps flowing;
//   - a permanent error (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, NOT_FOUND, ALREADY_EXISTS,
//     or a stored payload that no longer parses)
//                             → failed (DELIVERY_STATE_FAILED): last_error says why, it is not retried,
//                               and only a ReprocessDocument queues the document again. UNAUTHENTICATED
//                               and PERMISSION_DENIED stay transient: they are about this service's
//                               credentials, not the document, and deliveries resume by themselves once
//                               an operator fixes them on the peer.
// Between passes a lane waits `poll_interval` or until Wake() (called after new entries are queued).
//
// Several dispatchers on one outbox (replicas of the service on one database) share the work: a claimed
// entry is leased to the dispatcher that claimed it, so no other delivers it meanwhile, and recording the
// outcome ends the lease. Claiming one entry at a time keeps the lease short (it covers one delivery, not
// a pass) and means a pass that stops or backs off never leaves entries claimed behind it: only a
// dispatcher that dies mid-delivery does, and its entry is due again when the lease ends.
//
// Stopping: RequestStop (or Stop) lets the delivery in progress finish and record its outcome, then no
// further entry of the pass is sent; the rest stay pending in the outbox for the next start. The outbox
// is thus never left with an entry delivered but not marked (a shutdown mid-delivery at worst resends
// one entry, which the peers accept idempotently).
//
// Thread safety: Start/Stop from one owner thread; RequestStop, Wake and RunOnce from any thread (passes of
// one lane are serialized). `random01` is called under a lock, so it need not be thread-safe.
#ifndef LUOSHI_SERVICES_INGESTION_DISPATCHER_H_
#define LUOSHI_SERVICES_INGESTION_DISPATCHER_H_

#include <array>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/store.h"

namespace luoshi::ingestion {

struct DispatcherOptions {
  absl::Duration poll_interval = absl::Milliseconds(500);
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(1);
  int batch_size = 500;        // observations per RecordObservations call
  int entries_per_pass = 100;  // outbox entries taken per target per pass
  // How long a claimed entry stays reserved for this dispatcher. It must outlast one delivery (all the
  // calls of its batches, each bounded by the delivery deadline): were it shorter, another dispatcher
  // could send the same entry meanwhile (harmless to the idempotent peers, but wasted). It is also how
  // long the entry of a dispatcher that died mid-delivery waits before another one takes it.
  absl::Duration lease = absl::Minutes(5);
};

// What one pass did.
struct DispatchStats {
  int delivered = 0;
  int retried = 0;   // transient failure, scheduled again
  int failed = 0;    // permanent failure
  int paused_targets = 0;  // targets skipped because they are backing off after a failure
};

class Dispatcher {
 public:
  // `random01` returns a number in [0, 1] for the jitter. All pointers must outlive the dispatcher.
  Dispatcher(DocumentStore* store, DeliveryClient* client, const Clock* clock, DispatcherOptions options,
             std::function<double()> random01);
  ~Dispatcher();  // stops the thread if running

  void Start();
  // Asks the lanes to stop after the delivery in progress; returns at once. Any thread.
  void RequestStop();
  // RequestStop, then waits for the lanes' threads.
  void Stop();
  void Wake();

  // Runs one pass of every lane now. Returns the storage error if the due entries cannot be read.
  absl::StatusOr<DispatchStats> RunOnce();

  // Delay before the attempt after `failed_attempts` failures (>= 1), jitter included.
  absl::Duration BackoffAfter(int failed_attempts);

  // True for codes that will not change by retrying the same request.
  static bool IsPermanent(absl::StatusCode code);

 private:
  // One target's worker and its backoff state.
  struct Lane {
    std::string target;
    absl::Mutex pass_mu;  // one pass of this lane at a time
    int failures ABSL_GUARDED_BY(pass_mu) = 0;  // consecutive transient failures
    absl::Time paused_until ABSL_GUARDED_BY(pass_mu) = absl::InfinitePast();
    bool woken = false;  // guarded by Dispatcher::mu_
    std::thread thread;
  };

  absl::Status Pass(Lane& lane, DispatchStats* stats);
  absl::Status Send(const OutboxEntry& entry);
  absl::Status SendObservations(const std::string& payload);
  absl::Status SendPlan(const std::string& payload);
  void Record(Lane& lane, const OutboxEntry& entry, const absl::Status& outcome, DispatchStats* stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lane.pass_mu);
  void Loop(Lane& lane);
  bool StopRequested();

  DocumentStore* store_;
  DeliveryClient* client_;
  const Clock* clock_;
  DispatcherOptions options_;
  absl::Mutex random_mu_;
  std::function<double()> random01_ ABSL_GUARDED_BY(random_mu_);

  std::array<Lane, 2> lanes_;

  absl::Mutex mu_;  // stopping_ and every Lane::woken
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_DISPATCHER_H_
