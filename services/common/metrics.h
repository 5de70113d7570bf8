// Process metrics in the Prometheus text exposition format 0.0.4 (docs/metrics.md lists them).
//
// A Registry holds metric families; a family holds one cell per combination of label values:
//   Counter    a value that only goes up (requests, waits, seconds spent waiting)
//   Gauge      a value that goes up and down
//   Histogram  observations counted in fixed buckets, with their sum
// and "function" metrics, whose single value a callback computes at scrape time (an outbox backlog read
// from the database, the number of open streams). TextExposition() writes everything out.
//
// Hot path: a caller looks its cell up once (Family::With, under the family's lock) and keeps the
// reference; Add/Set/Observe are then atomic operations without any lock. Cells live as long as the
// registry. Label values must come from a small fixed set (method names, status codes), never from
// request data: every distinct value is a series kept forever.
//
// Names and labels are constants of the program: registering a name twice with another type or other
// label names, or passing the wrong number of label values, is a programming error and aborts.
//
// Thread safety: everything may be called from any thread.
#ifndef LUOSHI_SERVICES_COMMON_METRICS_H_
#define LUOSHI_SERVICES_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace luoshi::metrics {

// The Content-Type of TextExposition()'s output.
inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void Add(double amount = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending, without +Inf (which every histogram has).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf last: the total count
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 buckets, not cumulative
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms to 1 minute: what an RPC or an HTTP request of Luoshi takes.
const std::vector<double>& LatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// Aborts with a message: Family::With was given the wrong number of label values (a programming error).
[[noreturn]] void LabelCountMismatch(size_t expected, size_t given);

// The cells of one metric name, by label values.
template <class Cell>
class Family {
 public:
  // The cell for these label values (in the order of the family's label names), created on first use.
  Cell& With(const std::vector<std::string>& values);

 private:
  friend class Registry;
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Cell>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Cell>()> make_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Cell>> cells_ ABSL_GUARDED_BY(mu_);
};

template <class Cell>
Cell& Family<Cell>::With(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) LabelCountMismatch(label_names_.size(), values.size());
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Cell>& cell = cells_[values];
  if (!cell) cell = make_();
  return *cell;
}

// Removes its function metric from the registry when destroyed (so a callback never outlives what it
// reads). Movable.
class FunctionHandle {
 public:
  FunctionHandle() = default;
  FunctionHandle(FunctionHandle&& other) noexcept;
  FunctionHandle& operator=(FunctionHandle&& other) noexcept;
  FunctionHandle(const FunctionHandle&) = delete;
  FunctionHandle& operator=(const FunctionHandle&) = delete;
  ~FunctionHandle();

 private:
  friend class Registry;
  FunctionHandle(class Registry* registry, std::string name, uint64_t version)
      : registry_(registry), name_(std::move(name)), version_(version) {}
  class Registry* registry_ = nullptr;
  std::string name_;
  uint64_t version_ = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The family of that name, created on the first call; later calls return the same family.
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  // A metric without labels whose value `value` computes at each scrape (on the scraping thread; keep
  // it quick; it may use other metrics but not add function metrics). `type` is kCounter or kGauge.
  // Registering the same name again replaces the callback (the older handle then removes nothing).
  [[nodiscard]] FunctionHandle AddFunction(const std::string& name, const std::string& help, Type type,
                                           std::function<double()> value);

  // Every metric in the Prometheus text format 0.0.4, sorted by name.
  std::string TextExposition() const;

 private:
  friend class FunctionHandle;
  struct Entry;
  Entry& Find(const std::string& name, const std::string& help, Type type,
              const std::vector<std::string>& label_names) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The family `slot` holds, made on first use with cells from `make_cell` (Add* share it).
  template <typename Cell>
  static Family<Cell>& FamilyIn(std::unique_ptr<Family<Cell>>& slot, std::vector<std::string> label_names,
                                std::function<std::unique_ptr<Cell>()> make_cell);
  void RemoveFunction(const std::string& name, uint64_t version);

  // Lock order: functions_mu_, then mu_.
  mutable absl::Mutex functions_mu_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

// The process's registry: what the --metrics_listen endpoint serves.
Registry& DefaultRegistry();

// Text format escaping: label values escape backslash, double quote and newline; HELP text backslash
// and newline.
std::string EscapeLabelValue(const std::string& value);
std::string EscapeHelp(const std::string& help);
// A sample value as the format writes it: shortest round-trip decimal, +Inf, -Inf, NaN.
std::string FormatValue(double value);

}  // namespace luoshi::metrics

#endif  // LUOSHI_SERVICES_COMMON_METRICS_H_
