// The preset policy documents, compiled in from presets/policies/*.json by CMake.
#ifndef LEADKIT_SRC_PRESET_DATA_H_
#define LEADKIT_SRC_PRESET_DATA_H_

#include <vector>

namespace leadkit::policy_internal {

struct PresetDocument {
  const char* name;
  const char* json;
};

const std::vector<PresetDocument>& PresetDocuments();

}  // namespace leadkit::policy_internal

#endif  // LEADKIT_SRC_PRESET_DATA_H_
