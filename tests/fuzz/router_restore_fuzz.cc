// Router::Restore over arbitrary bytes, on a fixed network of three dealers.
// The first byte says whether the rest is restored as it is or first framed
// as a router state (magic, length, checksum), so that the fuzzer reaches the
// payload's reader past the checksum. A restored state must save to bytes
// that restore in a new router to the same bytes, and the router must route
// leads after it; a refused state must leave the router as it was.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/policy.h"
#include "leadkit/routing.h"
#include "state_bytes.h"

namespace leadkit {
namespace {

using fuzz_internal::FixedNetwork;
using fuzz_internal::FixedRouterOptions;

const Policy& FixedPolicy() {
  static const Policy* const policy =
      new Policy(*Policy::Preset("three_level"));
  return *policy;
}

void RouteSome(Router& router) {
  RouteLead lead;
  lead.lead_id = "FUZZ-1";
  lead.created_at = Instant(std::chrono::seconds(1767225600));  // 2026-01-01
  lead.phone = "13800138000";
  lead.lat = 31.2;
  lead.lon = 121.4;
  lead.grade = 0;
  LEADKIT_FUZZ_CHECK_CLEAN(router.Route(lead).status());
  lead.lead_id = "FUZZ-2";
  lead.dealer_id = "D2";
  lead.model = "GLC";
  LEADKIT_FUZZ_CHECK_CLEAN(router.Route(lead).status());
}

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadkit;  // NOLINT: a fuzz entry point, not a header
  if (size < 1) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  const std::string bytes = (data[0] & 1) != 0
                                ? state_internal::Frame("LKRTR2", rest)
                                : std::string(rest);
  Router router(FixedNetwork(), FixedPolicy(), FixedRouterOptions());
  const std::string before = *router.Save();
  const absl::Status restored = router.Restore(bytes);
  LEADKIT_FUZZ_CHECK_CLEAN(restored);
  absl::StatusOr<std::string> saved = router.Save();
  LEADKIT_FUZZ_CHECK(saved.ok());
  if (!restored.ok()) {
    LEADKIT_FUZZ_CHECK(*saved == before);
    return 0;
  }
  Router other(FixedNetwork(), FixedPolicy(), FixedRouterOptions());
  LEADKIT_FUZZ_CHECK(other.Restore(*saved).ok());
  LEADKIT_FUZZ_CHECK(*other.Save() == *saved);
  RouteSome(router);
  return 0;
}
