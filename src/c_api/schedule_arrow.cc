// lk_schedule_arrow, lk_agenda_arrow, lk_schedule_actions_arrow and
// lk_agenda_actions_arrow (leadkit.h): Arrow streams of leads and touches
// read into Columns, Cadence::Schedule or Cadence::Agenda (cadence.h) lists
// the tasks, the playbook (playbook.h) gives each its action, and they go out
// as an Arrow stream; with errors collected, the rows rejected as another.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "date/date.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"

namespace leadkit::c_api_internal {
namespace {

// The index of `word` in `words` (a playbook vocabulary, which holds every
// word a rule of a loaded policy gives).
template <typename Words>
int32_t WordCode(const Words& words, absl::string_view word) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == word) return static_cast<int32_t>(i);
  }
  return 0;
}

// Whether the lead of row `row` has `value` in `column` (nullptr: the table
// lacks it; a null never matches).
bool Matches(const Column* column, int64_t row, const std::string& value) {
  return column != nullptr && !column->IsNull(row) &&
         column->ViewAt(row) == value;
}

// The rows of `schedule.errors` as the errors stream of leadkit.h's
// lk_schedule_actions_arrow: table, row, lead_id (of the row's table),
// column (null for the row as a whole) and reason.
void ExportErrors(const ScheduleResult& schedule, const Columns& leads,
                  const Columns& touches, ArrowArrayStream* errors) {
  const Column* lead_ids = leads.Find("lead_id");
  const Column* touch_ids = touches.Find("lead_id");
  std::vector<std::string> table, reason;
  std::vector<int64_t> row;
  std::vector<std::optional<std::string>> lead_id, column;
  for (const RowError& e : schedule.errors) {
    const Column* ids = e.table == "touches" ? touch_ids : lead_ids;
    table.push_back(e.table);
    row.push_back(e.row);
    lead_id.push_back(ids == nullptr || e.row < 0 || e.row >= ids->size() ||
                              ids->IsNull(e.row)
                          ? std::nullopt
                          : std::optional<std::string>(ids->ViewAt(e.row)));
    column.push_back(e.column.empty() ? std::nullopt
                                      : std::optional<std::string>(e.column));
    reason.push_back(e.message);
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStrings(table, false));
  columns.push_back(ExportInt64s(row));
  columns.push_back(ExportOptionalStrings(lead_id));
  columns.push_back(ExportOptionalStrings(column));
  columns.push_back(ExportStrings(reason, false));
  std::vector<ArrowArray> batches;
  batches.push_back(
      ExportStruct(static_cast<int64_t>(table.size()), std::move(columns)));
  ExportStream(
      [] {
        std::vector<ArrowSchema> f;
        f.push_back(ExportSchema("u", "table", 0));
        f.push_back(ExportSchema("l", "row", 0));
        f.push_back(ExportSchema("u", "lead_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "column", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "reason", 0));
        return ExportSchema("+s", "", 0, std::move(f));
      },
      std::move(batches), errors);
}

}  // namespace

absl::Status TasksArrow(const Cadence& cadence, ArrowArrayStream* leads,
                        ArrowArrayStream* touches, int64_t as_of,
                        const TasksOptions& options, ArrowArrayStream* result,
                        ArrowArrayStream* errors) {
  const Policy& policy = cadence.policy();
  const Cadence* cadences[] = {&cadence};
  std::vector<std::string> extra = {"consultant_id"};
  if (options.actions) {
    // What the playbook's rules read of the leads, as the pandas path reads.
    extra.insert(extra.end(), policy.playbook_fields().begin(),
                 policy.playbook_fields().end());
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> lead_table,
      StreamTable::Read(leads, "leads", CadenceLeadSpecs(cadences, {}, extra),
                        "lead_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> touch_table,
      StreamTable::Read(touches, "touches", CadenceTouchSpecs(), "lead_id"));
  const ScheduleOptions schedule_options{.collect_errors =
                                             options.collect_errors};
  ScheduleResult schedule;
  if (options.day) {
    LEADKIT_ASSIGN_OR_RETURN(
        schedule,
        cadence.Agenda(lead_table->columns(), touch_table->columns(),
                       date::local_days(date::days(*options.day)),
                       schedule_options));
  } else {
    if (as_of == LK_AS_OF_DATA) {
      const Columns* tables[] = {&lead_table->columns(),
                                 &touch_table->columns()};
      LEADKIT_ASSIGN_OR_RETURN(as_of, DefaultAsOfSeconds(tables));
    }
    LEADKIT_ASSIGN_OR_RETURN(
        schedule, cadence.Schedule(lead_table->columns(), touch_table->columns(),
                                   Instant(std::chrono::seconds(as_of)),
                                   schedule_options));
  }
  std::vector<int32_t> rules;
  if (options.actions) {
    rules.resize(schedule.tasks.size());
    LEADKIT_RETURN_IF_ERROR(
        PlaybookBatch(policy, lead_table->columns(), schedule, rules));
  }

  const Columns& c = lead_table->columns();
  const Column* ids = c.Find("lead_id");
  const Column* consultants = c.Find("consultant_id");
  const Column* dealers = c.Find("dealer_id");
  if (options.dealer_id && dealers == nullptr) {
    return absl::InvalidArgumentError(
        "leads: missing required column \"dealer_id\" (the agenda of one "
        "dealer)");
  }
  // The playbook's words, and each rule's codes into them.
  const std::vector<PlaybookRule>& book = policy.playbook().rules;
  const std::vector<std::string> methods(PlaybookMethods().begin(),
                                         PlaybookMethods().end());
  const std::vector<std::string> contents = policy.PlaybookContentValues();
  const std::vector<std::string> goals = policy.PlaybookGoalValues();
  std::vector<std::string> rule_ids;
  std::vector<int32_t> method_of, content_of, goal_of;
  for (const PlaybookRule& rule : book) {
    rule_ids.push_back(rule.id);
    method_of.push_back(WordCode(methods, rule.action.method));
    content_of.push_back(WordCode(contents, rule.action.content));
    goal_of.push_back(WordCode(goals, rule.action.goal));
  }

  // The tasks kept, by index into schedule.tasks.
  std::vector<size_t> kept;
  kept.reserve(schedule.tasks.size());
  for (size_t k = 0; k < schedule.tasks.size(); ++k) {
    const int64_t row = schedule.tasks[k].lead_row;
    if ((options.consultant_id &&
         !Matches(consultants, row, *options.consultant_id)) ||
        (options.dealer_id && !Matches(dealers, row, *options.dealer_id))) {
      continue;
    }
    kept.push_back(k);
  }
  const auto n = static_cast<int64_t>(kept.size());
  const auto task_at = [&](int64_t i) -> const ScheduledTask& {
    return schedule.tasks[kept[static_cast<size_t>(i)]];
  };
  const auto seconds = [](Instant t) { return t.time_since_epoch().count(); };
  std::vector<std::optional<int64_t>> due, agenda, started;
  std::vector<uint8_t> estimated;
  std::vector<int32_t> method, content, goal, rule;
  std::vector<std::vector<std::string>> reasons;
  for (const size_t k : kept) {
    const ScheduledTask& s = schedule.tasks[k];
    const Task& t = s.task;
    due.push_back(seconds(t.due));
    agenda.push_back(t.agenda ? std::optional<int64_t>(seconds(*t.agenda))
                              : std::nullopt);
    started.push_back(seconds(t.start));
    estimated.push_back(t.estimated ? 1 : 0);
    if (!options.actions) continue;
    const auto r = static_cast<size_t>(rules[k]);
    method.push_back(method_of[r]);
    content.push_back(content_of[r]);
    goal.push_back(goal_of[r]);
    rule.push_back(rules[k]);
    if (options.explain) {
      LEADKIT_ASSIGN_OR_RETURN(NextAction why,
                               ExplainTask(policy, c, schedule, k));
      reasons.push_back(std::move(why.reasons));
    }
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStrings(
      n, [&](int64_t i) { return ids->ViewAt(task_at(i).lead_row); },
      lead_table->large_ids()));
  columns.push_back(ExportOptionalStrings(
      n, [&](int64_t i) -> std::optional<absl::string_view> {
        const int64_t row = task_at(i).lead_row;
        if (consultants == nullptr || consultants->IsNull(row)) {
          return std::nullopt;
        }
        return consultants->ViewAt(row);
      }));
  columns.push_back(ExportStrings(
      n, [&](int64_t i) { return TaskName(task_at(i).task.kind); }, false));
  columns.push_back(ExportOptionalInt64s(due));
  columns.push_back(ExportOptionalInt64s(agenda));
  columns.push_back(ExportStrings(
      n,
      [&](int64_t i) -> absl::string_view {
        return task_at(i).task.overdue ? "overdue" : "pending";
      },
      false));
  columns.push_back(ExportOptionalInt64s(started));
  columns.push_back(ExportOptionalStrings(
      n, [&](int64_t i) -> std::optional<absl::string_view> {
        const std::string& detail = task_at(i).task.detail;
        if (detail.empty()) return std::nullopt;
        return absl::string_view(detail);
      }));
  columns.push_back(ExportBools(estimated));
  if (options.actions) {
    columns.push_back(ExportDictionary(std::move(method), methods));
    columns.push_back(ExportDictionary(std::move(content), contents));
    columns.push_back(ExportDictionary(std::move(goal), goals));
    columns.push_back(ExportDictionary(std::move(rule), rule_ids));
    if (options.explain) columns.push_back(ExportStringLists(reasons));
  }
  std::vector<ArrowArray> batches;
  batches.push_back(ExportStruct(n, std::move(columns)));
  const bool large = lead_table->large_ids();
  const bool actions = options.actions;
  const bool explain = options.actions && options.explain;
  // The errors stream is handed over only once the result is: released here
  // if exporting the result fails.
  ArrowArrayStream collected{};
  ConsumeStreams release_unless_handed({&collected});
  if (options.collect_errors) {
    ExportErrors(schedule, c, touch_table->columns(), &collected);
  }
  ExportStream(
      [large, actions, explain] {
        std::vector<ArrowSchema> f;
        f.push_back(ExportSchema(large ? "U" : "u", "lead_id", 0));
        f.push_back(ExportSchema("u", "consultant_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "task", 0));
        f.push_back(ExportSchema("tss:UTC", "due_at", 0));
        f.push_back(ExportSchema("tss:UTC", "agenda_at", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "status", 0));
        f.push_back(ExportSchema("tss:UTC", "started_at", 0));
        f.push_back(ExportSchema("u", "detail", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("b", "estimated", 0));
        if (actions) {
          for (const char* name : {"method", "content", "goal", "rule"}) {
            f.push_back(
                ExportSchema("i", name, 0, {}, ExportSchema("u", "", 0)));
          }
        }
        if (explain) {
          std::vector<ArrowSchema> item;
          item.push_back(ExportSchema("u", "item", 0));
          f.push_back(ExportSchema("+l", "reasons", 0, std::move(item)));
        }
        return ExportSchema("+s", "", 0, std::move(f));
      },
      std::move(batches), result);
  if (options.collect_errors) {
    *errors = collected;
    collected.release = nullptr;  // moved
  }
  return absl::OkStatus();
}

}  // namespace leadkit::c_api_internal

namespace {

// The day of lk_agenda_arrow and lk_agenda_actions_arrow: OutOfRange outside
// the years date's civil arithmetic is exact for (Python's datetime.date's
// too): 0001-01-01 to 9999-12-31.
absl::Status CheckDay(absl::string_view function, int32_t day) {
  if (day < -719162 || day > 2932896) {
    return absl::OutOfRangeError(absl::StrCat(
        function, ": day ", day,
        " (days since 1970-01-01) falls outside the years 1 to 9999"));
  }
  return absl::OkStatus();
}

// The arguments every task call needs: InvalidArgument naming a NULL one.
absl::Status CheckTaskArguments(absl::string_view function,
                                const lk_cadence* cadence,
                                const ArrowArrayStream* leads,
                                const ArrowArrayStream* touches,
                                const ArrowArrayStream* result) {
  using leadkit::c_api_internal::NullArgument;
  if (cadence == nullptr) return NullArgument(function, "cadence");
  if (leads == nullptr) return NullArgument(function, "leads");
  if (touches == nullptr) return NullArgument(function, "touches");
  if (result == nullptr) return NullArgument(function, "result");
  return absl::OkStatus();
}

// The flags of lk_schedule_actions_arrow and lk_agenda_actions_arrow as
// TasksOptions, and the errors stream they need. InvalidArgument naming an
// unknown flag, and a NULL `errors` when errors are collected.
absl::StatusOr<leadkit::c_api_internal::TasksOptions> ActionOptions(
    absl::string_view function, uint32_t flags, ArrowArrayStream* errors) {
  constexpr uint32_t kKnown = LK_TASKS_EXPLAIN | LK_TASKS_COLLECT_ERRORS;
  if ((flags & ~kKnown) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, ": unknown flags 0x",
                     absl::Hex(flags & ~kKnown)));
  }
  leadkit::c_api_internal::TasksOptions options{
      .actions = true,
      .explain = (flags & LK_TASKS_EXPLAIN) != 0,
      .collect_errors = (flags & LK_TASKS_COLLECT_ERRORS) != 0};
  if (options.collect_errors && errors == nullptr) {
    return leadkit::c_api_internal::NullArgument(function, "errors");
  }
  return options;
}

}  // namespace

extern "C" lk_status lk_schedule_arrow(const lk_cadence* cadence,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* touches,
                                       int64_t as_of,
                                       struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_schedule_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_schedule_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        LEADKIT_RETURN_IF_ERROR(
            CheckTaskArguments(kFunction, cadence, leads, touches, result));
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, as_of, {}, result, nullptr);
      });
}

extern "C" lk_status lk_agenda_arrow(const lk_cadence* cadence,
                                     struct ArrowArrayStream* leads,
                                     struct ArrowArrayStream* touches,
                                     int32_t day,
                                     struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_agenda_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_agenda_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        LEADKIT_RETURN_IF_ERROR(
            CheckTaskArguments(kFunction, cadence, leads, touches, result));
        LEADKIT_RETURN_IF_ERROR(CheckDay(kFunction, day));
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, LK_AS_OF_DATA, {.day = day},
            result, nullptr);
      });
}

extern "C" lk_status lk_schedule_actions_arrow(
    const lk_cadence* cadence, struct ArrowArrayStream* leads,
    struct ArrowArrayStream* touches, int64_t as_of, uint32_t flags,
    struct ArrowArrayStream* result, struct ArrowArrayStream* errors) {
  if (result != nullptr) result->release = nullptr;
  if (errors != nullptr) errors->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_schedule_actions_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_schedule_actions_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        LEADKIT_RETURN_IF_ERROR(
            CheckTaskArguments(kFunction, cadence, leads, touches, result));
        LEADKIT_ASSIGN_OR_RETURN(
            const leadkit::c_api_internal::TasksOptions options,
            ActionOptions(kFunction, flags, errors));
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, as_of, options, result, errors);
      });
}

extern "C" lk_status lk_agenda_actions_arrow(
    const lk_cadence* cadence, struct ArrowArrayStream* leads,
    struct ArrowArrayStream* touches, int32_t day, const char* consultant_id,
    const char* dealer_id, uint32_t flags, struct ArrowArrayStream* result,
    struct ArrowArrayStream* errors) {
  if (result != nullptr) result->release = nullptr;
  if (errors != nullptr) errors->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_agenda_actions_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_agenda_actions_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        LEADKIT_RETURN_IF_ERROR(
            CheckTaskArguments(kFunction, cadence, leads, touches, result));
        LEADKIT_RETURN_IF_ERROR(CheckDay(kFunction, day));
        LEADKIT_ASSIGN_OR_RETURN(leadkit::c_api_internal::TasksOptions options,
                                 ActionOptions(kFunction, flags, errors));
        options.day = day;
        if (consultant_id != nullptr) options.consultant_id = consultant_id;
        if (dealer_id != nullptr) options.dealer_id = dealer_id;
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, LK_AS_OF_DATA, options, result,
            errors);
      });
}
