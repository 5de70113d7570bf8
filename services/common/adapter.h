// The thin layer between a generated gRPC service class and a service's logic class. Every service is
// built the same way (docs/architecture.md):
//
//   service.h       class Service: one method per RPC, plain C++ and absl types only,
//                   absl::StatusOr<Reply> Method(const Identity& caller, const Request& request)
//   grpc_service.h  class GrpcService: the generated service; each override is one line through a
//                   CallAdapter, which reads the caller once, converts the status once and logs the
//                   failures that are the server's fault once, and runs the service under the call's
//                   deadline (call_deadline.h) so that its database work gives up with the caller
//
//   grpc::Status GrpcService::GetTask(grpc::ServerContext* c, const v1::GetTaskRequest* req,
//                                     v1::TaskDetail* resp) {
//     return adapter_.Unary(c, "GetTask", resp, [&](const Identity& who) { return service_->GetTask(who,
//     *req); });
//   }
#ifndef LUOSHI_SERVICES_COMMON_ADAPTER_H_
#define LUOSHI_SERVICES_COMMON_ADAPTER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/call_deadline.h"
#include "services/common/identity.h"
#include "services/common/raw_call.h"

namespace luoshi {

class CallAdapter {
 public:
  // `service` names the gRPC service in log lines (e.g. "luoshi.v1.TaskService"). Every call's caller is
  // verified by `authenticator` (which must outlive the adapter) before the service sees the call.
  CallAdapter(std::string service, const Authenticator* authenticator)
      : service_(std::move(service)), authenticator_(authenticator) {}

  // The verified caller of a call, or UNAUTHENTICATED saying why not (identity.h).
  absl::StatusOr<Identity> Caller(const grpc::ServerContextBase& context) const {
    return authenticator_->Authenticate(context);
  }

  // The gRPC status of a finished call. INTERNAL, UNKNOWN and DATA_LOSS are logged here with the method,
  // since they mean the server, not the caller, has something to fix.
  grpc::Status Finish(const char* method, const absl::Status& status) const;

  // The deadline the client gave the call (absl::InfiniteFuture() for none).
  static absl::Time DeadlineOf(const grpc::ServerContextBase& context);

  // A unary method on the sync API: `*response = fn(caller)`.
  template <typename Response, typename Fn>
  grpc::Status Unary(grpc::ServerContextBase* context, const char* method, Response* response,
                     Fn&& fn) const {
    ScopedCallDeadline deadline(DeadlineOf(*context));
    absl::StatusOr<Identity> who = Caller(*context);
    if (!who.ok()) return Finish(method, who.status());
    absl::StatusOr<Response> result = fn(static_cast<const Identity&>(*who));
    if (!result.ok()) return Finish(method, result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  }

  // A raw unary method on the callback API (raw_call.h): parses the request and sends the serialized
  // answer `fn(caller, request)` returns (absl::StatusOr of std::string or shared_ptr<const string>).
  template <typename Request, typename Fn>
  grpc::ServerUnaryReactor* UnaryRaw(grpc::CallbackServerContext* context, const char* method,
                                     const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                     Fn&& fn) const {
    ScopedCallDeadline deadline(DeadlineOf(*context));
    absl::StatusOr<Identity> who = Caller(*context);
    if (!who.ok()) return FinishNow(context, Finish(method, who.status()));
    Request decoded;
    if (grpc::Status parsed = ParseRaw(request, &decoded); !parsed.ok()) return FinishNow(context, parsed);
    auto bytes = fn(static_cast<const Identity&>(*who), static_cast<const Request&>(decoded));
    if (!bytes.ok()) return FinishNow(context, Finish(method, bytes.status()));
    grpc::ByteBuffer out = ByteBufferOf(*std::move(bytes));
    response->Swap(&out);
    return FinishNow(context, grpc::Status::OK);
  }

  // A server-streaming method: `fn(caller)` writes the stream and returns how it ended.
  template <typename Fn>
  grpc::Status Stream(grpc::ServerContextBase* context, const char* method, Fn&& fn) const {
    ScopedCallDeadline deadline(DeadlineOf(*context));
    absl::StatusOr<Identity> who = Caller(*context);
    if (!who.ok()) return Finish(method, who.status());
    return Finish(method, fn(static_cast<const Identity&>(*who)));
  }

 private:
  std::string service_;
  const Authenticator* authenticator_;
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_ADAPTER_H_
