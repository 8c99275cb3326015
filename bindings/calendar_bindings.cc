#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "date/date.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/policy.h"
#include "leadkit/tz.h"

namespace leadkit::python {
namespace {

using std::chrono::seconds;

Instant ToInstant(int64_t s) { return Instant(seconds(s)); }
int64_t FromInstant(Instant t) { return t.time_since_epoch().count(); }

// Applies `op(a[i], b[i])` over two int64 arrays with validity (1 = valid); a
// null in either gives a null. The GIL is released; the first error names its
// row.
template <typename Op>
py::tuple Many(const py::array_t<int64_t, py::array::c_style>& a,
               const py::array_t<uint8_t, py::array::c_style>& a_valid,
               const py::array_t<int64_t, py::array::c_style>& b,
               const py::array_t<uint8_t, py::array::c_style>& b_valid, Op op) {
  const auto n = a.size();
  if (b.size() != n || a_valid.size() != n || b_valid.size() != n) {
    throw py::value_error("the two columns differ in length");
  }
  py::array_t<int64_t> out(n);
  py::array_t<uint8_t> valid(n);
  const int64_t* pa = a.data();
  const int64_t* pb = b.data();
  const uint8_t* va = a_valid.data();
  const uint8_t* vb = b_valid.data();
  int64_t* po = out.mutable_data();
  uint8_t* vo = valid.mutable_data();
  absl::Status status;
  {
    py::gil_scoped_release release;
    for (py::ssize_t i = 0; i < n; ++i) {
      vo[i] = va[i] && vb[i];
      po[i] = 0;
      if (!vo[i]) continue;
      absl::StatusOr<int64_t> r = op(pa[i], pb[i]);
      if (!r.ok()) {
        status =
            absl::Status(r.status().code(),
                         absl::StrCat("row ", i, ": ", r.status().message()));
        break;
      }
      po[i] = *r;
    }
  }
  ThrowIfError(status);
  return py::make_tuple(out, valid);
}

}  // namespace

void RegisterCalendar(py::module_& m) {
  m.def("set_tz_dir", [](const std::string& directory) {
    ThrowIfError(SetTimeZoneDirectory(directory));
  });
  m.def("set_fallback_tz_dir", [](const std::string& directory) {
    SetFallbackTimeZoneDirectory(directory);
  });
  m.def("tz_dir", [] { return TimeZoneDirectory(); });
  m.def("is_zone",
        [](const std::string& name) { return FindZone(name).ok(); });
  py::class_<Calendar>(m, "Calendar")
      .def_property_readonly("name", &Calendar::name)
      .def_property_readonly("time_zone", &Calendar::time_zone)
      .def_property_readonly(
          "outside",
          [](const Calendar& c) {
            switch (c.outside()) {
              case OutsideCoverage::kWeekly:
                return "weekly";
              case OutsideCoverage::kEstimate:
                return "estimate";
              case OutsideCoverage::kError:
                break;
            }
            return "error";
          })
      .def_property_readonly("coverage",
                             [](const Calendar& c) -> py::object {
                               if (!c.has_coverage()) return py::none();
                               return py::make_tuple(
                                   c.coverage_from().time_since_epoch().count(),
                                   c.coverage_to().time_since_epoch().count());
                             })
      .def("to_json", &Calendar::ToJson)
      .def("is_open",
           [](const Calendar& c, int64_t t) {
             return ValueOrThrow(c.IsOpen(ToInstant(t)));
           })
      .def("next_open",
           [](const Calendar& c, int64_t t) {
             return FromInstant(ValueOrThrow(c.NextOpen(ToInstant(t))));
           })
      .def("is_workday",
           [](const Calendar& c, int64_t days) {
             return ValueOrThrow(
                 c.IsWorkday(date::local_days(date::days(days))));
           })
      .def("add_business",
           [](const Calendar& c, int64_t t, int64_t d) {
             return FromInstant(
                 ValueOrThrow(c.AddBusiness(ToInstant(t), seconds(d))));
           })
      .def("business_between",
           [](const Calendar& c, int64_t a, int64_t b) {
             return ValueOrThrow(c.BusinessBetween(ToInstant(a), ToInstant(b)))
                 .count();
           })
      .def("add_days",
           [](const Calendar& c, int64_t t, int n) {
             return FromInstant(ValueOrThrow(c.AddDays(ToInstant(t), n)));
           })
      .def("add_months",
           [](const Calendar& c, int64_t t, int n) {
             return FromInstant(ValueOrThrow(c.AddMonths(ToInstant(t), n)));
           })
      .def("add_business_many",
           [](const Calendar& c,
              const py::array_t<int64_t, py::array::c_style>& t,
              const py::array_t<uint8_t, py::array::c_style>& t_valid,
              const py::array_t<int64_t, py::array::c_style>& d,
              const py::array_t<uint8_t, py::array::c_style>& d_valid) {
             return Many(t, t_valid, d, d_valid,
                         [&c](int64_t a, int64_t b) -> absl::StatusOr<int64_t> {
                           absl::StatusOr<Instant> r =
                               c.AddBusiness(ToInstant(a), seconds(b));
                           if (!r.ok()) return r.status();
                           return FromInstant(*r);
                         });
           })
      .def("business_between_many",
           [](const Calendar& c,
              const py::array_t<int64_t, py::array::c_style>& a,
              const py::array_t<uint8_t, py::array::c_style>& a_valid,
              const py::array_t<int64_t, py::array::c_style>& b,
              const py::array_t<uint8_t, py::array::c_style>& b_valid) {
             return Many(a, a_valid, b, b_valid,
                         [&c](int64_t x, int64_t y) -> absl::StatusOr<int64_t> {
                           absl::StatusOr<seconds> r =
                               c.BusinessBetween(ToInstant(x), ToInstant(y));
                           if (!r.ok()) return r.status();
                           return r->count();
                         });
           })
      .def("__eq__",
           [](const Calendar& a, const Calendar& b) { return a == b; });

  m.def(
      "load_calendar",
      [](const std::string& text,
         const std::map<std::string, Calendar>& files) {
        CalendarLoadOptions options;
        options.files.insert(files.begin(), files.end());
        CalendarLoad load = ValueOrThrow(Calendar::FromJson(text, options));
        std::vector<Issue> issues(load.issues().begin(), load.issues().end());
        py::object calendar = py::none();
        if (!load.has_errors())
          calendar = py::cast(ValueOrThrow(load.calendar()));
        return py::make_tuple(calendar, issues, load.unknown_zone());
      },
      py::arg("text"), py::arg("files") = std::map<std::string, Calendar>{},
      "Parses a calendar document, `files` standing for its file references "
      "(as written): (Calendar or None, [Issue], unknown_zone).");
  m.def(
      "calendar_file_references",
      [](const std::string& text) { return Calendar::FileReferences(text); },
      py::arg("text"),
      "The file references a calendar document names (`extends` with a "
      "\"file\"), as written; [] for text that does not parse.");
  m.def(
      "calendar_for_policy",
      [](const Policy& policy) {
        return ValueOrThrow(CalendarForPolicy(policy));
      },
      py::arg("policy"),
      "The policy's calendar preset in the policy's calendar time zone.");
  m.def(
      "preset_calendar",
      [](const std::string& name) {
        return ValueOrThrow(Calendar::Preset(name));
      },
      py::arg("name"));
  m.def("calendar_preset_names", &Calendar::PresetNames);
}

}  // namespace leadkit::python
