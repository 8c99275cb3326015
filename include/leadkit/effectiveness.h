// Follow-up effectiveness (000 §7.1.3, docs/kpis.md) as a mergeable state:
// conversion by how leads were followed up — by the mix of touch methods, by
// the average interval between touches, or by each action used (method and
// content). The counts add up, so any split of the leads (each with all of its
// touches) merged in any order gives the same rows.
//
//   counted            = leads created by as_of, not invalid, in scope
//   method mix         = the lead's distinct methods among its touches by
//                        as_of, in alphabetical order joined by "+"; "none"
//                        without a touch
//   interval           = "no_touch", "single_touch", else the bucket of
//                        (last touch - first touch) / (touches - 1) in days,
//                        buckets closed below and open above
//   action             = each (method, content) pair among the lead's touches
//                        by as_of (content: the touches' optional `content`
//                        column, null when absent); a lead counts once in
//                        each action it received, so the groups' leads do
//                        not add up to the leads counted; method "none",
//                        content null, without a touch
//   conversion_rate    = won / leads       (won by as_of: StatusAt, cadence.h)
//   touches_per_lead   = touches / leads   (touches by as_of; in the action
//                                           view, those of the action)
// A rate over zero leads is NaN.
//
// The action view next to the playbook (`playbook`, with a policy): each
// touch by as_of answers a task — the lead's first touch its first contact,
// every later one a follow-up — and the playbook (playbook.h) recommends an
// action for it, read with the task fields as they stood before the touch:
// `grade_now` the grade at creation changed by the earlier touches'
// grade_after (GradeAt), `touches` the lead's earlier touches. A touch was
// taken as recommended when its method is the recommended one and its content
// is the recommended one or null. Per action:
//   recommended_touches     = touches for which the playbook recommended it
//   touches_as_recommended  = its touches taken as recommended
//   leads_as_recommended    = leads with one of those touches
//   won_as_recommended      = of them, won by as_of
//   conversion_rate_as_recommended = won_as_recommended / leads_as_recommended
// An action only recommended is a row with 0 leads.
//
// Example:
//   EffectivenessState state({.view = EffectivenessView::kInterval});
//   LEADKIT_RETURN_IF_ERROR(state.Add(leads, touches, as_of));
//   for (const EffectivenessRow& row : state.Finalize()) {
//     row.group;              // "no_touch", "single_touch", "<1d", ...
//     row.conversion_rate();  // won / leads
//   }
#ifndef LEADKIT_EFFECTIVENESS_H_
#define LEADKIT_EFFECTIVENESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"
#include "leadkit/kpi.h"
#include "leadkit/policy.h"

namespace leadkit {

// How leads are grouped.
enum class EffectivenessView {
  kMethodMix,  // "method_mix": by the mix of touch methods
  kInterval,   // "interval": by the average days between touches
  kAction,     // "action": by each method and content a lead's touches used
};

// "method_mix", "interval" or "action": the view's name, and (but for the
// action view, whose group columns are `method` and `content`) the name of its
// group column in Python.
absl::string_view EffectivenessViewName(EffectivenessView view);

struct EffectivenessOptions {
  // The grouping; default by method mix.
  EffectivenessView view = EffectivenessView::kMethodMix;
  // kInterval: the buckets' upper bounds in days, finite, above 0 and
  // increasing; default 1, 3, 7, 14, 30 (<1d, 1-3d, 3-7d, 7-14d, 14-30d,
  // 30d+). Kept, and compared by Merge, in the other view too.
  std::vector<double> interval_buckets = {1, 3, 7, 14, 30};
  // kAction only: compare each touch with the action the policy's playbook
  // recommended (above); Add then needs the policy.
  bool playbook = false;

  bool operator==(const EffectivenessOptions&) const = default;
};

// InvalidArgument naming `interval_buckets` and the bad bound when the bounds
// are empty, not finite, not above 0 or not increasing, and naming `playbook`
// when it is set for another view than kAction.
// Example: {3, 1} -> "interval_buckets: bounds must increase, but 1 follows 3".
absl::Status ValidateEffectivenessOptions(const EffectivenessOptions& options);

// The interval groups in order: "no_touch", "single_touch", then one per
// bucket, each bound written as printf's %g.
// Example: {0.5, 5} -> no_touch, single_touch, <0.5d, 0.5-5d, 5d+.
std::vector<std::string> IntervalLabels(std::span<const double> bounds);

// The counts of one group. Merging adds them.
struct EffectivenessCounts {
  int64_t leads = 0;    // counted leads
  int64_t won = 0;      // of them, won by as_of (StatusAt)
  int64_t touches = 0;  // their touches by as_of
  // The action view next to the playbook (above); 0 otherwise.
  int64_t recommended_touches = 0;
  int64_t touches_as_recommended = 0;
  int64_t leads_as_recommended = 0;
  int64_t won_as_recommended = 0;

  void Merge(const EffectivenessCounts& other) {
    leads += other.leads;
    won += other.won;
    touches += other.touches;
    recommended_touches += other.recommended_touches;
    touches_as_recommended += other.touches_as_recommended;
    leads_as_recommended += other.leads_as_recommended;
    won_as_recommended += other.won_as_recommended;
  }
  bool operator==(const EffectivenessCounts&) const = default;
};

// One row of the report. `group` is the Python column named after the view
// (`method_mix` or `interval`); in the action view it is the method and
// `content` the content (nullopt: touches without one). The other fields are
// its columns.
struct EffectivenessRow {
  std::string group;
  std::optional<std::string> content;  // the action view only
  int64_t leads = 0;
  int64_t won = 0;
  int64_t touches = 0;
  // The action view next to the playbook (above); 0 otherwise.
  int64_t recommended_touches = 0;
  int64_t touches_as_recommended = 0;
  int64_t leads_as_recommended = 0;
  int64_t won_as_recommended = 0;

  double conversion_rate() const { return Rate(won, leads); }
  double touches_per_lead() const { return Rate(touches, leads); }
  double conversion_rate_as_recommended() const {
    return Rate(won_as_recommended, leads_as_recommended);
  }
};

class EffectivenessState {
 public:
  explicit EffectivenessState(EffectivenessOptions options = {});

  const EffectivenessOptions& options() const { return options_; }

  // Adds the leads of a batch (lead_id, created_at, status, won_at; each lead
  // with all of its touches: lead_id, at, method) at as_of, read as the
  // cadence and the KPIs read them (src/lead_batch.h, without a policy: no
  // grades are read). Rows with a zero in `include` (when given) are out of
  // scope and ignored with their touches. The action view also reads the
  // touches' optional `content` (strings). InvalidArgument naming the table,
  // row, lead_id and value for bad input (as KpiState::Add), for a method
  // "none" or one with "+" (they spell mixes), and for invalid options.
  // `threads` > 1 splits the leads over threads, each with a state of its
  // own, merged: the same rows for any number. FailedPrecondition for a
  // `playbook` state, which needs the policy.
  absl::Status Add(const Columns& leads, const Columns& touches, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // As above, reading the leads with `policy` as the cadence reads them
  // (grades at creation, the touches' grade_after; errors for grades that are
  // not the policy's) and, in a `playbook` state, comparing each touch with
  // the playbook's action; also the lead columns the playbook reads.
  absl::Status Add(const Policy& policy, const Columns& leads,
                   const Columns& touches, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's groups. FailedPrecondition when its options (view or
  // interval buckets) differ.
  absl::Status Merge(const EffectivenessState& other);

  // Bytes ("LKEFF2"; "LKEFF1" of states without the playbook counts is read
  // too; src/state_bytes.h) that Deserialize turns back into an
  // equal state; bad bytes are InvalidArgument.
  std::string Serialize() const;
  static absl::StatusOr<EffectivenessState> Deserialize(
      absl::string_view bytes);

  // Method mix: one row per mix that occurs, in sorted order. Interval: every
  // group of IntervalLabels, in that order (an empty one with 0 leads).
  // Action: one row per method and content that occur (or, next to the
  // playbook, that it recommended), by method, then content (null first).
  std::vector<EffectivenessRow> Finalize() const;

  bool operator==(const EffectivenessState& other) const = default;

 private:
  absl::Status AddBatch(const Policy* policy, const Columns& leads,
                        const Columns& touches, Instant as_of,
                        std::span<const uint8_t> include, int threads);

  EffectivenessOptions options_;
  // By group name; only groups with a lead (or a recommendation).
  std::map<std::string, EffectivenessCounts> groups_;
};

}  // namespace leadkit

#endif  // LEADKIT_EFFECTIVENESS_H_
