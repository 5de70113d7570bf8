// luoshi_gateway_bench: set-up calls over gRPC, and the phases that are not load phases: idle keep-alive
// connections and the gateway's memory; WatchTasks latency through the gateway and direct.
#ifndef LUOSHI_SERVICES_GATEWAY_BENCH_PHASES_H_
#define LUOSHI_SERVICES_GATEWAY_BENCH_PHASES_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/gateway/bench/http_messages.h"
#include "services/gateway/bench/load.h"

namespace luoshi::gateway_bench {

// Set-up over gRPC.

// Attaches `who` and a 30 s deadline.
void Attach(grpc::ClientContext* c, const Identity& who);

extern const Identity kAdmin;

// One call through the generic stub, its answer's bytes.
std::string DirectBytes(const std::string& target, const Read& read);

// One exchange over a fresh blocking connection: the parsed response.
ResponseParser BlockingExchange(int port, const std::string& request);

// Idle keep-alive connections and the gateway's memory.

struct MemorySample {
  long rss_kib = 0, hwm_kib = 0;
  int fds = 0;
};
MemorySample Memory(pid_t pid);

// Opens `count` idle keep-alive connections (each makes one GET /) and prints the gateway's memory before,
// with them, and after they closed.
void RunIdle(const Env& env, int count);

// WatchTasks: a grpc-web watcher through the gateway and a direct one, ReportProgress one at a time.

struct ReportTarget {
  std::string task_id;
  Identity office;
};

void RunWatch(const Env& env, const std::string& plan_id, const std::vector<ReportTarget>& targets,
              int reports);

// Tasks of the plan on which their first responsible unit, acting as an office, may report (a
// collective value such as 各镇街 is not an office); the first ones found, at most `max`.
std::vector<ReportTarget> ReportTargets(v1::TaskService::Stub* stub, const std::vector<v1::Task>& tasks,
                                        size_t max);

}  // namespace luoshi::gateway_bench

#endif  // LUOSHI_SERVICES_GATEWAY_BENCH_PHASES_H_
