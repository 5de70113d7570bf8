#include "services/gateway/gateway.h"

#include "gtest/gtest.h"

namespace luoshi::gateway {
namespace {

TEST(RpcPathTest, TwoSegmentsWithADottedService) {
  EXPECT_TRUE(IsRpcPath("/luoshi.v1.TaskService/GetTask"));
  EXPECT_TRUE(IsRpcPath("/grpc.health.v1.Health/Check"));
  EXPECT_FALSE(IsRpcPath("/"));
  EXPECT_FALSE(IsRpcPath("/index.html"));
  EXPECT_FALSE(IsRpcPath("/assets/index-abc.js"));
  EXPECT_FALSE(IsRpcPath("/luoshi.v1.TaskService/"));
  EXPECT_FALSE(IsRpcPath("/luoshi.v1.TaskService/Get/Task"));
  EXPECT_FALSE(IsRpcPath("/luoshi.v1.TaskService/Get%20Task"));
}

TEST(BackendListTest, ParsesAndRefuses) {
  auto list = ParseBackendList("luoshi.v1.ExtraService=127.0.0.1:7200, acme.Foo = [::1]:9");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].service, "luoshi.v1.ExtraService");
  EXPECT_EQ((*list)[0].short_name, "ExtraService");
  EXPECT_EQ((*list)[1].address, "[::1]:9");
  EXPECT_TRUE(ParseBackendList("").ok());
  EXPECT_FALSE(ParseBackendList("NoDot=1.2.3.4:5").ok());
  EXPECT_FALSE(ParseBackendList("a.B").ok());
}

}  // namespace
}  // namespace luoshi::gateway
