#include "leadkit/tz.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

// Instants and wall times, as seconds since 1970-01-01.
constexpr int64_t kJune12TenUtc = 1718186400;       // 2024-06-12 10:00 UTC
constexpr int64_t kJune12SixPmWall = 1718215200;    // 2024-06-12 18:00
constexpr int64_t kSpringForwardUtc = 1710054000;   // 2024-03-10 07:00 UTC
constexpr int64_t kSpringGapWall = 1710037800;      // 2024-03-10 02:30
constexpr int64_t kFallBackUtc = 1730613600;        // 2024-11-03 06:00 UTC
constexpr int64_t kFallBackRepeatWall = 1730597400;  // 2024-11-03 01:30
constexpr int64_t kHour = 3600;

TEST(FindZone, FindsShanghai) {
  absl::StatusOr<TimeZone> zone = FindZone("Asia/Shanghai");
  ASSERT_THAT(zone, IsOk());
  EXPECT_EQ(zone->name(), "Asia/Shanghai");
  EXPECT_EQ(zone->OffsetAt(kJune12TenUtc), 8 * kHour);
  EXPECT_EQ(zone->ToLocal(kJune12TenUtc), kJune12SixPmWall);
  EXPECT_EQ(zone->FromLocal(kJune12SixPmWall), kJune12TenUtc);
  EXPECT_FALSE(zone->Skipped(kJune12SixPmWall));
}

TEST(FindZone, UnknownZoneIsNotFoundNamingIt) {
  EXPECT_THAT(
      FindZone("Asia/Shangai"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"Asia/Shangai\"")));
}

TEST(FindZone, NamesThatLeaveTheDatabaseAreNotZones) {
  for (const char* name : {"../zoneinfo/Asia/Shanghai", "/etc/passwd", "",
                           "Asia//Shanghai", "Asia/Shanghai/", "Asia/./Shanghai"}) {
    EXPECT_THAT(FindZone(name), StatusIs(absl::StatusCode::kNotFound,
                                         HasSubstr("unknown time zone")))
        << name;
  }
}

// New York, 2024: clocks go from 02:00 EST to 03:00 EDT on 10 March (07:00
// UTC) and from 02:00 EDT back to 01:00 EST on 3 November (06:00 UTC).
TEST(TimeZone, SpansEndAtTheTransitions) {
  absl::StatusOr<TimeZone> zone = FindZone("America/New_York");
  ASSERT_THAT(zone, IsOk());
  const TimeZone::Span winter = zone->SpanAt(kSpringForwardUtc - 1);
  EXPECT_EQ(winter.offset, -5 * kHour);
  EXPECT_EQ(winter.end, kSpringForwardUtc);
  const TimeZone::Span summer = zone->SpanAt(kSpringForwardUtc);
  EXPECT_EQ(summer.offset, -4 * kHour);
  EXPECT_EQ(summer.begin, kSpringForwardUtc);
  EXPECT_EQ(summer.end, kFallBackUtc);
  EXPECT_TRUE(summer.Holds(kFallBackUtc - 1));
  EXPECT_FALSE(summer.Holds(kFallBackUtc));
  EXPECT_EQ(zone->SpanAt(kFallBackUtc).begin, kFallBackUtc);
}

TEST(TimeZone, SkippedWallTimesMoveForwardByTheGap) {
  absl::StatusOr<TimeZone> zone = FindZone("America/New_York");
  ASSERT_THAT(zone, IsOk());
  EXPECT_TRUE(zone->Skipped(kSpringGapWall));
  // 02:30 by the offset before the gap (-5 h) is 07:30 UTC, which is 03:30 EDT.
  EXPECT_EQ(zone->FromLocal(kSpringGapWall), kSpringForwardUtc + kHour / 2);
  EXPECT_EQ(zone->ToLocal(kSpringForwardUtc + kHour / 2),
            kSpringGapWall + kHour);
}

TEST(TimeZone, RepeatedWallTimesTakeTheEarlierInstant) {
  absl::StatusOr<TimeZone> zone = FindZone("America/New_York");
  ASSERT_THAT(zone, IsOk());
  EXPECT_FALSE(zone->Skipped(kFallBackRepeatWall));
  // 01:30 EDT is 05:30 UTC; 01:30 EST an hour later.
  EXPECT_EQ(zone->FromLocal(kFallBackRepeatWall), kFallBackUtc - kHour / 2);
}

TEST(TimeZone, DefaultIsUtc) {
  const TimeZone utc;
  EXPECT_EQ(utc.OffsetAt(kJune12TenUtc), 0);
  EXPECT_EQ(utc.ToLocal(kJune12TenUtc), kJune12TenUtc);
  const TimeZone::Span span = utc.SpanAt(kJune12TenUtc);
  EXPECT_TRUE(span.Holds(kJune12TenUtc));
  EXPECT_EQ(span.offset, 0);
}

// A database of two zones, "Test/Shanghai", a copy of the system's
// Asia/Shanghai, and UTC (which marks a database); removed with the test.
class ZoneDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("leadkit_tz_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "Test");
    std::filesystem::copy_file(
        TimeZoneDirectory() + "/Asia/Shanghai", dir_ / "Test" / "Shanghai",
        std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(
        TimeZoneDirectory() + "/UTC", dir_ / "UTC",
        std::filesystem::copy_options::overwrite_existing);
  }
  void TearDown() override {
    ASSERT_THAT(SetTimeZoneDirectory(""), IsOk());
    SetFallbackTimeZoneDirectory("");
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
};

TEST_F(ZoneDirectoryTest, ASetDirectoryIsTheOnlyOneRead) {
  EXPECT_THAT(FindZone("Test/Shanghai"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown time zone")));
  ASSERT_THAT(SetTimeZoneDirectory(dir_.string()), IsOk());
  EXPECT_EQ(TimeZoneDirectory(), dir_.string());
  absl::StatusOr<TimeZone> zone = FindZone("Test/Shanghai");
  ASSERT_THAT(zone, IsOk());
  EXPECT_EQ(zone->name(), "Test/Shanghai");
  EXPECT_EQ(zone->ToLocal(kJune12TenUtc), kJune12SixPmWall);
  EXPECT_THAT(FindZone("America/New_York"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown time zone")));
  // UTC needs no database.
  EXPECT_THAT(FindZone("UTC"), IsOk());
  ASSERT_THAT(SetTimeZoneDirectory(""), IsOk());
  EXPECT_THAT(FindZone("America/New_York"), IsOk());
}

TEST_F(ZoneDirectoryTest, TheFallbackIsReadAfterTheSystem) {
  SetFallbackTimeZoneDirectory(dir_.string());
  EXPECT_THAT(FindZone("Test/Shanghai"), IsOk());
  EXPECT_THAT(FindZone("Asia/Shanghai"), IsOk());
  EXPECT_NE(TimeZoneDirectory(), dir_.string());
}

TEST(SetTimeZoneDirectory, ANonDirectoryIsRefusedNamingIt) {
  EXPECT_THAT(SetTimeZoneDirectory("/nonexistent/zoneinfo"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"/nonexistent/zoneinfo\"")));
  EXPECT_THAT(FindZone("Asia/Shanghai"), IsOk());
}

}  // namespace
}  // namespace leadkit
