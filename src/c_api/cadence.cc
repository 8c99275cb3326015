// Calendars, cadences and the open tasks of one lead over the C ABI
// (leadkit.h): documents and JSON in, the C++ Calendar and Cadence
// (calendar.h, cadence.h) do the work, tasks out as JSON; the dealers' own
// calendars from the dealers table as an Arrow stream (Cadence::WithDealers).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/c_api_internal.h"
#include "date/date.h"
#include "json_reader.h"
#include "lead_json_internal.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/lead_json.h"
#include "leadkit/leadkit.h"
#include "nlohmann/json.hpp"

namespace leadkit::c_api_internal {
namespace {

using Json = nlohmann::ordered_json;

// "2025-03-03T02:00:00Z".
std::string Utc(Instant t) {
  return date::format("%FT%TZ", date::sys_seconds(t.time_since_epoch()));
}

// The touches of one lead, from a JSON array of {"at", "method",
// "grade_after"} objects, as the touches table's Columns.
class TouchTable {
 public:
  static absl::StatusOr<std::unique_ptr<TouchTable>> FromJson(
      absl::string_view text, absl::string_view lead_id) {
    LEADKIT_ASSIGN_OR_RETURN(const nlohmann::json doc,
                             json_internal::ParseOrError(text, "touches"));
    if (!doc.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("touches: expected a JSON array of touch objects, got ",
                       json_internal::JsonKind(doc)));
    }
    std::unique_ptr<TouchTable> t(new TouchTable());
    const int64_t n = static_cast<int64_t>(doc.size());
    t->offsets_.push_back(0);
    for (int64_t i = 0; i < n; ++i) {
      const nlohmann::json& touch = doc[static_cast<size_t>(i)];
      const std::string where = absl::StrCat("touches[", i, "]");
      if (!touch.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": expected a JSON object, got ",
                         json_internal::JsonKind(touch)));
      }
      for (const auto& [key, value] : touch.items()) {
        if (key != "at" && key != "method" && key != "grade_after" &&
            key != "lead_id") {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": unknown field \"", key,
              "\"; a touch has at, method and grade_after"));
        }
      }
      const auto at = touch.find("at");
      int64_t seconds = 0;
      bool ok = false;
      if (at != touch.end() && at->is_number_integer() &&
          !(at->is_number_unsigned() &&
            at->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
        seconds = at->get<int64_t>();
        ok = true;
      } else if (at != touch.end() && at->is_string()) {
        ok = lead_json_internal::ParseInstant(at->get<std::string>(), seconds);
      }
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".at: expected an ISO 8601 time with an offset, or epoch "
            "seconds, got ",
            at == touch.end() ? "nothing" : at->dump()));
      }
      const auto method = touch.find("method");
      if (method == touch.end() || !method->is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".method: expected a string, got ",
            method == touch.end() ? "nothing" : method->dump()));
      }
      const auto grade = touch.find("grade_after");
      int32_t grade_code = -1;
      if (grade != touch.end() && !grade->is_null()) {
        if (!grade->is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ".grade_after: expected a string, got ", grade->dump()));
        }
        grade_code = t->Code(t->grades_, grade->get<std::string>());
      }
      t->at_.push_back(seconds);
      t->methods_codes_.push_back(t->Code(t->methods_, method->get<std::string>()));
      t->grade_codes_.push_back(grade_code);
      t->chars_.append(lead_id.data(), lead_id.size());
      t->offsets_.push_back(static_cast<int64_t>(t->chars_.size()));
    }
    t->columns_ = std::make_unique<Columns>(n);
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add(
        "lead_id", Column::Strings(t->offsets_, t->chars_.data())));
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add("at", Column::Instants(t->at_)));
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add(
        "method", Column::Codes(t->methods_codes_, t->methods_)));
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add(
        "grade_after", Column::Codes(t->grade_codes_, t->grades_)));
    return t;
  }

  const Columns& columns() const { return *columns_; }

 private:
  TouchTable() = default;
  static int32_t Code(std::vector<std::string>& dictionary,
                      const std::string& text) {
    for (size_t i = 0; i < dictionary.size(); ++i) {
      if (dictionary[i] == text) return static_cast<int32_t>(i);
    }
    dictionary.push_back(text);
    return static_cast<int32_t>(dictionary.size() - 1);
  }

  std::vector<int64_t> offsets_;
  std::string chars_;
  std::vector<int64_t> at_;
  std::vector<int32_t> methods_codes_, grade_codes_;
  std::vector<std::string> methods_, grades_;
  std::unique_ptr<Columns> columns_;
};

absl::StatusOr<std::string> LeadTasks(const Cadence& cadence,
                                      absl::string_view lead_json,
                                      absl::string_view touches_json,
                                      int64_t as_of) {
  LEADKIT_ASSIGN_OR_RETURN(const nlohmann::json lead,
                           json_internal::ParseOrError(lead_json, "lead"));
  if (!lead.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lead: expected a JSON object of lead fields, got ",
                     json_internal::JsonKind(lead)));
  }
  const auto id = lead.find("lead_id");
  if (id == lead.end() || !id->is_string()) {
    return absl::InvalidArgumentError(
        "lead.lead_id: expected the lead's id, a string");
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const LeadTable leads,
      LeadTable::FromJson(nlohmann::json::array({lead}).dump()));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<TouchTable> touches,
      TouchTable::FromJson(touches_json, id->get<std::string>()));
  if (as_of == LK_AS_OF_DATA) {
    const Columns* tables[] = {&leads.columns(), &touches->columns()};
    LEADKIT_ASSIGN_OR_RETURN(as_of, DefaultAsOfSeconds(tables));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const ScheduleResult schedule,
      cadence.Schedule(leads.columns(), touches->columns(),
                       Instant(std::chrono::seconds(as_of))));
  Json out = Json::array();
  for (const ScheduledTask& s : schedule.tasks) {
    const Task& task = s.task;
    out.push_back(
        {{"task", std::string(TaskName(task.kind))},
         {"started_at", Utc(task.start)},
         {"due_at", Utc(task.due)},
         {"agenda_at", task.agenda ? Json(Utc(*task.agenda)) : Json(nullptr)},
         {"status", task.overdue ? "overdue" : "pending"},
         {"detail", task.detail.empty() ? Json(nullptr) : Json(task.detail)},
         {"estimated", task.estimated}});
  }
  return JsonText(out);
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::CopyOut;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_calendar_from_json(const char* json, size_t json_len,
                                lk_calendar** calendar, char** issues) {
  if (calendar != nullptr) *calendar = nullptr;
  if (issues != nullptr) *issues = nullptr;
  return Guarded("lk_calendar_from_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_calendar_from_json";
    if (calendar == nullptr) return NullArgument(kFunction, "calendar");
    if (json == nullptr) return NullArgument(kFunction, "json");
    LEADKIT_ASSIGN_OR_RETURN(
        const leadkit::CalendarLoad load,
        leadkit::Calendar::FromJson(absl::string_view(json, json_len)));
    if (issues != nullptr) {
      *issues = CopyOut(leadkit::c_api_internal::IssuesJson(load.issues()));
    }
    absl::StatusOr<leadkit::Calendar> loaded = load.calendar();
    if (!loaded.ok()) {
      // Issues only come with LK_OK and LK_FAILED_PRECONDITION.
      if (issues != nullptr &&
          loaded.status().code() != absl::StatusCode::kFailedPrecondition) {
        lk_string_free(*issues);
        *issues = nullptr;
      }
      return loaded.status();
    }
    *calendar = new lk_calendar{*std::move(loaded)};
    return absl::OkStatus();
  });
}

lk_status lk_calendar_from_preset(const char* name, lk_calendar** calendar) {
  if (calendar != nullptr) *calendar = nullptr;
  return Guarded("lk_calendar_from_preset", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_calendar_from_preset";
    if (calendar == nullptr) return NullArgument(kFunction, "calendar");
    if (name == nullptr) return NullArgument(kFunction, "name");
    LEADKIT_ASSIGN_OR_RETURN(leadkit::Calendar loaded,
                             leadkit::Calendar::Preset(name));
    *calendar = new lk_calendar{std::move(loaded)};
    return absl::OkStatus();
  });
}

lk_status lk_calendar_to_json(const lk_calendar* calendar, char** json) {
  if (json != nullptr) *json = nullptr;
  return Guarded("lk_calendar_to_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_calendar_to_json";
    if (calendar == nullptr) return NullArgument(kFunction, "calendar");
    if (json == nullptr) return NullArgument(kFunction, "json");
    *json = CopyOut(calendar->calendar.ToJson());
    return absl::OkStatus();
  });
}

void lk_calendar_free(lk_calendar* calendar) { delete calendar; }

lk_status lk_cadence_from_calendar(const lk_policy* policy,
                                   const lk_calendar* calendar,
                                   lk_cadence** cadence) {
  if (cadence != nullptr) *cadence = nullptr;
  return Guarded("lk_cadence_from_calendar", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_cadence_from_calendar";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (calendar == nullptr) return NullArgument(kFunction, "calendar");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    *cadence = new lk_cadence{
        leadkit::Cadence(policy->policy, calendar->calendar)};
    return absl::OkStatus();
  });
}

lk_status lk_cadence_with_dealers(const lk_cadence* cadence,
                                  struct ArrowArrayStream* dealers,
                                  lk_cadence** with_dealers) {
  if (with_dealers != nullptr) *with_dealers = nullptr;
  return Guarded("lk_cadence_with_dealers", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_cadence_with_dealers";
    leadkit::c_api_internal::ConsumeStreams consume({dealers});
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (dealers == nullptr) return NullArgument(kFunction, "dealers");
    if (with_dealers == nullptr) return NullArgument(kFunction, "with_dealers");
    static const std::vector<leadkit::c_api_internal::ColumnSpec> kDealers = {
        {"calendar", leadkit::FieldType::kString}};
    LEADKIT_ASSIGN_OR_RETURN(
        const std::unique_ptr<leadkit::c_api_internal::StreamTable> table,
        leadkit::c_api_internal::StreamTable::Read(dealers, "dealers", kDealers,
                                                   "dealer_id"));
    LEADKIT_ASSIGN_OR_RETURN(leadkit::Cadence made,
                             cadence->cadence.WithDealers(table->columns()));
    *with_dealers = new lk_cadence{std::move(made)};
    return absl::OkStatus();
  });
}

lk_status lk_cadence_lead_tasks(const lk_cadence* cadence,
                                const char* lead_json, size_t lead_json_len,
                                const char* touches_json,
                                size_t touches_json_len, int64_t as_of,
                                char** tasks) {
  if (tasks != nullptr) *tasks = nullptr;
  return Guarded("lk_cadence_lead_tasks", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_cadence_lead_tasks";
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (lead_json == nullptr) return NullArgument(kFunction, "lead_json");
    if (tasks == nullptr) return NullArgument(kFunction, "tasks");
    const absl::string_view touches =
        touches_json == nullptr ? absl::string_view("[]")
                                : absl::string_view(touches_json, touches_json_len);
    LEADKIT_ASSIGN_OR_RETURN(
        const std::string out,
        leadkit::c_api_internal::LeadTasks(
            cadence->cadence, absl::string_view(lead_json, lead_json_len),
            touches, as_of));
    *tasks = CopyOut(out);
    return absl::OkStatus();
  });
}

}  // extern "C"
