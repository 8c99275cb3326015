#include "leadkit/tz.h"

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"
#include "date/tz.h"

namespace leadkit {

absl::StatusOr<const date::time_zone*> FindZone(absl::string_view name) {
  try {
    return date::locate_zone(std::string(name.data(), name.size()));
  } catch (const std::exception&) {
    return absl::NotFoundError(
        absl::StrCat("unknown time zone \"", name, "\""));
  }
}

}  // namespace leadkit
