#include "services/gateway/gateway.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace luoshi::gateway {
namespace {

TEST(SafeJoinTest, RefusesPathsThatLeaveTheRoot) {
  EXPECT_EQ(SafeJoin("/srv", "/"), "/srv/index.html");
  EXPECT_EQ(SafeJoin("/srv", "/assets/app.js"), "/srv/assets/app.js");
  EXPECT_EQ(SafeJoin("/srv", "/../etc/passwd"), "");
  EXPECT_EQ(SafeJoin("/srv", "/a/../../x"), "");
  EXPECT_EQ(SafeJoin("/srv", "/%2e%2e/x"), "");
  EXPECT_EQ(SafeJoin("/srv", "relative"), "");
  EXPECT_EQ(SafeJoin("/srv", "/a\\b"), "");
}

class GatewayTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/gateway_web_root";
    std::filesystem::create_directories(root_ + "/assets");
    std::ofstream(root_ + "/index.html") << "<html>落实</html>";
    std::ofstream(root_ + "/assets/app.js") << "console.log(1)";
  }
  std::string root_;
};

TEST_F(GatewayTest, ServesBuiltClientFiles) {
  // Backends on a closed port: static files do not need them.
  Gateway g({"127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", root_});
  HttpResponse index = g.Handle({"GET", "/", {}, ""});
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>落实</html>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  HttpResponse js = g.Handle({"GET", "/assets/app.js?v=1", {}, ""});
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(g.Handle({"GET", "/missing.js", {}, ""}).status, 404);
  EXPECT_EQ(g.Handle({"GET", "/assets", {}, ""}).status, 404);
  EXPECT_EQ(g.Handle({"GET", "/../secret", {}, ""}).status, 400);
  EXPECT_EQ(g.Handle({"DELETE", "/", {}, ""}).status, 405);
}

TEST_F(GatewayTest, HealthIsDegradedWhenServicesAreDown) {
  Gateway g({"127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", root_});
  HttpResponse r = g.Handle({"GET", "/healthz", {}, ""});
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("\"tasks\":\"UNREACHABLE\""), std::string::npos) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(GatewayTest, FallbackPageWhenClientIsNotBuilt) {
  Gateway g({"127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", root_ + "/nonexistent"});
  HttpResponse r = g.Handle({"GET", "/", {}, ""});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("/healthz"), std::string::npos);
}

}  // namespace
}  // namespace luoshi::gateway
