#include <string>

#include "bindings.h"

namespace leadkit::python {

void ThrowIfError(const absl::Status& status) {
  if (status.ok()) return;
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      throw py::value_error(message);
    case absl::StatusCode::kNotFound:
      throw py::key_error(message);
    case absl::StatusCode::kOutOfRange:
      PyErr_SetString(PyExc_OverflowError, message.c_str());
      throw py::error_already_set();
    default:
      throw std::runtime_error(message);
  }
}

void RegisterStatus(py::module_& m) {
  // For tests of the translation itself.
  m.def(
      "_raise_status",
      [](int code, const std::string& message) {
        ThrowIfError(
            absl::Status(static_cast<absl::StatusCode>(code), message));
      },
      py::arg("code"), py::arg("message"));
}

}  // namespace leadkit::python
