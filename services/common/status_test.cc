#include "services/common/status.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(StatusTest, MapsEveryCanonicalCodeBothWays) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "msg");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    absl::Status back = FromGrpcStatus(g);
    EXPECT_EQ(back.code(), s.code());
    if (code != 0) EXPECT_EQ(g.error_message(), "msg");
  }
}

TEST(StatusTest, NotFoundKeepsTheMessageAPersonReads) {
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("task 12 not found"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "task 12 not found");
}

}  // namespace
}  // namespace luoshi
