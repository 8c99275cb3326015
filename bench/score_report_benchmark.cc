// The report formulas of a learned scoring (score_report.h) on a million
// closed leads with integer totals from -60 to 60:
//   build/release/bench/score_report_benchmark
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/score_report.h"

namespace leadkit {
namespace {

struct Leads {
  std::vector<double> scores, predicted;
  std::vector<uint8_t> won;
  std::vector<int32_t> band;
  Leads() {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int> total(-60, 60);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < 1'000'000; ++i) {
      const double s = total(rng);
      const double p = PointsToProbability(s, 20);
      scores.push_back(s);
      predicted.push_back(p);
      won.push_back(u(rng) < p ? 1 : 0);
      band.push_back(s >= 20 ? 0 : s >= 0 ? 1 : s >= -20 ? 2 : 3);
    }
  }
};

const Leads& Data() {
  static const Leads* leads = new Leads();
  return *leads;
}

void BM_AucAndLift(benchmark::State& state) {
  const Leads& d = Data();
  for (auto _ : state) {
    auto groups = GroupByScore(d.scores, d.won);
    benchmark::DoNotOptimize(GradeAuc(*groups));
    benchmark::DoNotOptimize(LiftByDecile(*groups));
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(d.scores.size()));
}
BENCHMARK(BM_AucAndLift)->Unit(benchmark::kMillisecond);

void BM_Calibration(benchmark::State& state) {
  const Leads& d = Data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(CalibrationByBand(d.band, d.predicted, d.won, 4));
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(d.scores.size()));
}
BENCHMARK(BM_Calibration)->Unit(benchmark::kMillisecond);

void BM_BandCuts(benchmark::State& state) {
  const Leads& d = Data();
  const std::vector<double> shares = {0.1, 0.2, 0.3, 0.4};
  for (auto _ : state) benchmark::DoNotOptimize(BandCuts(d.scores, shares));
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(d.scores.size()));
}
BENCHMARK(BM_BandCuts)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
