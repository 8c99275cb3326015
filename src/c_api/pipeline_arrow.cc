// The pipeline reports' state over the C ABI (leadkit.h): Arrow streams of
// leads and their touches read into Columns, PipelineState (pipeline.h) does
// the rest, the report's rows go out as an Arrow stream.
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
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"

struct lk_pipeline_state {
  leadkit::PipelineState state;
};

namespace leadkit::c_api_internal {
namespace {

absl::StatusOr<PipelineReport> ReportOf(absl::string_view name) {
  for (PipelineReport report :
       {PipelineReport::kPipeline, PipelineReport::kGradeMigration,
        PipelineReport::kMonthly, PipelineReport::kFunnel,
        PipelineReport::kTouchesPerWonLead}) {
    if (PipelineReportName(report) == name) return report;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "report: \"", name,
      "\" is not one of pipeline, grade_migration, monthly, funnel, "
      "touches_per_won_lead"));
}

}  // namespace

absl::Status AddToState(PipelineState& state, const Policy* policy,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int threads, const lk_scope* scope) {
  std::vector<std::string> names = {"lead_id", "created_at", "status",
                                    "won_at",  "lost_at",    "lost_review",
                                    "grade",   "sales_stage"};
  for (const std::string& key : state.options().by) names.push_back(key);
  if (policy != nullptr) {
    for (const std::string& f : policy->fields()) names.push_back(f);
  }
  std::vector<ColumnSpec> lead_specs = LeadColumnSpecs(names);
  // `by` columns the leads table does not define (region_id) as strings.
  for (const std::string& key : state.options().by) {
    bool seen = false;
    for (const ColumnSpec& s : lead_specs) seen = seen || s.name == key;
    if (!seen) lead_specs.push_back({key, FieldType::kString});
  }
  return AddTables(
      state,
      {{leads, "leads", lead_specs, "lead_id", scope},
       {touches, "touches", CadenceTouchSpecs()}},
      std::nullopt,
      [&](PipelineState& s, std::span<const Columns* const> t, Instant,
          std::span<const uint8_t> include) {
        return s.Add(policy, *t[0], *t[1], include, threads);
      });
}

namespace {

// leadkit.h's lk_pipeline_state_finalize: Python's report of the state's
// kind.
void ExportPipeline(const PipelineState& state, ArrowArrayStream* result) {
  const PipelineTables t = state.Finalize();
  const std::vector<std::string>& by = state.options().by;
  const auto text = [](auto member) {
    return [member](const auto& r) {
      return std::optional<std::string>(r.*member);
    };
  };
  switch (state.options().report) {
    case PipelineReport::kPipeline: {
      using R = PipelineRow;
      const std::vector<ResultColumn<R>> columns = {
          {.name = "grade", .text = text(&R::grade)},
          {.name = "open_leads", .count = [](const R& r) { return r.open_leads; }},
          {.name = "share", .value = [](const R& r) { return r.share; }}};
      return ExportGroups<R>(by, t.pipeline, columns, result);
    }
    case PipelineReport::kGradeMigration: {
      using R = MigrationRow;
      const std::vector<ResultColumn<R>> columns = {
          {.name = "from", .text = text(&R::from)},
          {.name = "to", .text = text(&R::to)},
          {.name = "leads", .count = [](const R& r) { return r.leads; }}};
      return ExportGroups<R>({}, t.grade_migration, columns, result);
    }
    case PipelineReport::kMonthly: {
      using R = MonthlyRow;
      const std::vector<ResultColumn<R>> columns = {
          {.name = "month", .text = text(&R::month)},
          {.name = "carried_over", .count = [](const R& r) { return r.carried_over; }},
          {.name = "new", .count = [](const R& r) { return r.new_leads; }},
          {.name = "invalid", .count = [](const R& r) { return r.invalid; }},
          {.name = "won", .count = [](const R& r) { return r.won; }},
          {.name = "lost", .count = [](const R& r) { return r.lost; }},
          {.name = "open_at_end", .count = [](const R& r) { return r.open_at_end; }},
          {.name = "conversion_rate",
           .value = [](const R& r) { return r.conversion_rate; }},
          {.name = "loss_rate", .value = [](const R& r) { return r.loss_rate; }}};
      return ExportGroups<R>({}, t.monthly, columns, result);
    }
    case PipelineReport::kFunnel: {
      using R = FunnelRow;
      const std::vector<ResultColumn<R>> columns = {
          {.name = "kind", .text = text(&R::kind)},
          {.name = "stage", .text = text(&R::stage)},
          {.name = "leads", .count = [](const R& r) { return r.leads; }},
          {.name = "reached", .count = [](const R& r) { return r.reached; }},
          {.name = "share_of_leads",
           .value = [](const R& r) { return r.share_of_leads; }},
          {.name = "conversion_from_previous",
           .value = [](const R& r) { return r.conversion_from_previous; }}};
      return ExportGroups<R>(by, t.funnel, columns, result);
    }
    case PipelineReport::kTouchesPerWonLead: {
      using R = TouchesPerWonLeadRow;
      const std::vector<ResultColumn<R>> columns = {
          {.name = "won_leads", .count = [](const R& r) { return r.won_leads; }},
          {.name = "touches", .count = [](const R& r) { return r.touches; }},
          {.name = "touches_per_won_lead",
           .value = [](const R& r) { return r.touches_per_won_lead; }}};
      return ExportGroups<R>(by, t.touches_per_won_lead, columns, result);
    }
  }
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_pipeline_state_create(const char* report, const lk_policy* policy,
                                   const char* const* by, size_t by_count,
                                   int64_t at, int64_t start, int64_t end,
                                   int64_t as_of, const char* const* months,
                                   size_t month_count, lk_pipeline_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_pipeline_state_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_pipeline_state_create";
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (report == nullptr) return NullArgument(kFunction, "report");
    leadkit::PipelineOptions options;
    LEADKIT_ASSIGN_OR_RETURN(options.report,
                             leadkit::c_api_internal::ReportOf(report));
    LEADKIT_ASSIGN_OR_RETURN(
        options.by, leadkit::c_api_internal::ByNames(kFunction, by, by_count));
    if (options.report != leadkit::PipelineReport::kTouchesPerWonLead) {
      if (policy == nullptr) return NullArgument(kFunction, "policy");
      options.grades.assign(policy->policy.grades().begin(),
                            policy->policy.grades().end());
    }
    const auto instant = [](int64_t s) {
      return leadkit::Instant(std::chrono::seconds(s));
    };
    options.at = instant(at);
    options.start = instant(start);
    options.end = instant(end);
    options.as_of = instant(as_of);
    if (options.report == leadkit::PipelineReport::kMonthly) {
      if (month_count > 0 && months == nullptr) {
        return NullArgument(kFunction, "months");
      }
      for (size_t i = 0; i < month_count; ++i) {
        if (months[i] == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat(kFunction, ": months[", i, "] is NULL"));
        }
        options.months.emplace_back(months[i]);
      }
      options.zone = policy->policy.business_calendar().time_zone();
    }
    LEADKIT_RETURN_IF_ERROR(leadkit::ValidatePipelineOptions(options));
    *state = new lk_pipeline_state{leadkit::PipelineState(std::move(options))};
    return absl::OkStatus();
  });
}

lk_status lk_pipeline_state_add(lk_pipeline_state* state,
                                const lk_policy* policy,
                                struct ArrowArrayStream* leads,
                                struct ArrowArrayStream* touches) {
  return Guarded("lk_pipeline_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_pipeline_state_add";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(
        state->state, policy == nullptr ? nullptr : &policy->policy, leads,
        touches);
  });
}

lk_status lk_pipeline_state_add_scoped(lk_pipeline_state* state,
                                       const lk_policy* policy,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* touches,
                                       const lk_scope* scope) {
  return Guarded("lk_pipeline_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_pipeline_state_add_scoped";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(
        state->state, policy == nullptr ? nullptr : &policy->policy, leads,
        touches, 1, scope);
  });
}

lk_status lk_pipeline_state_merge(lk_pipeline_state* state,
                                  const lk_pipeline_state* other) {
  return leadkit::c_api_internal::MergeState("lk_pipeline_state_merge", state,
                                             other);
}

lk_status lk_pipeline_state_serialize(const lk_pipeline_state* state,
                                      uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState(
      "lk_pipeline_state_serialize", state, bytes, size);
}

lk_status lk_pipeline_state_deserialize(const uint8_t* bytes, size_t size,
                                        lk_pipeline_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_pipeline_state,
                                                   leadkit::PipelineState>(
      "lk_pipeline_state_deserialize", bytes, size, state);
}

lk_status lk_pipeline_state_finalize(const lk_pipeline_state* state,
                                     struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_pipeline_state_finalize", state, result, [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportPipeline(s, out);
      });
}

void lk_pipeline_state_free(lk_pipeline_state* state) { delete state; }

}  // extern "C"
