#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "leadkit/lead.h"
#include "leadkit/policy.h"
#include "pybind11/stl.h"

namespace leadkit::python {
namespace {

std::string IssueRepr(const Issue& i) {
  return absl::StrCat("Issue(severity='", SeverityName(i.severity), "', path='",
                      i.path, "', rule='", i.rule,
                      "', message=", std::string(py::repr(py::str(i.message))),
                      ")");
}

py::dict FollowUpDict(const Policy& p) {
  py::dict out;
  for (size_t g = 0; g < p.grades().size(); ++g) {
    const auto& f = p.cadence().follow_up[g];
    if (!f) continue;
    out[py::str(p.grades()[g])] = py::make_tuple(f->min_days, f->max_days);
  }
  return out;
}

void CollectCompared(const Condition& c, std::vector<std::string>& out) {
  for (const Condition& child : c.children) CollectCompared(child, out);
  if (c.kind != Condition::Kind::kCompare || c.op == Op::kIsNull ||
      c.op == Op::kNotNull) {
    return;
  }
  if (std::find(out.begin(), out.end(), c.field) == out.end())
    out.push_back(c.field);
}

}  // namespace

void RegisterPolicy(py::module_& m) {
  py::class_<Issue>(m, "Issue", "One problem found in a document.")
      .def(py::init([](const std::string& severity, std::string path,
                       std::string rule, std::string message) {
             if (severity != "error" && severity != "warning") {
               throw py::value_error(
                   "severity must be 'error' or 'warning', not '" + severity +
                   "'");
             }
             return Issue{
                 severity == "error" ? Severity::kError : Severity::kWarning,
                 std::move(path), std::move(rule), std::move(message)};
           }),
           py::arg("severity"), py::arg("path"), py::arg("rule"),
           py::arg("message"))
      .def_property_readonly(
          "severity",
          [](const Issue& i) { return std::string(SeverityName(i.severity)); },
          "'error' or 'warning'.")
      .def_readonly("path", &Issue::path, "JSON Pointer into the document.")
      .def_readonly("rule", &Issue::rule, "Id of the rule concerned, or ''.")
      .def_readonly("message", &Issue::message)
      .def("__repr__", &IssueRepr)
      .def("__str__", &FormatIssue)
      .def("__eq__", [](const Issue& a, const Issue& b) { return a == b; })
      .def("__hash__", [](const Issue& i) {
        return py::hash(py::make_tuple(static_cast<int>(i.severity), i.path,
                                       i.rule, i.message));
      });

  py::class_<Policy>(m, "Policy")
      .def_property_readonly("name", &Policy::name)
      .def_property_readonly("description", &Policy::description)
      .def_property_readonly("grades",
                             [](const Policy& p) {
                               return std::vector<std::string>(
                                   p.grades().begin(), p.grades().end());
                             })
      .def_property_readonly("rule_ids",
                             [](const Policy& p) {
                               return std::vector<std::string>(
                                   p.rule_ids().begin(), p.rule_ids().end());
                             })
      .def_property_readonly("warnings",
                             [](const Policy& p) {
                               return std::vector<Issue>(p.warnings().begin(),
                                                         p.warnings().end());
                             })
      .def_property_readonly("fields",
                             [](const Policy& p) {
                               return std::vector<std::string>(
                                   p.fields().begin(), p.fields().end());
                             })
      .def_property_readonly(
          "compared_fields",
          [](const Policy& p) {
            std::vector<std::string> out;
            for (const Rule& r : p.rules()) {
              for (const Condition& c : r.when) CollectCompared(c, out);
            }
            if (p.scoring()) {
              for (const ScoreItem& item : p.scoring()->items) {
                for (const Condition& c : item.when) CollectCompared(c, out);
              }
            }
            return out;
          },
          "Fields whose values the rules compare (the others are only tested "
          "for null).")
      .def_property_readonly(
          "reclaim_limit",
          [](const Policy& p) { return p.routing().reclaim_limit; })
      .def_property_readonly(
          "duplicate_window_days",
          [](const Policy& p) { return p.routing().duplicate_window_days; })
      .def_property_readonly(
          "time_zone", [](const Policy& p) { return p.calendar().time_zone; })
      .def_property_readonly("calendar_name",
                             [](const Policy& p) { return p.calendar().name; })
      .def_property_readonly(
          "business_calendar",
          [](const Policy& p) { return p.business_calendar(); },
          "The calendar deadlines are judged on (the policy's `calendar`).")
      .def_property_readonly(
          "dealer_calendars",
          [](const Policy& p) {
            py::dict out;
            for (const auto& [name, calendar] : p.dealer_calendars()) {
              out[py::str(name)] = calendar;
            }
            return out;
          },
          "The named calendars of `calendars`: name -> Calendar.")
      .def_property_readonly("follow_up_days", &FollowUpDict)
      .def_property_readonly(
          "scorecard_weights",
          [](const Policy& p) {
            py::dict out;
            for (const auto& [name, weight] : p.scorecard().weights) {
              out[py::str(name)] = weight;
            }
            return out;
          },
          "KPI rate name -> appraisal weight (empty without a scorecard).")
      .def(
          "field_values",
          [](const Policy& p, const std::string& field) {
            if (FindLeadField(field) == nullptr) {
              const std::string nearest = NearestLeadField(field);
              throw py::key_error(absl::StrCat(
                  "unknown lead field \"", field, "\"",
                  nearest.empty() ? std::string()
                                  : absl::StrCat("; did you mean \"", nearest,
                                                 "\"?")));
            }
            return p.FieldValues(field);
          },
          py::arg("field"),
          "The values rules may compare a categorical lead field with: its "
          "documented set, then the policy's extra_values ([] for a field "
          "without a fixed set).")
      .def("to_json", &Policy::ToJson)
      .def("__eq__", [](const Policy& a, const Policy& b) { return a == b; });

  m.def(
      "policy_file_references",
      [](const std::string& text) { return Policy::FileReferences(text); },
      py::arg("text"),
      "The calendar file references a policy document names, as written.");
  m.def(
      "load_policy",
      [](const std::string& text, const py::dict& files) {
        PolicyLoadOptions options;
        for (const auto& [ref, calendar] : files) {
          options.calendar_files.emplace(py::cast<std::string>(ref),
                                         py::cast<Calendar>(calendar));
        }
        PolicyLoad load = ValueOrThrow(Policy::FromJson(text, options));
        std::vector<Issue> issues(load.issues().begin(), load.issues().end());
        py::object policy = py::none();
        if (!load.has_errors()) policy = py::cast(ValueOrThrow(load.policy()));
        return py::make_tuple(policy, issues);
      },
      py::arg("text"), py::arg("files") = py::dict(),
      "Parses a policy document: (Policy or None, [Issue, ...]). `files`: "
      "file reference -> Calendar.");
  m.def(
      "preset_policy",
      [](const std::string& name) {
        return ValueOrThrow(Policy::Preset(name));
      },
      py::arg("name"));
  m.def("preset_names", &Policy::PresetNames);
}

}  // namespace leadkit::python
