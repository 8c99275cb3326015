// The compiled form of a policy, shared by the loader (policy.cc,
// policy_check.cc) and the rule evaluator (classify.cc). Not part of the API.
#ifndef LEADKIT_SRC_POLICY_INTERNAL_H_
#define LEADKIT_SRC_POLICY_INTERNAL_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json_reader.h"
#include "leadkit/calendar.h"
#include "leadkit/lead.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace policy_internal {

// A comparison, with its literals converted once for the evaluator.
struct CompiledLeaf {
  const LeadFieldInfo* field = nullptr;
  Op op = Op::kEq;
  std::vector<double> numbers;       // number and bool fields (bool as 0/1)
  std::vector<std::string> strings;  // string fields; personal ones
                                     // normalised (NormalizeValue)
  std::string text;  // "purchase_within_days <= 90", for reasons and traces
};

// A node of a rule's condition tree, flattened: leaves point into `leaves`,
// groups list their children's node indices.
struct CompiledNode {
  enum class Kind { kLeaf, kAllOf, kAnyOf };
  Kind kind = Kind::kLeaf;
  int leaf = -1;
  std::vector<int> children;
};

struct CompiledRule {
  int root = -1;  // node index; -1 = no conditions (always holds)
  int grade = 0;
};

struct CompiledPlaybookRule {
  int root = -1;  // node index; -1 = no conditions (always holds)
};

struct CompiledScoreItem {
  int root = -1;  // node index; -1 = always holds
  double points = 0;
};

// Renders a literal as in a policy document: 90, true, "C200".
std::string LiteralText(const Literal& literal);

// Renders a condition as in reasons and traces: "purchase_within_days <= 90",
// "any_of(asked_price == true, asked_config == true)".
std::string ConditionText(const Condition& condition);

// `condition` with every string literal of a personal field in the form rules
// compare it (NormalizeValue: "+86 138-0013-8000" -> "13800138000"), in groups
// too. The policy keeps the literals as written; the evaluator and the
// reachability analysis use this form.
Condition NormalizedCondition(const Condition& condition);

// Appends the warnings about rules that can never fire
// (docs/policy.md#warnings). `section` is the JSON Pointer of the rules'
// array ("/rules", "/playbook/rules"); a rule's `grade` is not read.
void CheckReachability(const std::vector<Rule>& rules,
                       std::vector<Issue>& issues,
                       absl::string_view section = "/rules");

// Renders a score band as "[50, 80)", "[80, inf)", "(-inf, 50)".
std::string BandText(const ScoreBand& band);

}  // namespace policy_internal

struct PolicyData {
  std::string name;
  std::string description;
  std::vector<std::string> grades;
  std::vector<Rule> rules;
  std::optional<Scoring> scoring;
  std::vector<std::string> rule_ids;  // rules' ids, then the scoring id
  CadenceSettings cadence;
  CalendarRef calendar;
  // The calendars, resolved; and `calendar` and `calendars` as the document
  // wrote them (null when absent), which ToJson writes back.
  std::optional<Calendar> business_calendar;
  std::map<std::string, Calendar, std::less<>> dealer_calendars;
  json_internal::Json calendar_doc;
  json_internal::Json calendars_doc;
  RoutingSettings routing;
  ScorecardSettings scorecard;
  // "extra_values": field -> values beyond its documented set, in document
  // order.
  std::vector<std::pair<std::string, std::vector<std::string>>> extra_values;
  std::vector<Issue> warnings;
  std::vector<std::string> fields;
  std::vector<policy_internal::CompiledLeaf> leaves;
  std::vector<policy_internal::CompiledNode> nodes;
  std::vector<policy_internal::CompiledRule> compiled_rules;
  std::vector<policy_internal::CompiledScoreItem> compiled_score;
  // The playbook, compiled after the rules and the scoring: its leaves are
  // [playbook_leaves, leaves.size()) of the one pool, so classification binds
  // only the leaves before them and the playbook only its own.
  Playbook playbook;
  std::vector<std::string> playbook_fields;
  std::vector<policy_internal::CompiledPlaybookRule> compiled_playbook;
  int playbook_leaves = 0;
  std::string canonical_json;
};

}  // namespace leadkit

#endif  // LEADKIT_SRC_POLICY_INTERNAL_H_
