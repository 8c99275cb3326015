// The lost-sales analysis state over the C ABI (leadkit.h): an Arrow stream of
// leads read into Columns, LostAnalysisState (lost_analysis.h) does the rest,
// its rows go out as an Arrow stream.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"
#include "leadkit/lost_analysis.h"

struct lk_lost_analysis_state {
  leadkit::LostAnalysisState state;
};

namespace leadkit::c_api_internal {
namespace {

// The leads columns the analysis reads: its own and the `by` columns that are
// lead fields (month and week are derived from lost_at).
std::vector<ColumnSpec> LostLeadSpecs(const std::vector<std::string>& by) {
  std::vector<std::string> names = {"lead_id",     "status",  "lost_review",
                                    "lost_reason", "lost_at", "created_at"};
  for (const std::string& key : by) names.push_back(key);
  return LeadColumnSpecs(names);
}

// leadkit.h's lk_lost_analysis_state_finalize: the keys, then the counts as
// the Python lost_analysis gives them.
void ExportLost(const LostAnalysisState& state, ArrowArrayStream* result) {
  using R = LostAnalysisRow;
  static const ResultColumn<R> kColumns[] = {
      {"lost", [](const R& r) { return r.counts.lost; }},
      {"share", nullptr, [](const R& r) { return r.share; }},
      {"approved", [](const R& r) { return r.counts.approved; }},
      {"rejected", [](const R& r) { return r.counts.rejected; }},
      {"pending", [](const R& r) { return r.counts.pending; }},
      {"review_null", [](const R& r) { return r.counts.review_null; }},
      {"rejection_rate", nullptr, [](const R& r) { return r.rejection_rate(); }}};
  std::vector<std::string> keys = state.options().by;
  keys.emplace_back("lost_reason");
  ExportGroups<R>(keys, state.Finalize(), std::span<const ResultColumn<R>>(kColumns), result);
}

}  // namespace

absl::Status AddLeads(LostAnalysisState& state, ArrowArrayStream* leads,
                      int64_t as_of, int threads, const lk_scope* scope,
                      bool as_of_required) {
  const std::vector<ColumnSpec> columns = LostLeadSpecs(state.options().by);
  return AddTables(
      state, {{leads, "leads", columns, "lead_id", scope}}, as_of,
      [&](LostAnalysisState& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        return s.Add(*t[0], at, include, threads);
      },
      as_of_required);
}

}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_lost_analysis_state_create(const char* const* by, size_t by_count,
                                        const char* time_zone,
                                        lk_lost_analysis_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_lost_analysis_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_lost_analysis_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    leadkit::LostAnalysisOptions options;
    if (by != nullptr || by_count > 0) {
      LEADKIT_ASSIGN_OR_RETURN(
          options.by, leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    }
    if (time_zone != nullptr) options.time_zone = time_zone;
    *state = new lk_lost_analysis_state{
        leadkit::LostAnalysisState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_lost_analysis_state_add(lk_lost_analysis_state* state,
                                     struct ArrowArrayStream* leads,
                                     int64_t as_of) {
  return Guarded("lk_lost_analysis_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_lost_analysis_state_add";
    ConsumeStreams consume({leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    return leadkit::c_api_internal::AddLeads(state->state, leads, as_of);
  });
}

lk_status lk_lost_analysis_state_add_scoped(lk_lost_analysis_state* state,
                                            struct ArrowArrayStream* leads,
                                            const lk_scope* scope,
                                            int64_t as_of) {
  return Guarded("lk_lost_analysis_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_lost_analysis_state_add_scoped";
    ConsumeStreams consume({leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    return leadkit::c_api_internal::AddLeads(state->state, leads, as_of, 1,
                                             scope);
  });
}

lk_status lk_lost_analysis_state_merge(lk_lost_analysis_state* state,
                                       const lk_lost_analysis_state* other) {
  return leadkit::c_api_internal::MergeState("lk_lost_analysis_state_merge",
                                             state, other);
}

lk_status lk_lost_analysis_state_serialize(const lk_lost_analysis_state* state,
                                           uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_lost_analysis_state_serialize", state, bytes, size);
}

lk_status lk_lost_analysis_state_deserialize(const uint8_t* bytes, size_t size,
                                             lk_lost_analysis_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_lost_analysis_state,
                                                   leadkit::LostAnalysisState>(
      "lk_lost_analysis_state_deserialize", bytes, size, state);
}

lk_status lk_lost_analysis_state_finalize(const lk_lost_analysis_state* state,
                                          struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_lost_analysis_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportLost(s, out);
      });
}

void lk_lost_analysis_state_free(lk_lost_analysis_state* state) {
  delete state;
}

}  // extern "C"
