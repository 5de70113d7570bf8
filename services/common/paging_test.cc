#include "services/common/paging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace luoshi {
namespace {

using ::testing::HasSubstr;

TEST(PagingTest, PageSizeZeroIsTheDefaultAndOutOfRangeIsRefused) {
  EXPECT_EQ(*PageSizeOf(0), kDefaultPageSize);
  EXPECT_EQ(*PageSizeOf(1), 1);
  EXPECT_EQ(*PageSizeOf(kMaxPageSize), kMaxPageSize);
  for (int bad : {-1, kMaxPageSize + 1, 1 << 30}) {
    absl::StatusOr<int> size = PageSizeOf(bad);
    EXPECT_EQ(size.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(size.status().message(), HasSubstr("page_size")) << bad;
  }
}

TEST(PagingTest, TokensRoundTripWithinTheirScopeOnly) {
  const std::string scope = PageScope({"ListTasks", "P1", ""});
  const std::string token = EncodePageToken(scope, "after:42|x");
  EXPECT_EQ(*DecodePageToken(token, scope), "after:42|x");
  // Another filter, another method: refused, with a message that says what to do.
  for (const std::string& other : {PageScope({"ListTasks", "P2", ""}), PageScope({"ListPlans", "P1", ""})}) {
    absl::StatusOr<std::string> cursor = DecodePageToken(token, other);
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cursor.status().message(), HasSubstr("without page_token"));
  }
}

TEST(PagingTest, ScopesSeparateTheirParts) {
  EXPECT_NE(PageScope({"ab", "c"}), PageScope({"a", "bc"}));
  EXPECT_EQ(PageScope({"a", "b"}), PageScope({"a", "b"}));
}

TEST(PagingTest, ForgedDamagedAndForeignTokensAreRefused) {
  const std::string scope = PageScope({"ListDocuments"});
  for (const char* bad : {"", "42", "%%%", "not-a-token!", "cDF8eHx5"}) {
    EXPECT_EQ(DecodePageToken(bad, scope).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(DecodePageToken(EncodePageToken(scope, ""), scope).ok());
}

}  // namespace
}  // namespace luoshi
