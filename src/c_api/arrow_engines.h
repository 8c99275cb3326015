// Not part of the API: the engines behind the C ABI's Arrow entry points
// (leadkit.h), declared once so that the Python bindings run the same code on
// the streams of the Arrow PyCapsule interface (bindings/arrow_bindings.cc).
// Each reads its input streams with arrow.h's importer and releases them,
// also when it fails.
#ifndef LEADKIT_C_API_ARROW_ENGINES_H_
#define LEADKIT_C_API_ARROW_ENGINES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"
#include "leadkit/profile.h"
#include "leadkit/routing.h"
#include "leadkit/scope.h"
#include "leadkit/showroom.h"

namespace leadkit::c_api_internal {

// A `scope` (leadkit.h's lk_scope, lk_scope_create's; nullptr: every row)
// keeps the rows of an add whose dealer_id it sees (AddTable::scope).

// lk_classify_arrow: grades every lead of `leads`; `result` receives batches
// of (lead_id, grade, rule) in input order, lead_id as large_utf8 when the
// input's ids are large_utf8 or string views (utf8 otherwise), grade and rule
// as dictionary<int32, utf8> over the policy's grades and rule ids.
absl::Status ClassifyArrow(const Policy& policy, ArrowArrayStream* leads,
                           ArrowArrayStream* result);

// lk_kpi_state_add: adds the leads, touches and surveys (nullptr: none) to
// `state` at `as_of` seconds, LK_AS_OF_DATA for the latest instant of the
// tables (DefaultAsOfSeconds), splitting the leads over `threads`. Returns
// the as_of used. Only the leads in `scope` count (nullptr: every lead;
// lk_kpi_state_add_scoped); with the scope's dealers table, a `by` region_id
// is each lead's dealer's region (null for a lead whose dealer the table
// lacks) rather than a column of the leads. A failure leaves the state as it
// was.
absl::StatusOr<int64_t> AddToState(KpiState& state, const Cadence& cadence,
                                   ArrowArrayStream* leads,
                                   ArrowArrayStream* touches,
                                   ArrowArrayStream* surveys, int64_t as_of,
                                   int threads = 1,
                                   const lk_scope* scope = nullptr);

// lk_lost_analysis_state_add and lk_profile_state_add: adds the leads of
// `leads` in `scope` to `state` at `as_of` seconds, LK_AS_OF_DATA for the
// latest instant of the columns read (without `as_of_required`, no limit
// when they hold none, as Python's reports take it), splitting them over
// `threads`. A failure leaves the state as it was.
absl::Status AddLeads(LostAnalysisState& state, ArrowArrayStream* leads,
                      int64_t as_of, int threads = 1,
                      const lk_scope* scope = nullptr,
                      bool as_of_required = true);
absl::Status AddLeads(ProfileState& state, ArrowArrayStream* leads,
                      int64_t as_of, int threads = 1,
                      const lk_scope* scope = nullptr,
                      bool as_of_required = true);

// lk_showroom_state_add: adds the visits of `visits` with the leads they name
// (`leads`, nullptr: none), the visits in `scope` only; as_of, threads and
// as_of_required as AddLeads'.
absl::Status AddVisits(ShowroomState& state, ArrowArrayStream* visits,
                       ArrowArrayStream* leads, int64_t as_of, int threads = 1,
                       const lk_scope* scope = nullptr,
                       bool as_of_required = true);

// lk_activity_state_add: adds the touches of `touches` with their leads
// (`leads`, nullptr: none), the leads in `scope` only (a scope needs the
// leads); as_of, threads and as_of_required as AddLeads'.
absl::Status AddTouches(ActivityState& state, ArrowArrayStream* touches,
                        ArrowArrayStream* leads, int64_t as_of,
                        int threads = 1, const lk_scope* scope = nullptr,
                        bool as_of_required = true);

// lk_effectiveness_state_add: adds the leads of `leads` in `scope` with all
// of their `touches` at `as_of` seconds (LK_AS_OF_DATA: the latest instant
// read), splitting the leads over `threads`; with `policy` (nullptr: none,
// but for a playbook state) the leads are read as the cadence reads them.
// A failure leaves the state as it was.
absl::Status AddToState(EffectivenessState& state, const Policy* policy,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int64_t as_of, int threads = 1,
                        const lk_scope* scope = nullptr);

// lk_pipeline_state_add: adds the leads of `leads` in `scope` with all of
// their `touches` (`policy` nullptr for touches_per_won_lead only), splitting
// the leads over `threads`. A failure leaves the state as it was.
absl::Status AddToState(PipelineState& state, const Policy* policy,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int threads = 1, const lk_scope* scope = nullptr);

// lk_audit_state_add: audits the leads of `leads` in `scope` with their
// `touches` at `as_of` seconds (LK_AS_OF_DATA: the latest instant read),
// splitting the leads over `threads`. A failure leaves the state as it was.
absl::Status AddToState(AuditState& state, const Cadence& cadence,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int64_t as_of, int threads = 1,
                        const lk_scope* scope = nullptr);

// lk_route_arrow: the leads read whole, each graded (its `grade`, else the
// policy's classification), Router::RouteBatch, the assignments out;
// passed_over as JSON, or with `passed_over_text` as PassedOverText (Python's
// leadkit.route).
absl::Status RouteArrow(Router& router, const Policy& policy,
                        ArrowArrayStream* leads, ArrowArrayStream* result,
                        bool passed_over_text = false);

// What lk_schedule_actions_arrow and lk_agenda_actions_arrow (and
// lk_schedule_arrow, lk_agenda_arrow without them) list.
struct TasksOptions {
  // Days since 1970-01-01: that local day's agenda (Cadence::Agenda; as_of
  // unused); nullopt: the schedule at as_of.
  std::optional<int32_t> day;
  // false: lk_schedule_arrow's columns only; true: the playbook's method,
  // content, goal and rule of each task (PlaybookBatch) after them, the
  // playbook's lead fields read too.
  bool actions = false;
  // With actions, a reasons column: each task's conditions that held
  // (ExplainTask), list<utf8>.
  bool explain = false;
  // false: the first bad row is an InvalidArgument error; true: bad rows go
  // to the errors stream (ScheduleOptions::collect_errors).
  bool collect_errors = false;
  // Only the tasks of the leads of this consultant or of this dealer
  // (nullopt: every lead; a lead without one never matches). A dealer_id
  // filter needs the leads' dealer_id column.
  std::optional<std::string> consultant_id;
  std::optional<std::string> dealer_id;
};

// lk_schedule_arrow, lk_agenda_arrow, lk_schedule_actions_arrow and
// lk_agenda_actions_arrow: the tasks of `leads` and `touches` at `as_of`
// seconds (LK_AS_OF_DATA: the latest instant read) or on options.day into
// `result`; with options.collect_errors the rows rejected into `errors`
// (table, row, lead_id, column, reason; `errors` unused otherwise and then
// may be nullptr).
absl::Status TasksArrow(const Cadence& cadence, ArrowArrayStream* leads,
                        ArrowArrayStream* touches, int64_t as_of,
                        const TasksOptions& options, ArrowArrayStream* result,
                        ArrowArrayStream* errors);

}  // namespace leadkit::c_api_internal

#endif  // LEADKIT_C_API_ARROW_ENGINES_H_
