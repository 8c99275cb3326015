// Not part of the API: the engines behind the C ABI's Arrow entry points
// (leadkit.h), declared once so that the Python bindings run the same code on
// the streams of the Arrow PyCapsule interface (bindings/arrow_bindings.cc).
// Each reads its input streams with arrow.h's importer and releases them,
// also when it fails.
#ifndef LEADKIT_C_API_ARROW_ENGINES_H_
#define LEADKIT_C_API_ARROW_ENGINES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"

namespace leadkit::c_api_internal {

// lk_classify_arrow: grades every lead of `leads`; `result` receives batches
// of (lead_id, grade, rule) in input order, lead_id as large_utf8 when the
// input's ids are large_utf8 or string views (utf8 otherwise), grade and rule
// as dictionary<int32, utf8> over the policy's grades and rule ids.
absl::Status ClassifyArrow(const Policy& policy, ArrowArrayStream* leads,
                           ArrowArrayStream* result);

// lk_kpi_state_add: adds the leads, touches and surveys (nullptr: none) to
// `state` at `as_of` seconds, LK_AS_OF_DATA for the latest instant of the
// tables (DefaultAsOfSeconds), splitting the leads over `threads`, the
// leads in `scope` (nullptr: every lead; lk_kpi_state_add_scoped). Returns
// the as_of used. A failure leaves the state as it was.
absl::StatusOr<int64_t> AddToState(KpiState& state, const Cadence& cadence,
                                   ArrowArrayStream* leads,
                                   ArrowArrayStream* touches,
                                   ArrowArrayStream* surveys, int64_t as_of,
                                   int threads = 1,
                                   const lk_scope* scope = nullptr);

}  // namespace leadkit::c_api_internal

#endif  // LEADKIT_C_API_ARROW_ENGINES_H_
