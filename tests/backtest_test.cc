// The policy backtest on the hand-worked example of docs/backtest.md, its
// merge, the grade map's errors and notes, and GradeAuc against a count of
// pairs.
#include "leadkit/backtest.h"

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Five leads, recorded under oabc (docs/backtest.md); cn_showroom is open
// every day 09:00-18:00 in Asia/Shanghai. Dealer D1 has L1, L2 and L5, D2 has
// L3 and L4.
constexpr char kLeads[] = R"([
  {"lead_id": "L1", "created_at": "2024-06-10T09:00:00+08:00", "consultant_id": "c1",
   "dealer_id": "D1",
   "deposit_paid": true, "purchase_within_days": 10, "grade": "C",
   "status": "won", "won_at": "2024-06-20T12:00:00+08:00"},
  {"lead_id": "L2", "created_at": "2024-06-10T09:00:00+08:00", "consultant_id": "c1",
   "dealer_id": "D1",
   "purchase_within_days": 20, "status": "lost",
   "lost_at": "2024-06-15T10:00:00+08:00", "lost_review": "approved"},
  {"lead_id": "L3", "created_at": "2024-06-11T09:00:00+08:00", "consultant_id": "c2",
   "dealer_id": "D2",
   "purchase_within_days": 60, "status": "won", "won_at": "2024-06-25T10:00:00+08:00"},
  {"lead_id": "L4", "created_at": "2024-06-11T09:00:00+08:00", "consultant_id": "c2",
   "dealer_id": "D2",
   "status": "lost", "lost_at": "2024-06-20T10:00:00+08:00", "lost_review": "approved"},
  {"lead_id": "L5", "created_at": "2024-06-12T09:00:00+08:00", "dealer_id": "D1",
   "purchase_within_days": 10}
])";

// Shanghai local "YYYY-MM-DD HH:MM" as UTC seconds.
int64_t Local(const std::string& text) {
  std::istringstream in(text);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  return t.time_since_epoch().count() - 8 * 3600;
}

struct Touches {
  std::vector<std::string> ids = {"L1", "L2", "L3", "L5"};
  std::vector<int32_t> lead = {0, 0, 1, 2, 3};
  std::vector<int64_t> at = {Local("2024-06-10 09:30"), Local("2024-06-12 10:00"),
                             Local("2024-06-10 09:30"), Local("2024-06-11 10:30"),
                             Local("2024-06-12 09:10")};
  std::vector<std::string> methods = {"phone"};
  std::vector<int32_t> method = {0, 0, 0, 0, 0};
  std::vector<std::string> grades = {"O"};
  std::vector<int32_t> grade_after = {0, 0, 0, 0, 0};
  std::vector<uint8_t> grade_valid = {0, 1, 0, 0, 0};

  Columns columns() const {
    Columns c(static_cast<int64_t>(lead.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(lead, ids)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method, methods)), IsOk());
    EXPECT_THAT(c.Add("grade_after",
                      Column::Codes(grade_after, grades, grade_valid.data())),
                IsOk());
    return c;
  }
};

using GradeMap = std::map<std::string, std::string, std::less<>>;

const Instant kAsOf{std::chrono::seconds(Local("2024-06-30 12:00"))};

std::vector<BacktestPolicy> Policies(bool with_map) {
  std::vector<BacktestPolicy> out;
  out.push_back({.name = "current",
                 .cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"))});
  out.push_back({.name = "proposed",
                 .cadence = *Cadence::ForPolicy(*Policy::Preset("abcd"))});
  if (with_map) out[1].grade_map = GradeMap{{"O", "A"}};
  return out;
}

TEST(Backtest, HandWorkedExample) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"});
  ASSERT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const BacktestResult r = state.Finalize();
  ASSERT_EQ(r.summary.size(), 2u);

  // current (oabc): L1 O (deposit paid; its recorded grade C is not read),
  // L2 B, L3 C, L4 C, L5 A.
  const BacktestRow& current = r.summary[0];
  EXPECT_EQ(current.policy, "current");
  const KpiCounts& c = current.kpis.counts;
  EXPECT_EQ(c.leads, 5);
  EXPECT_EQ(c.won, 2);
  EXPECT_EQ(c.lost, 2);
  EXPECT_EQ(c.first_contacts_due, 5);
  EXPECT_EQ(c.first_contact_on_time, 3);  // L3 at 10:30, L4 never: late
  // L1: O 7 days -> 06-17 18:00 (met 06-12), then 06-19 18:00 (missed);
  // L2: B 7 days -> 06-17 past its loss; L3: C 14 days -> 06-25 18:00 past
  // its win at 10:00; L5: A 2 days -> 06-14 18:00 (missed).
  EXPECT_EQ(c.follow_ups_due, 3);
  EXPECT_EQ(c.follow_ups_on_time, 1);
  EXPECT_EQ(c.timely_leads, 1);  // L2
  // Tasks: c1 06-10 (L1, L2 first contacts), 06-17, 06-19; c2 06-11 (L3,
  // L4); days {06-10, 06-11, 06-17, 06-19} x 2 consultants = 8 cells
  // 2,0,1,1 / 0,2,0,0; L5's 2 tasks have no consultant.
  EXPECT_EQ(current.tasks, 6);
  EXPECT_EQ(current.consultant_days, 8);
  EXPECT_DOUBLE_EQ(current.tasks_per_consultant_day_mean, 0.75);
  EXPECT_DOUBLE_EQ(current.tasks_per_consultant_day_p90, 2);
  EXPECT_DOUBLE_EQ(current.tasks_per_consultant_day_max, 2);
  // Won L1 (O), L3 (C) against lost L2 (B), L4 (C): 1 + 1 + 0 + 0.5 of 4.
  EXPECT_DOUBLE_EQ(current.grade_auc, 0.625);
  EXPECT_DOUBLE_EQ(current.top_grade_lift, 2.0);  // O: 1 of 1; all: 2 of 4
  EXPECT_THAT(current.notes,
              ElementsAre("2 tasks of leads without consultant_id not in the "
                          "task load"));

  // proposed (abcd, O -> A): L1 A, L2 B, L3 C, L4 D, L5 A.
  const BacktestRow& proposed = r.summary[1];
  const KpiCounts& p = proposed.kpis.counts;
  EXPECT_EQ(p.leads, 5);
  EXPECT_EQ(p.first_contact_on_time, 3);
  // L1: A 3 days -> 06-13 18:00 (met), 06-15 18:00 (missed); L3: C's range
  // is due after 30 days, past its win; L5: 06-15 18:00 (missed).
  EXPECT_EQ(p.follow_ups_due, 3);
  EXPECT_EQ(p.follow_ups_on_time, 1);
  // c1 06-10 x2, 06-13, 06-15; c2 06-11 x2.
  EXPECT_EQ(proposed.tasks, 6);
  EXPECT_EQ(proposed.consultant_days, 8);
  EXPECT_DOUBLE_EQ(proposed.tasks_per_consultant_day_mean, 0.75);
  // Won L1 (A), L3 (C) against lost L2 (B), L4 (D): 1 + 1 + 0 + 1 of 4.
  EXPECT_DOUBLE_EQ(proposed.grade_auc, 0.75);
  EXPECT_DOUBLE_EQ(proposed.top_grade_lift, 2.0);

  ASSERT_EQ(r.grades.size(), 8u);
  EXPECT_EQ(r.grades[0].grade, "O");
  EXPECT_EQ(r.grades[0].outcome, (GradeOutcome{.leads = 1, .won = 1}));
  EXPECT_EQ(r.grades[3].grade, "C");
  EXPECT_EQ(r.grades[3].outcome, (GradeOutcome{.leads = 2, .won = 1, .lost = 1}));
  EXPECT_EQ(r.grades[4].policy, "proposed");
  EXPECT_EQ(r.grades[4].outcome, (GradeOutcome{.leads = 2, .won = 1}));
  EXPECT_EQ(r.grades[7].outcome, (GradeOutcome{.leads = 1, .lost = 1}));

  // (oabc, abcd): L1 (O, A), L5 (A, A), L2 (B, B), L3 (C, C), L4 (C, D).
  using Combo = std::pair<std::vector<int>, int64_t>;
  EXPECT_THAT(r.combinations,
              ElementsAre(Combo{{0, 0}, 1}, Combo{{1, 0}, 1}, Combo{{2, 1}, 1},
                          Combo{{3, 2}, 1}, Combo{{3, 3}, 1}));
}

TEST(Backtest, WithoutAMapTheGradeChangesAreLeftOutAndSaid) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"});
  ASSERT_THAT(state.Add(Policies(false), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const BacktestResult r = state.Finalize();
  // oabc has O: read as it is, no note about it.
  EXPECT_THAT(r.summary[0].notes, ElementsAre(HasSubstr("without consultant_id")));
  EXPECT_THAT(r.summary[1].notes,
              ElementsAre("1 grade changes left out: grade_after \"O\" not "
                          "among the policy's grades and no grade_map given",
                          HasSubstr("without consultant_id")));
  // L1 stays A without its change: the same follow-ups as mapped O -> A.
  EXPECT_EQ(r.summary[1].kpis.counts.follow_ups_due, 3);
}

TEST(Backtest, SplitBatchesMergeToTheWhole) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState whole({"current", "proposed"});
  ASSERT_THAT(whole.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf, {}, 2),
              IsOk());
  BacktestState first({"current", "proposed"}), second({"current", "proposed"});
  const std::vector<uint8_t> a = {1, 1, 0, 0, 1}, b = {0, 0, 1, 1, 0};
  ASSERT_THAT(first.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf, a),
              IsOk());
  ASSERT_THAT(second.Add(Policies(true), leads.columns(), touches.columns(),
                         nullptr, kAsOf, b),
              IsOk());
  ASSERT_THAT(second.Merge(first), IsOk());
  EXPECT_EQ(second, whole);
  EXPECT_DOUBLE_EQ(second.Finalize().summary[1].grade_auc, 0.75);

  BacktestState other({"current"});
  EXPECT_THAT(whole.Merge(other),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("(current) cannot merge into one of "
                                 "(current, proposed)")));
}

TEST(Backtest, APersonalFieldIsNeverAGroup) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"}, {"phone"});
  EXPECT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("by: group column \"phone\" is personal "
                                 "data, never a group")));
}

TEST(Backtest, BadGradeMapsAndPoliciesAreNamed) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  std::vector<BacktestPolicy> policies = Policies(false);
  policies[1].grade_map = GradeMap{{"O", "E"}};
  BacktestState state({"current", "proposed"});
  EXPECT_THAT(state.Add(policies, leads.columns(), touches.columns(), nullptr,
                        kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grade_map[\"proposed\"]: \"O\" maps to "
                                 "\"E\", which is not one of the policy's "
                                 "grades (A, B, C, D)")));
  policies[1].grade_map = GradeMap{{"A", "A"}};
  EXPECT_THAT(state.Add(policies, leads.columns(), touches.columns(), nullptr,
                        kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches.grade_after: lead_id='L1' (row 1) has "
                                 "\"O\", which grade_map[\"proposed\"] has "
                                 "no entry for")));
  BacktestState renamed({"current", "other"});
  EXPECT_THAT(renamed.Add(Policies(true), leads.columns(), touches.columns(),
                          nullptr, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the state holds (current, other), not "
                                 "(current, proposed)")));
  BacktestState none({});
  EXPECT_THAT(none.Add({}, leads.columns(), touches.columns(), nullptr, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policies: none given")));
  // Nothing was added by the failing calls.
  EXPECT_EQ(state, BacktestState({"current", "proposed"}));
}

TEST(Backtest, NoLeadInScope) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  const std::vector<uint8_t> none(5, 0);
  BacktestState state({"current", "proposed"});
  ASSERT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf, none),
              IsOk());
  const BacktestResult r = state.Finalize();
  EXPECT_EQ(r.summary[0].kpis.counts.leads, 0);
  EXPECT_TRUE(std::isnan(r.summary[0].grade_auc));
  EXPECT_TRUE(std::isnan(r.summary[0].tasks_per_consultant_day_mean));
  EXPECT_THAT(r.combinations, IsEmpty());
}

// docs/backtest.md, by dealer_id, worked by hand from the example's leads.
TEST(Backtest, ByDealer) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"}, {"dealer_id"});
  ASSERT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const BacktestResult r = state.Finalize();
  ASSERT_EQ(r.summary.size(), 4u);
  using Key = std::vector<std::optional<std::string>>;
  EXPECT_EQ(r.summary[0].kpis.key, Key{"D1"});
  EXPECT_EQ(r.summary[0].policy, "current");
  EXPECT_EQ(r.summary[1].kpis.key, Key{"D1"});
  EXPECT_EQ(r.summary[1].policy, "proposed");
  EXPECT_EQ(r.summary[2].kpis.key, Key{"D2"});
  EXPECT_EQ(r.summary[3].policy, "proposed");
  // D1 (L1 won, L2 lost, L5 open): all three touched within the hour; the
  // follow-ups are L1's two and L5's one, L1's first met; L2 timely.
  for (const int i : {0, 1}) {
    const BacktestRow& row = r.summary[i];
    const KpiCounts& c = row.kpis.counts;
    EXPECT_EQ(c.leads, 3);
    EXPECT_EQ(c.won, 1);
    EXPECT_EQ(c.lost, 1);
    EXPECT_EQ(c.first_contact_on_time, 3);
    EXPECT_EQ(c.follow_ups_due, 3);
    EXPECT_EQ(c.follow_ups_on_time, 1);
    EXPECT_EQ(c.timely_leads, 1);
    // c1: 2 first contacts on 06-10 and a follow-up on each of two days
    // (06-17, 06-19 under oabc; 06-13, 06-15 under abcd): 1 x 3 days, 4
    // tasks; sorted 1 1 2, the p90 the 3rd.
    EXPECT_EQ(row.tasks, 4);
    EXPECT_EQ(row.consultant_days, 3);
    EXPECT_DOUBLE_EQ(row.tasks_per_consultant_day_mean, 4.0 / 3);
    EXPECT_DOUBLE_EQ(row.tasks_per_consultant_day_p90, 2);
    // L1 (O / A) won above L2 (B) lost: 1 of 1 pair; the top grade
    // converted 1 of 1 against 1 of 2.
    EXPECT_DOUBLE_EQ(row.grade_auc, 1.0);
    EXPECT_DOUBLE_EQ(row.top_grade_lift, 2.0);
    EXPECT_THAT(row.notes, ElementsAre("2 tasks of leads without "
                                       "consultant_id not in the task load"));
  }
  // D2 (L3 won, touched late; L4 lost, never touched): c2's 2 first contacts
  // on 06-11.
  for (const int i : {2, 3}) {
    const BacktestRow& row = r.summary[i];
    const KpiCounts& c = row.kpis.counts;
    EXPECT_EQ(c.leads, 2);
    EXPECT_EQ(c.won, 1);
    EXPECT_EQ(c.lost, 1);
    EXPECT_EQ(c.first_contact_on_time, 0);
    EXPECT_EQ(c.follow_ups_due, 0);
    EXPECT_EQ(c.timely_leads, 0);
    EXPECT_EQ(row.tasks, 2);
    EXPECT_EQ(row.consultant_days, 1);
    EXPECT_DOUBLE_EQ(row.tasks_per_consultant_day_max, 2);
    // No lead of the top grade here.
    EXPECT_TRUE(std::isnan(row.top_grade_lift));
    EXPECT_THAT(row.notes, IsEmpty());
  }
  // L3 (C) won ties L4 (C) lost under oabc; above L4 (D) under abcd.
  EXPECT_DOUBLE_EQ(r.summary[2].grade_auc, 0.5);
  EXPECT_DOUBLE_EQ(r.summary[3].grade_auc, 1.0);
  // Conversion by grade and the combinations are over every lead, as without
  // groups.
  BacktestState whole({"current", "proposed"});
  ASSERT_THAT(whole.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const BacktestResult all = whole.Finalize();
  ASSERT_EQ(r.grades.size(), all.grades.size());
  for (size_t g = 0; g < all.grades.size(); ++g) {
    EXPECT_EQ(r.grades[g].outcome, all.grades[g].outcome);
  }
  EXPECT_EQ(r.combinations, all.combinations);
}

TEST(Backtest, ByGradeIsEachPolicysOwnGrade) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"}, {"grade"});
  ASSERT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const BacktestResult r = state.Finalize();
  // Keys A, B, C (both policies), D (abcd only), O (oabc only); current's
  // rows first within a key. oabc: O L1, A L5, B L2, C L3 L4; abcd: A L1 L5,
  // B L2, C L3, D L4.
  std::vector<std::string> seen;
  for (const BacktestRow& row : r.summary) {
    seen.push_back(absl::StrCat(*row.kpis.key[0], ":", row.policy, ":",
                                row.kpis.counts.leads));
  }
  EXPECT_THAT(seen, ElementsAre("A:current:1", "A:proposed:2", "B:current:1",
                                "B:proposed:1", "C:current:2", "C:proposed:1",
                                "D:proposed:1", "O:current:1"));
}

TEST(Backtest, GroupedStatesMergeAndRoundTrip) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState whole({"current", "proposed"}, {"dealer_id", "month"});
  ASSERT_THAT(whole.Add(Policies(false), leads.columns(), touches.columns(),
                        nullptr, kAsOf, {}, 2),
              IsOk());
  BacktestState first({"current", "proposed"}, {"dealer_id", "month"});
  BacktestState second = first;
  const std::vector<uint8_t> a = {0, 1, 1, 0, 1}, b = {1, 0, 0, 1, 0};
  ASSERT_THAT(first.Add(Policies(false), leads.columns(), touches.columns(),
                        nullptr, kAsOf, a),
              IsOk());
  ASSERT_THAT(second.Add(Policies(false), leads.columns(), touches.columns(),
                         nullptr, kAsOf, b),
              IsOk());
  ASSERT_THAT(second.Merge(first), IsOk());
  EXPECT_EQ(second, whole);

  const std::string bytes = whole.Serialize();
  EXPECT_EQ(bytes.substr(0, 6), "LKBKT1");
  absl::StatusOr<BacktestState> back = BacktestState::Deserialize(bytes);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, whole);
  EXPECT_EQ(back->Serialize(), bytes);
  EXPECT_EQ(back->Finalize().summary.size(), whole.Finalize().summary.size());
  // A state no batch was added to round-trips too.
  const BacktestState empty({"current"}, {"channel"});
  EXPECT_EQ(*BacktestState::Deserialize(empty.Serialize()), empty);

  BacktestState other_by({"current", "proposed"}, {"dealer_id"});
  ASSERT_THAT(other_by.Add(Policies(false), leads.columns(), touches.columns(),
                           nullptr, kAsOf),
              IsOk());
  EXPECT_THAT(whole.Merge(other_by),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("grouped by (dealer_id) cannot merge into one "
                                 "grouped by (dealer_id, month)")));
}

TEST(Backtest, BadBytesAreInvalidArgument) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"}, {"dealer_id"});
  ASSERT_THAT(state.Add(Policies(false), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              IsOk());
  const std::string bytes = state.Serialize();
  EXPECT_THAT(BacktestState::Deserialize("LKKPI3" + bytes.substr(6)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("backtest state bytes")));
  EXPECT_THAT(BacktestState::Deserialize(""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("backtest state bytes")));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_THAT(BacktestState::Deserialize(bytes.substr(0, cut)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("backtest state bytes")))
        << cut;
  }
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    EXPECT_THAT(BacktestState::Deserialize(flipped),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("backtest state bytes")))
        << at;
  }
  EXPECT_THAT(BacktestState::Deserialize(bytes + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("backtest state bytes")));
}

TEST(Backtest, AGroupColumnHoldsStrings) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches touches;
  BacktestState state({"current", "proposed"}, {"created_at"});
  EXPECT_THAT(state.Add(Policies(true), leads.columns(), touches.columns(),
                        nullptr, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.created_at: a group key column holds "
                                 "strings")));
}

// GradeAuc against every won-lost pair counted one by one.
TEST(Backtest, GradeAucIsTheShareOfPairsRankedRight) {
  const std::vector<GradeOutcome> grades = {
      {.won = 2, .lost = 1}, {.won = 0, .lost = 0}, {.won = 1, .lost = 2}};
  std::vector<int> won, lost;  // the grade of each won and each lost lead
  for (int g = 0; g < 3; ++g) {
    for (int i = 0; i < grades[g].won; ++i) won.push_back(g);
    for (int i = 0; i < grades[g].lost; ++i) lost.push_back(g);
  }
  double score = 0;
  for (int w : won) {
    for (int l : lost) score += w < l ? 1.0 : w == l ? 0.5 : 0.0;
  }
  EXPECT_DOUBLE_EQ(GradeAuc(grades), score / 9);
  EXPECT_DOUBLE_EQ(GradeAuc(grades), 6.0 / 9);  // (4 + 4 / 2) / 9
  EXPECT_TRUE(std::isnan(GradeAuc(std::vector<GradeOutcome>{{.won = 3}})));
}

}  // namespace
}  // namespace leadkit
