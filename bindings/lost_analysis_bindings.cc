#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/lost_analysis.h"

namespace leadkit::python {
namespace {

py::dict Finalize(const LostAnalysisState& state) {
  const std::vector<LostAnalysisRow> rows = state.Finalize();
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::list keys;
  py::array_t<int64_t> lost(n), approved(n), rejected(n), pending(n),
      review_null(n);
  py::array_t<double> share(n), rejection_rate(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const LostAnalysisRow& row = rows[static_cast<size_t>(i)];
    py::list key;
    for (const auto& part : row.key) {
      key.append(part ? py::object(py::str(*part)) : py::object(py::none()));
    }
    keys.append(py::tuple(key));
    lost.mutable_at(i) = row.counts.lost;
    approved.mutable_at(i) = row.counts.approved;
    rejected.mutable_at(i) = row.counts.rejected;
    pending.mutable_at(i) = row.counts.pending;
    review_null.mutable_at(i) = row.counts.review_null;
    share.mutable_at(i) = row.share;
    rejection_rate.mutable_at(i) = row.rejection_rate();
  }
  py::dict out;
  out["keys"] = keys;
  out["lost"] = lost;
  out["share"] = share;
  out["approved"] = approved;
  out["rejected"] = rejected;
  out["pending"] = pending;
  out["review_null"] = review_null;
  out["rejection_rate"] = rejection_rate;
  return out;
}

}  // namespace

void RegisterLostAnalysis(py::module_& m) {
  m.def(
      "lost_analysis_keys",
      [] {
        std::vector<std::string> out;
        for (absl::string_view key : LostAnalysisKeys()) out.emplace_back(key);
        return out;
      },
      "The group names a lost-sales analysis takes before lost_reason.");
  DefineStateProtocol(py::class_<LostAnalysisState>(
      m, "LostAnalysisState",
      "Mergeable lost-sales counts per group and reason (docs/kpis.md)."))
      .def(py::init([](std::vector<std::string> by, std::string time_zone) {
             return LostAnalysisState(
                 {.by = std::move(by), .time_zone = std::move(time_zone)});
           }),
           py::arg("by"), py::arg("time_zone"))
      .def_property_readonly(
          "by", [](const LostAnalysisState& s) { return s.options().by; })
      .def_property_readonly(
          "time_zone",
          [](const LostAnalysisState& s) { return s.options().time_zone; })
      .def(
          "add",
          [](LostAnalysisState& state, int64_t num_leads, const py::list& leads,
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
