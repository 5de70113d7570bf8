// Unary gRPC methods answered with bytes a service already holds in serialized form (a page assembled
// from stored messages, a cached ledger): the generated "raw callback" method variants hand over the
// request as a ByteBuffer and take the response as one, so nothing is parsed and serialized again.
//
//   grpc::ServerUnaryReactor* GetSeries(grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
//                                       grpc::ByteBuffer* resp) override {
//     return AnswerRaw<v1::GetSeriesRequest>(c, req, resp, [&](const v1::GetSeriesRequest& r) {
//       return service_->GetSeriesBytes(r);   // absl::StatusOr<std::string>
//     });
//   }
//
// The answer is computed on the calling gRPC thread, so these methods suit short, CPU-bound reads only.
#ifndef LUOSHI_SERVICES_COMMON_RAW_CALL_H_
#define LUOSHI_SERVICES_COMMON_RAW_CALL_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <memory>
#include <string>

#include "services/common/status.h"

namespace luoshi {

// The bytes as a one-slice ByteBuffer without copying them: the slice owns the string (or shares it)
// until gRPC has sent it.
grpc::ByteBuffer ByteBufferOf(std::string bytes);
grpc::ByteBuffer ByteBufferOf(std::shared_ptr<const std::string> bytes);

// Finishes a callback call at once with `status`.
inline grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// Parses the request as `Request` and answers with what `answer(request)` returns: an
// absl::StatusOr of std::string or of std::shared_ptr<const std::string> (a failed status is mapped
// to its gRPC status).
template <typename Request, typename Answer>
grpc::ServerUnaryReactor* AnswerRaw(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response, Answer answer) {
  Request decoded;
  grpc::ByteBuffer copy(*request);  // shares the slices; Deserialize consumes its argument
  if (grpc::Status parsed = grpc::SerializationTraits<Request>::Deserialize(&copy, &decoded); !parsed.ok()) {
    return FinishNow(context, parsed);
  }
  auto bytes = answer(static_cast<const Request&>(decoded));
  if (!bytes.ok()) return FinishNow(context, ToGrpcStatus(bytes.status()));
  grpc::ByteBuffer out = ByteBufferOf(std::move(*bytes));
  response->Swap(&out);
  return FinishNow(context, grpc::Status::OK);
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_RAW_CALL_H_
