#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"

namespace leadkit::python {
namespace {

constexpr PipelineReport kReports[] = {
    PipelineReport::kPipeline, PipelineReport::kGradeMigration,
    PipelineReport::kMonthly, PipelineReport::kFunnel,
    PipelineReport::kTouchesPerWonLead};

PipelineReport ReportOf(const std::string& name) {
  for (const PipelineReport report : kReports) {
    if (PipelineReportName(report) == name) return report;
  }
  throw py::value_error("report: expected pipeline, grade_migration, monthly, "
                        "funnel or touches_per_won_lead, got \"" +
                        name + "\"");
}

int64_t SecondsOf(Instant t) { return t.time_since_epoch().count(); }

// The group columns of rows as one Python list per `by` column (None for
// the null group).
template <typename Row>
py::list KeyColumns(const std::vector<Row>& rows, size_t columns) {
  py::list out;
  for (size_t k = 0; k < columns; ++k) {
    py::list column;
    for (const Row& row : rows) {
      const std::optional<std::string>& part = row.key[k];
      if (part) {
        column.append(py::str(*part));
      } else {
        column.append(py::none());
      }
    }
    out.append(column);
  }
  return out;
}

// A column of numbers from a field of every row.
template <typename T, typename Row, typename Field>
py::array_t<T> Numbers(const std::vector<Row>& rows, Field field) {
  py::array_t<T> out(static_cast<py::ssize_t>(rows.size()));
  T* data = out.mutable_data();
  for (size_t i = 0; i < rows.size(); ++i) data[i] = rows[i].*field;
  return out;
}

template <typename Row, typename Field>
py::list Texts(const std::vector<Row>& rows, Field field) {
  py::list out;
  for (const Row& row : rows) out.append(py::str(row.*field));
  return out;
}

// The report's rows as columns named as the Python report's, plus "keys" (the
// group columns) where the report has groups.
py::dict FinalizeToDict(const PipelineState& state) {
  const PipelineTables t = state.Finalize();
  const size_t by = state.options().by.size();
  py::dict out;
  switch (state.options().report) {
    case PipelineReport::kPipeline:
      out["keys"] = KeyColumns(t.pipeline, by);
      out["grade"] = Texts(t.pipeline, &PipelineRow::grade);
      out["open_leads"] = Numbers<int64_t>(t.pipeline, &PipelineRow::open_leads);
      out["share"] = Numbers<double>(t.pipeline, &PipelineRow::share);
      break;
    case PipelineReport::kGradeMigration:
      out["from"] = Texts(t.grade_migration, &MigrationRow::from);
      out["to"] = Texts(t.grade_migration, &MigrationRow::to);
      out["leads"] = Numbers<int64_t>(t.grade_migration, &MigrationRow::leads);
      break;
    case PipelineReport::kMonthly:
      out["month"] = Texts(t.monthly, &MonthlyRow::month);
      out["carried_over"] =
          Numbers<int64_t>(t.monthly, &MonthlyRow::carried_over);
      out["new"] = Numbers<int64_t>(t.monthly, &MonthlyRow::new_leads);
      out["invalid"] = Numbers<int64_t>(t.monthly, &MonthlyRow::invalid);
      out["won"] = Numbers<int64_t>(t.monthly, &MonthlyRow::won);
      out["lost"] = Numbers<int64_t>(t.monthly, &MonthlyRow::lost);
      out["open_at_end"] = Numbers<int64_t>(t.monthly, &MonthlyRow::open_at_end);
      out["conversion_rate"] =
          Numbers<double>(t.monthly, &MonthlyRow::conversion_rate);
      out["loss_rate"] = Numbers<double>(t.monthly, &MonthlyRow::loss_rate);
      break;
    case PipelineReport::kFunnel:
      out["keys"] = KeyColumns(t.funnel, by);
      out["kind"] = Texts(t.funnel, &FunnelRow::kind);
      out["stage"] = Texts(t.funnel, &FunnelRow::stage);
      out["leads"] = Numbers<int64_t>(t.funnel, &FunnelRow::leads);
      out["reached"] = Numbers<int64_t>(t.funnel, &FunnelRow::reached);
      out["share_of_leads"] =
          Numbers<double>(t.funnel, &FunnelRow::share_of_leads);
      out["conversion_from_previous"] =
          Numbers<double>(t.funnel, &FunnelRow::conversion_from_previous);
      break;
    case PipelineReport::kTouchesPerWonLead:
      out["keys"] = KeyColumns(t.touches_per_won_lead, by);
      out["won_leads"] = Numbers<int64_t>(t.touches_per_won_lead,
                                          &TouchesPerWonLeadRow::won_leads);
      out["touches"] = Numbers<int64_t>(t.touches_per_won_lead,
                                        &TouchesPerWonLeadRow::touches);
      out["touches_per_won_lead"] =
          Numbers<double>(t.touches_per_won_lead,
                          &TouchesPerWonLeadRow::touches_per_won_lead);
      break;
  }
  return out;
}

}  // namespace

void RegisterPipeline(py::module_& m) {
  m.def("sales_stages", [] {
    std::vector<std::string> out;
    for (const absl::string_view s : SalesStages()) out.emplace_back(s);
    return out;
  });
  DefineStateProtocol(py::class_<PipelineState>(
      m, "PipelineState",
      "Mergeable counts of one pipeline report (docs/kpis.md)."))
      .def(py::init([](const std::string& report, std::vector<std::string> by,
                       std::vector<std::string> grades, int64_t at,
                       int64_t start, int64_t end, int64_t as_of,
                       std::vector<std::string> months, std::string zone) {
             PipelineOptions options{.report = ReportOf(report),
                                     .by = std::move(by),
                                     .grades = std::move(grades),
                                     .at = SecondsInstant(at),
                                     .start = SecondsInstant(start),
                                     .end = SecondsInstant(end),
                                     .as_of = SecondsInstant(as_of),
                                     .months = std::move(months),
                                     .zone = std::move(zone)};
             ThrowIfError(ValidatePipelineOptions(options));
             return PipelineState(std::move(options));
           }),
           py::arg("report"), py::arg("by"), py::arg("grades"),
           py::arg("at") = 0, py::arg("start") = 0, py::arg("end") = 0,
           py::arg("as_of") = 0, py::arg("months") = std::vector<std::string>(),
           py::arg("zone") = "")
      .def_property_readonly("report",
                             [](const PipelineState& s) {
                               return std::string(
                                   PipelineReportName(s.options().report));
                             })
      .def_property_readonly(
          "by", [](const PipelineState& s) { return s.options().by; })
      .def_property_readonly(
          "grades", [](const PipelineState& s) { return s.options().grades; })
      .def_property_readonly(
          "at", [](const PipelineState& s) { return SecondsOf(s.options().at); })
      .def_property_readonly(
          "start",
          [](const PipelineState& s) { return SecondsOf(s.options().start); })
      .def_property_readonly(
          "end", [](const PipelineState& s) { return SecondsOf(s.options().end); })
      .def_property_readonly(
          "as_of",
          [](const PipelineState& s) { return SecondsOf(s.options().as_of); })
      .def_property_readonly(
          "months", [](const PipelineState& s) { return s.options().months; })
      .def_property_readonly(
          "zone", [](const PipelineState& s) { return s.options().zone; })
      .def(
          "add",
          [](PipelineState& state, const Policy* policy, int64_t num_leads,
             const py::list& leads, int64_t num_touches,
             const py::list& touches, const IncludeArray& include,
             int threads) {
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            AddWithoutGil([&] {
              return state.Add(policy, lead_columns.columns(),
                               touch_columns.columns(), MaskFlags(include),
                               threads);
            });
          },
          py::arg("policy").none(true), py::arg("num_leads"), py::arg("leads"),
          py::arg("num_touches"), py::arg("touches"), py::arg("include"),
          py::arg("threads") = 1)
      .def("finalize", &FinalizeToDict);
}

}  // namespace leadkit::python
