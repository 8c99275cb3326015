#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/classify.h"
#include "leadkit/policy.h"
#include "pybind11/stl.h"

namespace leadkit::python {

void RegisterClassify(py::module_& m) {
  py::class_<Classification>(
      m, "Classification",
      "The grade of one lead, the rule that gave it, and why.")
      .def_readonly("grade", &Classification::grade_name)
      .def_readonly("rule", &Classification::rule_id)
      .def_readonly("reasons", &Classification::reasons)
      .def("__repr__", [](const Classification& c) {
        return "Classification(grade=" +
               std::string(py::repr(py::str(c.grade_name))) +
               ", rule=" + std::string(py::repr(py::str(c.rule_id))) +
               ", reasons=" + std::string(py::repr(py::cast(c.reasons))) + ")";
      });

  py::class_<TraceEntry>(m, "TraceEntry", "One step of a why-not trace.")
      .def_readonly("rule", &TraceEntry::rule)
      .def_readonly("fired", &TraceEntry::fired)
      .def_readonly("condition", &TraceEntry::condition)
      .def_readonly("value", &TraceEntry::value)
      .def_readonly("points", &TraceEntry::points)
      .def("__repr__", [](const TraceEntry& t) {
        std::string out =
            "TraceEntry(rule=" + std::string(py::repr(py::str(t.rule))) +
            ", fired=" + (t.fired ? "True" : "False") +
            ", condition=" + std::string(py::repr(py::str(t.condition))) +
            ", value=" + std::string(py::repr(py::str(t.value)));
        if (t.points)
          out += ", points=" + std::string(py::repr(py::float_(*t.points)));
        return out + ")";
      });

  py::class_<Explanation, Classification>(
      m, "Explanation", "A classification with its why-not trace.")
      .def_readonly("trace", &Explanation::trace)
      .def_readonly("score", &Explanation::score)
      .def("__repr__", [](const Explanation& e) {
        return "Explanation(grade=" +
               std::string(py::repr(py::str(e.grade_name))) +
               ", rule=" + std::string(py::repr(py::str(e.rule_id))) +
               ", trace=[" + std::to_string(e.trace.size()) + " entries])";
      });

  m.def(
      "explain_trace",
      [](const Policy& policy, int64_t num_rows, const py::list& specs,
         int64_t row) {
        BatchColumns batch(num_rows, specs);
        return ValueOrThrow(Explain(policy, batch.columns(), row));
      },
      py::arg("policy"), py::arg("num_rows"), py::arg("columns"),
      py::arg("row"));

  m.def(
      "classify_batch",
      [](const Policy& policy, int64_t num_rows, const py::list& specs) {
        BatchColumns batch(num_rows, specs);
        py::array_t<int32_t> grades(num_rows);
        py::array_t<int32_t> rules(num_rows);
        std::span<int32_t> g(grades.mutable_data(),
                             static_cast<size_t>(num_rows));
        std::span<int32_t> r(rules.mutable_data(),
                             static_cast<size_t>(num_rows));
        absl::Status status;
        {
          py::gil_scoped_release release;
          status = ClassifyBatch(policy, batch.columns(), g, r);
        }
        ThrowIfError(status);
        return py::make_tuple(grades, rules);
      },
      py::arg("policy"), py::arg("num_rows"), py::arg("columns"),
      "Grades every row: (grade codes, rule codes) as int32 arrays.");
  m.def(
      "score_batch",
      [](const Policy& policy, int64_t num_rows, const py::list& specs) {
        BatchColumns batch(num_rows, specs);
        py::array_t<double> scores(num_rows);
        std::span<double> s(scores.mutable_data(),
                            static_cast<size_t>(num_rows));
        absl::Status status;
        {
          py::gil_scoped_release release;
          status = ScoreBatch(policy, batch.columns(), s);
        }
        ThrowIfError(status);
        return scores;
      },
      py::arg("policy"), py::arg("num_rows"), py::arg("columns"),
      "The scoring total of every row, whatever rule takes it (float64).");
  m.def(
      "explain",
      [](const Policy& policy, int64_t num_rows, const py::list& specs,
         int64_t row) {
        BatchColumns batch(num_rows, specs);
        return ValueOrThrow(Classify(policy, batch.columns(), row));
      },
      py::arg("policy"), py::arg("num_rows"), py::arg("columns"),
      py::arg("row"));
}

}  // namespace leadkit::python
