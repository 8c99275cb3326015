// The preset documents, compiled in from presets/ by CMake (cmake/LeadkitEmbed.cmake).
#ifndef LEADKIT_SRC_PRESET_DATA_H_
#define LEADKIT_SRC_PRESET_DATA_H_

#include <vector>

namespace leadkit::policy_internal {

struct PresetDocument {
  const char* name;
  const char* json;
};

// The policy presets (presets/policies/*.json).
const std::vector<PresetDocument>& PresetDocuments();
// The calendar presets (presets/calendars/*.json).
const std::vector<PresetDocument>& CalendarPresetDocuments();

}  // namespace leadkit::policy_internal

#endif  // LEADKIT_SRC_PRESET_DATA_H_
