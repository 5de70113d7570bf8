#include "services/common/raw_call.h"

#include <utility>

namespace luoshi {

grpc::ByteBuffer ByteBufferOf(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer ByteBufferOf(std::shared_ptr<const std::string> bytes) {
  auto* kept = new std::shared_ptr<const std::string>(std::move(bytes));
  grpc::Slice slice(
      const_cast<char*>((*kept)->data()), (*kept)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, kept);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace luoshi
