// Every report state's Deserialize over arbitrary bytes. The first byte picks
// the state; the second says whether the rest is read as it is (so older,
// unframed versions and damaged frames are reached) or first framed with the
// state's current magic, length and checksum (so the fuzzer reaches the
// payload's reader past the checksum). A state that restores must write bytes
// that restore to an equal state with the same bytes, must merge with its
// copy, and must finalize.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/backtest.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/profile.h"
#include "leadkit/showroom.h"
#include "state_bytes.h"

namespace leadkit {
namespace {

template <typename State>
void RoundTrip(absl::string_view bytes) {
  absl::StatusOr<State> state = State::Deserialize(bytes);
  LEADKIT_FUZZ_CHECK_CLEAN(state.status());
  if (!state.ok()) return;
  const std::string saved = state->Serialize();
  absl::StatusOr<State> again = State::Deserialize(saved);
  LEADKIT_FUZZ_CHECK(again.ok());
  LEADKIT_FUZZ_CHECK(*again == *state);
  LEADKIT_FUZZ_CHECK(again->Serialize() == saved);
  (void)state->Finalize();
  State merged = *state;
  LEADKIT_FUZZ_CHECK_CLEAN(merged.Merge(*again));
  (void)merged.Finalize();
}

struct Kind {
  absl::string_view magic;  // the current format's
  void (*round_trip)(absl::string_view);
};

constexpr Kind kKinds[] = {
    {"LKKPI3", &RoundTrip<KpiState>},
    {"LKACT2", &RoundTrip<ActivityState>},
    {"LKAUD2", &RoundTrip<AuditState>},
    {"LKEFF2", &RoundTrip<EffectivenessState>},
    {"LKLST1", &RoundTrip<LostAnalysisState>},
    {"LKPIP1", &RoundTrip<PipelineState>},
    {"LKPRF1", &RoundTrip<ProfileState>},
    {"LKSHW1", &RoundTrip<ShowroomState>},
    {"LKBKT1", &RoundTrip<BacktestState>},
};

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadkit;  // NOLINT: a fuzz entry point, not a header
  if (size < 2) return 0;
  const Kind& kind = kKinds[data[0] % std::size(kKinds)];
  const bool frame = (data[1] & 1) != 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 2,
                               size - 2);
  if (frame) {
    kind.round_trip(state_internal::Frame(kind.magic, rest));
  } else {
    kind.round_trip(rest);
  }
  return 0;
}
