// How well a score ranks won against lost leads, and how its points read as
// probabilities (docs/scoring.md): the formulas of a learned scoring's report.
//
//   groups      leads of equal score, highest score first: won and lost of each
//   AUC         GradeAuc (backtest.h) over those groups: ties count one half
//   lift by decile   leads ranked high to low and cut into `bins` equal parts;
//               a group of equal scores that straddles a cut is shared between
//               the parts in proportion, each share at the group's conversion:
//               lift_d = conversion of part d / conversion of all
//   points      log-odds = points × ln 2 / points_to_double: `points_to_double`
//               points double the odds of winning
//   calibration per band: the mean predicted probability of its leads against
//               their observed conversion, won / (won + lost)
//
// Example: scores {3, 3, 1, 1}, won {1, 0, 1, 0} -> groups {won 1, lost 1},
// {won 1, lost 1}; AUC 0.5; two bins: each conversion 0.5, lift 1.
#ifndef LEADKIT_SCORE_REPORT_H_
#define LEADKIT_SCORE_REPORT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "leadkit/backtest.h"

namespace leadkit {

// Groups closed leads by equal score, highest first: `won[i]` is 1 for a won
// lead, 0 for a lost one. InvalidArgument when the spans' sizes differ, a score
// is not finite or a flag is neither 0 nor 1 (naming the row).
absl::StatusOr<std::vector<GradeOutcome>> GroupByScore(
    std::span<const double> scores, std::span<const uint8_t> won);

// One part of the ranking.
struct DecileLift {
  double leads = 0;            // closed leads in the part (shares of ties)
  double won = 0;              // won leads in it (shares of ties)
  double conversion_rate = 0;  // won / leads; NaN for an empty part
  double lift = 0;             // conversion_rate / overall conversion; NaN
                               // when nothing was won or no lead given
  bool operator==(const DecileLift&) const = default;
};

// Lift of `bins` equal parts of the ranking given by `groups` (highest first,
// as GroupByScore gives). InvalidArgument when bins < 1 or a count is negative.
// Example: groups {won 2, lost 0}, {won 0, lost 2}, two bins -> conversions
// 1 and 0, lifts 2 and 0.
absl::StatusOr<std::vector<DecileLift>> LiftByDecile(
    std::span<const GradeOutcome> groups, int bins = 10);

// One band (grade) of a scoring.
struct BandCalibration {
  int64_t leads = 0;       // closed leads in the band
  int64_t won = 0;         // won among them
  double predicted = 0;    // their mean predicted probability; NaN if none
  double observed = 0;     // won / leads; NaN if none
  bool operator==(const BandCalibration&) const = default;
};

// Calibration per band: `band[i]` (0 .. bands - 1) is the lead's band,
// `predicted[i]` its predicted probability, `won[i]` 1 won / 0 lost.
// InvalidArgument for differing sizes, a band out of range, a probability
// outside [0, 1] or a flag neither 0 nor 1 (naming the row).
absl::StatusOr<std::vector<BandCalibration>> CalibrationByBand(
    std::span<const int32_t> band, std::span<const double> predicted,
    std::span<const uint8_t> won, int bands);

// The probability of winning that a total of `points` stands for:
// 1 / (1 + 2^(-points / points_to_double)).
double PointsToProbability(double points, double points_to_double);

// A log-odds coefficient as whole points: round(log_odds × points_to_double /
// ln 2).
int64_t LogOddsToPoints(double log_odds, double points_to_double);

// The lower bounds of the bands that keep each grade's share: `shares[g]` is
// grade g's share of the leads (best grade first, summing to 1 within 1e-6),
// `scores` the leads' totals. Returns shares.size() - 1 cuts, non-increasing:
// grade 0 takes totals >= cuts[0], grade g totals in [cuts[g], cuts[g - 1]),
// the last grade totals below cuts.back(). Each cut is the total (among the
// scores, or +infinity for an empty top) whose share of leads at or above it
// is nearest the grades' cumulative share (the higher total on a tie).
// InvalidArgument for no scores, a score not finite, no shares, a share below
// 0 or shares not summing to 1.
absl::StatusOr<std::vector<double>> BandCuts(std::span<const double> scores,
                                             std::span<const double> shares);

}  // namespace leadkit

#endif  // LEADKIT_SCORE_REPORT_H_
