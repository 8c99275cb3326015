#include "leadkit/classify.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/phone.h"
#include "classify_internal.h"
#include "policy_internal.h"

namespace leadkit {
namespace classify_internal {
namespace {

using policy_internal::CompiledLeaf;
using policy_internal::CompiledNode;

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

// The loops below write bytes; without __restrict the compiler must assume a
// byte store can change the column it reads, and gives up vectorising.
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
      Compare(
          v, n, [x](double y) { return y == x; }, out);
      break;
    case Op::kNe:
      // NaN is null, and a comparison with null is false.
      Compare(
          v, n, [x](double y) { return (y != x) & (y == y); }, out);
      break;
    case Op::kLt:
      Compare(
          v, n, [x](double y) { return y < x; }, out);
      break;
    case Op::kLe:
      Compare(
          v, n, [x](double y) { return y <= x; }, out);
      break;
    case Op::kGt:
      Compare(
          v, n, [x](double y) { return y > x; }, out);
      break;
    case Op::kGe:
      Compare(
          v, n, [x](double y) { return y >= x; }, out);
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

// Booleans are bytes (0 = false); policies compare them with true or false
// only.
void CompareBools(const uint8_t* __restrict v, int n, const CompiledLeaf& leaf,
                  uint8_t* __restrict out) {
  const bool want_true = !leaf.numbers.empty() && leaf.numbers.front() != 0;
  switch (leaf.op) {
    case Op::kEq:
    case Op::kNe: {
      const uint8_t flip = (leaf.op == Op::kEq) == want_true ? 0 : 1;
      for (int i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(v[i] != 0) ^ flip;
      break;
    }
    case Op::kIn: {
      uint8_t accept_true = 0, accept_false = 0;
      for (double c : leaf.numbers) (c != 0 ? accept_true : accept_false) = 1;
      for (int i = 0; i < n; ++i)
        out[i] = v[i] != 0 ? accept_true : accept_false;
      break;
    }
    default:
      std::memset(out, 0, static_cast<size_t>(n));
  }
}

void NullMask(const Column& column, int64_t begin, int n,
              uint8_t* __restrict out) {
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

void EvalLeaf(const BoundLeaf& b, int64_t begin, int n,
              uint8_t* __restrict out) {
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

// The dictionaries of a batch's personal columns in the form rules compare
// them (NormalizeValue), each entry normalised once per batch however many
// leaves read the column; the literals were normalised when the policy was
// compiled.
class NormalizedDictionaries {
 public:
  std::span<const std::string> Of(const Column& column,
                                  const LeadFieldInfo& field) {
    for (const auto& [seen, entries] : done_) {
      if (seen == &column) return entries;
    }
    std::vector<std::string> entries;
    entries.reserve(column.dictionary().size());
    for (const std::string& entry : column.dictionary()) {
      entries.push_back(NormalizeValue(field.name, entry));
    }
    done_.emplace_back(&column, std::move(entries));
    return done_.back().second;
  }

 private:
  // A batch has four personal fields at most: a list is enough.
  std::vector<std::pair<const Column*, std::vector<std::string>>> done_;
};

}  // namespace

absl::StatusOr<Evaluator> Evaluator::Bind(const PolicyData& policy,
                                          const Columns& leads) {
  return Bind(policy, leads, 0, policy.playbook_leaves);
}

absl::StatusOr<Evaluator> Evaluator::Bind(const PolicyData& policy,
                                          const Columns& leads, int leaf_begin,
                                          int leaf_end) {
  Evaluator e(policy);
  NormalizedDictionaries normalized;
  e.leaves_.resize(policy.leaves.size());
  for (size_t k = 0; k < policy.leaves.size(); ++k) {
    const CompiledLeaf& leaf = policy.leaves[k];
    BoundLeaf& b = e.leaves_[k];
    b.leaf = &leaf;
    if (static_cast<int>(k) < leaf_begin || static_cast<int>(k) >= leaf_end) {
      continue;  // another decision list's leaf: never evaluated here
    }
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
      const std::span<const std::string> dictionary =
          leaf.field->personal ? normalized.Of(*b.column, *leaf.field)
                               : b.column->dictionary();
      b.code_match.assign(dictionary.size(), 0);
      for (size_t c = 0; c < dictionary.size(); ++c) {
        for (const std::string& str : leaf.strings) {
          if (dictionary[c] == str) b.code_match[c] = 1;
        }
      }
    }
  }
  e.results_.assign(policy.nodes.size() * kBlock, 0);
  for (const auto& rule : policy.compiled_rules) {
    e.rule_grades_.push_back(rule.grade);
    e.rule_roots_.push_back(rule.root);
  }
  return e;
}

const uint8_t* Evaluator::Eval(int index, int64_t begin, int n) {
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

void Evaluator::FirstHeld(std::span<const int> roots, int64_t begin, int n,
                          int32_t* __restrict out) {
  size_t last = 0;
  while (last < roots.size() && roots[last] >= 0) ++last;
  std::fill(out, out + n, static_cast<int32_t>(last));
  for (size_t r = last; r-- > 0;) {
    const uint8_t* __restrict hit = Eval(roots[r], begin, n);
    const auto rule = static_cast<int32_t>(r);
    for (int i = 0; i < n; ++i) out[i] = hit[i] != 0 ? rule : out[i];
  }
}

void Evaluator::ClassifyBlock(int64_t begin, int n, int32_t* __restrict grades,
                              int32_t* __restrict rules) {
  const auto& compiled = policy_->compiled_rules;
  FirstHeld(rule_roots_, begin, n, rules);
  const auto scored = static_cast<int32_t>(compiled.size());
  const bool any_scored =
      policy_->scoring && std::find(rules, rules + n, scored) != rules + n;
  if (any_scored) Score(begin, n);
  for (int i = 0; i < n; ++i) {
    grades[i] = rules[i] == scored
                    ? BandGrade(totals_[static_cast<size_t>(i)])
                    : rule_grades_[static_cast<size_t>(rules[i])];
  }
}

void Evaluator::Score(int64_t begin, int n) {
  double* __restrict totals = totals_.data();
  std::fill(totals, totals + n, 0.0);
  for (const auto& item : policy_->compiled_score) {
    if (item.root < 0) {
      for (int i = 0; i < n; ++i) totals[i] += item.points;
      continue;
    }
    const uint8_t* __restrict hit = Eval(item.root, begin, n);
    for (int i = 0; i < n; ++i) totals[i] += hit[i] != 0 ? item.points : 0.0;
  }
}

namespace {

std::string ValueText(const Column* column, const LeadFieldInfo& field,
                      int64_t row) {
  if (column == nullptr || column->IsNull(row)) return "null";
  if (column->validity_only()) return "not null";
  if (field.personal) {
    // Personal data of any storage type is shown as rules compare it
    // (normalised), masked, never as stored.
    const std::string stored =
        column->type() == ColumnType::kCode
            ? column->StringAt(row)
            : absl::StrFormat("%.0f", column->NumberAt(row));
    return absl::StrCat(
        "\"", MaskValue(field.name, NormalizeValue(field.name, stored)), "\"");
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

std::string LeafValue(const Evaluator& e, const CompiledNode& node,
                      int64_t row) {
  const BoundLeaf& b = e.leaf(node.leaf);
  return ValueText(b.column, *b.leaf->field, row);
}

}  // namespace

void CollectReasons(const PolicyData& policy, const Evaluator& e, int index,
                    int64_t row, std::vector<std::string>& out) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind == CompiledNode::Kind::kLeaf) {
    out.push_back(absl::StrCat(e.leaf(node.leaf).leaf->text,
                               " (value: ", LeafValue(e, node, row), ")"));
    return;
  }
  for (int child : node.children) {
    if (e.Result(child)) CollectReasons(policy, e, child, row, out);
  }
}

namespace {

// "field: value" for every field a subtree reads, each once, in order.
void CollectValues(const PolicyData& policy, const Evaluator& e, int index,
                   int64_t row, std::vector<std::string>& fields,
                   std::vector<std::string>& out) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind != CompiledNode::Kind::kLeaf) {
    for (int child : node.children)
      CollectValues(policy, e, child, row, fields, out);
    return;
  }
  const std::string name = e.leaf(node.leaf).leaf->field->name;
  if (std::find(fields.begin(), fields.end(), name) != fields.end()) return;
  fields.push_back(name);
  out.push_back(absl::StrCat(name, ": ", LeafValue(e, node, row)));
}

}  // namespace

std::string NodeText(const PolicyData& policy, int index) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind == CompiledNode::Kind::kLeaf) {
    return policy.leaves[static_cast<size_t>(node.leaf)].text;
  }
  std::vector<std::string> parts;
  for (int child : node.children) parts.push_back(NodeText(policy, child));
  return absl::StrCat(
      node.kind == CompiledNode::Kind::kAllOf ? "all_of(" : "any_of(",
      absl::StrJoin(parts, ", "), ")");
}

// The condition that made a rule fail: the first failed member of an all_of,
// recursively; an any_of fails as a whole.
int FirstFailed(const PolicyData& policy, const Evaluator& e, int index) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind != CompiledNode::Kind::kAllOf) return index;
  for (int child : node.children) {
    if (!e.Result(child)) return FirstFailed(policy, e, child);
  }
  return index;
}

std::string ValuesText(const PolicyData& policy, const Evaluator& e, int index,
                       int64_t row) {
  const CompiledNode& node = policy.nodes[static_cast<size_t>(index)];
  if (node.kind == CompiledNode::Kind::kLeaf) return LeafValue(e, node, row);
  std::vector<std::string> fields, values;
  CollectValues(policy, e, index, row, fields, values);
  return absl::StrJoin(values, ", ");
}

}  // namespace classify_internal

namespace {

// The policy's evaluator bound to `leads`, and block(evaluator, begin, count)
// for each block of kBlock rows, in order.
template <typename Block>
absl::Status EachBlock(const Policy& policy, const Columns& leads,
                       Block block) {
  LEADKIT_ASSIGN_OR_RETURN(
      classify_internal::Evaluator e,
      classify_internal::Evaluator::Bind(policy.data(), leads));
  const int64_t n = leads.num_rows();
  for (int64_t begin = 0; begin < n; begin += classify_internal::kBlock) {
    block(e, begin,
          static_cast<int>(
              std::min<int64_t>(classify_internal::kBlock, n - begin)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ClassifyBatch(const Policy& policy, const Columns& leads,
                           std::span<int32_t> grades,
                           std::span<int32_t> rules) {
  const int64_t n = leads.num_rows();
  if (static_cast<int64_t>(grades.size()) != n ||
      static_cast<int64_t>(rules.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("ClassifyBatch: output spans hold ", grades.size(),
                     " and ", rules.size(), " values for ", n, " rows"));
  }
  return EachBlock(policy, leads, [&](classify_internal::Evaluator& e,
                                       int64_t begin, int count) {
    e.ClassifyBlock(begin, count, grades.data() + begin, rules.data() + begin);
  });
}

absl::Status ScoreBatch(const Policy& policy, const Columns& leads,
                        std::span<double> scores) {
  const int64_t n = leads.num_rows();
  if (!policy.scoring()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ScoreBatch: the policy \"", policy.name(), "\" has no scoring section"));
  }
  if (static_cast<int64_t>(scores.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ScoreBatch: the output span holds ", scores.size(), " values for ", n,
        " rows"));
  }
  return EachBlock(policy, leads, [&](classify_internal::Evaluator& e,
                                       int64_t begin, int count) {
    e.Score(begin, count);
    for (int i = 0; i < count; ++i) {
      scores[static_cast<size_t>(begin + i)] = e.total(i);
    }
  });
}

absl::StatusOr<Explanation> Explain(const Policy& policy, const Columns& leads,
                                    int64_t row) {
  using classify_internal::ValuesText;
  if (row < 0 || row >= leads.num_rows()) {
    return absl::OutOfRangeError(absl::StrCat(
        "row ", row, " is outside the table of ", leads.num_rows(), " rows"));
  }
  const PolicyData& data = policy.data();
  LEADKIT_ASSIGN_OR_RETURN(classify_internal::Evaluator e,
                           classify_internal::Evaluator::Bind(data, leads));
  int32_t grade = 0;
  int32_t rule = 0;
  // Evaluates every rule before the first unconditional one (and the scoring
  // when it grades); each rule has nodes of its own, so every node result is
  // this row's.
  e.ClassifyBlock(row, 1, &grade, &rule);
  Explanation out;
  out.grade = grade;
  out.rule = rule;
  out.grade_name = data.grades[static_cast<size_t>(grade)];
  out.rule_id = data.rule_ids[static_cast<size_t>(rule)];
  for (int32_t r = 0; r < rule; ++r) {
    const int root = data.compiled_rules[static_cast<size_t>(r)].root;
    const int failed = classify_internal::FirstFailed(data, e, root);
    out.trace.push_back({.rule = data.rules[static_cast<size_t>(r)].id,
                         .fired = false,
                         .condition = classify_internal::NodeText(data, failed),
                         .value = ValuesText(data, e, failed, row)});
  }
  if (static_cast<size_t>(rule) < data.rules.size()) {
    const int root = data.compiled_rules[static_cast<size_t>(rule)].root;
    if (root < 0) {
      out.reasons.push_back(
          rule == 0 ? "the rule has no conditions"
                    : "no earlier rule held; this rule has no conditions");
    } else {
      classify_internal::CollectReasons(data, e, root, row, out.reasons);
    }
    out.trace.push_back(
        {.rule = out.rule_id,
         .fired = true,
         .condition = root < 0 ? "" : classify_internal::NodeText(data, root),
         .value = root < 0 ? "" : ValuesText(data, e, root, row)});
    return out;
  }
  // Scoring graded the lead: every item, with the points it added.
  const Scoring& scoring = *data.scoring;
  for (size_t k = 0; k < scoring.items.size(); ++k) {
    const int root = data.compiled_score[k].root;
    const bool held = root < 0 || e.Result(root);
    const double points = held ? scoring.items[k].points : 0.0;
    const std::string text =
        root < 0 ? "(always)" : classify_internal::NodeText(data, root);
    out.trace.push_back(
        {.rule = scoring.items[k].id,
         .fired = held,
         .condition = text,
         .value = root < 0 ? "" : ValuesText(data, e, root, row),
         .points = points});
    if (held) {
      out.reasons.push_back(absl::StrCat(scoring.items[k].id, ": ", text, " (",
                                         points >= 0 ? "+" : "",
                                         absl::StrFormat("%g", points), ")"));
    }
  }
  out.score = e.total(0);
  out.reasons.push_back(absl::StrCat(
      "total ", absl::StrFormat("%g", *out.score), " is in the band ",
      policy_internal::BandText(scoring.bands[e.Band(*out.score)]),
      " of grade ", out.grade_name));
  return out;
}

absl::StatusOr<Classification> Classify(const Policy& policy,
                                        const Columns& leads, int64_t row) {
  LEADKIT_ASSIGN_OR_RETURN(Explanation explained, Explain(policy, leads, row));
  return static_cast<Classification>(std::move(explained));
}

}  // namespace leadkit
