// Unary gRPC methods answered with bytes a service already holds in serialized form (a page assembled
// from stored messages, a cached ledger): the generated "raw callback" method variants hand over the
// request as a ByteBuffer and take the response as one, so nothing is parsed and serialized again.
//
// CallAdapter::UnaryRaw (adapter.h) answers such a method from a function returning the bytes.
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

// Parses a raw request as `Request`: INVALID_ARGUMENT (from gRPC) when the bytes are not one.
template <typename Request>
grpc::Status ParseRaw(const grpc::ByteBuffer* request, Request* decoded) {
  grpc::ByteBuffer copy(*request);  // shares the slices; Deserialize consumes its argument
  return grpc::SerializationTraits<Request>::Deserialize(&copy, decoded);
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_RAW_CALL_H_
