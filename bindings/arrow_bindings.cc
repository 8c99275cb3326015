// Arrow streams straight to the engines: a table that offers the Arrow
// PyCapsule interface (`__arrow_c_stream__`: a pyarrow Table or
// RecordBatchReader, a Polars DataFrame, a DuckDB relation) is read by the C
// ABI's importer (src/c_api/arrow.h) and its engines (src/c_api/arrow_engines.h),
// the same code lk_classify_arrow and lk_kpi_state_add run; no pandas and no
// numpy buffers in between. python/leadkit/_frames.py decides when a call
// takes this path (docs/architecture.md, "Arrow streams").
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "c_api/arrow_engines.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"

namespace leadkit::python {
namespace {

constexpr const char kStreamCapsule[] = "arrow_array_stream";

// An ArrowArrayStream taken out of a table's `__arrow_c_stream__` capsule:
// moved out of it and the capsule's marked released (so that its destructor
// leaves the stream alone, as the PyCapsule interface asks). Releases the
// stream when it goes out of scope unless an engine has (they release their
// inputs whatever the outcome).
class OwnedStream {
 public:
  OwnedStream(const py::handle table, const std::string& name) {
    if (!py::hasattr(table, "__arrow_c_stream__")) {
      throw py::type_error(absl::StrCat(
          name, ": expected an object with __arrow_c_stream__, got ",
          std::string(py::str(py::type::handle_of(table).attr("__name__")))));
    }
    const py::object capsule = table.attr("__arrow_c_stream__")(py::none());
    if (!PyCapsule_IsValid(capsule.ptr(), kStreamCapsule)) {
      throw py::type_error(absl::StrCat(
          name, ": __arrow_c_stream__ did not return an \"", kStreamCapsule,
          "\" capsule"));
    }
    auto* source = static_cast<ArrowArrayStream*>(
        PyCapsule_GetPointer(capsule.ptr(), kStreamCapsule));
    stream_ = *source;
    source->release = nullptr;
  }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  ~OwnedStream() {
    if (stream_.release != nullptr) stream_.release(&stream_);
  }
  ArrowArrayStream* get() { return &stream_; }

 private:
  ArrowArrayStream stream_{};
};

// `stream` (a result) as an "arrow_array_stream" capsule that owns it: its
// destructor releases the stream unless a reader has moved it out.
py::capsule StreamCapsule(ArrowArrayStream& stream) {
  auto* owned = new ArrowArrayStream(stream);
  stream.release = nullptr;
  return py::capsule(owned, kStreamCapsule, [](PyObject* capsule) {
    auto* s = static_cast<ArrowArrayStream*>(
        PyCapsule_GetPointer(capsule, kStreamCapsule));
    if (s == nullptr) return;
    if (s->release != nullptr) s->release(s);
    delete s;
  });
}

}  // namespace

void RegisterArrow(py::module_& m) {
  m.def(
      "classify_arrow",
      [](const Policy& policy, const py::handle leads) {
        OwnedStream input(leads, "leads");
        ArrowArrayStream result{};
        absl::Status status;
        {
          py::gil_scoped_release release;
          status = c_api_internal::ClassifyArrow(policy, input.get(), &result);
        }
        ThrowIfError(status);
        return StreamCapsule(result);
      },
      py::arg("policy"), py::arg("leads"),
      "Grades every lead of an Arrow stream (lk_classify_arrow): an "
      "\"arrow_array_stream\" capsule of (lead_id, grade, rule).");
  m.def(
      "kpi_state_add_arrow",
      [](KpiState& state, const Cadence& cadence, const py::handle leads,
         const py::handle touches, const py::handle surveys,
         std::optional<int64_t> as_of, int threads) {
        OwnedStream lead_stream(leads, "leads");
        OwnedStream touch_stream(touches, "touches");
        std::optional<OwnedStream> survey_stream;
        if (!surveys.is_none()) survey_stream.emplace(surveys, "surveys");
        absl::StatusOr<int64_t> used;
        {
          py::gil_scoped_release release;
          used = c_api_internal::AddToState(
              state, cadence, lead_stream.get(), touch_stream.get(),
              survey_stream ? survey_stream->get() : nullptr,
              as_of.value_or(LK_AS_OF_DATA), threads);
        }
        return ValueOrThrow(std::move(used));
      },
      py::arg("state"), py::arg("cadence"), py::arg("leads"),
      py::arg("touches"), py::arg("surveys"), py::arg("as_of"),
      py::arg("threads") = 1,
      "Adds Arrow streams of leads, touches and surveys (None: none) to a "
      "KpiState (lk_kpi_state_add); as_of None is the tables' latest instant. "
      "Returns the as_of used, in seconds.");
}

}  // namespace leadkit::python
