// Loading, validating, compiling and writing policy documents (docs/policy.md).
#include "leadkit/policy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "json_reader.h"
#include "leadkit/calendar.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"
#include "leadkit/tz.h"
#include "nlohmann/json.hpp"
#include "policy_internal.h"
#include "preset_data.h"

namespace leadkit {
namespace policy_internal {
namespace {

using json_internal::Child;
using json_internal::Json;
using json_internal::JsonKind;
using json_internal::Quoted;
using json_internal::Suggestion;
using OrderedJson = nlohmann::ordered_json;

constexpr int kFormat = 1;

// Groups nest at most this deep: deeper is not a rule a person wrote, and every
// pass over the conditions (compiling, analysing, printing) recurses.
constexpr int kMaxConditionDepth = 32;

// A JSON value as a message may print it: for a personal field only its kind,
// never its text.
std::string Shown(const Json& j, const LeadFieldInfo& field) {
  if (!field.personal) return JsonKind(j);
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a boolean";
  return JsonKind(j);
}

constexpr absl::string_view kOpNames[] = {"==", "!=", "<",       "<=",      ">",
                                          ">=", "in", "is_null", "not_null"};

// Walks a document and collects every problem; each Parse* returns what it
// could read.
class Loader : public json_internal::JsonReader {
 public:
  using JsonReader::JsonReader;

  // The fields a policy may declare extra values for under "extra_values".
  // The engines read the other value sets (a lead's status, its review, its
  // sales stage) by their documented values, so those sets are closed.
  static constexpr absl::string_view kExtensibleFields[] = {"channel"};

  // Reads "extra_values": {field: [value, ...]}; must run before the rules,
  // whose literals it extends.
  std::vector<std::pair<std::string, std::vector<std::string>>>
  ParseExtraValues(const Json& doc) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    if (!doc.contains("extra_values")) return out;
    const std::string path = "/extra_values";
    const Json& j = doc.at("extra_values");
    if (!ExpectObject(j, path)) return out;
    for (const auto& [name, list] : j.items()) {
      const std::string where = Child(path, name);
      const LeadFieldInfo* field = FindLeadField(name);
      if (field != nullptr && !field->values.empty() &&
          std::find(std::begin(kExtensibleFields), std::end(kExtensibleFields),
                    name) == std::end(kExtensibleFields)) {
        Error(where, "",
              absl::StrCat("field ", Quoted(name),
                           " takes only its documented values (",
                           absl::StrJoin(field->values, ", "),
                           "): leadkit's engines read them"));
        continue;
      }
      if (field == nullptr || field->values.empty()) {
        Error(where, "",
              absl::StrCat("no extra values for ", Quoted(name),
                           ": only these fields take them",
                           Suggestion(name, kExtensibleFields)));
        continue;
      }
      if (!list.is_array()) {
        Error(where, "",
              absl::StrCat("expected an array of values, got ",
                           JsonKind(list)));
        continue;
      }
      std::vector<std::string> values;
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string at = Child(where, i);
        if (!list[i].is_string() || list[i].get<std::string>().empty()) {
          Error(at, "",
                absl::StrCat("expected a non-empty string, got ",
                             JsonKind(list[i])));
          continue;
        }
        std::string value = list[i].get<std::string>();
        if (std::find(field->values.begin(), field->values.end(), value) !=
            field->values.end()) {
          Warn(at, "",
               absl::StrCat(Quoted(value), " is already a documented ", name,
                            " value (docs/data.md)"));
          continue;
        }
        if (std::find(values.begin(), values.end(), value) != values.end()) {
          Error(at, "",
                absl::StrCat(name, " value ", Quoted(value),
                             " is declared twice"));
          continue;
        }
        values.push_back(std::move(value));
      }
      out.emplace_back(name, values);
      extra_values_[name] = std::move(values);
    }
    return out;
  }

  // An error, with the nearest valid value, when `value` is outside the value
  // set of `field`: its documented values and the policy's extra ones; for
  // `grade`, the policy's grades.
  void CheckValue(const LeadFieldInfo& field, const std::string& value,
                  const std::string& path, const std::string& rule) {
    std::vector<absl::string_view> valid(field.values.begin(),
                                         field.values.end());
    if (absl::string_view(field.name) == "grade" ||
        absl::string_view(field.name) == "grade_now") {
      valid.assign(grades_.begin(), grades_.end());
    }
    if (valid.empty()) return;
    if (const auto it = extra_values_.find(field.name);
        it != extra_values_.end()) {
      valid.insert(valid.end(), it->second.begin(), it->second.end());
    }
    if (std::find(valid.begin(), valid.end(), value) != valid.end()) return;
    const std::string nearest = NearestName(value, valid);
    Error(path, rule,
          absl::StrCat(
              "unknown ", field.name, " ", Quoted(value),
              nearest.empty()
                  ? absl::StrCat(" (expected one of ",
                                 absl::StrJoin(valid, ", "), ")")
                  : absl::StrCat("; did you mean ", Quoted(nearest), "?")));
  }

  Sla ParseSla(const Json& obj, absl::string_view key, const std::string& path,
               Sla fallback) {
    const std::string k(key);
    if (!obj.contains(k)) return fallback;
    const std::string where = Child(path, key);
    const Json& j = obj.at(k);
    if (!ExpectObject(j, where)) return fallback;
    static constexpr absl::string_view kKeys[] = {"hours", "minutes", "seconds",
                                                  "clock", "closed_deadline"};
    CheckKeys(j, where, kKeys);
    Sla sla = fallback;
    int units = 0;
    for (const auto& [unit, seconds] :
         {std::pair<const char*, double>{"hours", 3600.0},
          {"minutes", 60.0},
          {"seconds", 1.0}}) {
      if (!j.contains(unit)) continue;
      ++units;
      const double n = Number(j, unit, where, -1, 0, 1e6, /*integer=*/false);
      if (n < 0) continue;
      const double total = n * seconds;
      if (total != std::floor(total)) {
        Error(Child(where, unit), "",
              absl::StrCat(n, " ", unit, " is not a whole number of seconds"));
        continue;
      }
      sla.duration = std::chrono::seconds(static_cast<int64_t>(total));
    }
    if (units != 1) {
      Error(where, "",
            units == 0 ? "a duration needs one of \"hours\", \"minutes\", "
                         "\"seconds\""
                       : "a duration takes only one of \"hours\", "
                         "\"minutes\", \"seconds\"");
    }
    if (std::optional<std::string> clock = String(j, "clock", where, false)) {
      if (*clock == "calendar") {
        sla.clock = Clock::kCalendar;
      } else if (*clock == "business") {
        sla.clock = Clock::kBusiness;
      } else {
        static constexpr absl::string_view kClocks[] = {"calendar", "business"};
        Error(Child(where, "clock"), "",
              absl::StrCat("unknown clock ", Quoted(*clock),
                           Suggestion(*clock, kClocks)));
      }
    }
    if (std::optional<std::string> rule =
            String(j, "closed_deadline", where, false)) {
      static constexpr ClosedDeadline kRules[] = {
          ClosedDeadline::kKeep, ClosedDeadline::kNextOpen,
          ClosedDeadline::kEndOfNextOpenDay};
      const std::string at = Child(where, "closed_deadline");
      std::optional<ClosedDeadline> parsed;
      for (ClosedDeadline r : kRules) {
        if (*rule == ClosedDeadlineName(r)) parsed = r;
      }
      if (!parsed) {
        static constexpr absl::string_view kNames[] = {
            "keep", "next_open", "end_of_next_open_day"};
        Error(at, "",
              absl::StrCat("unknown closed_deadline ", Quoted(*rule),
                           Suggestion(*rule, kNames)));
      } else if (sla.clock != Clock::kCalendar) {
        Error(at, "",
              "closed_deadline applies to the calendar clock only (a "
              "business-clock deadline ends in open time or at a closing)");
      } else {
        sla.closed_deadline = *parsed;
      }
    }
    return sla;
  }

  // Resolves a grade name used at `path`; -1 (with an error) when it is not
  // declared.
  int GradeRef(const Json& j, const std::string& path,
               const std::vector<std::string>& grades,
               const std::string& rule = "") {
    if (!j.is_string()) {
      Error(path, rule,
            absl::StrCat("expected a grade name, got ", JsonKind(j)));
      return -1;
    }
    const std::string name = j.get<std::string>();
    for (size_t g = 0; g < grades.size(); ++g) {
      if (grades[g] == name) return static_cast<int>(g);
    }
    std::vector<absl::string_view> names(grades.begin(), grades.end());
    Error(path, rule,
          absl::StrCat("grade ", Quoted(name),
                       " is not declared in /grades (declared: ",
                       absl::StrJoin(grades, ", "), ")"));
    return -1;
  }

  std::vector<std::string> ParseGrades(const Json& doc) {
    std::vector<std::string> grades;
    if (!doc.contains("grades")) {
      Error("", "", "missing required key \"grades\"");
      return grades;
    }
    const Json& j = doc.at("grades");
    if (!j.is_array() || j.empty()) {
      Error("/grades", "",
            absl::StrCat("expected a non-empty array of grade names, got ",
                         JsonKind(j)));
      return grades;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string where = Child("/grades", i);
      if (!j[i].is_string() || j[i].get<std::string>().empty()) {
        Error(where, "",
              absl::StrCat("expected a grade name, got ", JsonKind(j[i])));
        continue;
      }
      std::string g = j[i].get<std::string>();
      if (std::find(grades.begin(), grades.end(), g) != grades.end()) {
        Error(where, "",
              absl::StrCat("grade ", Quoted(g), " is declared twice"));
        continue;
      }
      grades.push_back(std::move(g));
    }
    grades_ = grades;
    return grades;
  }

  std::optional<Literal> ParseLiteral(const Json& j, const LeadFieldInfo& field,
                                      const std::string& path,
                                      const std::string& rule) {
    switch (field.type) {
      case FieldType::kNumber:
        if (j.is_number()) return Literal(j.get<double>());
        break;
      case FieldType::kBool:
        if (j.is_boolean()) return Literal(j.get<bool>());
        break;
      case FieldType::kString:
        if (j.is_string()) {
          CheckValue(field, j.get<std::string>(), path, rule);
          return Literal(j.get<std::string>());
        }
        break;
      default:
        break;
    }
    Error(path, rule,
          absl::StrCat("field ", Quoted(field.name), " is a ",
                       FieldTypeName(field.type), " field; expected a ",
                       FieldTypeName(field.type), " value, got ",
                       Shown(j, field)));
    return std::nullopt;
  }

  std::optional<Condition> ParseCondition(const Json& j,
                                          const std::string& path,
                                          const std::string& rule,
                                          int depth = 1) {
    if (!ExpectObject(j, path, rule)) return std::nullopt;
    if (depth > kMaxConditionDepth) {
      Error(path, rule,
            absl::StrCat("conditions nested deeper than ", kMaxConditionDepth,
                         " groups"));
      return std::nullopt;
    }
    for (const char* group : {"all_of", "any_of"}) {
      if (!j.contains(group)) continue;
      Condition c;
      c.kind =
          group[1] == 'l' ? Condition::Kind::kAllOf : Condition::Kind::kAnyOf;
      static constexpr absl::string_view kGroupKeys[] = {"all_of", "any_of"};
      if (j.size() != 1) {
        Error(path, rule,
              absl::StrCat("a group holds only its key \"", group,
                           "\"; put comparisons inside its list"));
      }
      CheckKeys(j, path, kGroupKeys, rule);
      const Json& members = j.at(group);
      const std::string where = Child(path, group);
      if (!members.is_array() || members.empty()) {
        Error(where, rule,
              absl::StrCat("expected a non-empty array of conditions, got ",
                           JsonKind(members)));
        return std::nullopt;
      }
      bool ok = true;
      for (size_t i = 0; i < members.size(); ++i) {
        std::optional<Condition> child =
            ParseCondition(members[i], Child(where, i), rule, depth + 1);
        if (child) {
          c.children.push_back(std::move(*child));
        } else {
          ok = false;
        }
      }
      if (!ok) return std::nullopt;
      return c;
    }
    static constexpr absl::string_view kKeys[] = {"field", "op", "value",
                                                  "all_of", "any_of"};
    CheckKeys(j, path, kKeys, rule);
    Condition c;
    std::optional<std::string> field = String(j, "field", path, true, rule);
    std::optional<std::string> op = String(j, "op", path, true, rule);
    const LeadFieldInfo* info = nullptr;
    if (field) {
      info = task_fields_ ? FindPlaybookField(*field) : FindLeadField(*field);
      if (info == nullptr) {
        std::string nearest = task_fields_ ? NearestPlaybookField(*field)
                                           : NearestLeadField(*field);
        Error(Child(path, "field"), rule,
              absl::StrCat(
                  task_fields_ ? "unknown lead or task field "
                               : "unknown lead field ",
                  Quoted(*field),
                  nearest.empty()
                      ? std::string(task_fields_
                                        ? " (see docs/data.md and "
                                          "docs/playbook.md#fields)"
                                        : " (see docs/data.md)")
                      : absl::StrCat("; did you mean \"", nearest, "\"?")));
      }
    }
    std::optional<Op> parsed_op;
    if (op) {
      for (size_t k = 0; k < std::size(kOpNames); ++k) {
        if (*op == kOpNames[k]) parsed_op = static_cast<Op>(k);
      }
      if (!parsed_op) {
        Error(Child(path, "op"), rule,
              absl::StrCat("unknown operator ", Quoted(*op),
                           Suggestion(*op, kOpNames)));
      }
    }
    if (info == nullptr || !parsed_op) return std::nullopt;
    c.field = info->name;
    c.op = *parsed_op;
    const bool null_test = c.op == Op::kIsNull || c.op == Op::kNotNull;
    const std::string value_path = Child(path, "value");
    if (null_test) {
      if (j.contains("value")) {
        Error(value_path, rule,
              absl::StrCat("operator ", *op, " takes no value"));
        return std::nullopt;
      }
      return c;
    }
    const bool ordered = c.op == Op::kLt || c.op == Op::kLe ||
                         c.op == Op::kGt || c.op == Op::kGe;
    if (info->type == FieldType::kInstant || info->type == FieldType::kDate) {
      Error(Child(path, "op"), rule,
            absl::StrCat("field ", Quoted(info->name), " is a ",
                         FieldTypeName(info->type),
                         " field: rules may only test it with is_null or "
                         "not_null"));
      return std::nullopt;
    }
    if (ordered && info->type != FieldType::kNumber) {
      Error(Child(path, "op"), rule,
            absl::StrCat("operator ", *op, " needs a number field; ",
                         Quoted(info->name), " is a ",
                         FieldTypeName(info->type), " field"));
      return std::nullopt;
    }
    if (!j.contains("value")) {
      Error(path, rule, absl::StrCat("operator ", *op, " needs a \"value\""));
      return std::nullopt;
    }
    const Json& value = j.at("value");
    if (c.op == Op::kIn) {
      if (!value.is_array() || value.empty()) {
        Error(value_path, rule,
              absl::StrCat("operator in needs a non-empty array, got ",
                           Shown(value, *info)));
        return std::nullopt;
      }
      bool ok = true;
      for (size_t i = 0; i < value.size(); ++i) {
        std::optional<Literal> lit =
            ParseLiteral(value[i], *info, Child(value_path, i), rule);
        if (lit) {
          c.values.push_back(std::move(*lit));
        } else {
          ok = false;
        }
      }
      if (!ok) return std::nullopt;
      return c;
    }
    std::optional<Literal> lit = ParseLiteral(value, *info, value_path, rule);
    if (!lit) return std::nullopt;
    c.values.push_back(std::move(*lit));
    return c;
  }

  // The id of rule `r`, the i-th of the list at `list_path`: an error for an
  // empty one and for one the list gave before (`seen`: id -> index); "" when
  // absent or not a string (String reports that).
  std::string RuleId(const Json& r, const std::string& where,
                     absl::string_view list_path, size_t i,
                     absl::flat_hash_map<std::string, size_t>& seen) {
    std::optional<std::string> id = String(r, "id", where, true);
    if (!id) return "";
    if (id->empty()) {
      Error(Child(where, "id"), "", "a rule id may not be empty");
      return "";
    }
    auto [it, inserted] = seen.emplace(*id, i);
    if (!inserted) {
      Error(Child(where, "id"), *id,
            absl::StrCat("duplicate rule id ", Quoted(*id), " (first used at ",
                         list_path, "/", it->second, ")"));
    }
    return *id;
  }

  // Rules may be absent when the policy has scoring, which then grades every
  // lead.
  std::vector<Rule> ParseRules(const Json& doc,
                               const std::vector<std::string>& grades,
                               bool has_scoring) {
    std::vector<Rule> rules;
    if (!doc.contains("rules")) {
      if (!has_scoring) {
        Error("", "", "missing required key \"rules\" (or \"scoring\")");
      }
      return rules;
    }
    const Json& j = doc.at("rules");
    if (!j.is_array() || (j.empty() && !has_scoring)) {
      Error("/rules", "",
            absl::StrCat("expected a non-empty array of rules, got ",
                         JsonKind(j)));
      return rules;
    }
    absl::flat_hash_map<std::string, size_t> seen;
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string where = Child("/rules", i);
      const Json& r = j[i];
      if (!ExpectObject(r, where)) continue;
      Rule rule;
      rule.id = RuleId(r, where, "/rules", i, seen);
      static constexpr absl::string_view kKeys[] = {"id", "when", "grade",
                                                    "note"};
      CheckKeys(r, where, kKeys, rule.id);
      if (std::optional<std::string> note =
              String(r, "note", where, false, rule.id)) {
        rule.note = *note;
      }
      rule.when = When(r, where, rule.id);
      // After `when`, so that issues come in the order a rule is read.
      if (r.contains("grade")) {
        rule.grade =
            GradeRef(r.at("grade"), Child(where, "grade"), grades, rule.id);
      } else {
        Error(where, rule.id, "missing required key \"grade\"");
        rule.grade = -1;
      }
      rules.push_back(std::move(rule));
    }
    if (has_scoring || (!rules.empty() && !j.back().is_object())) return rules;
    if (!rules.empty() && j.back().contains("when") &&
        !(j.back().at("when").is_array() && j.back().at("when").empty())) {
      Error(Child("/rules", j.size() - 1), rules.back().id,
            "no default rule: the last rule must have no conditions (or the "
            "policy needs \"scoring\"), so that every lead gets a grade");
    }
    return rules;
  }

  // The conditions of a rule or scoring item at obj["when"].
  std::vector<Condition> When(const Json& obj, const std::string& where,
                              const std::string& id) {
    std::vector<Condition> out;
    if (!obj.contains("when")) return out;
    const Json& when = obj.at("when");
    const std::string when_path = Child(where, "when");
    if (!when.is_array()) {
      Error(when_path, id,
            absl::StrCat("expected an array of conditions, got ",
                         JsonKind(when)));
      return out;
    }
    for (size_t k = 0; k < when.size(); ++k) {
      std::optional<Condition> c =
          ParseCondition(when[k], Child(when_path, k), id);
      if (c) out.push_back(std::move(*c));
    }
    return out;
  }

  std::optional<Scoring> ParseScoring(const Json& doc,
                                      const std::vector<std::string>& grades) {
    if (!doc.contains("scoring")) return std::nullopt;
    const std::string path = "/scoring";
    const Json& j = doc.at("scoring");
    Scoring scoring;
    if (!ExpectObject(j, path)) return scoring;
    static constexpr absl::string_view kKeys[] = {"id", "points", "bands"};
    CheckKeys(j, path, kKeys);
    if (std::optional<std::string> id = String(j, "id", path, false)) {
      if (id->empty())
        Error(Child(path, "id"), "", "the scoring id may not be empty");
      scoring.id = *id;
    }
    const std::string items_path = Child(path, "points");
    if (!j.contains("points") || !j.at("points").is_array() ||
        j.at("points").empty()) {
      Error(j.contains("points") ? items_path : path, scoring.id,
            "scoring needs a non-empty array \"points\"");
    } else {
      absl::flat_hash_map<std::string, size_t> seen;
      const Json& items = j.at("points");
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string where = Child(items_path, i);
        if (!ExpectObject(items[i], where, scoring.id)) continue;
        static constexpr absl::string_view kItemKeys[] = {"id", "when",
                                                          "points", "note"};
        ScoreItem item;
        item.id = String(items[i], "id", where, true, scoring.id).value_or("");
        CheckKeys(items[i], where, kItemKeys, item.id);
        if (!item.id.empty()) {
          auto [it, inserted] = seen.emplace(item.id, i);
          if (!inserted) {
            Error(Child(where, "id"), item.id,
                  absl::StrCat("duplicate scoring item id ", Quoted(item.id),
                               " (first used at ", items_path, "/", it->second,
                               ")"));
          }
        }
        item.note =
            String(items[i], "note", where, false, item.id).value_or("");
        item.when = When(items[i], where, item.id);
        if (!items[i].contains("points")) {
          Error(where, item.id, "missing required key \"points\"");
        } else {
          item.points = Number(items[i], "points", where, 0, -1e9, 1e9, false);
        }
        scoring.items.push_back(std::move(item));
      }
    }
    ParseBands(j, path, grades, scoring);
    return scoring;
  }

  void ParseBands(const Json& j, const std::string& path,
                  const std::vector<std::string>& grades, Scoring& scoring) {
    const std::string bands_path = Child(path, "bands");
    if (!j.contains("bands") || !j.at("bands").is_array() ||
        j.at("bands").empty()) {
      Error(j.contains("bands") ? bands_path : path, scoring.id,
            "scoring needs a non-empty array \"bands\"");
      return;
    }
    const Json& bands = j.at("bands");
    bool ok = true;
    std::vector<std::pair<ScoreBand, size_t>> parsed;
    for (size_t i = 0; i < bands.size(); ++i) {
      const std::string where = Child(bands_path, i);
      if (!ExpectObject(bands[i], where, scoring.id)) {
        ok = false;
        continue;
      }
      static constexpr absl::string_view kBandKeys[] = {"min", "max", "grade"};
      CheckKeys(bands[i], where, kBandKeys, scoring.id);
      ScoreBand band;
      for (const char* key : {"min", "max"}) {
        if (!bands[i].contains(key)) continue;
        if (!bands[i].at(key).is_number()) {
          Error(Child(where, key), scoring.id,
                absl::StrCat("expected a number, got ",
                             JsonKind(bands[i].at(key))));
          ok = false;
          continue;
        }
        (key[1] == 'i' ? band.min : band.max) = bands[i].at(key).get<double>();
      }
      if (!bands[i].contains("grade")) {
        Error(where, scoring.id, "missing required key \"grade\"");
        ok = false;
      } else {
        band.grade = GradeRef(bands[i].at("grade"), Child(where, "grade"),
                              grades, scoring.id);
        ok &= band.grade >= 0;
      }
      if (band.min && band.max && *band.min >= *band.max) {
        Error(where, scoring.id,
              absl::StrCat("the band ", BandText(band),
                           " holds no total (min must be below max)"));
        ok = false;
      }
      parsed.emplace_back(band, i);
    }
    if (!ok) return;
    const auto low = [](const ScoreBand& b) {
      return b.min ? *b.min : -std::numeric_limits<double>::infinity();
    };
    std::stable_sort(parsed.begin(), parsed.end(),
                     [&](const auto& a, const auto& b) {
                       return low(a.first) < low(b.first);
                     });
    const auto at = [&](size_t k) {
      return Child(bands_path, parsed[k].second);
    };
    if (parsed.front().first.min) {
      Error(at(0), scoring.id,
            absl::StrCat("bands must cover every total: totals below ",
                         LiteralText(*parsed.front().first.min),
                         " fall in no band"));
    }
    for (size_t k = 1; k < parsed.size(); ++k) {
      const ScoreBand& prev = parsed[k - 1].first;
      const ScoreBand& next = parsed[k].first;
      const double prev_high =
          prev.max ? *prev.max : std::numeric_limits<double>::infinity();
      if (prev_high < low(next)) {
        Error(at(k), scoring.id,
              absl::StrCat("bands must cover every total: totals from ",
                           LiteralText(prev_high), " to ",
                           LiteralText(low(next)), " fall in no band"));
      } else if (prev_high > low(next)) {
        Error(at(k), scoring.id,
              absl::StrCat("bands overlap: ", BandText(prev), " and ",
                           BandText(next), " both hold ",
                           LiteralText(low(next))));
      }
    }
    if (parsed.back().first.max) {
      Error(at(parsed.size() - 1), scoring.id,
            absl::StrCat("bands must cover every total: totals from ",
                         LiteralText(*parsed.back().first.max),
                         " up fall in no band"));
    }
    for (const auto& [band, index] : parsed) scoring.bands.push_back(band);
  }

  CadenceSettings ParseCadence(const Json& doc,
                               const std::vector<std::string>& grades) {
    CadenceSettings c;
    c.follow_up.assign(grades.size(), std::nullopt);
    if (!doc.contains("cadence")) {
      for (const std::string& g : grades) {
        Warn("", "",
             absl::StrCat("grade ", Quoted(g),
                          " has no follow-up interval (no \"cadence\" "
                          "section): no follow_up tasks for it"));
      }
      return c;
    }
    const std::string path = "/cadence";
    const Json& j = doc.at("cadence");
    if (!ExpectObject(j, path)) return c;
    static constexpr absl::string_view kKeys[] = {
        "entry_sla",         "first_contact_sla",    "thank_you",
        "callback",          "follow_up_days",       "order_follow_up_days",
        "lost_nurture_days", "first_service_months", "owner_care",
        "lost_review",       "downgrade_review",     "greetings",
        "campaigns"};
    CheckKeys(j, path, kKeys);
    c.entry = ParseSla(j, "entry_sla", path, c.entry);
    c.first_contact = ParseSla(j, "first_contact_sla", path, c.first_contact);
    c.thank_you = ParseSla(j, "thank_you", path, c.thank_you);
    c.order_follow_up_days =
        Int(j, "order_follow_up_days", path, c.order_follow_up_days, 1);
    c.lost_nurture_days =
        Int(j, "lost_nurture_days", path, c.lost_nurture_days, 0);
    c.first_service_months =
        Int(j, "first_service_months", path, c.first_service_months, 1, 120);
    c.lost_review = ParseSla(j, "lost_review", path, c.lost_review);
    if (j.contains("callback")) {
      const std::string where = Child(path, "callback");
      const Json& cb = j.at("callback");
      if (ExpectObject(cb, where)) {
        static constexpr absl::string_view kCallbackKeys[] = {"channels",
                                                              "within"};
        CheckKeys(cb, where, kCallbackKeys);
        c.callback = ParseSla(cb, "within", where, c.callback);
        c.callback_channels = StringList(cb, "channels", where);
        const Json* channels =
            cb.contains("channels") ? &cb.at("channels") : nullptr;
        for (size_t i = 0; channels != nullptr && channels->is_array() &&
                           i < channels->size();
             ++i) {
          if (!(*channels)[i].is_string()) continue;  // StringList said so
          CheckValue(*FindLeadField("channel"),
                     (*channels)[i].get<std::string>(),
                     Child(Child(where, "channels"), i), "");
        }
      }
    }
    if (j.contains("owner_care")) {
      const std::string where = Child(path, "owner_care");
      const Json& oc = j.at("owner_care");
      if (ExpectObject(oc, where)) {
        static constexpr absl::string_view kOwnerKeys[] = {
            "early_days", "early_months", "later_days"};
        CheckKeys(oc, where, kOwnerKeys);
        c.owner_care_early_days =
            Int(oc, "early_days", where, c.owner_care_early_days, 1);
        c.owner_care_early_months =
            Int(oc, "early_months", where, c.owner_care_early_months, 0, 120);
        c.owner_care_later_days =
            Int(oc, "later_days", where, c.owner_care_later_days, 1);
      }
    }
    if (j.contains("downgrade_review")) {
      const std::string where = Child(path, "downgrade_review");
      const Json& dr = j.at("downgrade_review");
      if (ExpectObject(dr, where)) {
        static constexpr absl::string_view kDowngradeKeys[] = {
            "missed_in_a_row", "within"};
        CheckKeys(dr, where, kDowngradeKeys);
        c.downgrade_after_missed =
            Int(dr, "missed_in_a_row", where, c.downgrade_after_missed, 1);
        c.downgrade_review = ParseSla(dr, "within", where, c.downgrade_review);
      }
    }
    ParseFollowUp(j, path, grades, c);
    ParseDatedList(j, "greetings", path, false,
                   [&](date::local_days day, std::string name, std::string) {
                     c.greetings.push_back({day, std::move(name)});
                   });
    ParseDatedList(
        j, "campaigns", path, true,
        [&](date::local_days day, std::string name, std::string model) {
          c.campaigns.push_back({std::move(model), day, std::move(name)});
        });
    std::stable_sort(
        c.greetings.begin(), c.greetings.end(),
        [](const Greeting& a, const Greeting& b) { return a.day < b.day; });
    std::stable_sort(
        c.campaigns.begin(), c.campaigns.end(),
        [](const Campaign& a, const Campaign& b) { return a.day < b.day; });
    return c;
  }

  // A list of {"date", "name"} (and "model" when `with_model`) entries at
  // obj[key].
  template <typename Add>
  void ParseDatedList(const Json& obj, absl::string_view key,
                      const std::string& path, bool with_model, Add add) {
    const std::string k(key);
    if (!obj.contains(k)) return;
    const std::string where = Child(path, key);
    const Json& list = obj.at(k);
    if (!list.is_array()) {
      Error(where, "", absl::StrCat("expected an array, got ", JsonKind(list)));
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = Child(where, i);
      if (!ExpectObject(list[i], at)) continue;
      static constexpr absl::string_view kKeys[] = {"date", "name", "model"};
      CheckKeys(list[i], at, std::span(kKeys).first(with_model ? 3 : 2));
      std::optional<std::string> text = String(list[i], "date", at, true);
      std::optional<std::string> name = String(list[i], "name", at, true);
      std::optional<std::string> model =
          with_model ? String(list[i], "model", at, true)
                     : std::optional<std::string>("");
      if (!text || !name || !model) continue;
      std::istringstream in(*text);
      date::local_days day;
      in >> date::parse("%F", day);
      if (in.fail() || text->size() != 10) {
        Error(Child(at, "date"), "",
              absl::StrCat("expected a date YYYY-MM-DD, got ", Quoted(*text)));
        continue;
      }
      add(day, *std::move(name), *std::move(model));
    }
  }

  void ParseFollowUp(const Json& cadence, const std::string& path,
                     const std::vector<std::string>& grades,
                     CadenceSettings& c) {
    const std::string where = Child(path, "follow_up_days");
    if (!cadence.contains("follow_up_days")) {
      Warn(path, "", "no \"follow_up_days\": no grade gets follow_up tasks");
      return;
    }
    const Json& table = cadence.at("follow_up_days");
    if (!ExpectObject(table, where)) return;
    // Grades whose interval is given (well or not): only the others are warned
    // about.
    std::vector<bool> given(grades.size(), false);
    for (const auto& [grade, interval] : table.items()) {
      const std::string at = Child(where, grade);
      const int g = GradeRef(Json(grade), at, grades);
      if (g < 0) continue;
      given[static_cast<size_t>(g)] = true;
      // Whole days from 1 to kMaxDays; anything else is reported, never
      // truncated.
      constexpr int64_t kMaxDays = 100000;
      const auto days = [](const Json& v) -> int64_t {
        if (!v.is_number_integer()) return -1;
        if (v.is_number_unsigned()) {
          return v.get<uint64_t>() > static_cast<uint64_t>(kMaxDays)
                     ? -1
                     : v.get<int64_t>();
        }
        return v.get<int64_t>();
      };
      // The days alone, or {"days": ..., "due": ...}.
      IntervalDue due = IntervalDue::kEndOfDay;
      std::string days_at = at;
      const Json* value = &interval;
      if (interval.is_object()) {
        static constexpr absl::string_view kIntervalKeys[] = {"days", "due"};
        CheckKeys(interval, at, kIntervalKeys);
        if (std::optional<std::string> text =
                String(interval, "due", at, false)) {
          if (*text == IntervalDueName(IntervalDue::kExact)) {
            due = IntervalDue::kExact;
          } else if (*text != IntervalDueName(IntervalDue::kEndOfDay)) {
            static constexpr absl::string_view kDues[] = {"end_of_day",
                                                          "exact"};
            Error(Child(at, "due"), "",
                  absl::StrCat("unknown due ", Quoted(*text),
                               Suggestion(*text, kDues)));
          }
        }
        if (!interval.contains("days")) {
          Error(at, "", "missing required key \"days\"");
          continue;
        }
        days_at = Child(at, "days");
        value = &interval.at("days");
      }
      const Json& v = *value;
      const bool range = v.is_array() && v.size() == 2;
      const int64_t low = range ? days(v[0]) : days(v);
      const int64_t high = range ? days(v[1]) : low;
      if ((!range && !v.is_number_integer()) ||
          (range &&
           (!v[0].is_number_integer() || !v[1].is_number_integer()))) {
        Error(days_at, "",
              absl::StrCat("expected a whole number of days or a range "
                           "[min, max], got ",
                           v.is_array() ? v.dump() : JsonKind(v)));
        continue;
      }
      if (low < 1 || high < 1 || low > kMaxDays || high > kMaxDays) {
        Error(days_at, "",
              absl::StrCat("a follow-up interval is 1 to ", kMaxDays,
                           " days, got ", v.dump()));
        continue;
      }
      if (low > high) {
        Error(days_at, "",
              absl::StrCat("interval bounds are reversed: ", v.dump(),
                           " (write [", high, ", ", low, "])"));
        continue;
      }
      const FollowUpInterval parsed{.min_days = static_cast<int>(low),
                                    .max_days = static_cast<int>(high),
                                    .due = due};
      c.follow_up[static_cast<size_t>(g)] = parsed;
    }
    for (size_t g = 0; g < grades.size(); ++g) {
      if (!given[g]) {
        Warn(where, "",
             absl::StrCat("grade ", Quoted(grades[g]),
                          " has no follow-up interval: no follow_up tasks "
                          "for it"));
      }
    }
  }

  // {"name", "time_zone"} (either may be left out): a preset, possibly read
  // in another zone — the form the canonical document writes.
  static bool IsPresetReference(const Json& j) {
    return j.is_object() &&
           std::all_of(j.items().begin(), j.items().end(), [](const auto& kv) {
             return kv.key() == "name" || kv.key() == "time_zone";
           });
  }

  // A calendar as a policy names it at `path` (docs/policy.md#calendar): a
  // preset's name; {"name", "time_zone"}, a preset read in another zone; an
  // inline calendar document; or {"file": ...}, a calendar the caller
  // supplied. nullopt after an error issue.
  std::optional<std::pair<CalendarRef, Calendar>> ResolveCalendar(
      const Json& j, const std::string& path,
      const PolicyLoadOptions& options) {
    if (j.is_string()) return PresetCalendar(j.get<std::string>(), "", path);
    if (!ExpectObject(j, path)) return std::nullopt;
    if (j.contains("file")) {
      static constexpr absl::string_view kKeys[] = {"file"};
      CheckKeys(j, path, kKeys);
      std::optional<std::string> file = String(j, "file", path, true);
      if (!file) return std::nullopt;
      const auto it = options.calendar_files.find(*file);
      if (it == options.calendar_files.end()) {
        Error(Child(path, "file"), "",
              absl::StrCat("no calendar was loaded for the file reference ",
                           Quoted(*file),
                           " (Policy.load reads it relative to the policy "
                           "file; C++ callers supply it in "
                           "PolicyLoadOptions::calendar_files)"));
        return std::nullopt;
      }
      return std::make_pair(
          CalendarRef{it->second.name(), it->second.time_zone()}, it->second);
    }
    const bool reference = IsPresetReference(j);
    if (reference) {
      std::optional<std::string> name = String(j, "name", path, false);
      std::optional<std::string> zone = String(j, "time_zone", path, false);
      if (j.contains("name") && !name) return std::nullopt;
      if (j.contains("time_zone") && !zone) return std::nullopt;
      return PresetCalendar(name.value_or(CalendarRef{}.name),
                            zone.value_or(""), path);
    }
    // An inline calendar document: its issues, under `path`.
    CalendarLoadOptions calendar_options{options.calendar_files};
    absl::StatusOr<CalendarLoad> load =
        Calendar::FromJson(j.dump(), calendar_options);
    if (!load.ok()) {
      Error(path, "", std::string(load.status().message()));
      return std::nullopt;
    }
    for (const Issue& issue : load->issues()) {
      Issue moved = issue;
      moved.path = path + issue.path;
      issues_.push_back(std::move(moved));
    }
    absl::StatusOr<Calendar> calendar = load->calendar();
    if (!calendar.ok()) return std::nullopt;
    return std::make_pair(CalendarRef{calendar->name(), calendar->time_zone()},
                          *calendar);
  }

  // Preset `name`, its hours and dates read as wall times of `zone` when
  // that is given and differs.
  std::optional<std::pair<CalendarRef, Calendar>> PresetCalendar(
      const std::string& name, const std::string& zone,
      const std::string& path) {
    const std::vector<std::string> presets = Calendar::PresetNames();
    if (std::find(presets.begin(), presets.end(), name) == presets.end()) {
      const std::vector<absl::string_view> names(presets.begin(),
                                                 presets.end());
      Error(json_internal::Child(path, "name"), "",
            absl::StrCat("unknown calendar ", Quoted(name),
                         Suggestion(name, names),
                         " A calendar is a preset's name, a calendar "
                         "document or {\"file\": ...}"));
      return std::nullopt;
    }
    absl::StatusOr<Calendar> preset = Calendar::Preset(name);
    if (!preset.ok()) {
      Error(path, "", std::string(preset.status().message()));
      return std::nullopt;
    }
    if (zone.empty() || zone == preset->time_zone()) {
      return std::make_pair(CalendarRef{name, preset->time_zone()}, *preset);
    }
    absl::StatusOr<TimeZone> found = FindZone(zone);
    if (!found.ok()) {
      Error(Child(path, "time_zone"), "", std::string(found.status().message()));
      return std::nullopt;
    }
    nlohmann::json doc = nlohmann::json::parse(preset->ToJson());
    doc["time_zone"] = zone;
    absl::StatusOr<CalendarLoad> load = Calendar::FromJson(doc.dump());
    absl::StatusOr<Calendar> moved =
        load.ok() ? load->calendar() : absl::StatusOr<Calendar>(load.status());
    if (!moved.ok()) {
      Error(Child(path, "time_zone"), "", std::string(moved.status().message()));
      return std::nullopt;
    }
    return std::make_pair(CalendarRef{name, zone}, *moved);
  }

  // "calendar" and "calendars" into `data`.
  void ParseCalendars(const Json& doc, const PolicyLoadOptions& options,
                      PolicyData& data) {
    if (doc.contains("calendar")) {
      const Json& j = doc.at("calendar");
      const bool reference = IsPresetReference(j);
      if (!reference) data.calendar_doc = j;
      if (auto resolved = ResolveCalendar(j, "/calendar", options)) {
        data.calendar = resolved->first;
        data.business_calendar = resolved->second;
      }
    } else if (auto resolved = PresetCalendar(CalendarRef{}.name, "",
                                              "/calendar")) {
      data.calendar = resolved->first;
      data.business_calendar = resolved->second;
    }
    if (!doc.contains("calendars")) return;
    const Json& named = doc.at("calendars");
    if (!ExpectObject(named, "/calendars")) return;
    data.calendars_doc = named;
    for (const auto& [name, spec] : named.items()) {
      const std::string path = Child("/calendars", name);
      if (name.empty()) {
        Error(path, "", "a calendar's name is not empty");
        continue;
      }
      if (auto resolved = ResolveCalendar(spec, path, options)) {
        data.dealer_calendars.emplace(name, resolved->second);
      }
    }
  }

  RoutingSettings ParseRouting(const Json& doc,
                               const std::vector<std::string>& grades) {
    RoutingSettings r;
    if (!doc.contains("routing")) return r;
    const std::string path = "/routing";
    const Json& j = doc.at("routing");
    if (!ExpectObject(j, path)) return r;
    static constexpr absl::string_view kKeys[] = {
        "duplicate_window_days", "max_distance_km", "high_intent_grades",
        "experience_years", "reclaim_limit", "overflow"};
    CheckKeys(j, path, kKeys);
    r.duplicate_window_days =
        Int(j, "duplicate_window_days", path, r.duplicate_window_days, 0);
    r.max_distance_km = Number(j, "max_distance_km", path, r.max_distance_km, 0,
                               20038, /*integer=*/false);
    r.experience_years = Number(j, "experience_years", path, r.experience_years,
                                0, 80, /*integer=*/false);
    r.reclaim_limit = Int(j, "reclaim_limit", path, r.reclaim_limit, 0);
    if (std::optional<std::string> overflow =
            String(j, "overflow", path, false)) {
      static constexpr absl::string_view kOverflows[] = {"next_dealer", "none"};
      if (*overflow == "next_dealer") {
        r.overflow = Overflow::kNextDealer;
      } else if (*overflow == "none") {
        r.overflow = Overflow::kNone;
      } else {
        Error(Child(path, "overflow"), "",
              absl::StrCat("unknown overflow ", Quoted(*overflow),
                           Suggestion(*overflow, kOverflows)));
      }
    }
    if (j.contains("high_intent_grades")) {
      const std::string where = Child(path, "high_intent_grades");
      const Json& list = j.at("high_intent_grades");
      if (!list.is_array()) {
        Error(where, "",
              absl::StrCat("expected an array of grade names, got ",
                           JsonKind(list)));
      } else {
        for (size_t i = 0; i < list.size(); ++i) {
          const int g = GradeRef(list[i], Child(where, i), grades);
          if (g >= 0) r.high_intent_grades.push_back(g);
        }
      }
    }
    return r;
  }

  // Reads "playbook" (docs/playbook.md); DefaultPlaybook() when absent.
  Playbook ParsePlaybook(const Json& doc) {
    if (!doc.contains("playbook")) return DefaultPlaybook();
    Playbook out;
    const std::string path = "/playbook";
    const Json& j = doc.at("playbook");
    if (!ExpectObject(j, path)) return out;
    static constexpr absl::string_view kKeys[] = {"content", "goals", "zh",
                                                  "rules"};
    CheckKeys(j, path, kKeys);
    out.extra_contents =
        Vocabulary(j, "content", path, PlaybookContents(), "content type");
    out.extra_goals = Vocabulary(j, "goals", path, PlaybookGoals(), "goal");
    std::vector<absl::string_view> contents(PlaybookContents().begin(),
                                            PlaybookContents().end());
    contents.insert(contents.end(), out.extra_contents.begin(),
                    out.extra_contents.end());
    std::vector<absl::string_view> goals(PlaybookGoals().begin(),
                                         PlaybookGoals().end());
    goals.insert(goals.end(), out.extra_goals.begin(), out.extra_goals.end());
    if (j.contains("zh")) {
      const std::string zh_path = Child(path, "zh");
      const Json& zh = j.at("zh");
      if (ExpectObject(zh, zh_path)) {
        static constexpr absl::string_view kZhKeys[] = {"content", "goals"};
        CheckKeys(zh, zh_path, kZhKeys);
        out.zh_contents = Names(zh, "content", zh_path, contents,
                                "content type", "/playbook/content");
        out.zh_goals =
            Names(zh, "goals", zh_path, goals, "goal", "/playbook/goals");
      }
    }
    const std::string rules_path = Child(path, "rules");
    if (!j.contains("rules") || !j.at("rules").is_array() ||
        j.at("rules").empty()) {
      Error(j.contains("rules") ? rules_path : path, "",
            j.contains("rules")
                ? absl::StrCat("expected a non-empty array of rules, got ",
                               JsonKind(j.at("rules")))
                : std::string("missing required key \"rules\""));
      return out;
    }
    const Json& rules = j.at("rules");
    absl::flat_hash_map<std::string, size_t> seen;
    task_fields_ = true;
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string where = Child(rules_path, i);
      const Json& r = rules[i];
      if (!ExpectObject(r, where)) continue;
      PlaybookRule rule;
      rule.id = RuleId(r, where, rules_path, i, seen);
      static constexpr absl::string_view kRuleKeys[] = {"id", "when", "action",
                                                        "note", "zh"};
      CheckKeys(r, where, kRuleKeys, rule.id);
      rule.note = String(r, "note", where, false, rule.id).value_or("");
      rule.zh = String(r, "zh", where, false, rule.id).value_or("");
      rule.when = When(r, where, rule.id);
      rule.action = ParseAction(r, where, rule.id, contents, goals);
      out.rules.push_back(std::move(rule));
    }
    task_fields_ = false;
    const Json& last = rules.back();
    if (last.is_object() && last.contains("when") &&
        !(last.at("when").is_array() && last.at("when").empty())) {
      Error(Child(rules_path, rules.size() - 1),
            out.rules.empty() ? "" : out.rules.back().id,
            "no default rule: the last playbook rule must have no conditions, "
            "so that every task gets an action");
    }
    return out;
  }

  // The action at obj["action"]: a method, a content type and a goal, each
  // from its vocabulary.
  PlaybookAction ParseAction(const Json& obj, const std::string& where,
                             const std::string& id,
                             std::span<const absl::string_view> contents,
                             std::span<const absl::string_view> goals) {
    PlaybookAction action;
    if (!obj.contains("action")) {
      Error(where, id, "missing required key \"action\"");
      return action;
    }
    const std::string path = Child(where, "action");
    const Json& a = obj.at("action");
    if (!ExpectObject(a, path, id)) return action;
    static constexpr absl::string_view kKeys[] = {"method", "content", "goal"};
    CheckKeys(a, path, kKeys, id);
    const auto word = [&](absl::string_view key,
                          std::span<const absl::string_view> valid,
                          absl::string_view what, absl::string_view extend) {
      std::optional<std::string> value = String(a, key, path, true, id);
      if (!value) return std::string();
      if (std::find(valid.begin(), valid.end(), *value) == valid.end()) {
        const std::string nearest = NearestName(*value, valid);
        Error(Child(path, key), id,
              absl::StrCat(
                  "unknown ", what, " ", Quoted(*value),
                  nearest.empty()
                      ? absl::StrCat(" (expected one of ",
                                     absl::StrJoin(valid, ", "), ")")
                      : absl::StrCat("; did you mean ", Quoted(nearest), "?"),
                  extend));
      }
      return *value;
    };
    action.method = word("method", PlaybookMethods(), "method", "");
    action.content =
        word("content", contents, "content type",
             "; a policy may declare more under /playbook/content");
    action.goal = word("goal", goals, "goal",
                       "; a policy may declare more under /playbook/goals");
    return action;
  }

  // The words a policy adds to a documented vocabulary at obj[key].
  std::vector<std::string> Vocabulary(const Json& obj, absl::string_view key,
                                      const std::string& path,
                                      std::span<const absl::string_view> known,
                                      absl::string_view what) {
    std::vector<std::string> out;
    const std::string k(key);
    if (!obj.contains(k)) return out;
    const std::string where = Child(path, key);
    const Json& list = obj.at(k);
    if (!list.is_array()) {
      Error(where, "",
            absl::StrCat("expected an array of names, got ", JsonKind(list)));
      return out;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = Child(where, i);
      if (!list[i].is_string() || list[i].get<std::string>().empty()) {
        Error(at, "",
              absl::StrCat("expected a non-empty string, got ",
                           JsonKind(list[i])));
        continue;
      }
      std::string value = list[i].get<std::string>();
      if (std::find(known.begin(), known.end(), value) != known.end()) {
        Warn(at, "",
             absl::StrCat(Quoted(value), " is already a documented ", what,
                          " (docs/playbook.md)"));
        continue;
      }
      if (std::find(out.begin(), out.end(), value) != out.end()) {
        Error(at, "",
              absl::StrCat(what, " ", Quoted(value), " is declared twice"));
        continue;
      }
      out.push_back(std::move(value));
    }
    return out;
  }

  // The names at obj[key] (playbook.zh.content, playbook.zh.goals): an
  // object of word -> non-empty name, each word one of `words`, the
  // vocabulary a policy extends under `extend`.
  std::map<std::string, std::string, std::less<>> Names(
      const Json& obj, absl::string_view key, const std::string& path,
      std::span<const absl::string_view> words, absl::string_view what,
      absl::string_view extend) {
    std::map<std::string, std::string, std::less<>> out;
    const std::string k(key);
    if (!obj.contains(k)) return out;
    const std::string where = Child(path, key);
    const Json& names = obj.at(k);
    if (!ExpectObject(names, where)) return out;
    for (const auto& [word, name] : names.items()) {
      const std::string at = Child(where, word);
      if (std::find(words.begin(), words.end(), word) == words.end()) {
        Error(at, "",
              absl::StrCat("unknown ", what, " ", Quoted(word),
                           Suggestion(word, words), "; a policy may declare ",
                           "more under ", extend));
        continue;
      }
      if (!name.is_string() || name.get<std::string>().empty()) {
        Error(at, "",
              absl::StrCat("expected a non-empty name, got ",
                           name.is_string() ? "\"\"" : JsonKind(name)));
        continue;
      }
      out.emplace(word, name.get<std::string>());
    }
    return out;
  }

  ScorecardSettings ParseScorecard(const Json& doc) {
    ScorecardSettings s;
    if (!doc.contains("scorecard")) return s;
    const std::string path = "/scorecard";
    const Json& j = doc.at("scorecard");
    if (!ExpectObject(j, path)) return s;
    static constexpr absl::string_view kKeys[] = {"weights"};
    CheckKeys(j, path, kKeys);
    if (!j.contains("weights")) return s;
    const std::string where = Child(path, "weights");
    const Json& weights = j.at("weights");
    if (!ExpectObject(weights, where)) return s;
    const std::span<const absl::string_view> rates = ScorecardRates();
    for (const auto& [name, value] : weights.items()) {
      if (std::find(rates.begin(), rates.end(), name) == rates.end()) {
        Error(Child(where, name), "",
              absl::StrCat("unknown KPI rate ", Quoted(name),
                           Suggestion(name, rates)));
        continue;
      }
      s.weights.emplace_back(name, Number(weights, name, where, 0, 0, 1e6,
                                          /*integer=*/false));
    }
    return s;
  }

 private:
  // Declared under "extra_values": field name -> values.
  absl::flat_hash_map<std::string, std::vector<std::string>> extra_values_;
  std::vector<std::string> grades_;  // as ParseGrades read them
  // Conditions may read the task fields (lead.h, TaskFields): the playbook's.
  bool task_fields_ = false;

};

// --- Compiling rules into the evaluator's flat form
// ---------------------------------------

// `fields` collects the lead fields the conditions read (the task fields are
// not columns of the leads table).
int CompileNode(const Condition& c, PolicyData& data,
                std::vector<std::string>& fields) {
  CompiledNode node;
  if (c.kind == Condition::Kind::kCompare) {
    CompiledLeaf leaf;
    leaf.field = FindPlaybookField(c.field);
    leaf.op = c.op;
    leaf.text = ConditionText(c);
    for (const Literal& v : c.values) {
      if (const double* d = std::get_if<double>(&v)) leaf.numbers.push_back(*d);
      if (const bool* b = std::get_if<bool>(&v)) {
        leaf.numbers.push_back(*b ? 1.0 : 0.0);
      }
      if (const std::string* s = std::get_if<std::string>(&v)) {
        leaf.strings.push_back(NormalizeValue(c.field, *s));
      }
    }
    if (FindLeadField(c.field) != nullptr &&
        std::find(fields.begin(), fields.end(), c.field) == fields.end()) {
      fields.push_back(c.field);
    }
    node.kind = CompiledNode::Kind::kLeaf;
    node.leaf = static_cast<int>(data.leaves.size());
    data.leaves.push_back(std::move(leaf));
  } else {
    node.kind = c.kind == Condition::Kind::kAllOf ? CompiledNode::Kind::kAllOf
                                                  : CompiledNode::Kind::kAnyOf;
    for (const Condition& child : c.children) {
      node.children.push_back(CompileNode(child, data, fields));
    }
  }
  data.nodes.push_back(std::move(node));
  return static_cast<int>(data.nodes.size()) - 1;
}

// The root node of conditions that must all hold; -1 when there are none.
int CompileWhen(const std::vector<Condition>& when, PolicyData& data,
                std::vector<std::string>& fields) {
  if (when.empty()) return -1;
  if (when.size() == 1) return CompileNode(when.front(), data, fields);
  return CompileNode(
      Condition{.kind = Condition::Kind::kAllOf, .children = when}, data,
      fields);
}

void Compile(PolicyData& data) {
  for (const Rule& rule : data.rules) {
    data.compiled_rules.push_back(
        {.root = CompileWhen(rule.when, data, data.fields),
         .grade = rule.grade});
  }
  if (data.scoring) {
    for (const ScoreItem& item : data.scoring->items) {
      data.compiled_score.push_back(
          {.root = CompileWhen(item.when, data, data.fields),
           .points = item.points});
    }
  }
  // The playbook's leaves come last (PolicyData::playbook_leaves).
  data.playbook_leaves = static_cast<int>(data.leaves.size());
  for (const PlaybookRule& rule : data.playbook.rules) {
    data.compiled_playbook.push_back(
        {.root = CompileWhen(rule.when, data, data.playbook_fields)});
  }
}

// --- Writing the canonical document
// --------------------------------------------------------

OrderedJson NumberJson(double x) {
  if (x == std::floor(x) && std::fabs(x) < 9.0e15) {
    return OrderedJson(static_cast<int64_t>(x));
  }
  return OrderedJson(x);
}

OrderedJson LiteralJson(const Literal& v) {
  if (const double* d = std::get_if<double>(&v)) return NumberJson(*d);
  if (const bool* b = std::get_if<bool>(&v)) return OrderedJson(*b);
  return OrderedJson(std::get<std::string>(v));
}

OrderedJson ConditionJson(const Condition& c) {
  OrderedJson out = OrderedJson::object();
  if (c.kind != Condition::Kind::kCompare) {
    OrderedJson members = OrderedJson::array();
    for (const Condition& child : c.children) {
      members.push_back(ConditionJson(child));
    }
    out[c.kind == Condition::Kind::kAllOf ? "all_of" : "any_of"] = members;
    return out;
  }
  out["field"] = c.field;
  out["op"] = std::string(OpName(c.op));
  if (c.op == Op::kIn) {
    OrderedJson values = OrderedJson::array();
    for (const Literal& v : c.values) values.push_back(LiteralJson(v));
    out["value"] = values;
  } else if (!c.values.empty()) {
    out["value"] = LiteralJson(c.values.front());
  }
  return out;
}

OrderedJson SlaJson(const Sla& sla) {
  OrderedJson out = OrderedJson::object();
  const int64_t s = sla.duration.count();
  if (s % 3600 == 0) {
    out["hours"] = s / 3600;
  } else if (s % 60 == 0) {
    out["minutes"] = s / 60;
  } else {
    out["seconds"] = s;
  }
  out["clock"] = std::string(ClockName(sla.clock));
  if (sla.clock == Clock::kCalendar) {
    out["closed_deadline"] =
        std::string(ClosedDeadlineName(sla.closed_deadline));
  }
  return out;
}

std::string ToCanonicalJson(const PolicyData& d) {
  OrderedJson doc = OrderedJson::object();
  doc["format"] = kFormat;
  doc["name"] = d.name;
  doc["description"] = d.description;
  doc["grades"] = d.grades;
  OrderedJson rules = OrderedJson::array();
  for (const Rule& r : d.rules) {
    OrderedJson rule = OrderedJson::object();
    rule["id"] = r.id;
    if (!r.when.empty()) {
      OrderedJson when = OrderedJson::array();
      for (const Condition& c : r.when) when.push_back(ConditionJson(c));
      rule["when"] = when;
    }
    rule["grade"] = d.grades[static_cast<size_t>(r.grade)];
    if (!r.note.empty()) rule["note"] = r.note;
    rules.push_back(rule);
  }
  doc["rules"] = rules;
  if (d.scoring) {
    OrderedJson items = OrderedJson::array();
    for (const ScoreItem& item : d.scoring->items) {
      OrderedJson entry = {{"id", item.id}};
      if (!item.when.empty()) {
        OrderedJson when = OrderedJson::array();
        for (const Condition& c : item.when) when.push_back(ConditionJson(c));
        entry["when"] = when;
      }
      entry["points"] = NumberJson(item.points);
      if (!item.note.empty()) entry["note"] = item.note;
      items.push_back(entry);
    }
    OrderedJson bands = OrderedJson::array();
    for (const ScoreBand& band : d.scoring->bands) {
      OrderedJson entry = OrderedJson::object();
      if (band.min) entry["min"] = NumberJson(*band.min);
      if (band.max) entry["max"] = NumberJson(*band.max);
      entry["grade"] = d.grades[static_cast<size_t>(band.grade)];
      bands.push_back(entry);
    }
    doc["scoring"] = {
        {"id", d.scoring->id}, {"points", items}, {"bands", bands}};
  }
  const CadenceSettings& c = d.cadence;
  OrderedJson cadence = OrderedJson::object();
  cadence["entry_sla"] = SlaJson(c.entry);
  cadence["first_contact_sla"] = SlaJson(c.first_contact);
  cadence["thank_you"] = SlaJson(c.thank_you);
  cadence["callback"] = {{"channels", c.callback_channels},
                         {"within", SlaJson(c.callback)}};
  OrderedJson follow_up = OrderedJson::object();
  for (size_t g = 0; g < d.grades.size(); ++g) {
    if (!c.follow_up[g]) continue;
    const FollowUpInterval& f = *c.follow_up[g];
    follow_up[d.grades[g]] = {
        {"days", f.is_range() ? OrderedJson::array({f.min_days, f.max_days})
                              : OrderedJson(f.min_days)},
        {"due", std::string(IntervalDueName(f.due))}};
  }
  cadence["follow_up_days"] = follow_up;
  cadence["order_follow_up_days"] = c.order_follow_up_days;
  cadence["lost_nurture_days"] = c.lost_nurture_days;
  cadence["first_service_months"] = c.first_service_months;
  cadence["owner_care"] = {{"early_days", c.owner_care_early_days},
                           {"early_months", c.owner_care_early_months},
                           {"later_days", c.owner_care_later_days}};
  cadence["lost_review"] = SlaJson(c.lost_review);
  cadence["downgrade_review"] = {{"missed_in_a_row", c.downgrade_after_missed},
                                 {"within", SlaJson(c.downgrade_review)}};
  OrderedJson greetings = OrderedJson::array();
  for (const Greeting& g : c.greetings) {
    greetings.push_back(
        {{"date", date::format("%F", g.day)}, {"name", g.name}});
  }
  cadence["greetings"] = greetings;
  OrderedJson campaigns = OrderedJson::array();
  for (const Campaign& g : c.campaigns) {
    campaigns.push_back({{"model", g.model},
                         {"date", date::format("%F", g.day)},
                         {"name", g.name}});
  }
  cadence["campaigns"] = campaigns;
  doc["cadence"] = cadence;
  // What the document wrote: a preset reference in full, a preset's name, an
  // inline document or a file reference (never the file's contents).
  if (d.calendar_doc.is_null()) {
    doc["calendar"] = {{"name", d.calendar.name},
                       {"time_zone", d.calendar.time_zone}};
  } else {
    doc["calendar"] = OrderedJson::parse(d.calendar_doc.dump());
  }
  if (!d.calendars_doc.is_null()) {
    doc["calendars"] = OrderedJson::parse(d.calendars_doc.dump());
  }
  OrderedJson high = OrderedJson::array();
  for (int g : d.routing.high_intent_grades) {
    high.push_back(d.grades[static_cast<size_t>(g)]);
  }
  doc["routing"] = {
      {"duplicate_window_days", d.routing.duplicate_window_days},
      {"max_distance_km", NumberJson(d.routing.max_distance_km)},
      {"high_intent_grades", high},
      {"experience_years", NumberJson(d.routing.experience_years)},
      {"reclaim_limit", d.routing.reclaim_limit},
      {"overflow", std::string(OverflowName(d.routing.overflow))}};
  OrderedJson playbook = OrderedJson::object();
  if (!d.playbook.extra_contents.empty()) {
    playbook["content"] = d.playbook.extra_contents;
  }
  if (!d.playbook.extra_goals.empty()) {
    playbook["goals"] = d.playbook.extra_goals;
  }
  if (!d.playbook.zh_contents.empty() || !d.playbook.zh_goals.empty()) {
    OrderedJson zh = OrderedJson::object();
    if (!d.playbook.zh_contents.empty()) zh["content"] = d.playbook.zh_contents;
    if (!d.playbook.zh_goals.empty()) zh["goals"] = d.playbook.zh_goals;
    playbook["zh"] = zh;
  }
  OrderedJson playbook_rules = OrderedJson::array();
  for (const PlaybookRule& r : d.playbook.rules) {
    OrderedJson rule = OrderedJson::object();
    rule["id"] = r.id;
    if (!r.when.empty()) {
      OrderedJson when = OrderedJson::array();
      for (const Condition& c : r.when) when.push_back(ConditionJson(c));
      rule["when"] = when;
    }
    rule["action"] = {{"method", r.action.method},
                      {"content", r.action.content},
                      {"goal", r.action.goal}};
    if (!r.note.empty()) rule["note"] = r.note;
    if (!r.zh.empty()) rule["zh"] = r.zh;
    playbook_rules.push_back(rule);
  }
  playbook["rules"] = playbook_rules;
  doc["playbook"] = playbook;
  if (!d.scorecard.weights.empty()) {
    OrderedJson weights = OrderedJson::object();
    for (const auto& [name, weight] : d.scorecard.weights) {
      weights[name] = NumberJson(weight);
    }
    doc["scorecard"] = {{"weights", weights}};
  }
  if (!d.extra_values.empty()) {
    OrderedJson extra = OrderedJson::object();
    for (const auto& [field, values] : d.extra_values) extra[field] = values;
    doc["extra_values"] = extra;
  }
  return doc.dump(2) + "\n";
}

}  // namespace

std::string LiteralText(const Literal& literal) {
  return LiteralJson(literal).dump();
}

std::string BandText(const ScoreBand& band) {
  return absl::StrCat(
      band.min ? absl::StrCat("[", LiteralText(*band.min)) : "(-inf", ", ",
      band.max ? LiteralText(*band.max) : "inf", ")");
}

Condition NormalizedCondition(const Condition& condition) {
  Condition out = condition;
  for (Condition& child : out.children) child = NormalizedCondition(child);
  for (Literal& v : out.values) {
    if (std::string* s = std::get_if<std::string>(&v)) {
      *s = NormalizeValue(out.field, *s);
    }
  }
  return out;
}

std::string ConditionText(const Condition& c) {
  if (c.kind != Condition::Kind::kCompare) {
    std::vector<std::string> parts;
    for (const Condition& child : c.children)
      parts.push_back(ConditionText(child));
    return absl::StrCat(
        c.kind == Condition::Kind::kAllOf ? "all_of(" : "any_of(",
        absl::StrJoin(parts, ", "), ")");
  }
  if (c.op == Op::kIsNull || c.op == Op::kNotNull) {
    return absl::StrCat(c.field, " ", OpName(c.op));
  }
  // A literal compared with a personal field is personal data too: shown as
  // the rule compares it, masked like the values.
  const auto shown = [&](const Literal& v) {
    const std::string* s = std::get_if<std::string>(&v);
    if (s == nullptr) return LiteralText(v);
    return absl::StrCat("\"", MaskValue(c.field, NormalizeValue(c.field, *s)),
                        "\"");
  };
  if (c.op == Op::kIn) {
    std::vector<std::string> parts;
    for (const Literal& v : c.values) parts.push_back(shown(v));
    return absl::StrCat(c.field, " in [", absl::StrJoin(parts, ", "), "]");
  }
  return absl::StrCat(c.field, " ", OpName(c.op), " ", shown(c.values.front()));
}

}  // namespace policy_internal

std::string FormatCondition(const Condition& condition) {
  return policy_internal::ConditionText(condition);
}

absl::string_view OpName(Op op) {
  return policy_internal::kOpNames[static_cast<size_t>(op)];
}

absl::string_view ClockName(Clock clock) {
  return clock == Clock::kCalendar ? "calendar" : "business";
}

absl::string_view ClosedDeadlineName(ClosedDeadline rule) {
  switch (rule) {
    case ClosedDeadline::kKeep:
      return "keep";
    case ClosedDeadline::kNextOpen:
      return "next_open";
    case ClosedDeadline::kEndOfNextOpenDay:
      break;
  }
  return "end_of_next_open_day";
}

absl::string_view IntervalDueName(IntervalDue due) {
  return due == IntervalDue::kExact ? "exact" : "end_of_day";
}

absl::string_view OverflowName(Overflow overflow) {
  return overflow == Overflow::kNextDealer ? "next_dealer" : "none";
}

absl::StatusOr<PolicyLoad> Policy::FromJson(absl::string_view text) {
  return FromJson(text, PolicyLoadOptions{});
}

std::vector<std::string> Policy::FileReferences(absl::string_view text) {
  std::vector<std::string> refs;
  const nlohmann::json doc = json_internal::ParseOrNull(text);
  if (!doc.is_object()) return refs;
  const auto add = [&refs](const nlohmann::json& spec) {
    if (!spec.is_object()) return;
    if (spec.contains("file") && spec.at("file").is_string()) {
      refs.push_back(spec.at("file").get<std::string>());
    }
    // An inline calendar document's own references (its `extends`).
    for (std::string& ref : Calendar::FileReferences(spec.dump())) {
      refs.push_back(std::move(ref));
    }
  };
  if (doc.contains("calendar")) add(doc.at("calendar"));
  if (doc.contains("calendars") && doc.at("calendars").is_object()) {
    for (const auto& [name, spec] : doc.at("calendars").items()) add(spec);
  }
  std::vector<std::string> unique;
  for (std::string& ref : refs) {
    if (std::find(unique.begin(), unique.end(), ref) == unique.end()) {
      unique.push_back(std::move(ref));
    }
  }
  return unique;
}

absl::StatusOr<PolicyLoad> Policy::FromJson(absl::string_view text,
                                           const PolicyLoadOptions& options) {
  using policy_internal::Json;
  PolicyLoad load;
  LEADKIT_ASSIGN_OR_RETURN(
      std::optional<policy_internal::Json> parsed,
      json_internal::ParseDocument(text, "policy", load.issues_));
  if (!parsed) return load;
  const policy_internal::Json& doc = *parsed;
  policy_internal::Loader loader(load.issues_);
  if (!loader.ExpectObject(doc, "")) return load;
  static constexpr absl::string_view kKeys[] = {
      "format",  "name",      "description", "grades",
      "rules",   "scoring",   "cadence",     "calendar",
      "routing", "scorecard", "extra_values", "calendars",
      "playbook"};
  loader.CheckKeys(doc, "", kKeys);
  auto data = std::make_shared<PolicyData>();
  const int format =
      loader.Int(doc, "format", "", policy_internal::kFormat,
                 policy_internal::kFormat, policy_internal::kFormat);
  (void)format;
  data->name = loader.String(doc, "name", "", false).value_or("");
  data->description = loader.String(doc, "description", "", false).value_or("");
  data->grades = loader.ParseGrades(doc);
  data->extra_values = loader.ParseExtraValues(doc);
  data->scoring = loader.ParseScoring(doc, data->grades);
  data->rules = loader.ParseRules(doc, data->grades, data->scoring.has_value());
  for (const Rule& rule : data->rules) data->rule_ids.push_back(rule.id);
  if (data->scoring) {
    if (std::find(data->rule_ids.begin(), data->rule_ids.end(),
                  data->scoring->id) != data->rule_ids.end()) {
      loader.Error(
          "/scoring/id", data->scoring->id,
          absl::StrCat(
              "the scoring id \"", data->scoring->id,
              "\" is also a rule's id; results could not tell them apart"));
    }
    data->rule_ids.push_back(data->scoring->id);
  }
  data->cadence = loader.ParseCadence(doc, data->grades);
  loader.ParseCalendars(doc, options, *data);
  data->routing = loader.ParseRouting(doc, data->grades);
  data->scorecard = loader.ParseScorecard(doc);
  data->playbook = loader.ParsePlaybook(doc);
  if (!load.has_errors()) {
    policy_internal::CheckReachability(data->rules, load.issues_);
    std::vector<Rule> playbook_rules;
    for (const PlaybookRule& r : data->playbook.rules) {
      playbook_rules.push_back({.id = r.id, .when = r.when});
    }
    policy_internal::CheckReachability(playbook_rules, load.issues_,
                                       "/playbook/rules");
    const auto unconditional =
        std::find_if(data->rules.begin(), data->rules.end(),
                     [](const Rule& r) { return r.when.empty(); });
    if (data->scoring && unconditional != data->rules.end()) {
      load.issues_.push_back(
          {Severity::kWarning, "/scoring", data->scoring->id,
           absl::StrCat("scoring can never grade a lead: rule \"",
                        unconditional->id,
                        "\" has no conditions and takes every lead")});
    }
    for (size_t g = 0; g < data->grades.size(); ++g) {
      const auto gives = [&](int grade) {
        return grade == static_cast<int>(g);
      };
      const bool used =
          std::any_of(data->rules.begin(), data->rules.end(),
                      [&](const Rule& r) { return gives(r.grade); }) ||
          (data->scoring &&
           std::any_of(data->scoring->bands.begin(), data->scoring->bands.end(),
                       [&](const ScoreBand& b) { return gives(b.grade); }));
      if (!used) {
        load.issues_.push_back(
            {Severity::kWarning, "/grades/" + std::to_string(g), "",
             absl::StrCat("grade \"", data->grades[g],
                          "\" is declared but no rule or band gives it")});
      }
    }
  }
  if (load.has_errors()) return load;
  for (const Issue& issue : load.issues_) data->warnings.push_back(issue);
  policy_internal::Compile(*data);
  data->canonical_json = policy_internal::ToCanonicalJson(*data);
  load.data_ = std::move(data);
  return load;
}

namespace {

// The vocabularies of docs/playbook.md, each word with the source it comes
// from there.
constexpr absl::string_view kPlaybookMethods[] = {
    "phone", "sms", "email", "wechat", "visit", "test_drive", "event"};

constexpr absl::string_view kPlaybookContents[] = {
    "introduction",      "thanks",
    "needs_questions",   "recommendation",
    "product_details",   "comparison",
    "objection_answers", "purchase_plan",
    "brochure",          "new_models",
    "brand_news",        "offer",
    "updates",           "nev_models",
    "test_drive_invitation", "visit_invitation",
    "event_invitation",  "greeting",
    "educational",       "buying_guide",
    "customer_cases",    "demonstration",
    "order_status",      "delivery_care",
    "service_reminder",  "referral_invitation",
    "care_tips",         "loss_reason"};

constexpr absl::string_view kPlaybookGoals[] = {
    "make_contact",      "agree_next_contact", "confirm_grade",
    "discover_needs",    "book_visit",         "book_test_drive",
    "resolve_objection", "close_deal",         "strengthen_intent",
    "keep_interest",     "nurture",            "educate",
    "build_trust",       "prepare_delivery",   "check_satisfaction",
    "book_service",      "build_loyalty",      "win_referral",
    "learn_loss_reason", "confirm_loss",       "keep_in_touch"};

// leadkit's default playbook: by task kind only (docs/playbook.md, "The
// default playbook"; each row leadkit's reading of the cited section).
struct DefaultRow {
  const char* task;
  const char* method;
  const char* content;
  const char* goal;
  const char* note;
  const char* zh;
};
constexpr DefaultRow kDefaultPlaybook[] = {
    {"first_contact", "phone", "introduction", "make_contact",
     "000 §5.2.1: first contact by phone.", "电话首次联系,介绍品牌和车型。"},
    {"callback", "phone", "needs_questions", "confirm_grade",
     "002 §2.6: call back within 24 h to confirm the grade.",
     "24 小时内回电,确认客户级别。"},
    {"thank_you", "sms", "thanks", "agree_next_contact",
     "001 §3.3.1, §3.2: thanks within 24 h, by SMS.",
     "24 小时内短信致谢,约定下次联系。"},
    {"follow_up", "phone", "updates", "keep_interest",
     "000 §5.2.2: the latest models, offers and events.",
     "介绍最新车型、优惠和活动,保持客户关注。"},
    {"order_follow_up", "phone", "order_status", "prepare_delivery",
     "leadkit's choice: the order until delivery.",
     "电话告知订单进度,跟进至交车。"},
    {"post_sale", "phone", "delivery_care", "check_satisfaction",
     "001 §3.3.6: calls after delivery.", "交车后电话回访,确认客户满意。"},
    {"owner_care", "phone", "care_tips", "build_loyalty",
     "002 §2.3, 001 §4.2: owners' visits, useful care knowledge.",
     "定期回访车主,分享实用的用车养护知识。"},
    {"nurture", "wechat", "updates", "keep_in_touch",
     "001 §3.3.7: keep in touch with the lost customer.",
     "微信与战败客户保持联系,等待再次购车机会。"},
    {"birthday", "sms", "greeting", "keep_in_touch",
     "001 §3.1, §3.2: birthday greetings by SMS.", "短信送上生日祝福。"},
    {"holiday_greeting", "sms", "greeting", "keep_in_touch",
     "001 §3.1, §3.2: holiday greetings by SMS.", "短信送上节日问候。"},
    {"campaign", "phone", "offer", "book_visit",
     "001 §3.1: a big offer or a launch on the model of interest.",
     "意向车型有大幅优惠或新车上市时,第一时间电话告知,邀约到店。"},
    {"lost_review", "phone", "loss_reason", "confirm_loss",
     "002 §2.3: the supervisor re-confirms a loss.", "主管电话核实战败。"},
    {"downgrade_review", "phone", "needs_questions", "confirm_grade",
     "leadkit's choice: missed follow-ups, the grade re-confirmed.",
     "多次未按时跟进:电话重新确认客户级别。"},
};

Playbook MakeDefaultPlaybook() {
  Playbook out;
  for (const DefaultRow& row : kDefaultPlaybook) {
    out.rules.push_back(
        {.id = row.task,
         .when = {Condition{.field = "task",
                            .op = Op::kEq,
                            .values = {Literal(std::string(row.task))}}},
         .action = {row.method, row.content, row.goal},
         .note = row.note,
         .zh = row.zh});
  }
  out.rules.push_back({.id = "default",
                       .action = {"phone", "updates", "keep_interest"},
                       .note = "000 §5.2.2: every follow-up brings the latest "
                               "models, offers and events.",
                       .zh = "每次跟进都带去最新车型、优惠和活动信息。"});
  return out;
}

}  // namespace

std::span<const absl::string_view> PlaybookMethods() {
  return kPlaybookMethods;
}
std::span<const absl::string_view> PlaybookContents() {
  return kPlaybookContents;
}
std::span<const absl::string_view> PlaybookGoals() { return kPlaybookGoals; }

const Playbook& DefaultPlaybook() {
  static const Playbook* const playbook = new Playbook(MakeDefaultPlaybook());
  return *playbook;
}

absl::StatusOr<Policy> Policy::Preset(absl::string_view name) {
  LEADKIT_ASSIGN_OR_RETURN(
      const char* text,
      policy_internal::FindPreset(policy_internal::PresetDocuments(), name,
                                  "policy preset"));
  LEADKIT_ASSIGN_OR_RETURN(PolicyLoad load, FromJson(text));
  return load.policy();
}

std::vector<std::string> Policy::PresetNames() {
  return policy_internal::PresetNames(policy_internal::PresetDocuments());
}

std::string Policy::ToJson() const { return data_->canonical_json; }
const std::string& Policy::name() const { return data_->name; }
const std::string& Policy::description() const { return data_->description; }
std::span<const std::string> Policy::grades() const { return data_->grades; }
std::span<const Rule> Policy::rules() const { return data_->rules; }
const std::optional<Scoring>& Policy::scoring() const { return data_->scoring; }
std::span<const std::string> Policy::rule_ids() const {
  return data_->rule_ids;
}
const CadenceSettings& Policy::cadence() const { return data_->cadence; }
const CalendarRef& Policy::calendar() const { return data_->calendar; }
const Calendar& Policy::business_calendar() const {
  return *data_->business_calendar;
}
const std::map<std::string, Calendar, std::less<>>& Policy::dealer_calendars()
    const {
  return data_->dealer_calendars;
}
const RoutingSettings& Policy::routing() const { return data_->routing; }
const ScorecardSettings& Policy::scorecard() const { return data_->scorecard; }

std::span<const absl::string_view> ScorecardRates() {
  static constexpr absl::string_view kRates[] = {
      "conversion_rate",
      "entry_timeliness_rate",
      "first_contact_timeliness_rate",
      "follow_up_timeliness_rate",
      "timeliness_rate",
      "satisfaction_rate"};
  return kRates;
}
std::span<const Issue> Policy::warnings() const { return data_->warnings; }

std::vector<std::string> Policy::FieldValues(absl::string_view field) const {
  std::vector<std::string> out;
  const LeadFieldInfo* info = FindLeadField(field);
  if (info == nullptr) return out;
  for (absl::string_view v : info->values) out.emplace_back(v);
  for (const auto& [name, values] : data_->extra_values) {
    if (name == field) out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}
std::span<const std::string> Policy::fields() const { return data_->fields; }
const Playbook& Policy::playbook() const { return data_->playbook; }
std::span<const std::string> Policy::playbook_fields() const {
  return data_->playbook_fields;
}

std::vector<std::string> Policy::PlaybookContentValues() const {
  std::vector<std::string> out(PlaybookContents().begin(),
                               PlaybookContents().end());
  out.insert(out.end(), data_->playbook.extra_contents.begin(),
             data_->playbook.extra_contents.end());
  return out;
}

std::vector<std::string> Policy::PlaybookGoalValues() const {
  std::vector<std::string> out(PlaybookGoals().begin(), PlaybookGoals().end());
  out.insert(out.end(), data_->playbook.extra_goals.begin(),
             data_->playbook.extra_goals.end());
  return out;
}

std::optional<int> Policy::GradeIndex(absl::string_view grade) const {
  for (size_t g = 0; g < data_->grades.size(); ++g) {
    if (data_->grades[g] == grade) return static_cast<int>(g);
  }
  return std::nullopt;
}

bool Policy::operator==(const Policy& other) const {
  return data_ == other.data_ ||
         (data_->canonical_json == other.data_->canonical_json &&
          data_->business_calendar == other.data_->business_calendar &&
          data_->dealer_calendars == other.data_->dealer_calendars);
}

bool PolicyLoad::has_errors() const { return HasErrors(issues_); }

absl::StatusOr<Policy> PolicyLoad::policy() const {
  if (data_ != nullptr) return Policy(data_);
  return absl::FailedPreconditionError(
      absl::StrCat("policy has ", SummarizeErrors(issues_)));
}

}  // namespace leadkit
