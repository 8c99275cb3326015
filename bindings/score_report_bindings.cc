#include <cstdint>
#include <span>
#include <vector>

#include "bindings.h"
#include "leadkit/score_report.h"

namespace leadkit::python {
namespace {

template <typename T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
std::span<const T> View(const Array<T>& a) {
  return {a.data(), static_cast<size_t>(a.size())};
}

}  // namespace

void RegisterScoreReport(py::module_& m) {
  m.def(
      "score_ranking",
      [](const Array<double>& scores, const Array<uint8_t>& won, int bins) {
        const std::vector<GradeOutcome> groups =
            ValueOrThrow(GroupByScore(View(scores), View(won)));
        const std::vector<DecileLift> parts =
            ValueOrThrow(LiftByDecile(groups, bins));
        py::list leads, won_leads, rate, lift;
        for (const DecileLift& p : parts) {
          leads.append(p.leads);
          won_leads.append(p.won);
          rate.append(p.conversion_rate);
          lift.append(p.lift);
        }
        py::dict out;
        out["auc"] = GradeAuc(groups);
        out["leads"] = leads;
        out["won"] = won_leads;
        out["conversion_rate"] = rate;
        out["lift"] = lift;
        return out;
      },
      py::arg("scores"), py::arg("won"), py::arg("bins") = 10,
      "AUC (GradeAuc over GroupByScore) and LiftByDecile of closed leads' "
      "scores: {auc, leads, won, conversion_rate, lift}.");
  m.def(
      "calibration_by_band",
      [](const Array<int32_t>& band, const Array<double>& predicted,
         const Array<uint8_t>& won, int bands) {
        const std::vector<BandCalibration> rows = ValueOrThrow(
            CalibrationByBand(View(band), View(predicted), View(won), bands));
        py::list leads, won_leads, pred, observed;
        for (const BandCalibration& r : rows) {
          leads.append(r.leads);
          won_leads.append(r.won);
          pred.append(r.predicted);
          observed.append(r.observed);
        }
        py::dict out;
        out["leads"] = leads;
        out["won"] = won_leads;
        out["predicted"] = pred;
        out["observed"] = observed;
        return out;
      },
      py::arg("band"), py::arg("predicted"), py::arg("won"), py::arg("bands"));
  m.def(
      "points_to_probability",
      [](const Array<double>& points, double points_to_double) {
        py::array_t<double> out(points.size());
        double* o = out.mutable_data();
        for (py::ssize_t i = 0; i < points.size(); ++i) {
          o[i] = PointsToProbability(points.data()[i], points_to_double);
        }
        return out;
      },
      py::arg("points"), py::arg("points_to_double"));
  m.def(
      "log_odds_to_points",
      [](const Array<double>& log_odds, double points_to_double) {
        py::array_t<int64_t> out(log_odds.size());
        int64_t* o = out.mutable_data();
        for (py::ssize_t i = 0; i < log_odds.size(); ++i) {
          o[i] = LogOddsToPoints(log_odds.data()[i], points_to_double);
        }
        return out;
      },
      py::arg("log_odds"), py::arg("points_to_double"));
  m.def(
      "band_cuts",
      [](const Array<double>& scores, const std::vector<double>& shares) {
        return ValueOrThrow(BandCuts(View(scores), shares));
      },
      py::arg("scores"), py::arg("shares"));
}

}  // namespace leadkit::python
