// The policy backtest (docs/backtest.md): the recorded leads and touches
// replayed under several policies side by side. Under each policy every lead
// is graded again from its fields (its recorded `grade` is not read: the
// grade at creation is the policy's), the touches' grade_after values are read
// through the policy's grade map, and the KPIs (kpi.h) are judged on the
// policy's own deadlines (cadence.h). Beside the KPIs:
//
//   task load      = tasks due per consultant per business day: each lead's
//                    first contact when it is due (LeadKpi::first_contact_due)
//                    and each follow-up the KPIs count as due, on the local day
//                    of its deadline in the lead's calendar; the days are those
//                    on which any task of the policy falls due, and every
//                    consultant with a task counts on every one of them (a day
//                    without a task counts 0): mean, nearest-rank p90, max
//   grade_auc      = (pairs (won w, lost l) with grade(w) above grade(l)
//                     + half the pairs with equal grades) / (won × lost)
//                    over the leads closed by as_of (won, or lost as the KPIs
//                    count it); grades rank in the policy's order, the first
//                    highest: the Mann-Whitney statistic of the grade order
//   top_grade_lift = conversion of the first grade / conversion of all, each
//                    won / (won + lost) among the closed leads
// A ratio whose denominator is 0 is NaN.
//
// Groups (`by`, as KpiState's): the leads' string columns, "grade" (at
// creation, under each policy), "current_grade", "month" and "week" of
// created_at in each policy's zone. The summary has one row per group per
// policy; each row's task load is over the consultants and days of its
// group's tasks. The conversion by grade and the grades' combinations stay
// over every lead.
//
// Grade maps: a policy's map names, for each grade_after value of the
// history, the policy's grade it becomes. Without a map, a policy whose grades
// hold every grade_after value reads them as they are; otherwise its grade
// changes are left out and Finalize's notes say so.
//
// The state merges (any split of the leads, each with its touches and
// surveys, and any merge order give the same result) and serializes to bytes
// (src/state_bytes.h's framing, "LKBKT1").
//
// Example (docs/backtest.md):
//   BacktestState state({"current", "proposed"}, {"dealer_id"});
//   LEADKIT_RETURN_IF_ERROR(state.Add(policies, leads, touches, nullptr,
//   as_of)); BacktestResult r = state.Finalize();
//   // r.summary[1].grade_auc: how well "proposed" ranks won above lost
#ifndef LEADKIT_BACKTEST_H_
#define LEADKIT_BACKTEST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/kpi.h"

namespace leadkit {

// One policy of a backtest.
struct BacktestPolicy {
  std::string name;  // the summary's `policy`, unique in a backtest
  Cadence cadence;   // the policy with its calendar (and dealers' calendars)
  // grade_after value of the history -> this policy's grade; nullopt: none
  // given (the values read as they are when the policy has them all).
  std::optional<std::map<std::string, std::string, std::less<>>> grade_map;
};

// Leads of one grade (at creation, under one policy).
struct GradeOutcome {
  int64_t leads = 0;  // counted, not invalid
  int64_t won = 0;    // won by as_of
  int64_t lost = 0;   // lost by as_of, as the KPIs count it

  // won / (won + lost): conversion among the closed leads.
  double conversion_rate() const { return Rate(won, won + lost); }
  bool operator==(const GradeOutcome&) const = default;
};

// A group's key: one value per `by` column; nullopt: the null group.
using BacktestKey = std::vector<std::optional<std::string>>;

// Keys in the summary's order: column by column, the null group last.
struct BacktestKeyLess {
  bool operator()(const BacktestKey& a, const BacktestKey& b) const {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a[i] == b[i]) continue;
      if (!a[i]) return false;
      if (!b[i]) return true;
      return *a[i] < *b[i];
    }
    return a.size() < b.size();
  }
};

// One policy's counts of one group. Merging adds them.
struct BacktestCounts {
  KpiCounts kpis;
  std::vector<GradeOutcome> grades;  // per grade of the policy, in its order
  // consultant_id -> local day (days since 1970-01-01) -> tasks due.
  std::map<std::string, std::map<int64_t, int64_t>, std::less<>> tasks;
  int64_t tasks_without_consultant = 0;  // leads with a null consultant_id

  bool operator==(const BacktestCounts&) const = default;
};

// One policy's groups, and the touches' grade changes it could not read.
struct BacktestPolicyCounts {
  std::map<BacktestKey, BacktestCounts, BacktestKeyLess> groups;
  // grade_after values the policy could not read without a map, and the
  // touches whose grade change was left out for them.
  std::set<std::string> unmapped_grades;
  int64_t grade_changes_left_out = 0;

  bool operator==(const BacktestPolicyCounts&) const = default;
};

// One policy's row of the summary: one group's.
struct BacktestRow {
  std::string policy;
  KpiRow kpis;  // its key: the group's (empty without `by`)
  int64_t tasks = 0;               // in the task load
  int64_t consultant_days = 0;     // consultants × days of the task load
  double tasks_per_consultant_day_mean = 0;
  double tasks_per_consultant_day_p90 = 0;
  double tasks_per_consultant_day_max = 0;
  double grade_auc = 0;
  double top_grade_lift = 0;
  std::vector<std::string> notes;  // what the numbers leave out, and why
};

// Conversion by grade: one policy's grade.
struct BacktestGradeRow {
  std::string policy;
  std::string grade;
  GradeOutcome outcome;
};

struct BacktestResult {
  // Per group (in key order), one row per policy that has the group, in the
  // policies' order. Without `by`: one row per policy.
  std::vector<BacktestRow> summary;
  std::vector<BacktestGradeRow> grades;   // per policy, its grades in order
  std::vector<std::string> policies;      // the policies' names
  std::vector<std::vector<std::string>> grade_names;  // per policy
  // Leads per combination of grades (one index per policy, into its
  // grade_names), in combination order; combinations without a lead absent.
  std::vector<std::pair<std::vector<int>, int64_t>> combinations;
};

// A backtest's counts, as a mergeable state: any split of the leads (each with
// its touches and surveys) and any merge order give the same result.
class BacktestState {
 public:
  explicit BacktestState(std::vector<std::string> policies,
                         std::vector<std::string> by = {});

  const std::vector<std::string>& policies() const { return names_; }
  const std::vector<std::string>& by() const { return by_; }

  // Adds a batch's leads created by as_of under each policy (`policies` in
  // the state's order: same names). Rows with a zero in `include` (when given)
  // are left out. InvalidArgument for policies other than the state's, a
  // policy whose grades differ from an earlier batch's, a grade map naming a
  // grade the policy lacks or lacking a grade_after value of the touches, and
  // the KPIs' bad input (a group column that does not hold strings too).
  // OutOfRange when the counts would pass int64's end. `threads` > 1 splits
  // the leads over threads.
  absl::Status Add(std::span<const BacktestPolicy> policies,
                   const Columns& leads, const Columns& touches,
                   const Columns* surveys, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's counts. FailedPrecondition when its policies, their
  // grades or its `by` differ; OutOfRange when the counts would pass int64's
  // end.
  absl::Status Merge(const BacktestState& other);

  // Bytes that Deserialize turns back into an equal state. InvalidArgument
  // ("backtest state bytes: ...") for bytes that are not one: another header,
  // cut short, a changed byte, counts that no Add gives.
  std::string Serialize() const;
  static absl::StatusOr<BacktestState> Deserialize(absl::string_view bytes);

  BacktestResult Finalize() const;

  bool operator==(const BacktestState&) const = default;

 private:
  absl::Status MergeCounts(const BacktestState& other,
                           absl::string_view doing);

  std::vector<std::string> names_;
  std::vector<std::string> by_;
  std::vector<std::vector<std::string>> grade_names_;  // empty until Add
  std::vector<BacktestPolicyCounts> counts_;           // per policy
  std::map<std::vector<int>, int64_t> combinations_;
};

// The rank statistic of grade_auc from per-grade counts (index 0 highest):
// NaN when no lead won or none was lost.
// Example: grades {won 2, lost 1}, {won 1, lost 2}: pairs 3 × 3 = 9; above:
// 2 × 2 = 4, equal: 2 × 1 + 1 × 2 = 4 -> (4 + 4 / 2) / 9 = 0.667.
double GradeAuc(std::span<const GradeOutcome> grades);

}  // namespace leadkit

#endif  // LEADKIT_BACKTEST_H_
