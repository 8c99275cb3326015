// Point scoring and why-not traces.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/classify.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::testing::ElementsAre;

// Two rules, then scoring as the fallback.
constexpr char kMixed[] = R"({
  "grades": ["A", "B", "C"],
  "rules": [
    {"id": "deposit", "when": [{"field": "deposit_paid", "op": "==", "value": true}], "grade": "A"},
    {"id": "hot", "when": [{"field": "model", "op": "not_null"},
                           {"any_of": [{"field": "asked_price", "op": "==", "value": true},
                                       {"field": "asked_config", "op": "==", "value": true}]},
                           {"field": "purchase_within_days", "op": "<=", "value": 30}],
     "grade": "A"}
  ],
  "scoring": {
    "id": "score",
    "points": [
      {"id": "price", "when": [{"field": "asked_price", "op": "==", "value": true}], "points": 30},
      {"id": "drive", "when": [{"field": "test_drive", "op": "==", "value": true}], "points": 40},
      {"id": "soon", "when": [{"field": "purchase_within_days", "op": "<=", "value": 90}], "points": 20}
    ],
    "bands": [{"max": 30, "grade": "C"}, {"min": 60, "grade": "A"}, {"min": 30, "max": 60, "grade": "B"}]
  },
  "cadence": {"follow_up_days": {"A": 3, "B": 7, "C": 14}}
})";

Policy Mixed() {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(kMixed);
  EXPECT_THAT(load, IsOk());
  for (const Issue& i : load->issues()) ADD_FAILURE() << FormatIssue(i);
  return *load->policy();
}

Explanation ExplainJson(const Policy& policy, const std::string& lead) {
  absl::StatusOr<LeadTable> table = LeadTable::FromJson("[" + lead + "]");
  EXPECT_THAT(table, IsOk());
  absl::StatusOr<Explanation> e = Explain(policy, table->columns());
  EXPECT_THAT(e, IsOk());
  return *e;
}

std::string Line(const TraceEntry& t) {
  std::string out = t.rule + (t.fired ? " fired: " : " failed: ") +
                    t.condition + " [" + t.value + "]";
  if (t.points) out += " " + std::to_string(static_cast<int>(*t.points));
  return out;
}

std::vector<std::string> Lines(const Explanation& e) {
  std::vector<std::string> out;
  for (const TraceEntry& t : e.trace) out.push_back(Line(t));
  return out;
}

TEST(Explain, TheRuleThatFiredEndsTheTrace) {
  const Explanation e = ExplainJson(Mixed(), R"({"deposit_paid": true})");
  EXPECT_EQ(e.grade_name, "A");
  EXPECT_EQ(e.rule_id, "deposit");
  EXPECT_THAT(Lines(e),
              ElementsAre("deposit fired: deposit_paid == true [true]"));
  EXPECT_FALSE(e.score.has_value());
}

TEST(Explain, WhyNotTracesNameTheFirstFailedConditionAndTheValue) {
  struct Case {
    const char* lead;
    std::vector<std::string> trace_start;  // the entries of the two rules
  };
  const std::vector<Case> cases = {
      {R"({"model": "C200", "asked_price": true, "purchase_within_days": 60})",
       {"deposit failed: deposit_paid == true [null]",
        "hot failed: purchase_within_days <= 30 [60]"}},
      {R"({"asked_price": true, "purchase_within_days": 10, "deposit_paid": false})",
       {"deposit failed: deposit_paid == true [false]",
        "hot failed: model not_null [null]"}},
      {R"({"model": "GLC", "asked_price": false, "purchase_within_days": 10})",
       {"deposit failed: deposit_paid == true [null]",
        "hot failed: any_of(asked_price == true, asked_config == true) "
        "[asked_price: false, asked_config: null]"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.lead);
    const Explanation e = ExplainJson(Mixed(), c.lead);
    const std::vector<std::string> lines = Lines(e);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 2),
              c.trace_start);
    EXPECT_EQ(e.rule_id, "score");
  }
}

TEST(Explain, ScoringTracesEveryItemWithItsPoints) {
  // 30 (price) + 0 (no test drive) + 20 (within 90 days) = 50: the band [30,
  // 60) of grade B.
  const Explanation e = ExplainJson(
      Mixed(),
      R"({"model": "C200", "asked_price": true, "purchase_within_days": 60})");
  EXPECT_EQ(e.grade_name, "B");
  EXPECT_EQ(e.rule_id, "score");
  EXPECT_EQ(e.rule, 2);
  ASSERT_TRUE(e.score.has_value());
  EXPECT_EQ(*e.score, 50);
  EXPECT_THAT(Lines(e),
              ElementsAre("deposit failed: deposit_paid == true [null]",
                          "hot failed: purchase_within_days <= 30 [60]",
                          "price fired: asked_price == true [true] 30",
                          "drive failed: test_drive == true [null] 0",
                          "soon fired: purchase_within_days <= 90 [60] 20"));
  EXPECT_THAT(e.reasons,
              ElementsAre("price: asked_price == true (+30)",
                          "soon: purchase_within_days <= 90 (+20)",
                          "total 50 is in the band [30, 60) of grade B"));
}

TEST(Explain, BandEdgesAreHalfOpen) {
  // 30 + 40 = 70 -> A; 30 alone -> B (30 is in [30, 60)); nothing -> C.
  EXPECT_EQ(ExplainJson(Mixed(), R"({"asked_price": true, "test_drive": true})")
                .grade_name,
            "A");
  EXPECT_EQ(ExplainJson(Mixed(), R"({"asked_price": true})").grade_name, "B");
  EXPECT_EQ(ExplainJson(Mixed(), R"({})").grade_name, "C");
  EXPECT_EQ(ExplainJson(Mixed(),
                        R"({"test_drive": true, "purchase_within_days": 100})")
                .grade_name,
            "B");  // 40
}

// Regression: the trace printed `phone == "138****0000" ["138****0000"]` as
// failed for "+86 138-0000-0000" against "13800000000". Personal fields compare
// normalised; both sides are shown normalised and masked, and no personal value
// appears unmasked anywhere in the explanation.
TEST(Explain, PersonalFieldsCompareNormalised) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(R"({
    "grades": ["A", "B", "C"],
    "rules": [
      {"id": "vip", "when": [{"field": "phone", "op": "==", "value": "13800000000"}], "grade": "A"},
      {"id": "mail", "when": [{"field": "email", "op": "==", "value": "LI.LEI@example.com "},
                              {"field": "name", "op": "not_null"}], "grade": "B"},
      {"id": "default", "grade": "C"}],
    "cadence": {"follow_up_days": {"A": 1, "B": 2, "C": 3}}})");
  ASSERT_THAT(load, IsOk());
  const Policy policy = *load->policy();
  struct Case {
    const char* lead;
    std::vector<std::string> trace;
    std::vector<std::string> reasons;
  };
  const std::vector<Case> cases = {
      {R"({"phone": "+86 138-0000-0000"})",
       {R"(vip fired: phone == "138****0000" ["138****0000"])"},
       {R"(phone == "138****0000" (value: "138****0000"))"}},
      {R"({"phone": "0086 13800000000", "email": "x@example.com"})",
       {R"(vip fired: phone == "138****0000" ["138****0000"])"},
       {R"(phone == "138****0000" (value: "138****0000"))"}},
      {R"({"phone": "+86 139-0000-0000", "email": " Li.Lei@Example.COM",
           "name": " 王小明 "})",
       {R"(vip failed: phone == "138****0000" ["139****0000"])",
        R"(mail fired: all_of(email == "l***@example.com", name not_null) )"
        R"([email: "l***@example.com", name: "王**"])"},
       {R"(email == "l***@example.com" (value: "l***@example.com"))",
        R"(name not_null (value: "王**"))"}},
      {R"({"phone": "13900000000", "email": "li.lei@example.org"})",
       {R"(vip failed: phone == "138****0000" ["139****0000"])",
        R"(mail failed: email == "l***@example.com" ["l***@example.org"])",
        "default fired:  []"},
       {"no earlier rule held; this rule has no conditions"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.lead);
    const Explanation e = ExplainJson(policy, c.lead);
    EXPECT_EQ(Lines(e), c.trace);
    EXPECT_EQ(e.reasons, c.reasons);
    for (const std::string& text : Lines(e)) {
      for (const char* raw : {"13800000000", "13900000000", "Li.Lei",
                              "li.lei", "王小明"}) {
        EXPECT_EQ(text.find(raw), std::string::npos) << text;
      }
    }
  }
}

TEST(ClassifyBatch, ScoringRowsAgreeWithExplain) {
  const Policy policy = Mixed();
  const std::string leads = R"([
    {"deposit_paid": true}, {"asked_price": true, "test_drive": true},
    {"model": "C200", "asked_price": true, "purchase_within_days": 60}, {},
    {"model": "C200", "asked_config": true, "purchase_within_days": 5}])";
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(leads);
  ASSERT_THAT(table, IsOk());
  std::vector<int32_t> grades(5), rules(5);
  ASSERT_THAT(ClassifyBatch(policy, table->columns(), grades, rules), IsOk());
  EXPECT_THAT(rules, ElementsAre(0, 2, 2, 2, 1));
  EXPECT_THAT(grades, ElementsAre(0, 0, 1, 2, 0));
  for (int64_t row = 0; row < 5; ++row) {
    absl::StatusOr<Explanation> e = Explain(policy, table->columns(), row);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->grade, grades[static_cast<size_t>(row)]);
    EXPECT_EQ(e->rule, rules[static_cast<size_t>(row)]);
  }
  EXPECT_THAT(policy.rule_ids(), ElementsAre("deposit", "hot", "score"));
}

}  // namespace
}  // namespace leadkit
