// leadkit._core.ActivityState: the activity engine (include/leadkit/activity.h)
// over tables given as column specs (python/leadkit/_frames.py).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/activity.h"

namespace leadkit::python {
namespace {

// The finalized rows as numpy columns; "keys" a list of tuples (None: null),
// "methods" the names of the contacts_<method> columns, "contacts_by_method"
// one array per method.
py::dict FinalizeToDict(const ActivityState& state) {
  std::vector<ActivityRow> rows;
  {
    py::gil_scoped_release release;
    rows = state.Finalize();
  }
  const std::vector<std::string> methods = state.methods();
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::array_t<int64_t> contacts(n), touched(n), new_leads(n);
  std::vector<py::array_t<int64_t>> by_method;
  for (size_t k = 0; k < methods.size(); ++k) by_method.emplace_back(n);
  py::list keys(n);
  int64_t* contact = contacts.mutable_data();
  int64_t* lead = touched.mutable_data();
  int64_t* fresh = new_leads.mutable_data();
  std::vector<int64_t*> method;
  for (auto& a : by_method) method.push_back(a.mutable_data());
  for (py::ssize_t i = 0; i < n; ++i) {
    const ActivityRow& r = rows[static_cast<size_t>(i)];
    py::tuple key(r.key.size());
    for (size_t p = 0; p < r.key.size(); ++p) {
      key[p] = r.key[p] ? py::object(py::str(*r.key[p])) : py::none();
    }
    keys[static_cast<size_t>(i)] = std::move(key);
    contact[i] = r.contacts;
    lead[i] = r.leads_touched;
    fresh[i] = r.new_leads;
    for (size_t k = 0; k < methods.size(); ++k) {
      method[k][i] = r.contacts_by_method[k];
    }
  }
  py::dict out;
  out["keys"] = keys;
  out["contacts"] = contacts;
  out["methods"] = methods;
  py::list columns;
  for (auto& a : by_method) columns.append(a);
  out["contacts_by_method"] = columns;
  out["leads_touched"] = touched;
  out["new_leads"] = new_leads;
  return out;
}

}  // namespace

void RegisterActivity(py::module_& m) {
  DefineStateProtocol(py::class_<ActivityState>(
      m, "ActivityState",
      "Mergeable consultants' activity per group (docs/kpis.md)."))
      .def(py::init([](std::vector<std::string> by, std::string time_zone) {
             return ActivityState(ActivityOptions{
                 .by = std::move(by), .time_zone = std::move(time_zone)});
           }),
           py::arg("by"), py::arg("time_zone"))
      .def_property_readonly(
          "by", [](const ActivityState& s) { return s.options().by; })
      .def_property_readonly(
          "time_zone",
          [](const ActivityState& s) { return s.options().time_zone; })
      .def_property_readonly("has_new_leads", &ActivityState::has_new_leads)
      .def_property_readonly("methods", &ActivityState::methods)
      .def(
          "add",
          [](ActivityState& state, int64_t num_touches, const py::list& touches,
             std::optional<int64_t> num_leads, const py::list& leads,
             int64_t as_of,
             const IncludeArray& include,
             int threads) {
            BatchColumns touch_columns(num_touches, touches);
            std::optional<BatchColumns> lead_columns;
            if (num_leads) lead_columns.emplace(*num_leads, leads);
            AddWithoutGil([&] {
              return state.Add(touch_columns.columns(),
                               lead_columns ? &lead_columns->columns()
                                            : nullptr,
                               SecondsInstant(as_of), MaskFlags(include),
                               threads);
            });
          },
          py::arg("num_touches"), py::arg("touches"), py::arg("num_leads"),
          py::arg("leads"), py::arg("as_of"), py::arg("include"),
          py::arg("threads") = 1)
      .def("copy", [](const ActivityState& s) { return ActivityState(s); })
      .def("finalize", &FinalizeToDict);
}

}  // namespace leadkit::python
