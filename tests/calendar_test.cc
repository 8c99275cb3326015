#include "leadkit/calendar.h"

#include <functional>
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

}  // namespace
}  // namespace leadkit
