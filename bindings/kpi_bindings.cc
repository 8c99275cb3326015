#include <span>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/kpi.h"

namespace leadkit::python {
namespace {

py::dict FinalizeToDict(const KpiState& state) {
  const std::vector<KpiRow> rows = state.Finalize();
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::list keys;
  for (const KpiRow& row : rows) {
    py::list key;
    for (const auto& part : row.key) {
      key.append(part ? py::object(py::str(*part)) : py::object(py::none()));
    }
    keys.append(py::tuple(key));
  }
  py::dict out;
  out["keys"] = keys;
  // Every field of KpiFields: counts as int64, computed values as float64.
  for (const KpiField& field : KpiFields()) {
    if (field.count != nullptr) {
      py::array_t<int64_t> values(n);
      for (py::ssize_t i = 0; i < n; ++i) {
        values.mutable_at(i) = rows[static_cast<size_t>(i)].counts.*field.count;
      }
      out[py::str(std::string(field.name))] = values;
    } else {
      py::array_t<double> values(n);
      for (py::ssize_t i = 0; i < n; ++i) {
        values.mutable_at(i) = (rows[static_cast<size_t>(i)].*field.value)();
      }
      out[py::str(std::string(field.name))] = values;
    }
  }
  return out;
}

// LeadKpis as numpy columns; instants are seconds with a validity array.
py::dict LeadKpisToDict(const Cadence& cadence, int64_t num_leads,
                        const py::list& leads, int64_t num_touches,
                        const py::list& touches, int64_t num_surveys,
                        const py::list& surveys, int64_t as_of) {
  BatchColumns lead_columns(num_leads, leads);
  BatchColumns touch_columns(num_touches, touches);
  BatchColumns survey_columns(num_surveys, surveys);
  absl::StatusOr<std::vector<LeadKpi>> result;
  {
    py::gil_scoped_release release;
    result = LeadKpis(cadence, lead_columns.columns(), touch_columns.columns(),
                      &survey_columns.columns(),
                      Instant(std::chrono::seconds(as_of)));
  }
  const std::vector<LeadKpi>& rows = ValueOrThrow(std::move(result));
  const auto n = static_cast<py::ssize_t>(rows.size());
  const auto seconds = [](Instant t) { return t.time_since_epoch().count(); };
  py::array_t<uint8_t> counted(n), invalid(n), won(n), lost(n), entered(n),
      contact_due(n), contact_on_time(n), timely(n), contacted(n), estimated(n);
  py::array_t<int32_t> grade(n), current(n), survey(n);
  py::array_t<int64_t> entry_due(n), start(n), due_at(n), first_at(n),
      minutes(n), follow_due(n), follow_on_time(n), business(n), allowed(n);
  py::list method;
  for (py::ssize_t i = 0; i < n; ++i) {
    const LeadKpi& r = rows[static_cast<size_t>(i)];
    counted.mutable_at(i) = r.counted;
    invalid.mutable_at(i) = r.invalid;
    grade.mutable_at(i) = r.grade;
    current.mutable_at(i) = r.current_grade;
    survey.mutable_at(i) = r.survey;
    won.mutable_at(i) = r.won;
    lost.mutable_at(i) = r.lost;
    entry_due.mutable_at(i) = seconds(r.entry_due);
    entered.mutable_at(i) = r.entered_on_time;
    start.mutable_at(i) = seconds(r.first_contact_start);
    due_at.mutable_at(i) = seconds(r.first_contact_due_at);
    contacted.mutable_at(i) = r.first_contact_at.has_value();
    first_at.mutable_at(i) =
        r.first_contact_at ? seconds(*r.first_contact_at) : 0;
    method.append(r.first_contact_at
                      ? py::object(py::str(std::string(r.first_contact_method)))
                      : py::object(py::none()));
    contact_due.mutable_at(i) = r.first_contact_due;
    contact_on_time.mutable_at(i) = r.first_contact_on_time;
    minutes.mutable_at(i) = r.first_contact_minutes.value_or(-1);
    business.mutable_at(i) = r.first_contact_business.count();
    allowed.mutable_at(i) = r.first_contact_allowed.count();
    follow_due.mutable_at(i) = r.follow_ups_due;
    follow_on_time.mutable_at(i) = r.follow_ups_on_time;
    timely.mutable_at(i) = r.timely;
    estimated.mutable_at(i) = r.estimated;
  }
  py::dict out;
  out["counted"] = counted;
  out["invalid"] = invalid;
  out["grade"] = grade;
  out["current_grade"] = current;
  out["survey"] = survey;
  out["won"] = won;
  out["lost"] = lost;
  out["entry_due_at"] = entry_due;
  out["entered_on_time"] = entered;
  out["first_contact_start"] = start;
  out["first_contact_due_at"] = due_at;
  out["contacted"] = contacted;
  out["first_contact_at"] = first_at;
  out["first_contact_method"] = method;
  out["first_contact_due"] = contact_due;
  out["first_contact_on_time"] = contact_on_time;
  out["first_contact_minutes"] = minutes;
  out["first_contact_business"] = business;
  out["first_contact_allowed"] = allowed;
  out["follow_ups_due"] = follow_due;
  out["follow_ups_on_time"] = follow_on_time;
  out["timely"] = timely;
  out["estimated"] = estimated;
  return out;
}

}  // namespace

void RegisterKpi(py::module_& m) {
  DefineStateProtocol(py::class_<KpiState>(m, "KpiState",
                       "Mergeable KPI counts per group (docs/kpis.md)."))
      .def(py::init<std::vector<std::string>>(), py::arg("by"))
      .def_property_readonly("by", &KpiState::by)
      .def(
          "add",
          [](KpiState& state, const Cadence& cadence, int64_t num_leads,
             const py::list& leads, int64_t num_touches,
             const py::list& touches, int64_t num_surveys,
             const py::list& surveys, int64_t as_of,
             const IncludeArray& include,
             int threads) {
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            BatchColumns survey_columns(num_surveys, surveys);
            AddWithoutGil([&] {
              return state.Add(cadence, lead_columns.columns(),
                               touch_columns.columns(),
                               &survey_columns.columns(),
                               SecondsInstant(as_of), MaskFlags(include),
                               threads);
            });
          },
          py::arg("cadence"), py::arg("num_leads"), py::arg("leads"),
          py::arg("num_touches"), py::arg("touches"), py::arg("num_surveys"),
          py::arg("surveys"), py::arg("as_of"), py::arg("include"),
          py::arg("threads") = 1)
      .def("finalize", &FinalizeToDict);
  m.def(
      "kpi_columns",
      [] {
        std::vector<std::string> names;
        for (const KpiField& field : KpiFields()) {
          if (field.column) names.emplace_back(field.name);
        }
        return names;
      },
      "The columns of a KPI table, in order (KpiFields).");
  m.def(
      "nearest_rank",
      [](const py::array_t<int64_t, py::array::c_style>& values,
         const std::vector<double>& q) {
        for (double share : q) {
          if (!(share >= 0 && share <= 1)) {
            throw py::value_error(absl::StrCat(
                "nearest_rank: q must lie in [0, 1], got ", share));
          }
        }
        const MinuteHistogram histogram = MinuteHistogramOf(
            std::span<const int64_t>(values.data(),
                                     static_cast<size_t>(values.size())));
        std::vector<double> out;
        for (double share : q) out.push_back(NearestRank(histogram, share));
        return out;
      },
      py::arg("values"), py::arg("q"),
      "The nearest-rank percentiles q of int64 values (MinuteHistogramOf, "
      "NearestRank); NaN each when there are none.");
  m.def(
      "first_contact_bins",
      [](const py::array_t<int64_t, py::array::c_style>& minutes) {
        const std::span<const int64_t> values(
            minutes.data(), static_cast<size_t>(minutes.size()));
        std::vector<int64_t> counts;
        {
          py::gil_scoped_release release;
          counts = BinCounts(MinuteHistogramOf(values), kFirstContactBinEdges);
        }
        return py::make_tuple(
            std::vector<int64_t>(kFirstContactBinEdges.begin(),
                                 kFirstContactBinEdges.end()),
            counts);
      },
      py::arg("minutes"),
      "(edges, counts): the report's first-contact histogram of int64 "
      "business minutes (kFirstContactBinEdges, BinCounts); len(edges) + 1 "
      "counts, the last of the minutes above edges[-1].");
  m.def("lead_kpis", &LeadKpisToDict, py::arg("cadence"), py::arg("num_leads"),
        py::arg("leads"), py::arg("num_touches"), py::arg("touches"),
        py::arg("num_surveys"), py::arg("surveys"), py::arg("as_of"),
        "Each lead's part in the KPIs at as_of (docs/kpis.md).");
}

}  // namespace leadkit::python
