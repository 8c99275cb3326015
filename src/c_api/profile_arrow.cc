// The customer profile state over the C ABI (leadkit.h): an Arrow stream of
// leads read into Columns, ProfileState (profile.h) does the rest, its rows go
// out as an Arrow stream.
#include <cstdint>
#include <memory>
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
#include "leadkit/leadkit.h"
#include "leadkit/profile.h"

struct lk_profile_state {
  leadkit::ProfileState state;
};

namespace leadkit::c_api_internal {
namespace {

// The leads columns the profile reads: its own and the `by` columns.
std::vector<ColumnSpec> ProfileLeadSpecs(const ProfileState& state) {
  std::vector<std::string> names = {"lead_id", "created_at", "status",
                                    "won_at", "age"};
  for (const std::string& key : state.options().by) names.push_back(key);
  return LeadColumnSpecs(names);
}

// leadkit.h's lk_profile_state_finalize: the columns of Python's
// leadkit.profile.
void ExportProfile(const ProfileState& state, ArrowArrayStream* result) {
  using R = ProfileRow;
  static const ResultColumn<R> kColumns[] = {
      {"leads", [](const R& r) { return r.counts.leads; }},
      {"share", nullptr, [](const R& r) { return r.share; }},
      {"won", [](const R& r) { return r.counts.won; }},
      {"conversion_rate", nullptr, [](const R& r) { return r.conversion_rate(); }},
      {"invalid", [](const R& r) { return r.counts.invalid; }}};
  ExportGroups<R>(state.options().by, state.Finalize(),
                  std::span<const ResultColumn<R>>(kColumns), result);
}

}  // namespace

absl::Status AddLeads(ProfileState& state, ArrowArrayStream* leads,
                      int64_t as_of, int threads, const lk_scope* scope,
                      bool as_of_required) {
  const std::vector<ColumnSpec> columns = ProfileLeadSpecs(state);
  return AddTables(
      state, {{leads, "leads", columns, "lead_id", scope}}, as_of,
      [&](ProfileState& s, std::span<const Columns* const> t, Instant at,
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

lk_status lk_profile_state_create(const char* const* by, size_t by_count,
                                  const int64_t* age_bands,
                                  size_t age_band_count,
                                  lk_profile_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_profile_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_profile_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    leadkit::ProfileOptions options;
    LEADKIT_ASSIGN_OR_RETURN(
        options.by, leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    if (age_bands != nullptr) {
      options.age_bands.assign(age_bands, age_bands + age_band_count);
    }
    *state = new lk_profile_state{leadkit::ProfileState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_profile_state_add(lk_profile_state* state,
                               struct ArrowArrayStream* leads, int64_t as_of) {
  return Guarded("lk_profile_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_profile_state_add";
    ConsumeStreams consume({leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    return leadkit::c_api_internal::AddLeads(state->state, leads, as_of);
  });
}

lk_status lk_profile_state_add_scoped(lk_profile_state* state,
                                      struct ArrowArrayStream* leads,
                                      const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_profile_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_profile_state_add_scoped";
    ConsumeStreams consume({leads});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    return leadkit::c_api_internal::AddLeads(state->state, leads, as_of, 1,
                                             scope);
  });
}

lk_status lk_profile_state_merge(lk_profile_state* state,
                                 const lk_profile_state* other) {
  return leadkit::c_api_internal::MergeState("lk_profile_state_merge", state,
                                             other);
}

lk_status lk_profile_state_serialize(const lk_profile_state* state,
                                     uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState("lk_profile_state_serialize",
                                                 state, bytes, size);
}

lk_status lk_profile_state_deserialize(const uint8_t* bytes, size_t size,
                                       lk_profile_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_profile_state,
                                                   leadkit::ProfileState>(
      "lk_profile_state_deserialize", bytes, size, state);
}

lk_status lk_profile_state_finalize(const lk_profile_state* state,
                                    struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_profile_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportProfile(s, out);
      });
}

void lk_profile_state_free(lk_profile_state* state) { delete state; }

}  // extern "C"
