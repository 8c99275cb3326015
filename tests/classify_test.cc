#include "leadkit/classify.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Policy MustLoad(const std::string& text) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = load->policy();
  EXPECT_THAT(policy, IsOk());
  return *policy;
}

// A policy whose first rule is `condition` (grade "yes"), then the default
// (grade "no").
Policy OneCondition(const std::string& condition) {
  return MustLoad(absl::StrCat(
      R"({"grades": ["yes", "no"], "rules": [{"id": "r", "when": [)", condition,
      R"(], "grade": "yes"}, {"id": "default", "grade": "no"}],
          "cadence": {"follow_up_days": {"yes": 1, "no": 2}}})"));
}

std::string GradeOf(const Policy& policy, const LeadRecord& lead) {
  absl::StatusOr<Classification> c = Classify(policy, lead.AsColumns());
  EXPECT_THAT(c, IsOk());
  return c.ok() ? c->grade_name : "error";
}

struct OperatorCase {
  std::string condition;
  LeadRecord lead;
  std::string grade;
};

TEST(Classify, OperatorsAndNulls) {
  const std::string days = R"("field": "purchase_within_days")";
  const auto with_days = [](double d) {
    return LeadRecord().SetNumber("purchase_within_days", d);
  };
  const std::vector<OperatorCase> cases = {
      {absl::StrCat("{", days, R"(, "op": "<=", "value": 30})"), with_days(30),
       "yes"},
      {absl::StrCat("{", days, R"(, "op": "<=", "value": 30})"), with_days(31),
       "no"},
      {absl::StrCat("{", days, R"(, "op": "<", "value": 30})"), with_days(30),
       "no"},
      {absl::StrCat("{", days, R"(, "op": ">", "value": 30})"), with_days(31),
       "yes"},
      {absl::StrCat("{", days, R"(, "op": ">=", "value": 30})"), with_days(30),
       "yes"},
      {absl::StrCat("{", days, R"(, "op": "==", "value": 30})"), with_days(30),
       "yes"},
      {absl::StrCat("{", days, R"(, "op": "!=", "value": 30})"), with_days(29),
       "yes"},
      {absl::StrCat("{", days, R"(, "op": "in", "value": [1, 2, 3]})"),
       with_days(2), "yes"},
      {absl::StrCat("{", days, R"(, "op": "in", "value": [1, 2, 3]})"),
       with_days(4), "no"},
      // A comparison with a null value is false, != included.
      {absl::StrCat("{", days, R"(, "op": "!=", "value": 30})"), LeadRecord(),
       "no"},
      {absl::StrCat("{", days, R"(, "op": "<=", "value": 30})"), with_days(NAN),
       "no"},
      {absl::StrCat("{", days, R"(, "op": "!=", "value": 30})"), with_days(NAN),
       "no"},
      {absl::StrCat("{", days, R"(, "op": "is_null"})"), LeadRecord(), "yes"},
      {absl::StrCat("{", days, R"(, "op": "is_null"})"), with_days(NAN), "yes"},
      {absl::StrCat("{", days, R"(, "op": "not_null"})"), with_days(0), "yes"},
      {R"({"field": "channel", "op": "==", "value": "phone"})",
       LeadRecord().SetString("channel", "phone"), "yes"},
      {R"({"field": "channel", "op": "!=", "value": "phone"})",
       LeadRecord().SetString("channel", "website"), "yes"},
      {R"({"field": "channel", "op": "!=", "value": "phone"})",
       LeadRecord().SetString("channel", "phone"), "no"},
      {R"({"field": "channel", "op": "!=", "value": "phone"})", LeadRecord(),
       "no"},
      {R"({"field": "channel", "op": "in", "value": ["social", "website"]})",
       LeadRecord().SetString("channel", "website"), "yes"},
      {R"({"field": "test_drive", "op": "==", "value": true})",
       LeadRecord().SetBool("test_drive", true), "yes"},
      {R"({"field": "test_drive", "op": "==", "value": false})",
       LeadRecord().SetBool("test_drive", false), "yes"},
      {R"({"field": "test_drive", "op": "==", "value": false})", LeadRecord(),
       "no"},
      {R"({"field": "created_at", "op": "not_null"})",
       LeadRecord().SetInstant("created_at", 1700000000), "yes"},
      {R"({"any_of": [{"field": "test_drive", "op": "==", "value": true},
                      {"field": "budget", "op": ">", "value": 1}]})",
       LeadRecord().SetNumber("budget", 2), "yes"},
      {R"({"all_of": [{"field": "test_drive", "op": "==", "value": true},
                      {"field": "budget", "op": ">", "value": 1}]})",
       LeadRecord().SetNumber("budget", 2), "no"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i, ": ", cases[i].condition));
    EXPECT_EQ(GradeOf(OneCondition(cases[i].condition), cases[i].lead),
              cases[i].grade);
  }
}

TEST(Classify, ExplainsWithTheConditionsThatFired) {
  absl::StatusOr<Policy> policy = Policy::Preset("three_level");
  ASSERT_THAT(policy, IsOk());
  LeadRecord lead;
  lead.SetString("model", "C200")
      .SetBool("asked_price", true)
      .SetBool("asked_config", false)
      .SetNumber("purchase_within_days", 30);
  absl::StatusOr<Classification> c = Classify(*policy, lead.AsColumns());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->grade_name, "high");
  EXPECT_EQ(c->rule_id, "high");
  EXPECT_EQ(c->grade, 0);
  EXPECT_EQ(c->rule, 0);
  // Of the any_of, only the member that held is a reason.
  EXPECT_THAT(c->reasons,
              ElementsAre("model not_null (value: \"C200\")",
                          "asked_price == true (value: true)",
                          "purchase_within_days <= 90 (value: 30)"));
}

TEST(Classify, DefaultRuleSaysNoEarlierRuleHeld) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  absl::StatusOr<Classification> c =
      Classify(*policy, LeadRecord().AsColumns());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->grade_name, "D");
  EXPECT_EQ(c->rule_id, "default");
  EXPECT_THAT(c->reasons, ElementsAre(HasSubstr("no earlier rule held")));
}

TEST(Classify, MasksPersonalDataInReasons) {
  Policy policy =
      OneCondition(R"({"field": "phone", "op": "==", "value": "13800138000"})");
  absl::StatusOr<Classification> c = Classify(
      policy, LeadRecord().SetString("phone", "13800138000").AsColumns());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->grade_name, "yes");
  ASSERT_EQ(c->reasons.size(), 1u);
  EXPECT_EQ(c->reasons[0], "phone == \"138****8000\" (value: \"138****8000\")");
}

TEST(Classify, MasksPersonalDataHeldAsNumbers) {
  Policy policy = OneCondition(R"({"field": "phone", "op": "not_null"})");
  absl::StatusOr<Classification> c = Classify(
      policy, LeadRecord().SetNumber("phone", 13800138000).AsColumns());
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->reasons.size(), 1u);
  EXPECT_EQ(c->reasons[0], "phone not_null (value: \"138****8000\")");
}

// Regression: `phone == "13800000000"` did not hold for a lead whose phone was
// "+86 138-0000-0000", while the reason printed both sides alike. Personal
// fields compare normalised (docs/policy.md#personal-fields).
TEST(Classify, PersonalFieldsCompareNormalised) {
  const auto lead = [](const char* field, const char* value) {
    return LeadRecord().SetString(field, value);
  };
  const std::vector<OperatorCase> cases = {
      // Phone: +86 / 0086 and separators go, on either side.
      {R"({"field": "phone", "op": "==", "value": "13800000000"})",
       lead("phone", "+86 138-0000-0000"), "yes"},
      {R"({"field": "phone", "op": "==", "value": "+86 138 0000 0000"})",
       lead("phone", "13800000000"), "yes"},
      {R"({"field": "phone", "op": "==", "value": "13800000000"})",
       lead("phone", "0086 13800000000"), "yes"},
      {R"({"field": "phone", "op": "==", "value": "13800000000"})",
       lead("phone", " (138) 0000.0000 "), "yes"},
      // Another number stays another number.
      {R"({"field": "phone", "op": "==", "value": "13800000000"})",
       lead("phone", "+86 138-0000-0001"), "no"},
      {R"({"field": "phone", "op": "!=", "value": "13800000000"})",
       lead("phone", "+86 138-0000-0000"), "no"},
      {R"({"field": "phone", "op": "!=", "value": "13800000000"})",
       lead("phone", "139 0000 0000"), "yes"},
      {R"({"field": "phone", "op": "in", "value": ["13900000000", "+86 13800000000"]})",
       lead("phone", "138-0000-0000"), "yes"},
      {R"({"field": "phone", "op": "in", "value": ["13900000000", "+86 13800000000"]})",
       lead("phone", "13700000000"), "no"},
      // Text that is not a phone number is compared trimmed: it never equals a
      // number, even one whose digits it holds.
      {R"({"field": "phone", "op": "==", "value": "13800000000"})",
       lead("phone", "call 13800000000"), "no"},
      {R"({"field": "phone", "op": "==", "value": "unknown"})",
       lead("phone", " unknown "), "yes"},
      // E-mail: trimmed, case-insensitive.
      {R"({"field": "email", "op": "==", "value": "li.lei@example.com"})",
       lead("email", " Li.Lei@Example.COM "), "yes"},
      {R"({"field": "email", "op": "==", "value": "LI.LEI@example.com"})",
       lead("email", "li.lei@example.com"), "yes"},
      {R"({"field": "email", "op": "==", "value": "li.lei@example.com"})",
       lead("email", "li.lei@example.org"), "no"},
      // WeChat ids and names: trimmed only; case is kept.
      {R"({"field": "wechat", "op": "==", "value": "wxid_abc"})",
       lead("wechat", "\twxid_abc "), "yes"},
      {R"({"field": "wechat", "op": "==", "value": "wxid_abc"})",
       lead("wechat", "WXID_ABC"), "no"},
      {R"({"field": "name", "op": "in", "value": ["王小明 "]})",
       lead("name", " 王小明"), "yes"},
      // Fields that are not personal compare as written.
      {R"({"field": "channel", "op": "==", "value": "phone"})",
       lead("channel", " phone"), "no"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i, ": ", cases[i].condition));
    EXPECT_EQ(GradeOf(OneCondition(cases[i].condition), cases[i].lead),
              cases[i].grade);
  }
}

TEST(Classify, PersonalFieldsCompareNormalisedWithMaskedReasons) {
  Policy policy =
      OneCondition(R"({"field": "phone", "op": "==", "value": "13800000000"})");
  absl::StatusOr<Classification> c = Classify(
      policy, LeadRecord().SetString("phone", "+86 138-0000-0000").AsColumns());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->grade_name, "yes");
  EXPECT_THAT(c->reasons,
              ElementsAre("phone == \"138****0000\" (value: \"138****0000\")"));

  policy = OneCondition(
      R"({"field": "email", "op": "==", "value": "LI.LEI@EXAMPLE.COM"})");
  c = Classify(
      policy,
      LeadRecord().SetString("email", "  Li.Lei@Example.com").AsColumns());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->grade_name, "yes");
  EXPECT_THAT(c->reasons, ElementsAre("email == \"l***@example.com\" "
                                      "(value: \"l***@example.com\")"));
}

// A phone held as numbers cannot be compared with text; the error names the
// column and shows the rule's literal masked.
TEST(Classify, PersonalFieldsCompareNormalisedErrorsAreMasked) {
  Policy policy = OneCondition(
      R"({"field": "phone", "op": "==", "value": "+86 138-0000-0000"})");
  absl::StatusOr<Classification> c = Classify(
      policy, LeadRecord().SetNumber("phone", 13800000000).AsColumns());
  EXPECT_THAT(c,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.phone: the policy reads it as a string "
                                 "field (phone == \"138****0000\")")));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("13800000000")));
}

// The batch path normalises each dictionary entry once and agrees with the
// single-lead path row by row; a column read by several conditions, and codes
// repeated across rows, included.
TEST(ClassifyBatch, PersonalFieldsCompareNormalised) {
  const Policy policy = MustLoad(R"({
    "grades": ["vip", "mail", "other"],
    "rules": [
      {"id": "vip", "when": [{"any_of": [
          {"field": "phone", "op": "==", "value": "+86 138 0000 0000"},
          {"field": "phone", "op": "in", "value": ["13900000000"]}]}],
       "grade": "vip"},
      {"id": "mail", "when": [{"field": "email", "op": "==", "value": "vip@example.com"},
                              {"field": "phone", "op": "!=", "value": "13700000000"}],
       "grade": "mail"},
      {"id": "default", "grade": "other"}],
    "cadence": {"follow_up_days": {"vip": 1, "mail": 2, "other": 3}}})");
  const std::vector<std::string> phones = {
      "13800000000", "+86 138-0000-0000", "0086 139 0000 0000", "13700000000",
      "15000000000"};
  const std::vector<std::string> emails = {" VIP@Example.com", "x@example.com"};
  // Row i: phone code, email code (-1 = null), expected rule.
  struct Row {
    int32_t phone;
    int32_t email;
    const char* rule;
  };
  const std::vector<Row> rows = {
      {0, -1, "vip"},     {1, 1, "vip"},      {2, -1, "vip"},
      {3, 0, "default"},  {4, 0, "mail"},     {-1, 0, "default"},
      {1, 0, "vip"},      {4, 1, "default"},  {3, -1, "default"},
  };
  std::vector<int32_t> phone_codes, email_codes;
  for (const Row& r : rows) {
    phone_codes.push_back(r.phone);
    email_codes.push_back(r.email);
  }
  const auto n = static_cast<int64_t>(rows.size());
  Columns leads(n);
  ASSERT_THAT(leads.Add("phone", Column::Codes(phone_codes, phones)), IsOk());
  ASSERT_THAT(leads.Add("email", Column::Codes(email_codes, emails)), IsOk());
  std::vector<int32_t> grades(rows.size()), rules(rows.size());
  ASSERT_THAT(ClassifyBatch(policy, leads, grades, rules), IsOk());
  for (int64_t i = 0; i < n; ++i) {
    SCOPED_TRACE(absl::StrCat("row ", i));
    const auto k = static_cast<size_t>(i);
    EXPECT_EQ(policy.rule_ids()[static_cast<size_t>(rules[k])], rows[k].rule);
    absl::StatusOr<Classification> one = Classify(policy, leads, i);
    ASSERT_THAT(one, IsOk());
    EXPECT_EQ(one->rule, rules[k]);
    EXPECT_EQ(one->grade, grades[k]);
  }
}

TEST(Classify, NumberFieldsDoNotReadBooleanColumns) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(
      Classify(*policy,
               LeadRecord().SetBool("purchase_within_days", true).AsColumns()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("the column holds bool")));
}

TEST(Classify, RejectsAColumnOfTheWrongType) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  std::vector<int32_t> codes = {0};
  std::vector<std::string> dictionary = {"soon"};
  Columns leads(1);
  ASSERT_THAT(
      leads.Add("purchase_within_days", Column::Codes(codes, dictionary)),
      IsOk());
  std::vector<int32_t> grades(1), rules(1);
  EXPECT_THAT(
      ClassifyBatch(*policy, leads, grades, rules),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("leads.purchase_within_days: the policy reads it as a "
                         "number field")));
}

TEST(Classify, RowOutsideTheTableIsOutOfRange) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(Classify(*policy, Columns(2), 2),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("row 2")));
}

TEST(ClassifyBatch, OutputSpansMustFitTheTable) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  std::vector<int32_t> grades(1), rules(2);
  EXPECT_THAT(
      ClassifyBatch(*policy, Columns(2), grades, rules),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 rows")));
}

// Many rows across several blocks, with int64, bool and validity storage: the
// batch path gives what the rules say row by row, computed here independently
// of the evaluator.
TEST(ClassifyBatch, AgreesWithTheRulesAcrossBlocksAndStorageTypes) {
  absl::StatusOr<Policy> policy = Policy::Preset("abcd");
  ASSERT_THAT(policy, IsOk());
  const size_t n = 5000;
  std::mt19937 rng(7);
  std::vector<int64_t> days(n);
  std::vector<uint8_t> days_valid(n), test_drive(n), asked_price(n),
      price_valid(n);
  for (size_t i = 0; i < n; ++i) {
    days[i] = static_cast<int64_t>(rng() % 120);
    days_valid[i] = rng() % 5 != 0;
    test_drive[i] = rng() % 2;
    asked_price[i] = rng() % 2;
    price_valid[i] = rng() % 4 != 0;
  }
  Columns leads(static_cast<int64_t>(n));
  ASSERT_THAT(leads.Add("purchase_within_days",
                        Column::Int64s(days, days_valid.data())),
              IsOk());
  ASSERT_THAT(leads.Add("test_drive", Column::Bools(test_drive)), IsOk());
  ASSERT_THAT(
      leads.Add("asked_price", Column::Bools(asked_price, price_valid.data())),
      IsOk());
  std::vector<int32_t> grades(n), rules(n);
  ASSERT_THAT(ClassifyBatch(*policy, leads, grades, rules), IsOk());
  for (size_t i = 0; i < n; ++i) {
    const bool has_days = days_valid[i] != 0;
    const bool td_and_price = test_drive[i] && price_valid[i] && asked_price[i];
    std::string want = "D";
    if ((has_days && days[i] <= 15) || td_and_price) {
      want = "A";
    } else if (has_days && days[i] <= 30) {
      want = "B";
    } else if (has_days && days[i] <= 90) {
      want = "C";
    }
    ASSERT_EQ(policy->grades()[static_cast<size_t>(grades[i])], want)
        << "row " << i;
    ASSERT_EQ(policy->rules()[static_cast<size_t>(rules[i])].id,
              want == "D" ? "default" : want);
  }
}

}  // namespace
}  // namespace leadkit
