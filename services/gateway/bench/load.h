// luoshi_gateway_bench: the read under test and the load phases (direct gRPC, grpc-web through the
// gateway, GET /): closed-loop clients over a time window, the CPU each process spent, and a table row
// per phase.
#ifndef LUOSHI_SERVICES_GATEWAY_BENCH_LOAD_H_
#define LUOSHI_SERVICES_GATEWAY_BENCH_LOAD_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/gateway/bench/process.h"

namespace luoshi::gateway_bench {

// The read under test, its answer, and the checks both paths apply.

struct Read {
  std::string path;     // "/luoshi.v1.TaskService/GetLedger"
  std::string request;  // serialized request message
  std::string answer;   // serialized answer of a direct call (the reference)
  bool ledger = true;
};

bool Decodes(const Read& read, absl::string_view bytes);
std::string Flatten(const grpc::ByteBuffer& buffer);
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);

struct Tally {
  std::vector<double> ms;
  uint64_t errors = 0;
  uint64_t reconnects = 0;
  std::string first_error;
  void Error(const std::string& what) {
    ++errors;
    if (first_error.empty()) first_error = what;
  }
  void Merge(const Tally& o) {
    ms.insert(ms.end(), o.ms.begin(), o.ms.end());
    errors += o.errors;
    reconnects += o.reconnects;
    if (first_error.empty()) first_error = o.first_error;
  }
};

struct PhaseResult {
  std::string name;
  int clients = 0;
  double seconds = 0;
  Tally tally;
  double cpu_generator = 0, cpu_gateway = 0, cpu_tasks = 0, cpu_log_drain = 0;
  double cpu_machine = 0, cpu_softirq = 0, cpu_total = 0;  // the whole machine, busy / interrupts / all
  double switches_gateway = 0, switches_tasks = 0;         // context switches of all their threads
  double Rate() const { return static_cast<double>(tally.ms.size()) / seconds; }
};

double Percentile(std::vector<double> v, double q);

struct Env {
  Child* tasks = nullptr;
  Child* gateway = nullptr;
  std::string tasks_target;
  int gateway_port = 0;
};

// Runs one load phase with `clients` clients of `kind` ("direct", "grpc-web", "GET /").
PhaseResult RunPhase(const Env& env, const std::string& name, int clients, double warmup, double seconds,
                     const Read& read, const std::string* http_request, bool grpc);

// CPU columns: each process's CPU time during the measured window per counted call (the generator is this
// process without the threads draining the children's logs); "kernel, other" is the rest of the machine's
// busy time (interrupt and softirq work, loopback TCP included, and anything else running); "busy" the share
// of all cores that was busy.
void PrintHeader();
void PrintRow(const PhaseResult& r);

}  // namespace luoshi::gateway_bench

#endif  // LUOSHI_SERVICES_GATEWAY_BENCH_LOAD_H_
