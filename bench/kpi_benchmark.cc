// KPI state over a batch, rows per second (leads; each with five touches):
//   build/release/bench/kpi_benchmark
//   LEADKIT_BENCH_LEADS=10000000 build/release/bench/kpi_benchmark  # other
//   sizes
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/kpi.h"

namespace leadkit {
namespace {

// A million leads (LEADKIT_BENCH_LEADS) and five touches each, as the Python
// converter hands them over: ids as strings (offsets into one buffer),
// categories as codes.
struct Batch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::string lead_chars, touch_chars;
  std::vector<int64_t> lead_offsets{0}, touch_offsets{0};
  std::vector<std::string> channels = {"website", "showroom", "phone",
                                       "social"},
                           methods = {"phone", "wechat", "visit"};
  std::vector<int32_t> channel, method;
  std::vector<int64_t> created, at;
  std::vector<double> days;
  Columns leads{0}, touches{0};

  Batch() {
    std::mt19937_64 rng(11);
    const int64_t from = 1704157200;  // 2024-01-02 01:00 UTC
    for (int64_t i = 0; i < n; ++i) {
      lead_chars += "L" + std::to_string(i);
      lead_offsets.push_back(static_cast<int64_t>(lead_chars.size()));
      channel.push_back(static_cast<int32_t>(rng() % channels.size()));
      created.push_back(from + static_cast<int64_t>(rng() % (300 * 86400)));
      days.push_back(static_cast<double>(rng() % 120));
    }
    for (int64_t k = 0; k < 5 * n; ++k) {
      const int64_t lead = static_cast<int64_t>(rng() % n);
      touch_chars += "L" + std::to_string(lead);
      touch_offsets.push_back(static_cast<int64_t>(touch_chars.size()));
      at.push_back(created[static_cast<size_t>(lead)] +
                   static_cast<int64_t>(rng() % (60 * 86400)));
      method.push_back(static_cast<int32_t>(rng() % methods.size()));
    }
    leads = Columns(n);
    Check(
        leads.Add("lead_id", Column::Strings(lead_offsets, lead_chars.data())));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("channel", Column::Codes(channel, channels)));
    Check(leads.Add("purchase_within_days", Column::Doubles(days)));
    touches = Columns(5 * n);
    Check(touches.Add("lead_id",
                      Column::Strings(touch_offsets, touch_chars.data())));
    Check(touches.Add("at", Column::Instants(at)));
    Check(touches.Add("method", Column::Codes(method, methods)));
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) std::abort();
  }
};

void BM_KpiAdd_ByChannel(benchmark::State& state) {
  static const Batch* batch = new Batch;
  static const Cadence* cadence =
      new Cadence(*Cadence::ForPolicy(*Policy::Preset("abcd")));
  const Instant as_of(
      std::chrono::seconds(1735639200));  // 2024-12-31 10:00 UTC
  for (auto _ : state) {
    KpiState kpis({"channel"});
    const absl::Status s =
        kpis.Add(*cadence, batch->leads, batch->touches, nullptr, as_of, {},
                 static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(kpis);
  }
  state.SetItemsProcessed(state.iterations() * batch->n);
}
BENCHMARK(BM_KpiAdd_ByChannel)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The report's business-clock percentiles: 100k leads' minutes (spread over a
// working week) into a histogram, then its p50 and p90.
void BM_NearestRank_FromMinutes(benchmark::State& state) {
  std::vector<int64_t> minutes(100000);
  std::mt19937 random(7);
  std::uniform_int_distribution<int64_t> minute(0, 2700);
  for (int64_t& m : minutes) m = minute(random);
  for (auto _ : state) {
    const MinuteHistogram h = MinuteHistogramOf(minutes);
    benchmark::DoNotOptimize(NearestRank(h, 0.5));
    benchmark::DoNotOptimize(NearestRank(h, 0.9));
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(minutes.size()));
}
BENCHMARK(BM_NearestRank_FromMinutes)->Unit(benchmark::kMicrosecond);

// The report's first-contact histogram: the same 100k leads' minutes into a
// histogram, then into the report's bins.
void BM_BinCounts_FirstContact(benchmark::State& state) {
  std::vector<int64_t> minutes(100000);
  std::mt19937 random(7);
  std::uniform_int_distribution<int64_t> minute(0, 2700);
  for (int64_t& m : minutes) m = minute(random);
  for (auto _ : state) {
    const MinuteHistogram h = MinuteHistogramOf(minutes);
    benchmark::DoNotOptimize(BinCounts(h, kFirstContactBinEdges));
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(minutes.size()));
}
BENCHMARK(BM_BinCounts_FirstContact)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
