// Business calendars: loading (docs/calendars.md), the per-day table, and
// business-time arithmetic.
#include "leadkit/calendar.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "date/date.h"
#include "json_reader.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/tz.h"
#include "preset_data.h"

namespace leadkit {

struct CalendarData {
  std::string name;
  std::string description;
  std::string time_zone;
  TimeZone zone;
  std::array<std::vector<OpenHours>, 7> weekly;
  bool has_coverage = false;
  date::local_days from;  // coverage, inclusive
  date::local_days to;
  OutsideCoverage outside = OutsideCoverage::kError;
  std::vector<ClosedDates> closed;
  std::vector<ExtraWorkday> extra;

  // The table over the covered days: open intervals as UTC seconds, in order,
  // with the open seconds before each (cum has one more entry: the total).
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  std::vector<int64_t> cum;
  std::vector<int32_t>
      day_first;  // first interval of covered day i; one more entry at the end
  int64_t table_begin = 0;  // first instant of the first covered day
  int64_t table_end = 0;    // first instant after the last covered day
  // An index by UTC day, so that finding an instant's interval is a lookup, not
  // a search: utc_day_first[u] is the first interval that ends after the start
  // of UTC day utc_day_base + u.
  int64_t utc_day_base = 0;
  std::vector<int32_t> utc_day_first;
  // A span of UTC seconds over which the zone's offset does not change (for
  // Asia/Shanghai, every year since 1991): local time there is plain
  // arithmetic, no tz database lookup.
  int64_t fixed_from = 0;
  int64_t fixed_to = 0;
  int64_t fixed_offset = 0;
  std::string canonical_json;
};

namespace calendar_internal {
namespace {

using json_internal::Child;
using json_internal::Json;
using json_internal::JsonKind;
using json_internal::Quoted;
using json_internal::Suggestion;
using OrderedJson = nlohmann::ordered_json;
using std::chrono::seconds;

constexpr int kFormat = 1;
constexpr absl::string_view kDayKeys[] = {"mon", "tue", "wed", "thu",
                                          "fri", "sat", "sun"};
constexpr int64_t kDay = 86400;
// A walk outside the table that meets no open time for this many days gives up.
constexpr int kMaxClosedDays = 3660;

int WeekdayIndex(date::local_days day) {
  return static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
}

std::string DayText(date::local_days day) { return date::format("%F", day); }

const char* OutsideName(OutsideCoverage outside) {
  switch (outside) {
    case OutsideCoverage::kError:
      return "error";
    case OutsideCoverage::kWeekly:
      return "weekly";
    case OutsideCoverage::kEstimate:
      return "estimate";
  }
  return "error";
}

std::string TimeText(seconds s) {
  return absl::StrFormat("%02d:%02d", s.count() / 3600, s.count() / 60 % 60) +
         (s.count() % 60 == 0 ? "" : absl::StrFormat(":%02d", s.count() % 60));
}

// "HH:MM" or "HH:MM:SS", 00:00 to 24:00.
std::optional<seconds> ParseTime(const std::string& text) {
  int h = 0, m = 0, s = 0;
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%2d:%2d:%2d%c", &h, &m, &s, &tail);
  const bool shape =
      (n == 2 && text.size() == 5) || (n == 3 && text.size() == 8);
  if (!shape || h < 0 || m < 0 || m > 59 || s < 0 || s > 59)
    return std::nullopt;
  const int64_t total = h * 3600 + m * 60 + s;
  if (total > kDay) return std::nullopt;
  return seconds(total);
}

std::optional<date::local_days> ParseDay(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return date::local_days{ymd};
}

class Loader : public json_internal::JsonReader {
 public:
  using JsonReader::JsonReader;

  std::optional<date::local_days> Day(const Json& obj, absl::string_view key,
                                      const std::string& path, bool required) {
    std::optional<std::string> text = String(obj, key, path, required);
    if (!text) return std::nullopt;
    std::optional<date::local_days> day = ParseDay(*text);
    if (!day) {
      Error(Child(path, key), "",
            absl::StrCat("expected a date YYYY-MM-DD, got ", Quoted(*text)));
    }
    return day;
  }

  // An array of ["HH:MM", "HH:MM"] pairs: sorted, each open before its close,
  // none overlapping. nullopt (with errors) when any is bad.
  std::optional<std::vector<OpenHours>> Hours(const Json& j,
                                              const std::string& path) {
    if (!j.is_array()) {
      Error(path, "",
            absl::StrCat(
                "expected an array of [\"HH:MM\", \"HH:MM\"] intervals, got ",
                JsonKind(j)));
      return std::nullopt;
    }
    std::vector<OpenHours> hours;
    bool ok = true;
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string at = Child(path, i);
      const Json& pair = j[i];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
          !pair[1].is_string()) {
        Error(at, "",
              absl::StrCat("expected [\"HH:MM\", \"HH:MM\"], got ",
                           pair.is_array() ? pair.dump() : JsonKind(pair)));
        ok = false;
        continue;
      }
      std::optional<seconds> open = ParseTime(pair[0].get<std::string>());
      std::optional<seconds> close = ParseTime(pair[1].get<std::string>());
      if (!open || !close) {
        Error(at, "",
              absl::StrCat(
                  "times are HH:MM or HH:MM:SS from 00:00 to 24:00, got ",
                  pair.dump()));
        ok = false;
        continue;
      }
      if (*open >= *close) {
        Error(
            at, "",
            absl::StrCat("an opening interval must open before it closes, got ",
                         pair.dump()));
        ok = false;
        continue;
      }
      hours.push_back({*open, *close});
    }
    if (!ok) return std::nullopt;
    std::vector<size_t> order(hours.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return hours[a].open < hours[b].open;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const OpenHours& prev = hours[order[k - 1]];
      const OpenHours& next = hours[order[k]];
      if (next.open < prev.close) {
        Error(Child(path, order[k]), "",
              absl::StrCat("opening intervals overlap: ", TimeText(prev.open),
                           "-", TimeText(prev.close), " and ",
                           TimeText(next.open), "-", TimeText(next.close)));
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    std::vector<OpenHours> sorted;
    for (size_t i : order) sorted.push_back(hours[i]);
    return sorted;
  }

  // The day keys given replace those days' hours in c.weekly (a document that
  // extends another keeps the base's hours on the days it leaves out).
  void ParseWeekly(const Json& doc, CalendarData& c, bool required) {
    if (!doc.contains("weekly")) {
      if (required) Error("", "", "missing required key \"weekly\"");
      return;
    }
    const Json& j = doc.at("weekly");
    if (!ExpectObject(j, "/weekly")) return;
    CheckKeys(j, "/weekly", kDayKeys);
    for (size_t d = 0; d < 7; ++d) {
      const std::string key(kDayKeys[d]);
      if (!j.contains(key)) continue;
      if (std::optional<std::vector<OpenHours>> hours =
              Hours(j.at(key), Child("/weekly", key))) {
        c.weekly[d] = *std::move(hours);
      }
    }
  }

  // The document's own "coverage": its range (nullopt when absent or bad) and
  // its "outside" when given.
  struct OwnCoverage {
    std::optional<CoverageRange> range;
    std::optional<OutsideCoverage> outside;
  };

  OwnCoverage ParseCoverage(const Json& doc) {
    OwnCoverage own;
    if (!doc.contains("coverage")) return own;
    const std::string path = "/coverage";
    const Json& j = doc.at("coverage");
    if (!ExpectObject(j, path)) return own;
    static constexpr absl::string_view kKeys[] = {"from", "to", "outside"};
    CheckKeys(j, path, kKeys);
    std::optional<date::local_days> from = Day(j, "from", path, true);
    std::optional<date::local_days> to = Day(j, "to", path, true);
    if (std::optional<std::string> outside =
            String(j, "outside", path, false)) {
      static constexpr absl::string_view kModes[] = {"error", "weekly",
                                                     "estimate"};
      if (*outside == "weekly") {
        own.outside = OutsideCoverage::kWeekly;
      } else if (*outside == "estimate") {
        own.outside = OutsideCoverage::kEstimate;
      } else if (*outside == "error") {
        own.outside = OutsideCoverage::kError;
      } else {
        Error(Child(path, "outside"), "",
              absl::StrCat("unknown value ", Quoted(*outside),
                           Suggestion(*outside, kModes)));
      }
    }
    if (!from || !to) return own;
    if (*from > *to) {
      Error(path, "",
            absl::StrCat("the range is reversed: from ", DayText(*from), " to ",
                         DayText(*to)));
      return own;
    }
    if (!WithinYearLimit(*from, *to, path)) return own;
    own.range = CoverageRange{.from = *from, .to = *to};
    return own;
  }

  bool WithinYearLimit(date::local_days from, date::local_days to,
                       const std::string& path) {
    if (to - from > date::days(366 * 200)) {
      Error(path, "", "a calendar covers at most 200 years");
      return false;
    }
    return true;
  }

  // The calendar an "extends" names: a preset by name, or a file reference
  // the caller supplied in options.files. nullopt, with an error, when it does
  // not resolve.
  std::optional<Calendar> ParseExtends(const Json& j,
                                       const CalendarLoadOptions& options) {
    const std::string path = "/extends";
    if (j.is_string()) {
      const std::string name = j.get<std::string>();
      absl::StatusOr<Calendar> preset = Calendar::Preset(name);
      if (preset.ok()) return *std::move(preset);
      if (preset.status().code() != absl::StatusCode::kNotFound) {
        Error(path, "", std::string(preset.status().message()));
        return std::nullopt;
      }
      const std::vector<std::string> presets = Calendar::PresetNames();
      const std::vector<absl::string_view> names(presets.begin(),
                                                 presets.end());
      Error(path, "",
            absl::StrCat("unknown calendar preset ", Quoted(name),
                         Suggestion(name, names),
                         " (a calendar file of your own is named as "
                         "{\"file\": \"base.json\"})"));
      return std::nullopt;
    }
    if (!j.is_object()) {
      Error(path, "",
            absl::StrCat("expected a preset name or {\"file\": \"...\"}, got ",
                         JsonKind(j)));
      return std::nullopt;
    }
    static constexpr absl::string_view kKeys[] = {"file"};
    CheckKeys(j, path, kKeys);
    std::optional<std::string> file = String(j, "file", path, true);
    if (!file) return std::nullopt;
    const auto found = options.files.find(*file);
    if (found == options.files.end()) {
      Error(Child(path, "file"), "",
            absl::StrCat("no calendar was loaded for the file reference ",
                         Quoted(*file),
                         " (Python: Calendar.load reads it relative to this "
                         "document, or pass it in files=; C++: "
                         "CalendarLoadOptions::files)"));
      return std::nullopt;
    }
    return found->second;
  }

  // Whether dated entries are checked against the range they must lie in
  // (off while that range is unknown: see Calendar::FromJson).
  bool check_coverage = true;

  bool Covered(const CalendarData& c, date::local_days day) const {
    return c.has_coverage && day >= c.from && day <= c.to;
  }

  std::string CoverageText(const CalendarData& c) const {
    return c.has_coverage ? absl::StrCat("the coverage ", DayText(c.from),
                                         " to ", DayText(c.to))
                          : std::string("a calendar without \"coverage\"");
  }

  void ParseClosed(const Json& doc, CalendarData& c) {
    if (!doc.contains("closed")) return;
    const Json& j = doc.at("closed");
    if (!j.is_array()) {
      Error("/closed", "",
            absl::StrCat("expected an array, got ", JsonKind(j)));
      return;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string at = Child("/closed", i);
      if (!ExpectObject(j[i], at)) continue;
      static constexpr absl::string_view kKeys[] = {"date", "from", "to",
                                                    "note"};
      CheckKeys(j[i], at, kKeys);
      std::optional<date::local_days> from, to;
      if (j[i].contains("date")) {
        from = to = Day(j[i], "date", at, true);
        if (j[i].contains("from") || j[i].contains("to")) {
          Error(at, "",
                "give either \"date\" or \"from\" and \"to\", not both");
          continue;
        }
      } else {
        from = Day(j[i], "from", at, true);
        to = Day(j[i], "to", at, true);
      }
      if (!from || !to) continue;
      if (*from > *to) {
        Error(at, "",
              absl::StrCat("the range is reversed: from ", DayText(*from),
                           " to ", DayText(*to)));
        continue;
      }
      if (check_coverage && (!Covered(c, *from) || !Covered(c, *to))) {
        Error(at, "",
              absl::StrCat("closed dates ", DayText(*from), " to ",
                           DayText(*to), " lie outside ", CoverageText(c)));
        continue;
      }
      c.closed.push_back(
          {*from, *to, String(j[i], "note", at, false).value_or("")});
    }
  }

  void ParseExtra(const Json& doc, CalendarData& c) {
    if (!doc.contains("extra")) return;
    const Json& j = doc.at("extra");
    if (!j.is_array()) {
      Error("/extra", "", absl::StrCat("expected an array, got ", JsonKind(j)));
      return;
    }
    absl::flat_hash_map<int64_t, size_t> seen;
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string at = Child("/extra", i);
      if (!ExpectObject(j[i], at)) continue;
      static constexpr absl::string_view kKeys[] = {"date", "hours", "like",
                                                    "note"};
      CheckKeys(j[i], at, kKeys);
      std::optional<date::local_days> day = Day(j[i], "date", at, true);
      if (!day) continue;
      if (check_coverage && !Covered(c, *day)) {
        Error(Child(at, "date"), "",
              absl::StrCat("extra workday ", DayText(*day), " lies outside ",
                           CoverageText(c)));
        continue;
      }
      auto [it, inserted] = seen.emplace(day->time_since_epoch().count(), i);
      if (!inserted) {
        Error(Child(at, "date"), "",
              absl::StrCat(DayText(*day),
                           " is already an extra workday at /extra/",
                           it->second));
        continue;
      }
      for (size_t k = 0; k < c.closed.size(); ++k) {
        if (*day >= c.closed[k].from && *day <= c.closed[k].to) {
          Error(Child(at, "date"), "",
                absl::StrCat(DayText(*day), " is both closed (/closed/", k,
                             ") and an extra workday"));
        }
      }
      ExtraWorkday extra{.day = *day,
                         .note = String(j[i], "note", at, false).value_or("")};
      if (j[i].contains("hours") && j[i].contains("like")) {
        Error(at, "", "give either \"hours\" or \"like\", not both");
        continue;
      }
      if (j[i].contains("hours")) {
        std::optional<std::vector<OpenHours>> hours =
            Hours(j[i].at("hours"), Child(at, "hours"));
        if (!hours) continue;
        extra.hours = *std::move(hours);
      } else if (std::optional<std::string> like =
                     String(j[i], "like", at, false)) {
        const auto* found =
            std::find(std::begin(kDayKeys), std::end(kDayKeys), *like);
        if (found == std::end(kDayKeys)) {
          Error(Child(at, "like"), "",
                absl::StrCat("unknown day ", Quoted(*like),
                             Suggestion(*like, kDayKeys)));
          continue;
        }
        extra.hours =
            c.weekly[static_cast<size_t>(found - std::begin(kDayKeys))];
      } else {
        // The hours of the nearest earlier weekday that has any (a Saturday
        // make-up day works Friday's hours).
        const int wd = WeekdayIndex(*day);
        for (int back = 0; back < 7 && extra.hours.empty(); ++back) {
          extra.hours = c.weekly[static_cast<size_t>((wd - back + 7) % 7)];
        }
      }
      if (extra.hours.empty()) {
        Error(at, "",
              absl::StrCat("extra workday ", DayText(*day),
                           " has no hours: give \"hours\" or \"like\""));
        continue;
      }
      c.extra.push_back(std::move(extra));
    }
    std::sort(c.extra.begin(), c.extra.end(),
              [](const ExtraWorkday& a, const ExtraWorkday& b) {
                return a.day < b.day;
              });
  }
};

// The document part of a calendar (what its canonical JSON holds), without
// the table: what a document that extends it starts from.
void CopyDocument(const CalendarData& from, CalendarData& to) {
  to.name = from.name;
  to.description = from.description;
  to.time_zone = from.time_zone;
  to.zone = from.zone;
  to.weekly = from.weekly;
  to.has_coverage = from.has_coverage;
  to.from = from.from;
  to.to = from.to;
  to.outside = from.outside;
  to.closed = from.closed;
  to.extra = from.extra;
}

// Takes the days [from, to] out of c's dated entries: a closed range that
// crosses an edge is cut there (its pieces keep the note), extra workdays on
// those days go.
void RemoveDays(CalendarData& c, date::local_days from, date::local_days to) {
  std::vector<ClosedDates> kept;
  for (ClosedDates& d : c.closed) {
    if (d.to < from || d.from > to) {
      kept.push_back(std::move(d));
      continue;
    }
    if (d.from < from) kept.push_back({d.from, from - date::days(1), d.note});
    if (d.to > to) kept.push_back({to + date::days(1), d.to, d.note});
  }
  c.closed = std::move(kept);
  std::erase_if(c.extra, [&](const ExtraWorkday& e) {
    return e.day >= from && e.day <= to;
  });
}

// Lays a document's own dated entries (`own`) over those inherited from its
// base (already in c). With its own coverage, the document speaks for every
// day of that range; without, for the days of its entries alone.
void MergeEntries(CalendarData& c, CalendarData own,
                  const std::optional<CoverageRange>& own_range) {
  if (own_range) {
    RemoveDays(c, own_range->from, own_range->to);
  } else {
    for (const ClosedDates& d : own.closed) RemoveDays(c, d.from, d.to);
    for (const ExtraWorkday& e : own.extra) RemoveDays(c, e.day, e.day);
  }
  for (ClosedDates& d : own.closed) c.closed.push_back(std::move(d));
  for (ExtraWorkday& e : own.extra) c.extra.push_back(std::move(e));
  std::stable_sort(c.closed.begin(), c.closed.end(),
                   [](const ClosedDates& a, const ClosedDates& b) {
                     return a.from < b.from;
                   });
  std::stable_sort(c.extra.begin(), c.extra.end(),
                   [](const ExtraWorkday& a, const ExtraWorkday& b) {
                     return a.day < b.day;
                   });
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t FromLocalSeconds(const CalendarData& c, date::local_seconds local) {
  const int64_t guess = local.time_since_epoch().count() - c.fixed_offset;
  // A day away from the fixed span's ends, no transition can make the local
  // time skipped or repeated.
  if (guess >= c.fixed_from + kDay && guess < c.fixed_to - kDay) return guess;
  // Skipped local times take the offset before the transition, which moves them
  // forward by the gap; repeated ones take the first (earlier) instant.
  return c.zone.FromLocal(local.time_since_epoch().count());
}

int64_t ToLocalSeconds(const CalendarData& c, int64_t t) {
  if (t >= c.fixed_from && t < c.fixed_to) return t + c.fixed_offset;
  return c.zone.ToLocal(t);
}

// The span around the coverage (or 2025) where the zone keeps one offset.
void FindFixedOffset(CalendarData& c) {
  const date::local_days probe =
      c.has_coverage ? c.from + (c.to - c.from) / 2
                     : date::local_days(date::year{2025} / 1 / 1);
  const TimeZone::Span span =
      c.zone.SpanAt(probe.time_since_epoch() / std::chrono::seconds(1));
  c.fixed_offset = span.offset;
  c.fixed_from = span.begin;
  c.fixed_to = span.end;
}

// True when local time `local` does not exist (a spring-forward gap skips it).
bool Skipped(const CalendarData& c, date::local_seconds local) {
  const int64_t guess = local.time_since_epoch().count() - c.fixed_offset;
  if (guess >= c.fixed_from + kDay && guess < c.fixed_to - kDay) return false;
  return c.zone.Skipped(local.time_since_epoch().count());
}

// Appends day `day`'s open intervals (UTC seconds) to starts/ends.
void AppendDay(const CalendarData& c, date::local_days day,
               const std::vector<OpenHours>& hours,
               std::vector<int64_t>& starts, std::vector<int64_t>& ends) {
  for (const OpenHours& h : hours) {
    // An interval wholly inside a skipped hour has no open time that day (both
    // its ends would otherwise move forward by the gap and keep their length).
    if (Skipped(c, day + h.open) && Skipped(c, day + h.close)) continue;
    int64_t s = FromLocalSeconds(c, day + h.open);
    const int64_t e = FromLocalSeconds(c, day + h.close);
    if (!ends.empty()) s = std::max(s, ends.back());
    if (e <= s) continue;
    starts.push_back(s);
    ends.push_back(e);
  }
}

void BuildTable(CalendarData& c) {
  FindFixedOffset(c);
  if (!c.has_coverage) return;
  const int64_t days = (c.to - c.from).count() + 1;
  std::vector<const std::vector<OpenHours>*> hours(static_cast<size_t>(days));
  for (int64_t i = 0; i < days; ++i) {
    hours[static_cast<size_t>(i)] =
        &c.weekly[static_cast<size_t>(WeekdayIndex(c.from + date::days(i)))];
  }
  static const std::vector<OpenHours> kNone;
  for (const ClosedDates& closed : c.closed) {
    for (auto d = closed.from; d <= closed.to; d += date::days(1)) {
      hours[static_cast<size_t>((d - c.from).count())] = &kNone;
    }
  }
  for (const ExtraWorkday& extra : c.extra) {
    hours[static_cast<size_t>((extra.day - c.from).count())] = &extra.hours;
  }
  c.day_first.reserve(static_cast<size_t>(days) + 1);
  for (int64_t i = 0; i < days; ++i) {
    c.day_first.push_back(static_cast<int32_t>(c.starts.size()));
    AppendDay(c, c.from + date::days(i), *hours[static_cast<size_t>(i)],
              c.starts, c.ends);
  }
  c.day_first.push_back(static_cast<int32_t>(c.starts.size()));
  c.cum.assign(c.starts.size() + 1, 0);
  for (size_t k = 0; k < c.starts.size(); ++k) {
    c.cum[k + 1] = c.cum[k] + (c.ends[k] - c.starts[k]);
  }
  c.table_begin = FromLocalSeconds(c, date::local_seconds(c.from));
  c.table_end = FromLocalSeconds(c, date::local_seconds(c.to + date::days(1)));
  c.utc_day_base = FloorDiv(c.table_begin, kDay);
  const int64_t last_day = FloorDiv(c.table_end, kDay);
  size_t k = 0;
  for (int64_t u = c.utc_day_base; u <= last_day + 1; ++u) {
    while (k < c.ends.size() && c.ends[k] <= u * kDay) ++k;
    c.utc_day_first.push_back(static_cast<int32_t>(k));
  }
}

OrderedJson HoursJson(const std::vector<OpenHours>& hours) {
  OrderedJson out = OrderedJson::array();
  for (const OpenHours& h : hours) {
    out.push_back(OrderedJson::array({TimeText(h.open), TimeText(h.close)}));
  }
  return out;
}

std::string ToCanonicalJson(const CalendarData& c) {
  OrderedJson doc = OrderedJson::object();
  doc["format"] = kFormat;
  doc["name"] = c.name;
  doc["description"] = c.description;
  doc["time_zone"] = c.time_zone;
  OrderedJson weekly = OrderedJson::object();
  for (size_t d = 0; d < 7; ++d)
    weekly[std::string(kDayKeys[d])] = HoursJson(c.weekly[d]);
  doc["weekly"] = weekly;
  if (c.has_coverage) {
    doc["coverage"] = {
        {"from", DayText(c.from)},
        {"to", DayText(c.to)},
        {"outside", OutsideName(c.outside)}};
  }
  OrderedJson closed = OrderedJson::array();
  for (const ClosedDates& d : c.closed) {
    OrderedJson entry = {{"from", DayText(d.from)}, {"to", DayText(d.to)}};
    if (!d.note.empty()) entry["note"] = d.note;
    closed.push_back(entry);
  }
  doc["closed"] = closed;
  OrderedJson extra = OrderedJson::array();
  for (const ExtraWorkday& e : c.extra) {
    OrderedJson entry = {{"date", DayText(e.day)},
                         {"hours", HoursJson(e.hours)}};
    if (!e.note.empty()) entry["note"] = e.note;
    extra.push_back(entry);
  }
  doc["extra"] = extra;
  return doc.dump(2) + "\n";
}

}  // namespace

// The calendar's operations over its table and, outside it, its weekly hours.
class Engine {
 public:
  // `estimated`, when given, is set when an operation reads the weekly hours of
  // a day outside the coverage under "outside": "estimate".
  explicit Engine(const CalendarData& c, bool* estimated = nullptr)
      : c_(c), estimated_(estimated) {}

  bool InTable(int64_t t) const {
    return t >= c_.table_begin && t < c_.table_end;
  }

  // The first interval that ends after t (t in the table): a lookup by UTC day,
  // then a step over the day's few intervals.
  size_t FirstEndAfter(int64_t t) const {
    size_t k = static_cast<size_t>(c_.utc_day_first[static_cast<size_t>(
        FloorDiv(t, kDay) - c_.utc_day_base)]);
    while (k < c_.ends.size() && c_.ends[k] <= t) ++k;
    return k;
  }

  // The first interval k >= from whose cumulative end cum[k + 1] reaches target
  // (target <= cum.back()): galloping from `from`, since targets lie mostly
  // near their start.
  size_t IntervalReaching(size_t from, int64_t target) const {
    const size_t n = c_.ends.size();
    size_t step = 1;
    size_t low = from;  // cum[low + 1] may still fall short
    while (from + step < n && c_.cum[from + step + 1] < target) {
      low = from + step;
      step *= 2;
    }
    const size_t high = std::min(from + step, n - 1);
    return static_cast<size_t>(
               std::lower_bound(
                   c_.cum.begin() + static_cast<std::ptrdiff_t>(low) + 1,
                   c_.cum.begin() + static_cast<std::ptrdiff_t>(high) + 2,
                   target) -
               c_.cum.begin()) -
           1;
  }

  date::local_days LocalDay(int64_t t) const {
    return date::floor<date::days>(
        date::local_seconds(seconds(ToLocalSeconds(c_, t))));
  }

  absl::Status OutOfRange(int64_t t) const {
    return OutOfRangeDay(LocalDay(t));
  }

  absl::Status OutOfRangeDay(date::local_days day) const {
    return absl::OutOfRangeError(absl::StrCat(
        DayText(day), " is outside the dates calendar \"", c_.name,
        "\" covers (",
        c_.has_coverage ? absl::StrCat(DayText(c_.from), " to ", DayText(c_.to))
                        : std::string("none"),
        "; coverage.outside is \"error\")"));
  }

  // Calls fn(start, end) for every open interval in time order, from the local
  // day of t on, until fn returns false.
  absl::Status ForEachInterval(
      int64_t t, const std::function<bool(int64_t, int64_t)>& fn) const {
    std::vector<int64_t> starts, ends;
    int closed_run = 0;
    for (date::local_days day = LocalDay(t);; day += date::days(1)) {
      const bool covered = c_.has_coverage && day >= c_.from && day <= c_.to;
      if (covered) {
        const auto i = static_cast<size_t>((day - c_.from).count());
        const int32_t first = c_.day_first[i];
        const int32_t last = c_.day_first[i + 1];
        for (int32_t k = first; k < last; ++k) {
          if (!fn(c_.starts[static_cast<size_t>(k)],
                  c_.ends[static_cast<size_t>(k)])) {
            return absl::OkStatus();
          }
        }
        closed_run = first == last ? closed_run + 1 : 0;
      } else if (c_.outside == OutsideCoverage::kError) {
        return OutOfRangeDay(day);
      } else {
        MarkEstimated();
        starts.clear();
        ends.clear();
        AppendDay(c_, day, c_.weekly[static_cast<size_t>(WeekdayIndex(day))],
                  starts, ends);
        for (size_t k = 0; k < starts.size(); ++k) {
          if (!fn(starts[k], ends[k])) return absl::OkStatus();
        }
        closed_run = starts.empty() ? closed_run + 1 : 0;
      }
      if (closed_run > kMaxClosedDays) {
        return absl::FailedPreconditionError(absl::StrCat(
            "calendar \"", c_.name, "\" has no open time for ", kMaxClosedDays,
            " days after ", DayText(day - date::days(kMaxClosedDays))));
      }
    }
  }

  absl::StatusOr<bool> IsOpen(int64_t t) const {
    if (InTable(t)) {
      const size_t k = FirstEndAfter(t);
      return k < c_.ends.size() && c_.starts[k] <= t;
    }
    bool open = false;
    LEADKIT_RETURN_IF_ERROR(ForEachInterval(t, [&](int64_t s, int64_t e) {
      if (e <= t) return true;
      open = s <= t;
      return false;
    }));
    return open;
  }

  absl::StatusOr<int64_t> NextOpen(int64_t t) const {
    if (InTable(t)) {
      const size_t k = FirstEndAfter(t);
      if (k < c_.ends.size()) return std::max(t, c_.starts[k]);
    }
    int64_t result = 0;
    LEADKIT_RETURN_IF_ERROR(ForEachInterval(t, [&](int64_t s, int64_t e) {
      if (e <= t) return true;
      result = std::max(s, t);
      return false;
    }));
    return result;
  }

  // Walks open time from t (which may be closed) until `remaining` seconds have
  // passed.
  absl::StatusOr<int64_t> Walk(int64_t t, int64_t remaining) const {
    int64_t result = 0;
    LEADKIT_RETURN_IF_ERROR(ForEachInterval(t, [&](int64_t s, int64_t e) {
      if (e <= t) return true;
      s = std::max(s, t);
      if (remaining <= e - s) {
        result = s + remaining;
        return false;
      }
      remaining -= e - s;
      return true;
    }));
    return result;
  }

  absl::StatusOr<int64_t> AddBusiness(int64_t t, int64_t d) const {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("add_business: negative duration ", d, " s"));
    }
    if (d == 0) return t;
    if (InTable(t)) {
      const size_t k = FirstEndAfter(t);
      if (k < c_.ends.size()) {
        const int64_t s = std::max(t, c_.starts[k]);
        const int64_t target = c_.cum[k] + (s - c_.starts[k]) + d;
        if (target <= c_.cum.back()) {
          // The first interval whose end reaches the target: a duration used up
          // at a closing time ends there.
          const size_t j = IntervalReaching(k, target);
          return c_.starts[j] + (target - c_.cum[j]);
        }
        return Walk(c_.table_end, target - c_.cum.back());
      }
      return Walk(c_.table_end, d);
    }
    return Walk(t, d);
  }

  // Open seconds before x, for x in [table_begin, table_end].
  int64_t Cumulative(int64_t x) const {
    if (x >= c_.table_end) return c_.cum.back();
    const size_t k = FirstEndAfter(x);
    if (k == c_.ends.size()) return c_.cum.back();
    return c_.cum[k] + std::max<int64_t>(0, x - c_.starts[k]);
  }

  absl::StatusOr<int64_t> BusinessBetween(int64_t a, int64_t b) const {
    if (b < a) {
      LEADKIT_ASSIGN_OR_RETURN(int64_t back, BusinessBetween(b, a));
      return -back;
    }
    if (a == b) return 0;
    const bool a_in = a >= c_.table_begin && a <= c_.table_end;
    const bool b_in = b >= c_.table_begin && b <= c_.table_end;
    if (a_in && b_in && c_.has_coverage) return Cumulative(b) - Cumulative(a);
    int64_t total = 0;
    LEADKIT_RETURN_IF_ERROR(ForEachInterval(a, [&](int64_t s, int64_t e) {
      if (s >= b) return false;
      total += std::max<int64_t>(0, std::min(e, b) - std::max(s, a));
      return true;
    }));
    return total;
  }

  absl::StatusOr<bool> IsWorkday(date::local_days day) const {
    if (c_.has_coverage && day >= c_.from && day <= c_.to) {
      const auto i = static_cast<size_t>((day - c_.from).count());
      return c_.day_first[i + 1] > c_.day_first[i];
    }
    if (c_.outside == OutsideCoverage::kError) return OutOfRangeDay(day);
    MarkEstimated();
    std::vector<int64_t> starts, ends;
    AppendDay(c_, day, c_.weekly[static_cast<size_t>(WeekdayIndex(day))],
              starts, ends);
    return !starts.empty();
  }

 private:
  // A day outside the coverage was read with its weekly hours.
  void MarkEstimated() const {
    if (estimated_ != nullptr && c_.outside == OutsideCoverage::kEstimate &&
        c_.has_coverage) {
      *estimated_ = true;
    }
  }

  const CalendarData& c_;
  bool* estimated_;
};

}  // namespace calendar_internal

using calendar_internal::Engine;

absl::StatusOr<CalendarLoad> Calendar::FromJson(absl::string_view text) {
  return FromJson(text, CalendarLoadOptions{});
}

std::vector<std::string> Calendar::FileReferences(absl::string_view text) {
  std::vector<std::string> refs;
  const nlohmann::json doc = json_internal::ParseOrNull(text);
  if (!doc.is_object() || !doc.contains("extends")) return refs;
  const nlohmann::json& extends = doc.at("extends");
  if (extends.is_object() && extends.contains("file") &&
      extends.at("file").is_string()) {
    refs.push_back(extends.at("file").get<std::string>());
  }
  return refs;
}

absl::StatusOr<CalendarLoad> Calendar::FromJson(
    absl::string_view text, const CalendarLoadOptions& options) {
  using calendar_internal::Json;
  CalendarLoad load;
  LEADKIT_ASSIGN_OR_RETURN(
      std::optional<Json> parsed,
      json_internal::ParseDocument(text, "calendar", load.issues_));
  if (!parsed) return load;
  const Json& doc = *parsed;
  calendar_internal::Loader loader(load.issues_);
  if (!loader.ExpectObject(doc, "")) return load;
  static constexpr absl::string_view kKeys[] = {
      "format", "extends",  "name",   "description", "time_zone",
      "weekly", "coverage", "closed", "extra"};
  loader.CheckKeys(doc, "", kKeys);
  auto data = std::make_shared<CalendarData>();
  // A document that extends another starts from the base's (flattened)
  // document and lays its own keys over it (docs/calendars.md, "Extending a
  // calendar").
  const bool extends = doc.contains("extends");
  std::optional<Calendar> base;
  if (extends) base = loader.ParseExtends(doc.at("extends"), options);
  if (base) calendar_internal::CopyDocument(*base->data_, *data);
  const bool base_unknown = extends && !base;
  const std::optional<CoverageRange> base_range =
      base ? base->coverage() : std::nullopt;
  loader.Int(doc, "format", "", calendar_internal::kFormat,
             calendar_internal::kFormat, calendar_internal::kFormat);
  if (std::optional<std::string> name = loader.String(doc, "name", "", false)) {
    data->name = *name;
  }
  if (std::optional<std::string> description =
          loader.String(doc, "description", "", false)) {
    data->description = *description;
  }
  if (std::optional<std::string> zone =
          loader.String(doc, "time_zone", "", !extends)) {
    absl::StatusOr<TimeZone> found = FindZone(*zone);
    if (found.ok()) {
      data->time_zone = *zone;
      data->zone = *found;
    } else {
      loader.Error("/time_zone", "", std::string(found.status().message()));
      load.unknown_zone_ = true;
    }
  }
  loader.ParseWeekly(doc, *data, /*required=*/!extends);
  const calendar_internal::Loader::OwnCoverage own =
      loader.ParseCoverage(doc);
  if (own.range && base_range) {
    // The two ranges must meet or overlap: the days between would be covered
    // by neither.
    const date::local_days gap_from = base_range->to + date::days(1);
    const date::local_days gap_to = base_range->from - date::days(1);
    const auto range_text = [](date::local_days a, date::local_days b) {
      return absl::StrCat(calendar_internal::DayText(a), " to ",
                          calendar_internal::DayText(b));
    };
    std::optional<std::string> uncovered;
    if (own.range->from > gap_from) {
      uncovered = range_text(gap_from, own.range->from - date::days(1));
    } else if (own.range->to < gap_to) {
      uncovered = range_text(own.range->to + date::days(1), gap_to);
    }
    if (uncovered) {
      loader.Error(
          "/coverage", "",
          absl::StrCat("the coverage ",
                       range_text(own.range->from, own.range->to),
                       " does not meet the base calendar's coverage ",
                       range_text(base_range->from, base_range->to), ": ",
                       *uncovered,
                       " would be covered by neither (extend this coverage "
                       "to meet the base's)"));
    } else {
      loader.WithinYearLimit(std::min(own.range->from, base_range->from),
                             std::max(own.range->to, base_range->to),
                             "/coverage");
    }
  }
  // The document's own dated entries lie inside its own coverage, or, without
  // one, inside the base's; an extra workday without hours takes them from the
  // weekly hours as merged above.
  CalendarData entries;
  entries.weekly = data->weekly;
  if (const std::optional<CoverageRange> range = own.range ? own.range
                                                           : base_range) {
    entries.has_coverage = true;
    entries.from = range->from;
    entries.to = range->to;
  }
  // When that range is unknown (an extends that did not resolve, an own
  // coverage with errors), entries are not checked against a wrong one.
  loader.check_coverage =
      own.range || !(base_unknown || (extends && doc.contains("coverage")));
  loader.ParseClosed(doc, entries);
  loader.ParseExtra(doc, entries);
  if (base) {
    calendar_internal::MergeEntries(*data, std::move(entries), own.range);
  } else {
    data->closed = std::move(entries.closed);
    data->extra = std::move(entries.extra);
  }
  if (own.range) {
    data->from = base_range ? std::min(own.range->from, base_range->from)
                            : own.range->from;
    data->to =
        base_range ? std::max(own.range->to, base_range->to) : own.range->to;
    data->has_coverage = true;
    // Without an "outside" of its own, a document keeps its base's, or the
    // default ("error") when the base had no coverage.
    if (!base_range) data->outside = OutsideCoverage::kError;
  }
  if (own.outside) data->outside = *own.outside;
  // Without a table of dates, the weekly hours hold on every day.
  if (!data->has_coverage) data->outside = OutsideCoverage::kWeekly;
  const bool any_hours = std::any_of(data->weekly.begin(), data->weekly.end(),
                                     [](const auto& h) { return !h.empty(); });
  const bool weekly_errors = std::any_of(
      load.issues_.begin(), load.issues_.end(),
      [](const Issue& i) { return i.path.rfind("/weekly", 0) == 0; });
  if (!any_hours && !weekly_errors && !base_unknown &&
      (!data->has_coverage || data->outside != OutsideCoverage::kError)) {
    loader.Error(
        "/weekly", "",
        "no weekly opening hours: the calendar would never open outside its "
        "covered dates");
  }
  if (load.has_errors()) return load;
  calendar_internal::BuildTable(*data);
  data->canonical_json = calendar_internal::ToCanonicalJson(*data);
  load.data_ = std::move(data);
  return load;
}

absl::StatusOr<Calendar> CalendarLoad::calendar() const {
  if (data_ != nullptr) return Calendar(data_);
  if (unknown_zone_) {
    for (const Issue& issue : issues_) {
      if (issue.path == "/time_zone") {
        return absl::NotFoundError(absl::StrCat("calendar: ", issue.message));
      }
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("calendar has ", SummarizeErrors(issues_)));
}

absl::StatusOr<Calendar> Calendar::Preset(absl::string_view name) {
  // Presets are loaded once and shared: their tables cover years of days.
  // The lock is not held while a preset loads: a document that extends a
  // preset loads it from inside FromJson.
  static std::mutex mu;
  static auto* cache = new std::map<std::string, Calendar, std::less<>>();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache->find(name); it != cache->end()) return it->second;
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const char* text,
      policy_internal::FindPreset(policy_internal::CalendarPresetDocuments(),
                                  name, "calendar preset"));
  LEADKIT_ASSIGN_OR_RETURN(CalendarLoad load, FromJson(text));
  LEADKIT_ASSIGN_OR_RETURN(Calendar calendar, load.calendar());
  std::lock_guard<std::mutex> lock(mu);
  // A thread that loaded the same preset meanwhile keeps its copy.
  return cache->try_emplace(std::string(name), calendar).first->second;
}

std::vector<std::string> Calendar::PresetNames() {
  return policy_internal::PresetNames(
      policy_internal::CalendarPresetDocuments());
}

std::string Calendar::ToJson() const { return data_->canonical_json; }
const std::string& Calendar::name() const { return data_->name; }
const std::string& Calendar::time_zone() const { return data_->time_zone; }
const std::array<std::vector<OpenHours>, 7>& Calendar::weekly() const {
  return data_->weekly;
}
std::span<const ClosedDates> Calendar::closed() const { return data_->closed; }
std::span<const ExtraWorkday> Calendar::extra() const { return data_->extra; }
bool Calendar::has_coverage() const { return data_->has_coverage; }
date::local_days Calendar::coverage_from() const { return data_->from; }
date::local_days Calendar::coverage_to() const { return data_->to; }
std::optional<CoverageRange> Calendar::coverage() const {
  if (!data_->has_coverage) return std::nullopt;
  return CoverageRange{.from = data_->from, .to = data_->to};
}
OutsideCoverage Calendar::outside() const { return data_->outside; }

bool Calendar::operator==(const Calendar& other) const {
  return data_ == other.data_ ||
         data_->canonical_json == other.data_->canonical_json;
}

absl::StatusOr<bool> Calendar::IsOpen(Instant t, bool* estimated) const {
  return Engine(*data_, estimated).IsOpen(t.time_since_epoch().count());
}

absl::StatusOr<Instant> Calendar::NextOpen(Instant t, bool* estimated) const {
  LEADKIT_ASSIGN_OR_RETURN(
      int64_t s,
      Engine(*data_, estimated).NextOpen(t.time_since_epoch().count()));
  return Instant(std::chrono::seconds(s));
}

absl::StatusOr<Instant> Calendar::RollToOpen(Instant t,
                                             bool* estimated) const {
  return NextOpen(t, estimated);
}

absl::StatusOr<bool> Calendar::IsWorkday(date::local_days day,
                                          bool* estimated) const {
  return Engine(*data_, estimated).IsWorkday(day);
}

absl::StatusOr<Instant> Calendar::AddBusiness(Instant t, std::chrono::seconds d,
                                              bool* estimated) const {
  LEADKIT_ASSIGN_OR_RETURN(
      int64_t s,
      Engine(*data_, estimated)
          .AddBusiness(t.time_since_epoch().count(), d.count()));
  return Instant(std::chrono::seconds(s));
}

absl::StatusOr<std::chrono::seconds> Calendar::BusinessBetween(
    Instant a, Instant b, bool* estimated) const {
  LEADKIT_ASSIGN_OR_RETURN(
      int64_t s,
      Engine(*data_, estimated)
          .BusinessBetween(a.time_since_epoch().count(),
                           b.time_since_epoch().count()));
  return std::chrono::seconds(s);
}

date::local_seconds Calendar::ToLocal(Instant t) const {
  return date::local_seconds(std::chrono::seconds(
      calendar_internal::ToLocalSeconds(*data_, t.time_since_epoch().count())));
}

Instant Calendar::FromLocal(date::local_seconds local) const {
  return Instant(
      std::chrono::seconds(calendar_internal::FromLocalSeconds(*data_, local)));
}

namespace {

// date's civil arithmetic is exact for years 1 to 9999; beyond that leadkit
// refuses.
absl::Status CheckYear(date::year y, absl::string_view what) {
  if (y < date::year{1} || y > date::year{9999}) {
    return absl::OutOfRangeError(
        absl::StrCat(what, ": the result falls outside the years 1 to 9999"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Instant> Calendar::AddDays(Instant t, int n) const {
  const date::local_seconds local = ToLocal(t);
  const date::local_days day = date::floor<date::days>(local);
  const date::local_days moved = day + date::days(n);
  // The years' bounds as days: no calendar arithmetic per call.
  static constexpr date::local_days kFirst{date::year{1} / 1 / 1};
  static constexpr date::local_days kLast{date::year{9999} / 12 / 31};
  if (moved < kFirst || moved > kLast) {
    return CheckYear(date::year_month_day{moved}.year(), "add_days");
  }
  return FromLocal(moved + (local - day));
}

absl::StatusOr<Instant> Calendar::AddMonths(Instant t, int n) const {
  const date::local_seconds local = ToLocal(t);
  const date::local_days day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::year_month ym =
      date::year_month{ymd.year(), ymd.month()} + date::months(n);
  LEADKIT_RETURN_IF_ERROR(CheckYear(ym.year(), "add_months"));
  const date::day last = date::year_month_day_last{
      ym.year(),
      date::month_day_last{
          ym.month()}}.day();
  const date::local_days moved{ym / std::min(ymd.day(), last)};
  return FromLocal(moved + (local - day));
}

}  // namespace leadkit
