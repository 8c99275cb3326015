// Warnings about rules that can never fire (docs/policy.md#warnings):
//   (a) an earlier rule has no conditions, so it takes every lead;
//   (b) every condition of an earlier rule is also one of this rule's, so the
//   earlier rule
//       takes every lead this one would;
//   (c) this rule's own conditions contradict each other (x <= 10 and x > 20).
// Literals of personal fields are compared in normalised form, as the evaluator
// compares them.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy_internal.h"

namespace leadkit::policy_internal {
namespace {

// What a conjunction of comparisons allows for one field.
struct FieldConstraint {
  double low = -std::numeric_limits<double>::infinity();
  bool low_open = false;
  double high = std::numeric_limits<double>::infinity();
  bool high_open = false;
  std::optional<std::vector<Literal>> allowed;  // from == and in
  std::vector<Literal> excluded;                // from !=
  bool is_null = false;
  bool needs_value = false;  // any comparison or not_null
  std::vector<std::string> texts;
};

bool InInterval(const FieldConstraint& f, double x) {
  if (x < f.low || (f.low_open && x == f.low)) return false;
  if (x > f.high || (f.high_open && x == f.high)) return false;
  return true;
}

bool Admits(const FieldConstraint& f, const Literal& v) {
  if (std::find(f.excluded.begin(), f.excluded.end(), v) != f.excluded.end()) {
    return false;
  }
  if (const double* d = std::get_if<double>(&v)) return InInterval(f, *d);
  return true;
}

bool Empty(const FieldConstraint& f) {
  if (f.is_null && f.needs_value) return true;
  if (f.low > f.high || (f.low == f.high && (f.low_open || f.high_open))) {
    return true;
  }
  if (f.allowed) {
    return std::none_of(f.allowed->begin(), f.allowed->end(),
                        [&](const Literal& v) { return Admits(f, v); });
  }
  return false;
}

void Restrict(FieldConstraint& f, std::vector<Literal> values) {
  if (!f.allowed) {
    f.allowed = std::move(values);
    return;
  }
  std::vector<Literal> kept;
  for (const Literal& v : *f.allowed) {
    if (std::find(values.begin(), values.end(), v) != values.end()) {
      kept.push_back(v);
    }
  }
  f.allowed = std::move(kept);
}

void Add(const Condition& c,
         absl::flat_hash_map<std::string, FieldConstraint>& fields,
         std::vector<std::string>& order) {
  if (c.kind == Condition::Kind::kAllOf) {
    for (const Condition& child : c.children) Add(child, fields, order);
    return;
  }
  if (c.kind == Condition::Kind::kAnyOf)
    return;  // disjunctions are not analysed
  if (!fields.contains(c.field)) order.push_back(c.field);
  FieldConstraint& f = fields[c.field];
  f.texts.push_back(ConditionText(c));
  if (c.op == Op::kIsNull) {
    f.is_null = true;
    return;
  }
  f.needs_value = true;
  if (c.op == Op::kNotNull) return;
  if (c.op == Op::kIn) {
    Restrict(f, c.values);
    return;
  }
  const Literal& v = c.values.front();
  if (c.op == Op::kEq) {
    Restrict(f, {v});
    return;
  }
  if (c.op == Op::kNe) {
    f.excluded.push_back(v);
    return;
  }
  const double x = std::get<double>(v);
  if (c.op == Op::kLt || c.op == Op::kLe) {
    const bool open = c.op == Op::kLt;
    if (x < f.high || (x == f.high && open)) {
      f.high = x;
      f.high_open = open;
    }
  } else {
    const bool open = c.op == Op::kGt;
    if (x > f.low || (x == f.low && open)) {
      f.low = x;
      f.low_open = open;
    }
  }
}

bool Contains(const std::vector<Condition>& set, const Condition& c) {
  return std::find(set.begin(), set.end(), c) != set.end();
}

}  // namespace

void CheckReachability(const std::vector<Rule>& written,
                       std::vector<Issue>& issues) {
  // Personal fields compare normalised, so the analysis does too:
  // phone == "+86 138-0013-8000" and phone == "13800138000" are one condition.
  std::vector<Rule> rules = written;
  for (Rule& rule : rules) {
    for (Condition& c : rule.when) c = NormalizedCondition(c);
  }
  for (size_t j = 0; j < rules.size(); ++j) {
    const Rule& rule = rules[j];
    const std::string path = absl::StrCat("/rules/", j);
    std::optional<std::string> reason;
    for (size_t i = 0; i < j && !reason; ++i) {
      const Rule& earlier = rules[i];
      if (earlier.when.empty()) {
        reason = absl::StrCat("rule \"", earlier.id,
                              "\" before it has no conditions and takes every "
                              "lead");
      } else if (std::all_of(earlier.when.begin(), earlier.when.end(),
                             [&](const Condition& c) {
                               return Contains(rule.when, c);
                             })) {
        reason = absl::StrCat("every condition of the earlier rule \"",
                              earlier.id, "\" is also one of its own, so \"",
                              earlier.id, "\" takes every lead it would");
      }
    }
    if (!reason) {
      absl::flat_hash_map<std::string, FieldConstraint> fields;
      std::vector<std::string>
          order;  // fields in the order the rule names them
      for (const Condition& c : rule.when) Add(c, fields, order);
      for (const std::string& field : order) {
        const FieldConstraint& f = fields[field];
        if (Empty(f)) {
          reason = absl::StrCat("its conditions on \"", field,
                                "\" contradict each other (",
                                absl::StrJoin(f.texts, " and "), ")");
          break;
        }
      }
    }
    if (reason) {
      issues.push_back(
          {Severity::kWarning, path, rule.id,
           absl::StrCat("rule \"", rule.id, "\" can never fire: ", *reason)});
    }
  }
}

}  // namespace leadkit::policy_internal
