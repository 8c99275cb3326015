// The formulas of a learned scoring's report (score_report.h) against values
// worked by hand, and ScoreBatch (classify.h) against a policy's items.
#include "leadkit/score_report.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/classify.h"
#include "leadkit/policy.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

GradeOutcome Group(int64_t won, int64_t lost) {
  return {.leads = won + lost, .won = won, .lost = lost};
}

TEST(GroupByScore, GroupsEqualScoresHighestFirst) {
  // Scores 3 (won, lost), 2 (won), 1 (lost, won).
  const std::vector<double> scores = {3, 1, 3, 1, 2};
  const std::vector<uint8_t> won = {1, 0, 0, 1, 1};
  absl::StatusOr<std::vector<GradeOutcome>> groups = GroupByScore(scores, won);
  ASSERT_THAT(groups, IsOk());
  EXPECT_THAT(*groups, ElementsAre(Group(1, 1), Group(1, 0), Group(1, 1)));
  // Pairs won x lost: (3,3) 1/2, (3,1) 1, (1,3) 0, (1,1) 1/2, (2,3) 0, (2,1) 1
  // = 3 of 6.
  EXPECT_DOUBLE_EQ(GradeAuc(*groups), 0.5);
}

TEST(GroupByScore, BadInputNamesTheRow) {
  const std::vector<double> scores = {1, NAN};
  const std::vector<uint8_t> won = {1, 0};
  EXPECT_THAT(GroupByScore(scores, won),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 1: the score nan is not finite")));
  const std::vector<uint8_t> two = {1, 2};
  EXPECT_THAT(GroupByScore(std::vector<double>{1, 2}, two),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 1: the outcome flag is 2")));
  EXPECT_THAT(GroupByScore(scores, std::vector<uint8_t>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("2 values against 1 outcome flags")));
}

TEST(LiftByDecile, SeparatedGroups) {
  const std::vector<GradeOutcome> groups = {Group(2, 0), Group(0, 2)};
  absl::StatusOr<std::vector<DecileLift>> lift = LiftByDecile(groups, 2);
  ASSERT_THAT(lift, IsOk());
  EXPECT_THAT(*lift, ElementsAre(DecileLift{2, 2, 1.0, 2.0},
                                 DecileLift{2, 0, 0.0, 0.0}));
}

TEST(LiftByDecile, TiesAcrossACutAreShared) {
  // Group A (won 2, lost 1) covers positions 0-3, B (lost 1) position 3; two
  // parts of 2. Part 0: 2 of A at 2/3 -> won 4/3, conversion 2/3, lift 4/3
  // (overall 1/2). Part 1: 1 of A (won 2/3) and B -> won 2/3 of 2: 1/3, 2/3.
  const std::vector<GradeOutcome> groups = {Group(2, 1), Group(0, 1)};
  absl::StatusOr<std::vector<DecileLift>> lift = LiftByDecile(groups, 2);
  ASSERT_THAT(lift, IsOk());
  ASSERT_EQ(lift->size(), 2u);
  EXPECT_DOUBLE_EQ((*lift)[0].leads, 2);
  EXPECT_DOUBLE_EQ((*lift)[0].won, 4.0 / 3);
  EXPECT_DOUBLE_EQ((*lift)[0].conversion_rate, 2.0 / 3);
  EXPECT_DOUBLE_EQ((*lift)[0].lift, 4.0 / 3);
  EXPECT_DOUBLE_EQ((*lift)[1].won, 2.0 / 3);
  EXPECT_DOUBLE_EQ((*lift)[1].conversion_rate, 1.0 / 3);
  EXPECT_DOUBLE_EQ((*lift)[1].lift, 2.0 / 3);
}

TEST(LiftByDecile, TenPartsOfTwentyLeads) {
  // One group per lead, the first four won: parts 0 and 1 convert fully.
  std::vector<GradeOutcome> groups;
  for (int i = 0; i < 20; ++i) groups.push_back(i < 4 ? Group(1, 0) : Group(0, 1));
  absl::StatusOr<std::vector<DecileLift>> lift = LiftByDecile(groups);
  ASSERT_THAT(lift, IsOk());
  ASSERT_EQ(lift->size(), 10u);
  EXPECT_DOUBLE_EQ((*lift)[0].lift, 5.0);  // 1 / (4 / 20)
  EXPECT_DOUBLE_EQ((*lift)[1].lift, 5.0);
  EXPECT_DOUBLE_EQ((*lift)[2].lift, 0.0);
  EXPECT_DOUBLE_EQ((*lift)[9].leads, 2.0);
}

TEST(LiftByDecile, EmptyAndBad) {
  absl::StatusOr<std::vector<DecileLift>> lift = LiftByDecile({}, 3);
  ASSERT_THAT(lift, IsOk());
  ASSERT_EQ(lift->size(), 3u);
  EXPECT_TRUE(std::isnan((*lift)[0].conversion_rate));
  EXPECT_TRUE(std::isnan((*lift)[0].lift));
  EXPECT_THAT(LiftByDecile({}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bins is 0")));
}

TEST(CalibrationByBand, MeanPredictedAgainstObserved) {
  const std::vector<int32_t> band = {0, 1, 0, 1, 1};
  const std::vector<double> predicted = {0.8, 0.2, 0.6, 0.3, 0.1};
  const std::vector<uint8_t> won = {1, 0, 0, 1, 0};
  absl::StatusOr<std::vector<BandCalibration>> c =
      CalibrationByBand(band, predicted, won, 3);
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].leads, 2);
  EXPECT_EQ((*c)[0].won, 1);
  EXPECT_DOUBLE_EQ((*c)[0].predicted, 0.7);
  EXPECT_DOUBLE_EQ((*c)[0].observed, 0.5);
  EXPECT_EQ((*c)[1].leads, 3);
  EXPECT_THAT((*c)[1].predicted, DoubleNear(0.2, 1e-12));
  EXPECT_DOUBLE_EQ((*c)[1].observed, 1.0 / 3);
  EXPECT_EQ((*c)[2].leads, 0);
  EXPECT_TRUE(std::isnan((*c)[2].observed));
  EXPECT_THAT(CalibrationByBand(band, predicted, won, 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 1: band 1 is not one of 0..0")));
  const std::vector<double> high = {0.8, 1.5, 0.6, 0.3, 0.1};
  EXPECT_THAT(CalibrationByBand(band, high, won, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 1: the probability 1.5")));
}

TEST(Points, ProbabilityAndLogOdds) {
  EXPECT_DOUBLE_EQ(PointsToProbability(0, 20), 0.5);
  EXPECT_DOUBLE_EQ(PointsToProbability(20, 20), 2.0 / 3);  // odds 2
  EXPECT_DOUBLE_EQ(PointsToProbability(-40, 20), 0.2);     // odds 1/4
  EXPECT_EQ(LogOddsToPoints(std::log(2.0), 20), 20);
  EXPECT_EQ(LogOddsToPoints(1.5 * std::log(2.0), 20), 30);
  EXPECT_EQ(LogOddsToPoints(-0.1, 20), -3);  // -2.885
}

TEST(BandCuts, KeepsTheShares) {
  // At or above: 10 -> 0.2, 8 -> 0.3, 5 -> 0.6, 3 -> 0.7, 0 -> 1. Targets 0.2
  // (10) and 0.5 (5: 0.1 away, 8 is 0.2 away).
  const std::vector<double> scores = {10, 10, 8, 5, 5, 5, 3, 0, 0, 0};
  const std::vector<double> shares = {0.2, 0.3, 0.5};
  absl::StatusOr<std::vector<double>> cuts = BandCuts(scores, shares);
  ASSERT_THAT(cuts, IsOk());
  EXPECT_THAT(*cuts, ElementsAre(10.0, 5.0));
}

TEST(BandCuts, TieKeepsTheHigherTotal) {
  // Target 0.25: +infinity (0) and 2 (0.5) are as near; the top grade is
  // empty.
  absl::StatusOr<std::vector<double>> cuts =
      BandCuts(std::vector<double>{2, 1}, std::vector<double>{0.25, 0.75});
  ASSERT_THAT(cuts, IsOk());
  EXPECT_THAT(*cuts, ElementsAre(INFINITY));
  EXPECT_THAT(BandCuts(std::vector<double>{2, 1}, std::vector<double>{0.5, 0.4}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sum to 0.9")));
  EXPECT_THAT(BandCuts({}, std::vector<double>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no scores")));
}

TEST(ScoreBatch, TotalsWhateverRuleTakesTheLead) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(R"({
    "grades": ["A", "B"],
    "rules": [{"id": "deposit", "grade": "A",
               "when": [{"field": "deposit_paid", "op": "==", "value": true}]}],
    "scoring": {"points": [
        {"id": "base", "points": -5},
        {"id": "drive", "points": 12,
         "when": [{"field": "test_drive", "op": "==", "value": true}]}],
      "bands": [{"min": 0, "grade": "A"}, {"max": 0, "grade": "B"}]},
    "cadence": {"follow_up_days": {"A": 1, "B": 2}}})");
  ASSERT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  LeadRecord both;
  both.SetBool("deposit_paid", true).SetBool("test_drive", true);
  std::vector<double> score(1);
  ASSERT_THAT(ScoreBatch(*policy, both.AsColumns(), score), IsOk());
  EXPECT_EQ(score[0], 7);  // the deposit rule grades it; its total is kept
  LeadRecord none;
  ASSERT_THAT(ScoreBatch(*policy, none.AsColumns(), score), IsOk());
  EXPECT_EQ(score[0], -5);
  std::vector<double> two(2);
  EXPECT_THAT(ScoreBatch(*policy, none.AsColumns(), two),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("holds 2 values for 1 rows")));
  absl::StatusOr<PolicyLoad> plain = Policy::FromJson(R"({
    "grades": ["A"], "rules": [{"id": "all", "grade": "A"}],
    "cadence": {"follow_up_days": {"A": 1}}})");
  ASSERT_THAT(plain, IsOk());
  EXPECT_THAT(ScoreBatch(*plain->policy(), none.AsColumns(), score),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has no scoring section")));
}

}  // namespace
}  // namespace leadkit
