// The KPI state over the C ABI (leadkit.h): Arrow streams of leads, touches
// and surveys read into Columns, KpiState (kpi.h) does the rest, and its rows
// go out as an Arrow stream of the KPI table.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/kpi.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"
#include "leadkit/scope.h"

struct lk_kpi_state {
  leadkit::KpiState state;
};

namespace leadkit::c_api_internal {
namespace {

// Group keys computed from the leads rather than read as a column (kpi.h).
bool DerivedKey(absl::string_view name) {
  return name == "grade" || name == "current_grade" || name == "month" ||
         name == "week";
}

void AddSpec(std::vector<ColumnSpec>& specs, ColumnSpec spec) {
  for (const ColumnSpec& s : specs) {
    if (s.name == spec.name) return;
  }
  specs.push_back(std::move(spec));
}

}  // namespace

std::vector<ColumnSpec> CadenceLeadSpecs(
    std::span<const Cadence* const> cadences, const std::vector<std::string>& by,
    std::span<const std::string> extra, bool derived_region) {
  std::vector<std::string> names(std::begin(kCadenceLeadColumns),
                                 std::end(kCadenceLeadColumns));
  for (const Cadence* cadence : cadences) {
    for (const std::string& f : cadence->policy().fields()) names.push_back(f);
  }
  names.insert(names.end(), extra.begin(), extra.end());
  std::vector<ColumnSpec> specs = LeadColumnSpecs(names);
  for (const std::string& key : by) {
    if (derived_region && key == "region_id") continue;
    if (DerivedKey(key) || FindLeadField(key) != nullptr) {
      if (const LeadFieldInfo* info = FindLeadField(key)) {
        AddSpec(specs, {key, info->type});
      }
      continue;
    }
    AddSpec(specs, {key, FieldType::kString});
  }
  return specs;
}

const std::vector<ColumnSpec>& CadenceTouchSpecs() {
  static const auto* specs = new std::vector<ColumnSpec>{
      {"at", FieldType::kInstant},
      {"method", FieldType::kString},
      {"grade_after", FieldType::kString}};
  return *specs;
}

const std::vector<ColumnSpec>& KpiSurveySpecs() {
  static const auto* specs = new std::vector<ColumnSpec>{
      {"at", FieldType::kInstant}, {"satisfied", FieldType::kBool}};
  return *specs;
}

namespace {

// `leads` with a region_id column in place of any it has: each lead's
// dealer's region in `dealers` (RegionsOf, scope.h), held by `regions`.
absl::StatusOr<Columns> WithRegions(const Columns& leads,
                                    const Columns& dealers,
                                    RowRegions& regions) {
  LEADKIT_ASSIGN_OR_RETURN(regions, RegionsOf(leads, dealers));
  Columns out(leads.num_rows());
  for (const auto& [name, column] : leads.columns()) {
    if (name != "region_id") LEADKIT_RETURN_IF_ERROR(out.Add(name, column));
  }
  LEADKIT_RETURN_IF_ERROR(out.Add(
      "region_id", Column::Codes(regions.codes, regions.regions)));
  return out;
}

}  // namespace

absl::StatusOr<int64_t> AddToState(KpiState& state, const Cadence& cadence,
                                   ArrowArrayStream* leads,
                                   ArrowArrayStream* touches,
                                   ArrowArrayStream* surveys, int64_t as_of,
                                   int threads, const lk_scope* scope) {
  const std::vector<std::string>& by = state.by();
  const Columns* dealers = scope != nullptr && scope->dealers != nullptr
                               ? &scope->dealers->columns()
                               : nullptr;
  const bool derived_region =
      dealers != nullptr &&
      std::find(by.begin(), by.end(), "region_id") != by.end();
  const Cadence* const judged[] = {&cadence};
  const std::vector<ColumnSpec> lead_specs =
      CadenceLeadSpecs(judged, by, {}, derived_region);
  int64_t used = as_of;
  LEADKIT_RETURN_IF_ERROR(AddTables(
      state,
      {{leads, "leads", lead_specs, "lead_id", scope},
       {touches, "touches", CadenceTouchSpecs()},
       {surveys, "surveys", KpiSurveySpecs()}},
      as_of,
      [&](KpiState& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        used = at.time_since_epoch().count();
        if (!derived_region) {
          return s.Add(cadence, *t[0], *t[1], t[2], at, include, threads);
        }
        RowRegions regions;
        LEADKIT_ASSIGN_OR_RETURN(const Columns leads,
                                 WithRegions(*t[0], *dealers, regions));
        return s.Add(cadence, leads, *t[1], t[2], at, include, threads);
      }));
  return used;
}

namespace {

// The KPI table of leadkit.h's lk_kpi_state_finalize.
void ExportKpis(const KpiState& state, ArrowArrayStream* result) {
  const std::vector<KpiRow> rows = state.Finalize();
  const std::vector<std::string> by = state.by();
  std::vector<ArrowArray> columns;
  for (size_t k = 0; k < by.size(); ++k) {
    std::vector<std::optional<std::string>> keys;
    keys.reserve(rows.size());
    for (const KpiRow& row : rows) keys.push_back(row.key[k]);
    columns.push_back(ExportOptionalStrings(keys));
  }
  for (const KpiField& field : KpiFields()) {
    if (!field.column) continue;
    if (field.count != nullptr) {
      std::vector<int64_t> values;
      values.reserve(rows.size());
      for (const KpiRow& row : rows) values.push_back(row.counts.*field.count);
      columns.push_back(ExportInt64s(values));
    } else {
      std::vector<double> values;
      values.reserve(rows.size());
      for (const KpiRow& row : rows) values.push_back((row.*field.value)());
      columns.push_back(ExportDoubles(values));
    }
  }
  std::vector<ArrowArray> batches;
  batches.push_back(
      ExportStruct(static_cast<int64_t>(rows.size()), std::move(columns)));
  ExportStream(
      [by] {
        std::vector<ArrowSchema> fields;
        for (const std::string& key : by) {
          fields.push_back(ExportSchema("u", key, ARROW_FLAG_NULLABLE));
        }
        for (const KpiField& field : KpiFields()) {
          if (!field.column) continue;
          fields.push_back(ExportSchema(field.count != nullptr ? "l" : "g",
                                        std::string(field.name), 0));
        }
        return ExportSchema("+s", "", 0, std::move(fields));
      },
      std::move(batches), result);
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_kpi_state_create(const char* const* by, size_t by_count,
                              lk_kpi_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_kpi_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_kpi_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    LEADKIT_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    *state = new lk_kpi_state{leadkit::KpiState(std::move(names))};
    return absl::OkStatus();
  });
}

lk_status lk_kpi_state_add(lk_kpi_state* state, const lk_cadence* cadence,
                           struct ArrowArrayStream* leads,
                           struct ArrowArrayStream* touches,
                           struct ArrowArrayStream* surveys, int64_t as_of) {
  return Guarded("lk_kpi_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_kpi_state_add";
    ConsumeStreams consume({leads, touches, surveys});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(state->state, cadence->cadence,
                                               leads, touches, surveys, as_of)
        .status();
  });
}

lk_status lk_kpi_state_add_scoped(lk_kpi_state* state,
                                  const lk_cadence* cadence,
                                  struct ArrowArrayStream* leads,
                                  struct ArrowArrayStream* touches,
                                  struct ArrowArrayStream* surveys,
                                  const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_kpi_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_kpi_state_add_scoped";
    ConsumeStreams consume({leads, touches, surveys});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(state->state, cadence->cadence,
                                               leads, touches, surveys, as_of,
                                               1, scope)
        .status();
  });
}

lk_status lk_kpi_state_merge(lk_kpi_state* state, const lk_kpi_state* other) {
  return leadkit::c_api_internal::MergeState("lk_kpi_state_merge", state,
                                             other);
}

lk_status lk_kpi_state_serialize(const lk_kpi_state* state, uint8_t** bytes,
                                 size_t* size) {
  return leadkit::c_api_internal::SerializeState("lk_kpi_state_serialize",
                                                 state, bytes, size);
}

lk_status lk_kpi_state_deserialize(const uint8_t* bytes, size_t size,
                                   lk_kpi_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_kpi_state,
                                                   leadkit::KpiState>(
      "lk_kpi_state_deserialize", bytes, size, state);
}

lk_status lk_kpi_state_finalize(const lk_kpi_state* state,
                                struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_kpi_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportKpis(s, out);
      });
}

void lk_kpi_state_free(lk_kpi_state* state) { delete state; }

lk_status lk_kpis_arrow(const lk_cadence* cadence,
                        struct ArrowArrayStream* leads,
                        struct ArrowArrayStream* touches,
                        struct ArrowArrayStream* surveys,
                        const char* const* by, size_t by_count, int64_t as_of,
                        struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded("lk_kpis_arrow", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_kpis_arrow";
    ConsumeStreams consume({leads, touches, surveys});
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    if (result == nullptr) return NullArgument(kFunction, "result");
    LEADKIT_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    leadkit::KpiState state(std::move(names));
    LEADKIT_RETURN_IF_ERROR(leadkit::c_api_internal::AddToState(
                                state, cadence->cadence, leads, touches,
                                surveys, as_of)
                                .status());
    leadkit::c_api_internal::ExportKpis(state, result);
    return absl::OkStatus();
  });
}

}  // extern "C"
