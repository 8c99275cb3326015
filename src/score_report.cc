#include "leadkit/score_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace leadkit {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

absl::Status SizesMatch(absl::string_view what, size_t a, size_t b) {
  if (a == b) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": ", a, " values against ", b, " outcome flags; one per lead"));
}

absl::Status CheckFlag(absl::string_view what, std::span<const uint8_t> won,
                       size_t i) {
  if (won[i] <= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": row ", i, ": the outcome flag is ",
                   static_cast<int>(won[i]), ", not 0 (lost) or 1 (won)"));
}

}  // namespace

absl::StatusOr<std::vector<GradeOutcome>> GroupByScore(
    std::span<const double> scores, std::span<const uint8_t> won) {
  if (absl::Status s = SizesMatch("GroupByScore", scores.size(), won.size());
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GroupByScore: row ", i, ": the score ", scores[i], " is not finite"));
    }
    if (absl::Status s = CheckFlag("GroupByScore", won, i); !s.ok()) return s;
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<GradeOutcome> groups;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    if (k == 0 || scores[i] != scores[order[k - 1]]) groups.emplace_back();
    GradeOutcome& g = groups.back();
    ++g.leads;
    if (won[i] != 0) {
      ++g.won;
    } else {
      ++g.lost;
    }
  }
  return groups;
}

absl::StatusOr<std::vector<DecileLift>> LiftByDecile(
    std::span<const GradeOutcome> groups, int bins) {
  if (bins < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("LiftByDecile: bins is ", bins, "; at least 1"));
  }
  double total = 0, total_won = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].won < 0 || groups[k].lost < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "LiftByDecile: group ", k, " has a negative count (won ",
          groups[k].won, ", lost ", groups[k].lost, ")"));
    }
    total += static_cast<double>(groups[k].won + groups[k].lost);
    total_won += static_cast<double>(groups[k].won);
  }
  std::vector<DecileLift> out(static_cast<size_t>(bins));
  // Positions [start, end) of the ranking: group k covers [pos, pos + size);
  // part d covers [d * total / bins, (d + 1) * total / bins).
  double pos = 0;
  for (const GradeOutcome& g : groups) {
    const double size = static_cast<double>(g.won + g.lost);
    if (size == 0) continue;
    const double end = pos + size;
    const double rate = static_cast<double>(g.won) / size;
    for (int d = 0; d < bins; ++d) {
      const double lo = total * d / bins;
      const double hi = total * (d + 1) / bins;
      const double overlap = std::min(end, hi) - std::max(pos, lo);
      if (overlap <= 0) continue;
      out[static_cast<size_t>(d)].leads += overlap;
      out[static_cast<size_t>(d)].won += overlap * rate;
    }
    pos = end;
  }
  const double overall = total > 0 ? total_won / total : kNan;
  for (DecileLift& part : out) {
    part.conversion_rate = part.leads > 0 ? part.won / part.leads : kNan;
    part.lift = overall > 0 ? part.conversion_rate / overall : kNan;
  }
  return out;
}

absl::StatusOr<std::vector<BandCalibration>> CalibrationByBand(
    std::span<const int32_t> band, std::span<const double> predicted,
    std::span<const uint8_t> won, int bands) {
  if (absl::Status s = SizesMatch("CalibrationByBand", band.size(), won.size());
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          SizesMatch("CalibrationByBand", predicted.size(), won.size());
      !s.ok()) {
    return s;
  }
  if (bands < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CalibrationByBand: bands is ", bands));
  }
  std::vector<BandCalibration> out(static_cast<size_t>(bands));
  std::vector<double> sums(static_cast<size_t>(bands), 0.0);
  for (size_t i = 0; i < band.size(); ++i) {
    if (band[i] < 0 || band[i] >= bands) {
      return absl::InvalidArgumentError(
          absl::StrCat("CalibrationByBand: row ", i, ": band ", band[i],
                       " is not one of 0..", bands - 1));
    }
    if (!(predicted[i] >= 0 && predicted[i] <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CalibrationByBand: row ", i, ": the probability ",
                       predicted[i], " is outside [0, 1]"));
    }
    if (absl::Status s = CheckFlag("CalibrationByBand", won, i); !s.ok()) {
      return s;
    }
    BandCalibration& b = out[static_cast<size_t>(band[i])];
    ++b.leads;
    b.won += won[i];
    sums[static_cast<size_t>(band[i])] += predicted[i];
  }
  for (size_t b = 0; b < out.size(); ++b) {
    const double n = static_cast<double>(out[b].leads);
    out[b].predicted = n > 0 ? sums[b] / n : kNan;
    out[b].observed = n > 0 ? static_cast<double>(out[b].won) / n : kNan;
  }
  return out;
}

double PointsToProbability(double points, double points_to_double) {
  return 1.0 / (1.0 + std::exp2(-points / points_to_double));
}

int64_t LogOddsToPoints(double log_odds, double points_to_double) {
  return static_cast<int64_t>(
      std::llround(log_odds * points_to_double / std::log(2.0)));
}

absl::StatusOr<std::vector<double>> BandCuts(std::span<const double> scores,
                                             std::span<const double> shares) {
  if (scores.empty()) {
    return absl::InvalidArgumentError("BandCuts: no scores to cut");
  }
  if (shares.empty()) {
    return absl::InvalidArgumentError("BandCuts: no grade shares");
  }
  double sum = 0;
  for (size_t g = 0; g < shares.size(); ++g) {
    if (!(shares[g] >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BandCuts: the share of grade ", g, " is ", shares[g]));
    }
    sum += shares[g];
  }
  if (std::abs(sum - 1.0) > 1e-6) {
    return absl::InvalidArgumentError(
        absl::StrCat("BandCuts: the grades' shares sum to ", sum, ", not 1"));
  }
  std::vector<double> sorted(scores.begin(), scores.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!std::isfinite(sorted[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BandCuts: row ", i, ": the score ", sorted[i], " is not finite"));
    }
  }
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  // Candidates, highest first: +infinity (no lead at or above), then each
  // distinct total with the share of leads at or above it.
  std::vector<double> value{std::numeric_limits<double>::infinity()};
  std::vector<double> at_or_above{0.0};
  const double n = static_cast<double>(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1] == sorted[i]) continue;
    value.push_back(sorted[i]);
    at_or_above.push_back(static_cast<double>(i + 1) / n);
  }
  std::vector<double> cuts;
  double target = 0;
  for (size_t g = 0; g + 1 < shares.size(); ++g) {
    target += shares[g];
    size_t best = 0;
    for (size_t c = 1; c < value.size(); ++c) {
      // Strictly nearer only: on a tie the higher total (earlier) stays.
      if (std::abs(at_or_above[c] - target) <
          std::abs(at_or_above[best] - target)) {
        best = c;
      }
    }
    cuts.push_back(cuts.empty() ? value[best] : std::min(cuts.back(), value[best]));
  }
  return cuts;
}

}  // namespace leadkit
