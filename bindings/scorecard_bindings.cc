#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "leadkit/scorecard.h"

namespace leadkit::python {
namespace {

// The scorecard of a KPI table given as column specs: per scored row, its
// input row, points per checked weight, score, missing rates and rank.
py::dict ScoreTable(int64_t num_rows, const py::list& specs,
                    const std::vector<ScoreWeight>& weights,
                    const std::string& table) {
  BatchColumns columns(num_rows, specs);
  absl::StatusOr<std::vector<ScoreWeight>> checked;
  absl::StatusOr<std::vector<ScoreRow>> result;
  {
    py::gil_scoped_release release;
    checked = CheckScoreWeights(weights);
    result = Scorecard(columns.columns(), weights, table);
  }
  const std::vector<ScoreRow>& rows = ValueOrThrow(std::move(result));
  const std::vector<ScoreWeight>& rates = ValueOrThrow(std::move(checked));
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::array_t<int64_t> row(n), rank(n);
  py::array_t<double> score(n);
  std::vector<py::array_t<double>> points;
  for (size_t k = 0; k < rates.size(); ++k) points.emplace_back(n);
  py::list missing;
  for (py::ssize_t i = 0; i < n; ++i) {
    const ScoreRow& r = rows[static_cast<size_t>(i)];
    row.mutable_at(i) = r.row;
    rank.mutable_at(i) = r.rank;
    score.mutable_at(i) = r.score;
    for (size_t k = 0; k < rates.size(); ++k) {
      points[k].mutable_at(i) = r.points[k];
    }
    missing.append(py::str(r.missing));
  }
  py::list names, point_list;
  for (size_t k = 0; k < rates.size(); ++k) {
    names.append(py::str(rates[k].first));
    point_list.append(points[k]);
  }
  py::dict out;
  out["rates"] = names;
  out["row"] = row;
  out["points"] = point_list;
  out["score"] = score;
  out["missing"] = missing;
  out["rank"] = rank;
  return out;
}

}  // namespace

void RegisterScorecard(py::module_& m) {
  m.def("scorecard", &ScoreTable, py::arg("num_rows"), py::arg("columns"),
        py::arg("weights"), py::arg("table") = "kpis",
        "The weighted score of each row of a KPI table (docs/kpis.md).");
  m.def(
      "scorecard_rates",
      [] {
        std::vector<std::string> out;
        for (absl::string_view rate : ScorecardRates()) out.emplace_back(rate);
        return out;
      },
      "The KPI rates a scorecard may weigh.");
}

}  // namespace leadkit::python
