// Warnings about rules that can never fire.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/policy.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;

// A policy with grades a, b whose rules are `rules` (JSON array items) plus a
// default.
std::vector<Issue> WarningsFor(const std::string& rules) {
  const std::string text = absl::StrCat(
      R"({"grades": ["a", "b"], "rules": [)", rules,
      R"(, {"id": "default", "grade": "b"}], "cadence": {"follow_up_days": {"a": 1, "b": 2}}})");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  std::vector<Issue> out;
  for (const Issue& i : load->issues()) {
    EXPECT_EQ(i.severity, Severity::kWarning) << FormatIssue(i);
    out.push_back(i);
  }
  return out;
}

struct Case {
  const char* name;
  std::string rules;
  std::string path;  // "" = no warning expected
  std::string rule;
  std::string message;  // substring
};

TEST(CheckReachability, FindsRulesThatCanNeverFire) {
  const std::vector<Case> cases = {
      {"after a rule without conditions",
       R"({"id": "all", "grade": "a"},
          {"id": "late", "when": [{"field": "test_drive", "op": "==", "value": true}], "grade": "a"})",
       "/rules/1", "late", "rule \"all\" before it has no conditions"},
      {"an earlier rule's conditions are a subset",
       R"({"id": "wide", "when": [{"field": "purchase_within_days", "op": "<=", "value": 30}], "grade": "a"},
          {"id": "narrow", "when": [{"field": "test_drive", "op": "==", "value": true},
                                    {"field": "purchase_within_days", "op": "<=", "value": 30}], "grade": "b"})",
       "/rules/1", "narrow", "every condition of the earlier rule \"wide\""},
      {"contradicting bounds",
       R"({"id": "never", "when": [{"field": "purchase_within_days", "op": "<=", "value": 10},
                                   {"field": "purchase_within_days", "op": ">", "value": 20}], "grade": "a"})",
       "/rules/0", "never",
       "purchase_within_days <= 10 and purchase_within_days > 20"},
      {"touching open bounds",
       R"({"id": "never", "when": [{"all_of": [{"field": "age", "op": "<", "value": 30},
                                               {"field": "age", "op": ">=", "value": 30}]}], "grade": "a"})",
       "/rules/0", "never", "contradict"},
      {"two different equal-to values",
       R"({"id": "never", "when": [{"field": "channel", "op": "==", "value": "phone"},
                                   {"field": "channel", "op": "in", "value": ["website", "social"]}], "grade": "a"})",
       "/rules/0", "never", "contradict"},
      {"equal and not equal to the same value",
       R"({"id": "never", "when": [{"field": "test_drive", "op": "==", "value": true},
                                   {"field": "test_drive", "op": "!=", "value": true}], "grade": "a"})",
       "/rules/0", "never", "contradict"},
      {"null and compared",
       R"({"id": "never", "when": [{"field": "budget", "op": "is_null"},
                                   {"field": "budget", "op": ">", "value": 1}], "grade": "a"})",
       "/rules/0", "never", "contradict"},
      {"in with values outside the bounds",
       R"({"id": "never", "when": [{"field": "age", "op": "in", "value": [18, 19]},
                                   {"field": "age", "op": ">", "value": 60}], "grade": "a"})",
       "/rules/0", "never", "contradict"},
      {"consistent bounds are fine",
       R"({"id": "ok", "when": [{"field": "age", "op": ">=", "value": 30},
                                {"field": "age", "op": "<=", "value": 30}], "grade": "a"})",
       "", "", ""},
      {"any_of is not a subset",
       R"({"id": "one", "when": [{"any_of": [{"field": "age", "op": ">", "value": 1},
                                             {"field": "budget", "op": ">", "value": 1}]}], "grade": "a"},
          {"id": "two", "when": [{"field": "age", "op": ">", "value": 1}], "grade": "b"})",
       "", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Issue> warnings = WarningsFor(c.rules);
    if (c.path.empty()) {
      EXPECT_TRUE(warnings.empty()) << FormatIssue(warnings.front());
      continue;
    }
    // The first warning is the rule under test; a rule without conditions also
    // hides the default rule after it, which is warned about too.
    ASSERT_GE(warnings.size(), 1u);
    EXPECT_EQ(warnings.size(), c.rule == "late" ? 2u : 1u);
    EXPECT_EQ(warnings[0].path, c.path);
    EXPECT_EQ(warnings[0].rule, c.rule);
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("can never fire"));
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr(c.message));
  }
}

// Personal fields compare normalised, and so does the analysis: two spellings
// of one phone number are one value, shown masked in the warning.
TEST(CheckReachability, PersonalFieldsCompareNormalised) {
  const std::vector<Case> cases = {
      {"one number spelled twice is no contradiction",
       R"({"id": "ok", "when": [{"field": "phone", "op": "==", "value": "13800000000"},
                                {"field": "phone", "op": "in", "value": ["+86 138-0000-0000"]}], "grade": "a"})",
       "", "", ""},
      {"equal and not equal to one number",
       R"({"id": "never", "when": [{"field": "phone", "op": "==", "value": "+86 138-0000-0000"},
                                   {"field": "phone", "op": "!=", "value": "13800000000"}], "grade": "a"})",
       "/rules/0", "never",
       R"(phone == "138****0000" and phone != "138****0000")"},
      {"an earlier rule with the same number spelled otherwise",
       R"({"id": "wide", "when": [{"field": "email", "op": "==", "value": "li.lei@example.com"}], "grade": "a"},
          {"id": "narrow", "when": [{"field": "email", "op": "==", "value": " Li.Lei@Example.com"},
                                    {"field": "test_drive", "op": "==", "value": true}], "grade": "b"})",
       "/rules/1", "narrow", "every condition of the earlier rule \"wide\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Issue> warnings = WarningsFor(c.rules);
    if (c.path.empty()) {
      EXPECT_TRUE(warnings.empty()) << FormatIssue(warnings.front());
      continue;
    }
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0].path, c.path);
    EXPECT_EQ(warnings[0].rule, c.rule);
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("can never fire"));
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr(c.message));
    EXPECT_THAT(warnings[0].message,
                ::testing::Not(::testing::HasSubstr("13800000000")));
  }
}

TEST(CheckReachability, WarnsAboutAGradeNoRuleGives) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(
      R"({"grades": ["a", "b"], "rules": [{"id": "d", "grade": "a"}],
          "cadence": {"follow_up_days": {"a": 1, "b": 2}}})");
  ASSERT_THAT(load, IsOk());
  ASSERT_EQ(load->issues().size(), 1u);
  EXPECT_EQ(load->issues()[0].path, "/grades/1");
  EXPECT_THAT(load->issues()[0].message,
              ::testing::HasSubstr("no rule or band gives it"));
  // Warnings do not stop the policy; they travel with it.
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->warnings().size(), 1u);
}

}  // namespace
}  // namespace leadkit
