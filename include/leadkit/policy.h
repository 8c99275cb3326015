// A dealer's policy: the grading scheme, the classification rules, the
// follow-up cadence, the calendar and the routing settings, loaded from a JSON
// document (docs/policy.md) once and then shared, immutable, by every engine.
//
// Loading never stops at the first problem: it returns every issue it finds,
// each with a severity, a JSON Pointer into the document and, where there is
// one, the rule id (the cel-cpp validation pattern). The policy is usable only
// when no issue is an error.
//
// Example:
//   absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);  // error only
//   for non-UTF-8 for (const Issue& issue : load->issues()) std::cerr <<
//   FormatIssue(issue) << "\n"; absl::StatusOr<Policy> policy = load->policy();
//   // FailedPrecondition while errors exist policy->grades();  // {"high",
//   "medium", "low"}
#ifndef LEADKIT_POLICY_H_
#define LEADKIT_POLICY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "date/date.h"
#include "leadkit/calendar.h"
#include "leadkit/issue.h"

namespace leadkit {

// Comparison operators of rule conditions. A comparison with a null value is
// false.
enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kIsNull, kNotNull };

// Returns the operator's spelling in policy documents: "==", "!=", "<", "<=",
// ">", ">=", "in", "is_null", "not_null".
absl::string_view OpName(Op op);

// A literal in a condition: a number, a boolean or a string, matching the
// field's type.
using Literal = std::variant<double, bool, std::string>;

// A condition: a comparison of one lead field, or a group (`all_of` / `any_of`)
// of conditions.
struct Condition {
  enum class Kind { kCompare, kAllOf, kAnyOf };
  Kind kind = Kind::kCompare;
  std::string field;  // kCompare: the lead field
  Op op = Op::kEq;    // kCompare: the operator
  std::vector<Literal>
      values;  // kCompare: one literal, several for `in`, none for null tests
  std::vector<Condition> children;  // groups: the members

  bool operator==(const Condition&) const = default;
};

// A condition as reasons and traces show it, personal literals masked:
// "purchase_within_days <= 90", "any_of(asked_price == true, ...)".
std::string FormatCondition(const Condition& condition);

// A rule of the decision list: when every condition of `when` holds (an empty
// `when` always holds), the lead gets `grade`. The first rule that holds wins.
struct Rule {
  std::string id;
  std::vector<Condition> when;  // implicitly all_of
  int grade = 0;                // index into Policy::grades()
  std::string note;  // free text: where the rule comes from, why it reads so

  bool operator==(const Rule&) const = default;
};

// Point scoring, a second kind of rule (docs/policy.md#point-scoring): each
// item whose conditions hold adds its points; the total falls in exactly one
// band, which gives the grade. When a policy has both, the decision list goes
// first and scoring grades the leads no rule took.
struct ScoreItem {
  std::string id;
  std::vector<Condition> when;  // implicitly all_of; empty = always holds
  double points = 0;
  std::string note;

  bool operator==(const ScoreItem&) const = default;
};

// A band of totals: [min, max), an absent bound unbounded.
struct ScoreBand {
  std::optional<double> min;
  std::optional<double> max;
  int grade = 0;  // index into Policy::grades()

  bool operator==(const ScoreBand&) const = default;
};

struct Scoring {
  std::string id =
      "scoring";  // the rule id results name when scoring gave the grade
  std::vector<ScoreItem> items;
  std::vector<ScoreBand>
      bands;  // sorted by min, covering every total exactly once

  bool operator==(const Scoring&) const = default;
};

// Which clock an SLA counts on: wall time, or the dealer calendar's open hours.
enum class Clock { kCalendar, kBusiness };

// Returns "calendar" or "business".
absl::string_view ClockName(Clock clock);

// Where a calendar-clock deadline that lands in closed time goes
// (docs/cadence.md#deadlines-in-closed-time). A deadline lands in closed time
// when the calendar is closed at it and the second before it (a deadline at a
// closing time, 18:00, is met by a touch before it).
enum class ClosedDeadline {
  kKeep,              // "keep": the instant itself
  kNextOpen,          // "next_open": the next opening instant
  kEndOfNextOpenDay,  // "end_of_next_open_day": the closing time of the day
                      // of that next opening (the first open day at or after
                      // the instant)
};

// Returns "keep", "next_open" or "end_of_next_open_day".
absl::string_view ClosedDeadlineName(ClosedDeadline rule);

// A deadline relative to a start: `duration` counted on `clock`.
struct Sla {
  std::chrono::seconds duration{0};
  Clock clock = Clock::kCalendar;
  // Calendar clock only (a business-clock deadline ends in or at the close of
  // open time): where a deadline in closed time goes. Default: the presets'.
  ClosedDeadline closed_deadline = ClosedDeadline::kEndOfNextOpenDay;

  bool operator==(const Sla&) const = default;
};

// When a follow-up interval's day falls due (docs/cadence.md). Its day is the
// local date of the touch plus the interval's days, or the first open day
// after that date when the date has no open hours.
enum class IntervalDue {
  kEndOfDay,  // "end_of_day": the closing time of that open day
  kExact,     // "exact": the touch's wall time that many days later, rolled
              // to the next opening when closed
};

// Returns "end_of_day" or "exact".
absl::string_view IntervalDueName(IntervalDue due);

// A follow-up interval in days. A single number has min_days == max_days; a
// range ("every 2 weeks to 1 month") puts the task on the agenda at min_days
// and makes it due at max_days.
struct FollowUpInterval {
  int min_days = 0;
  int max_days = 0;
  IntervalDue due = IntervalDue::kEndOfDay;  // when max_days falls due

  bool is_range() const { return min_days != max_days; }
  bool operator==(const FollowUpInterval&) const = default;
};

// A day every customer is greeted on (major holidays, 001 §3.1).
struct Greeting {
  date::local_days day;
  std::string name;

  bool operator==(const Greeting&) const = default;
};

// A promotion or launch of a model: leads interested in it are told on that day
// (001 §3.1).
struct Campaign {
  std::string model;
  date::local_days day;
  std::string name;

  bool operator==(const Campaign&) const = default;
};

// The cadence table (docs/policy.md#cadence). Every default is the presets'
// value.
struct CadenceSettings {
  Sla entry{std::chrono::hours(24),
            Clock::kCalendar};  // collection -> entry (000 §4.2.1)
  Sla first_contact{std::chrono::hours(1),
                    Clock::kBusiness};  // assignment -> first touch
  Sla thank_you{std::chrono::hours(24),
                Clock::kCalendar};  // first touch -> thank-you
  std::vector<std::string>
      callback_channels;  // channels called back to confirm the grade
  Sla callback{std::chrono::hours(24),
               Clock::kCalendar};  // creation -> callback
  // Per grade (indexed like Policy::grades()); nullopt = no follow-up tasks for
  // that grade.
  std::vector<std::optional<FollowUpInterval>> follow_up;
  int order_follow_up_days =
      7;  // won, not yet delivered: follow up every N days
  int lost_nurture_days =
      90;  // lost and approved: keep in touch every N days; 0 = never
  int first_service_months =
      3;  // after delivery: first-service reminder after N months
  int owner_care_early_days = 14;  // owners: every N days ...
  int owner_care_early_months =
      3;  // ... during the first N months after delivery ...
  int owner_care_later_days = 90;  // ... then every N days (002 §2.3)
  Sla lost_review{std::chrono::hours(48),
                  Clock::kBusiness};  // supervisor review of a loss
  int downgrade_after_missed =
      2;  // missed follow-up deadlines in a row before a review
  Sla downgrade_review{std::chrono::hours(48), Clock::kBusiness};
  std::vector<Greeting> greetings;  // holiday greetings, in date order
  std::vector<Campaign> campaigns;  // model campaigns, in date order

  bool operator==(const CadenceSettings&) const = default;
};

// Which business calendar the dealer works on, and its time zone (IANA name):
// a preset's name, or the name of the calendar document the policy gives
// inline or by file (docs/policy.md#calendar). Policy::business_calendar() is
// the calendar itself.
struct CalendarRef {
  std::string name = "cn_showroom";
  std::string time_zone = "Asia/Shanghai";

  bool operator==(const CalendarRef&) const = default;
};

// What routing does with a lead whose nearest dealer cannot serve it: no
// active consultant there knows the model, or all who do are at capacity
// (docs/routing.md#overflow).
enum class Overflow {
  kNextDealer,  // "next_dealer": the next nearest dealers within
                // max_distance_km, in distance order
  kNone,        // "none": the lead stays unassigned at its nearest dealer
};

// Returns "next_dealer" or "none".
absl::string_view OverflowName(Overflow overflow);

// Routing settings (docs/policy.md#routing).
struct RoutingSettings {
  int duplicate_window_days =
      30;  // same normalised phone within N days = duplicate
  double max_distance_km = 100;  // nearest dealer only within this distance
  std::vector<int>
      high_intent_grades;       // grades that need an experienced consultant
  double experience_years = 2;  // experience a high-intent lead needs
  int reclaim_limit = 2;  // reclaims before a lead is escalated to the manager
  Overflow overflow =
      Overflow::kNextDealer;  // when the nearest dealer cannot serve a lead

  bool operator==(const RoutingSettings&) const = default;
};

// Appraisal weights (docs/policy.md#scorecard, 000 §8.2.1): KPI rate name ->
// weight, by rate name. Empty when the policy has no scorecard.
struct ScorecardSettings {
  std::vector<std::pair<std::string, double>> weights;

  bool operator==(const ScorecardSettings&) const = default;
};

// The KPI rates a scorecard may weigh (kpi.h).
std::span<const absl::string_view> ScorecardRates();

// The follow-up playbook (docs/playbook.md): what to do for a task — by
// which method, with what content, to what goal. An ordered decision list in
// the condition language of the rules; a condition may read every lead field
// and the task fields (lead.h, TaskFields: task, grade_now, touches). The
// first rule that holds gives the action; the last rule has no conditions.
//
//   action(task) = rules[min { r : when_r(lead, task) }].action
struct PlaybookAction {
  std::string method;   // one of PlaybookMethods()
  std::string content;  // PlaybookContents() or the policy's extra contents
  std::string goal;     // PlaybookGoals() or the policy's extra goals

  bool operator==(const PlaybookAction&) const = default;
};

struct PlaybookRule {
  std::string id;
  std::vector<Condition> when;  // implicitly all_of; empty = always holds
  PlaybookAction action;
  std::string note;  // where the rule comes from (a source section)
  // The rule's guidance in Simplified Chinese (the document's "zh"; empty when
  // it has none): what a zh report shows for the rule.
  std::string zh;

  bool operator==(const PlaybookRule&) const = default;
};

struct Playbook {
  // Content types and goals beyond the documented vocabularies, in document
  // order.
  std::vector<std::string> extra_contents;
  std::vector<std::string> extra_goals;
  // Names in Simplified Chinese for words of the two vocabularies, documented
  // or the policy's own (the document's "zh": {"content": {...}, "goals":
  // {...}}), word -> name: what a zh report shows for the word, before the
  // message catalogue's name. Empty when the document gives none.
  std::map<std::string, std::string, std::less<>> zh_contents;
  std::map<std::string, std::string, std::less<>> zh_goals;
  std::vector<PlaybookRule> rules;  // non-empty; the last has no conditions

  bool operator==(const Playbook&) const = default;
};

// The methods of contact, documented in docs/playbook.md (001 §3.2):
// "phone", "sms", "email", "wechat", "visit", "test_drive", "event". Closed:
// a policy cannot add methods.
std::span<const absl::string_view> PlaybookMethods();
// The documented content types a rule may give (docs/playbook.md); a policy
// may add more under playbook.content.
std::span<const absl::string_view> PlaybookContents();
// The documented goals a rule may give (docs/playbook.md); a policy may add
// more under playbook.goals.
std::span<const absl::string_view> PlaybookGoals();

// leadkit's default playbook, which a policy document without `playbook`
// gets: one rule per task kind, then a default (docs/playbook.md, "The
// default playbook").
const Playbook& DefaultPlaybook();

struct PolicyData;  // defined in src/

// What a policy document may name beside itself: the calendar files its
// `calendar`, its `calendars` and their `extends` refer to
// (`{"file": "calendars/shanghai_2027.json"}`). leadkit never opens a file:
// the caller reads each reference (Policy::FileReferences) and supplies the
// loaded calendar under the reference as written (python/leadkit:
// Policy.load resolves them relative to the policy file).
struct PolicyLoadOptions {
  std::map<std::string, Calendar, std::less<>> calendar_files;
};

// An immutable, validated policy. Copies share one compiled representation;
// every const method is thread-safe.
class Policy {
 public:
  // Parses and validates a policy document. The status is an error only when
  // the call itself is wrong (the text is not UTF-8); problems in the document
  // are issues of the PolicyLoad.
  static absl::StatusOr<class PolicyLoad> FromJson(absl::string_view text);
  // With the calendars the document's file references stand for. A reference
  // the options lack is an error issue at its path (/calendar/file).
  static absl::StatusOr<class PolicyLoad> FromJson(
      absl::string_view text, const PolicyLoadOptions& options);

  // The calendar file references a policy document names, as written, each
  // once, for the caller to read before FromJson. Empty for text that does
  // not parse (FromJson reports it).
  // Example: {"calendar": {"file": "sh_2027.json"}} -> {"sh_2027.json"}
  static std::vector<std::string> FileReferences(absl::string_view text);

  // One of the presets (PresetNames()). NotFound for another name.
  static absl::StatusOr<Policy> Preset(absl::string_view name);

  // "three_level", "abcd", "oabc", "funnel".
  static std::vector<std::string> PresetNames();

  // The canonical document: every field written out, in a fixed order.
  // FromJson(ToJson()) gives an equal policy whose ToJson() is the same text.
  std::string ToJson() const;

  const std::string& name() const;
  const std::string& description() const;
  std::span<const std::string> grades() const;
  // Index of `grade` in grades(), or nullopt.
  std::optional<int> GradeIndex(absl::string_view grade) const;
  std::span<const Rule> rules() const;
  // The point scoring, when the policy has one.
  const std::optional<Scoring>& scoring() const;
  // The ids results name: every rule's, then the scoring's when there is one. A
  // classification's `rule` indexes this list.
  std::span<const std::string> rule_ids() const;
  const CadenceSettings& cadence() const;
  const CalendarRef& calendar() const;
  // The calendar deadlines are judged on: the policy's `calendar` resolved (a
  // preset read in the policy's zone, an inline document, or a file).
  const Calendar& business_calendar() const;
  // The named calendars of `calendars`, by name: a dealer whose `calendar`
  // column names one has its deadlines judged on it (docs/policy.md#calendar).
  const std::map<std::string, Calendar, std::less<>>& dealer_calendars() const;
  const RoutingSettings& routing() const;
  const ScorecardSettings& scorecard() const;
  // The values rules may compare a categorical lead field with: its
  // documented set (LeadFieldInfo::values), then the values the policy
  // declares under "extra_values". Empty for a field without a value set.
  // Example:
  //   Preset("abcd")->FieldValues("status");  // open, won, lost, invalid
  std::vector<std::string> FieldValues(absl::string_view field) const;
  // The follow-up playbook: the document's, or DefaultPlaybook() when it has
  // none.
  const Playbook& playbook() const;
  // The lead fields the playbook's rules read, in order of first use (the
  // task fields not included).
  std::span<const std::string> playbook_fields() const;
  // Every content type / goal a playbook rule may give: the documented ones,
  // then the policy's extra ones.
  std::vector<std::string> PlaybookContentValues() const;
  std::vector<std::string> PlaybookGoalValues() const;
  // Warning-severity issues found at load.
  std::span<const Issue> warnings() const;
  // The lead fields the rules read, in order of first use.
  std::span<const std::string> fields() const;

  // Equal when the canonical documents and the calendars are equal (a file
  // reference reads the same in two documents whose files differ).
  bool operator==(const Policy& other) const;

  const PolicyData& data() const { return *data_; }

 private:
  friend class PolicyLoad;
  explicit Policy(std::shared_ptr<const PolicyData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const PolicyData> data_;
};

// What loading a policy document found: every issue, and the policy when none
// is an error.
class PolicyLoad {
 public:
  // The policy, or FailedPrecondition naming the first errors while any error
  // exists.
  absl::StatusOr<Policy> policy() const;
  std::span<const Issue> issues() const { return issues_; }
  bool has_errors() const;

 private:
  friend class Policy;
  std::shared_ptr<const PolicyData> data_;  // null when errors exist
  std::vector<Issue> issues_;
};

}  // namespace leadkit

#endif  // LEADKIT_POLICY_H_
