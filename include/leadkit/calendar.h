// Business calendars: a dealer's time zone, weekly opening hours (several
// intervals a day, for lunch breaks), closed dates, extra working dates
// (China's make-up workdays, 调休), and the date range that data covers. Every
// SLA and follow-up date of leadkit lands on one.
//
// Open time is a set of half-open UTC intervals [open, close). With C(t) the
// open seconds before instant t (from an origin fixed per calendar):
//
//   business_between(a, b) = C(b) - C(a)
//   add_business(t, d)     = the earliest u >= next_open(t) with C(u) -
//   C(next_open(t)) = d
//                            (so a duration used up at a closing time ends at
//                            that closing time)
//
// Loading precomputes, per covered local day, its open intervals as UTC
// instants and the cumulative open seconds, so within the covered range every
// operation is a binary search. Outside the range a calendar either refuses
// (OutOfRange, the default) or continues with its weekly hours alone
// (`"outside": "weekly"`), or does so and says it did (`"outside":
// "estimate"`: the operations' `estimated` flag is set).
//
// Local wall time to instant (the DST rule, used for opening hours, add_days
// and add_months): a local time skipped by a transition moves forward by the
// gap (02:30 -> 03:30 on a spring-forward night); a repeated local time takes
// the earlier instant.
//
// Example (cn_office: Mon-Fri 09:00-12:00 and 13:30-18:00, Asia/Shanghai):
//   Calendar cal = *Calendar::Preset("cn_office");
//   // Friday 2024-05-10 17:30 + 1 h of business time -> Monday 2024-05-13
//   09:30 cal.AddBusiness(t, std::chrono::hours(1));
//   // 2024-02-04 (a Sunday) is a make-up workday for the Spring Festival
//   cal.IsWorkday(date::local_days{date::year{2024} / 2 / 4});  // true
#ifndef LEADKIT_CALENDAR_H_
#define LEADKIT_CALENDAR_H_

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "date/date.h"
#include "leadkit/issue.h"

namespace leadkit {

using Instant = std::chrono::sys_seconds;

// An opening interval of a local day, as times of day: [open, close), close <=
// 24:00.
struct OpenHours {
  std::chrono::seconds open{0};
  std::chrono::seconds close{0};

  bool operator==(const OpenHours&) const = default;
};

// What a calendar does with a day outside the range its closed/extra data
// covers.
enum class OutsideCoverage {
  kError,     // OutOfRange naming the date and the range
  kWeekly,    // the weekly hours alone
  kEstimate,  // the weekly hours alone, and the result says it is an estimate
};

// The dates a calendar's closed/extra data covers, both inclusive.
struct CoverageRange {
  date::local_days from;
  date::local_days to;

  bool operator==(const CoverageRange&) const = default;
};

// A dated entry of a calendar document.
struct ClosedDates {
  date::local_days from;  // first closed day
  date::local_days to;    // last closed day (inclusive)
  std::string note;       // e.g. the notice that set the holiday

  bool operator==(const ClosedDates&) const = default;
};

struct ExtraWorkday {
  date::local_days day;
  std::vector<OpenHours>
      hours;  // the day's hours (resolved at load; see docs/calendars.md)
  std::string note;

  bool operator==(const ExtraWorkday&) const = default;
};

struct CalendarData;  // defined in src/
struct CalendarLoadOptions;

// An immutable, validated calendar. Copies share one precomputed table; every
// const method is thread-safe.
class Calendar {
 public:
  // Parses and validates a calendar document (docs/calendars.md). The status is
  // an error only for text that is not UTF-8; problems in the document are
  // issues of the CalendarLoad.
  static absl::StatusOr<class CalendarLoad> FromJson(absl::string_view text);
  // With the calendars the document's file references stand for.
  static absl::StatusOr<class CalendarLoad> FromJson(
      absl::string_view text, const CalendarLoadOptions& options);

  // The file references a calendar document names (`extends` with a "file"),
  // as written, for the caller to read before FromJson. Empty for text that
  // does not parse (FromJson reports it).
  static std::vector<std::string> FileReferences(absl::string_view text);

  // "cn_office" or "cn_showroom". NotFound for another name.
  static absl::StatusOr<Calendar> Preset(absl::string_view name);
  static std::vector<std::string> PresetNames();

  // The canonical document; FromJson(ToJson()) gives an equal calendar and the
  // same text.
  std::string ToJson() const;

  const std::string& name() const;
  const std::string& time_zone() const;
  // Weekly hours, index 0 = Monday ... 6 = Sunday.
  const std::array<std::vector<OpenHours>, 7>& weekly() const;
  std::span<const ClosedDates> closed() const;
  std::span<const ExtraWorkday> extra() const;
  // False for a calendar of weekly hours alone (no "coverage" in its document).
  bool has_coverage() const;
  date::local_days coverage_from() const;
  date::local_days coverage_to() const;  // inclusive
  // The covered dates; nullopt for a calendar without coverage.
  // Example: Preset("cn_office")->coverage() -> {2019-01-01, 2026-12-31}.
  std::optional<CoverageRange> coverage() const;
  OutsideCoverage outside() const;

  // The operations below that read opening hours take an optional `estimated`:
  // under `"outside": "estimate"`, *estimated is set to true when the result
  // rests on the weekly hours of a day outside the coverage, and left as it is
  // otherwise (so one flag can gather the steps of a computation). Under
  // "error" and "weekly", and without coverage, it is never set.
  // Example (cn_office with "outside": "estimate", covered to 2026-12-31):
  //   bool estimated = false;
  //   // Thursday 2026-12-31 17:30 + 1 h -> Friday 2027-01-01 09:30 on the
  //   // weekly hours (a public holiday the data does not hold yet): estimated
  //   cal.AddBusiness(t, std::chrono::hours(1), &estimated);

  // Is the dealer open at t?
  absl::StatusOr<bool> IsOpen(Instant t, bool* estimated = nullptr) const;
  // t itself when open, else the next opening instant.
  absl::StatusOr<Instant> NextOpen(Instant t, bool* estimated = nullptr) const;
  // Does the local day have any open hours?
  absl::StatusOr<bool> IsWorkday(date::local_days day,
                                 bool* estimated = nullptr) const;
  // The earliest instant by which `d` of open time has passed since t (the
  // clock starts at NextOpen(t)); AddBusiness(t, 0s) == t. InvalidArgument for
  // a negative d.
  absl::StatusOr<Instant> AddBusiness(Instant t, std::chrono::seconds d,
                                      bool* estimated = nullptr) const;
  // Open time inside [a, b); negative when b < a (the signed difference C(b) -
  // C(a)).
  absl::StatusOr<std::chrono::seconds> BusinessBetween(
      Instant a, Instant b, bool* estimated = nullptr) const;
  // The same local wall time n local days later (n may be negative).
  absl::StatusOr<Instant> AddDays(Instant t, int n) const;
  // The same local wall time n months later, the day clamped to the month's
  // end.
  absl::StatusOr<Instant> AddMonths(Instant t, int n) const;
  // t if open, else NextOpen(t).
  absl::StatusOr<Instant> RollToOpen(Instant t,
                                     bool* estimated = nullptr) const;

  // Local civil time of an instant in the calendar's zone, and back (with the
  // DST rule above).
  date::local_seconds ToLocal(Instant t) const;
  Instant FromLocal(date::local_seconds local) const;

  bool operator==(const Calendar& other) const;

 private:
  friend class CalendarLoad;
  explicit Calendar(std::shared_ptr<const CalendarData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const CalendarData> data_;
};

// What a calendar document may name beside itself: the calendars its file
// references (`"extends": {"file": "base.json"}`) stand for. leadkit never
// opens a file; the caller reads each reference (Calendar::FileReferences)
// and supplies the loaded calendar under the reference as written
// (python/leadkit: Calendar.load resolves them relative to the document).
struct CalendarLoadOptions {
  std::map<std::string, Calendar, std::less<>> files;
};

// What loading a calendar document found: every issue, and the calendar when
// none is an error.
class CalendarLoad {
 public:
  // The calendar; NotFound naming the zone when the time zone is unknown, else
  // FailedPrecondition naming the errors, while any error exists.
  absl::StatusOr<Calendar> calendar() const;
  std::span<const Issue> issues() const { return issues_; }
  bool has_errors() const { return HasErrors(issues_); }
  // True when an error is an unknown time zone.
  bool unknown_zone() const { return unknown_zone_; }

 private:
  friend class Calendar;
  std::shared_ptr<const CalendarData> data_;
  std::vector<Issue> issues_;
  bool unknown_zone_ = false;
};

}  // namespace leadkit

#endif  // LEADKIT_CALENDAR_H_
