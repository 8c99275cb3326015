// A batch of leads and their touches, read once for the cadence and the KPIs:
// columns checked, dictionaries resolved, each lead's facts built and its
// touches grouped and ordered. Not part of the API.
#ifndef LEADKIT_SRC_LEAD_BATCH_H_
#define LEADKIT_SRC_LEAD_BATCH_H_

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit::cadence_internal {

// Reports a bad row: returns an error to stop, or OK to leave the row out and
// go on.
using Reject =
    std::function<absl::Status(absl::string_view table, int64_t row,
                               absl::string_view column, std::string message)>;

struct LeadBatch {
  const Column* ids = nullptr;      // leads.lead_id
  const Column* entered = nullptr;  // leads.entered_at, when present
  std::vector<LeadFacts> facts;     // per lead row
  std::vector<uint8_t>
      rejected;  // per lead row: left out (bad, or out of scope)
  std::vector<TouchFacts> touches;  // grouped by lead
  std::vector<int64_t> offsets;     // lead r's touches start at offsets[r] ...
  std::vector<int64_t> touch_end;  // ... and its usable ones (ordered, from its
                                   // creation to as_of) end at touch_end[r]
  absl::flat_hash_map<absl::string_view, int64_t> row_of;  // lead_id -> row

  std::span<const TouchFacts> TouchesOf(int64_t row) const {
    const auto r = static_cast<size_t>(row);
    return {touches.data() + offsets[r],
            static_cast<size_t>(touch_end[r] - offsets[r])};
  }
};

// The lead row of each row of another table's lead_id column (not null), -1
// for an id not in the batch.
class LeadRows {
 public:
  LeadRows(const LeadBatch& batch, const Column& ids);
  int64_t operator()(int64_t row) const;

 private:
  const LeadBatch& batch_;
  const Column& ids_;
  std::vector<int64_t> of_code_;  // per dictionary code, for code columns
};

// Reads `leads` (lead_id, created_at and the optional columns of docs/data.md)
// and `touches` (lead_id, at, method, grade_after). Rows with a zero in
// `include` (when given) are left out without a word, and so are their touches.
absl::StatusOr<LeadBatch> ReadLeadBatch(const Policy& policy,
                                        const Columns& leads,
                                        const Columns& touches, Instant as_of,
                                        const Reject& reject,
                                        std::span<const uint8_t> include = {});

}  // namespace leadkit::cadence_internal

#endif  // LEADKIT_SRC_LEAD_BATCH_H_
