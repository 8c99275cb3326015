// Profile state over a batch of a million leads, and the scorecard of a
// thousand KPI rows, rows per second:
//   build/rel/bench/profile_benchmark
//   LEADKIT_BENCH_LEADS=200000 build/rel/bench/profile_benchmark
#include <cstdlib>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "breakdowns_batch.h"
#include "leadkit/profile.h"
#include "leadkit/scorecard.h"

namespace leadkit {
namespace {

const Instant kAsOf(std::chrono::seconds(1735639200));  // 2024-12-31 10:00 UTC

void BM_ProfileAdd_ByAgeBandAndGender(benchmark::State& state) {
  static const bench::LeadBatch* batch = new bench::LeadBatch;
  for (auto _ : state) {
    ProfileState profile({.by = {"age_band", "gender"}});
    if (!profile
             .Add(batch->leads, kAsOf, {}, static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(profile.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * batch->n);
}
BENCHMARK(BM_ProfileAdd_ByAgeBandAndGender)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Scorecard_ThousandRows(benchmark::State& state) {
  std::mt19937_64 rng(3);
  std::vector<KpiRow> rows(1000);
  for (KpiRow& row : rows) {
    row.counts.leads = 1 + static_cast<int64_t>(rng() % 200);
    row.counts.won = static_cast<int64_t>(rng()) % row.counts.leads;
    row.counts.timely_leads = static_cast<int64_t>(rng()) % row.counts.leads;
    row.counts.surveyed = static_cast<int64_t>(rng() % 5);
    row.counts.satisfied = row.counts.surveyed / 2;
  }
  const std::vector<ScoreWeight> weights = {{"conversion_rate", 0.5},
                                            {"timeliness_rate", 0.3},
                                            {"satisfaction_rate", 0.2}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(Scorecard(rows, weights));
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Scorecard_ThousandRows);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
