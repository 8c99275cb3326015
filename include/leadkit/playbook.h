// The follow-up playbook: what to do for each open task — by which method,
// with what content, to what goal — from the policy's `playbook` section
// (docs/playbook.md). The schedule says when (cadence.h); the playbook says
// how:
//
//   rule(task)   = min { r : when_r(lead of task, task fields) }
//   action(task) = policy.playbook().rules[rule(task)].action
//
// A rule's conditions read the task's lead (every lead field, as the
// classification rules do) and the task fields (lead.h, TaskFields): `task`
// (its kind), `grade_now` (the lead's grade in force at the schedule's as_of,
// ScheduleResult::grades) and `touches` (the lead's touches at or before it,
// ScheduleResult::touch_counts). The decision list is evaluated by the
// classification's block evaluator over a per-task view of the lead columns
// the playbook reads plus the task fields; an explanation shows the values
// that held, personal data masked as in classify.h.
//
// Example (abcd preset; a lead graded A that took a test drive, due for a
// follow-up):
//   LeadRecord lead;
//   lead.SetBool("test_drive", true);
//   absl::StatusOr<NextAction> a = ActionFor(
//       policy, lead.AsColumns(), 0,
//       {.task = TaskKind::kFollowUp, .grade_now = 0, .touches = 2});
//   // a->rule_id == "a_after_test_drive",
//   // a->action == {"phone", "objection_answers", "resolve_objection"},
//   // a->reasons == {"task == \"follow_up\" (value: \"follow_up\")",
//   //                "grade_now == \"A\" (value: \"A\")",
//   //                "test_drive == true (value: true)"}
#ifndef LEADKIT_PLAYBOOK_H_
#define LEADKIT_PLAYBOOK_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit {

// The task fields of one task.
struct TaskContext {
  TaskKind task = TaskKind::kFollowUp;
  int grade_now = -1;  // index into Policy::grades(); -1 = unknown (null)
  int touches = 0;     // the lead's touches at or before as_of
};

// The action for one task and why.
struct NextAction {
  int rule = 0;         // index into Policy::playbook().rules
  std::string rule_id;  // that rule's id
  PlaybookAction action;
  // The conditions that made the rule fire, with the task's values (personal
  // data masked): "test_drive == true (value: true)"; for a rule without
  // conditions, one entry saying no earlier rule held.
  std::vector<std::string> reasons;
};

// The playbook rule of every task of `schedule`, a schedule or agenda of
// `leads` (Cadence::Schedule, Cadence::Agenda): rules[k] indexes
// Policy::playbook().rules for schedule.tasks[k]. `rules` holds
// schedule.tasks.size() values. A lead column the playbook does not read is
// ignored; one it reads that `leads` lacks is null. InvalidArgument when a
// column's type does not fit its field, when the schedule's per-lead vectors
// do not match `leads`, or when a task's lead_row is outside it.
absl::Status PlaybookBatch(const Policy& policy, const Columns& leads,
                           const ScheduleResult& schedule,
                           std::span<int32_t> rules);

// The playbook rule of tasks that are not a schedule's (the touches a lead
// received, effectiveness.h): rules[k] for a task of lead row rows[k] of
// `leads` with the task fields contexts[k]. `rows`, `contexts` and `rules`
// hold one value per task. InvalidArgument as PlaybookBatch, and naming the
// task for a row outside `leads` or spans of other lengths.
absl::Status PlaybookFor(const Policy& policy, const Columns& leads,
                         std::span<const int64_t> rows,
                         std::span<const TaskContext> contexts,
                         std::span<int32_t> rules);

// PlaybookBatch into a new vector.
absl::StatusOr<std::vector<int32_t>> PlaybookRules(
    const Policy& policy, const Columns& leads, const ScheduleResult& schedule);

// The action for task `task` (an index into schedule.tasks), explained.
// OutOfRange for an index past the end.
absl::StatusOr<NextAction> ExplainTask(const Policy& policy,
                                       const Columns& leads,
                                       const ScheduleResult& schedule,
                                       size_t task);

// The action for a task of lead `row` of `leads` with the task fields
// `context`, explained: the single-task form (the lead's grade and touches
// given by the caller). OutOfRange for a row past the end; InvalidArgument
// for a grade_now outside the policy's grades.
absl::StatusOr<NextAction> ActionFor(const Policy& policy,
                                     const Columns& leads, int64_t row,
                                     const TaskContext& context);

}  // namespace leadkit

#endif  // LEADKIT_PLAYBOOK_H_
