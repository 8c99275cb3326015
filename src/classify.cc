#include "leadkit/classify.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/phone.h"
#include "policy_internal.h"

namespace leadkit {
namespace classify_internal {
namespace {

using policy_internal::CompiledLeaf;
using policy_internal::CompiledNode;

constexpr int kBlock = 512;

// A leaf resolved against one batch: its column and, for strings, which dictionary codes match.
struct BoundLeaf {
  const CompiledLeaf* leaf = nullptr;
  const Column* column = nullptr;  // nullptr: the batch lacks the field, so it is all null
  std::vector<uint8_t> code_match;  // string comparisons: 1 for codes equal to a literal
};

bool TypeFits(const LeadFieldInfo& field, const Column& column) {
  switch (field.type) {
    case FieldType::kNumber:
      return column.type() == ColumnType::kDouble ||
             column.type() == ColumnType::kInt64;
    case FieldType::kBool:
      return column.type() == ColumnType::kDouble ||
             column.type() == ColumnType::kInt64 ||
             column.type() == ColumnType::kBool;
    case FieldType::kString:
      return column.type() == ColumnType::kCode && !column.validity_only();
    default:
      return false;  // instants and dates are only tested for null
  }
}

inline double Number(double v) { return v; }
inline double Number(int64_t v) { return static_cast<double>(v); }

// The loops below write bytes; without __restrict the compiler must assume a byte store can
// change the column it reads, and gives up vectorising.
template <typename T, typename Predicate>
void Compare(const T* __restrict v, int n, Predicate predicate,
             uint8_t* __restrict out) {
  for (int i = 0; i < n; ++i) out[i] = predicate(Number(v[i]));
}

template <typename T>
void CompareNumbers(const T* __restrict v, int n, const CompiledLeaf& leaf,
                    uint8_t* __restrict out) {
  const double x = leaf.numbers.empty() ? 0.0 : leaf.numbers.front();
  switch (leaf.op) {
    case Op::kEq:
      Compare(v, n, [x](double y) { return y == x; }, out);
      break;
    case Op::kNe:
      // NaN is null, and a comparison with null is false.
      Compare(v, n, [x](double y) { return (y != x) & (y == y); }, out);
      break;
    case Op::kLt:
      Compare(v, n, [x](double y) { return y < x; }, out);
      break;
    case Op::kLe:
      Compare(v, n, [x](double y) { return y <= x; }, out);
      break;
    case Op::kGt:
      Compare(v, n, [x](double y) { return y > x; }, out);
      break;
    case Op::kGe:
      Compare(v, n, [x](double y) { return y >= x; }, out);
      break;
    case Op::kIn:
      std::memset(out, 0, static_cast<size_t>(n));
      for (double candidate : leaf.numbers) {
        for (int i = 0; i < n; ++i) out[i] |= Number(v[i]) == candidate;
      }
      break;
    default:
      break;
  }
}

// Booleans are bytes (0 = false); policies compare them with true or false only.
void CompareBools(const uint8_t* __restrict v, int n, const CompiledLeaf& leaf,
                  uint8_t* __restrict out) {
  const bool want_true = !leaf.numbers.empty() && leaf.numbers.front() != 0;
  switch (leaf.op) {
    case Op::kEq:
    case Op::kNe: {
      const uint8_t flip = (leaf.op == Op::kEq) == want_true ? 0 : 1;
      for (int i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v[i] != 0) ^ flip;
      break;
    }
    case Op::kIn: {
      uint8_t accept_true = 0, accept_false = 0;
      for (double c : leaf.numbers) (c != 0 ? accept_true : accept_false) = 1;
      for (int i = 0; i < n; ++i) out[i] = v[i] != 0 ? accept_true : accept_false;
      break;
    }
    default:
      std::memset(out, 0, static_cast<size_t>(n));
  }
}

void NullMask(const Column& column, int64_t begin, int n, uint8_t* __restrict out) {
  if (column.validity_only() || column.type() == ColumnType::kInt64 ||
      column.type() == ColumnType::kBool ||
      column.type() == ColumnType::kInstant ||
      column.type() == ColumnType::kDate) {
    std::memset(out, 0, static_cast<size_t>(n));
  } else if (column.type() == ColumnType::kDouble) {
    const double* v = column.data<double>() + begin;
    for (int i = 0; i < n; ++i) out[i] = std::isnan(v[i]);
  } else {
    const int32_t* v = column.data<int32_t>() + begin;
    for (int i = 0; i < n; ++i) out[i] = v[i] < 0;
  }
  if (const uint8_t* valid = column.validity()) {
    valid += begin;
    for (int i = 0; i < n; ++i) out[i] |= (valid[i] == 0);
  }
}

void EvalLeaf(const BoundLeaf& b, int64_t begin, int n, uint8_t* __restrict out) {
  const Op op = b.leaf->op;
  if (b.column == nullptr) {
    std::memset(out, op == Op::kIsNull ? 1 : 0, static_cast<size_t>(n));
    return;
  }
  const Column& column = *b.column;
  if (op == Op::kIsNull || op == Op::kNotNull) {
    NullMask(column, begin, n, out);
    if (op == Op::kNotNull) {
      for (int i = 0; i < n; ++i) out[i] ^= 1;
    }
    return;
  }
  switch (column.type()) {
    case ColumnType::kDouble:
      CompareNumbers(column.data<double>() + begin, n, *b.leaf, out);
      break;
    case ColumnType::kInt64:
      CompareNumbers(column.data<int64_t>() + begin, n, *b.leaf, out);
      break;
    case ColumnType::kBool:
      CompareBools(column.data<uint8_t>() + begin, n, *b.leaf, out);
      break;
    case ColumnType::kCode: {
      const int32_t* codes = column.data<int32_t>() + begin;
      const uint8_t* match = b.code_match.data();
      const uint8_t want = op == Op::kNe ? 0 : 1;
      for (int i = 0; i < n; ++i) {
        const int32_t c = codes[i];
        out[i] = c >= 0 && match[c] == want;
      }
      break;
    }
    default:
      std::memset(out, 0, static_cast<size_t>(n));
  }
  if (const uint8_t* valid = column.validity()) {
    valid += begin;
    for (int i = 0; i < n; ++i) out[i] &= (valid[i] != 0);
  }
}

// Evaluates a policy's condition trees over blocks of one batch.
class Evaluator {
 public:
  static absl::StatusOr<Evaluator> Bind(const PolicyData& policy,
                                        const Columns& leads) {
    Evaluator e(policy);
    e.leaves_.resize(policy.leaves.size());
    for (size_t k = 0; k < policy.leaves.size(); ++k) {
      const CompiledLeaf& leaf = policy.leaves[k];
      BoundLeaf& b = e.leaves_[k];
      b.leaf = &leaf;
      b.column = leads.Find(leaf.field->name);
      if (b.column == nullptr) continue;
      const bool null_test = leaf.op == Op::kIsNull || leaf.op == Op::kNotNull;
      if (!null_test && !TypeFits(*leaf.field, *b.column)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "leads.", leaf.field->name, ": the policy reads it as a ",
            FieldTypeName(leaf.field->type), " field (", leaf.text,
            "), but the column holds ",
            b.column->validity_only() ? "only null flags"
                                      : ColumnTypeName(b.column->type())));
      }
      if (!null_test && b.column->type() == ColumnType::kCode) {
        const auto dictionary = b.column->dictionary();
        b.code_match.assign(dictionary.size(), 0);
        for (size_t c = 0; c < dictionary.size(); ++c) {
          for (const std::string& s : leaf.strings) {
            if (dictionary[c] == s) b.code_match[c] = 1;
          }
        }
      }
    }
    e.results_.assign(policy.nodes.size() * kBlock, 0);
    for (const auto& rule : policy.compiled_rules) e.rule_grades_.push_back(rule.grade);
    return e;
  }

  // Evaluates node `index` (and its subtree) for rows [begin, begin + n).
  const uint8_t* Eval(int index, int64_t begin, int n) {
    const CompiledNode& node = policy_->nodes[static_cast<size_t>(index)];
    uint8_t* out = results_.data() + static_cast<size_t>(index) * kBlock;
    if (node.kind == CompiledNode::Kind::kLeaf) {
      EvalLeaf(leaves_[static_cast<size_t>(node.leaf)], begin, n, out);
      return out;
    }
    const bool all = node.kind == CompiledNode::Kind::kAllOf;
    std::memset(out, all ? 1 : 0, static_cast<size_t>(n));
    for (int child : node.children) {
      const uint8_t* r = Eval(child, begin, n);
      if (all) {
        for (int i = 0; i < n; ++i) out[i] &= r[i];
      } else {
        for (int i = 0; i < n; ++i) out[i] |= r[i];
      }
    }
    return out;
  }

  // The result of node `index` for the first row of the last block it was evaluated on.
  bool Result(int index) const {
    return results_[static_cast<size_t>(index) * kBlock] != 0;
  }

  const BoundLeaf& leaf(int index) const {
    return leaves_[static_cast<size_t>(index)];
  }

  // Classifies rows [begin, begin + n) into grades/rules (indexed from begin). The rules
  // before the first unconditional one are evaluated last to first, each overwriting the rows
  // it holds for, so the first rule that holds is what remains: a branch-free select per rule.
  void ClassifyBlock(int64_t begin, int n, int32_t* __restrict grades,
                     int32_t* __restrict rules) {
    const auto& compiled = policy_->compiled_rules;
    size_t last = 0;  // the first rule without conditions; the loader ensures there is one
    while (last + 1 < compiled.size() && compiled[last].root >= 0) ++last;
    std::fill(rules, rules + n, static_cast<int32_t>(last));
    for (size_t r = last; r-- > 0;) {
      const uint8_t* __restrict hit = Eval(compiled[r].root, begin, n);
      const auto rule = static_cast<int32_t>(r);
      for (int i = 0; i < n; ++i) rules[i] = hit[i] != 0 ? rule : rules[i];
    }
    for (int i = 0; i < n; ++i) {
      grades[i] = rule_grades_[static_cast<size_t>(rules[i])];
    }
  }

 private:
  explicit Evaluator(const PolicyData& policy) : policy_(&policy) {}

  const PolicyData* policy_;
  std::vector<BoundLeaf> leaves_;
  std::vector<uint8_t> results_;  // kBlock bytes per node
  std::vector<int32_t> rule_grades_;  // grade of each rule
};

std::string ValueText(const Column* column, const LeadFieldInfo& field,
                      int64_t row) {
  if (column == nullptr || column->IsNull(row)) return "null";
  if (column->validity_only()) return "not null";
  if (field.personal) {
    // Personal data of any storage type is shown masked, never as stored.
    return absl::StrCat("\"",
                        MaskValue(field.name, column->type() == ColumnType::kCode
                                                  ? column->StringAt(row)
                                                  : absl::StrFormat("%.0f", column->NumberAt(row))),
                        "\"");
  }
  if (column->type() == ColumnType::kCode) {
    return absl::StrCat("\"", MaskValue(field.name, column->StringAt(row)),
                        "\"");
  }
  if (field.type == FieldType::kBool) {
    return column->NumberAt(row) != 0 ? "true" : "false";
  }
  if (column->type() == ColumnType::kInstant ||
      column->type() == ColumnType::kDate) {
    return "set";
  }
  return absl::StrFormat("%g", column->NumberAt(row));
}

void CollectReasons(const PolicyData& policy, const Evaluator& e, int index,
                    int64_t row, std::vector<std::string>& out) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind == CompiledNode::Kind::kLeaf) {
    const BoundLeaf& b = e.leaf(node.leaf);
    out.push_back(absl::StrCat(b.leaf->text, " (value: ",
                               ValueText(b.column, *b.leaf->field, row), ")"));
    return;
  }
  for (int child : node.children) {
    if (e.Result(child)) CollectReasons(policy, e, child, row, out);
  }
}

}  // namespace
}  // namespace classify_internal

absl::Status ClassifyBatch(const Policy& policy, const Columns& leads,
                           std::span<int32_t> grades,
                           std::span<int32_t> rules) {
  const int64_t n = leads.num_rows();
  if (static_cast<int64_t>(grades.size()) != n ||
      static_cast<int64_t>(rules.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ClassifyBatch: output spans hold ", grades.size(), " and ",
        rules.size(), " values for ", n, " rows"));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      classify_internal::Evaluator e,
      classify_internal::Evaluator::Bind(policy.data(), leads));
  for (int64_t begin = 0; begin < n; begin += classify_internal::kBlock) {
    const int count = static_cast<int>(
        std::min<int64_t>(classify_internal::kBlock, n - begin));
    e.ClassifyBlock(begin, count, grades.data() + begin, rules.data() + begin);
  }
  return absl::OkStatus();
}

absl::StatusOr<Classification> Classify(const Policy& policy,
                                        const Columns& leads, int64_t row) {
  if (row < 0 || row >= leads.num_rows()) {
    return absl::OutOfRangeError(absl::StrCat(
        "row ", row, " is outside the table of ", leads.num_rows(), " rows"));
  }
  const PolicyData& data = policy.data();
  LEADKIT_ASSIGN_OR_RETURN(classify_internal::Evaluator e,
                           classify_internal::Evaluator::Bind(data, leads));
  int32_t grade = 0;
  int32_t rule = 0;
  e.ClassifyBlock(row, 1, &grade, &rule);
  Classification out;
  out.grade = grade;
  out.rule = rule;
  out.grade_name = data.grades[static_cast<size_t>(grade)];
  out.rule_id = data.rules[static_cast<size_t>(rule)].id;
  const int root = data.compiled_rules[static_cast<size_t>(rule)].root;
  if (root < 0) {
    out.reasons.push_back(
        rule == 0 ? "the rule has no conditions"
                  : "no earlier rule held; this rule has no conditions");
  } else {
    // ClassifyBlock evaluated every rule before the first unconditional one; each rule has
    // nodes of its own, so the node results of the fired rule's tree are this row's.
    classify_internal::CollectReasons(data, e, root, row, out.reasons);
  }
  return out;
}

}  // namespace leadkit
