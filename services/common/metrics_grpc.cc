#include "services/common/metrics_grpc.h"

#include <google/protobuf/descriptor.h>

#include <array>
#include <atomic>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/metrics.h"

namespace luoshi::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr char kOtherMethod[] = "other";
constexpr int kCodeCount = 17;  // OK … UNAUTHENTICATED

// Services every server has besides its own (server.h), whose descriptors are not in the generated pool.
constexpr const char* kInfrastructureMethods[] = {
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
};

// One method's cells, looked up once per process. The error counters are created on a method's first
// error with that code, so that only codes that happened show up.
class MethodCells {
 public:
  explicit MethodCells(std::string method) : method_(std::move(method)) {
    Registry& r = DefaultRegistry();
    requests_ = &r.AddCounter("luoshi_grpc_requests_total", "gRPC calls ended, by method.", {"method"})
                     .With({method_});
    duration_ = &r.AddHistogram("luoshi_grpc_request_duration_seconds",
                                "Time from a gRPC call's arrival to its status (whole stream for streams).",
                                {"method"}, LatencyBuckets())
                     .With({method_});
  }

  void Record(grpc::StatusCode code, double seconds) {
    requests_->Add();
    duration_->Observe(seconds);
    if (code != grpc::StatusCode::OK) Errors(code).Add();
  }

 private:
  Counter& Errors(grpc::StatusCode code) {
    const int index = code >= 0 && code < kCodeCount ? code : static_cast<int>(grpc::StatusCode::UNKNOWN);
    Counter* cell = errors_[index].load(std::memory_order_acquire);
    if (cell != nullptr) return *cell;
    const std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(index));
    cell = &DefaultRegistry()
                .AddCounter("luoshi_grpc_errors_total", "gRPC calls ended with a status other than OK.",
                            {"method", "code"})
                .With({method_, name});
    errors_[index].store(cell, std::memory_order_release);  // racing threads store the same cell
    return *cell;
  }

  const std::string method_;
  Counter* requests_;
  Histogram* duration_;
  std::array<std::atomic<Counter*>, kCodeCount> errors_{};
};

// The cells of a method by its path, shared by every server of the process (tests host several).
MethodCells* CellsFor(const std::string& method) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* cells = new absl::flat_hash_map<std::string, std::unique_ptr<MethodCells>>();
  absl::MutexLock lock(&mu);
  std::unique_ptr<MethodCells>& c = (*cells)[method];
  if (!c) c = std::make_unique<MethodCells>(method);
  return c.get();
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(MethodCells* cells) : cells_(cells), start_(std::chrono::steady_clock::now()) {}
  // A call that ends without sending a status (the client went away first) counts as CANCELLED.
  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) && !recorded_) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    cells_->Record(code, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  MethodCells* const cells_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;  // interceptions of one call never run at the same time
};

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(const std::vector<std::string>& methods)
      : other_(CellsFor(kOtherMethod)) {
    for (const std::string& m : methods) by_method_[m] = CellsFor(m);
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    auto it = info->method() == nullptr ? by_method_.end() : by_method_.find(info->method());
    return new MetricsInterceptor(it == by_method_.end() ? other_ : it->second);
  }

 private:
  absl::flat_hash_map<std::string, MethodCells*> by_method_;  // read-only once built
  MethodCells* const other_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> GrpcServerMetrics(
    const std::vector<std::pair<grpc::Service*, std::string>>& services) {
  std::vector<std::string> methods(std::begin(kInfrastructureMethods), std::end(kInfrastructureMethods));
  for (const auto& [service, full_name] : services) {
    const google::protobuf::ServiceDescriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
    for (int i = 0; d != nullptr && i < d->method_count(); ++i) {
      methods.push_back(absl::StrCat("/", d->full_name(), "/", d->method(i)->name()));
    }
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(methods));
  return out;
}

}  // namespace luoshi::metrics
