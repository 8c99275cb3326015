// Classification: grading leads by intent under a policy's decision list. The
// first rule whose conditions all hold gives the grade; a comparison with a
// null value is false; the last rule has no conditions, so every lead gets a
// grade.
//
//   grade(lead) = rules[min { r : when_r(lead) }].grade
//
// The batch path resolves columns and string literals once per call, then
// evaluates the rules over blocks of rows with no allocation and no string
// comparison per row. Both calls are const on the policy and safe to run from
// many threads at once.
//
// Personal fields (name, phone, wechat, email) compare in normalised form
// (NormalizeValue in phone.h): the policy's literals when it is compiled, a
// batch's dictionary entries once per call. `phone == "13800138000"` holds for
// "+86 138-0013-8000"; reasons and traces show both sides normalised and
// masked: `phone == "138****8000" (value: "138****8000")`.
//
// Example (three_level preset):
//   LeadRecord lead;
//   lead.SetString("model", "C200").SetBool("asked_price", true)
//       .SetNumber("purchase_within_days", 30);
//   absl::StatusOr<Classification> c = Classify(policy, lead.AsColumns());
//   // c->grade_name == "high", c->rule_id == "high",
//   // c->reasons == {"model not_null (value: \"C200\")", "asked_price == true
//   (value: true)",
//   //                "purchase_within_days <= 90 (value: 30)"}
#ifndef LEADKIT_CLASSIFY_H_
#define LEADKIT_CLASSIFY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit {

// The grade of one lead and why.
struct Classification {
  int grade = 0;  // index into Policy::grades()
  int rule = 0;   // index into Policy::rule_ids() (rules, then the scoring)
  std::string grade_name;  // Policy::grades()[grade]
  std::string rule_id;     // Policy::rule_ids()[rule]
  // The conditions that made the rule fire, with the lead's values (personal
  // data masked); for a rule without conditions, one entry saying no earlier
  // rule held.
  std::vector<std::string> reasons;
};

// One step of a why-not trace.
struct TraceEntry {
  std::string rule;  // id of a rule, or of a scoring item
  bool fired =
      false;  // the rule fired; for a scoring item, its conditions held
  // A rule that did not fire: its first failed condition (an any_of fails as a
  // whole). A rule that fired, or a scoring item: its conditions.
  std::string condition;
  std::string value;  // the lead's values of those fields, personal data masked
  std::optional<double>
      points;  // scoring items: the points added (0 when not held)
};

// A classification with its why-not trace: every rule before the one that fired
// (each with the condition that failed and the lead's value), then the fired
// rule; when scoring graded the lead, every scoring item with its points, and
// the total.
struct Explanation : Classification {
  std::vector<TraceEntry> trace;
  std::optional<double>
      score;  // the scoring total, when scoring graded the lead
};

// Grades every row of `leads`: grades[i] and rules[i] receive indices into the
// policy's grades() and rules(). Both spans hold leads.num_rows() values. A
// column the rules do not read is ignored; a field the rules read but `leads`
// lacks is null in every row. InvalidArgument when a column's type does not fit
// its field (a string column for purchase_within_days).
absl::Status ClassifyBatch(const Policy& policy, const Columns& leads,
                           std::span<int32_t> grades, std::span<int32_t> rules);

// The scoring total of every row of `leads`, whether or not a rule of the
// decision list would take the lead: `scores` holds leads.num_rows() values.
// FailedPrecondition when the policy has no scoring; InvalidArgument as
// ClassifyBatch.
absl::Status ScoreBatch(const Policy& policy, const Columns& leads,
                        std::span<double> scores);

// Grades row `row` of `leads` and explains the grade. OutOfRange for a row past
// the end.
absl::StatusOr<Classification> Classify(const Policy& policy,
                                        const Columns& leads, int64_t row = 0);

// Classify, with the why-not trace.
absl::StatusOr<Explanation> Explain(const Policy& policy, const Columns& leads,
                                    int64_t row = 0);

}  // namespace leadkit

#endif  // LEADKIT_CLASSIFY_H_
