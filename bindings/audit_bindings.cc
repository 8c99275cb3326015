#include <array>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/audit.h"
#include "leadkit/phone.h"

namespace leadkit::python {
namespace {

// The findings as three lists of str (lead_id, finding, detail); each code's
// name is one str object shared by its rows.
py::dict FinalizeToDict(const AuditState& state) {
  std::vector<AuditRow> rows;
  {
    py::gil_scoped_release release;
    rows = state.Finalize();
  }
  std::array<py::str, kAuditFindingCount> names;
  for (int k = 0; k < kAuditFindingCount; ++k) {
    names[static_cast<size_t>(k)] =
        py::str(std::string(AuditFindingName(static_cast<AuditFinding>(k))));
  }
  const auto n = static_cast<py::ssize_t>(rows.size());
  py::list ids(n), findings(n), details(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const AuditRow& row = rows[static_cast<size_t>(i)];
    ids[static_cast<size_t>(i)] = py::str(row.lead_id);
    findings[static_cast<size_t>(i)] =
        names[static_cast<size_t>(row.finding)];
    details[static_cast<size_t>(i)] = py::str(row.detail);
  }
  py::dict out;
  out["lead_id"] = ids;
  out["finding"] = findings;
  out["detail"] = details;
  return out;
}

}  // namespace

void RegisterAudit(py::module_& m) {
  py::class_<AuditState>(
      m, "AuditState",
      "Mergeable findings of the supervisor's audit (docs/kpis.md).")
      .def(py::init<>())
      .def(
          "add",
          [](AuditState& state, const Cadence& cadence, int64_t num_leads,
             const py::list& leads, int64_t num_touches,
             const py::list& touches, int64_t as_of,
             const std::optional<py::array_t<uint8_t, py::array::c_style>>&
                 include,
             int threads) {
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            std::span<const uint8_t> mask;
            if (include) {
              mask = {include->data(), static_cast<size_t>(include->size())};
            }
            absl::Status status;
            {
              py::gil_scoped_release release;
              status = state.Add(cadence, lead_columns.columns(),
                                 touch_columns.columns(),
                                 Instant(std::chrono::seconds(as_of)), mask,
                                 threads);
            }
            ThrowIfError(status);
          },
          py::arg("cadence"), py::arg("num_leads"), py::arg("leads"),
          py::arg("num_touches"), py::arg("touches"), py::arg("as_of"),
          py::arg("include"), py::arg("threads") = 1)
      .def("merge",
           [](AuditState& a, const AuditState& b) { ThrowIfError(a.Merge(b)); })
      .def("to_bytes",
           [](const AuditState& s) { return py::bytes(s.Serialize()); })
      .def_static("from_bytes",
                  [](const py::bytes& b) {
                    return ValueOrThrow(
                        AuditState::Deserialize(std::string(b)));
                  })
      .def("finalize", &FinalizeToDict)
      .def_property_readonly("estimated", &AuditState::estimated)
      .def("__eq__",
           [](const AuditState& a, const AuditState& b) { return a == b; });
  m.def(
      "phone_is_valid", [](const std::string& p) { return PhoneIsValid(p); },
      py::arg("phone"),
      "A China mobile or landline number once normalised (docs/kpis.md).");
  py::list codes;
  for (int k = 0; k < kAuditFindingCount; ++k) {
    codes.append(
        py::str(std::string(AuditFindingName(static_cast<AuditFinding>(k)))));
  }
  m.attr("AUDIT_FINDINGS") = py::tuple(codes);
}

}  // namespace leadkit::python
