// leadkit._core.ShowroomState: the showroom engine (include/leadkit/showroom.h)
// over tables given as column specs (python/leadkit/_frames.py).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/showroom.h"

namespace leadkit::python {
namespace {

// The finalized rows as numpy columns; "keys" a list of tuples (None: null).
py::dict FinalizeToDict(const ShowroomState& state, int top_models) {
  std::vector<ShowroomRow> rows;
  {
    py::gil_scoped_release release;
    rows = state.Finalize(top_models);
  }
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::array_t<int64_t> visits(n), with_contact(n), effective(n), won(n);
  py::array_t<double> contact_share(n), effective_share(n), deal_rate(n),
      stay(n);
  py::list keys, top;
  for (py::ssize_t i = 0; i < n; ++i) {
    const ShowroomRow& r = rows[static_cast<size_t>(i)];
    py::tuple key(r.key.size());
    for (size_t p = 0; p < r.key.size(); ++p) {
      key[p] = r.key[p] ? py::object(py::str(*r.key[p])) : py::none();
    }
    keys.append(key);
    visits.mutable_at(i) = r.visits;
    with_contact.mutable_at(i) = r.with_contact;
    contact_share.mutable_at(i) = r.contact_share;
    effective.mutable_at(i) = r.effective;
    effective_share.mutable_at(i) = r.effective_share;
    won.mutable_at(i) = r.won;
    deal_rate.mutable_at(i) = r.visit_to_deal_rate;
    stay.mutable_at(i) = r.avg_stay_minutes;
    top.append(r.top_models ? py::object(py::str(*r.top_models)) : py::none());
  }
  py::dict out;
  out["keys"] = keys;
  out["visits"] = visits;
  out["with_contact"] = with_contact;
  out["contact_share"] = contact_share;
  out["effective"] = effective;
  out["effective_share"] = effective_share;
  out["won"] = won;
  out["visit_to_deal_rate"] = deal_rate;
  out["avg_stay_minutes"] = stay;
  out["top_models"] = top;
  return out;
}

}  // namespace

void RegisterShowroom(py::module_& m) {
  DefineStateProtocol(py::class_<ShowroomState>(
      m, "ShowroomState",
      "Mergeable showroom traffic per group (docs/kpis.md)."))
      .def(py::init([](std::vector<std::string> by, std::string time_zone) {
             return ShowroomState(ShowroomOptions{
                 .by = std::move(by), .time_zone = std::move(time_zone)});
           }),
           py::arg("by"), py::arg("time_zone"))
      .def_property_readonly(
          "by", [](const ShowroomState& s) { return s.options().by; })
      .def_property_readonly(
          "time_zone",
          [](const ShowroomState& s) { return s.options().time_zone; })
      .def_property_readonly("has_won", &ShowroomState::has_won)
      .def(
          "add",
          [](ShowroomState& state, int64_t num_visits, const py::list& visits,
             std::optional<int64_t> num_leads, const py::list& leads,
             int64_t as_of,
             const IncludeArray& include,
             int threads) {
            BatchColumns visit_columns(num_visits, visits);
            std::optional<BatchColumns> lead_columns;
            if (num_leads) lead_columns.emplace(*num_leads, leads);
            AddWithoutGil([&] {
              return state.Add(visit_columns.columns(),
                               lead_columns ? &lead_columns->columns()
                                            : nullptr,
                               SecondsInstant(as_of), MaskFlags(include),
                               threads);
            });
          },
          py::arg("num_visits"), py::arg("visits"), py::arg("num_leads"),
          py::arg("leads"), py::arg("as_of"), py::arg("include"),
          py::arg("threads") = 1)
      .def("copy", [](const ShowroomState& s) { return ShowroomState(s); })
      .def("finalize", &FinalizeToDict, py::arg("top_models") = 3);
}

}  // namespace leadkit::python
