// grpc-web → gRPC forwarding. One POST /package.Service/Method becomes one call on the backend that
// serves package.Service, made through grpc::GenericStub with ByteBuffer messages: the gateway compiles
// in no service stub and never parses a message.
//
// Any method can be forwarded as a bidirectional-streaming call (callback API), which is how gRPC
// carries unary and server-streaming methods alike on the wire: the request messages are written with
// the half-close, and each response message is passed to the browser as soon as it arrives; the next
// one is read only when the browser's socket took the last (backpressure), so a slow browser slows its
// own stream and buffers one message at most. A service the gateway has no schema of works this way.
//
// Methods that the linked schemas (luoshi_proto's descriptors, not stubs) know to be unary take a
// shorter path: one unary call completing on a completion queue drained by the proxy's own threads, and
// the whole answer written at once with a Content-Length (fewer thread hand-overs per call; see
// docs/benchmarks.md, "grpc-web gateway").
//
// The HTTP response is either
//   - trailers-only: HTTP 200, grpc-status / grpc-message / trailing metadata in the headers, empty
//     body, when the call ended before any message (errors, unknown methods, busy gateway),
//   - whole (unary): initial metadata as headers, one message frame and one trailer frame, or
//   - chunked (streams): initial metadata as headers, a frame per message, one trailer frame.
// In text mode (application/grpc-web-text) each frame is sent as its own padded base64 piece.
#ifndef LUOSHI_SERVICES_GATEWAY_PROXY_H_
#define LUOSHI_SERVICES_GATEWAY_PROXY_H_

#include <grpcpp/channel.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/gateway/grpc_web.h"
#include "services/gateway/http_server.h"

namespace luoshi::gateway {

struct ProxyOptions {
  // Largest request message accepted (RESOURCE_EXHAUSTED beyond). Documents are uploaded in one
  // message of up to 32 MiB by default (ingestion's --max_document_bytes).
  size_t max_message_bytes = 40 << 20;
  // Deadline of a call that sends no grpc-timeout, and the cap of one that does.
  absl::Duration default_timeout = absl::Minutes(5);
  absl::Duration max_timeout = absl::Hours(1);
  // Connections to each service, used in turn.
  int channels_per_backend = 4;
  // Threads that complete unary calls (each drains its own completion queue).
  int completion_threads = 2;
  // Calls in progress at once through this gateway; RESOURCE_EXHAUSTED beyond.
  int max_concurrent_calls = 1000;
  // Request headers forwarded as metadata; an entry ending in '*' is a prefix. Everything else is dropped.
  std::vector<std::string> forward_headers = {"authorization", "x-request-id"};
};

class GrpcWebProxy {
 public:
  explicit GrpcWebProxy(ProxyOptions options);
  ~GrpcWebProxy();

  // Calls to /<service>/… go to `channels`, in turn (each its own connection: one HTTP/2 connection
  // carrying every call serialises them in the service). Not thread-safe; call before serving.
  void AddBackend(const std::string& service, const std::vector<std::shared_ptr<grpc::Channel>>& channels);

  // Answers a POST to /<service>/<method>. `cors` headers (already decided by the caller) go on the
  // response, with Access-Control-Expose-Headers naming the grpc and metadata keys it carries.
  void Handle(const std::shared_ptr<HttpExchange>& exchange, const std::map<std::string, std::string>& cors);

  // Whether a request header is on the forward list.
  bool Forwarded(const std::string& header) const;

  int active_calls() const { return active_.load(); }
  // Cancels every call in progress and waits (up to `grace`) for them to end.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  friend class CallBase;
  // Registers a call about to start by its context (so that Shutdown can cancel it) and sets its
  // deadline and metadata.
  void Launch(const std::shared_ptr<grpc::ClientContext>& context, absl::Duration timeout,
              const std::vector<std::pair<std::string, std::string>>& metadata);
  void CallEnded(grpc::ClientContext* context);

  ProxyOptions options_;
  std::map<std::string, std::vector<std::unique_ptr<grpc::GenericStub>>> backends_;
  std::atomic<unsigned> next_stub_{0};
  // Unary calls complete on these queues, each drained by its own thread.
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> queue_threads_;
  std::atomic<unsigned> next_queue_{0};
  std::atomic<int> active_{0};
  std::mutex mu_;
  std::condition_variable ended_;
  // Calls in progress and their contexts (kept so that Shutdown can cancel without holding mu_).
  std::map<grpc::ClientContext*, std::shared_ptr<grpc::ClientContext>> calls_;  // guarded by mu_
  // "/package.Service/Method" of the unary methods of the backends whose schema is linked in.
  std::set<std::string> unary_methods_;
};

// A trailers-only grpc-web answer (HTTP 200, status in the headers, no body).
HttpResponse TrailersOnly(grpcweb::Mode mode, int grpc_status, const std::string& message,
                          const grpcweb::Metadata& trailers, const std::map<std::string, std::string>& cors);

// Whether `path` names an RPC: "/a.B/C" — two segments, the first a dotted service name.
bool IsRpcPath(const std::string& path);

}  // namespace luoshi::gateway

#endif  // LUOSHI_SERVICES_GATEWAY_PROXY_H_
