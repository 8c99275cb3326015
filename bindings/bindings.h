// Shared declarations of the binding files. Binding policy: bindings are thin.
// They validate arguments, wrap buffers the Python side prepared
// (python/leadkit/_frames.py), release the GIL around C++ work, and turn an
// absl::Status into an exception in one place (ThrowIfError).
#ifndef LEADKIT_BINDINGS_BINDINGS_H_
#define LEADKIT_BINDINGS_BINDINGS_H_

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"
#include "leadkit/routing.h"
#include "leadkit/scope.h"
#include "pybind11/numpy.h"
#include "pybind11/pybind11.h"
#include "pybind11/stl.h"

namespace leadkit::python {

namespace py = pybind11;

// InvalidArgument -> ValueError, NotFound -> KeyError, OutOfRange ->
// OverflowError, FailedPrecondition -> RuntimeError, other codes ->
// RuntimeError; the message verbatim.
void ThrowIfError(const absl::Status& status);

template <typename T>
T ValueOrThrow(absl::StatusOr<T> value) {
  ThrowIfError(value.status());
  return *std::move(value);
}

// A Columns batch over numpy buffers, built from the column specs of
// _frames.py: a list of (name, kind, values, valid, dictionary) tuples. Holds
// references to the arrays and owns the dictionaries, so it must outlive every
// use of columns().
class BatchColumns {
 public:
  BatchColumns(int64_t num_rows, const py::list& specs);
  const Columns& columns() const { return columns_; }

 private:
  Columns columns_;
  std::vector<py::array> arrays_;
  std::deque<std::vector<std::string>> dictionaries_;
};

// The leads of an Arrow stream (an object with __arrow_c_stream__) routed by
// `router` (c_api_internal::RouteArrow, lk_route_arrow's code, passed_over as
// PassedOverText): an "arrow_array_stream" capsule (arrow_bindings.cc).
py::object RouteArrowCapsule(Router& router, const Policy& policy,
                             py::handle leads);

// A Python scope's kind ("hq", "region", "dealer"; ValueError for another)
// and id as the C++ Scope.
Scope ScopeOf(const std::string& kind, const std::string& id);

// A scope mask as Python hands it to a state's add: one flag per row of the
// main table, None for every row.
using IncludeArray = std::optional<py::array_t<uint8_t, py::array::c_style>>;

// The flags of `include`, empty for None.
inline std::span<const uint8_t> MaskFlags(const IncludeArray& include) {
  if (!include) return {};
  return {include->data(), static_cast<size_t>(include->size())};
}

// Seconds since the epoch as an Instant.
// A caller's phone_key (16 bytes, e.g. secrets.token_bytes(16)) as the C++
// options hold it; nullopt for None. ValueError for another length.
inline std::optional<std::array<uint8_t, 16>> PhoneKeyOf(
    const std::optional<py::bytes>& phone_key) {
  if (!phone_key) return std::nullopt;
  const std::string key(*phone_key);
  if (key.size() != 16) {
    throw py::value_error(absl::StrCat(
        "phone_key: expected 16 bytes (secrets.token_bytes(16)), got ",
        key.size()));
  }
  std::array<uint8_t, 16> out;
  std::copy(key.begin(), key.end(), out.begin());
  return out;
}

inline Instant SecondsInstant(int64_t seconds) {
  return Instant(std::chrono::seconds(seconds));
}

// What every state's add does around its C++ Add: runs add() (returning an
// absl::Status) with the GIL released, then raises its error.
template <typename Add>
void AddWithoutGil(const Add& add) {
  absl::Status status;
  {
    py::gil_scoped_release release;
    status = add();
  }
  ThrowIfError(status);
}

// The protocol every mergeable state shares (docs/architecture.md, "One state
// protocol"): merge, to_bytes, from_bytes and ==, on the class `cls` binds.
template <typename State>
py::class_<State> DefineStateProtocol(py::class_<State> cls) {
  cls.def("merge",
          [](State& a, const State& b) { ThrowIfError(a.Merge(b)); })
      .def("to_bytes", [](const State& s) { return py::bytes(s.Serialize()); })
      .def_static("from_bytes",
                  [](const py::bytes& b) {
                    return ValueOrThrow(State::Deserialize(std::string(b)));
                  })
      .def("__eq__", [](const State& a, const State& b) { return a == b; });
  return cls;
}

void RegisterStatus(py::module_& m);
void RegisterColumns(py::module_& m);
void RegisterPolicy(py::module_& m);
void RegisterClassify(py::module_& m);
void RegisterCalendar(py::module_& m);
void RegisterCadence(py::module_& m);
void RegisterPlaybook(py::module_& m);
void RegisterKpi(py::module_& m);
void RegisterBacktest(py::module_& m);
void RegisterAudit(py::module_& m);
void RegisterShowroom(py::module_& m);
void RegisterActivity(py::module_& m);
void RegisterEffectiveness(py::module_& m);
void RegisterPipeline(py::module_& m);
void RegisterRouting(py::module_& m);
void RegisterScope(py::module_& m);
void RegisterLostAnalysis(py::module_& m);
void RegisterProfile(py::module_& m);
void RegisterScorecard(py::module_& m);
void RegisterScoreReport(py::module_& m);
void RegisterArrow(py::module_& m);

}  // namespace leadkit::python

#endif  // LEADKIT_BINDINGS_BINDINGS_H_
