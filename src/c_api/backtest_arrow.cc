// The policy backtest over the C ABI (leadkit.h): Arrow streams of leads,
// touches and surveys read into Columns once, BacktestState (backtest.h)
// replays them under each policy, and each of its tables goes out as an Arrow
// stream.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "json_reader.h"
#include "leadkit/backtest.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/phone.h"
#include "nlohmann/json.hpp"

struct lk_backtest_state {
  leadkit::BacktestState state;
};

namespace leadkit::c_api_internal {
namespace {

using GradeMap = std::map<std::string, std::string, std::less<>>;

// leadkit.h's `grade_map_json`: {policy name: {history grade: policy grade}}
// read into one map (or none) per policy of `names`, in their order.
absl::StatusOr<std::vector<std::optional<GradeMap>>> ReadGradeMaps(
    absl::string_view text, std::span<const std::string> names) {
  std::vector<std::optional<GradeMap>> maps(names.size());
  LEADKIT_ASSIGN_OR_RETURN(const nlohmann::json doc,
                           json_internal::ParseOrError(text, "grade_map"));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grade_map: expected a JSON object of policy names to {history grade: "
        "policy grade} objects, got ",
        json_internal::JsonKind(doc)));
  }
  for (const auto& [policy, map] : doc.items()) {
    size_t index = 0;
    while (index < names.size() && names[index] != policy) ++index;
    if (index == names.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grade_map: ", json_internal::Quoted(ScrubText(policy)),
          " is not one of the policies (", absl::StrJoin(names, ", "), ")"));
    }
    const std::string where = absl::StrCat("grade_map[\"", policy, "\"]");
    if (!map.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a JSON object of grade names, got ",
                       json_internal::JsonKind(map)));
    }
    GradeMap& grades = maps[index].emplace();
    for (const auto& [from, to] : map.items()) {
      if (!to.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "[\"", ScrubText(from),
            "\"]: expected a grade name (a string), got ",
            json_internal::JsonKind(to)));
      }
      grades.emplace(from, to.get<std::string>());
    }
  }
  return maps;
}

absl::Status AddToBacktest(BacktestState& state,
                           std::span<const Cadence* const> cadences,
                           std::vector<std::optional<GradeMap>> grade_maps,
                           ArrowArrayStream* leads, ArrowArrayStream* touches,
                           ArrowArrayStream* surveys, const lk_scope* scope,
                           int64_t as_of) {
  static const std::string kConsultant[] = {"consultant_id"};
  std::vector<ColumnSpec> lead_specs =
      CadenceLeadSpecs(cadences, state.by(), kConsultant);
  // Each policy grades the leads again: a recorded grade is not read.
  std::erase_if(lead_specs,
                [](const ColumnSpec& s) { return s.name == "grade"; });
  std::vector<BacktestPolicy> policies;
  for (size_t i = 0; i < cadences.size(); ++i) {
    policies.push_back({.name = state.policies()[i],
                        .cadence = *cadences[i],
                        .grade_map = std::move(grade_maps[i])});
  }
  return AddTables(
      state,
      {{leads, "leads", lead_specs, "lead_id", scope},
       {touches, "touches", CadenceTouchSpecs()},
       {surveys, "surveys", KpiSurveySpecs()}},
      as_of,
      [&](BacktestState& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        return s.Add(policies, *t[0], *t[1], t[2], at, include);
      });
}

// The `by` key columns of a summary row (utf8, null for the null group).
std::vector<ResultColumn<BacktestRow>> KeyColumns(
    const std::vector<std::string>& by) {
  std::vector<ResultColumn<BacktestRow>> columns;
  for (size_t k = 0; k < by.size(); ++k) {
    columns.push_back({.name = by[k], .text = [k](const BacktestRow& row) {
                         return row.kpis.key[k];
                       }});
  }
  columns.push_back(
      {.name = "policy", .text = [](const BacktestRow& row) {
         return std::optional<std::string>(row.policy);
       }});
  return columns;
}

// The task load's value columns of a row.
void AddLoadColumns(std::vector<ResultColumn<BacktestRow>>& columns) {
  columns.push_back({.name = "tasks_per_consultant_day_mean",
                     .value = [](const BacktestRow& row) {
                       return row.tasks_per_consultant_day_mean;
                     }});
  columns.push_back({.name = "tasks_per_consultant_day_p90",
                     .value = [](const BacktestRow& row) {
                       return row.tasks_per_consultant_day_p90;
                     }});
  columns.push_back({.name = "tasks_per_consultant_day_max",
                     .value = [](const BacktestRow& row) {
                       return row.tasks_per_consultant_day_max;
                     }});
}

// lk_backtest_state_finalize's "summary".
void ExportSummary(const BacktestState& state, const BacktestResult& result,
                   ArrowArrayStream* out) {
  std::vector<ResultColumn<BacktestRow>> columns = KeyColumns(state.by());
  for (const KpiField& field : KpiFields()) {
    if (!field.column) continue;
    if (field.count != nullptr) {
      columns.push_back({.name = std::string(field.name),
                         .count = [count = field.count](const BacktestRow& r) {
                           return r.kpis.counts.*count;
                         }});
    } else {
      columns.push_back({.name = std::string(field.name),
                         .value = [value = field.value](const BacktestRow& r) {
                           return (r.kpis.*value)();
                         }});
    }
  }
  AddLoadColumns(columns);
  columns.push_back(
      {.name = "grade_auc",
       .value = [](const BacktestRow& row) { return row.grade_auc; }});
  columns.push_back(
      {.name = "top_grade_lift",
       .value = [](const BacktestRow& row) { return row.top_grade_lift; }});
  columns.push_back({.name = "notes", .text = [](const BacktestRow& row) {
                       return std::optional<std::string>(
                           ScrubText(absl::StrJoin(row.notes, "; ")));
                     }});
  ExportGroups<BacktestRow>({}, result.summary, columns, out);
}

// lk_backtest_state_finalize's "task_load".
void ExportTaskLoad(const BacktestState& state, const BacktestResult& result,
                    ArrowArrayStream* out) {
  std::vector<ResultColumn<BacktestRow>> columns = KeyColumns(state.by());
  columns.push_back(
      {.name = "tasks", .count = [](const BacktestRow& row) { return row.tasks; }});
  columns.push_back({.name = "consultant_days",
                     .count = [](const BacktestRow& row) {
                       return row.consultant_days;
                     }});
  AddLoadColumns(columns);
  ExportGroups<BacktestRow>({}, result.summary, columns, out);
}

// lk_backtest_state_finalize's "conversion".
void ExportConversion(const BacktestState&, const BacktestResult& result,
                      ArrowArrayStream* out) {
  using Row = BacktestGradeRow;
  const ResultColumn<Row> columns[] = {
      {.name = "policy",
       .text = [](const Row& r) { return std::optional<std::string>(r.policy); }},
      {.name = "grade",
       .text = [](const Row& r) { return std::optional<std::string>(r.grade); }},
      {.name = "leads", .count = [](const Row& r) { return r.outcome.leads; }},
      {.name = "won", .count = [](const Row& r) { return r.outcome.won; }},
      {.name = "lost", .count = [](const Row& r) { return r.outcome.lost; }},
      {.name = "conversion_rate",
       .value = [](const Row& r) { return r.outcome.conversion_rate(); }}};
  ExportGroups<Row>({}, result.grades, columns, out);
}

// lk_backtest_state_finalize's "grades": one row per combination of grades
// holding a lead, a column per policy (its grade) and `leads`.
void ExportGrades(const BacktestState&, const BacktestResult& result,
                  ArrowArrayStream* out) {
  using Row = std::pair<std::vector<int>, int64_t>;
  std::vector<ResultColumn<Row>> columns;
  for (size_t p = 0; p < result.policies.size(); ++p) {
    columns.push_back({.name = result.policies[p],
                       .text = [&result, p](const Row& row) {
                         return std::optional<std::string>(
                             result.grade_names[p][row.first[p]]);
                       }});
  }
  columns.push_back(
      {.name = "leads", .count = [](const Row& row) { return row.second; }});
  ExportGroups<Row>({}, result.combinations, columns, out);
}

using ExportTable = void (*)(const BacktestState&, const BacktestResult&,
                             ArrowArrayStream*);

struct NamedTable {
  absl::string_view name;
  ExportTable export_table;
};

constexpr NamedTable kTables[] = {{"summary", ExportSummary},
                                  {"task_load", ExportTaskLoad},
                                  {"conversion", ExportConversion},
                                  {"grades", ExportGrades}};

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_backtest_state_create(const char* const* policies,
                                   size_t policy_count, const char* const* by,
                                   size_t by_count,
                                   lk_backtest_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_backtest_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_backtest_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (policies == nullptr) return NullArgument(kFunction, "policies");
    if (policy_count == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": policies: at least one name (policy_count is 0)"));
    }
    std::vector<std::string> names;
    for (size_t i = 0; i < policy_count; ++i) {
      if (policies[i] == nullptr || policies[i][0] == '\0') {
        return absl::InvalidArgumentError(
            absl::StrCat(kFunction, ": policies[", i, "] is ",
                         policies[i] == nullptr ? "NULL" : "empty"));
      }
      for (size_t j = 0; j < names.size(); ++j) {
        if (names[j] == policies[i]) {
          return absl::InvalidArgumentError(absl::StrCat(
              kFunction, ": policies[", i, "]: the name \"",
              leadkit::ScrubText(policies[i]), "\" is also policies[", j,
              "]'s"));
        }
      }
      names.emplace_back(policies[i]);
    }
    LEADKIT_ASSIGN_OR_RETURN(
        std::vector<std::string> groups,
        leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    *state = new lk_backtest_state{
        leadkit::BacktestState(std::move(names), std::move(groups))};
    return absl::OkStatus();
  });
}

lk_status lk_backtest_state_add(lk_backtest_state* state,
                                const lk_cadence* const* cadences,
                                size_t cadence_count,
                                const char* grade_map_json,
                                size_t grade_map_json_len,
                                struct ArrowArrayStream* leads,
                                struct ArrowArrayStream* touches,
                                struct ArrowArrayStream* surveys,
                                const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_backtest_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_backtest_state_add";
    ConsumeStreams consume({leads, touches, surveys});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (cadences == nullptr) return NullArgument(kFunction, "cadences");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    const std::vector<std::string>& names = state->state.policies();
    if (cadence_count != names.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": ", cadence_count, " cadences for the state's ",
          names.size(), " policies (", absl::StrJoin(names, ", "), ")"));
    }
    std::vector<const leadkit::Cadence*> judged;
    for (size_t i = 0; i < cadence_count; ++i) {
      if (cadences[i] == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            kFunction, ": cadences[", i, "] (policy \"", names[i],
            "\") is NULL"));
      }
      judged.push_back(&cadences[i]->cadence);
    }
    std::vector<std::optional<leadkit::c_api_internal::GradeMap>> maps(
        names.size());
    if (grade_map_json != nullptr) {
      LEADKIT_ASSIGN_OR_RETURN(
          maps, leadkit::c_api_internal::ReadGradeMaps(
                    absl::string_view(grade_map_json, grade_map_json_len),
                    names));
    } else if (grade_map_json_len > 0) {
      return NullArgument(kFunction, "grade_map_json");
    }
    return leadkit::c_api_internal::AddToBacktest(
        state->state, judged, std::move(maps), leads, touches, surveys, scope,
        as_of);
  });
}

lk_status lk_backtest_state_merge(lk_backtest_state* state,
                                  const lk_backtest_state* other) {
  return leadkit::c_api_internal::MergeState("lk_backtest_state_merge", state,
                                             other);
}

lk_status lk_backtest_state_serialize(const lk_backtest_state* state,
                                      uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_backtest_state_serialize", state, bytes, size);
}

lk_status lk_backtest_state_deserialize(const uint8_t* bytes, size_t size,
                                        lk_backtest_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_backtest_state,
                                                   leadkit::BacktestState>(
      "lk_backtest_state_deserialize", bytes, size, state);
}

lk_status lk_backtest_state_finalize(const lk_backtest_state* state,
                                     const char* table,
                                     struct ArrowArrayStream* result) {
  constexpr absl::string_view kFunction = "lk_backtest_state_finalize";
  if (result != nullptr) result->release = nullptr;
  leadkit::c_api_internal::ExportTable export_table = nullptr;
  const lk_status named = Guarded(kFunction, [&]() -> absl::Status {
    if (table == nullptr) return NullArgument(kFunction, "table");
    for (const auto& t : leadkit::c_api_internal::kTables) {
      if (t.name == table) export_table = t.export_table;
    }
    if (export_table == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": unknown table \"", leadkit::ScrubText(table),
          "\" (summary, task_load, conversion, grades)"));
    }
    return absl::OkStatus();
  });
  if (named != LK_OK) return named;
  return leadkit::c_api_internal::FinalizeState(
      kFunction, state, result,
      [export_table](const leadkit::BacktestState& s, ArrowArrayStream* out) {
        export_table(s, s.Finalize(), out);
      });
}

void lk_backtest_state_free(lk_backtest_state* state) { delete state; }

}  // extern "C"
