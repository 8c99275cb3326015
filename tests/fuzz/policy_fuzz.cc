// Policy::FromJson over arbitrary text. A document that loads must give a
// canonical document that loads to an equal policy with the same text, must
// classify and explain a few fixed leads with one answer, and must give a
// cadence that schedules them. Anything else must be a clean issue or error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/classify.h"
#include "leadkit/lead_json.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace {

const LeadTable& FixedLeads() {
  static const LeadTable* const leads =
      new LeadTable(*LeadTable::FromJson(fuzz_internal::kFixedLeads));
  return *leads;
}

const Columns& NoTouches() {
  static const Columns* const touches = new Columns(0);
  return *touches;
}

void CheckPolicy(const Policy& policy, const PolicyLoadOptions& options) {
  // The canonical document is a fixed point.
  const std::string canonical = policy.ToJson();
  absl::StatusOr<PolicyLoad> again = Policy::FromJson(canonical, options);
  LEADKIT_FUZZ_CHECK(again.ok());
  LEADKIT_FUZZ_CHECK(!again->has_errors());
  absl::StatusOr<Policy> reloaded = again->policy();
  LEADKIT_FUZZ_CHECK(reloaded.ok());
  LEADKIT_FUZZ_CHECK(*reloaded == policy);
  LEADKIT_FUZZ_CHECK(reloaded->ToJson() == canonical);

  // Batch and single-lead classification agree.
  const Columns& leads = FixedLeads().columns();
  const auto n = static_cast<size_t>(leads.num_rows());
  std::vector<int32_t> grades(n, -1);
  std::vector<int32_t> rules(n, -1);
  const absl::Status batch = ClassifyBatch(policy, leads, grades, rules);
  LEADKIT_FUZZ_CHECK_CLEAN(batch);
  if (batch.ok()) {
    for (size_t row = 0; row < n; ++row) {
      LEADKIT_FUZZ_CHECK(grades[row] >= 0 &&
                         static_cast<size_t>(grades[row]) <
                             policy.grades().size());
      LEADKIT_FUZZ_CHECK(rules[row] >= 0 &&
                         static_cast<size_t>(rules[row]) <
                             policy.rule_ids().size());
      absl::StatusOr<Explanation> why =
          Explain(policy, leads, static_cast<int64_t>(row));
      LEADKIT_FUZZ_CHECK(why.ok());
      LEADKIT_FUZZ_CHECK(why->grade == grades[row]);
      LEADKIT_FUZZ_CHECK(why->rule == rules[row]);
      LEADKIT_FUZZ_CHECK(!why->trace.empty());
    }
  }

  // The cadence on the policy's calendar, and the playbook's next actions.
  absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(policy);
  LEADKIT_FUZZ_CHECK_CLEAN(cadence.status());
  if (!cadence.ok()) return;
  const Instant as_of{std::chrono::seconds(1741500000)};  // 2025-03-09
  absl::StatusOr<ScheduleResult> schedule = cadence->Schedule(
      leads, NoTouches(), as_of, ScheduleOptions{.collect_errors = true});
  LEADKIT_FUZZ_CHECK_CLEAN(schedule.status());
  if (!schedule.ok()) return;
  LEADKIT_FUZZ_CHECK(schedule->grades.size() == n);
  absl::StatusOr<std::vector<int32_t>> actions =
      PlaybookRules(policy, leads, *schedule);
  LEADKIT_FUZZ_CHECK_CLEAN(actions.status());
  if (actions.ok()) {
    LEADKIT_FUZZ_CHECK(actions->size() == schedule->tasks.size());
  }
}

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadkit;  // NOLINT: a fuzz entry point, not a header
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // Every file the document names stands for a preset calendar.
  PolicyLoadOptions options;
  static const Calendar* const office = new Calendar(*Calendar::Preset("cn_office"));
  for (const std::string& file : Policy::FileReferences(text)) {
    options.calendar_files.emplace(file, *office);
  }
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text, options);
  LEADKIT_FUZZ_CHECK_CLEAN(load.status());
  if (!load.ok()) return 0;
  for (const Issue& issue : load->issues()) {
    LEADKIT_FUZZ_CHECK(!issue.message.empty());
  }
  absl::StatusOr<Policy> policy = load->policy();
  LEADKIT_FUZZ_CHECK(policy.ok() == !load->has_errors());
  if (!policy.ok()) {
    LEADKIT_FUZZ_CHECK_CLEAN(policy.status());
    return 0;
  }
  CheckPolicy(*policy, options);
  return 0;
}
