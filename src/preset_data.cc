#include "preset_data.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace leadkit::policy_internal {

std::vector<std::string> PresetNames(
    const std::vector<PresetDocument>& documents) {
  std::vector<std::string> names;
  for (const PresetDocument& doc : documents) names.emplace_back(doc.name);
  return names;
}

absl::StatusOr<const char*> FindPreset(
    const std::vector<PresetDocument>& documents, absl::string_view name,
    absl::string_view what) {
  for (const PresetDocument& doc : documents) {
    if (name == doc.name) return doc.json;
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown ", what, " \"", name,
      "\" (presets: ", absl::StrJoin(PresetNames(documents), ", "), ")"));
}

}  // namespace leadkit::policy_internal
