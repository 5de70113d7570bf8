#include "services/common/identity.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(IdentityTest, PercentEncodingRoundTripsChineseUnitNames) {
  const std::string unit = "区发展改革委";
  std::string enc = PercentEncode(unit);
  for (char c : enc) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_EQ(PercentDecode(enc), unit);
  EXPECT_EQ(PercentDecode("100%"), "100%");
}

TEST(IdentityTest, RolesParse) {
  Role r;
  EXPECT_TRUE(ParseRole("supervisor", &r));
  EXPECT_EQ(r, Role::kSupervisor);
  EXPECT_FALSE(ParseRole("root", &r));
}

}  // namespace
}  // namespace luoshi
