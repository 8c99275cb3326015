#include "leadkit/calendar.h"

#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

// Mon-Fri 09:00-12:00 and 13:30-18:00 in Shanghai, with the 2024 Spring
// Festival: closed 2024-02-10 to 2024-02-17, make-up workdays Sunday 2024-02-04
// and Sunday 2024-02-18.
constexpr char kOffice[] = R"({
  "name": "office", "time_zone": "Asia/Shanghai",
  "weekly": {"mon": [["09:00", "12:00"], ["13:30", "18:00"]],
             "tue": [["09:00", "12:00"], ["13:30", "18:00"]],
             "wed": [["09:00", "12:00"], ["13:30", "18:00"]],
             "thu": [["09:00", "12:00"], ["13:30", "18:00"]],
             "fri": [["09:00", "12:00"], ["13:30", "18:00"]]},
  "coverage": {"from": "2024-01-01", "to": "2025-12-31", "outside": "error"},
  "closed": [{"from": "2024-02-10", "to": "2024-02-17", "note": "Spring Festival"}],
  "extra": [{"date": "2024-02-04"}, {"date": "2024-02-18", "like": "mon"}]
})";

Calendar Load(const std::string& text) {
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(text);
  EXPECT_THAT(load, IsOk());
  for (const Issue& i : load->issues()) ADD_FAILURE() << FormatIssue(i);
  absl::StatusOr<Calendar> cal = load->calendar();
  EXPECT_THAT(cal, IsOk());
  return *cal;
}

// "2024-05-13 09:30" (local wall time of the calendar) -> instant.
Instant At(const Calendar& cal, const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse(local.size() > 16 ? "%F %T" : "%F %R", t);
  EXPECT_FALSE(in.fail()) << local;
  return cal.FromLocal(t);
}

std::string Show(const Calendar& cal, Instant t) {
  return date::format("%F %R", cal.ToLocal(t));
}

date::local_days Day(int y, unsigned m, unsigned d) {
  return date::local_days{date::year{y} / date::month{m} / date::day{d}};
}

TEST(Calendar, IsOpenHonoursHalfOpenIntervalsHolidaysAndMakeUpDays) {
  const Calendar cal = Load(kOffice);
  struct Case {
    const char* at;
    bool open;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-13 09:00", true},  // Monday opening
           {"2024-05-13 08:59:59", false},
           {"2024-05-13 11:59:59", true},
           {"2024-05-13 12:00", false},  // lunch break: closed at 12:00:00
           {"2024-05-13 13:30", true},
           {"2024-05-13 18:00", false},  // closed at 18:00:00
           {"2024-05-11 10:00", false},  // Saturday
           {"2024-02-04 10:00", true},   // Sunday make-up workday
           {"2024-02-12 10:00", false},  // Monday in the Spring Festival
           {"2024-02-18 13:45", true},   // make-up Sunday, Monday's hours
       }) {
    absl::StatusOr<bool> open = cal.IsOpen(At(cal, c.at));
    ASSERT_THAT(open, IsOk());
    EXPECT_EQ(*open, c.open) << c.at;
  }
}

TEST(Calendar, WithoutCoverageTheWeeklyHoursHoldOnEveryDay) {
  const Calendar cal = Load(R"({"name": "plain", "time_zone": "Asia/Shanghai",
                                "weekly": {"mon": [["09:00", "18:00"]]}})");
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2024-05-13 10:00")));
  EXPECT_TRUE(*cal.IsOpen(At(cal, "1999-05-17 10:00")));
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2024-05-14 10:00")));
  EXPECT_TRUE(*cal.IsWorkday(Day(2031, 6, 2)));
  EXPECT_EQ(Show(cal, *cal.AddBusiness(At(cal, "2024-05-13 17:00"), hours(2))),
            "2024-05-20 10:00");
}

TEST(Calendar, NextOpenAndRollToOpen) {
  const Calendar cal = Load(kOffice);
  struct Case {
    const char* at;
    const char* next;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-13 10:00", "2024-05-13 10:00"},  // open: t itself
           {"2024-05-13 12:15", "2024-05-13 13:30"},
           {"2024-05-10 18:00",
            "2024-05-13 09:00"},  // Friday evening -> Monday
           {"2024-02-09 18:30",
            "2024-02-18 09:00"},  // across the Spring Festival
           {"2024-02-03 12:00",
            "2024-02-04 09:00"},  // Saturday -> make-up Sunday
       }) {
    absl::StatusOr<Instant> next = cal.NextOpen(At(cal, c.at));
    ASSERT_THAT(next, IsOk());
    EXPECT_EQ(Show(cal, *next), c.next) << c.at;
    absl::StatusOr<Instant> rolled = cal.RollToOpen(At(cal, c.at));
    ASSERT_THAT(rolled, IsOk());
    EXPECT_EQ(*rolled, *next);
  }
}

TEST(Calendar, AddBusiness) {
  const Calendar cal = Load(kOffice);
  struct Case {
    const char* at;
    std::chrono::seconds d;
    const char* result;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-13 17:00", hours(1),
            "2024-05-13 18:00"},  // used up at closing
           {"2024-05-13 17:30", hours(1), "2024-05-14 09:30"},
           {"2024-05-13 22:00", hours(1),
            "2024-05-14 10:00"},  // the clock starts at opening
           {"2024-05-13 11:30", hours(1), "2024-05-13 14:00"},  // over lunch
           {"2024-05-10 17:30", hours(1),
            "2024-05-13 09:30"},  // over the weekend
           {"2024-05-11 10:00", hours(0),
            "2024-05-11 10:00"},  // zero: t itself, even closed
           {"2024-02-09 17:00", hours(2),
            "2024-02-18 10:00"},  // over the holiday
           {"2024-05-13 09:00", minutes(450),
            "2024-05-13 18:00"},  // one whole day
           {"2024-05-13 09:00", minutes(451), "2024-05-14 09:01"},
           // 1 h on Tuesday, 7.5 h each Wednesday to Friday, the last 0.5 h on
           // Monday.
           {"2024-12-31 17:00", hours(24), "2025-01-06 09:30"},
       }) {
    absl::StatusOr<Instant> r = cal.AddBusiness(At(cal, c.at), c.d);
    ASSERT_THAT(r, IsOk()) << c.at;
    EXPECT_EQ(Show(cal, *r), c.result) << c.at << " + " << c.d.count() << " s";
  }
  EXPECT_THAT(
      cal.AddBusiness(At(cal, "2024-05-13 10:00"), -hours(1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
}

TEST(Calendar, BusinessBetween) {
  const Calendar cal = Load(kOffice);
  struct Case {
    const char* a;
    const char* b;
    std::chrono::seconds open;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-13 09:00", "2024-05-14 09:00", minutes(450)},
           {"2024-05-10 17:00", "2024-05-13 10:00", hours(2)},
           {"2024-05-13 12:00", "2024-05-13 13:30", hours(0)},
           {"2024-05-14 09:00", "2024-05-13 09:00", -minutes(450)},  // signed
           {"2024-02-09 17:00", "2024-02-18 10:00", hours(2)},
       }) {
    absl::StatusOr<std::chrono::seconds> r =
        cal.BusinessBetween(At(cal, c.a), At(cal, c.b));
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->count(), c.open.count()) << c.a << " .. " << c.b;
  }
}

TEST(Calendar, IsWorkday) {
  const Calendar cal = Load(kOffice);
  EXPECT_TRUE(*cal.IsWorkday(Day(2024, 2, 4)));    // make-up Sunday
  EXPECT_FALSE(*cal.IsWorkday(Day(2024, 2, 12)));  // holiday Monday
  EXPECT_FALSE(*cal.IsWorkday(Day(2024, 5, 11)));  // Saturday
  EXPECT_TRUE(*cal.IsWorkday(Day(2024, 5, 13)));
  EXPECT_THAT(cal.IsWorkday(Day(2026, 1, 5)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("2026-01-05")));
}

TEST(Calendar, AddDaysAndMonths) {
  const Calendar cal = Load(kOffice);
  EXPECT_EQ(Show(cal, *cal.AddDays(At(cal, "2024-01-31 10:00"), 1)),
            "2024-02-01 10:00");
  EXPECT_EQ(Show(cal, *cal.AddDays(At(cal, "2024-03-01 22:15"), -1)),
            "2024-02-29 22:15");
  EXPECT_EQ(Show(cal, *cal.AddMonths(At(cal, "2024-01-31 10:00"), 1)),
            "2024-02-29 10:00");
  EXPECT_EQ(Show(cal, *cal.AddMonths(At(cal, "2025-01-31 10:00"), 1)),
            "2025-02-28 10:00");
  EXPECT_EQ(Show(cal, *cal.AddMonths(At(cal, "2024-03-31 08:00"), -1)),
            "2024-02-29 08:00");
  EXPECT_EQ(Show(cal, *cal.AddMonths(At(cal, "2024-11-30 08:00"), 3)),
            "2025-02-28 08:00");
  EXPECT_THAT(
      cal.AddMonths(At(cal, "2024-11-30 08:00"), 12 * 9000),
      StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("years 1 to 9999")));
}

TEST(Calendar, OutsideTheCoverageIsAnErrorNamingDateAndRange) {
  const Calendar cal = Load(kOffice);
  EXPECT_THAT(
      cal.IsOpen(At(cal, "2026-01-05 10:00")),
      StatusIs(absl::StatusCode::kOutOfRange,
               HasSubstr(
                   "2026-01-05 is outside the dates calendar \"office\" covers "
                   "(2024-01-01 to 2025-12-31")));
  EXPECT_THAT(cal.AddBusiness(At(cal, "2025-12-31 17:00"), hours(2)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("2026-01-01")));
  EXPECT_THAT(cal.NextOpen(At(cal, "2023-12-31 10:00")),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("2023-12-31")));
}

TEST(Calendar, WeeklyOutsideTheCoverage) {
  std::string text = kOffice;
  text.replace(text.find("\"outside\": \"error\""), 18,
               "\"outside\": \"weekly\"");
  const Calendar cal = Load(text);
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2026-01-05 10:00")));
  EXPECT_EQ(
      Show(cal, *cal.AddBusiness(At(cal, "2025-12-31 17:00"), hours(2))),
      "2026-01-01 10:00");  // weekly hours alone: no holiday data for 2026
  EXPECT_EQ(Show(cal, *cal.NextOpen(At(cal, "2023-12-30 10:00"))),
            "2024-01-01 09:00");
  EXPECT_EQ(cal.BusinessBetween(At(cal, "2023-12-29 17:00"),
                                At(cal, "2024-01-01 10:00"))
                ->count(),
            2 * 3600);
  EXPECT_TRUE(*cal.IsWorkday(Day(2030, 6, 3)));
}

// Each operation past (or before) the coverage of kOffice, under "weekly" and
// "estimate": the same results, and only "estimate" says which used weekly
// hours of an uncovered day.
TEST(Calendar, EstimateMarksEveryResultThatUsedWeeklyHoursOutsideTheCoverage) {
  using Op = std::function<absl::StatusOr<std::string>(const Calendar&, bool*)>;
  const auto show = [](const Calendar& cal, absl::StatusOr<Instant> t)
      -> absl::StatusOr<std::string> {
    if (!t.ok()) return t.status();
    return Show(cal, *t);
  };
  struct Case {
    const char* what;
    Op op;
    std::string result;
    bool estimated;  // under "estimate"
  };
  const Case cases[] = {
      {.what = "2 h from the last covered evening",
       .op = [&](const Calendar& c, bool* e) {
         return show(c, c.AddBusiness(At(c, "2025-12-31 17:00"), hours(2), e));
       },
       .result = "2026-01-01 10:00",  // New Year's Day open on weekly hours
       .estimated = true},
      {.what = "1 h ending at the last covered closing",
       .op = [&](const Calendar& c, bool* e) {
         return show(c, c.AddBusiness(At(c, "2025-12-31 17:00"), hours(1), e));
       },
       .result = "2025-12-31 18:00",
       .estimated = false},
      {.what = "inside the coverage",
       .op = [&](const Calendar& c, bool* e) {
         return show(c, c.AddBusiness(At(c, "2025-06-02 10:00"), hours(1), e));
       },
       .result = "2025-06-02 11:00",
       .estimated = false},
      {.what = "next opening after the last covered closing",
       .op = [&](const Calendar& c, bool* e) {
         return show(c, c.NextOpen(At(c, "2025-12-31 18:30"), e));
       },
       .result = "2026-01-01 09:00",
       .estimated = true},
      {.what = "roll to open from before the coverage",
       .op = [&](const Calendar& c, bool* e) {
         return show(c, c.RollToOpen(At(c, "2023-12-30 10:00"), e));
       },
       .result = "2024-01-01 09:00",  // walked Sat and Sun 2023-12-30/31
       .estimated = true},
      {.what = "open time across the coverage's start",
       .op = [&](const Calendar& c, bool* e) -> absl::StatusOr<std::string> {
         absl::StatusOr<std::chrono::seconds> d = c.BusinessBetween(
             At(c, "2023-12-29 17:00"), At(c, "2024-01-01 10:00"), e);
         if (!d.ok()) return d.status();
         return absl::StrCat(d->count(), " s");
       },
       .result = "7200 s",
       .estimated = true},
      {.what = "a workday past the coverage",
       .op = [&](const Calendar& c, bool* e) -> absl::StatusOr<std::string> {
         absl::StatusOr<bool> w = c.IsWorkday(Day(2030, 6, 3), e);
         if (!w.ok()) return w.status();
         return std::string(*w ? "workday" : "closed");
       },
       .result = "workday",
       .estimated = true},
      {.what = "open past the coverage",
       .op = [&](const Calendar& c, bool* e) -> absl::StatusOr<std::string> {
         absl::StatusOr<bool> open = c.IsOpen(At(c, "2026-01-05 10:00"), e);
         if (!open.ok()) return open.status();
         return std::string(*open ? "open" : "closed");
       },
       .result = "open",
       .estimated = true},
  };
  for (const char* mode : {"weekly", "estimate"}) {
    std::string text = kOffice;
    text.replace(text.find("\"outside\": \"error\""), 18,
                 absl::StrCat("\"outside\": \"", mode, "\""));
    const Calendar cal = Load(text);
    const bool estimating = std::string(mode) == "estimate";
    EXPECT_EQ(cal.outside(), estimating ? OutsideCoverage::kEstimate
                                        : OutsideCoverage::kWeekly);
    for (const Case& c : cases) {
      bool estimated = false;
      absl::StatusOr<std::string> result = c.op(cal, &estimated);
      ASSERT_THAT(result, IsOk()) << mode << ": " << c.what;
      EXPECT_EQ(*result, c.result) << mode << ": " << c.what;
      EXPECT_EQ(estimated, estimating && c.estimated) << mode << ": " << c.what;
      // Without a flag to set, the same result.
      EXPECT_EQ(*c.op(cal, nullptr), c.result) << mode << ": " << c.what;
    }
  }
}

TEST(Calendar, EstimatedGathersStepsAndIsNeverReset) {
  std::string text = kOffice;
  text.replace(text.find("\"outside\": \"error\""), 18,
               "\"outside\": \"estimate\"");
  const Calendar cal = Load(text);
  bool estimated = false;
  ASSERT_THAT(cal.NextOpen(At(cal, "2025-12-31 18:30"), &estimated), IsOk());
  ASSERT_TRUE(estimated);
  ASSERT_THAT(cal.NextOpen(At(cal, "2025-06-02 10:00"), &estimated), IsOk());
  EXPECT_TRUE(estimated);  // a later step inside the coverage leaves it set
}

TEST(Calendar, CoverageIsTheCoveredDatesOrNone) {
  const Calendar office = Load(kOffice);
  ASSERT_TRUE(office.coverage().has_value());
  EXPECT_EQ(*office.coverage(),
            (CoverageRange{.from = Day(2024, 1, 1), .to = Day(2025, 12, 31)}));
  EXPECT_EQ(office.coverage()->from, office.coverage_from());
  EXPECT_EQ(office.coverage()->to, office.coverage_to());
  const Calendar weekly = Load(R"({"time_zone": "Asia/Shanghai",
                                   "weekly": {"mon": [["09:00", "18:00"]]}})");
  EXPECT_EQ(weekly.coverage(), std::nullopt);
}

TEST(CalendarFromJson, OutsideTakesErrorWeeklyOrEstimate) {
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(R"({
    "time_zone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "18:00"]]},
    "coverage": {"from": "2024-01-01", "to": "2024-12-31",
                 "outside": "estimated"}})");
  ASSERT_THAT(load, IsOk());
  ASSERT_EQ(load->issues().size(), 1u);
  EXPECT_EQ(load->issues()[0].path, "/coverage/outside");
  EXPECT_THAT(load->issues()[0].message,
              HasSubstr("unknown value \"estimated\""));
  // Left out, "outside" is "error".
  const Calendar strict = Load(R"({
    "time_zone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "18:00"]]},
    "coverage": {"from": "2024-01-01", "to": "2024-12-31"}})");
  EXPECT_EQ(strict.outside(), OutsideCoverage::kError);
  // "estimate" survives the canonical document.
  std::string text = kOffice;
  text.replace(text.find("\"outside\": \"error\""), 18,
               "\"outside\": \"estimate\"");
  const Calendar cal = Load(text);
  EXPECT_THAT(cal.ToJson(), HasSubstr("\"outside\": \"estimate\""));
  EXPECT_EQ(Load(cal.ToJson()), cal);
}

// Europe/Berlin: open every day 01:00-05:00 local. On 2025-03-30 02:00-03:00
// does not exist (3 h open); on 2025-10-26 02:00-03:00 happens twice (5 h
// open).
constexpr char kBerlin[] = R"({
  "name": "berlin", "time_zone": "Europe/Berlin",
  "weekly": {"mon": [["01:00", "05:00"]], "tue": [["01:00", "05:00"]], "wed": [["01:00", "05:00"]],
             "thu": [["01:00", "05:00"]], "fri": [["01:00", "05:00"]], "sat": [["01:00", "05:00"]],
             "sun": [["01:00", "05:00"]]},
  "coverage": {"from": "2025-01-01", "to": "2025-12-31", "outside": "weekly"}
})";

TEST(Calendar, AnIntervalInsideTheSkippedHourHasNoOpenTime) {
  for (const char* coverage :
       {R"(, "coverage": {"from": "2025-01-01", "to": "2025-12-31"})", ""}) {
    const Calendar cal = Load(absl::StrCat(
        R"({"name": "gap", "time_zone": "Europe/Berlin", "weekly": {"sun": [["02:15", "02:45"]],
            "mon": [["09:00", "10:00"]]})",
        coverage, "}"));
    // 2025-03-30 is a Sunday whose 02:00-03:00 is skipped; a week later it
    // opens as usual.
    EXPECT_FALSE(*cal.IsWorkday(Day(2025, 3, 30))) << coverage;
    EXPECT_TRUE(*cal.IsWorkday(Day(2025, 4, 6))) << coverage;
    EXPECT_EQ(Show(cal, *cal.NextOpen(At(cal, "2025-03-30 00:00"))),
              "2025-03-31 09:00");
  }
}

TEST(Calendar, DaylightSavingTransitions) {
  const Calendar cal = Load(kBerlin);
  const auto utc = [](const char* text) {
    std::istringstream in(text);
    date::sys_seconds t;
    in >> date::parse("%F %R", t);
    return t;
  };
  // The skipped 02:30 moves forward by the gap: 03:30 CEST = 01:30 UTC.
  EXPECT_EQ(At(cal, "2025-03-30 02:30"), utc("2025-03-30 01:30"));
  // The repeated 02:30 takes the earlier instant: 02:30 CEST = 00:30 UTC.
  EXPECT_EQ(At(cal, "2025-10-26 02:30"), utc("2025-10-26 00:30"));
  EXPECT_EQ(
      cal.BusinessBetween(utc("2025-03-29 12:00"), utc("2025-03-30 12:00"))
          ->count(),
      3 * 3600);
  EXPECT_EQ(
      cal.BusinessBetween(utc("2025-10-25 12:00"), utc("2025-10-26 12:00"))
          ->count(),
      5 * 3600);
  // 4 hours of open time from the opening on the short day end at the next
  // day's 02:00.
  EXPECT_EQ(Show(cal, *cal.AddBusiness(At(cal, "2025-03-30 01:00"), hours(4))),
            "2025-03-31 02:00");
  // add_days keeps the wall time across the change: 23 hours later.
  const Instant before = At(cal, "2025-03-29 10:00");
  const Instant after = *cal.AddDays(before, 1);
  EXPECT_EQ(Show(cal, after), "2025-03-30 10:00");
  EXPECT_EQ(after - before, hours(23));
  // Outside the coverage, the weekly hours and the same rule.
  EXPECT_EQ(
      cal.BusinessBetween(utc("2026-03-28 12:00"), utc("2026-03-29 12:00"))
          ->count(),
      3 * 3600);
}

struct BadCase {
  const char* name;
  std::string text;
  std::string path;
  std::string message;
};

TEST(CalendarFromJson, ReportsEveryProblemWithItsPath) {
  const std::string base = kOffice;
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = base;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<BadCase> cases = {
      {"malformed JSON", "{\"name\": }", "",
       "malformed JSON at line 1, column 10"},
      {"reversed interval",
       replace(R"("tue": [["09:00", "12:00"])",
               R"("tue": [["12:00", "09:00"])"),
       "/weekly/tue/0", "must open before it closes"},
      {"overlapping intervals",
       replace(R"("wed": [["09:00", "12:00"])",
               R"("wed": [["09:00", "14:00"])"),
       "/weekly/wed/1",
       "opening intervals overlap: 09:00-14:00 and 13:30-18:00"},
      {"bad time", replace(R"("thu": [["09:00")", R"("thu": [["9am")"),
       "/weekly/thu/0", "times are HH:MM"},
      {"closed and extra",
       replace(R"({"date": "2024-02-04"})", R"({"date": "2024-02-12"})"),
       "/extra/0/date",
       "2024-02-12 is both closed (/closed/0) and an extra workday"},
      {"extra outside coverage",
       replace(R"({"date": "2024-02-04"})", R"({"date": "2027-02-07"})"),
       "/extra/0/date",
       "extra workday 2027-02-07 lies outside the coverage 2024-01-01 to "
       "2025-12-31"},
      {"unknown day key", replace(R"("mon":)", R"("mo":)"), "/weekly/mo",
       "unknown key \"mo\"; did you mean \"mon\"?"},
      {"reversed coverage",
       replace(R"("from": "2024-01-01", "to": "2025-12-31")",
               R"("from": "2025-01-01", "to": "2024-12-31")"),
       "/coverage", "the range is reversed"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<CalendarLoad> load = Calendar::FromJson(c.text);
    ASSERT_THAT(load, IsOk());
    bool found = false;
    std::string all;
    for (const Issue& i : load->issues()) {
      all += FormatIssue(i) + "\n";
      found |=
          i.path == c.path && i.message.find(c.message) != std::string::npos;
    }
    EXPECT_TRUE(found) << "wanted " << c.path << ": " << c.message << "\ngot:\n"
                       << all;
    EXPECT_THAT(
        load->calendar(),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("error")));
  }
}

TEST(CalendarFromJson, UnknownZoneIsNotFoundAndOtherProblemsStillReported) {
  std::string text = kOffice;
  text.replace(text.find("Asia/Shanghai"), 13, "Asia/Shangai");
  text.replace(text.find("\"fri\": [[\"09:00\""), 16, "\"fri\": [[\"19:00\"");
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(text);
  ASSERT_THAT(load, IsOk());
  EXPECT_TRUE(load->unknown_zone());
  EXPECT_EQ(load->issues().size(), 2u);
  EXPECT_THAT(load->calendar(), StatusIs(absl::StatusCode::kNotFound,
                                         HasSubstr("\"Asia/Shangai\"")));
}

TEST(CalendarToJson, RoundTrip) {
  const Calendar cal = Load(kOffice);
  absl::StatusOr<CalendarLoad> again = Calendar::FromJson(cal.ToJson());
  ASSERT_THAT(again, IsOk());
  absl::StatusOr<Calendar> reloaded = again->calendar();
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_TRUE(*reloaded == cal);
  EXPECT_EQ(reloaded->ToJson(), cal.ToJson());
  // The make-up Sunday without hours took Friday's (the nearest earlier weekday
  // with any).
  ASSERT_EQ(cal.extra().size(), 2u);
  EXPECT_EQ(cal.extra()[0].hours, cal.weekly()[4]);
}

// --- Documents that extend another calendar ---------------------------------

// Loads `text` with `files` as the calendars its file references stand for.
absl::StatusOr<CalendarLoad> LoadWith(
    const std::string& text,
    std::map<std::string, Calendar, std::less<>> files = {}) {
  return Calendar::FromJson(text,
                            CalendarLoadOptions{.files = std::move(files)});
}

Calendar LoadExtending(const std::string& text,
                       std::map<std::string, Calendar, std::less<>> files) {
  absl::StatusOr<CalendarLoad> load = LoadWith(text, std::move(files));
  EXPECT_THAT(load, IsOk());
  for (const Issue& i : load->issues()) ADD_FAILURE() << FormatIssue(i);
  absl::StatusOr<Calendar> cal = load->calendar();
  EXPECT_THAT(cal, IsOk());
  return *cal;
}

// The error issues of a load, one "path: message" a line.
std::string ErrorsOf(const CalendarLoad& load) {
  std::string all;
  for (const Issue& i : load.issues()) {
    if (i.severity == Severity::kError) {
      absl::StrAppend(&all, i.path, ": ", i.message, "\n");
    }
  }
  return all;
}

// A year the preset does not hold, from a notice made up for this test (the
// real 2027 notice is not known here). 2027-01-01 is a Friday, 2027-02-05 a
// Friday, 2027-02-20 a Saturday.
constexpr char kMadeUp2027[] = R"({
  "extends": "cn_office", "name": "cn_office_2027",
  "coverage": {"from": "2027-01-01", "to": "2027-12-31"},
  "closed": [
    {"from": "2027-01-01", "to": "2027-01-03", "note": "New Year's Day 2027 [made-up notice]"},
    {"from": "2027-02-05", "to": "2027-02-13", "note": "Spring Festival 2027 [made-up notice]"}],
  "extra": [{"date": "2027-02-20", "note": "make-up workday 2027 [made-up notice]"}]
})";

TEST(CalendarExtends, APresetGainsAYearFromAMadeUpNotice) {
  const Calendar base = *Calendar::Preset("cn_office");
  const Calendar cal = LoadExtending(kMadeUp2027, {});
  EXPECT_EQ(cal.name(), "cn_office_2027");
  EXPECT_EQ(cal.time_zone(), "Asia/Shanghai");
  EXPECT_EQ(cal.weekly(), base.weekly());
  EXPECT_EQ(cal.outside(), OutsideCoverage::kEstimate);  // the base's
  EXPECT_EQ(cal.coverage(),
            (CoverageRange{.from = Day(2019, 1, 1), .to = Day(2027, 12, 31)}));
  EXPECT_EQ(cal.closed().size(), base.closed().size() + 2);
  EXPECT_EQ(cal.extra().size(), base.extra().size() + 1);
  ASSERT_FALSE(cal.extra().empty());
  // The make-up Saturday works Friday's hours.
  EXPECT_EQ(cal.extra().back().day, Day(2027, 2, 20));
  EXPECT_EQ(cal.extra().back().hours, base.weekly()[4]);

  struct Case {
    date::local_days day;
    bool workday;
    bool estimated;
  };
  for (const Case& c : std::vector<Case>{
           {Day(2024, 2, 4), true, false},    // the base's make-up Sunday
           {Day(2026, 10, 1), false, false},  // the base's National Day
           {Day(2027, 1, 1), false, false},   // the new year: known now
           {Day(2027, 1, 4), true, false},
           {Day(2027, 2, 12), false, false},
           {Day(2027, 2, 15), true, false},
           {Day(2027, 2, 20), true, false},  // make-up Saturday
           {Day(2027, 2, 27), false, false},
           {Day(2028, 1, 3), true, true},  // past the new coverage: estimated
       }) {
    bool estimated = false;
    absl::StatusOr<bool> workday = cal.IsWorkday(c.day, &estimated);
    ASSERT_THAT(workday, IsOk());
    EXPECT_EQ(*workday, c.workday) << date::format("%F", c.day);
    EXPECT_EQ(estimated, c.estimated) << date::format("%F", c.day);
  }
  // Thursday 17:00 + 2 h: 1 h on Thursday, then closed Friday 01-01 to
  // Sunday 01-03, the second hour on Monday.
  bool estimated = false;
  absl::StatusOr<Instant> due =
      cal.AddBusiness(At(cal, "2026-12-31 17:00"), hours(2), &estimated);
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(Show(cal, *due), "2027-01-04 10:00");
  EXPECT_FALSE(estimated);
  // The preset alone estimated the same deadline on the weekly hours.
  estimated = false;
  EXPECT_EQ(Show(base, *base.AddBusiness(At(base, "2026-12-31 17:00"),
                                         hours(2), &estimated)),
            "2027-01-01 10:00");
  EXPECT_TRUE(estimated);

  // An own "outside" overrides the base's.
  std::string strict = kMadeUp2027;
  strict.replace(strict.find(R"("to": "2027-12-31")"), 18,
                 R"("to": "2027-12-31", "outside": "error")");
  EXPECT_EQ(LoadExtending(strict, {}).outside(), OutsideCoverage::kError);
}

TEST(CalendarExtends, AFileReferenceIsLookedUpAsWritten) {
  const Calendar office = Load(kOffice);
  const std::string doc = R"({"extends": {"file": "office.json"},
                              "weekly": {"sat": [["10:00", "16:00"]]}})";
  ASSERT_EQ(Calendar::FileReferences(doc),
            std::vector<std::string>{"office.json"});
  const Calendar cal = LoadExtending(doc, {{"office.json", office}});
  EXPECT_EQ(cal.name(), "office");
  EXPECT_EQ(cal.coverage(), office.coverage());
  struct Case {
    const char* at;
    bool open;
  };
  for (const Case& c : std::vector<Case>{
           {"2024-05-11 10:30", true},   // Saturday: its own hours
           {"2024-05-11 16:00", false},
           {"2024-05-13 12:30", false},  // Monday's lunch break: the base's
           {"2024-05-13 13:30", true},
           {"2024-02-10 10:30", false},  // a Saturday in the base's holiday
           {"2024-02-04 09:30", true},   // the base's make-up Sunday
       }) {
    absl::StatusOr<bool> open = cal.IsOpen(At(cal, c.at));
    ASSERT_THAT(open, IsOk());
    EXPECT_EQ(*open, c.open) << c.at;
  }

  struct Missing {
    const char* name;
    std::map<std::string, Calendar, std::less<>> files;
  };
  for (Missing& m : std::vector<Missing>{
           {"nothing supplied", {}},
           {"another spelling", {{"./office.json", office}}},
       }) {
    SCOPED_TRACE(m.name);
    absl::StatusOr<CalendarLoad> load = LoadWith(doc, std::move(m.files));
    ASSERT_THAT(load, IsOk());
    EXPECT_EQ(ErrorsOf(*load),
              "/extends/file: no calendar was loaded for the file reference "
              "\"office.json\" (Python: Calendar.load reads it relative to "
              "this document, or pass it in files=; C++: "
              "CalendarLoadOptions::files)\n");
    EXPECT_THAT(load->calendar(),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("office.json")));
  }
}

TEST(CalendarExtends, AnExtraWorkdayWithoutHoursTakesTheMergedWeeklyHours) {
  // 2025-03-01 is a Saturday: the nearest earlier day with hours is Friday,
  // whose hours the document shortens to 09:00-15:00.
  const Calendar cal = LoadExtending(
      R"({"extends": {"file": "office.json"},
          "weekly": {"fri": [["09:00", "15:00"]]},
          "extra": [{"date": "2025-03-01"}]})",
      {{"office.json", Load(kOffice)}});
  EXPECT_EQ(cal.weekly()[4],
            (std::vector<OpenHours>{{hours(9), hours(15)}}));
  EXPECT_EQ(cal.weekly()[0].size(), 2u);  // Monday keeps the base's two
  const ExtraWorkday* extra = nullptr;
  for (const ExtraWorkday& e : cal.extra()) {
    if (e.day == Day(2025, 3, 1)) extra = &e;
  }
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->hours, (std::vector<OpenHours>{{hours(9), hours(15)}}));
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2025-03-01 14:30")));
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2025-03-01 15:00")));
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2025-02-28 16:00")));  // Friday
  // The base's make-up Sunday keeps the hours it had in the base (Friday's
  // there): a base is a loaded calendar, its extra days' hours resolved.
  ASSERT_EQ(cal.extra().front().day, Day(2024, 2, 4));
  EXPECT_EQ(cal.extra().front().hours, Load(kOffice).weekly()[4]);
}

TEST(CalendarExtends, OwnCoverageReplacesTheBaseEntriesInsideIt) {
  // kOffice: closed 2024-02-10 to 2024-02-17 ("Spring Festival"), make-up
  // days 2024-02-04 and 2024-02-18, coverage 2024-01-01 to 2025-12-31.
  struct Case {
    const char* name;
    std::string doc;
    CoverageRange coverage;
    std::vector<ClosedDates> closed;
    std::vector<date::local_days> extra;
  };
  const std::vector<Case> cases = {
      {"the range cut at the start of the own coverage",
       R"({"extends": {"file": "office.json"},
           "coverage": {"from": "2024-02-14", "to": "2025-12-31"},
           "closed": [{"date": "2024-03-01", "note": "stocktaking"}]})",
       {Day(2024, 1, 1), Day(2025, 12, 31)},
       {{Day(2024, 2, 10), Day(2024, 2, 13), "Spring Festival"},
        {Day(2024, 3, 1), Day(2024, 3, 1), "stocktaking"}},
       {Day(2024, 2, 4)}},
      {"the range cut at the end of an earlier own coverage",
       R"({"extends": {"file": "office.json"},
           "coverage": {"from": "2023-06-01", "to": "2024-02-12"}})",
       {Day(2023, 6, 1), Day(2025, 12, 31)},
       {{Day(2024, 2, 13), Day(2024, 2, 17), "Spring Festival"}},
       {Day(2024, 2, 18)}},
      {"an own coverage inside the base's, empty",
       R"({"extends": {"file": "office.json"},
           "coverage": {"from": "2024-02-01", "to": "2024-02-29"}})",
       {Day(2024, 1, 1), Day(2025, 12, 31)},
       {},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Calendar cal = LoadExtending(c.doc, {{"office.json", Load(kOffice)}});
    EXPECT_EQ(cal.coverage(), c.coverage);
    EXPECT_EQ(
        std::vector<ClosedDates>(cal.closed().begin(), cal.closed().end()),
        c.closed);
    std::vector<date::local_days> days;
    for (const ExtraWorkday& e : cal.extra()) days.push_back(e.day);
    EXPECT_EQ(days, c.extra);
    EXPECT_EQ(cal.outside(), OutsideCoverage::kError);  // the base's
  }
  // The first case, day by day.
  const Calendar cal =
      LoadExtending(cases[0].doc, {{"office.json", Load(kOffice)}});
  EXPECT_FALSE(*cal.IsWorkday(Day(2024, 2, 12)));  // Monday, still closed
  EXPECT_TRUE(*cal.IsWorkday(Day(2024, 2, 14)));   // Wednesday, open now
  EXPECT_FALSE(*cal.IsWorkday(Day(2024, 2, 18)));  // a plain Sunday now
  EXPECT_FALSE(*cal.IsWorkday(Day(2024, 3, 1)));   // stocktaking Friday
}

TEST(CalendarExtends, AGapBetweenTheCoveragesIsAnError) {
  struct Case {
    const char* own;
    std::string message;  // "" when the document loads
  };
  for (const Case& c : std::vector<Case>{
           {R"("from": "2027-01-01", "to": "2027-12-31")",
            "the coverage 2027-01-01 to 2027-12-31 does not meet the base "
            "calendar's coverage 2024-01-01 to 2025-12-31: 2026-01-01 to "
            "2026-12-31 would be covered by neither"},
           {R"("from": "2022-01-01", "to": "2022-12-31")",
            "the coverage 2022-01-01 to 2022-12-31 does not meet the base "
            "calendar's coverage 2024-01-01 to 2025-12-31: 2023-01-01 to "
            "2023-12-31 would be covered by neither"},
           {R"("from": "2026-01-01", "to": "2026-12-31")", ""},  // adjacent
           {R"("from": "2023-01-01", "to": "2023-12-31")", ""},  // adjacent
       }) {
    SCOPED_TRACE(c.own);
    absl::StatusOr<CalendarLoad> load = LoadWith(
        absl::StrCat(R"({"extends": {"file": "office.json"}, "coverage": {)",
                     c.own, "}}"),
        {{"office.json", Load(kOffice)}});
    ASSERT_THAT(load, IsOk());
    if (c.message.empty()) {
      EXPECT_EQ(ErrorsOf(*load), "");
    } else {
      EXPECT_THAT(ErrorsOf(*load), HasSubstr("/coverage: " + c.message));
    }
  }
}

TEST(CalendarExtends, AnEntryWithoutOwnCoverageOverridesTheBaseOnItsDate) {
  struct Case {
    const char* name;
    const char* entries;
    std::vector<ClosedDates> closed;
    std::vector<date::local_days> extra;
  };
  for (const Case& c : std::vector<Case>{
           {"an extra workday inside a base closed range splits it",
            R"("extra": [{"date": "2024-02-14", "note": "a launch"}])",
            {{Day(2024, 2, 10), Day(2024, 2, 13), "Spring Festival"},
             {Day(2024, 2, 15), Day(2024, 2, 17), "Spring Festival"}},
            {Day(2024, 2, 4), Day(2024, 2, 14), Day(2024, 2, 18)}},
           {"a closed date on a base extra workday replaces it",
            R"("closed": [{"date": "2024-02-04", "note": "no make-up day"}])",
            {{Day(2024, 2, 4), Day(2024, 2, 4), "no make-up day"},
             {Day(2024, 2, 10), Day(2024, 2, 17), "Spring Festival"}},
            {Day(2024, 2, 18)}},
           {"a closed range over a base closed range: the own note",
            R"("closed": [{"from": "2024-02-16", "to": "2024-02-19",
                           "note": "longer"}])",
            {{Day(2024, 2, 10), Day(2024, 2, 15), "Spring Festival"},
             {Day(2024, 2, 16), Day(2024, 2, 19), "longer"}},
            {Day(2024, 2, 4)}},
       }) {
    SCOPED_TRACE(c.name);
    const Calendar cal = LoadExtending(
        absl::StrCat(R"({"extends": {"file": "office.json"}, )", c.entries,
                     "}"),
        {{"office.json", Load(kOffice)}});
    EXPECT_EQ(
        std::vector<ClosedDates>(cal.closed().begin(), cal.closed().end()),
        c.closed);
    std::vector<date::local_days> days;
    for (const ExtraWorkday& e : cal.extra()) days.push_back(e.day);
    EXPECT_EQ(days, c.extra);
  }
  const Calendar cal = LoadExtending(
      R"({"extends": {"file": "office.json"}, "extra": [{"date": "2024-02-14"}]})",
      {{"office.json", Load(kOffice)}});
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2024-02-14 13:30")));  // Wednesday's hours
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2024-02-15 13:30")));
}

TEST(CalendarExtends, ProblemsAreReportedWithTheirPaths) {
  const std::string office = "office.json";
  const std::vector<BadCase> cases = {
      {"unknown preset", R"({"extends": "cn_ofice"})", "/extends",
       "unknown calendar preset \"cn_ofice\"; did you mean \"cn_office\"?"},
      {"neither a name nor a file", R"({"extends": 3})", "/extends",
       "expected a preset name or {\"file\": \"...\"}, got the number 3"},
      {"unknown key under extends",
       R"({"extends": {"file": "office.json", "fiel": "x"}})", "/extends/fiel",
       "unknown key \"fiel\""},
      {"an entry outside the base's coverage",
       R"({"extends": {"file": "office.json"}, "extra": [{"date": "2026-01-03"}]})",
       "/extra/0/date",
       "extra workday 2026-01-03 lies outside the coverage 2024-01-01 to "
       "2025-12-31"},
      {"an entry outside the own coverage",
       R"({"extends": {"file": "office.json"},
           "coverage": {"from": "2026-01-01", "to": "2026-12-31"},
           "closed": [{"date": "2025-05-06"}]})",
       "/closed/0",
       "closed dates 2025-05-06 to 2025-05-06 lie outside the coverage "
       "2026-01-01 to 2026-12-31"},
      {"closed and extra in the own document",
       R"({"extends": {"file": "office.json"},
           "closed": [{"date": "2025-05-06"}], "extra": [{"date": "2025-05-06"}]})",
       "/extra/0/date",
       "2025-05-06 is both closed (/closed/0) and an extra workday"},
      {"a bad own weekly day", R"({"extends": "cn_office",
           "weekly": {"sat": [["16:00", "10:00"]]}})",
       "/weekly/sat/0", "an opening interval must open before it closes"},
      {"without extends the zone is required",
       R"({"weekly": {"mon": [["09:00", "18:00"]]}})", "",
       "missing required key \"time_zone\""},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<CalendarLoad> load =
        LoadWith(c.text, {{office, Load(kOffice)}});
    ASSERT_THAT(load, IsOk());
    EXPECT_THAT(ErrorsOf(*load), HasSubstr(c.path + ": " + c.message));
    EXPECT_THAT(load->calendar(),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("error")));
  }
  // An extends that does not resolve reports no spurious problem for what the
  // base would have given (zone, weekly hours, coverage).
  absl::StatusOr<CalendarLoad> load = LoadWith(
      R"({"extends": {"file": "gone.json"}, "closed": [{"date": "2025-05-06"}]})");
  ASSERT_THAT(load, IsOk());
  EXPECT_EQ(ErrorsOf(*load),
            "/extends/file: no calendar was loaded for the file reference "
            "\"gone.json\" (Python: Calendar.load reads it relative to this "
            "document, or pass it in files=; C++: "
            "CalendarLoadOptions::files)\n");
  // Nor for an own coverage with errors: its entries are not measured against
  // the base's range instead.
  load = LoadWith(
      R"({"extends": "cn_office",
          "coverage": {"from": "2027-12-31", "to": "2027-01-01"},
          "closed": [{"date": "2027-01-01"}]})");
  ASSERT_THAT(load, IsOk());
  EXPECT_EQ(ErrorsOf(*load),
            "/coverage: the range is reversed: from 2027-12-31 to "
            "2027-01-01\n");
}

TEST(CalendarExtends, ADocumentMayExtendOneThatExtends) {
  const Calendar office = Load(kOffice);
  const Calendar middle = LoadExtending(
      R"({"extends": {"file": "office.json"}, "name": "office_2026",
          "coverage": {"from": "2026-01-01", "to": "2026-12-31"},
          "closed": [{"from": "2026-01-01", "to": "2026-01-03",
                      "note": "New Year 2026 [made-up notice]"}]})",
      {{"office.json", office}});
  const Calendar cal = LoadExtending(
      R"({"extends": {"file": "../shared/office_2026.json"},
          "weekly": {"sat": [["10:00", "14:00"]]}})",
      {{"../shared/office_2026.json", middle}});
  EXPECT_EQ(cal.name(), "office_2026");
  EXPECT_EQ(cal.coverage(),
            (CoverageRange{.from = Day(2024, 1, 1), .to = Day(2026, 12, 31)}));
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2026-01-10 10:30")));   // a Saturday
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2026-01-03 10:30")));  // closed Saturday
  EXPECT_FALSE(*cal.IsOpen(At(cal, "2024-02-12 10:30")));  // the first base
  EXPECT_TRUE(*cal.IsOpen(At(cal, "2024-02-04 10:30")));
}

TEST(CalendarExtends, ToJsonIsTheFlattenedDocumentAndRoundTrips) {
  for (const std::string& text : std::vector<std::string>{
           kMadeUp2027,
           R"({"extends": "cn_showroom", "weekly": {"sun": []},
               "extra": [{"date": "2025-01-29", "like": "mon"}]})",
       }) {
    SCOPED_TRACE(text);
    const Calendar cal = LoadExtending(text, {});
    EXPECT_EQ(cal.ToJson().find("extends"), std::string::npos);
    absl::StatusOr<CalendarLoad> again = Calendar::FromJson(cal.ToJson());
    ASSERT_THAT(again, IsOk());
    absl::StatusOr<Calendar> reloaded = again->calendar();
    ASSERT_THAT(reloaded, IsOk());
    EXPECT_TRUE(*reloaded == cal);
    EXPECT_EQ(reloaded->ToJson(), cal.ToJson());
  }
  // Extending kOffice with other Wednesday hours gives the calendar of kOffice
  // written out with them (its make-up days keep Friday's and Monday's hours).
  std::string written = kOffice;
  const std::string wednesday =
      R"("wed": [["09:00", "12:00"], ["13:30", "18:00"]])";
  written.replace(written.find(wednesday), wednesday.size(),
                  R"("wed": [["09:00", "17:00"]])");
  const Calendar extended = LoadExtending(
      R"({"extends": {"file": "office.json"},
          "weekly": {"wed": [["09:00", "17:00"]]}})",
      {{"office.json", Load(kOffice)}});
  EXPECT_EQ(extended.ToJson(), Load(written).ToJson());
}

}  // namespace
}  // namespace leadkit
