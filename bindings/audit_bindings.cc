#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "bindings.h"
#include "leadkit/audit.h"
#include "leadkit/phone.h"

namespace leadkit::python {
namespace {

// A numpy array that takes over `values` (no copy).
template <typename T>
py::array_t<T> Adopt(std::vector<T>&& values) {
  if (values.empty()) return py::array_t<T>(0);
  auto* owned = new std::vector<T>(std::move(values));
  const py::capsule free(owned, [](void* p) {
    delete static_cast<std::vector<T>*>(p);
  });
  return py::array_t<T>(static_cast<py::ssize_t>(owned->size()),
                        owned->data(), free);
}

// The findings as buffers: lead_id and detail each as (offsets, characters),
// int64 offsets into UTF-8 bytes (an Arrow large string array's buffers), and
// each finding's code (AuditFinding) as int8. Written row by row as the state
// streams them: no Python object, and no copy of the table, per row.
py::dict FinalizeToDict(const AuditState& state) {
  std::vector<int64_t> id_offsets = {0}, detail_offsets = {0};
  std::vector<uint8_t> ids, details;
  std::vector<int8_t> codes;
  {
    py::gil_scoped_release release;
    const auto append = [](std::vector<uint8_t>& chars,
                           std::vector<int64_t>& offsets, absl::string_view s) {
      chars.insert(chars.end(), s.begin(), s.end());
      offsets.push_back(static_cast<int64_t>(chars.size()));
    };
    state.Finalize([&](absl::string_view lead_id, AuditFinding finding,
                       absl::string_view detail) {
      append(ids, id_offsets, lead_id);
      append(details, detail_offsets, detail);
      codes.push_back(static_cast<int8_t>(finding));
    });
  }
  py::dict out;
  out["lead_id"] = py::make_tuple(Adopt(std::move(id_offsets)),
                                  Adopt(std::move(ids)));
  out["finding"] = Adopt(std::move(codes));
  out["detail"] = py::make_tuple(Adopt(std::move(detail_offsets)),
                                 Adopt(std::move(details)));
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
