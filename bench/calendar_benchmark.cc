// Business-time arithmetic per second on one core:
//   build/release/bench/calendar_benchmark
// items_per_second is operations per second.
#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/calendar.h"

namespace leadkit {
namespace {

// Random instants over 2019-2025 and durations up to 30 business days.
struct Inputs {
  std::vector<Instant> times;
  std::vector<std::chrono::seconds> durations;
};

const Inputs& RandomInputs() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    std::mt19937_64 rng(3);
    const int64_t from = 1546300800;  // 2019-01-01T00:00:00Z
    const int64_t span = 7 * 365 * 86400LL;
    for (int i = 0; i < 1 << 16; ++i) {
      in->times.push_back(Instant(
          std::chrono::seconds(from + static_cast<int64_t>(rng() % span))));
      in->durations.push_back(std::chrono::seconds(rng() % (30 * 8 * 3600)));
    }
    return in;
  }();
  return *inputs;
}

const Calendar& Preset(const char* name) {
  static const Calendar office = *Calendar::Preset("cn_office");
  static const Calendar showroom = *Calendar::Preset("cn_showroom");
  return std::string_view(name) == "cn_office" ? office : showroom;
}

void BM_AddBusiness(benchmark::State& state, const char* name) {
  const Calendar& cal = Preset(name);
  const Inputs& in = RandomInputs();
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & (in.times.size() - 1);
    absl::StatusOr<Instant> r = cal.AddBusiness(in.times[k], in.durations[k]);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(*r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BusinessBetween(benchmark::State& state, const char* name) {
  const Calendar& cal = Preset(name);
  const Inputs& in = RandomInputs();
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & (in.times.size() - 1);
    const size_t j = (k * 7919 + 1) & (in.times.size() - 1);
    absl::StatusOr<std::chrono::seconds> r =
        cal.BusinessBetween(in.times[k], in.times[j]);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(*r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IsOpen(benchmark::State& state, const char* name) {
  const Calendar& cal = Preset(name);
  const Inputs& in = RandomInputs();
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<bool> r = cal.IsOpen(in.times[i++ & (in.times.size() - 1)]);
    benchmark::DoNotOptimize(*r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_AddBusiness, cn_office, "cn_office");
BENCHMARK_CAPTURE(BM_AddBusiness, cn_showroom, "cn_showroom");
BENCHMARK_CAPTURE(BM_BusinessBetween, cn_office, "cn_office");
BENCHMARK_CAPTURE(BM_IsOpen, cn_office, "cn_office");

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
