#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/effectiveness.h"
#include "leadkit/policy.h"

namespace leadkit::python {
namespace {

EffectivenessView ViewOf(const std::string& name) {
  if (name == "method_mix") return EffectivenessView::kMethodMix;
  if (name == "interval") return EffectivenessView::kInterval;
  if (name == "action") return EffectivenessView::kAction;
  throw py::value_error("view: expected method_mix, interval or action, got \"" +
                        name + "\"");
}

// The report's rows as columns: "group" (str), "content" (str or None; the
// action view's), the counts (int64) and the rates (float64).
py::dict FinalizeToDict(const EffectivenessState& state) {
  const std::vector<EffectivenessRow> rows = state.Finalize();
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::list group, content;
  py::array_t<int64_t> leads(n), won(n), touches(n), recommended(n),
      as_recommended(n), leads_as_recommended(n), won_as_recommended(n);
  py::array_t<double> conversion(n), per_lead(n), conversion_as_recommended(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const EffectivenessRow& row = rows[static_cast<size_t>(i)];
    group.append(py::str(row.group));
    if (row.content.has_value()) {
      content.append(py::str(*row.content));
    } else {
      content.append(py::none());
    }
    leads.mutable_at(i) = row.leads;
    won.mutable_at(i) = row.won;
    touches.mutable_at(i) = row.touches;
    conversion.mutable_at(i) = row.conversion_rate();
    per_lead.mutable_at(i) = row.touches_per_lead();
    recommended.mutable_at(i) = row.recommended_touches;
    as_recommended.mutable_at(i) = row.touches_as_recommended;
    leads_as_recommended.mutable_at(i) = row.leads_as_recommended;
    won_as_recommended.mutable_at(i) = row.won_as_recommended;
    conversion_as_recommended.mutable_at(i) =
        row.conversion_rate_as_recommended();
  }
  py::dict out;
  out["group"] = group;
  out["content"] = content;
  out["leads"] = leads;
  out["won"] = won;
  out["conversion_rate"] = conversion;
  out["touches"] = touches;
  out["touches_per_lead"] = per_lead;
  out["recommended_touches"] = recommended;
  out["touches_as_recommended"] = as_recommended;
  out["leads_as_recommended"] = leads_as_recommended;
  out["won_as_recommended"] = won_as_recommended;
  out["conversion_rate_as_recommended"] = conversion_as_recommended;
  return out;
}

}  // namespace

void RegisterEffectiveness(py::module_& m) {
  DefineStateProtocol(py::class_<EffectivenessState>(
      m, "EffectivenessState",
      "Mergeable follow-up effectiveness counts per group (docs/kpis.md)."))
      .def(py::init([](const std::string& view, std::vector<double> buckets,
                       bool playbook) {
             EffectivenessOptions options{
                 .view = ViewOf(view),
                 .interval_buckets = std::move(buckets),
                 .playbook = playbook};
             ThrowIfError(ValidateEffectivenessOptions(options));
             return EffectivenessState(std::move(options));
           }),
           py::arg("view"), py::arg("interval_buckets"),
           py::arg("playbook") = false)
      .def_property_readonly(
          "playbook",
          [](const EffectivenessState& s) { return s.options().playbook; })
      .def_property_readonly("view",
                             [](const EffectivenessState& s) {
                               return std::string(
                                   EffectivenessViewName(s.options().view));
                             })
      .def_property_readonly("interval_buckets",
                             [](const EffectivenessState& s) {
                               return s.options().interval_buckets;
                             })
      .def(
          "add",
          [](EffectivenessState& state, int64_t num_leads,
             const py::list& leads, int64_t num_touches,
             const py::list& touches, int64_t as_of,
             const IncludeArray& include, int threads,
             const Policy* policy) {
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            AddWithoutGil([&] {
              return policy != nullptr
                         ? state.Add(*policy, lead_columns.columns(),
                                     touch_columns.columns(),
                                     SecondsInstant(as_of), MaskFlags(include),
                                     threads)
                         : state.Add(lead_columns.columns(),
                                     touch_columns.columns(),
                                     SecondsInstant(as_of), MaskFlags(include),
                                     threads);
            });
          },
          py::arg("num_leads"), py::arg("leads"), py::arg("num_touches"),
          py::arg("touches"), py::arg("as_of"), py::arg("include"),
          py::arg("threads") = 1, py::arg("policy").none(true) = nullptr)
      .def("finalize", &FinalizeToDict);
}

}  // namespace leadkit::python
