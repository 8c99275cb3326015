// The showroom and activity states over the C ABI (leadkit.h): Arrow streams
// of visits or touches (and their leads) read into Columns, ShowroomState and
// ActivityState (showroom.h, activity.h) do the rest, their rows go out as an
// Arrow stream.
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
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/activity.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/leadkit.h"
#include "leadkit/showroom.h"

struct lk_showroom_state {
  leadkit::ShowroomState state;
};

struct lk_activity_state {
  leadkit::ActivityState state;
};

namespace leadkit::c_api_internal {
namespace {

// Reads `main` (the visits or touches) and, when given, the leads, then
// adds them (AddTables), the rows of `main_scope` or `lead_scope` in scope.
template <typename State>
absl::Status AddWithLeads(State& state, ArrowArrayStream* main,
                          absl::string_view table,
                          const std::vector<ColumnSpec>& main_specs,
                          absl::string_view main_id, ArrowArrayStream* leads,
                          const std::vector<ColumnSpec>& lead_specs,
                          int64_t as_of, int threads,
                          const lk_scope* main_scope,
                          const lk_scope* lead_scope, bool as_of_required) {
  return AddTables(
      state,
      {{main, table, main_specs, main_id, main_scope},
       {leads, "leads", lead_specs, "lead_id", lead_scope}},
      as_of,
      [&](State& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        return s.Add(*t[0], t[1], at, include, threads);
      },
      as_of_required);
}

}  // namespace

// The visits in `scope` (their dealer_id).
absl::Status AddVisits(ShowroomState& state, ArrowArrayStream* visits,
                       ArrowArrayStream* leads, int64_t as_of, int threads,
                       const lk_scope* scope, bool as_of_required) {
  static const std::vector<ColumnSpec> kVisits = {
      {"dealer_id", FieldType::kString},  {"arrived_at", FieldType::kInstant},
      {"left_at", FieldType::kInstant},   {"lead_id", FieldType::kString},
      {"consultant_id", FieldType::kString}, {"model", FieldType::kString},
      {"effective", FieldType::kBool}};
  static const std::vector<ColumnSpec> kLeads = {
      {"status", FieldType::kString}, {"won_at", FieldType::kInstant}};
  return AddWithLeads(state, visits, "visits", kVisits, "visit_id", leads,
                      kLeads, as_of, threads, scope, nullptr,
                      as_of_required);
}

// The touches of the leads in `scope` (the leads' dealer_id).
absl::Status AddTouches(ActivityState& state, ArrowArrayStream* touches,
                        ArrowArrayStream* leads, int64_t as_of, int threads,
                        const lk_scope* scope, bool as_of_required) {
  static const std::vector<ColumnSpec> kTouches = {
      {"at", FieldType::kInstant},
      {"method", FieldType::kString},
      {"consultant_id", FieldType::kString}};
  static const std::vector<ColumnSpec> kLeads = {
      {"created_at", FieldType::kInstant},
      {"assigned_at", FieldType::kInstant},
      {"status", FieldType::kString},
      {"dealer_id", FieldType::kString},
      {"consultant_id", FieldType::kString}};
  return AddWithLeads(state, touches, "touches", kTouches, "lead_id", leads,
                      kLeads, as_of, threads, nullptr, scope,
                      as_of_required);
}

namespace {

// leadkit.h's lk_showroom_state_finalize: Python's leadkit.showroom.
void ExportShowroom(const ShowroomState& state, int top_models,
                    ArrowArrayStream* result) {
  using R = ShowroomRow;
  std::vector<ResultColumn<R>> columns = {
      {.name = "visits", .count = [](const R& r) { return r.visits; }},
      {.name = "with_contact", .count = [](const R& r) { return r.with_contact; }},
      {.name = "contact_share", .value = [](const R& r) { return r.contact_share; }},
      {.name = "effective", .count = [](const R& r) { return r.effective; }},
      {.name = "effective_share",
       .value = [](const R& r) { return r.effective_share; }}};
  if (state.has_won()) {
    columns.push_back({.name = "won", .count = [](const R& r) { return r.won; }});
    columns.push_back({.name = "visit_to_deal_rate",
                       .value = [](const R& r) { return r.visit_to_deal_rate; }});
  }
  columns.push_back({.name = "avg_stay_minutes",
                     .value = [](const R& r) { return r.avg_stay_minutes; }});
  columns.push_back(
      {.name = "top_models", .text = [](const R& r) { return r.top_models; }});
  ExportGroups<R>(state.options().by, state.Finalize(top_models), columns,
                  result);
}

// leadkit.h's lk_activity_state_finalize: Python's leadkit.activity.
void ExportActivity(const ActivityState& state, ArrowArrayStream* result) {
  using R = ActivityRow;
  std::vector<ResultColumn<R>> columns = {
      {.name = "contacts", .count = [](const R& r) { return r.contacts; }}};
  const std::vector<std::string> methods = state.methods();
  for (size_t k = 0; k < methods.size(); ++k) {
    columns.push_back({.name = "contacts_" + methods[k],
                       .count = [k](const R& r) { return r.contacts_by_method[k]; }});
  }
  columns.push_back(
      {.name = "leads_touched", .count = [](const R& r) { return r.leads_touched; }});
  if (state.has_new_leads()) {
    columns.push_back(
        {.name = "new_leads", .count = [](const R& r) { return r.new_leads; }});
  }
  ExportGroups<R>(state.options().by, state.Finalize(), columns, result);
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_showroom_state_create(const char* const* by, size_t by_count,
                                   const char* time_zone,
                                   lk_showroom_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_showroom_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_showroom_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    leadkit::ShowroomOptions options;
    LEADKIT_ASSIGN_OR_RETURN(
        options.by, leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    if (time_zone != nullptr) options.time_zone = time_zone;
    *state = new lk_showroom_state{leadkit::ShowroomState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_showroom_state_add(lk_showroom_state* state,
                                struct ArrowArrayStream* visits,
                                struct ArrowArrayStream* leads, int64_t as_of) {
  return Guarded("lk_showroom_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_showroom_state_add";
    ConsumeStreams consume({visits, leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (visits == nullptr) return NullArgument(kFunction, "visits");
    return leadkit::c_api_internal::AddVisits(state->state, visits, leads,
                                              as_of);
  });
}

lk_status lk_showroom_state_add_scoped(lk_showroom_state* state,
                                       struct ArrowArrayStream* visits,
                                       struct ArrowArrayStream* leads,
                                       const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_showroom_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_showroom_state_add_scoped";
    ConsumeStreams consume({visits, leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (visits == nullptr) return NullArgument(kFunction, "visits");
    return leadkit::c_api_internal::AddVisits(state->state, visits, leads,
                                              as_of, 1, scope);
  });
}

lk_status lk_showroom_state_merge(lk_showroom_state* state,
                                  const lk_showroom_state* other) {
  return leadkit::c_api_internal::MergeState("lk_showroom_state_merge", state,
                                             other);
}

lk_status lk_showroom_state_serialize(const lk_showroom_state* state,
                                      uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_showroom_state_serialize", state, bytes, size);
}

lk_status lk_showroom_state_deserialize(const uint8_t* bytes, size_t size,
                                        lk_showroom_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_showroom_state,
                                                   leadkit::ShowroomState>(
      "lk_showroom_state_deserialize", bytes, size, state);
}

lk_status lk_showroom_state_finalize(const lk_showroom_state* state,
                                     int top_models,
                                     struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded("lk_showroom_state_finalize", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_showroom_state_finalize";
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (result == nullptr) return NullArgument(kFunction, "result");
    if (top_models < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": top_models: expected 1 or more, got ", top_models));
    }
    leadkit::c_api_internal::ExportShowroom(state->state, top_models, result);
    return absl::OkStatus();
  });
}

void lk_showroom_state_free(lk_showroom_state* state) { delete state; }

lk_status lk_activity_state_create(const char* const* by, size_t by_count,
                                   const char* time_zone,
                                   lk_activity_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_activity_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_activity_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    leadkit::ActivityOptions options;
    if (by != nullptr || by_count > 0) {
      LEADKIT_ASSIGN_OR_RETURN(
          options.by, leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    }
    if (time_zone != nullptr) options.time_zone = time_zone;
    *state = new lk_activity_state{leadkit::ActivityState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_activity_state_add(lk_activity_state* state,
                                struct ArrowArrayStream* touches,
                                struct ArrowArrayStream* leads, int64_t as_of) {
  return Guarded("lk_activity_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_activity_state_add";
    ConsumeStreams consume({touches, leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddTouches(state->state, touches, leads,
                                               as_of);
  });
}

lk_status lk_activity_state_add_scoped(lk_activity_state* state,
                                       struct ArrowArrayStream* touches,
                                       struct ArrowArrayStream* leads,
                                       const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_activity_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_activity_state_add_scoped";
    ConsumeStreams consume({touches, leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddTouches(state->state, touches, leads,
                                               as_of, 1, scope);
  });
}

lk_status lk_activity_state_merge(lk_activity_state* state,
                                  const lk_activity_state* other) {
  return leadkit::c_api_internal::MergeState("lk_activity_state_merge", state,
                                             other);
}

lk_status lk_activity_state_serialize(const lk_activity_state* state,
                                      uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_activity_state_serialize", state, bytes, size);
}

lk_status lk_activity_state_deserialize(const uint8_t* bytes, size_t size,
                                        lk_activity_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_activity_state,
                                                   leadkit::ActivityState>(
      "lk_activity_state_deserialize", bytes, size, state);
}

lk_status lk_activity_state_finalize(const lk_activity_state* state,
                                     struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_activity_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportActivity(s, out);
      });
}

void lk_activity_state_free(lk_activity_state* state) { delete state; }

}  // extern "C"
