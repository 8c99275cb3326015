#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"

namespace leadkit::python {
namespace {

template <typename T>
std::span<const T> Values(const py::array& a, int64_t n,
                          const std::string& name) {
  if (!py::isinstance<py::array_t<T>>(a) || a.ndim() != 1 || a.size() != n ||
      !(a.flags() & py::array::c_style)) {
    throw py::value_error(absl::StrCat(
        "column \"", name, "\": expected a contiguous 1-d array of ", n,
        " values of dtype ", std::string(py::str(py::dtype::of<T>()))));
  }
  return {static_cast<const T*>(a.data()), static_cast<size_t>(n)};
}

// `obj` as a C-contiguous array of its own dtype: the caller's buffer when it
// is one already, else a copy (a reversed or sliced view, as `df.iloc[::-1]`
// gives). The dtype is checked where the values are read.
py::array Contiguous(const py::handle obj, const std::string& name) {
  py::array out = py::array::ensure(obj, py::array::c_style);
  if (!out) {
    PyErr_Clear();
    throw py::value_error(absl::StrCat("column \"", name,
                                       "\": expected an array, got ",
                                       std::string(py::str(obj.get_type()))));
  }
  return out;
}

}  // namespace

BatchColumns::BatchColumns(int64_t num_rows, const py::list& specs)
    : columns_(num_rows) {
  for (const py::handle spec : specs) {
    const auto t = spec.cast<py::tuple>();
    if (t.size() != 5) throw py::value_error("a column spec has 5 items");
    const auto name = t[0].cast<std::string>();
    const auto kind = t[1].cast<std::string>();
    const uint8_t* valid = nullptr;
    if (!t[3].is_none()) {
      arrays_.push_back(Contiguous(t[3], name));
      valid = Values<uint8_t>(arrays_.back(), num_rows, name).data();
    }
    Column column = Column::ValidityOnly(num_rows, valid);
    if (kind != "validity") {
      arrays_.push_back(Contiguous(t[2], name));
      const py::array& values = arrays_.back();
      if (kind == "double") {
        column = Column::Doubles(Values<double>(values, num_rows, name), valid);
      } else if (kind == "int64") {
        column = Column::Int64s(Values<int64_t>(values, num_rows, name), valid);
      } else if (kind == "bool") {
        column = Column::Bools(Values<uint8_t>(values, num_rows, name), valid);
      } else if (kind == "instant") {
        column =
            Column::Instants(Values<int64_t>(values, num_rows, name), valid);
      } else if (kind == "date") {
        column = Column::Dates(Values<int64_t>(values, num_rows, name), valid);
      } else if (kind == "strings") {
        // Offsets (num_rows + 1) into a character buffer, as Arrow lays them.
        const std::span<const int64_t> offsets =
            Values<int64_t>(values, num_rows + 1, name);
        arrays_.push_back(Contiguous(t[4], name));  // `values` dangles now
        const py::array& chars = arrays_.back();
        const std::span<const uint8_t> bytes =
            Values<uint8_t>(chars, chars.size(), name);
        for (int64_t i = 0; i < num_rows; ++i) {
          if (offsets[static_cast<size_t>(i)] < 0 ||
              offsets[static_cast<size_t>(i)] >
                  offsets[static_cast<size_t>(i) + 1] ||
              offsets[static_cast<size_t>(i) + 1] >
                  static_cast<int64_t>(bytes.size())) {
            throw py::value_error(
                absl::StrCat("column \"", name,
                             "\": string offsets out of order at row ", i));
          }
        }
        column = Column::Strings(
            offsets, reinterpret_cast<const char*>(bytes.data()), valid);
      } else if (kind == "code") {
        std::vector<std::string>& dictionary =
            dictionaries_.emplace_back(t[4].cast<std::vector<std::string>>());
        column = Column::Codes(Values<int32_t>(values, num_rows, name),
                               dictionary, valid);
      } else {
        throw py::value_error(
            absl::StrCat("column \"", name, "\": unknown kind \"", kind, "\""));
      }
    }
    ThrowIfError(columns_.Add(name, column));
  }
}

void RegisterColumns(py::module_& m) {
  m.def(
      "default_as_of",
      [](const py::list& tables) {
        // Each (num_rows, specs) a table of its own.
        std::vector<std::unique_ptr<BatchColumns>> held;
        std::vector<const Columns*> views;
        for (const py::handle& table : tables) {
          const auto pair = py::cast<py::tuple>(table);
          held.push_back(std::make_unique<BatchColumns>(
              py::cast<int64_t>(pair[0]), py::cast<py::list>(pair[1])));
          views.push_back(&held.back()->columns());
        }
        return ValueOrThrow(DefaultAsOfSeconds(views));
      },
      py::arg("tables"),
      "The default as_of (DefaultAsOfSeconds) of [(num_rows, specs), ...], "
      "in seconds.");
  m.def(
      "lead_fields",
      [] {
        py::list out;
        for (const LeadFieldInfo& f : LeadFields()) {
          out.append(py::make_tuple(f.name, std::string(FieldTypeName(f.type)),
                                    f.personal, f.required));
        }
        return out;
      },
      "The leads table's fields: (name, type, personal, required) tuples.");
  m.def(
      "lead_field_values",
      [] {
        py::dict out;
        for (const LeadFieldInfo& f : LeadFields()) {
          if (f.values.empty()) continue;
          py::list values;
          for (absl::string_view v : f.values) {
            values.append(py::str(v.data(), v.size()));
          }
          out[py::str(f.name)] = values;
        }
        return out;
      },
      "The documented value sets of the categorical lead fields: field -> "
      "values, in docs/data.md's order.");
  m.def(
      "nearest_name",
      [](const std::string& name, const std::vector<std::string>& candidates,
         std::optional<size_t> max_distance) {
        std::vector<absl::string_view> views(candidates.begin(),
                                             candidates.end());
        return max_distance ? NearestName(name, views, *max_distance)
                            : NearestName(name, views);
      },
      py::arg("name"), py::arg("candidates"),
      py::arg("max_distance") = py::none(),
      "The candidate nearest to `name` by edit distance, or \"\": within "
      "`max_distance` edits, by default within max(2, len(name) // 3).");
  m.def(
      "mask_value",
      [](const std::string& field, const std::string& value) {
        return MaskValue(field, value);
      },
      py::arg("field"), py::arg("value"),
      "Masks a personal field's value (name, phone, wechat, email); scrubs "
      "any other (scrub_text).");
  m.def(
      "scrub_text", [](const std::string& text) { return ScrubText(text); },
      py::arg("text"),
      "Free text with the phone numbers, e-mail addresses and WeChat ids in "
      "it masked (C++ ScrubText).");
}

}  // namespace leadkit::python
