#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/backtest.h"

namespace leadkit::python {
namespace {

using GradeMap = std::map<std::string, std::string, std::less<>>;

py::object Number(double value) { return py::float_(value); }

// BacktestState::Finalize as lists and columns: `summary` (the group keys as
// tuples, the KPI fields by KpiFields, the task load, the grades' ranking,
// notes), `grades` (conversion by grade), `grade_names` and `combinations`
// (grade indices and leads).
py::dict ResultToDict(const BacktestResult& r) {
  py::dict summary;
  py::list policy, keys;
  for (const BacktestRow& row : r.summary) {
    policy.append(row.policy);
    py::list key;
    for (const auto& part : row.kpis.key) {
      key.append(part ? py::object(py::str(*part)) : py::object(py::none()));
    }
    keys.append(py::tuple(key));
  }
  summary["policy"] = policy;
  summary["keys"] = keys;
  for (const KpiField& field : KpiFields()) {
    py::list values;
    for (const BacktestRow& row : r.summary) {
      if (field.count != nullptr) {
        values.append(row.kpis.counts.*field.count);
      } else {
        values.append(Number((row.kpis.*field.value)()));
      }
    }
    summary[py::str(std::string(field.name))] = values;
  }
  py::list tasks, days, mean, p90, most, auc, lift, notes;
  for (const BacktestRow& row : r.summary) {
    tasks.append(row.tasks);
    days.append(row.consultant_days);
    mean.append(Number(row.tasks_per_consultant_day_mean));
    p90.append(Number(row.tasks_per_consultant_day_p90));
    most.append(Number(row.tasks_per_consultant_day_max));
    auc.append(Number(row.grade_auc));
    lift.append(Number(row.top_grade_lift));
    notes.append(row.notes);
  }
  summary["tasks"] = tasks;
  summary["consultant_days"] = days;
  summary["tasks_per_consultant_day_mean"] = mean;
  summary["tasks_per_consultant_day_p90"] = p90;
  summary["tasks_per_consultant_day_max"] = most;
  summary["grade_auc"] = auc;
  summary["top_grade_lift"] = lift;
  summary["notes"] = notes;

  py::list g_policy, g_grade, g_leads, g_won, g_lost, g_rate;
  for (const BacktestGradeRow& row : r.grades) {
    g_policy.append(row.policy);
    g_grade.append(row.grade);
    g_leads.append(row.outcome.leads);
    g_won.append(row.outcome.won);
    g_lost.append(row.outcome.lost);
    g_rate.append(Number(row.outcome.conversion_rate()));
  }
  py::dict grades;
  grades["policy"] = g_policy;
  grades["grade"] = g_grade;
  grades["leads"] = g_leads;
  grades["won"] = g_won;
  grades["lost"] = g_lost;
  grades["conversion_rate"] = g_rate;

  py::list combinations;
  for (const auto& [key, leads] : r.combinations) {
    combinations.append(py::make_tuple(key, leads));
  }
  py::dict out;
  out["summary"] = summary;
  out["grades"] = grades;
  out["grade_names"] = r.grade_names;
  out["combinations"] = combinations;
  return out;
}

}  // namespace

void RegisterBacktest(py::module_& m) {
  DefineStateProtocol(py::class_<BacktestState>(
                          m, "BacktestState",
                          "Mergeable backtest counts per policy and group "
                          "(docs/backtest.md)."))
      .def(py::init<std::vector<std::string>, std::vector<std::string>>(),
           py::arg("policies"), py::arg("by"))
      .def_property_readonly("policies", &BacktestState::policies)
      .def_property_readonly("by", &BacktestState::by)
      .def(
          "add",
          [](BacktestState& state, const std::vector<const Cadence*>& cadences,
             const std::vector<std::optional<GradeMap>>& grade_maps,
             int64_t num_leads, const py::list& leads, int64_t num_touches,
             const py::list& touches, int64_t num_surveys,
             const py::list& surveys, int64_t as_of,
             const IncludeArray& include, int threads) {
            const std::vector<std::string>& names = state.policies();
            if (cadences.size() != names.size() ||
                grade_maps.size() != names.size()) {
              throw py::value_error(
                  "backtest: the state's policies, cadences and grade_maps "
                  "differ in length");
            }
            std::vector<BacktestPolicy> policies;
            for (size_t i = 0; i < names.size(); ++i) {
              policies.push_back({.name = names[i],
                                  .cadence = *cadences[i],
                                  .grade_map = grade_maps[i]});
            }
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            BatchColumns survey_columns(num_surveys, surveys);
            AddWithoutGil([&] {
              return state.Add(policies, lead_columns.columns(),
                               touch_columns.columns(),
                               &survey_columns.columns(), SecondsInstant(as_of),
                               MaskFlags(include), threads);
            });
          },
          py::arg("cadences"), py::arg("grade_maps"), py::arg("num_leads"),
          py::arg("leads"), py::arg("num_touches"), py::arg("touches"),
          py::arg("num_surveys"), py::arg("surveys"), py::arg("as_of"),
          py::arg("include"), py::arg("threads") = 1)
      .def("finalize",
           [](const BacktestState& state) {
             return ResultToDict(state.Finalize());
           });
}

}  // namespace leadkit::python
