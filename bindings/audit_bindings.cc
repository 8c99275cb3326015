#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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

// The findings as buffers, in chunks of `chunk_rows` rows (the last fewer):
// lead_id and detail each as (offsets, characters), int64 offsets into UTF-8
// bytes (an Arrow large string array's buffers), and each finding's code
// (AuditFinding) as int8; {"lead_id": [(offsets, characters), ...],
// "finding": [codes, ...], "detail": [(offsets, characters), ...]}. Written
// row by row as the state streams them: no Python object, and no copy of the
// table, per row; a chunk's buffers are trimmed to their size once full, so
// no buffer of the whole table is grown by copying and none holds spare
// capacity.
py::dict FinalizeToDict(const AuditState& state, int64_t chunk_rows) {
  if (chunk_rows < 1) {
    throw py::value_error(
        absl::StrCat("chunk_rows: expected 1 or more, got ", chunk_rows));
  }
  const auto rows = static_cast<size_t>(chunk_rows);
  struct Strings {
    std::vector<int64_t> offsets = {0};
    std::vector<uint8_t> chars;
    void Append(absl::string_view s) {
      chars.insert(chars.end(), s.begin(), s.end());
      offsets.push_back(static_cast<int64_t>(chars.size()));
    }
  };
  struct Chunk {
    Strings ids, details;
    std::vector<int8_t> codes;
  };
  std::vector<Chunk> chunks;
  {
    py::gil_scoped_release release;
    const auto trim = [](Chunk& chunk) {
      chunk.ids.chars.shrink_to_fit();
      chunk.details.chars.shrink_to_fit();
    };
    state.Finalize([&](absl::string_view lead_id, AuditFinding finding,
                       absl::string_view detail) {
      if (chunks.empty() || chunks.back().codes.size() == rows) {
        // Characters for as many as the chunk before held, and a little more
        // (so that a chunk's characters are seldom grown by copying).
        size_t id_chars = 0, detail_chars = 0;
        if (!chunks.empty()) {
          trim(chunks.back());
          id_chars = chunks.back().ids.chars.size();
          detail_chars = chunks.back().details.chars.size();
        }
        Chunk& chunk = chunks.emplace_back();
        chunk.ids.offsets.reserve(rows + 1);
        chunk.details.offsets.reserve(rows + 1);
        chunk.codes.reserve(rows);
        chunk.ids.chars.reserve(id_chars + id_chars / 8);
        chunk.details.chars.reserve(detail_chars + detail_chars / 8);
      }
      Chunk& chunk = chunks.back();
      chunk.ids.Append(lead_id);
      chunk.details.Append(detail);
      chunk.codes.push_back(static_cast<int8_t>(finding));
    });
    if (!chunks.empty()) {
      Chunk& last = chunks.back();
      trim(last);
      last.ids.offsets.shrink_to_fit();
      last.details.offsets.shrink_to_fit();
      last.codes.shrink_to_fit();
    }
  }
  py::list ids, codes, details;
  for (Chunk& chunk : chunks) {
    ids.append(py::make_tuple(Adopt(std::move(chunk.ids.offsets)),
                              Adopt(std::move(chunk.ids.chars))));
    codes.append(Adopt(std::move(chunk.codes)));
    details.append(py::make_tuple(Adopt(std::move(chunk.details.offsets)),
                                  Adopt(std::move(chunk.details.chars))));
  }
  py::dict out;
  out["lead_id"] = ids;
  out["finding"] = codes;
  out["detail"] = details;
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
      .def("finalize", &FinalizeToDict, py::arg("chunk_rows") = int64_t{1} << 20)
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
