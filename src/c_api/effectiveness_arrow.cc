// The follow-up effectiveness state over the C ABI (leadkit.h): Arrow streams
// of leads and their touches read into Columns, EffectivenessState
// (effectiveness.h) does the rest, its rows go out as an Arrow stream.
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
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/effectiveness.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"

struct lk_effectiveness_state {
  leadkit::EffectivenessState state;
};

namespace leadkit::c_api_internal {
namespace {

absl::StatusOr<EffectivenessView> ViewOf(absl::string_view name) {
  for (EffectivenessView view :
       {EffectivenessView::kMethodMix, EffectivenessView::kInterval,
        EffectivenessView::kAction}) {
    if (EffectivenessViewName(view) == name) return view;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "view: \"", name, "\" is not one of method_mix, interval, action"));
}

}  // namespace

absl::Status AddToState(EffectivenessState& state, const Policy* policy,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int64_t as_of, int threads, const lk_scope* scope) {
  std::vector<std::string> names = {"lead_id", "created_at", "status",
                                    "won_at"};
  if (policy != nullptr) {
    names = std::vector<std::string>(std::begin(kCadenceLeadColumns),
                                     std::end(kCadenceLeadColumns));
    for (const std::string& f : policy->fields()) names.push_back(f);
    for (const std::string& f : policy->playbook_fields()) names.push_back(f);
  }
  const std::vector<ColumnSpec> lead_specs = LeadColumnSpecs(names);
  std::vector<ColumnSpec> touch_specs = {{"at", FieldType::kInstant},
                                         {"method", FieldType::kString},
                                         {"content", FieldType::kString}};
  if (policy != nullptr) touch_specs.push_back({"grade_after", FieldType::kString});
  return AddTables(
      state,
      {{leads, "leads", lead_specs, "lead_id", scope},
       {touches, "touches", touch_specs}},
      as_of,
      [&](EffectivenessState& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        return policy != nullptr
                   ? s.Add(*policy, *t[0], *t[1], at, include, threads)
                   : s.Add(*t[0], *t[1], at, include, threads);
      });
}

namespace {

// leadkit.h's lk_effectiveness_state_finalize: Python's
// leadkit.effectiveness.
void ExportEffectiveness(const EffectivenessState& state,
                         ArrowArrayStream* result) {
  using R = EffectivenessRow;
  const EffectivenessOptions& options = state.options();
  const bool action = options.view == EffectivenessView::kAction;
  std::vector<ResultColumn<R>> columns;
  columns.push_back(
      {.name = action ? std::string("method")
                      : std::string(EffectivenessViewName(options.view).data(),
                                    EffectivenessViewName(options.view).size()),
       .text = [](const R& r) { return std::optional<std::string>(r.group); }});
  if (action) {
    columns.push_back({.name = "content", .text = [](const R& r) { return r.content; }});
  }
  columns.push_back({.name = "leads", .count = [](const R& r) { return r.leads; }});
  columns.push_back({.name = "won", .count = [](const R& r) { return r.won; }});
  columns.push_back({.name = "conversion_rate",
                     .value = [](const R& r) { return r.conversion_rate(); }});
  columns.push_back({.name = "touches", .count = [](const R& r) { return r.touches; }});
  columns.push_back({.name = "touches_per_lead",
                     .value = [](const R& r) { return r.touches_per_lead(); }});
  if (action && options.playbook) {
    columns.push_back({.name = "recommended_touches",
                       .count = [](const R& r) { return r.recommended_touches; }});
    columns.push_back({.name = "touches_as_recommended",
                       .count = [](const R& r) { return r.touches_as_recommended; }});
    columns.push_back({.name = "leads_as_recommended",
                       .count = [](const R& r) { return r.leads_as_recommended; }});
    columns.push_back({.name = "won_as_recommended",
                       .count = [](const R& r) { return r.won_as_recommended; }});
    columns.push_back(
        {.name = "conversion_rate_as_recommended",
         .value = [](const R& r) { return r.conversion_rate_as_recommended(); }});
  }
  ExportGroups<R>({}, state.Finalize(), columns, result);
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_effectiveness_state_create(const char* view,
                                        const double* interval_buckets,
                                        size_t bucket_count, int playbook,
                                        lk_effectiveness_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_effectiveness_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_effectiveness_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    leadkit::EffectivenessOptions options;
    if (view != nullptr) {
      LEADKIT_ASSIGN_OR_RETURN(options.view,
                               leadkit::c_api_internal::ViewOf(view));
    }
    if (interval_buckets != nullptr) {
      options.interval_buckets.assign(interval_buckets,
                                      interval_buckets + bucket_count);
    }
    options.playbook = playbook != 0;
    LEADKIT_RETURN_IF_ERROR(leadkit::ValidateEffectivenessOptions(options));
    *state = new lk_effectiveness_state{
        leadkit::EffectivenessState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_effectiveness_state_add(lk_effectiveness_state* state,
                                     const lk_policy* policy,
                                     struct ArrowArrayStream* leads,
                                     struct ArrowArrayStream* touches,
                                     int64_t as_of) {
  return Guarded("lk_effectiveness_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_effectiveness_state_add";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(
        state->state, policy == nullptr ? nullptr : &policy->policy, leads,
        touches, as_of);
  });
}

lk_status lk_effectiveness_state_add_scoped(lk_effectiveness_state* state,
                                            const lk_policy* policy,
                                            struct ArrowArrayStream* leads,
                                            struct ArrowArrayStream* touches,
                                            const lk_scope* scope,
                                            int64_t as_of) {
  return Guarded("lk_effectiveness_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_effectiveness_state_add_scoped";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(
        state->state, policy == nullptr ? nullptr : &policy->policy, leads,
        touches, as_of, 1, scope);
  });
}

lk_status lk_effectiveness_state_merge(lk_effectiveness_state* state,
                                       const lk_effectiveness_state* other) {
  return leadkit::c_api_internal::MergeState("lk_effectiveness_state_merge",
                                             state, other);
}

lk_status lk_effectiveness_state_serialize(const lk_effectiveness_state* state,
                                           uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_effectiveness_state_serialize", state, bytes, size);
}

lk_status lk_effectiveness_state_deserialize(const uint8_t* bytes, size_t size,
                                             lk_effectiveness_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_effectiveness_state,
                                                   leadkit::EffectivenessState>(
      "lk_effectiveness_state_deserialize", bytes, size, state);
}

lk_status lk_effectiveness_state_finalize(const lk_effectiveness_state* state,
                                          struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_effectiveness_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportEffectiveness(s, out);
      });
}

void lk_effectiveness_state_free(lk_effectiveness_state* state) {
  delete state;
}

}  // extern "C"
