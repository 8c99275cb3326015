// Not part of the API: strings as dense codes, for report states that key
// their groups by numbers (activity.h). In a public header only because a
// state class holds one.
#ifndef LEADKIT_INTERNAL_DICTIONARY_H_
#define LEADKIT_INTERNAL_DICTIONARY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace leadkit::report_internal {

// Strings as dense codes, in the order first seen: a state's own dictionary
// of group key values, so that its groups are keyed by numbers while rows are
// added and turned into text only when written out. States of different
// batches number the same strings differently: merging maps one's codes to
// the other's (Codes). Copies are independent.
class Dictionary {
 public:
  // The code of `text`, added when new.
  int32_t Code(absl::string_view text);
  // The code of each string of `names` (a batch column's or another state's
  // dictionary), added when new: maps those codes to this dictionary's.
  std::vector<int32_t> Codes(std::span<const std::string> names);
  const std::string& Text(int64_t code) const {
    return texts_[static_cast<size_t>(code)];
  }
  std::span<const std::string> texts() const { return texts_; }
  size_t size() const { return texts_.size(); }

 private:
  std::vector<std::string> texts_;
  absl::flat_hash_map<std::string, int32_t> code_of_;
};

}  // namespace leadkit::report_internal

#endif  // LEADKIT_INTERNAL_DICTIONARY_H_
