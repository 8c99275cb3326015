// Warnings about rules that can never fire.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
       "/rules/1", "narrow",
       "the earlier rule \"wide\" (/rules/0) takes every lead it would"},
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
      // Every lead with age > 1 holds the first branch of "one".
      {"a branch of an earlier any_of is one of its conditions",
       R"({"id": "one", "when": [{"any_of": [{"field": "age", "op": ">", "value": 1},
                                             {"field": "budget", "op": ">", "value": 1}]}], "grade": "a"},
          {"id": "two", "when": [{"field": "age", "op": ">", "value": 1}], "grade": "b"})",
       "/rules/1", "two", "the earlier rule \"one\" (/rules/0)"},
      {"an earlier any_of none of whose branches it implies",
       R"({"id": "one", "when": [{"any_of": [{"field": "age", "op": ">", "value": 1},
                                             {"field": "budget", "op": ">", "value": 1}]}], "grade": "a"},
          {"id": "two", "when": [{"field": "age", "op": ">", "value": 0}], "grade": "b"})",
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
       "/rules/1", "narrow",
       "the earlier rule \"wide\" (/rules/0) takes every lead it would"},
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

// A condition as policy documents write it.
std::string Cmp(const std::string& field, const std::string& op,
                const std::string& value) {
  return absl::StrCat(R"({"field": ")", field, R"(", "op": ")", op,
                      R"(", "value": )", value, "}");
}

// A rule with grade "a".
std::string RuleJson(const std::string& id, const std::string& when) {
  return absl::StrCat(R"({"id": ")", id, R"(", "when": [)", when,
                      R"(], "grade": "a"})");
}

struct ShadowCase {
  const char* name;
  std::vector<std::string> rules;  // before the default rule
  std::string path;                // "" = no warning expected
  std::string rule;
  std::string message;  // the whole message
};

void ExpectShadowCases(const std::vector<ShadowCase>& cases) {
  for (const ShadowCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<Issue> warnings =
        WarningsFor(absl::StrJoin(c.rules, ", "));
    if (c.path.empty()) {
      EXPECT_TRUE(warnings.empty()) << FormatIssue(warnings.front());
      continue;
    }
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0].severity, Severity::kWarning);
    EXPECT_EQ(warnings[0].path, c.path);
    EXPECT_EQ(warnings[0].rule, c.rule);
    EXPECT_EQ(warnings[0].message, c.message);
  }
}

const std::string kDays = "purchase_within_days";

// An earlier rule whose range holds every value a later rule's range holds
// takes all of the later rule's leads.
TEST(CheckReachability, ShadowedRuleByRange) {
  ExpectShadowCases({
      {"a narrower upper bound after a wider one",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", Cmp(kDays, "<=", "15"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (purchase_within_days <= 15 implies "
       "purchase_within_days <= 30)"},
      {"the wider bound after the narrower one is fine",
       {RuleJson("A", Cmp(kDays, "<=", "15")),
        RuleJson("B", Cmp(kDays, "<=", "30"))},
       "",
       "",
       ""},
      {"< 30 after <= 30",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", Cmp(kDays, "<", "30"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (purchase_within_days < 30 implies "
       "purchase_within_days <= 30)"},
      {"<= 30 after < 30 is fine: 30 holds only the later rule",
       {RuleJson("B", Cmp(kDays, "<", "30")),
        RuleJson("A", Cmp(kDays, "<=", "30"))},
       "",
       "",
       ""},
      {"a higher lower bound",
       {RuleJson("rich", Cmp("budget", ">", "100000")),
        RuleJson("richer", Cmp("budget", ">=", "200000"))},
       "/rules/1",
       "richer",
       "rule \"richer\" can never fire: the earlier rule \"rich\" (/rules/0) "
       "takes every lead it would (budget >= 200000 implies budget > "
       "100000)"},
      {"> 100 after >= 100",
       {RuleJson("B", Cmp("budget", ">=", "100")),
        RuleJson("A", Cmp("budget", ">", "100"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (budget > 100 implies budget >= 100)"},
      {">= 100 after > 100 is fine: 100 holds only the later rule",
       {RuleJson("B", Cmp("budget", ">", "100")),
        RuleJson("A", Cmp("budget", ">=", "100"))},
       "",
       "",
       ""},
      {"an in-range written as two bounds inside a wider one",
       {RuleJson("adult", Cmp("age", ">=", "18") + ", " +
                              Cmp("age", "<=", "60")),
        RuleJson("young", Cmp("age", ">=", "20") + ", " +
                              Cmp("age", "<=", "30"))},
       "/rules/1",
       "young",
       "rule \"young\" can never fire: the earlier rule \"adult\" (/rules/0) "
       "takes every lead it would (age >= 20 and age <= 30 implies age >= 18 "
       "and age <= 60)"},
      {"a wider in-range after a narrower one is fine",
       {RuleJson("young", Cmp("age", ">=", "20") + ", " +
                              Cmp("age", "<=", "30")),
        RuleJson("adult", Cmp("age", ">=", "18") + ", " +
                              Cmp("age", "<=", "60"))},
       "",
       "",
       ""},
      {"== inside a range",
       {RuleJson("B", Cmp("age", ">=", "18")),
        RuleJson("A", Cmp("age", "==", "30"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (age == 30 implies age >= 18)"},
      {"in with every value inside a range",
       {RuleJson("B", Cmp("age", "<=", "30")),
        RuleJson("A", Cmp("age", "in", "[20, 25]"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (age in [20, 25] implies age <= 30)"},
      {"in with a value outside the range is fine",
       {RuleJson("B", Cmp("age", "<=", "30")),
        RuleJson("A", Cmp("age", "in", "[20, 35]"))},
       "",
       "",
       ""},
      {"a closed range of one number is ==",
       {RuleJson("B", Cmp("age", "==", "30")),
        RuleJson("A", Cmp("age", ">=", "30") + ", " + Cmp("age", "<=", "30"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (age >= 30 and age <= 30 implies age == 30)"},
      {"== of a value the earlier in lists",
       {RuleJson("B", Cmp("channel", "in", R"(["website", "social"])")),
        RuleJson("A", Cmp("channel", "==", R"("social")") + ", " +
                          Cmp("test_drive", "==", "true"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (channel == \"social\" and test_drive == true "
       "implies channel in [\"website\", \"social\"])"},
      {"an earlier != of a value the later rule cannot have",
       {RuleJson("B", Cmp("age", "!=", "10")),
        RuleJson("A", Cmp("age", ">", "20"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (age > 20 implies age != 10)"},
      {"a bool that is not false is true",
       {RuleJson("B", Cmp("test_drive", "==", "true")),
        RuleJson("A", Cmp("test_drive", "!=", "false"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (test_drive != false implies test_drive == "
       "true)"},
      {"a comparison implies not_null",
       {RuleJson("B", R"({"field": "budget", "op": "not_null"})"),
        RuleJson("A", Cmp("budget", ">", "5"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (budget > 5 implies budget not_null)"},
      {"a null value fails != too",
       {RuleJson("B", Cmp("budget", "!=", "5")),
        RuleJson("A", R"({"field": "budget", "op": "is_null"})")},
       "",
       "",
       ""},
      {"bounds on another field",
       {RuleJson("B", Cmp("budget", ">", "1")),
        RuleJson("A", Cmp("age", ">", "1"))},
       "",
       "",
       ""},
      {"a contradiction is reported as such, not as shadowed",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", Cmp(kDays, "<=", "10") + ", " + Cmp(kDays, ">", "20"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: its conditions on \"purchase_within_days\" "
       "contradict each other (purchase_within_days <= 10 and "
       "purchase_within_days > 20)"},
  });
}

TEST(CheckReachability, ShadowedRuleThroughAllOf) {
  const std::string soon_and_drive = absl::StrCat(
      R"({"all_of": [)", Cmp(kDays, "<=", "30"), ", ",
      Cmp("test_drive", "==", "true"), "]}");
  ExpectShadowCases({
      {"every member of an earlier all_of implied",
       {RuleJson("B", soon_and_drive),
        RuleJson("A", Cmp("test_drive", "==", "true") + ", " +
                          Cmp(kDays, "<=", "7"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (test_drive == true and purchase_within_days <= 7 "
       "implies all_of(purchase_within_days <= 30, test_drive == true))"},
      {"one member of an earlier all_of not implied",
       {RuleJson("B", soon_and_drive), RuleJson("A", Cmp(kDays, "<=", "7"))},
       "",
       "",
       ""},
      {"the later rule's range inside nested all_of groups",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", absl::StrCat(R"({"all_of": [{"all_of": [)",
                                   Cmp(kDays, "<=", "10"), ", ",
                                   Cmp("budget", ">", "1"), "]}]}"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (all_of(all_of(purchase_within_days <= 10, budget "
       "> 1)) implies purchase_within_days <= 30)"},
  });
}

TEST(CheckReachability, ShadowedRuleThroughAnyOf) {
  // The abcd preset's rule A.
  const std::string abcd_a = absl::StrCat(
      R"({"any_of": [)", Cmp(kDays, "<=", "15"), R"(, {"all_of": [)",
      Cmp("test_drive", "==", "true"), ", ", Cmp("asked_price", "==", "true"),
      "]}]}");
  ExpectShadowCases({
      {"one branch of an earlier any_of implied",
       {RuleJson("A", abcd_a), RuleJson("X", Cmp(kDays, "<=", "10"))},
       "/rules/1",
       "X",
       "rule \"X\" can never fire: the earlier rule \"A\" (/rules/0) takes "
       "every lead it would (purchase_within_days <= 10 implies "
       "any_of(purchase_within_days <= 15, all_of(test_drive == true, "
       "asked_price == true)))"},
      {"the all_of branch of an earlier any_of implied",
       {RuleJson("A", abcd_a),
        RuleJson("X", Cmp("asked_price", "==", "true") + ", " +
                          Cmp("test_drive", "!=", "false"))},
       "/rules/1",
       "X",
       "rule \"X\" can never fire: the earlier rule \"A\" (/rules/0) takes "
       "every lead it would (asked_price == true and test_drive != false "
       "implies any_of(purchase_within_days <= 15, all_of(test_drive == true, "
       "asked_price == true)))"},
      {"no branch of an earlier any_of implied (the abcd preset's B)",
       {RuleJson("A", abcd_a), RuleJson("B", Cmp(kDays, "<=", "30"))},
       "",
       "",
       ""},
      {"every branch of a later any_of inside the earlier range",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", absl::StrCat(R"({"any_of": [)", Cmp(kDays, "<=", "10"),
                                   ", ", Cmp(kDays, "==", "20"), "]}"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (any_of(purchase_within_days <= 10, "
       "purchase_within_days == 20) implies purchase_within_days <= 30)"},
      {"one branch of a later any_of escapes",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", absl::StrCat(R"({"any_of": [)", Cmp(kDays, "<=", "10"),
                                   ", ", Cmp("budget", ">", "1"), "]}"))},
       "",
       "",
       ""},
      {"the branches of a later any_of taken by two earlier rules",
       {RuleJson("soon", Cmp(kDays, "<=", "30")),
        RuleJson("drove", Cmp("test_drive", "==", "true")),
        RuleJson("A", absl::StrCat(R"({"any_of": [)", Cmp(kDays, "<=", "10"),
                                   ", ", Cmp("test_drive", "==", "true"),
                                   "]}"))},
       "/rules/2",
       "A",
       "rule \"A\" can never fire: the earlier rules \"soon\" (/rules/0) and "
       "\"drove\" (/rules/1) take every lead it would between them (each "
       "branch of its any_of implies one of them)"},
      {"a branch that holds for no lead needs no earlier rule",
       {RuleJson("B", Cmp(kDays, "<=", "30")),
        RuleJson("A", absl::StrCat(R"({"any_of": [)", Cmp(kDays, "<=", "10"),
                                   R"(, {"all_of": [)", Cmp("age", "<", "5"),
                                   ", ", Cmp("age", ">", "8"), "]}]}"))},
       "/rules/1",
       "A",
       "rule \"A\" can never fire: the earlier rule \"B\" (/rules/0) takes "
       "every lead it would (any_of(purchase_within_days <= 10, all_of(age < "
       "5, age > 8)) implies purchase_within_days <= 30)"},
  });
}

// What the analysis cannot decide it does not warn about: a warning is always
// true.
TEST(CheckReachability, UndecidableShadowingIsSilent) {
  std::string many_groups = Cmp("budget", ">", "2");
  for (int k = 0; k < 7; ++k) {  // 2^7 = 128 combinations of branches
    absl::StrAppend(&many_groups, R"(, {"any_of": [)",
                    Cmp("test_drive", "==", "true"), ", ",
                    Cmp("asked_price", "==", "true"), "]}");
  }
  ExpectShadowCases({
      // Every non-null age holds one branch or the other, but neither branch
      // alone holds for every age in [20, 40].
      {"only the union of an earlier any_of's branches covers it",
       {RuleJson("B", absl::StrCat(R"({"any_of": [)", Cmp("age", "<", "30"),
                                   ", ", Cmp("age", ">=", "30"), "]}")),
        RuleJson("A", Cmp("age", ">=", "20") + ", " + Cmp("age", "<=", "40"))},
       "",
       "",
       ""},
      // Shadowed, but its any_of groups give more ways to hold than are
      // analysed.
      {"too many combinations of any_of branches",
       {RuleJson("B", Cmp("budget", ">", "1")), RuleJson("A", many_groups)},
       "",
       "",
       ""},
      // Ages are numbers, not whole numbers: 1.5 holds only the later rule.
      {"a range is not a list of whole numbers",
       {RuleJson("B", Cmp("age", "in", "[1, 2, 3]")),
        RuleJson("A", Cmp("age", ">=", "1") + ", " + Cmp("age", "<=", "3"))},
       "",
       "",
       ""},
  });
}

TEST(CheckReachability, PresetsHaveNoShadowedRules) {
  for (const std::string& name : Policy::PresetNames()) {
    SCOPED_TRACE(name);
    absl::StatusOr<Policy> policy = Policy::Preset(name);
    ASSERT_THAT(policy, IsOk());
    EXPECT_TRUE(policy->warnings().empty())
        << FormatIssue(policy->warnings().front());
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
