// Time zones from a tz database (the IANA zone files, TZif), read through
// Abseil's time zone library. This is the one place that finds and loads them.
//
// Where zones are read from, the first that applies:
//   1. the directory set with SetTimeZoneDirectory (lk_set_tz_dir in C,
//      leadkit.set_tz_dir in Python) — then only there;
//   2. the directory named by the TZDIR environment variable;
//   3. the system's database: /usr/share/zoneinfo (Debian's tzdata),
//      /usr/lib/zoneinfo, /usr/share/lib/zoneinfo, /etc/zoneinfo;
//   4. the fallback directory set with SetFallbackTimeZoneDirectory (the
//      Python package sets the `tzdata` package's copy).
// "UTC" and "Etc/UTC" are known without any database.
//
// Example:
//   absl::StatusOr<TimeZone> zone = FindZone("Asia/Shanghai");
//   zone->ToLocal(1718186400);  // 2024-06-12 10:00 UTC -> 18:00 local
//   FindZone("Asia/Shangai").status();  // NotFound: unknown time zone
//   "Asia/Shangai"
#ifndef LEADKIT_TZ_H_
#define LEADKIT_TZ_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace leadkit {

// One zone's rules. Cheap to copy; thread-safe. Times are seconds since
// 1970-01-01: UTC instants ("utc") or local wall times read as if they were
// UTC ("local").
class TimeZone {
 public:
  // [begin, end) of UTC seconds in which the zone keeps one offset (seconds
  // east of UTC). begin/end are INT64_MIN/INT64_MAX where the rules give no
  // change.
  struct Span {
    int64_t begin = 1;
    int64_t end = 0;
    int64_t offset = 0;
    bool Holds(int64_t utc) const { return utc >= begin && utc < end; }
  };

  TimeZone() = default;  // UTC

  // The IANA name it was found by.
  std::string name() const;
  // The span of one offset that holds `utc`.
  Span SpanAt(int64_t utc) const;
  // Seconds east of UTC at `utc`.
  int64_t OffsetAt(int64_t utc) const;
  // The local wall time of `utc`.
  int64_t ToLocal(int64_t utc) const { return utc + OffsetAt(utc); }
  // The instant of local wall time `local`. A time a spring-forward gap skips
  // takes the offset before the gap (so it moves forward by the gap); a time a
  // fall-back repeats takes the first (earlier) instant.
  int64_t FromLocal(int64_t local) const;
  // True when local wall time `local` does not exist (a gap skips it).
  bool Skipped(int64_t local) const;

 private:
  friend absl::StatusOr<TimeZone> FindZone(absl::string_view name);
  TimeZone(absl::TimeZone zone, size_t name_size)
      : zone_(zone), name_size_(name_size) {}

  absl::TimeZone zone_;  // UTC, or read from <directory>/<name>
  size_t name_size_ = 0;  // the name's size: the end of the zone's path
};

// The zone called `name` (an IANA name such as "Asia/Shanghai"). NotFound
// naming it when no database holds such a zone (the message says where it
// looked when no database was found at all), or when `name` is not a zone
// name ("../x", "/etc/passwd", "").
absl::StatusOr<TimeZone> FindZone(absl::string_view name);

// Reads zones from `directory` only (a tz database: one TZif file per zone
// name). InvalidArgument naming it when it is not a directory. An empty
// `directory` goes back to the search of the header's comment. Zones found
// before keep the rules they were read with.
absl::Status SetTimeZoneDirectory(absl::string_view directory);
// The directory searched after the system's (empty: none).
void SetFallbackTimeZoneDirectory(absl::string_view directory);
// The directory zones are read from now: the one set, else the first of the
// search that holds a database (a UTC zone file); "" when none does.
std::string TimeZoneDirectory();

}  // namespace leadkit

#endif  // LEADKIT_TZ_H_
