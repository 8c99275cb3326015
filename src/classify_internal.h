// The decision-list evaluator of classify.cc, shared with the playbook
// (playbook.cc): both lists' conditions live in the one compiled node pool of
// a policy (policy_internal.h), and one evaluator runs them over blocks of
// rows. Not part of the API.
#ifndef LEADKIT_SRC_CLASSIFY_INTERNAL_H_
#define LEADKIT_SRC_CLASSIFY_INTERNAL_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadkit/columns.h"
#include "policy_internal.h"

namespace leadkit {
namespace classify_internal {

// Rows are evaluated in blocks of this many.
inline constexpr int kBlock = 512;

// A leaf resolved against one batch: its column and, for strings, which
// dictionary codes match.
struct BoundLeaf {
  const policy_internal::CompiledLeaf* leaf = nullptr;
  const Column* column =
      nullptr;  // nullptr: the batch lacks the field, so it is all null
  std::vector<uint8_t>
      code_match;  // string comparisons: 1 for codes equal to a literal
};

// Evaluates a policy's condition trees over blocks of one batch.
class Evaluator {
 public:
  // Binds the classification's leaves (the rules' and the scoring's).
  static absl::StatusOr<Evaluator> Bind(const PolicyData& policy,
                                        const Columns& leads);
  // Binds the leaves [leaf_begin, leaf_end) of the policy's pool to the
  // columns of `leads` (by field name); the others are never evaluated.
  // InvalidArgument when a column's type does not fit its field.
  static absl::StatusOr<Evaluator> Bind(const PolicyData& policy,
                                        const Columns& leads, int leaf_begin,
                                        int leaf_end);

  // Evaluates node `index` (and its subtree) for rows [begin, begin + n).
  const uint8_t* Eval(int index, int64_t begin, int n);

  // The result of node `index` for the first row of the last block it was
  // evaluated on.
  bool Result(int index) const {
    return results_[static_cast<size_t>(index) * kBlock] != 0;
  }

  const BoundLeaf& leaf(int index) const {
    return leaves_[static_cast<size_t>(index)];
  }

  // A decision list over rows [begin, begin + n): out[i] (indexed from
  // begin) is the first r whose root holds (a root < 0 always holds), or
  // roots.size() when none does. The roots before the first unconditional
  // one are evaluated last to first, each overwriting the rows it holds for,
  // so the first that holds is what remains: a branch-free select per rule.
  void FirstHeld(std::span<const int> roots, int64_t begin, int n,
                 int32_t* out);

  // Classifies rows [begin, begin + n) into grades/rules (indexed from
  // begin): FirstHeld over the rules; rows no rule took (rule index ==
  // rules.size()) are graded by the scoring's bands.
  void ClassifyBlock(int64_t begin, int n, int32_t* grades, int32_t* rules);

  // Point totals of rows [begin, begin + n) into totals_.
  void Score(int64_t begin, int n);

  // The grade of the band holding `total`.
  int32_t BandGrade(double total) const {
    return policy_->scoring->bands[Band(total)].grade;
  }

  // The band holding `total`: bands are sorted and cover every total exactly
  // once.
  size_t Band(double total) const {
    const auto& bands = policy_->scoring->bands;
    size_t b = 0;
    while (b + 1 < bands.size() && total >= *bands[b + 1].min) ++b;
    return b;
  }

  double total(int i) const { return totals_[static_cast<size_t>(i)]; }

 private:
  explicit Evaluator(const PolicyData& policy) : policy_(&policy) {}

  const PolicyData* policy_;
  std::vector<BoundLeaf> leaves_;
  std::vector<uint8_t> results_;      // kBlock bytes per node
  std::vector<int32_t> rule_grades_;  // grade of each rule
  std::vector<int> rule_roots_;       // root node of each rule
  std::vector<double> totals_ =
      std::vector<double>(kBlock);  // scoring totals of a block
};

// The conditions of node `index` that held for `row` (the last block
// evaluated), each with the row's value, personal data masked:
// "purchase_within_days <= 90 (value: 30)".
void CollectReasons(const PolicyData& policy, const Evaluator& e, int index,
                    int64_t row, std::vector<std::string>& out);

// Node `index` as text: "any_of(asked_price == true, asked_config == true)".
std::string NodeText(const PolicyData& policy, int index);

// The condition that made a rule fail: the first failed member of an all_of,
// recursively; an any_of fails as a whole.
int FirstFailed(const PolicyData& policy, const Evaluator& e, int index);

// The row's values of the fields node `index` reads, personal data masked.
std::string ValuesText(const PolicyData& policy, const Evaluator& e, int index,
                       int64_t row);

}  // namespace classify_internal
}  // namespace leadkit

#endif  // LEADKIT_SRC_CLASSIFY_INTERNAL_H_
