// A consultant's appraisal score (000 §8.2.1, docs/kpis.md `scorecard`) from
// the rows of a KPI table and weights per KPI rate: a function, no state.
//
//   points(rate) = weight × rate          (NaN when the rate is NaN)
//   score        = Σ points               (a NaN rate adds 0)
//   rank         = 1 + the rows scoring strictly better (ties share a rank)
// Rows come back sorted by score, best first; equal scores keep their order.
// The rates a scorecard may weigh are ScorecardRates() (policy.h).
//
// Example:
//   LEADKIT_ASSIGN_OR_RETURN(std::vector<ScoreRow> card,
//                            Scorecard(kpi_state.Finalize(), policy));
//   card[0].row;    // the best row's place in the input
//   card[0].score;  // e.g. 0.5 × 0.25 + 0.3 × 1.0 + 0.2 × 1.0 = 0.625
#ifndef LEADKIT_SCORECARD_H_
#define LEADKIT_SCORECARD_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"
#include "leadkit/kpi.h"
#include "leadkit/policy.h"

namespace leadkit {

// A rate and its weight.
using ScoreWeight = std::pair<std::string, double>;

// `weights` checked (each a rate of ScorecardRates(), once, a finite number
// >= 0; at least one) and put in the order of ScorecardRates(). InvalidArgument
// naming the rate and the weight otherwise.
absl::StatusOr<std::vector<ScoreWeight>> CheckScoreWeights(
    std::span<const ScoreWeight> weights);

// One scored row.
struct ScoreRow {
  int64_t row = 0;             // its place in the input
  std::vector<double> points;  // per checked weight, in its order
  double score = 0;
  std::string missing;  // the weighted rates that were NaN, ';'-joined
  int64_t rank = 0;     // 1 = best
};

// Scores a KPI table: per weighted rate a double column of that name (NaN =
// no rate), values in [0, 1]; the table's string (code) columns, when given,
// name a row in errors ("kpis.timeliness_rate: row 1 (consultant_id='C2')
// has 80.0; expected a rate from 0 to 1"). `table` names the table in
// messages. InvalidArgument for bad weights, a missing or non-number rate
// column, or a rate outside [0, 1].
absl::StatusOr<std::vector<ScoreRow>> Scorecard(
    const Columns& kpis, std::span<const ScoreWeight> weights,
    absl::string_view table = "kpis");

// Scores KpiState::Finalize() rows; the weights of the policy's scorecard
// (FailedPrecondition when it has none), or given.
absl::StatusOr<std::vector<ScoreRow>> Scorecard(std::span<const KpiRow> rows,
                                                const Policy& policy);
absl::StatusOr<std::vector<ScoreRow>> Scorecard(
    std::span<const KpiRow> rows, std::span<const ScoreWeight> weights);

}  // namespace leadkit

#endif  // LEADKIT_SCORECARD_H_
