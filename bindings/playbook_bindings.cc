// The follow-up playbook (playbook.h): the policy's playbook rules as Python
// values, the vocabularies, and the single-task explanation. The batch form
// runs inside `schedule` (cadence_bindings.cc), over the schedule it computed.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bindings.h"
#include "leadkit/lead.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"
#include "pybind11/stl.h"

namespace leadkit::python {
namespace {

std::vector<std::string> Words(std::span<const absl::string_view> words) {
  return {words.begin(), words.end()};
}

// A playbook rule's conditions as text: "task == \"follow_up\"".
std::vector<std::string> WhenText(const PlaybookRule& rule) {
  std::vector<std::string> out;
  for (const Condition& c : rule.when) {
    out.push_back(FormatCondition(c));
  }
  return out;
}

}  // namespace

void RegisterPlaybook(py::module_& m) {
  py::class_<PlaybookRule>(m, "PlaybookRule",
                           "A rule of the policy's follow-up playbook.")
      .def_readonly("id", &PlaybookRule::id)
      .def_property_readonly("when", &WhenText,
                             "The conditions, as text (all must hold).")
      .def_property_readonly(
          "method", [](const PlaybookRule& r) { return r.action.method; })
      .def_property_readonly(
          "content", [](const PlaybookRule& r) { return r.action.content; })
      .def_property_readonly(
          "goal", [](const PlaybookRule& r) { return r.action.goal; })
      .def_readonly("note", &PlaybookRule::note)
      .def_readonly("zh", &PlaybookRule::zh,
                    "The rule's guidance in Simplified Chinese (\"\" when "
                    "the document gives none).")
      .def("__repr__",
           [](const PlaybookRule& r) {
             return absl::StrCat("PlaybookRule(id='", r.id, "', when=[",
                                 absl::StrJoin(WhenText(r), ", "),
                                 "], method='", r.action.method,
                                 "', content='", r.action.content,
                                 "', goal='", r.action.goal, "')");
           })
      .def("__eq__", [](const PlaybookRule& a,
                        const PlaybookRule& b) { return a == b; })
      .def("__hash__", [](const PlaybookRule& r) {
        return py::hash(py::make_tuple(r.id, WhenText(r), r.action.method,
                                       r.action.content, r.action.goal,
                                       r.note, r.zh));
      });

  m.def("playbook_methods", [] { return Words(PlaybookMethods()); });
  m.def("playbook_contents", [] { return Words(PlaybookContents()); });
  m.def("playbook_goals", [] { return Words(PlaybookGoals()); });
  m.def("task_fields", [] {
    std::vector<std::string> out;
    for (const LeadFieldInfo& f : TaskFields()) out.emplace_back(f.name);
    return out;
  });

  m.def(
      "playbook_rules_of",
      [](const Policy& p) { return p.playbook().rules; }, py::arg("policy"),
      "The policy's playbook rules, in order.");
  m.def(
      "playbook_fields",
      [](const Policy& p) {
        return std::vector<std::string>(p.playbook_fields().begin(),
                                        p.playbook_fields().end());
      },
      py::arg("policy"), "The lead fields the playbook's rules read.");
  m.def(
      "playbook_names_zh",
      [](const Policy& p) {
        py::dict names;
        names["content"] = p.playbook().zh_contents;
        names["goals"] = p.playbook().zh_goals;
        return names;
      },
      py::arg("policy"),
      "The playbook's Chinese names of its words: {\"content\": {word: "
      "name}, \"goals\": {word: name}}.");
  m.def(
      "playbook_content_values",
      [](const Policy& p) { return p.PlaybookContentValues(); },
      py::arg("policy"));
  m.def(
      "playbook_goal_values",
      [](const Policy& p) { return p.PlaybookGoalValues(); },
      py::arg("policy"));

  m.def(
      "action_for",
      [](const Policy& policy, int64_t num_leads, const py::list& lead_specs,
         int64_t row, int task, int grade_now, int touches) {
        BatchColumns leads(num_leads, lead_specs);
        absl::StatusOr<NextAction> action;
        {
          py::gil_scoped_release release;
          action = ActionFor(policy, leads.columns(), row,
                             {.task = static_cast<TaskKind>(task),
                              .grade_now = grade_now,
                              .touches = touches});
        }
        ThrowIfError(action.status());
        return py::make_tuple(action->rule, action->rule_id,
                              action->action.method, action->action.content,
                              action->action.goal, action->reasons);
      },
      py::arg("policy"), py::arg("num_leads"), py::arg("leads"),
      py::arg("row"), py::arg("task"), py::arg("grade_now"),
      py::arg("touches"),
      "ActionFor: (rule, rule_id, method, content, goal, reasons) for a task "
      "of lead `row`.");
}

}  // namespace leadkit::python
