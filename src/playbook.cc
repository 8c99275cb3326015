// The follow-up playbook (docs/playbook.md): the playbook's decision list,
// evaluated by the classification's evaluator (classify_internal.h) over a
// per-task view of the lead columns.
#include "leadkit/playbook.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "classify_internal.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "policy_internal.h"

namespace leadkit {
namespace playbook_internal {
namespace {

using classify_internal::Evaluator;

// The task names as a dictionary the `task` column's codes index.
const std::vector<std::string>& TaskDictionary() {
  static const std::vector<std::string>* const names = [] {
    auto* out = new std::vector<std::string>();
    for (absl::string_view name : TaskNames()) out->emplace_back(name);
    return out;
  }();
  return *names;
}

// One row per task: the lead columns the playbook reads, gathered by the
// task's lead row, and the task fields. Owns the gathered values; a moved
// std::vector keeps its buffer, so the columns' spans stay valid while the
// view lives.
class TaskView {
 public:
  // `row_of(k)` is task k's lead row (checked to lie in `leads`),
  // `context_of(k)` its task fields.
  template <typename RowOf, typename ContextOf>
  static absl::StatusOr<TaskView> Build(const PolicyData& policy,
                                        const Columns& leads, int64_t n,
                                        RowOf row_of, ContextOf context_of) {
    TaskView view(n);
    std::vector<int64_t> rows(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t row = row_of(k);
      if (row < 0 || row >= leads.num_rows()) {
        return absl::InvalidArgumentError(
            absl::StrCat("task ", k, ": lead row ", row,
                         " is outside the leads table of ", leads.num_rows(),
                         " rows"));
      }
      rows[static_cast<size_t>(k)] = row;
    }
    for (const std::string& field : policy.playbook_fields) {
      const Column* column = leads.Find(field);
      if (column == nullptr) continue;  // null in every row
      LEADKIT_RETURN_IF_ERROR(view.Gather(field, *column, rows));
    }
    std::vector<int32_t>& task = view.Ints32();
    std::vector<int32_t>& grade = view.Ints32();
    std::vector<int64_t>& touches = view.Ints64();
    for (int64_t k = 0; k < n; ++k) {
      const TaskContext c = context_of(k);
      task.push_back(static_cast<int32_t>(c.task));
      grade.push_back(c.grade_now >= 0 &&
                              c.grade_now < static_cast<int>(policy.grades.size())
                          ? c.grade_now
                          : -1);
      touches.push_back(c.touches);
    }
    LEADKIT_RETURN_IF_ERROR(
        view.columns_.Add("task", Column::Codes(task, TaskDictionary())));
    LEADKIT_RETURN_IF_ERROR(
        view.columns_.Add("grade_now", Column::Codes(grade, policy.grades)));
    LEADKIT_RETURN_IF_ERROR(
        view.columns_.Add("touches", Column::Int64s(touches)));
    return view;
  }

  const Columns& columns() const { return columns_; }

 private:
  explicit TaskView(int64_t n) : columns_(n) {}

  std::vector<int32_t>& Ints32() { return ints32_.emplace_back(); }
  std::vector<int64_t>& Ints64() { return ints64_.emplace_back(); }

  // The values of `column` at `rows`, added under `name`.
  absl::Status Gather(const std::string& name, const Column& column,
                      const std::vector<int64_t>& rows) {
    const uint8_t* valid = nullptr;
    if (column.validity() != nullptr) {
      std::vector<uint8_t>& v = bytes_.emplace_back();
      v.reserve(rows.size());
      for (int64_t row : rows) v.push_back(column.validity()[row]);
      valid = v.data();
    }
    if (column.validity_only()) {
      std::vector<uint8_t>& v = bytes_.emplace_back(rows.size(), 1);
      if (valid != nullptr) std::copy(valid, valid + rows.size(), v.begin());
      return columns_.Add(
          name, Column::ValidityOnly(static_cast<int64_t>(rows.size()),
                                     v.data()));
    }
    switch (column.type()) {
      case ColumnType::kDouble: {
        std::vector<double>& v = doubles_.emplace_back();
        v.reserve(rows.size());
        for (int64_t row : rows) v.push_back(column.data<double>()[row]);
        return columns_.Add(name, Column::Doubles(v, valid));
      }
      case ColumnType::kInt64:
      case ColumnType::kInstant:
      case ColumnType::kDate: {
        std::vector<int64_t>& v = Ints64();
        v.reserve(rows.size());
        for (int64_t row : rows) v.push_back(column.data<int64_t>()[row]);
        if (column.type() == ColumnType::kInstant) {
          return columns_.Add(name, Column::Instants(v, valid));
        }
        if (column.type() == ColumnType::kDate) {
          return columns_.Add(name, Column::Dates(v, valid));
        }
        return columns_.Add(name, Column::Int64s(v, valid));
      }
      case ColumnType::kBool: {
        std::vector<uint8_t>& v = bytes_.emplace_back();
        v.reserve(rows.size());
        for (int64_t row : rows) v.push_back(column.data<uint8_t>()[row]);
        return columns_.Add(name, Column::Bools(v, valid));
      }
      case ColumnType::kCode: {
        std::vector<int32_t>& v = Ints32();
        v.reserve(rows.size());
        for (int64_t row : rows) v.push_back(column.data<int32_t>()[row]);
        return columns_.Add(name,
                            Column::Codes(v, column.dictionary(), valid));
      }
      case ColumnType::kString: {
        // Strings without a dictionary (as ids come): coded here, each
        // distinct value once.
        std::vector<std::string>& dictionary = dictionaries_.emplace_back();
        absl::flat_hash_map<std::string, int32_t> codes;
        std::vector<int32_t>& v = Ints32();
        v.reserve(rows.size());
        for (int64_t row : rows) {
          if (column.IsNull(row)) {
            v.push_back(-1);
            continue;
          }
          const auto [it, inserted] = codes.emplace(
              std::string(column.ViewAt(row)),
              static_cast<int32_t>(dictionary.size()));
          if (inserted) dictionary.push_back(it->first);
          v.push_back(it->second);
        }
        return columns_.Add(name, Column::Codes(v, dictionary, valid));
      }
    }
    return absl::InternalError(absl::StrCat("leads.", name,
                                            ": unknown column type"));
  }

  Columns columns_;
  std::deque<std::vector<double>> doubles_;
  std::deque<std::vector<int64_t>> ints64_;
  std::deque<std::vector<int32_t>> ints32_;
  std::deque<std::vector<uint8_t>> bytes_;
  std::deque<std::vector<std::string>> dictionaries_;
};

std::vector<int> PlaybookRoots(const PolicyData& policy) {
  std::vector<int> roots;
  roots.reserve(policy.compiled_playbook.size());
  for (const auto& rule : policy.compiled_playbook) roots.push_back(rule.root);
  return roots;
}

absl::StatusOr<Evaluator> BindPlaybook(const PolicyData& policy,
                                       const Columns& view) {
  return Evaluator::Bind(policy, view, policy.playbook_leaves,
                         static_cast<int>(policy.leaves.size()));
}

// The action for row 0 of a one-task view, explained.
absl::StatusOr<NextAction> ExplainOne(const PolicyData& policy,
                                      const Columns& view) {
  LEADKIT_ASSIGN_OR_RETURN(Evaluator e, BindPlaybook(policy, view));
  const std::vector<int> roots = PlaybookRoots(policy);
  int32_t rule = 0;
  e.FirstHeld(roots, 0, 1, &rule);
  const PlaybookRule& fired = policy.playbook.rules[static_cast<size_t>(rule)];
  NextAction out{.rule = rule, .rule_id = fired.id, .action = fired.action};
  const int root = roots[static_cast<size_t>(rule)];
  if (root < 0) {
    out.reasons.push_back(rule == 0
                              ? "the rule has no conditions"
                              : "no earlier rule held; this rule has no "
                                "conditions");
  } else {
    classify_internal::CollectReasons(policy, e, root, 0, out.reasons);
  }
  return out;
}

absl::Status CheckSchedule(const Columns& leads,
                           const ScheduleResult& schedule) {
  const auto n = static_cast<size_t>(leads.num_rows());
  if (schedule.grades.size() != n || schedule.touch_counts.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the schedule holds grades and touch counts for ",
        schedule.grades.size(), " and ", schedule.touch_counts.size(),
        " leads, the leads table ", n, " rows: it is not this table's"));
  }
  return absl::OkStatus();
}

TaskContext ContextOf(const ScheduleResult& schedule, size_t k) {
  const ScheduledTask& t = schedule.tasks[k];
  const auto r = static_cast<size_t>(t.lead_row);
  return {.task = t.task.kind,
          .grade_now = schedule.grades[r],
          .touches = schedule.touch_counts[r]};
}

// The first rule that holds for each of `n` tasks (TaskView::Build's
// `row_of` and `context_of`) into `rules`.
template <typename RowOf, typename ContextOf>
absl::Status FirstRules(const PolicyData& data, const Columns& leads,
                        int64_t n, RowOf row_of, ContextOf context_of,
                        std::span<int32_t> rules) {
  LEADKIT_ASSIGN_OR_RETURN(
      TaskView view, TaskView::Build(data, leads, n, row_of, context_of));
  LEADKIT_ASSIGN_OR_RETURN(Evaluator e, BindPlaybook(data, view.columns()));
  const std::vector<int> roots = PlaybookRoots(data);
  for (int64_t begin = 0; begin < n; begin += classify_internal::kBlock) {
    const int count = static_cast<int>(
        std::min<int64_t>(classify_internal::kBlock, n - begin));
    e.FirstHeld(roots, begin, count, rules.data() + begin);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace playbook_internal

absl::Status PlaybookBatch(const Policy& policy, const Columns& leads,
                           const ScheduleResult& schedule,
                           std::span<int32_t> rules) {
  const auto n = static_cast<int64_t>(schedule.tasks.size());
  if (static_cast<int64_t>(rules.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("PlaybookBatch: the output span holds ", rules.size(),
                     " values for ", n, " tasks"));
  }
  LEADKIT_RETURN_IF_ERROR(playbook_internal::CheckSchedule(leads, schedule));
  const auto row_of = [&](int64_t k) {
    return schedule.tasks[static_cast<size_t>(k)].lead_row;
  };
  const auto context_of = [&](int64_t k) {
    const int64_t row = row_of(k);
    return row >= 0 && row < leads.num_rows()
               ? playbook_internal::ContextOf(schedule, static_cast<size_t>(k))
               : TaskContext{};
  };
  return playbook_internal::FirstRules(policy.data(), leads, n, row_of,
                                       context_of, rules);
}

absl::Status PlaybookFor(const Policy& policy, const Columns& leads,
                         std::span<const int64_t> rows,
                         std::span<const TaskContext> contexts,
                         std::span<int32_t> rules) {
  const size_t n = rows.size();
  if (contexts.size() != n || rules.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PlaybookFor: ", n, " lead rows, ", contexts.size(),
        " task contexts and room for ", rules.size(),
        " rules: one of each per task"));
  }
  return playbook_internal::FirstRules(
      policy.data(), leads, static_cast<int64_t>(n),
      [&](int64_t k) { return rows[static_cast<size_t>(k)]; },
      [&](int64_t k) { return contexts[static_cast<size_t>(k)]; }, rules);
}

absl::StatusOr<std::vector<int32_t>> PlaybookRules(
    const Policy& policy, const Columns& leads,
    const ScheduleResult& schedule) {
  std::vector<int32_t> rules(schedule.tasks.size());
  LEADKIT_RETURN_IF_ERROR(PlaybookBatch(policy, leads, schedule, rules));
  return rules;
}

absl::StatusOr<NextAction> ExplainTask(const Policy& policy,
                                       const Columns& leads,
                                       const ScheduleResult& schedule,
                                       size_t task) {
  if (task >= schedule.tasks.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("task ", task, " is outside the schedule of ",
                     schedule.tasks.size(), " tasks"));
  }
  LEADKIT_RETURN_IF_ERROR(playbook_internal::CheckSchedule(leads, schedule));
  const int64_t row = schedule.tasks[task].lead_row;
  if (row < 0 || row >= leads.num_rows()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task ", task, ": lead row ", row,
                     " is outside the leads table of ", leads.num_rows(),
                     " rows"));
  }
  return ActionFor(policy, leads, row,
                   playbook_internal::ContextOf(schedule, task));
}

absl::StatusOr<NextAction> ActionFor(const Policy& policy,
                                     const Columns& leads, int64_t row,
                                     const TaskContext& context) {
  if (row < 0 || row >= leads.num_rows()) {
    return absl::OutOfRangeError(absl::StrCat(
        "row ", row, " is outside the table of ", leads.num_rows(), " rows"));
  }
  const PolicyData& data = policy.data();
  if (context.grade_now < -1 ||
      context.grade_now >= static_cast<int>(data.grades.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("grade_now ", context.grade_now,
                     " is not a grade of the policy (", data.grades.size(),
                     " grades; -1 for unknown)"));
  }
  if (static_cast<int>(context.task) < 0 ||
      static_cast<int>(context.task) >= kTaskKinds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task kind ", static_cast<int>(context.task), " is not a task kind"));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      playbook_internal::TaskView view,
      playbook_internal::TaskView::Build(
          data, leads, 1, [row](int64_t) { return row; },
          [&context](int64_t) { return context; }));
  return playbook_internal::ExplainOne(data, view.columns());
}

}  // namespace leadkit
