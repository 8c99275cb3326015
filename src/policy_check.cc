// Warnings about rules that can never fire (docs/policy.md, "Problems in a
// document"):
//   (a) an earlier rule has no conditions, so it takes every lead;
//   (b) an earlier rule's conditions are implied by this rule's (every lead
//       this rule matches, the earlier one matches first), decided by range
//       and value-set implication per field, through all_of and any_of; or
//       several earlier rules share its leads out among them, one per branch
//       of its any_of groups;
//   (c) this rule's own conditions contradict each other (x <= 10 and x > 20).
// Literals of personal fields are compared in normalised form, as the evaluator
// compares them. Each test says nothing when it cannot decide: a warning is
// always true.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// --- Implication between rules (b) ---------------------------------------

// One way a rule's conditions can hold: a conjunction of comparisons, a term
// of their disjunctive normal form (each any_of branch gives its own terms).
using Term = std::vector<const Condition*>;

// any_of groups multiply the terms; past this many, a rule is not analysed.
constexpr size_t kMaxTerms = 64;

std::optional<std::vector<Term>> TermsOf(const Condition& c);

// The terms of conditions that must all hold; nullopt past kMaxTerms.
std::optional<std::vector<Term>> Terms(const std::vector<Condition>& all) {
  std::vector<Term> terms = {Term{}};
  for (const Condition& c : all) {
    std::optional<std::vector<Term>> of_c = TermsOf(c);
    if (!of_c || terms.size() * of_c->size() > kMaxTerms) return std::nullopt;
    std::vector<Term> product;
    for (const Term& t : terms) {
      for (const Term& u : *of_c) {
        Term both = t;
        both.insert(both.end(), u.begin(), u.end());
        product.push_back(std::move(both));
      }
    }
    terms = std::move(product);
  }
  return terms;
}

std::optional<std::vector<Term>> TermsOf(const Condition& c) {
  if (c.kind == Condition::Kind::kCompare) return std::vector<Term>{{&c}};
  if (c.kind == Condition::Kind::kAllOf) return Terms(c.children);
  std::vector<Term> out;
  for (const Condition& child : c.children) {
    std::optional<std::vector<Term>> t = TermsOf(child);
    if (!t || out.size() + t->size() > kMaxTerms) return std::nullopt;
    out.insert(out.end(), t->begin(), t->end());
  }
  return out;
}

using Constraints = absl::flat_hash_map<std::string, FieldConstraint>;

// What a term allows, per field; `order` gets the fields as the term names
// them.
Constraints Constrain(const Term& term, std::vector<std::string>& order) {
  Constraints fields;
  for (const Condition* c : term) Add(*c, fields, order);
  return fields;
}

// The values `f` admits when they are finitely many: those of == and in, both
// values of a bool field, or x of a closed interval [x, x]; else nullopt.
std::optional<std::vector<Literal>> FiniteValues(const FieldConstraint& f,
                                                 FieldType type) {
  std::vector<Literal> candidates;
  if (f.allowed) {
    candidates = *f.allowed;
  } else if (type == FieldType::kBool) {
    candidates = {Literal(false), Literal(true)};
  } else if (f.low == f.high && !f.low_open && !f.high_open) {
    candidates = {Literal(f.low)};
  } else {
    return std::nullopt;
  }
  std::vector<Literal> out;
  for (const Literal& v : candidates) {
    if (Admits(f, v)) out.push_back(v);
  }
  return out;
}

// Whether the (non-null) value `v` satisfies the comparison `q`.
bool Satisfies(const Literal& v, const Condition& q) {
  if (q.op == Op::kIn) {
    return std::find(q.values.begin(), q.values.end(), v) != q.values.end();
  }
  if (q.op == Op::kNotNull) return true;
  if (q.op == Op::kIsNull || q.values.empty()) return false;
  const Literal& w = q.values.front();
  if (q.op == Op::kEq) return v == w;
  if (q.op == Op::kNe) return v != w;
  const double* x = std::get_if<double>(&v);
  const double* y = std::get_if<double>(&w);
  if (x == nullptr || y == nullptr) return false;
  switch (q.op) {
    case Op::kLt:
      return *x < *y;
    case Op::kLe:
      return *x <= *y;
    case Op::kGt:
      return *x > *y;
    case Op::kGe:
      return *x >= *y;
    default:
      return false;
  }
}

// Whether every lead the (consistent) constraints admit satisfies the
// comparison `q`. False when that cannot be decided here.
bool ImpliesComparison(const Constraints& fields, const Condition& q) {
  const auto it = fields.find(q.field);
  if (it == fields.end()) return false;  // the field is free, null included
  const FieldConstraint& f = it->second;
  if (q.op == Op::kIsNull) return f.is_null;
  if (!f.needs_value) return false;  // a null value fails every comparison
  if (q.op == Op::kNotNull) return true;
  const LeadFieldInfo* info = FindPlaybookField(q.field);
  if (info == nullptr) return false;
  if (std::optional<std::vector<Literal>> values =
          FiniteValues(f, info->type)) {
    return !values->empty() &&
           std::all_of(values->begin(), values->end(),
                       [&](const Literal& v) { return Satisfies(v, q); });
  }
  // Infinitely many numbers (or strings) remain.
  const Literal& w = q.values.front();
  if (q.op == Op::kNe) {
    if (std::find(f.excluded.begin(), f.excluded.end(), w) !=
        f.excluded.end()) {
      return true;
    }
    const double* y = std::get_if<double>(&w);
    return y != nullptr && !InInterval(f, *y);
  }
  const double* y = std::get_if<double>(&w);
  if (y == nullptr) return false;
  switch (q.op) {
    case Op::kLt:
      return f.high < *y || (f.high == *y && f.high_open);
    case Op::kLe:
      return f.high <= *y;
    case Op::kGt:
      return f.low > *y || (f.low == *y && f.low_open);
    case Op::kGe:
      return f.low >= *y;
    default:
      return false;  // == and in: finitely many values never hold them all
  }
}

// Whether every lead that satisfies `term` (with constraints `fields`)
// satisfies `q`: all_of needs every member implied, any_of one branch.
bool Implies(const Term& term, const Constraints& fields, const Condition& q) {
  switch (q.kind) {
    case Condition::Kind::kAllOf:
      return std::all_of(
          q.children.begin(), q.children.end(),
          [&](const Condition& c) { return Implies(term, fields, c); });
    case Condition::Kind::kAnyOf:
      return std::any_of(
          q.children.begin(), q.children.end(),
          [&](const Condition& c) { return Implies(term, fields, c); });
    case Condition::Kind::kCompare:
      return std::any_of(term.begin(), term.end(),
                         [&](const Condition* t) { return *t == q; }) ||
             ImpliesComparison(fields, q);
  }
  return false;
}

bool ImpliesAll(const Term& term, const Constraints& fields,
                const std::vector<Condition>& when) {
  return std::all_of(when.begin(), when.end(), [&](const Condition& q) {
    return Implies(term, fields, q);
  });
}

std::string WhenText(const std::vector<Condition>& when) {
  std::vector<std::string> parts;
  for (const Condition& c : when) parts.push_back(ConditionText(c));
  return absl::StrJoin(parts, " and ");
}

std::string RuleRef(const std::vector<Rule>& rules, size_t i,
                    absl::string_view section) {
  return absl::StrCat("\"", rules[i].id, "\" (", section, "/", i, ")");
}

// The earlier rules that take every lead rule `j` matches, fewest first
// found: one rule when one does, else one per term of the rule. Empty when
// some term escapes them all, when no term can hold (that is (c)'s case),
// or when the rule has too many terms to tell.
std::vector<size_t> Takers(const std::vector<Rule>& rules, size_t j) {
  const Rule& rule = rules[j];
  // Every condition of an earlier rule is one of this rule's: decided even
  // when the rule has too many terms.
  for (size_t i = 0; i < j; ++i) {
    if (std::all_of(rules[i].when.begin(), rules[i].when.end(),
                    [&](const Condition& c) {
                      return Contains(rule.when, c);
                    })) {
      return {i};
    }
  }
  std::optional<std::vector<Term>> terms = Terms(rule.when);
  if (!terms) return {};
  std::vector<size_t> takers;
  bool some_term_holds = false;
  for (const Term& term : *terms) {
    std::vector<std::string> order;
    const Constraints fields = Constrain(term, order);
    if (std::any_of(order.begin(), order.end(), [&](const std::string& f) {
          return Empty(fields.at(f));
        })) {
      continue;  // this term holds for no lead
    }
    some_term_holds = true;
    // A rule already taking another term first, to name as few as possible.
    std::optional<size_t> taker;
    for (size_t i : takers) {
      if (ImpliesAll(term, fields, rules[i].when)) {
        taker = i;
        break;
      }
    }
    for (size_t i = 0; i < j && !taker; ++i) {
      if (ImpliesAll(term, fields, rules[i].when)) taker = i;
    }
    if (!taker) return {};
    if (std::find(takers.begin(), takers.end(), *taker) == takers.end()) {
      takers.push_back(*taker);
    }
  }
  if (!some_term_holds) return {};
  std::sort(takers.begin(), takers.end());
  return takers;
}

}  // namespace

void CheckReachability(const std::vector<Rule>& written,
                       std::vector<Issue>& issues, absl::string_view section) {
  // Personal fields compare normalised, so the analysis does too:
  // phone == "+86 138-0013-8000" and phone == "13800138000" are one condition.
  std::vector<Rule> rules = written;
  for (Rule& rule : rules) {
    for (Condition& c : rule.when) c = NormalizedCondition(c);
  }
  for (size_t j = 0; j < rules.size(); ++j) {
    const Rule& rule = rules[j];
    const std::string path = absl::StrCat(section, "/", j);
    std::optional<std::string> reason;
    for (size_t i = 0; i < j && !reason; ++i) {
      if (rules[i].when.empty()) {
        reason = absl::StrCat("rule \"", rules[i].id,
                              "\" before it has no conditions and takes every "
                              "lead");
      }
    }
    if (!reason && !rule.when.empty()) {
      const std::vector<size_t> takers = Takers(rules, j);
      if (takers.size() == 1) {
        const Rule& earlier = rules[takers.front()];
        reason = absl::StrCat(
            "the earlier rule ", RuleRef(rules, takers.front(), section),
            " takes every lead it would (", WhenText(rule.when), " implies ",
            WhenText(earlier.when), ")");
      } else if (takers.size() > 1) {
        std::vector<std::string> names;
        for (size_t i : takers) names.push_back(RuleRef(rules, i, section));
        const std::string last = names.back();
        names.pop_back();
        reason = absl::StrCat("the earlier rules ", absl::StrJoin(names, ", "),
                              " and ", last,
                              " take every lead it would between them (each "
                              "branch of its any_of implies one of them)");
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
