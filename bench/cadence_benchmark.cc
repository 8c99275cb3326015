// Follow-up deadlines and whole-lead schedules per second on one core:
//   build/release/bench/cadence_benchmark
#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/cadence.h"

namespace leadkit {
namespace {

const Cadence& Abcd() {
  static const Cadence* cadence =
      new Cadence(*Cadence::ForPolicy(*Policy::Preset("abcd")));
  return *cadence;
}

std::vector<Instant> RandomInstants(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Instant> out;
  const int64_t from = 1546300800;  // 2019-01-01T00:00:00Z
  for (size_t i = 0; i < n; ++i) {
    out.push_back(Instant(std::chrono::seconds(
        from + static_cast<int64_t>(rng() % (7 * 365 * 86400LL)))));
  }
  return out;
}

void BM_FollowUpDeadline_Abcd(benchmark::State& state) {
  const Cadence& c = Abcd();
  const std::vector<Instant> times = RandomInstants(1 << 16, 1);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & (times.size() - 1);
    absl::StatusOr<std::optional<FollowUpDue>> d =
        c.FollowUpDeadline(times[k], static_cast<int>(k & 3));
    if (!d.ok()) std::abort();
    benchmark::DoNotOptimize(*d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FollowUpDeadline_Abcd);

// A lead with five touches, re-graded once: every task rule runs.
void BM_LeadTasks_FiveTouches(benchmark::State& state) {
  const Cadence& c = Abcd();
  const std::vector<Instant> created = RandomInstants(1 << 12, 2);
  std::vector<TouchFacts> touches(5);
  size_t i = 0;
  for (auto _ : state) {
    LeadFacts lead;
    lead.created_at = created[i++ & (created.size() - 1)];
    lead.grade = 1;
    lead.callback_channel = true;
    for (size_t t = 0; t < touches.size(); ++t) {
      touches[t] = {.at = lead.created_at +
                          std::chrono::hours(30 * static_cast<int>(t + 1)),
                    .method = t == 0 ? "visit" : "phone",
                    .grade_after = t == 2 ? 2 : -1};
    }
    absl::StatusOr<std::vector<Task>> tasks = c.LeadTasks(
        lead, touches, lead.created_at + std::chrono::hours(24 * 20));
    if (!tasks.ok()) std::abort();
    benchmark::DoNotOptimize(tasks->data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeadTasks_FiveTouches);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
