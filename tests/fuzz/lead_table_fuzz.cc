// LeadTable::FromJson over arbitrary text. A table that loads must classify
// under every preset with batch and single-lead answers that agree, and must
// schedule under the presets' cadence with each bad row a row error.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace {

using fuzz_internal::Preset;
using fuzz_internal::Presets;

// Rows explained one by one: enough to reach every rule, few enough to keep
// an input quick.
constexpr int64_t kExplainedRows = 8;

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadkit;  // NOLINT: a fuzz entry point, not a header
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(text);
  LEADKIT_FUZZ_CHECK_CLEAN(table.status());
  if (!table.ok()) return 0;
  const Columns& leads = table->columns();
  const auto n = static_cast<size_t>(leads.num_rows());
  for (const auto& [name, column] : leads.columns()) {
    LEADKIT_FUZZ_CHECK(column.size() == leads.num_rows());
  }
  const Columns touches(0);
  const Instant as_of{std::chrono::seconds(1741500000)};  // 2025-03-09
  for (const Preset& preset : Presets()) {
    std::vector<int32_t> grades(n, -1);
    std::vector<int32_t> rules(n, -1);
    const absl::Status batch = ClassifyBatch(preset.policy, leads, grades, rules);
    LEADKIT_FUZZ_CHECK_CLEAN(batch);
    for (int64_t row = 0; batch.ok() && row < leads.num_rows() &&
                          row < kExplainedRows;
         ++row) {
      absl::StatusOr<Explanation> why = Explain(preset.policy, leads, row);
      LEADKIT_FUZZ_CHECK(why.ok());
      LEADKIT_FUZZ_CHECK(why->grade == grades[static_cast<size_t>(row)]);
      LEADKIT_FUZZ_CHECK(why->rule == rules[static_cast<size_t>(row)]);
    }
    absl::StatusOr<ScheduleResult> schedule = preset.cadence.Schedule(
        leads, touches, as_of, ScheduleOptions{.collect_errors = true});
    LEADKIT_FUZZ_CHECK_CLEAN(schedule.status());
    if (schedule.ok()) {
      LEADKIT_FUZZ_CHECK(schedule->grades.size() == n);
      for (const RowError& error : schedule->errors) {
        LEADKIT_FUZZ_CHECK(!error.message.empty());
      }
    }
    // Without collect_errors the first bad row is the error.
    LEADKIT_FUZZ_CHECK_CLEAN(
        preset.cadence.Schedule(leads, touches, as_of).status());
  }
  return 0;
}
