// Arrow streams straight to the engines: a table that offers the Arrow
// PyCapsule interface (`__arrow_c_stream__`: a pyarrow Table or
// RecordBatchReader, a Polars DataFrame, a DuckDB relation) is read by the C
// ABI's importer (src/c_api/arrow.h) and its engines (src/c_api/arrow_engines.h),
// the same code lk_classify_arrow and lk_kpi_state_add run; no pandas and no
// numpy buffers in between. python/leadkit/_frames.py decides when a call
// takes this path (docs/architecture.md, "Arrow streams").
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "c_api/arrow_engines.h"
#include "c_api/state.h"
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/cadence.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"
#include "leadkit/profile.h"
#include "leadkit/routing.h"
#include "leadkit/showroom.h"

namespace leadkit::python {
namespace {

constexpr const char kStreamCapsule[] = "arrow_array_stream";

// An ArrowArrayStream taken out of a table's `__arrow_c_stream__` capsule:
// moved out of it and the capsule's marked released (so that its destructor
// leaves the stream alone, as the PyCapsule interface asks). Releases the
// stream when it goes out of scope unless an engine has (they release their
// inputs whatever the outcome).
class OwnedStream {
 public:
  OwnedStream(const py::handle table, const std::string& name) {
    if (!py::hasattr(table, "__arrow_c_stream__")) {
      throw py::type_error(absl::StrCat(
          name, ": expected an object with __arrow_c_stream__, got ",
          std::string(py::str(py::type::handle_of(table).attr("__name__")))));
    }
    const py::object capsule = table.attr("__arrow_c_stream__")(py::none());
    if (!PyCapsule_IsValid(capsule.ptr(), kStreamCapsule)) {
      throw py::type_error(absl::StrCat(
          name, ": __arrow_c_stream__ did not return an \"", kStreamCapsule,
          "\" capsule"));
    }
    auto* source = static_cast<ArrowArrayStream*>(
        PyCapsule_GetPointer(capsule.ptr(), kStreamCapsule));
    stream_ = *source;
    source->release = nullptr;
  }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  ~OwnedStream() {
    if (stream_.release != nullptr) stream_.release(&stream_);
  }
  ArrowArrayStream* get() { return &stream_; }

 private:
  ArrowArrayStream stream_{};
};

// `stream` (a result) as an "arrow_array_stream" capsule that owns it: its
// destructor releases the stream unless a reader has moved it out.
py::capsule StreamCapsule(ArrowArrayStream& stream) {
  auto* owned = new ArrowArrayStream(stream);
  stream.release = nullptr;
  return py::capsule(owned, kStreamCapsule, [](PyObject* capsule) {
    auto* s = static_cast<ArrowArrayStream*>(
        PyCapsule_GetPointer(capsule, kStreamCapsule));
    if (s == nullptr) return;
    if (s->release != nullptr) s->release(s);
    delete s;
  });
}

// A call's scope as the engines take it: an lk_scope built as
// lk_scope_create builds one (c_api_internal::MakeScope) from `kind` and `id`
// of the Python Scope and the dealers table (an Arrow stream of dealer_id,
// region_id; None: not given).
class ScopeArg {
 public:
  ScopeArg(const std::string& kind, const std::string& id,
           const py::handle dealers) {
    Scope scope = ScopeOf(kind, id);
    if (dealers.is_none()) {
      scope_ =
          ValueOrThrow(c_api_internal::MakeScope(std::move(scope), nullptr));
    } else {
      OwnedStream stream(dealers, "dealers");
      scope_ = ValueOrThrow(
          c_api_internal::MakeScope(std::move(scope), stream.get()));
    }
  }
  // The scope of the rows an add keeps: nullptr (every row, no dealer_id
  // read) at headquarters.
  const lk_scope* get() const {
    return scope_->scope.kind == Scope::Kind::kHq ? nullptr : scope_.get();
  }
  // The scope with its dealers table, also at headquarters (the KPIs' region
  // of each lead's dealer): nullptr at headquarters without one.
  const lk_scope* with_dealers() const {
    return scope_->dealers != nullptr ? scope_.get() : get();
  }

 private:
  std::unique_ptr<lk_scope> scope_;
};

// The add of a report state whose leads are its one table
// (c_api_internal::AddLeads): `as_of` None is the latest instant of the
// columns read, no limit when they hold none.
template <typename State>
void AddLeadsArrow(State& state, const py::handle leads,
                   std::optional<int64_t> as_of, int threads,
                   const ScopeArg& scope) {
  OwnedStream stream(leads, "leads");
  AddWithoutGil([&] {
    return c_api_internal::AddLeads(state, stream.get(),
                                    as_of.value_or(LK_AS_OF_DATA), threads,
                                    scope.get(), /*as_of_required=*/false);
  });
}

// The add of a report state that reads rows of one table (`name`: visits,
// touches) and their leads (None: none) through `add`
// (c_api_internal::AddVisits, AddTouches); `as_of` as AddLeadsArrow's.
template <typename State, typename Add>
void AddRowsWithLeadsArrow(State& state, const py::handle rows,
                           const char* name, const py::handle leads,
                           std::optional<int64_t> as_of, int threads,
                           const ScopeArg& scope, const Add& add) {
  OwnedStream row_stream(rows, name);
  std::optional<OwnedStream> lead_stream;
  if (!leads.is_none()) lead_stream.emplace(leads, "leads");
  AddWithoutGil([&] {
    return add(state, row_stream.get(),
               lead_stream ? lead_stream->get() : nullptr,
               as_of.value_or(LK_AS_OF_DATA), threads, scope.get());
  });
}

}  // namespace

py::object RouteArrowCapsule(Router& router, const Policy& policy,
                             const py::handle leads) {
  OwnedStream input(leads, "leads");
  ArrowArrayStream result{};
  absl::Status status;
  {
    py::gil_scoped_release release;
    status = c_api_internal::RouteArrow(router, policy, input.get(), &result,
                                        /*passed_over_text=*/true);
  }
  ThrowIfError(status);
  return StreamCapsule(result);
}

void RegisterArrow(py::module_& m) {
  m.def(
      "classify_arrow",
      [](const Policy& policy, const py::handle leads) {
        OwnedStream input(leads, "leads");
        ArrowArrayStream result{};
        absl::Status status;
        {
          py::gil_scoped_release release;
          status = c_api_internal::ClassifyArrow(policy, input.get(), &result);
        }
        ThrowIfError(status);
        return StreamCapsule(result);
      },
      py::arg("policy"), py::arg("leads"),
      "Grades every lead of an Arrow stream (lk_classify_arrow): an "
      "\"arrow_array_stream\" capsule of (lead_id, grade, rule).");
  m.def(
      "tasks_arrow",
      [](const Cadence& cadence, const py::handle leads,
         const py::handle touches, std::optional<int64_t> as_of,
         std::optional<int32_t> day, bool explain, bool collect,
         std::optional<std::string> consultant_id,
         std::optional<std::string> dealer_id) {
        const c_api_internal::TasksOptions options{
            .day = day,
            .actions = true,
            .explain = explain,
            .collect_errors = collect,
            .consultant_id = std::move(consultant_id),
            .dealer_id = std::move(dealer_id)};
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        ArrowArrayStream result{}, errors{};
        absl::Status status;
        {
          py::gil_scoped_release release;
          status = c_api_internal::TasksArrow(
              cadence, lead_stream.get(), touch_stream.get(),
              as_of.value_or(LK_AS_OF_DATA), options, &result, &errors);
        }
        ThrowIfError(status);
        py::object tasks = StreamCapsule(result);
        return py::make_tuple(
            tasks, collect ? py::object(StreamCapsule(errors)) : py::none());
      },
      py::arg("cadence"), py::arg("leads"), py::arg("touches"),
      py::arg("as_of"), py::arg("day") = py::none(),
      py::arg("explain") = false, py::arg("collect") = false,
      py::arg("consultant_id") = py::none(), py::arg("dealer_id") = py::none(),
      "The open tasks of Arrow streams of leads and touches with the "
      "playbook's actions (lk_schedule_actions_arrow; with `day`, days since "
      "1970-01-01, that day's agenda, lk_agenda_actions_arrow, as_of unused): "
      "(tasks, errors), \"arrow_array_stream\" capsules, errors None unless "
      "`collect`; as_of None is the tables' latest instant.");
  m.def(
      "kpi_state_add_arrow",
      [](KpiState& state, const Cadence& cadence, const py::handle leads,
         const py::handle touches, const py::handle surveys,
         std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        const ScopeArg scope(scope_kind, scope_id, dealers);
        const std::vector<std::string> by = state.by();
        // A region_id key is each lead's dealer's region (AddToState).
        const lk_scope* kpi_scope =
            std::find(by.begin(), by.end(), "region_id") != by.end()
                ? scope.with_dealers()
                : scope.get();
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        std::optional<OwnedStream> survey_stream;
        if (!surveys.is_none()) survey_stream.emplace(surveys, "surveys");
        absl::StatusOr<int64_t> used;
        {
          py::gil_scoped_release release;
          used = c_api_internal::AddToState(
              state, cadence, lead_stream.get(), touch_stream.get(),
              survey_stream ? survey_stream->get() : nullptr,
              as_of.value_or(LK_AS_OF_DATA), threads, kpi_scope);
        }
        return ValueOrThrow(std::move(used));
      },
      py::arg("state"), py::arg("cadence"), py::arg("leads"),
      py::arg("touches"), py::arg("surveys"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("scope_kind") = "hq",
      py::arg("scope_id") = "", py::arg("dealers") = py::none(),
      "Adds Arrow streams of leads, touches and surveys (None: none) to a "
      "KpiState (lk_kpi_state_add), the leads in the scope (kind, id; the "
      "dealers table as an Arrow stream, None without it) only; "
      "as_of None is the tables' latest instant. Returns the as_of used, in "
      "seconds.");
  m.def(
      "lost_analysis_add_arrow",
      [](LostAnalysisState& state, const py::handle leads,
         std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        AddLeadsArrow(state, leads, as_of, threads,
                      ScopeArg(scope_kind, scope_id, dealers));
      },
      py::arg("state"), py::arg("leads"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("scope_kind") = "hq",
      py::arg("scope_id") = "", py::arg("dealers") = py::none(),
      "Adds an Arrow stream of leads to a LostAnalysisState "
      "(lk_lost_analysis_state_add), the scope as kpi_state_add_arrow's; "
      "as_of None is the latest instant read, no limit without one.");
  m.def(
      "profile_add_arrow",
      [](ProfileState& state, const py::handle leads,
         std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        AddLeadsArrow(state, leads, as_of, threads,
                      ScopeArg(scope_kind, scope_id, dealers));
      },
      py::arg("state"), py::arg("leads"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("scope_kind") = "hq",
      py::arg("scope_id") = "", py::arg("dealers") = py::none(),
      "Adds an Arrow stream of leads to a ProfileState (lk_profile_state_add), "
      "as lost_analysis_add_arrow.");
  m.def(
      "showroom_add_arrow",
      [](ShowroomState& state, const py::handle visits, const py::handle leads,
         std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        AddRowsWithLeadsArrow(
            state, visits, "visits", leads, as_of, threads,
            ScopeArg(scope_kind, scope_id, dealers),
            [](ShowroomState& s, ArrowArrayStream* rows, ArrowArrayStream* l,
               int64_t at, int n, const lk_scope* scope) {
              return c_api_internal::AddVisits(s, rows, l, at, n, scope,
                                               /*as_of_required=*/false);
            });
      },
      py::arg("state"), py::arg("visits"), py::arg("leads"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("scope_kind") = "hq",
      py::arg("scope_id") = "", py::arg("dealers") = py::none(),
      "Adds Arrow streams of visits and their leads (None: none) to a "
      "ShowroomState (lk_showroom_state_add), the visits in the scope only; "
      "as_of as lost_analysis_add_arrow's.");
  m.def(
      "activity_add_arrow",
      [](ActivityState& state, const py::handle touches, const py::handle leads,
         std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        AddRowsWithLeadsArrow(
            state, touches, "touches", leads, as_of, threads,
            ScopeArg(scope_kind, scope_id, dealers),
            [](ActivityState& s, ArrowArrayStream* rows, ArrowArrayStream* l,
               int64_t at, int n, const lk_scope* scope) {
              return c_api_internal::AddTouches(s, rows, l, at, n, scope,
                                                /*as_of_required=*/false);
            });
      },
      py::arg("state"), py::arg("touches"), py::arg("leads"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("scope_kind") = "hq",
      py::arg("scope_id") = "", py::arg("dealers") = py::none(),
      "Adds Arrow streams of touches and their leads (None: none) to an "
      "ActivityState (lk_activity_state_add), the leads in the scope only; "
      "as_of as lost_analysis_add_arrow's.");
  m.def(
      "effectiveness_add_arrow",
      [](EffectivenessState& state, const py::handle leads,
         const py::handle touches, std::optional<int64_t> as_of, int threads,
         const Policy* policy, const std::string& scope_kind,
         const std::string& scope_id, const py::handle dealers) {
        const ScopeArg scope(scope_kind, scope_id, dealers);
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        AddWithoutGil([&] {
          return c_api_internal::AddToState(
              state, policy, lead_stream.get(), touch_stream.get(),
              as_of.value_or(LK_AS_OF_DATA), threads, scope.get());
        });
      },
      py::arg("state"), py::arg("leads"), py::arg("touches"), py::arg("as_of"),
      py::arg("threads") = 1, py::arg("policy") = nullptr,
      py::arg("scope_kind") = "hq", py::arg("scope_id") = "",
      py::arg("dealers") = py::none(),
      "Adds Arrow streams of leads and all of their touches to an "
      "EffectivenessState (lk_effectiveness_state_add), read with the policy "
      "when given, the leads in the scope only; as_of None is the tables' "
      "latest instant.");
  m.def(
      "pipeline_add_arrow",
      [](PipelineState& state, const py::handle leads, const py::handle touches,
         const Policy* policy, int threads, const std::string& scope_kind,
         const std::string& scope_id, const py::handle dealers) {
        const ScopeArg scope(scope_kind, scope_id, dealers);
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        AddWithoutGil([&] {
          return c_api_internal::AddToState(state, policy, lead_stream.get(),
                                            touch_stream.get(), threads,
                                            scope.get());
        });
      },
      py::arg("state"), py::arg("leads"), py::arg("touches"),
      py::arg("policy") = nullptr, py::arg("threads") = 1,
      py::arg("scope_kind") = "hq", py::arg("scope_id") = "",
      py::arg("dealers") = py::none(),
      "Adds Arrow streams of leads and all of their touches to a "
      "PipelineState (lk_pipeline_state_add), the leads in the scope only.");
  m.def(
      "audit_add_arrow",
      [](AuditState& state, const Cadence& cadence, const py::handle leads,
         const py::handle touches, std::optional<int64_t> as_of, int threads,
         const std::string& scope_kind, const std::string& scope_id,
         const py::handle dealers) {
        const ScopeArg scope(scope_kind, scope_id, dealers);
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        AddWithoutGil([&] {
          return c_api_internal::AddToState(
              state, cadence, lead_stream.get(), touch_stream.get(),
              as_of.value_or(LK_AS_OF_DATA), threads, scope.get());
        });
      },
      py::arg("state"), py::arg("cadence"), py::arg("leads"),
      py::arg("touches"), py::arg("as_of"), py::arg("threads") = 1,
      py::arg("scope_kind") = "hq", py::arg("scope_id") = "",
      py::arg("dealers") = py::none(),
      "Audits Arrow streams of leads and their touches into an AuditState "
      "(lk_audit_state_add), the leads in the scope only; as_of None is the "
      "tables' latest instant.");
}

}  // namespace leadkit::python
