#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/profile.h"

namespace leadkit::python {
namespace {

py::dict Finalize(const ProfileState& state) {
  const std::vector<ProfileRow> rows = state.Finalize();
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::list keys;
  py::array_t<int64_t> leads(n), won(n), invalid(n);
  py::array_t<double> share(n), conversion_rate(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const ProfileRow& row = rows[static_cast<size_t>(i)];
    py::list key;
    for (const auto& part : row.key) {
      key.append(part ? py::object(py::str(*part)) : py::object(py::none()));
    }
    keys.append(py::tuple(key));
    leads.mutable_at(i) = row.counts.leads;
    won.mutable_at(i) = row.counts.won;
    invalid.mutable_at(i) = row.counts.invalid;
    share.mutable_at(i) = row.share;
    conversion_rate.mutable_at(i) = row.conversion_rate();
  }
  py::dict out;
  out["keys"] = keys;
  out["leads"] = leads;
  out["share"] = share;
  out["won"] = won;
  out["conversion_rate"] = conversion_rate;
  out["invalid"] = invalid;
  return out;
}

}  // namespace

void RegisterProfile(py::module_& m) {
  m.def(
      "age_band_labels",
      [](const std::vector<int64_t>& edges) { return AgeBandLabels(edges); },
      py::arg("edges"), "The labels of the age bands cut at `edges`.");
  DefineStateProtocol(py::class_<ProfileState>(
      m, "ProfileState",
      "Mergeable customer-profile counts per group (docs/kpis.md)."))
      .def(py::init([](std::vector<std::string> by,
                       std::vector<int64_t> age_bands) {
             return ProfileState(
                 {.by = std::move(by), .age_bands = std::move(age_bands)});
           }),
           py::arg("by"), py::arg("age_bands"))
      .def_property_readonly(
          "by", [](const ProfileState& s) { return s.options().by; })
      .def_property_readonly(
          "age_bands",
          [](const ProfileState& s) { return s.options().age_bands; })
      .def(
          "add",
          [](ProfileState& state, int64_t num_leads, const py::list& leads,
             int64_t as_of,
             const IncludeArray& include,
             int threads) {
            BatchColumns lead_columns(num_leads, leads);
            AddWithoutGil([&] {
              return state.Add(lead_columns.columns(), SecondsInstant(as_of),
                               MaskFlags(include), threads);
            });
          },
          py::arg("num_leads"), py::arg("leads"), py::arg("as_of"),
          py::arg("include"), py::arg("threads") = 1)
      .def("finalize", &Finalize);
}

}  // namespace leadkit::python
