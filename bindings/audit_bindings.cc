#include <array>
#include <string>
#include <vector>

#include "bindings.h"
#include "leadkit/audit.h"
#include "leadkit/phone.h"

namespace leadkit::python {
namespace {

// The findings as buffers: lead_id and detail each as (offsets, characters),
// int64 offsets into UTF-8 bytes (an Arrow large string array's buffers), and
// each finding's code (AuditFinding) as int8. No Python object per row.
py::dict FinalizeToDict(const AuditState& state) {
  std::vector<AuditRow> rows;
  {
    py::gil_scoped_release release;
    rows = state.Finalize();
  }
  const auto n = static_cast<py::ssize_t>(rows.size());
  size_t id_chars = 0, detail_chars = 0;
  for (const AuditRow& row : rows) {
    id_chars += row.lead_id.size();
    detail_chars += row.detail.size();
  }
  py::array_t<int64_t> id_offsets(n + 1), detail_offsets(n + 1);
  py::array_t<uint8_t> ids(static_cast<py::ssize_t>(id_chars)),
      details(static_cast<py::ssize_t>(detail_chars));
  py::array_t<int8_t> codes(n);
  {
    int64_t* io = id_offsets.mutable_data();
    int64_t* dof = detail_offsets.mutable_data();
    char* ic = reinterpret_cast<char*>(ids.mutable_data());
    char* dc = reinterpret_cast<char*>(details.mutable_data());
    int8_t* code = codes.mutable_data();
    py::gil_scoped_release release;
    io[0] = dof[0] = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const AuditRow& row = rows[i];
      std::copy(row.lead_id.begin(), row.lead_id.end(), ic + io[i]);
      io[i + 1] = io[i] + static_cast<int64_t>(row.lead_id.size());
      std::copy(row.detail.begin(), row.detail.end(), dc + dof[i]);
      dof[i + 1] = dof[i] + static_cast<int64_t>(row.detail.size());
      code[i] = static_cast<int8_t>(row.finding);
    }
  }
  py::dict out;
  out["lead_id"] = py::make_tuple(id_offsets, ids);
  out["finding"] = codes;
  out["detail"] = py::make_tuple(detail_offsets, details);
  return out;
}

}  // namespace

void RegisterAudit(py::module_& m) {
  DefineStateProtocol(py::class_<AuditState>(
      m, "AuditState",
      "Mergeable findings of the supervisor's audit (docs/kpis.md)."))
      .def(py::init([](const std::optional<py::bytes>& phone_key) {
             return AuditState({.phone_key = PhoneKeyOf(phone_key)});
           }),
           py::arg("phone_key") = py::none())
      .def_static(
          "from_bytes_with_key",
          [](const py::bytes& data, const py::bytes& phone_key) {
            return ValueOrThrow(
                AuditState::Deserialize(std::string(data), PhoneKeyOf(phone_key)));
          },
          py::arg("data"), py::arg("phone_key"),
          "The state of bytes written under `phone_key`, with the key (so that "
          "it can add); ValueError for bytes of another key.")
      .def(
          "add",
          [](AuditState& state, const Cadence& cadence, int64_t num_leads,
             const py::list& leads, int64_t num_touches,
             const py::list& touches, int64_t as_of,
             const IncludeArray& include,
             int threads) {
            BatchColumns lead_columns(num_leads, leads);
            BatchColumns touch_columns(num_touches, touches);
            AddWithoutGil([&] {
              return state.Add(cadence, lead_columns.columns(),
                               touch_columns.columns(), SecondsInstant(as_of),
                               MaskFlags(include), threads);
            });
          },
          py::arg("cadence"), py::arg("num_leads"), py::arg("leads"),
          py::arg("num_touches"), py::arg("touches"), py::arg("as_of"),
          py::arg("include"), py::arg("threads") = 1)
      .def("finalize", &FinalizeToDict)
      .def_property_readonly("estimated", &AuditState::estimated)
      .def_property_readonly("key_check", &AuditState::key_check)
      .def_property_readonly("can_add", &AuditState::can_add);
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
