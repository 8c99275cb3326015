// The preset documents, compiled in from presets/ by CMake
// (cmake/LeadkitEmbed.cmake).
#ifndef LEADKIT_SRC_PRESET_DATA_H_
#define LEADKIT_SRC_PRESET_DATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace leadkit::policy_internal {

struct PresetDocument {
  const char* name;
  const char* json;
};

// The policy presets (presets/policies/*.json).
const std::vector<PresetDocument>& PresetDocuments();
// The calendar presets (presets/calendars/*.json).
const std::vector<PresetDocument>& CalendarPresetDocuments();

// The names of `documents`, in order.
std::vector<std::string> PresetNames(
    const std::vector<PresetDocument>& documents);

// The text of the document called `name`; NotFound naming it, `what` ("policy
// preset") and the known names.
absl::StatusOr<const char*> FindPreset(
    const std::vector<PresetDocument>& documents, absl::string_view name,
    absl::string_view what);

}  // namespace leadkit::policy_internal

#endif  // LEADKIT_SRC_PRESET_DATA_H_
