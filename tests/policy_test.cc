#include "leadkit/policy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A small valid document; cases below break one part of it at a time.
constexpr char kMinimal[] = R"({
  "grades": ["hot", "cold"],
  "rules": [
    {"id": "hot", "when": [{"field": "purchase_within_days", "op": "<=", "value": 30}],
     "grade": "hot"},
    {"id": "default", "grade": "cold"}
  ],
  "cadence": {"follow_up_days": {"hot": 3, "cold": [14, 30]}}
})";

std::vector<Issue> IssuesOf(absl::string_view text) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  if (!load.ok()) return {};
  return {load->issues().begin(), load->issues().end()};
}

TEST(PolicyFromJson, MinimalDocumentLoads) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(kMinimal);
  ASSERT_THAT(load, IsOk());
  EXPECT_TRUE(load->issues().empty()) << FormatIssue(load->issues().front());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->grades(), ElementsAre("hot", "cold"));
  ASSERT_EQ(policy->rules().size(), 2u);
  EXPECT_EQ(policy->rules()[0].id, "hot");
  EXPECT_EQ(policy->rules()[1].grade, 1);
  const CadenceSettings& c = policy->cadence();
  EXPECT_EQ(c.follow_up[0], (FollowUpInterval{3, 3}));
  EXPECT_EQ(c.follow_up[1], (FollowUpInterval{14, 30}));
  EXPECT_TRUE(c.follow_up[1]->is_range());
  // Defaults are the presets' values.
  EXPECT_EQ(c.first_contact.duration, std::chrono::hours(1));
  EXPECT_EQ(c.first_contact.clock, Clock::kBusiness);
  EXPECT_EQ(c.entry.duration, std::chrono::hours(24));
  // A document that omits them gets the presets' deadline rules.
  EXPECT_EQ(c.entry.closed_deadline, ClosedDeadline::kEndOfNextOpenDay);
  EXPECT_EQ(c.thank_you.closed_deadline, ClosedDeadline::kEndOfNextOpenDay);
  EXPECT_EQ(c.callback.closed_deadline, ClosedDeadline::kEndOfNextOpenDay);
  EXPECT_EQ(c.follow_up[0]->due, IntervalDue::kEndOfDay);
  EXPECT_EQ(c.follow_up[1]->due, IntervalDue::kEndOfDay);
  EXPECT_EQ(policy->calendar().time_zone, "Asia/Shanghai");
  // A document without routing.overflow lets leads overflow, as the presets.
  EXPECT_EQ(policy->routing().overflow, Overflow::kNextDealer);
  EXPECT_THAT(policy->fields(), ElementsAre("purchase_within_days"));
}

TEST(PolicyFromJson, NonUtf8IsACallError) {
  EXPECT_THAT(Policy::FromJson("{\"grades\": [\"\xff\"]}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

TEST(PolicyFromJson, PolicyIsFailedPreconditionWhileErrorsExist) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(R"({"grades": []})");
  ASSERT_THAT(load, IsOk());
  EXPECT_TRUE(load->has_errors());
  EXPECT_THAT(load->policy(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("/grades")));
}

struct ErrorCase {
  const char* name;
  std::string text;
  Severity severity;
  std::string path;
  std::string rule;
  std::string message;  // a substring of the message
};

// Each case's document has an issue of its severity at its path, for its
// rule, whose message holds the case's (other issues may come with it).
void ExpectEachFound(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<Issue> issues = IssuesOf(c.text);
    bool found = false;
    for (const Issue& issue : issues) {
      if (issue.path == c.path && issue.severity == c.severity &&
          issue.rule == c.rule &&
          issue.message.find(c.message) != std::string::npos) {
        found = true;
      }
    }
    std::string all;
    for (const Issue& issue : issues) all += FormatIssue(issue) + "\n";
    EXPECT_TRUE(found) << "wanted " << SeverityName(c.severity) << " at "
                       << c.path << ": " << c.message << "\ngot:\n"
                       << all;
  }
}

std::string Replace(std::string text, const std::string& from,
                    const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(PolicyFromJson, ReportsEachProblemWithPathRuleAndMessage) {
  const std::vector<ErrorCase> cases = {
      {.name = "malformed JSON",
       .text = "{\n  \"grades\": [\"a\",]\n}",
       .severity = Severity::kError,
       .path = "",
       .message = "malformed JSON at line 2, column 18"},
      {.name = "unknown top-level key",
       .text = Replace(kMinimal, "\"grades\"", "\"grads\": [], \"grades\""),
       .severity = Severity::kError,
       .path = "/grads",
       .message = "unknown key \"grads\"; did you mean \"grades\"?"},
      {.name = "unknown lead field",
       .text = Replace(kMinimal, "\"purchase_within_days\"",
                       "\"purchase_in_days\""),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/field",
       .rule = "hot",
       .message = "unknown lead field \"purchase_in_days\"; did you mean "
                  "\"purchase_within_days\"?"},
      {.name = "unknown operator",
       .text = Replace(kMinimal, "\"<=\"", "\"=<\""),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/op",
       .rule = "hot",
       .message = "unknown operator \"=<\""},
      {.name = "wrong literal type",
       .text = Replace(kMinimal, "\"value\": 30", "\"value\": \"30\""),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/value",
       .rule = "hot",
       .message = "expected a number value, got the string \"30\""},
      {.name = "ordering a string field",
       .text = Replace(
           kMinimal, "\"purchase_within_days\", \"op\": \"<=\", \"value\": 30",
           "\"model\", \"op\": \"<\", \"value\": \"C\""),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/op",
       .rule = "hot",
       .message = "operator < needs a number field"},
      {.name = "undeclared grade",
       .text = Replace(kMinimal, "\"grade\": \"hot\"", "\"grade\": \"warm\""),
       .severity = Severity::kError,
       .path = "/rules/0/grade",
       .rule = "hot",
       .message = "grade \"warm\" is not declared in /grades"},
      {.name = "undeclared grade in the cadence",
       .text = Replace(kMinimal, "\"hot\": 3", "\"hot\": 3, \"warm\": 5"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/warm",
       .message = "grade \"warm\" is not declared"},
      {.name = "duplicate rule id",
       .text = Replace(kMinimal, "\"id\": \"default\"", "\"id\": \"hot\""),
       .severity = Severity::kError,
       .path = "/rules/1/id",
       .rule = "hot",
       .message = "duplicate rule id \"hot\" (first used at /rules/0)"},
      {.name = "reversed interval",
       .text = Replace(kMinimal, "[14, 30]", "[30, 14]"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/cold",
       .message = "interval bounds are reversed: [30,14]"},
      {.name = "no default rule",
       .text = Replace(kMinimal, "{\"id\": \"default\", \"grade\": \"cold\"}",
                       "{\"id\": \"last\", \"when\": [{\"field\": \"model\", "
                       "\"op\": \"is_null\"}], \"grade\": \"cold\"}"),
       .severity = Severity::kError,
       .path = "/rules/1",
       .rule = "last",
       .message = "no default rule"},
      {.name = "wrong type of a section",
       .text = Replace(kMinimal, "\"cadence\": {",
                       "\"routing\": [], \"cadence\": {"),
       .severity = Severity::kError,
       .path = "/routing",
       .message = "expected an object, got an array"},
      {.name = "unknown time zone",
       .text = Replace(
           kMinimal, "\"grades\"",
           "\"calendar\": {\"time_zone\": \"Asia/Shangai\"}, \"grades\""),
       .severity = Severity::kError,
       .path = "/calendar/time_zone",
       .message = "unknown time zone \"Asia/Shangai\""},
      {.name = "unknown overflow",
       .text = Replace(kMinimal, "\"cadence\": {",
                       "\"routing\": {\"overflow\": \"next_dealr\"}, "
                       "\"cadence\": {"),
       .severity = Severity::kError,
       .path = "/routing/overflow",
       .message =
           "unknown overflow \"next_dealr\"; did you mean \"next_dealer\"?"},
      {.name = "overflow far from every choice",
       .text = Replace(kMinimal, "\"cadence\": {",
                       "\"routing\": {\"overflow\": \"region\"}, "
                       "\"cadence\": {"),
       .severity = Severity::kError,
       .path = "/routing/overflow",
       .message = "unknown overflow \"region\" (expected one of next_dealer, "
                  "none)"},
      {.name = "overflow not a string",
       .text = Replace(kMinimal, "\"cadence\": {",
                       "\"routing\": {\"overflow\": false}, \"cadence\": {"),
       .severity = Severity::kError,
       .path = "/routing/overflow",
       .message = "expected a string, got the boolean false"},
      {.name = "unknown clock",
       .text = Replace(
           kMinimal, "\"follow_up_days\"",
           "\"first_contact_sla\": {\"hours\": 1, \"clock\": \"busines\"}, "
           "\"follow_up_days\""),
       .severity = Severity::kError,
       .path = "/cadence/first_contact_sla/clock",
       .message = "unknown clock \"busines\"; did you mean \"business\"?"},
      {.name = "null test with a value",
       .text = Replace(kMinimal, "\"op\": \"<=\", \"value\": 30",
                       "\"op\": \"is_null\", \"value\": 30"),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/value",
       .rule = "hot",
       .message = "operator is_null takes no value"},
      {.name = "number too large for a double",
       .text = Replace(kMinimal, "\"value\": 30", "\"value\": 1e400"),
       .severity = Severity::kError,
       .path = "",
       .message = "malformed JSON: number overflow"},
      {.name = "repeated key",
       .text = Replace(kMinimal, "\"grade\": \"hot\"}",
                       "\"grade\": \"hot\", \"grade\": \"cold\"}"),
       .severity = Severity::kError,
       .path = "/rules/0/grade",
       .message = "key \"grade\" appears more than once"},
      {.name = "interval too long to hold",
       .text = Replace(kMinimal, "\"hot\": 3", "\"hot\": 4294967298"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/hot",
       .message = "a follow-up interval is 1 to 100000 days, got 4294967298"},
      {.name = "personal literal of the wrong type is not printed",
       .text = Replace(
           kMinimal, "\"purchase_within_days\", \"op\": \"<=\", \"value\": 30",
           "\"phone\", \"op\": \"==\", \"value\": 13800138000"),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/value",
       .rule = "hot",
       .message = "expected a string value, got a number"},
      {.name = "unknown closed_deadline",
       .text = Replace(kMinimal, "\"follow_up_days\"",
                       "\"thank_you\": {\"hours\": 24, \"clock\": "
                       "\"calendar\", \"closed_deadline\": \"next_opne\"}, "
                       "\"follow_up_days\""),
       .severity = Severity::kError,
       .path = "/cadence/thank_you/closed_deadline",
       .message = "unknown closed_deadline \"next_opne\"; did you mean "
                  "\"next_open\"?"},
      {.name = "closed_deadline far from every choice",
       .text = Replace(kMinimal, "\"follow_up_days\"",
                       "\"callback\": {\"within\": {\"hours\": 24, "
                       "\"closed_deadline\": \"later\"}}, \"follow_up_days\""),
       .severity = Severity::kError,
       .path = "/cadence/callback/within/closed_deadline",
       .message = "unknown closed_deadline \"later\" (expected one of keep, "
                  "next_open, end_of_next_open_day)"},
      {.name = "closed_deadline not a string",
       .text = Replace(kMinimal, "\"follow_up_days\"",
                       "\"entry_sla\": {\"hours\": 24, \"closed_deadline\": "
                       "1}, \"follow_up_days\""),
       .severity = Severity::kError,
       .path = "/cadence/entry_sla/closed_deadline",
       .message = "expected a string, got the number 1"},
      {.name = "closed_deadline on the business clock",
       .text = Replace(kMinimal, "\"follow_up_days\"",
                       "\"first_contact_sla\": {\"hours\": 1, \"clock\": "
                       "\"business\", \"closed_deadline\": \"keep\"}, "
                       "\"follow_up_days\""),
       .severity = Severity::kError,
       .path = "/cadence/first_contact_sla/closed_deadline",
       .message = "closed_deadline applies to the calendar clock only"},
      {.name = "unknown due",
       .text = Replace(kMinimal, "\"hot\": 3",
                       "\"hot\": {\"days\": 3, \"due\": \"end_of_dya\"}"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/hot/due",
       .message = "unknown due \"end_of_dya\"; did you mean \"end_of_day\"?"},
      {.name = "interval object without days",
       .text = Replace(kMinimal, "\"hot\": 3", "\"hot\": {\"due\": \"exact\"}"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/hot",
       .message = "missing required key \"days\""},
      {.name = "unknown key of an interval object",
       .text = Replace(kMinimal, "\"hot\": 3",
                       "\"hot\": {\"days\": 3, \"dues\": \"exact\"}"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/hot/dues",
       .message = "did you mean \"due\"?"},
      {.name = "reversed interval in an object",
       .text = Replace(kMinimal, "[14, 30]",
                       "{\"days\": [30, 14], \"due\": \"exact\"}"),
       .severity = Severity::kError,
       .path = "/cadence/follow_up_days/cold/days",
       .message = "interval bounds are reversed: [30,14]"},
      {.name = "grade without a follow-up interval",
       .text = Replace(kMinimal, "\"hot\": 3, ", ""),
       .severity = Severity::kWarning,
       .path = "/cadence/follow_up_days",
       .message = "grade \"hot\" has no follow-up interval"},
  };
  ExpectEachFound(cases);
}

TEST(PolicyFromJson, ReportsEveryProblemAtOnce) {
  const std::string text = R"({
    "grades": ["a", "a"],
    "rules": [
      {"id": "x", "when": [{"field": "modle", "op": "not_null"}], "grade": "b"},
      {"id": "x", "grade": "a", "colour": 1}
    ],
    "routing": {"max_distance_km": -5}
  })";
  std::vector<std::string> paths;
  for (const Issue& issue : IssuesOf(text)) {
    if (issue.severity == Severity::kError) paths.push_back(issue.path);
  }
  EXPECT_THAT(
      paths, ::testing::UnorderedElementsAre(
                 "/grades/1", "/rules/0/when/0/field", "/rules/0/grade",
                 "/rules/1/id", "/rules/1/colour", "/routing/max_distance_km"));
}

// Scoring alone grades every lead; its bands must cover every total exactly
// once.
std::string ScoringPolicy(const std::string& bands,
                          const std::string& rules = "") {
  return R"({"grades": ["hot", "cold"], )" + rules +
         R"("scoring": {"points": [{"id": "p", "when": [{"field": "budget", "op": ">", "value": 1}],
                                 "points": 10}], "bands": )" +
         bands + R"(}, "cadence": {"follow_up_days": {"hot": 3, "cold": 14}}})";
}

TEST(PolicyScoring, BandsCoverEveryTotalExactlyOnce) {
  struct Case {
    std::string bands;
    std::string path;
    std::string message;  // "" = loads without issues
  };
  const std::vector<Case> cases = {
      {R"([{"max": 5, "grade": "cold"}, {"min": 5, "grade": "hot"}])", "", ""},
      {R"([{"min": 5, "grade": "hot"}, {"max": 5, "grade": "cold"}])", "",
       ""},  // any order
      {R"([{"max": 5, "grade": "cold"}, {"min": 6, "grade": "hot"}])",
       "/scoring/bands/1", "totals from 5 to 6 fall in no band"},
      {R"([{"max": 7, "grade": "cold"}, {"min": 6, "grade": "hot"}])",
       "/scoring/bands/1", "bands overlap: (-inf, 7) and [6, inf) both hold 6"},
      {R"([{"min": 0, "max": 5, "grade": "cold"}, {"min": 5, "grade": "hot"}])",
       "/scoring/bands/0", "totals below 0 fall in no band"},
      {R"([{"max": 5, "grade": "cold"}, {"min": 5, "max": 9, "grade": "hot"}])",
       "/scoring/bands/1", "totals from 9 up fall in no band"},
      {R"([{"max": 5, "grade": "cold"}, {"min": 9, "max": 5, "grade": "hot"}])",
       "/scoring/bands/1", "the band [9, 5) holds no total"},
      {R"([{"grade": "cold"}, {"grade": "hot"}])", "/scoring/bands/1",
       "bands overlap"},
      {R"([{"max": 5, "grade": "warm"}, {"min": 5, "grade": "hot"}])",
       "/scoring/bands/0/grade", "grade \"warm\" is not declared"},
      {R"([])", "/scoring/bands", "scoring needs a non-empty array \"bands\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bands);
    std::vector<Issue> issues = IssuesOf(ScoringPolicy(c.bands));
    if (c.message.empty()) {
      EXPECT_TRUE(issues.empty()) << FormatIssue(issues.front());
      continue;
    }
    ASSERT_FALSE(issues.empty());
    EXPECT_EQ(issues[0].path, c.path) << FormatIssue(issues[0]);
    EXPECT_THAT(issues[0].message, HasSubstr(c.message));
  }
}

TEST(PolicyScoring, CombinesWithRulesAndRoundTrips) {
  const std::string rules =
      R"("rules": [{"id": "deposit", "when": [{"field": "deposit_paid", "op": "==", "value": true}],
                    "grade": "hot"}], )";
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(ScoringPolicy(
      R"([{"max": 5, "grade": "cold"}, {"min": 5, "grade": "hot"}])", rules));
  ASSERT_THAT(load, IsOk());
  EXPECT_TRUE(load->issues().empty());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  ASSERT_TRUE(policy->scoring().has_value());
  EXPECT_EQ(policy->scoring()->id, "scoring");
  EXPECT_THAT(policy->rule_ids(), ElementsAre("deposit", "scoring"));
  absl::StatusOr<PolicyLoad> again = Policy::FromJson(policy->ToJson());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->policy()->ToJson(), policy->ToJson());
  EXPECT_TRUE(*again->policy()->scoring() == *policy->scoring());
}

TEST(PolicyScoring, ProblemsAroundScoring) {
  const std::string bands =
      R"([{"max": 5, "grade": "cold"}, {"min": 5, "grade": "hot"}])";
  // A rule whose id is the scoring's.
  std::vector<Issue> issues = IssuesOf(ScoringPolicy(
      bands,
      R"("rules": [{"id": "scoring", "when": [{"field": "age", "op": ">", "value": 1}],
                           "grade": "hot"}], )"));
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].path, "/scoring/id");
  EXPECT_THAT(issues[0].message, HasSubstr("is also a rule's id"));
  // A default rule before scoring leaves scoring nothing to grade.
  issues = IssuesOf(
      ScoringPolicy(bands, R"("rules": [{"id": "d", "grade": "hot"}], )"));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Severity::kWarning);
  EXPECT_THAT(issues[0].message, HasSubstr("scoring can never grade a lead"));
  // Without scoring, rules need their default.
  issues = IssuesOf(R"({"grades": ["a"], "rules": []})");
  ASSERT_FALSE(issues.empty());
  EXPECT_THAT(issues[0].message,
              HasSubstr("expected a non-empty array of rules"));
}

TEST(PolicyScorecard, WeightsLoadRoundTripAndAreChecked) {
  std::string doc = kMinimal;
  doc.insert(doc.rfind('}'),
             R"(, "scorecard": {"weights": {"timeliness_rate": 0.6,
                                             "conversion_rate": 0.4}})");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(doc);
  ASSERT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  using Weight = std::pair<std::string, double>;
  EXPECT_THAT(policy->scorecard().weights,
              ElementsAre(Weight{"conversion_rate", 0.4},
                          Weight{"timeliness_rate", 0.6}));
  absl::StatusOr<PolicyLoad> again = Policy::FromJson(policy->ToJson());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->policy()->scorecard(), policy->scorecard());
  // Without the section there are no weights, and the canonical text has none.
  absl::StatusOr<Policy> plain = Policy::FromJson(kMinimal)->policy();
  ASSERT_THAT(plain, IsOk());
  EXPECT_TRUE(plain->scorecard().weights.empty());
  EXPECT_EQ(plain->ToJson().find("scorecard"), std::string::npos);

  std::string bad = kMinimal;
  bad.insert(bad.rfind('}'),
             R"(, "scorecard": {"weights": {"conversion_rte": 1,
                                             "timeliness_rate": -1}})");
  const std::vector<Issue> issues = IssuesOf(bad);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "/scorecard/weights/conversion_rte");
  EXPECT_THAT(issues[0].message, HasSubstr("did you mean \"conversion_rate\""));
  EXPECT_EQ(issues[1].path, "/scorecard/weights/timeliness_rate");
}

TEST(PolicyFromJson, DeepNestingIsAnIssueNotACrash) {
  // `groups` condition groups inside a rule's `when`.
  const auto nested = [](int groups) {
    std::string when;
    for (int i = 0; i < groups; ++i) when += R"({"all_of": [)";
    when += R"({"field": "age", "op": ">", "value": 1})";
    for (int i = 0; i < groups; ++i) when += "]}";
    return R"({"grades": ["a"], "rules": [{"id": "deep", "when": [)" + when +
           R"(], "grade": "a"}, {"id": "d", "grade": "a"}]})";
  };
  const auto found = [](const std::string& text, const std::string& message) {
    bool seen = false;
    for (const Issue& issue : IssuesOf(text)) {
      seen |= issue.message.find(message) != std::string::npos;
    }
    return seen;
  };
  // 33 groups: 71 levels of JSON, within the document's limit; the policy's
  // own limit on groups speaks.
  EXPECT_TRUE(found(nested(33), "nested deeper than 32"));
  // 10,000 groups: the document's limit (json_reader.h, kMaxDepth) speaks
  // first, and reading stops there.
  EXPECT_TRUE(found(nested(10000), "nests arrays and objects deeper than 100"));
}

// kMinimal with the condition of rule "hot" replaced by `condition`.
std::string WithCondition(const std::string& condition) {
  return Replace(
      kMinimal,
      R"({"field": "purchase_within_days", "op": "<=", "value": 30})",
      condition);
}

// A literal outside a field's value set (docs/data.md) is an error at the
// literal, naming the field and the nearest valid value.
TEST(PolicyFromJson, LiteralOutsideValueSet) {
  const std::string kAt = "/rules/0/when/0/value";
  const std::vector<ErrorCase> cases = {
      {.name = "channel",
       .text = WithCondition(
           R"({"field": "channel", "op": "==", "value": "webiste"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown channel \"webiste\"; did you mean \"website\"?"},
      {.name = "status",
       .text =
           WithCondition(R"({"field": "status", "op": "!=", "value": "wonn"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown status \"wonn\"; did you mean \"won\"?"},
      {.name = "sales_stage",
       .text = WithCondition(
           R"({"field": "sales_stage", "op": "==", "value": "negociation"})"),
       .path = kAt,
       .rule = "hot",
       .message =
           "unknown sales_stage \"negociation\"; did you mean \"negotiation\"?"},
      {.name = "funnel_stage",
       .text = WithCondition(
           R"({"field": "funnel_stage", "op": "==", "value": "mofo"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown funnel_stage \"mofo\"; did you mean \"mofu\"?"},
      {.name = "lost_review",
       .text = WithCondition(
           R"({"field": "lost_review", "op": "==", "value": "aproved"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown lost_review \"aproved\"; did you mean \"approved\"?"},
      {.name = "the second value of an in",
       .text = WithCondition(
           R"({"field": "channel", "op": "in", "value": ["website", "showrom"]})"),
       .path = kAt + "/1",
       .rule = "hot",
       .message = "unknown channel \"showrom\"; did you mean \"showroom\"?"},
      {.name = "no value near it: the whole set",
       .text = WithCondition(
           R"({"field": "channel", "op": "==", "value": "tiktok"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown channel \"tiktok\" (expected one of website, "
                  "social, vertical_media, ecommerce, showroom, phone, "
                  "auto_show, test_drive_event, marketing_event, referral)"},
      {.name = "inside a group",
       .text = WithCondition(
           R"({"any_of": [{"field": "test_drive", "op": "==", "value": true},
                          {"field": "status", "op": "==", "value": "lots"}]})"),
       .path = "/rules/0/when/0/any_of/1/value",
       .rule = "hot",
       .message = "unknown status \"lots\"; did you mean \"lost\"?"},
      {.name = "a scoring item's literal",
       .text = Replace(
           ScoringPolicy(R"([{"min": 0, "grade": "hot"}, {"max": 0, "grade": "cold"}])"),
           R"({"field": "budget", "op": ">", "value": 1})",
           R"({"field": "channel", "op": "==", "value": "referal"})"),
       .path = "/scoring/points/0/when/0/value",
       .rule = "p",
       .message = "unknown channel \"referal\"; did you mean \"referral\"?"},
      {.name = "a lead's grade compared with an undeclared one",
       .text = WithCondition(R"({"field": "grade", "op": "==", "value": "hott"})"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown grade \"hott\"; did you mean \"hot\"?"},
      {.name = "a callback channel",
       .text = Replace(kMinimal, "\"cadence\": {",
                       R"("cadence": {"callback": {"channels": ["showroom", "phnoe"]}, )"),
       .path = "/cadence/callback/channels/1",
       .message = "unknown channel \"phnoe\"; did you mean \"phone\"?"},
      {.name = "near a declared extra channel",
       .text = Replace(WithCondition(R"({"field": "channel", "op": "==", "value": "douyni"})"),
                       "\"grades\"",
                       R"("extra_values": {"channel": ["douyin"]}, "grades")"),
       .path = kAt,
       .rule = "hot",
       .message = "unknown channel \"douyni\"; did you mean \"douyin\"?"},
      {.name = "extra values of a closed set",
       .text = Replace(kMinimal, "\"grades\"",
                       R"("extra_values": {"status": ["paused"]}, "grades")"),
       .path = "/extra_values/status",
       .message = "field \"status\" takes only its documented values (open, "
                  "won, lost, invalid): leadkit's engines read them"},
      {.name = "extra values of an unknown field",
       .text = Replace(kMinimal, "\"grades\"",
                       R"("extra_values": {"chanel": ["douyin"]}, "grades")"),
       .path = "/extra_values/chanel",
       .message = "no extra values for \"chanel\": only these fields take "
                  "them; did you mean \"channel\"?"},
      {.name = "an extra value declared twice",
       .text = Replace(
           kMinimal, "\"grades\"",
           R"("extra_values": {"channel": ["douyin", "douyin"]}, "grades")"),
       .path = "/extra_values/channel/1",
       .message = "channel value \"douyin\" is declared twice"},
      {.name = "an extra value that is documented already",
       .text = Replace(kMinimal, "\"grades\"",
                       R"("extra_values": {"channel": ["phone"]}, "grades")"),
       .severity = Severity::kWarning,
       .path = "/extra_values/channel/0",
       .message = "\"phone\" is already a documented channel value "
                  "(docs/data.md)"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<Issue> issues = IssuesOf(c.text);
    std::string all;
    for (const Issue& issue : issues) all += FormatIssue(issue) + "\n";
    ASSERT_EQ(issues.size(), 1u) << all;
    EXPECT_EQ(issues[0].severity, c.severity);
    EXPECT_EQ(issues[0].path, c.path);
    EXPECT_EQ(issues[0].rule, c.rule);
    EXPECT_EQ(issues[0].message, c.message);
  }
}

TEST(PolicyFromJson, DeclaredExtraChannelsExtendTheValueSet) {
  const std::string text = Replace(
      WithCondition(R"({"field": "channel", "op": "in", "value": ["douyin", "phone"]})"),
      "\"grades\"", R"("extra_values": {"channel": ["douyin", "dealer_app"]}, "grades")");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  ASSERT_THAT(load, IsOk());
  EXPECT_TRUE(load->issues().empty()) << FormatIssue(load->issues().front());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(policy->FieldValues("channel"),
              ElementsAre("website", "social", "vertical_media", "ecommerce",
                          "showroom", "phone", "auto_show", "test_drive_event",
                          "marketing_event", "referral", "douyin",
                          "dealer_app"));
  EXPECT_THAT(policy->FieldValues("lost_review"),
              ElementsAre("pending", "approved", "rejected"));
  EXPECT_TRUE(policy->FieldValues("model").empty());
  // The declaration is part of the canonical document.
  EXPECT_THAT(policy->ToJson(),
              HasSubstr("\"extra_values\": {\n    \"channel\": [\n      "
                        "\"douyin\",\n      \"dealer_app\"\n    ]\n  }"));
  absl::StatusOr<PolicyLoad> again = Policy::FromJson(policy->ToJson());
  ASSERT_THAT(again, IsOk());
  ASSERT_THAT(again->policy(), IsOk());
  EXPECT_TRUE(*again->policy() == *policy);
  EXPECT_EQ(again->policy()->ToJson(), policy->ToJson());
}

TEST(PolicyToJson, RoundTripGivesAnEqualPolicyAndTheSameText) {
  for (const std::string& name : Policy::PresetNames()) {
    SCOPED_TRACE(name);
    absl::StatusOr<Policy> preset = Policy::Preset(name);
    ASSERT_THAT(preset, IsOk());
    const std::string text = preset->ToJson();
    absl::StatusOr<PolicyLoad> again = Policy::FromJson(text);
    ASSERT_THAT(again, IsOk());
    absl::StatusOr<Policy> reloaded = again->policy();
    ASSERT_THAT(reloaded, IsOk());
    EXPECT_TRUE(*reloaded == *preset);
    EXPECT_EQ(reloaded->ToJson(), text);
    EXPECT_TRUE(std::ranges::equal(reloaded->rules(), preset->rules()));
    EXPECT_EQ(reloaded->cadence(), preset->cadence());
    EXPECT_EQ(reloaded->routing(), preset->routing());
  }
}

TEST(PolicyToJson, OverflowIsWrittenAndReadBack) {
  for (const char* overflow : {"next_dealer", "none"}) {
    SCOPED_TRACE(overflow);
    const std::string text = Replace(
        kMinimal, "\"cadence\": {",
        absl::StrCat("\"routing\": {\"overflow\": \"", overflow,
                     "\"}, \"cadence\": {"));
    absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
    ASSERT_THAT(load, IsOk());
    absl::StatusOr<Policy> policy = load->policy();
    ASSERT_THAT(policy, IsOk());
    EXPECT_EQ(OverflowName(policy->routing().overflow), overflow);
    const std::string canonical = policy->ToJson();
    EXPECT_NE(canonical.find(absl::StrCat("\"overflow\": \"", overflow, "\"")),
              std::string::npos)
        << canonical;
    absl::StatusOr<Policy> again = Policy::FromJson(canonical)->policy();
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(again->routing(), policy->routing());
    EXPECT_EQ(again->ToJson(), canonical);
  }
}

TEST(PolicyToJson, DeadlineRulesAreWrittenAndReadBack) {
  struct Case {
    const char* closed;  // closed_deadline of thank_you, callback and entry
    const char* due;     // due of both intervals
    ClosedDeadline closed_rule;
    IntervalDue due_rule;
  };
  const Case cases[] = {
      {"keep", "exact", ClosedDeadline::kKeep, IntervalDue::kExact},
      {"next_open", "end_of_day", ClosedDeadline::kNextOpen,
       IntervalDue::kEndOfDay},
      {"end_of_next_open_day", "exact", ClosedDeadline::kEndOfNextOpenDay,
       IntervalDue::kExact},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.closed, " ", c.due));
    const std::string sla = absl::StrCat(
        "{\"hours\": 24, \"clock\": \"calendar\", \"closed_deadline\": \"",
        c.closed, "\"}");
    const std::string text = Replace(
        kMinimal, "\"follow_up_days\": {\"hot\": 3, \"cold\": [14, 30]}",
        absl::StrCat("\"entry_sla\": ", sla, ", \"thank_you\": ", sla,
                     ", \"callback\": {\"within\": ", sla,
                     "}, \"follow_up_days\": {\"hot\": {\"days\": 3, "
                     "\"due\": \"",
                     c.due, "\"}, \"cold\": {\"days\": [14, 30], \"due\": \"",
                     c.due, "\"}}"));
    std::vector<Issue> issues = IssuesOf(text);
    EXPECT_TRUE(issues.empty()) << FormatIssue(issues.front());
    absl::StatusOr<Policy> policy = Policy::FromJson(text)->policy();
    ASSERT_THAT(policy, IsOk());
    const CadenceSettings& cadence = policy->cadence();
    EXPECT_EQ(cadence.entry.closed_deadline, c.closed_rule);
    EXPECT_EQ(cadence.thank_you.closed_deadline, c.closed_rule);
    EXPECT_EQ(cadence.callback.closed_deadline, c.closed_rule);
    EXPECT_EQ(cadence.follow_up[0],
              (FollowUpInterval{
                  .min_days = 3, .max_days = 3, .due = c.due_rule}));
    EXPECT_EQ(cadence.follow_up[1], (FollowUpInterval{.min_days = 14,
                                                      .max_days = 30,
                                                      .due = c.due_rule}));
    const std::string canonical = policy->ToJson();
    EXPECT_NE(canonical.find(absl::StrCat(
                  "\"clock\": \"calendar\",\n      \"closed_deadline\": \"",
                  c.closed, "\"")),
              std::string::npos)
        << canonical;
    EXPECT_NE(canonical.find(absl::StrCat("\"days\": 3,\n        \"due\": \"",
                                          c.due, "\"")),
              std::string::npos)
        << canonical;
    // A business-clock SLA has no closed_deadline to write.
    EXPECT_NE(canonical.find("\"clock\": \"business\"\n"), std::string::npos)
        << canonical;
    absl::StatusOr<Policy> again = Policy::FromJson(canonical)->policy();
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(again->cadence(), policy->cadence());
    EXPECT_EQ(again->ToJson(), canonical);
  }
}

TEST(PolicyPreset, UnknownNameIsNotFoundListingThePresets) {
  EXPECT_THAT(Policy::Preset("three_levels"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("three_level, abcd, oabc, funnel")));
}

TEST(PolicyPreset, PresetsLoadWithoutIssuesAndMatchTheSources) {
  EXPECT_THAT(Policy::PresetNames(),
              ElementsAre("three_level", "abcd", "oabc", "funnel"));
  struct Expected {
    std::string name;
    std::vector<std::string> grades;
    std::vector<std::string> rule_ids;
    std::vector<FollowUpInterval> follow_up;
    std::vector<std::string> callback_channels;
  };
  const std::vector<Expected> presets = {
      {"three_level",
       {"high", "medium", "low"},
       {"high", "medium", "default"},
       {{7, 7}, {14, 14}, {30, 30}},
       {}},
      {"abcd",
       {"A", "B", "C", "D"},
       {"A", "B", "C", "default"},
       {{3, 3}, {7, 7}, {14, 30}, {30, 90}},
       {}},
      {"oabc",
       {"O", "A", "B", "C"},
       {"O", "A", "B", "default"},
       {{7, 7}, {2, 2}, {7, 7}, {14, 14}},
       {"showroom", "phone"}},
      {"funnel",
       {"tofu", "mofu", "bofu"},
       {"bofu", "mofu", "default"},
       {{30, 30}, {7, 7}, {3, 3}},
       {}},
  };
  for (const Expected& e : presets) {
    SCOPED_TRACE(e.name);
    absl::StatusOr<Policy> p = Policy::Preset(e.name);
    ASSERT_THAT(p, IsOk());
    EXPECT_TRUE(p->warnings().empty()) << FormatIssue(p->warnings().front());
    EXPECT_EQ(p->name(), e.name);
    EXPECT_EQ(std::vector<std::string>(p->grades().begin(), p->grades().end()),
              e.grades);
    std::vector<std::string> ids;
    for (const Rule& r : p->rules()) ids.push_back(r.id);
    EXPECT_EQ(ids, e.rule_ids);
    ASSERT_EQ(p->cadence().follow_up.size(), e.follow_up.size());
    for (size_t g = 0; g < e.follow_up.size(); ++g) {
      EXPECT_EQ(p->cadence().follow_up[g], e.follow_up[g]) << e.grades[g];
    }
    EXPECT_EQ(p->cadence().callback_channels, e.callback_channels);
    EXPECT_EQ(p->cadence().entry,
              (Sla{std::chrono::hours(24), Clock::kCalendar}));
    EXPECT_EQ(p->cadence().first_contact,
              (Sla{std::chrono::hours(1), Clock::kBusiness}));
    // The presets state their deadline rules.
    for (const Sla* sla : {&p->cadence().entry, &p->cadence().thank_you,
                           &p->cadence().callback}) {
      EXPECT_EQ(sla->closed_deadline, ClosedDeadline::kEndOfNextOpenDay);
    }
    for (const std::optional<FollowUpInterval>& f : p->cadence().follow_up) {
      EXPECT_EQ(f->due, IntervalDue::kEndOfDay);
    }
    EXPECT_EQ(p->calendar().name, "cn_showroom");
    EXPECT_EQ(p->calendar().time_zone, "Asia/Shanghai");
    EXPECT_EQ(p->routing().duplicate_window_days, 30);
    EXPECT_EQ(p->routing().max_distance_km, 100);
    EXPECT_EQ(p->routing().experience_years, 2);
    EXPECT_EQ(p->routing().overflow, Overflow::kNextDealer);
    ASSERT_EQ(p->routing().high_intent_grades.size(), 1u);
  }
}

// --- The playbook section (docs/playbook.md) ---------------------------------

// kMinimal with a playbook: a rule on a lead field and the task fields, a
// content type and a goal the policy adds, and the default.
std::string WithPlaybook(const std::string& rules,
                         const std::string& extra = "") {
  return Replace(kMinimal, "\"cadence\"",
                 absl::StrCat("\"playbook\": {", extra, "\"rules\": [", rules,
                              "]}, \"cadence\""));
}

constexpr char kPlaybookRules[] = R"(
    {"id": "green", "when": [{"field": "task", "op": "==", "value": "follow_up"},
                             {"field": "purpose", "op": "==", "value": "environment"},
                             {"field": "grade_now", "op": "==", "value": "hot"},
                             {"field": "touches", "op": ">=", "value": 2}],
     "action": {"method": "phone", "content": "ev_range", "goal": "nurture"},
     "note": "000 §5.2.2", "zh": "介绍新能源车型的续航"},
    {"id": "rest", "action": {"method": "sms", "content": "updates",
                              "goal": "win_back"}})";

constexpr char kPlaybookExtra[] =
    R"("content": ["ev_range"], "goals": ["win_back"], )";

TEST(PolicyPlaybook, ADocumentWithoutOneGetsTheDefaultPlaybook) {
  absl::StatusOr<Policy> policy = Policy::FromJson(kMinimal)->policy();
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->playbook(), DefaultPlaybook());
  // One rule per task kind in the cadence's order, then the default.
  const std::vector<PlaybookRule>& rules = policy->playbook().rules;
  ASSERT_EQ(rules.size(), 14u);
  EXPECT_EQ(rules[0].id, "first_contact");
  EXPECT_EQ(rules[0].action,
            (PlaybookAction{"phone", "introduction", "make_contact"}));
  EXPECT_EQ(rules[1].action,
            (PlaybookAction{"phone", "needs_questions", "confirm_grade"}));
  EXPECT_EQ(rules[2].action, (PlaybookAction{"sms", "thanks",
                                             "agree_next_contact"}));
  EXPECT_EQ(rules[11].id, "lost_review");
  EXPECT_EQ(rules[11].action,
            (PlaybookAction{"phone", "loss_reason", "confirm_loss"}));
  EXPECT_EQ(rules[13].id, "default");
  EXPECT_TRUE(rules[13].when.empty());
  // Each with its guidance in Chinese.
  EXPECT_EQ(rules[0].zh, "电话首次联系,介绍品牌和车型。");
  EXPECT_EQ(rules[13].zh, "每次跟进都带去最新车型、优惠和活动信息。");
  for (const PlaybookRule& rule : rules) EXPECT_FALSE(rule.zh.empty()) << rule.id;
  // The task field only: no lead column is read, nothing is warned.
  EXPECT_TRUE(policy->playbook_fields().empty());
  EXPECT_TRUE(policy->warnings().empty());
  // The canonical document writes it out, and reads back the same.
  const std::string canonical = policy->ToJson();
  EXPECT_NE(canonical.find("\"playbook\": {\n    \"rules\": [\n      {\n"
                           "        \"id\": \"first_contact\""),
            std::string::npos)
      << canonical;
  absl::StatusOr<Policy> again = Policy::FromJson(canonical)->policy();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *policy);
  EXPECT_EQ(again->playbook(), DefaultPlaybook());
}

TEST(PolicyPlaybook, RulesLoadWithTheirVocabularyAndRoundTrip) {
  absl::StatusOr<PolicyLoad> load =
      Policy::FromJson(WithPlaybook(kPlaybookRules, kPlaybookExtra));
  ASSERT_THAT(load, IsOk());
  ASSERT_TRUE(load->issues().empty()) << FormatIssue(load->issues().front());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  const Playbook& book = policy->playbook();
  EXPECT_THAT(book.extra_contents, ElementsAre("ev_range"));
  EXPECT_THAT(book.extra_goals, ElementsAre("win_back"));
  ASSERT_EQ(book.rules.size(), 2u);
  EXPECT_EQ(book.rules[0].id, "green");
  EXPECT_EQ(book.rules[0].when.size(), 4u);
  EXPECT_EQ(book.rules[0].action,
            (PlaybookAction{"phone", "ev_range", "nurture"}));
  EXPECT_EQ(book.rules[0].note, "000 §5.2.2");
  EXPECT_EQ(book.rules[0].zh, "介绍新能源车型的续航");
  EXPECT_EQ(book.rules[1].zh, "");  // none given
  EXPECT_EQ(book.rules[1].action, (PlaybookAction{"sms", "updates",
                                                  "win_back"}));
  // Lead fields only: task, grade_now and touches are not lead columns.
  EXPECT_THAT(policy->playbook_fields(), ElementsAre("purpose"));
  EXPECT_THAT(policy->fields(), ElementsAre("purchase_within_days"));
  const std::vector<std::string> contents = policy->PlaybookContentValues();
  EXPECT_EQ(contents.back(), "ev_range");
  EXPECT_EQ(contents.size(), PlaybookContents().size() + 1);
  EXPECT_EQ(policy->PlaybookGoalValues().back(), "win_back");
  const std::string canonical = policy->ToJson();
  EXPECT_NE(canonical.find("\"note\": \"000 §5.2.2\",\n        \"zh\": "
                           "\"介绍新能源车型的续航\""),
            std::string::npos)
      << canonical;
  absl::StatusOr<Policy> again = Policy::FromJson(canonical)->policy();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->playbook(), book);
  EXPECT_EQ(again->ToJson(), canonical);
}

TEST(PolicyPlaybook, ChineseNamesOfItsWordsLoadAndRoundTrip) {
  // The policy's own words and a documented one, each named in Chinese.
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(WithPlaybook(
      kPlaybookRules,
      absl::StrCat(kPlaybookExtra,
                   R"("zh": {"content": {"ev_range": "新能源续航"},
                             "goals": {"win_back": "挽回客户",
                                       "nurture": "长期培育"}}, )")));
  ASSERT_THAT(load, IsOk());
  ASSERT_TRUE(load->issues().empty()) << FormatIssue(load->issues().front());
  absl::StatusOr<Policy> policy = load->policy();
  ASSERT_THAT(policy, IsOk());
  const Playbook& book = policy->playbook();
  EXPECT_THAT(book.zh_contents, ElementsAre(Pair("ev_range", "新能源续航")));
  EXPECT_THAT(book.zh_goals, ElementsAre(Pair("nurture", "长期培育"),
                                         Pair("win_back", "挽回客户")));
  // The canonical document writes them after the words, and reads back the
  // same.
  const std::string canonical = policy->ToJson();
  EXPECT_NE(canonical.find("\"zh\": {\n      \"content\": {\n        "
                           "\"ev_range\": \"新能源续航\"\n      },"),
            std::string::npos)
      << canonical;
  absl::StatusOr<Policy> again = Policy::FromJson(canonical)->policy();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->playbook(), book);
  EXPECT_EQ(again->ToJson(), canonical);
  // Without them, none.
  EXPECT_TRUE(
      Policy::FromJson(kMinimal)->policy()->playbook().zh_goals.empty());
}

TEST(PolicyPlaybook, ReportsEachProblemWithPathRuleAndMessage) {
  const std::string rules = kPlaybookRules;
  const std::string extra = kPlaybookExtra;
  const std::vector<ErrorCase> cases = {
      {.name = "not an object",
       .text = Replace(kMinimal, "\"cadence\"", "\"playbook\": [], \"cadence\""),
       .severity = Severity::kError,
       .path = "/playbook",
       .message = "expected an object"},
      {.name = "no rules",
       .text = Replace(kMinimal, "\"cadence\"", "\"playbook\": {}, \"cadence\""),
       .severity = Severity::kError,
       .path = "/playbook",
       .message = "missing required key \"rules\""},
      {.name = "empty rules",
       .text = WithPlaybook(""),
       .severity = Severity::kError,
       .path = "/playbook/rules",
       .message = "expected a non-empty array of rules"},
      {.name = "unknown key of the section",
       .text = WithPlaybook(rules, extra + "\"goal\": [], "),
       .severity = Severity::kError,
       .path = "/playbook/goal",
       .message = "unknown key \"goal\"; did you mean \"goals\"?"},
      {.name = "unknown key of a rule",
       .text = WithPlaybook(Replace(rules, "\"note\"", "\"notes\""), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/notes",
       .rule = "green",
       .message = "unknown key \"notes\""},
      {.name = "a zh text that is not text",
       .text = WithPlaybook(Replace(rules, "\"介绍新能源车型的续航\"", "3"), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/zh",
       .rule = "green",
       .message = "expected a string, got the number 3"},
      {.name = "a rule without an action",
       .text = WithPlaybook(Replace(rules, "\"action\": {\"method\": \"sms\", "
                                           "\"content\": \"updates\",\n"
                                           "                              "
                                           "\"goal\": \"win_back\"}",
                                    "\"note\": \"x\""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/1",
       .rule = "rest",
       .message = "missing required key \"action\""},
      {.name = "an action without a goal",
       .text = WithPlaybook(Replace(rules, ", \"goal\": \"nurture\"", ""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/action",
       .rule = "green",
       .message = "missing required key \"goal\""},
      {.name = "unknown method",
       .text = WithPlaybook(Replace(rules, "\"phone\"", "\"phnoe\""), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/action/method",
       .rule = "green",
       .message = "unknown method \"phnoe\"; did you mean \"phone\"?"},
      {.name = "a method the policy cannot add",
       .text = WithPlaybook(Replace(rules, "\"phone\"", "\"fax\""), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/action/method",
       .rule = "green",
       .message = "unknown method \"fax\" (expected one of phone, sms, email, "
                  "wechat, visit, test_drive, event)"},
      {.name = "content type not declared",
       .text = WithPlaybook(rules, "\"goals\": [\"win_back\"], "),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/action/content",
       .rule = "green",
       .message = "unknown content type \"ev_range\""},
      {.name = "misspelt content type",
       .text = WithPlaybook(Replace(rules, "\"updates\"", "\"update\""), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/1/action/content",
       .rule = "rest",
       .message = "unknown content type \"update\"; did you mean "
                  "\"updates\"?; a policy may declare more under "
                  "/playbook/content"},
      {.name = "goal not declared",
       .text = WithPlaybook(rules, "\"content\": [\"ev_range\"], "),
       .severity = Severity::kError,
       .path = "/playbook/rules/1/action/goal",
       .rule = "rest",
       .message = "unknown goal \"win_back\""},
      {.name = "a documented content type declared again",
       .text = WithPlaybook(rules,
                            "\"content\": [\"ev_range\", \"offer\"], "
                            "\"goals\": [\"win_back\"], "),
       .severity = Severity::kWarning,
       .path = "/playbook/content/1",
       .message = "\"offer\" is already a documented content type"},
      {.name = "a goal declared twice",
       .text = WithPlaybook(rules,
                            "\"content\": [\"ev_range\"], "
                            "\"goals\": [\"win_back\", \"win_back\"], "),
       .severity = Severity::kError,
       .path = "/playbook/goals/1",
       .message = "goal \"win_back\" is declared twice"},
      {.name = "a Chinese name of a word the policy lacks",
       .text = WithPlaybook(
           rules, extra + R"("zh": {"content": {"ev_rnge": "续航"}}, )"),
       .severity = Severity::kError,
       .path = "/playbook/zh/content/ev_rnge",
       .message = "unknown content type \"ev_rnge\"; did you mean "
                  "\"ev_range\"?; a policy may declare more under "
                  "/playbook/content"},
      {.name = "a Chinese name that is not text",
       .text = WithPlaybook(rules,
                            extra + R"("zh": {"goals": {"win_back": 3}}, )"),
       .severity = Severity::kError,
       .path = "/playbook/zh/goals/win_back",
       .message = "expected a non-empty name, got the number 3"},
      {.name = "an empty Chinese name",
       .text = WithPlaybook(rules,
                            extra + R"("zh": {"goals": {"nurture": ""}}, )"),
       .severity = Severity::kError,
       .path = "/playbook/zh/goals/nurture",
       .message = "expected a non-empty name, got \"\""},
      {.name = "unknown key of the Chinese names",
       .text = WithPlaybook(rules, extra + R"("zh": {"goal": {}}, )"),
       .severity = Severity::kError,
       .path = "/playbook/zh/goal",
       .message = "unknown key \"goal\"; did you mean \"goals\"?"},
      {.name = "Chinese names that are no object",
       .text = WithPlaybook(rules,
                            extra + R"("zh": {"content": ["续航"]}, )"),
       .severity = Severity::kError,
       .path = "/playbook/zh/content",
       .message = "expected an object"},
      {.name = "unknown field",
       .text = WithPlaybook(Replace(rules, "\"grade_now\"", "\"grade_nw\""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/when/2/field",
       .rule = "green",
       .message = "unknown lead or task field \"grade_nw\"; did you mean "
                  "\"grade_now\"?"},
      {.name = "unknown task",
       .text = WithPlaybook(Replace(rules, "\"follow_up\"", "\"folow_up\""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/when/0/value",
       .rule = "green",
       .message = "unknown task \"folow_up\"; did you mean \"follow_up\"?"},
      {.name = "grade_now names an undeclared grade",
       .text = WithPlaybook(Replace(rules, "\"value\": \"hot\"",
                                    "\"value\": \"warm\""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/when/2/value",
       .rule = "green",
       .message = "unknown grade_now \"warm\" (expected one of hot, cold)"},
      {.name = "touches compared with a string",
       .text = WithPlaybook(Replace(rules, "\"value\": 2", "\"value\": \"2\""),
                            extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/0/when/3/value",
       .rule = "green",
       .message = "field \"touches\" is a number field; expected a number "
                  "value"},
      {.name = "duplicate rule id",
       .text = WithPlaybook(Replace(rules, "\"rest\"", "\"green\""), extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/1/id",
       .rule = "green",
       .message = "duplicate rule id \"green\" (first used at "
                  "/playbook/rules/0)"},
      {.name = "no default rule",
       .text = WithPlaybook(
           Replace(rules, "{\"id\": \"rest\", ",
                   "{\"id\": \"rest\", \"when\": [{\"field\": \"task\", "
                   "\"op\": \"==\", \"value\": \"callback\"}], "),
           extra),
       .severity = Severity::kError,
       .path = "/playbook/rules/1",
       .rule = "rest",
       .message = "no default rule: the last playbook rule must have no "
                  "conditions"},
      {.name = "a task field in a classification rule",
       .text = Replace(kMinimal, "\"purchase_within_days\"", "\"task\""),
       .severity = Severity::kError,
       .path = "/rules/0/when/0/field",
       .rule = "hot",
       .message = "unknown lead field \"task\""},
      {.name = "a shadowed rule",
       .text = WithPlaybook(
           R"({"id": "calls", "when": [{"field": "task", "op": "in", "value": ["callback", "first_contact"]}],
                "action": {"method": "phone", "content": "introduction", "goal": "make_contact"}},
               {"id": "callbacks", "when": [{"field": "task", "op": "==", "value": "callback"}],
                "action": {"method": "phone", "content": "needs_questions", "goal": "confirm_grade"}},
               {"id": "rest", "action": {"method": "sms", "content": "updates", "goal": "keep_interest"}})"),
       .severity = Severity::kWarning,
       .path = "/playbook/rules/1",
       .rule = "callbacks",
       .message = "rule \"callbacks\" can never fire: the earlier rule "
                  "\"calls\" (/playbook/rules/0) takes every lead it would"},
      {.name = "a rule after the default",
       .text = WithPlaybook(
           R"({"id": "rest", "action": {"method": "sms", "content": "updates", "goal": "keep_interest"}},
               {"id": "late", "action": {"method": "phone", "content": "updates", "goal": "keep_interest"}})"),
       .severity = Severity::kWarning,
       .path = "/playbook/rules/1",
       .rule = "late",
       .message = "rule \"rest\" before it has no conditions"},
  };
  ExpectEachFound(cases);
}

TEST(PolicyPlaybook, TaskNamesAreTheCadencesTaskKinds) {
  // lead.h holds the one list; cadence.h's TaskName reads it.
  ASSERT_EQ(TaskNames().size(), 13u);
  EXPECT_EQ(TaskNames().front(), "first_contact");
  EXPECT_EQ(TaskNames().back(), "downgrade_review");
  ASSERT_NE(FindPlaybookField("task"), nullptr);
  EXPECT_EQ(FindPlaybookField("task")->values.size(), 13u);
  EXPECT_EQ(FindLeadField("grade_now"), nullptr);
  EXPECT_EQ(FindPlaybookField("touches")->type, FieldType::kNumber);
}

}  // namespace
}  // namespace leadkit
