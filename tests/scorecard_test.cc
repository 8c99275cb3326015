// The scorecard on the hand-worked example of docs/kpis.md: points, the score
// with a missing rate, ranks with ties, weights from a policy, KPI rows, and
// bad weights and rates.
#include "leadkit/scorecard.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Four consultants' rates (NaN: nobody surveyed).
struct Rates {
  std::vector<std::string> names = {"C1", "C2", "C3", "C4"};
  std::vector<int32_t> codes = {0, 1, 2, 3};
  std::vector<double> conversion = {0.5, 0.25, 0.5, 0.5};
  std::vector<double> timeliness = {0.8, 1.0, 0.8, 0.8};
  std::vector<double> satisfaction = {NAN, 1.0, 0.5, 0.5};

  Columns Table() const {
    Columns c(4);
    EXPECT_THAT(c.Add("consultant_id", Column::Codes(codes, names)), IsOk());
    EXPECT_THAT(c.Add("conversion_rate", Column::Doubles(conversion)), IsOk());
    EXPECT_THAT(c.Add("timeliness_rate", Column::Doubles(timeliness)), IsOk());
    EXPECT_THAT(c.Add("satisfaction_rate", Column::Doubles(satisfaction)),
                IsOk());
    return c;
  }
};

const std::vector<ScoreWeight> kWeights = {{"satisfaction_rate", 0.2},
                                           {"conversion_rate", 0.5},
                                           {"timeliness_rate", 0.3}};

TEST(Scorecard, ByHand) {
  const Rates rates;
  const absl::StatusOr<std::vector<ScoreRow>> card =
      Scorecard(rates.Table(), kWeights);
  ASSERT_THAT(card, IsOk());
  // C2: 0.5 × 0.25 + 0.3 × 1.0 + 0.2 × 1.0 = 0.625. C3, C4: 0.25 + 0.24 + 0.1
  // = 0.59, a tie ranked 2 in input order. C1: 0.25 + 0.24 + (NaN: 0) = 0.49.
  std::vector<int64_t> order, ranks;
  for (const ScoreRow& row : *card) {
    order.push_back(row.row);
    ranks.push_back(row.rank);
  }
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 0));
  EXPECT_THAT(ranks, ElementsAre(1, 2, 2, 4));
  EXPECT_DOUBLE_EQ((*card)[0].score, 0.625);
  EXPECT_DOUBLE_EQ((*card)[1].score, 0.59);
  EXPECT_DOUBLE_EQ((*card)[3].score, 0.49);
  // Points in the order of the rates: conversion, timeliness, satisfaction.
  EXPECT_DOUBLE_EQ((*card)[0].points[0], 0.125);
  EXPECT_DOUBLE_EQ((*card)[0].points[1], 0.3);
  EXPECT_DOUBLE_EQ((*card)[0].points[2], 0.2);
  EXPECT_TRUE(std::isnan((*card)[3].points[2]));
  EXPECT_EQ((*card)[3].missing, "satisfaction_rate");
  EXPECT_EQ((*card)[0].missing, "");
}

TEST(Scorecard, WeightsInRateOrderAndZeroWeights) {
  const std::vector<ScoreWeight> weights = {{"satisfaction_rate", 0},
                                            {"conversion_rate", 1}};
  const absl::StatusOr<std::vector<ScoreWeight>> checked =
      CheckScoreWeights(weights);
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ((*checked)[0].first, "conversion_rate");
  const Rates rates;
  const std::vector<ScoreRow> card = *Scorecard(rates.Table(), weights);
  // Scores 0.5, 0.25, 0.5, 0.5: C1, C3, C4 share rank 1; C2 is 4th. C1's NaN
  // satisfaction still shows as missing, though its weight is 0.
  std::vector<int64_t> ranks;
  for (const ScoreRow& row : card) ranks.push_back(row.rank);
  EXPECT_THAT(ranks, ElementsAre(1, 1, 1, 4));
  EXPECT_EQ(card[0].missing, "satisfaction_rate");
}

TEST(Scorecard, FromKpiRowsAndPolicy) {
  // Two groups: 1 of 4 won, surveys 1 of 2; 2 of 2 won, nobody surveyed.
  KpiRow a, b;
  a.key = {"C1"};
  a.counts.leads = 4;
  a.counts.won = 1;
  a.counts.surveyed = 2;
  a.counts.satisfied = 1;
  b.key = {"C2"};
  b.counts.leads = 2;
  b.counts.won = 2;
  const std::vector<KpiRow> rows = {a, b};
  const std::vector<ScoreWeight> weights = {{"conversion_rate", 0.5},
                                            {"satisfaction_rate", 0.5}};
  const std::vector<ScoreRow> card = *Scorecard(rows, weights);
  // C1: 0.5 × 0.25 + 0.5 × 0.5 = 0.375; C2: 0.5 × 1 + (NaN: 0) = 0.5.
  EXPECT_EQ(card[0].row, 1);
  EXPECT_DOUBLE_EQ(card[0].score, 0.5);
  EXPECT_EQ(card[0].missing, "satisfaction_rate");
  EXPECT_DOUBLE_EQ(card[1].score, 0.375);
  // The abcd preset has no scorecard section.
  EXPECT_THAT(Scorecard(rows, *Policy::Preset("abcd")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has no scorecard section")));
}

TEST(Scorecard, BadWeightsAndRates) {
  struct Case {
    std::vector<ScoreWeight> weights;
    const char* message;
  };
  const Case cases[] = {
      {{{"conversion_rte", 1}},
       "weights: 'conversion_rte' is not a rate of leadkit.kpis; did you mean "
       "\"conversion_rate\"?"},
      {{{"leads", 1}}, "weights: 'leads' is not a rate"},
      {{{"conversion_rate", -0.5}},
       "weights: conversion_rate has weight -0.5; weights must be 0 or more"},
      {{{"conversion_rate", NAN}},
       "weights: conversion_rate has weight nan; expected a finite number"},
      {{{"conversion_rate", INFINITY}}, "conversion_rate has weight inf"},
      {{}, "weights: no rate is weighted"},
      {{{"conversion_rate", 1}, {"conversion_rate", 2}},
       "weights: conversion_rate is weighted twice"},
      {{{"entry_timeliness_rate", 1}},
       "kpis: missing required column \"entry_timeliness_rate\""},
  };
  const Rates rates;
  for (const Case& c : cases) {
    EXPECT_THAT(Scorecard(rates.Table(), c.weights),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.message;
  }
  Rates out_of_range;
  out_of_range.timeliness[1] = 80;
  EXPECT_THAT(Scorecard(out_of_range.Table(), kWeights, "kpis_frame"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("kpis_frame.timeliness_rate: row 1 "
                                 "(consultant_id='C2') has 80.0; expected a "
                                 "rate from 0 to 1")));
}

}  // namespace
}  // namespace leadkit
