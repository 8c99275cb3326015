// Time zones from the system tz database (Debian's tzdata), through Howard
// Hinnant's date. date's lookup throws; this is the one place that calls it.
//
// Example:
//   absl::StatusOr<const date::time_zone*> zone = FindZone("Asia/Shanghai");
//   FindZone("Asia/Shangai").status();  // NotFound: unknown time zone
//   "Asia/Shangai"
#ifndef LEADKIT_TZ_H_
#define LEADKIT_TZ_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace date {
class time_zone;
}  // namespace date

namespace leadkit {

// The zone called `name` (an IANA name). NotFound naming it when the database
// has no such zone.
absl::StatusOr<const date::time_zone*> FindZone(absl::string_view name);

}  // namespace leadkit

#endif  // LEADKIT_TZ_H_
