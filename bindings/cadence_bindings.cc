#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/cadence.h"
#include "leadkit/playbook.h"
#include "pybind11/stl.h"

namespace leadkit::python {

void RegisterCadence(py::module_& m) {
  py::class_<Cadence>(m, "Cadence")
      .def_property_readonly("calendar",
                             [](const Cadence& c) { return c.calendar(); })
      .def_property_readonly("has_dealer_calendars",
                             &Cadence::has_dealer_calendars);

  m.def(
      "cadence_with_dealers",
      [](const Cadence& cadence, int64_t num_dealers,
         const py::list& dealer_specs) {
        BatchColumns dealers(num_dealers, dealer_specs);
        return ValueOrThrow(cadence.WithDealers(dealers.columns()));
      },
      py::arg("cadence"), py::arg("num_dealers"), py::arg("dealer_specs"),
      "The cadence judging each lead on its dealer's calendar (the dealers "
      "table's `calendar` column).");

  m.def(
      "cadence_for_policy",
      [](const Policy& policy) {
        return ValueOrThrow(Cadence::ForPolicy(policy));
      },
      py::arg("policy"));

  m.def(
      "cadence_lead_columns",
      [] {
        return std::vector<std::string>(std::begin(kCadenceLeadColumns),
                                        std::end(kCadenceLeadColumns));
      },
      "The leads columns the cadence and the KPIs read beside the rules' "
      "fields.");

  m.def("task_names", [] {
    std::vector<std::string> names;
    for (int k = 0; k < kTaskKinds; ++k) {
      names.emplace_back(TaskName(static_cast<TaskKind>(k)));
    }
    return names;
  });

  m.def(
      "schedule",
      [](const Cadence& cadence, int64_t num_leads, const py::list& lead_specs,
         int64_t num_touches, const py::list& touch_specs, int64_t as_of,
         bool collect, std::optional<int64_t> day, bool explain) {
        BatchColumns leads(num_leads, lead_specs);
        BatchColumns touches(num_touches, touch_specs);
        absl::StatusOr<ScheduleResult> result;
        std::vector<int32_t> rules;
        std::vector<std::vector<std::string>> reasons;
        absl::Status playbook;
        {
          py::gil_scoped_release release;
          const ScheduleOptions options{.collect_errors = collect};
          result =
              day ? cadence.Agenda(leads.columns(), touches.columns(),
                                   date::local_days(date::days(*day)), options)
                  : cadence.Schedule(leads.columns(), touches.columns(),
                                     Instant(std::chrono::seconds(as_of)),
                                     options);
          // What to do for each task: the playbook over the schedule.
          if (result.ok()) {
            rules.resize(result->tasks.size());
            playbook = PlaybookBatch(cadence.policy(), leads.columns(),
                                     *result, rules);
          }
          for (size_t k = 0; explain && playbook.ok() && result.ok() &&
                             k < result->tasks.size();
               ++k) {
            absl::StatusOr<NextAction> why =
                ExplainTask(cadence.policy(), leads.columns(), *result, k);
            if (!why.ok()) {
              playbook = why.status();
              break;
            }
            reasons.push_back(std::move(why->reasons));
          }
        }
        ThrowIfError(result.status());
        ThrowIfError(playbook);
        const auto n = static_cast<py::ssize_t>(result->tasks.size());
        py::array_t<int64_t> lead_row(n), start(n), due(n), agenda(n);
        py::array_t<int32_t> kind(n);
        py::array_t<uint8_t> agenda_valid(n), overdue(n), estimated(n);
        py::list detail;
        for (py::ssize_t i = 0; i < n; ++i) {
          const ScheduledTask& t = result->tasks[static_cast<size_t>(i)];
          lead_row.mutable_at(i) = t.lead_row;
          kind.mutable_at(i) = static_cast<int32_t>(t.task.kind);
          start.mutable_at(i) = t.task.start.time_since_epoch().count();
          due.mutable_at(i) = t.task.due.time_since_epoch().count();
          agenda.mutable_at(i) =
              t.task.agenda ? t.task.agenda->time_since_epoch().count() : 0;
          agenda_valid.mutable_at(i) = t.task.agenda.has_value();
          overdue.mutable_at(i) = t.task.overdue;
          estimated.mutable_at(i) = t.task.estimated;
          detail.append(t.task.detail);
        }
        py::list errors;
        for (const RowError& e : result->errors) {
          errors.append(py::make_tuple(e.table, e.row, e.column, e.message));
        }
        py::dict out;
        out["lead_row"] = lead_row;
        out["kind"] = kind;
        out["start"] = start;
        out["due"] = due;
        out["agenda"] = agenda;
        out["agenda_valid"] = agenda_valid;
        out["overdue"] = overdue;
        out["estimated"] = estimated;
        out["detail"] = detail;
        out["errors"] = errors;
        out["grades"] = py::array_t<int32_t>(
            static_cast<py::ssize_t>(result->grades.size()),
            result->grades.data());
        out["rule"] = py::array_t<int32_t>(n, rules.data());
        if (explain) out["reasons"] = reasons;
        return out;
      },
      py::arg("cadence"), py::arg("num_leads"), py::arg("leads"),
      py::arg("num_touches"), py::arg("touches"), py::arg("as_of"),
      py::arg("collect"), py::arg("day") = py::none(),
      py::arg("explain") = false,
      "The open tasks at `as_of`; with `day` (days since 1970-01-01), that "
      "local day's agenda (Cadence::Agenda; `as_of` unused), `overdue` as "
      "each task stands on it. `rule`: each task's playbook rule "
      "(PlaybookBatch); with `explain`, `reasons`: each task's conditions "
      "that held (ExplainTask).");

  m.def(
      "first_contact_overdue",
      [](const Cadence& cadence, int64_t num_leads, const py::list& lead_specs,
         int64_t num_touches, const py::list& touch_specs, int64_t as_of) {
        BatchColumns leads(num_leads, lead_specs);
        BatchColumns touches(num_touches, touch_specs);
        absl::StatusOr<std::vector<uint8_t>> late;
        {
          py::gil_scoped_release release;
          late = cadence.FirstContactOverdue(leads.columns(), touches.columns(),
                                             Instant(std::chrono::seconds(as_of)));
        }
        ThrowIfError(late.status());
        return py::array_t<uint8_t>(static_cast<py::ssize_t>(late->size()),
                                    late->data());
      },
      py::arg("cadence"), py::arg("num_leads"), py::arg("leads"),
      py::arg("num_touches"), py::arg("touches"), py::arg("as_of"),
      "Per lead row, 1 when its first contact is overdue at `as_of` "
      "(Cadence::FirstContactOverdue): the leads reclaim takes back.");

  m.def(
      "agenda_day",
      [](const Cadence& cadence, int64_t day) {
        const AgendaDay d = cadence.Day(date::local_days(date::days(day)));
        return py::make_tuple(d.begin.time_since_epoch().count(),
                              d.end.time_since_epoch().count(),
                              d.as_of().time_since_epoch().count());
      },
      py::arg("cadence"), py::arg("day"),
      "Local day `day` (days since 1970-01-01) of the cadence's calendar: "
      "(begin, end, as_of) in seconds since the epoch.");

}

}  // namespace leadkit::python
