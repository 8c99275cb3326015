#include "leadkit/tz.h"

#include "date/tz.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FindZone, FindsShanghai) {
  absl::StatusOr<const date::time_zone*> zone = FindZone("Asia/Shanghai");
  ASSERT_THAT(zone, IsOk());
  EXPECT_EQ((*zone)->name(), "Asia/Shanghai");
}

TEST(FindZone, UnknownZoneIsNotFoundNamingIt) {
  EXPECT_THAT(
      FindZone("Asia/Shangai"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"Asia/Shangai\"")));
}

}  // namespace
}  // namespace leadkit
