#include "services/common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace luoshi::metrics {
namespace {

// std::atomic<double> has no fetch_add before C++20.
void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "metrics: %s\n", message.c_str());
  std::abort();
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"}` for the names and values, with `extra` (already formatted, e.g. le="0.5") last; ""
// when there are no labels at all.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? out : absl::StrCat("{", out, "}");
}

}  // namespace

void Counter::Add(double amount) { AtomicAdd(value_, amount); }
void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // The first bucket whose bound is >= value ("le": less than or equal); past the last, +Inf.
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

void LabelCountMismatch(size_t expected, size_t given) {
  Die(absl::StrCat("a metric with ", expected, " labels was given ", given, " label values"));
}

// ---------------------------------------------------------------------------------------------------
// Registry

struct Registry::Entry {
  Type type;
  std::string help;
  std::vector<std::string> label_names;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<double()> function;  // a function metric instead of a family
  uint64_t function_version = 0;     // which registration `function` is

  void Write(const std::string& name, std::string* out) const;
};

void Registry::Entry::Write(const std::string& name, std::string* out) const {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ", TypeName(type), "\n");
  if (function) {
    absl::StrAppend(out, name, " ", FormatValue(function()), "\n");
    return;
  }
  auto write_scalars = [&](const auto& family) {
    absl::MutexLock lock(&family.mu_);
    for (const auto& [values, cell] : family.cells_) {
      absl::StrAppend(out, name, LabelSet(label_names, values), " ", FormatValue(cell->Value()), "\n");
    }
  };
  if (counters) write_scalars(*counters);
  if (gauges) write_scalars(*gauges);
  if (!histograms) return;
  absl::MutexLock lock(&histograms->mu_);
  for (const auto& [values, cell] : histograms->cells_) {
    const Histogram::Snapshot s = cell->Read();
    for (size_t i = 0; i <= s.bounds.size(); ++i) {
      const std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
      absl::StrAppend(out, name, "_bucket", LabelSet(label_names, values, absl::StrCat("le=\"", le, "\"")),
                      " ", s.cumulative[i], "\n");
    }
    const std::string labels = LabelSet(label_names, values);
    absl::StrAppend(out, name, "_sum", labels, " ", FormatValue(s.sum), "\n");
    absl::StrAppend(out, name, "_count", labels, " ", s.cumulative.back(), "\n");
  }
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Find(const std::string& name, const std::string& help, Type type,
                                const std::vector<std::string>& label_names) {
  std::unique_ptr<Entry>& entry = entries_[name];
  if (!entry) {
    entry = std::make_unique<Entry>();
    entry->type = type;
    entry->help = help;
    entry->label_names = label_names;
  } else if (entry->type != type || entry->label_names != label_names) {
    Die(absl::StrCat(name, " is registered twice with different types or labels"));
  }
  return *entry;
}

template <typename Cell>
Family<Cell>& Registry::FamilyIn(std::unique_ptr<Family<Cell>>& slot, std::vector<std::string> label_names,
                                 std::function<std::unique_ptr<Cell>()> make_cell) {
  if (!slot) slot.reset(new Family<Cell>(std::move(label_names), std::move(make_cell)));
  return *slot;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, help, Type::kCounter, label_names);
  if (e.function) Die(absl::StrCat(name, " is already a function metric"));
  return FamilyIn<Counter>(e.counters, std::move(label_names), [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, help, Type::kGauge, label_names);
  if (e.function) Die(absl::StrCat(name, " is already a function metric"));
  return FamilyIn<Gauge>(e.gauges, std::move(label_names), [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names, std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, help, Type::kHistogram, label_names);
  return FamilyIn<Histogram>(e.histograms, std::move(label_names),
                             [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
}

FunctionHandle Registry::AddFunction(const std::string& name, const std::string& help, Type type,
                                     std::function<double()> value) {
  if (type == Type::kHistogram) Die(absl::StrCat(name, ": a function metric is a counter or a gauge"));
  absl::MutexLock functions(&functions_mu_);
  absl::MutexLock lock(&mu_);
  Entry& e = Find(name, help, type, {});
  if (e.counters || e.gauges) Die(absl::StrCat(name, " is already a metric with cells"));
  e.function = std::move(value);
  return FunctionHandle(this, name, ++e.function_version);
}

void Registry::RemoveFunction(const std::string& name, uint64_t version) {
  absl::MutexLock functions(&functions_mu_);
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  // A newer registration of the name replaced this one: it stays.
  if (it != entries_.end() && it->second->function_version == version) entries_.erase(it);
}

std::string Registry::TextExposition() const {
  // Held throughout, so that no function metric is replaced or removed while it runs; the registry's
  // own lock only while the entries are listed, so that a callback may use (and create) other metrics.
  absl::ReaderMutexLock functions(&functions_mu_);
  std::vector<std::pair<std::string, const Entry*>> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : entries_) entries.emplace_back(name, entry.get());
  }
  std::string out;
  for (const auto& [name, entry] : entries) entry->Write(name, &out);
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();  // never destroyed: cells are used until exit
  return *registry;
}

// ---------------------------------------------------------------------------------------------------
// FunctionHandle

FunctionHandle::FunctionHandle(FunctionHandle&& other) noexcept
    : registry_(other.registry_), name_(std::move(other.name_)), version_(other.version_) {
  other.registry_ = nullptr;
}

FunctionHandle& FunctionHandle::operator=(FunctionHandle&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr) registry_->RemoveFunction(name_, version_);
    registry_ = other.registry_;
    name_ = std::move(other.name_);
    version_ = other.version_;
    other.registry_ = nullptr;
  }
  return *this;
}

FunctionHandle::~FunctionHandle() {
  if (registry_ != nullptr) registry_->RemoveFunction(name_, version_);
}

// ---------------------------------------------------------------------------------------------------
// Text format

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, r.ptr);
}

}  // namespace luoshi::metrics
