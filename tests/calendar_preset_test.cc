// The calendar presets against the State Council's holiday notices (cn_office)
// and the lunar new year (cn_showroom); the expected dates are the notices',
// written here by hand.
#include <sstream>
#include <string>
#include <vector>

#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/calendar.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using std::chrono::hours;
using ::testing::HasSubstr;

Calendar Preset(const char* name) {
  absl::StatusOr<Calendar> cal = Calendar::Preset(name);
  EXPECT_THAT(cal, IsOk());
  return *cal;
}

date::local_days Day(const std::string& text) {
  std::istringstream in(text);
  date::local_days d;
  in >> date::parse("%F", d);
  EXPECT_FALSE(in.fail()) << text;
  return d;
}

Instant At(const Calendar& cal, const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  return cal.FromLocal(t);
}

std::string Show(const Calendar& cal, Instant t) {
  return date::format("%F %R", cal.ToLocal(t));
}

TEST(CnOffice, HolidaysAndMakeUpWorkdays) {
  const Calendar cal = Preset("cn_office");
  struct Case {
    const char* day;
    bool workday;
    const char* why;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-02-04", true, "Sunday make-up workday, Spring Festival 2024"},
           {"2024-02-09", true, "Friday before the Spring Festival 2024"},
           {"2024-02-10", false, "Spring Festival 2024, first day"},
           {"2024-02-17", false, "Spring Festival 2024, last day"},
           {"2024-02-18", true, "Sunday make-up workday, Spring Festival 2024"},
           {"2024-09-29", true, "Sunday make-up workday, National Day 2024"},
           {"2024-10-01", false, "National Day 2024"},
           {"2024-10-07", false, "National Day 2024, last day"},
           {"2024-10-12", true, "Saturday make-up workday, National Day 2024"},
           {"2024-12-31", true, "New Year's Eve is a workday"},
           {"2025-01-01", false, "New Year's Day 2025"},
           {"2025-01-26", true, "Sunday make-up workday, Spring Festival 2025"},
           {"2025-01-28", false, "Spring Festival 2025 (eve), first day"},
           {"2025-02-04", false, "Spring Festival 2025, last day"},
           {"2025-02-05", true, "first workday after the Spring Festival 2025"},
           {"2025-02-08", true,
            "Saturday make-up workday, Spring Festival 2025"},
           {"2025-09-28", true, "Sunday make-up workday, National Day 2025"},
           {"2025-10-08", false, "National Day and Mid-Autumn 2025, last day"},
           {"2025-10-11", true, "Saturday make-up workday, National Day 2025"},
           {"2025-10-12", false, "an ordinary Sunday"},
           {"2019-05-04", false, "Labour Day 2019 as amended: May 1 to 4"},
           {"2019-05-05", true,
            "Sunday make-up workday, Labour Day 2019 as amended"},
           {"2020-01-31", false, "Spring Festival 2020 as extended"},
           {"2020-02-01", false, "the cancelled make-up Saturday of 2020"},
       }) {
    absl::StatusOr<bool> workday = cal.IsWorkday(Day(c.day));
    ASSERT_THAT(workday, IsOk());
    EXPECT_EQ(*workday, c.workday) << c.day << ": " << c.why;
  }
}

TEST(CnOffice, BusinessTime) {
  const Calendar cal = Preset("cn_office");
  struct Case {
    const char* at;
    std::chrono::seconds d;
    const char* result;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-13 11:30", hours(1), "2024-05-13 14:00"},  // lunch break
           {"2024-05-13 17:30", hours(1), "2024-05-14 09:30"},
           {"2024-05-13 22:00", hours(1), "2024-05-14 10:00"},
           {"2024-02-08 17:30", hours(1), "2024-02-09 09:30"},
           {"2024-02-09 17:30", hours(1),
            "2024-02-18 09:30"},  // over the festival
           {"2024-02-03 17:30", hours(1),
            "2024-02-04 10:00"},  // closed Saturday -> make-up Sunday
           {"2024-12-31 17:30", hours(1), "2025-01-02 09:30"},  // year end
           {"2024-09-30 17:30", hours(1), "2024-10-08 09:30"},  // National Day
           {"2025-01-27 17:00", hours(2), "2025-02-05 10:00"},
       }) {
    absl::StatusOr<Instant> r = cal.AddBusiness(At(cal, c.at), c.d);
    ASSERT_THAT(r, IsOk()) << c.at;
    EXPECT_EQ(Show(cal, *r), c.result) << c.at;
  }
}

// Past 2026 the preset estimates on its weekly hours and says so.
TEST(CnOffice, CoverageEndsWith2026AndEstimatesPastIt) {
  const Calendar cal = Preset("cn_office");
  EXPECT_EQ(cal.coverage_from(), Day("2019-01-01"));
  EXPECT_EQ(cal.coverage_to(), Day("2026-12-31"));
  EXPECT_EQ(cal.coverage(), (CoverageRange{.from = Day("2019-01-01"),
                                           .to = Day("2026-12-31")}));
  EXPECT_EQ(cal.outside(), OutsideCoverage::kEstimate);
  bool estimated = false;
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2027-01-04 10:00"), &estimated));
  EXPECT_TRUE(estimated);
  // Thursday 17:00: one hour to the closing, then Friday 2027-01-01 (New
  // Year's Day, which the weekly hours do not know) from 09:00.
  estimated = false;
  EXPECT_EQ(Show(cal, *cal.AddBusiness(At(cal, "2026-12-31 17:00"), hours(2),
                                       &estimated)),
            "2027-01-01 10:00");
  EXPECT_TRUE(estimated);
  estimated = false;
  EXPECT_TRUE(*cal.IsWorkday(Day("2018-12-31"), &estimated));  // a Monday
  EXPECT_TRUE(estimated);
  estimated = false;
  EXPECT_FALSE(*cal.IsWorkday(Day("2026-10-01"), &estimated));  // National Day
  EXPECT_FALSE(estimated);
}

TEST(CnShowroom, OpenEveryDayButNewYearsEveAndTheFirstThreeDays) {
  const Calendar cal = Preset("cn_showroom");
  for (const char* closed :
       {"2024-02-09", "2024-02-10", "2024-02-12", "2025-01-28", "2025-01-31",
        "2026-02-16", "2026-02-19", "2035-02-07"}) {
    EXPECT_FALSE(*cal.IsWorkday(Day(closed))) << closed;
  }
  for (const char* open : {"2024-02-08", "2024-02-13", "2024-10-01",
                           "2025-02-01", "2024-05-11", "2035-02-11"}) {
    EXPECT_TRUE(*cal.IsWorkday(Day(open))) << open;
  }
  // A lead assigned at 22:00 is due at 10:00 the next morning on the 1-hour
  // business clock.
  EXPECT_EQ(Show(cal, *cal.AddBusiness(At(cal, "2024-05-11 22:00"), hours(1))),
            "2024-05-12 10:00");
  EXPECT_EQ(Show(cal, *cal.AddBusiness(At(cal, "2024-02-08 17:30"), hours(1))),
            "2024-02-13 09:30");
  // Outside 2019-2035 the weekly hours alone hold, as an estimate.
  bool estimated = false;
  EXPECT_TRUE(*cal.IsWorkday(Day("2036-01-27"), &estimated));
  EXPECT_TRUE(estimated);
  EXPECT_EQ(cal.outside(), OutsideCoverage::kEstimate);
}

TEST(CalendarPreset, NamesAndRoundTrip) {
  EXPECT_THAT(Calendar::PresetNames(),
              ::testing::ElementsAre("cn_office", "cn_showroom"));
  EXPECT_THAT(Calendar::Preset("cn_offce"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cn_office, cn_showroom")));
  for (const char* name : {"cn_office", "cn_showroom"}) {
    const Calendar cal = Preset(name);
    absl::StatusOr<CalendarLoad> again = Calendar::FromJson(cal.ToJson());
    ASSERT_THAT(again, IsOk());
    EXPECT_TRUE(again->issues().empty());
    EXPECT_TRUE(*again->calendar() == cal);
  }
}

}  // namespace
}  // namespace leadkit
