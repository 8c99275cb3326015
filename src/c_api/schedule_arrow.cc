// lk_schedule_arrow and lk_agenda_arrow (leadkit.h): Arrow streams of leads
// and touches read into Columns, Cadence::Schedule or Cadence::Agenda
// (cadence.h) lists the tasks, which go out as an Arrow stream.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "date/date.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"

namespace leadkit::c_api_internal {
namespace {

// The tasks of a batch: with `day` (days since 1970-01-01) that local day's
// agenda (as_of unused), else every task open at `as_of`.
absl::Status TasksArrow(const Cadence& cadence, ArrowArrayStream* leads,
                        ArrowArrayStream* touches, int64_t as_of,
                        std::optional<int32_t> day, ArrowArrayStream* result) {
  const Cadence* cadences[] = {&cadence};
  const std::string consultant_id[] = {"consultant_id"};
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> lead_table,
      StreamTable::Read(leads, "leads",
                        CadenceLeadSpecs(cadences, {}, consultant_id),
                        "lead_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> touch_table,
      StreamTable::Read(touches, "touches", CadenceTouchSpecs(), "lead_id"));
  ScheduleResult schedule;
  if (day) {
    LEADKIT_ASSIGN_OR_RETURN(
        schedule,
        cadence.Agenda(lead_table->columns(), touch_table->columns(),
                       date::local_days(date::days(*day))));
  } else {
    if (as_of == LK_AS_OF_DATA) {
      const Columns* tables[] = {&lead_table->columns(),
                                 &touch_table->columns()};
      LEADKIT_ASSIGN_OR_RETURN(as_of, DefaultAsOfSeconds(tables));
    }
    LEADKIT_ASSIGN_OR_RETURN(
        schedule, cadence.Schedule(lead_table->columns(), touch_table->columns(),
                                   Instant(std::chrono::seconds(as_of))));
  }

  const Columns& c = lead_table->columns();
  const Column* ids = c.Find("lead_id");
  const Column* consultants = c.Find("consultant_id");
  const auto seconds = [](Instant t) { return t.time_since_epoch().count(); };
  const size_t n = schedule.tasks.size();
  std::vector<std::string> lead_id, task, status;
  std::vector<std::optional<std::string>> consultant, detail;
  std::vector<std::optional<int64_t>> due, agenda, started;
  std::vector<uint8_t> estimated;
  for (const ScheduledTask& s : schedule.tasks) {
    const Task& t = s.task;
    lead_id.emplace_back(ids->ViewAt(s.lead_row));
    consultant.push_back(
        consultants == nullptr || consultants->IsNull(s.lead_row)
            ? std::nullopt
            : std::optional<std::string>(consultants->ViewAt(s.lead_row)));
    task.emplace_back(TaskName(t.kind));
    due.push_back(seconds(t.due));
    agenda.push_back(t.agenda ? std::optional<int64_t>(seconds(*t.agenda))
                              : std::nullopt);
    status.emplace_back(t.overdue ? "overdue" : "pending");
    started.push_back(seconds(t.start));
    detail.push_back(t.detail.empty() ? std::nullopt
                                      : std::optional<std::string>(t.detail));
    estimated.push_back(t.estimated ? 1 : 0);
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStrings(lead_id, lead_table->large_ids()));
  columns.push_back(ExportOptionalStrings(consultant));
  columns.push_back(ExportStrings(task, false));
  columns.push_back(ExportOptionalInt64s(due));
  columns.push_back(ExportOptionalInt64s(agenda));
  columns.push_back(ExportStrings(status, false));
  columns.push_back(ExportOptionalInt64s(started));
  columns.push_back(ExportOptionalStrings(detail));
  columns.push_back(ExportBools(estimated));
  std::vector<ArrowArray> batches;
  batches.push_back(ExportStruct(static_cast<int64_t>(n), std::move(columns)));
  const bool large = lead_table->large_ids();
  ExportStream(
      [large] {
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
        return ExportSchema("+s", "", 0, std::move(f));
      },
      std::move(batches), result);
  return absl::OkStatus();
}

}  // namespace
}  // namespace leadkit::c_api_internal

extern "C" lk_status lk_schedule_arrow(const lk_cadence* cadence,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* touches,
                                       int64_t as_of,
                                       struct ArrowArrayStream* result) {
  using leadkit::c_api_internal::NullArgument;
  if (result != nullptr) result->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_schedule_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_schedule_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        if (cadence == nullptr) return NullArgument(kFunction, "cadence");
        if (leads == nullptr) return NullArgument(kFunction, "leads");
        if (touches == nullptr) return NullArgument(kFunction, "touches");
        if (result == nullptr) return NullArgument(kFunction, "result");
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, as_of, std::nullopt, result);
      });
}

extern "C" lk_status lk_agenda_arrow(const lk_cadence* cadence,
                                     struct ArrowArrayStream* leads,
                                     struct ArrowArrayStream* touches,
                                     int32_t day,
                                     struct ArrowArrayStream* result) {
  using leadkit::c_api_internal::NullArgument;
  if (result != nullptr) result->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_agenda_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_agenda_arrow";
        leadkit::c_api_internal::ConsumeStreams consume({leads, touches});
        if (cadence == nullptr) return NullArgument(kFunction, "cadence");
        if (leads == nullptr) return NullArgument(kFunction, "leads");
        if (touches == nullptr) return NullArgument(kFunction, "touches");
        if (result == nullptr) return NullArgument(kFunction, "result");
        // date's civil arithmetic is exact for the years 1 to 9999 (Python's
        // datetime.date's too): 0001-01-01 to 9999-12-31.
        if (day < -719162 || day > 2932896) {
          return absl::OutOfRangeError(absl::StrCat(
              kFunction, ": day ", day,
              " (days since 1970-01-01) falls outside the years 1 to 9999"));
        }
        return leadkit::c_api_internal::TasksArrow(
            cadence->cadence, leads, touches, LK_AS_OF_DATA, day, result);
      });
}
