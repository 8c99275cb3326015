// The pipeline reports (docs/kpis.md, "Pipeline reports") as one mergeable
// state: open leads by grade at an instant, grade migration between two
// instants, the monthly roll-over, the funnel and touches per won lead. Each
// is a sum of counts per group, so any split of the leads (each with all of
// its touches) merged in any order gives the same rows; rates come last.
//
//   state at t        not created yet (created after t); else open with the
//                     grade in force (GradeAt, cadence.h), or won, lost,
//                     invalid: PipelineStatusAt (cadence.h)
//   share             open_leads / the group's open leads
//   conversion_rate   won / (carried_over + new)     (monthly)
//   loss_rate         lost / (carried_over + new)
//   share_of_leads    reached / leads                (funnel)
//   conversion_from_previous = reached / the previous row's reached, same kind
//   touches_per_won_lead     = touches / won_leads
// A rate whose denominator is 0 is NaN.
//
// Example:
//   PipelineState state({.report = PipelineReport::kPipeline,
//                        .by = {"dealer_id"},
//                        .grades = {"O", "A", "B", "C"},
//                        .at = at});
//   LEADKIT_RETURN_IF_ERROR(state.Add(&policy, leads, touches));
//   for (const PipelineRow& row : state.Finalize().pipeline) {
//     row.key;         // {"D1"}
//     row.grade;       // "O"
//     row.open_leads;  // 1
//   }
#ifndef LEADKIT_PIPELINE_H_
#define LEADKIT_PIPELINE_H_

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
#include "leadkit/policy.h"

namespace leadkit {

// Which report of the family a state counts.
enum class PipelineReport {
  kPipeline,           // "pipeline": open leads by grade at `at`
  kGradeMigration,     // "grade_migration": state at `start` -> at `end`
  kMonthly,            // "monthly": the month-end roll-over
  kFunnel,             // "funnel": grades and sales stages reached
  kTouchesPerWonLead,  // "touches_per_won_lead"
};

// The report's name, as Python's PipelineState names it: "pipeline", ...
absl::string_view PipelineReportName(PipelineReport report);

// The sales stages a lead passes through, in order (001 §3.3): the values of
// leads.sales_stage but "lost".
std::span<const absl::string_view> SalesStages();

struct PipelineOptions {
  // The report; default pipeline.
  PipelineReport report = PipelineReport::kPipeline;
  // Group columns (pipeline, funnel, touches_per_won_lead; default none: one
  // row): string columns of the leads (region_id is a column the caller
  // derives through the dealers table). Others: must be empty.
  std::vector<std::string> by;
  // The policy's grades in its order (every report but touches_per_won_lead,
  // where it must be empty); Add checks them against the policy.
  std::vector<std::string> grades;
  Instant at{};     // pipeline: the instant
  Instant start{};  // grade_migration: from (before `end`)
  Instant end{};    // grade_migration: to
  Instant as_of{};  // funnel, touches_per_won_lead: the instant
  // monthly: "YYYY-MM" months, increasing (at least one), and the IANA zone
  // they are local to (the policy's).
  std::vector<std::string> months;
  std::string zone;

  bool operator==(const PipelineOptions&) const = default;
};

// InvalidArgument naming the option and the bad value: a `by` name given
// twice, empty or personal (name, phone, ...: never a group key), `by` outside pipeline, funnel and touches_per_won_lead,
// grades empty or given twice (or given for touches_per_won_lead), `start`
// not before `end`, a month not "YYYY-MM" or out of order; NotFound for an
// unknown zone.
absl::Status ValidatePipelineOptions(const PipelineOptions& options);

// One row of each report; `key` holds one value per `by` column (nullopt: the
// null group). Field names are the Python columns.
struct PipelineRow {  // pipeline
  std::vector<std::optional<std::string>> key;
  std::string grade;
  int64_t open_leads = 0;
  double share = 0;
};
struct MigrationRow {  // grade_migration, the long form
  std::string from;    // a grade, or "new"
  std::string to;      // a grade, "won", "lost" or "invalid"
  int64_t leads = 0;
};
struct MonthlyRow {
  std::string month;  // YYYY-MM
  int64_t carried_over = 0;
  int64_t new_leads = 0;  // Python's "new" (a C++ keyword)
  int64_t invalid = 0;
  int64_t won = 0;
  int64_t lost = 0;
  int64_t open_at_end = 0;
  double conversion_rate = 0;
  double loss_rate = 0;
};
struct FunnelRow {
  std::vector<std::optional<std::string>> key;
  std::string kind;   // "grade" or "sales_stage"
  std::string stage;  // the grade or the sales stage
  int64_t leads = 0;  // the group's leads created by as_of, not invalid
  int64_t reached = 0;
  double share_of_leads = 0;
  double conversion_from_previous = 0;  // NaN on each kind's first row
};
struct TouchesPerWonLeadRow {
  std::vector<std::optional<std::string>> key;
  int64_t won_leads = 0;
  int64_t touches = 0;
  double touches_per_won_lead = 0;
};

// The rows of a state's report (only its report's vector is filled).
struct PipelineTables {
  std::vector<PipelineRow> pipeline;
  std::vector<MigrationRow> grade_migration;
  std::vector<MonthlyRow> monthly;
  std::vector<FunnelRow> funnel;
  std::vector<TouchesPerWonLeadRow> touches_per_won_lead;
};

class PipelineState {
 public:
  // A state of no leads. Options are checked by Add (and Deserialize).
  explicit PipelineState(PipelineOptions options = {});

  const PipelineOptions& options() const { return options_; }

  // Adds a batch of leads, each with all of its touches, read by the cadence's
  // batch reader (lead_id, created_at, status, won_at, lost_at, lost_review,
  // grade — null: the policy's classification — and the touches' lead_id,
  // at, method, grade_after), the `by` columns and, for the funnel,
  // sales_stage. `policy` may be null only for touches_per_won_lead (which
  // reads no grades); its grades must be the options'. Rows with a zero in
  // `include` (when given) are out of scope and ignored with their touches.
  // Bad input is InvalidArgument naming the table, row, lead_id and value.
  // `threads` > 1 splits the leads over threads, each with a state of its
  // own, merged: the same state for any number.
  absl::Status Add(const Policy* policy, const Columns& leads,
                   const Columns& touches,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's counts. FailedPrecondition when its options differ
  // (report, by, grades, instants, months or zone).
  absl::Status Merge(const PipelineState& other);

  // Bytes ("LKPIP1", src/state_bytes.h) that Deserialize turns back into an
  // equal state; bad bytes are InvalidArgument.
  std::string Serialize() const;
  static absl::StatusOr<PipelineState> Deserialize(absl::string_view bytes);

  // The report: pipeline, one row per (group, grade), every grade; migration,
  // every (from, to) pair, from = grades then "new", to = grades then won,
  // lost, invalid; monthly, one row per month; funnel, per group the grades
  // then the sales stages; touches per won lead, one row per group. Groups
  // sorted column by column, the null group last; without `by` one group
  // (even of no leads).
  PipelineTables Finalize() const;

  bool operator==(const PipelineState& other) const = default;

 private:
  // Counts per group, `Width()` of them: pipeline, per state (the grades,
  // won, lost, invalid); migration, the (from, to) matrix row by row;
  // monthly, six per month; funnel, leads then one per grade and stage;
  // touches per won lead, won_leads and touches.
  using Key = std::vector<std::optional<std::string>>;
  struct KeyOrder {
    bool operator()(const Key& a, const Key& b) const;
  };
  size_t Width() const;

  PipelineOptions options_;
  std::map<Key, std::vector<int64_t>, KeyOrder> groups_;
};

}  // namespace leadkit

#endif  // LEADKIT_PIPELINE_H_
