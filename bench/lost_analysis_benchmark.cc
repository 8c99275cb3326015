// Lost-sales state over a batch of a million leads, rows per second:
//   build/rel/bench/lost_analysis_benchmark
//   LEADKIT_BENCH_LEADS=200000 build/rel/bench/lost_analysis_benchmark
#include <cstdlib>

#include "benchmark/benchmark.h"
#include "breakdowns_batch.h"
#include "leadkit/lost_analysis.h"

namespace leadkit {
namespace {

const Instant kAsOf(std::chrono::seconds(1735639200));  // 2024-12-31 10:00 UTC

void BM_LostAnalysisAdd_ByMonth(benchmark::State& state) {
  static const bench::LeadBatch* batch = new bench::LeadBatch;
  for (auto _ : state) {
    LostAnalysisState lost({.by = {"month"}, .time_zone = "Asia/Shanghai"});
    if (!lost.Add(batch->leads, kAsOf, {}, static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(lost.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * batch->n);
}
BENCHMARK(BM_LostAnalysisAdd_ByMonth)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_LostAnalysisAdd_ByDealerAndChannel(benchmark::State& state) {
  static const bench::LeadBatch* batch = new bench::LeadBatch;
  for (auto _ : state) {
    LostAnalysisState lost({.by = {"dealer_id", "channel"}});
    if (!lost.Add(batch->leads, kAsOf, {}, static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(lost.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * batch->n);
}
BENCHMARK(BM_LostAnalysisAdd_ByDealerAndChannel)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
