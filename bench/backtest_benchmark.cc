// The policy backtest of two policies (oabc as recorded, abcd proposed) against
// one KPI call per policy, over the same batch (a million leads, five touches
// each, one in ten recording a grade change; docs/performance.md); the second
// argument 1 groups both by channel. BM_BacktestState_Bytes: a grouped state's
// Serialize, Deserialize and Merge, what a cluster adds per partition.
//   build/release/bench/backtest_benchmark
//   LEADKIT_BENCH_LEADS=100000 build/release/bench/backtest_benchmark
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/backtest.h"
#include "leadkit/kpi.h"

namespace leadkit {
namespace {

struct Batch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::string lead_chars, touch_chars;
  std::vector<int64_t> lead_offsets{0}, touch_offsets{0};
  std::vector<std::string> channels = {"website", "showroom", "phone",
                                       "social"},
                           methods = {"phone", "wechat", "visit"},
                           grades = {"O", "A", "B", "C"}, consultants;
  std::vector<int32_t> channel, method, consultant, grade_after;
  std::vector<uint8_t> grade_valid;
  std::vector<int64_t> created, at;
  std::vector<double> days;
  Columns leads{0}, touches{0};

  Batch() {
    std::mt19937_64 rng(11);
    for (int c = 0; c < 400; ++c) consultants.push_back("C" + std::to_string(c));
    const int64_t from = 1704157200;  // 2024-01-02 01:00 UTC
    for (int64_t i = 0; i < n; ++i) {
      lead_chars += "L" + std::to_string(i);
      lead_offsets.push_back(static_cast<int64_t>(lead_chars.size()));
      channel.push_back(static_cast<int32_t>(rng() % channels.size()));
      consultant.push_back(static_cast<int32_t>(rng() % consultants.size()));
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
      grade_after.push_back(static_cast<int32_t>(rng() % grades.size()));
      grade_valid.push_back(rng() % 10 == 0 ? 1 : 0);
    }
    leads = Columns(n);
    Check(
        leads.Add("lead_id", Column::Strings(lead_offsets, lead_chars.data())));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("channel", Column::Codes(channel, channels)));
    Check(leads.Add("consultant_id", Column::Codes(consultant, consultants)));
    Check(leads.Add("purchase_within_days", Column::Doubles(days)));
    touches = Columns(5 * n);
    Check(touches.Add("lead_id",
                      Column::Strings(touch_offsets, touch_chars.data())));
    Check(touches.Add("at", Column::Instants(at)));
    Check(touches.Add("method", Column::Codes(method, methods)));
    Check(touches.Add("grade_after",
                      Column::Codes(grade_after, grades, grade_valid.data())));
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) std::abort();
  }
};

const Batch& TheBatch() {
  static const Batch* batch = new Batch;
  return *batch;
}

const Instant kAsOf(std::chrono::seconds(1735639200));  // 2024-12-31 10:00 UTC

std::vector<BacktestPolicy> Policies() {
  std::vector<BacktestPolicy> out;
  out.push_back({.name = "current",
                 .cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"))});
  out.push_back({.name = "proposed",
                 .cadence = *Cadence::ForPolicy(*Policy::Preset("abcd")),
                 .grade_map = std::map<std::string, std::string, std::less<>>{
                     {"O", "A"}, {"A", "A"}, {"B", "B"}, {"C", "C"}}});
  return out;
}

// No group, or by channel (the benchmark's second argument).
std::vector<std::string> Grouping(const benchmark::State& state) {
  if (state.range(1) == 0) return {};
  return {"channel"};
}

// The yardstick: one KPI call per policy (the recorded touches as they are
// for oabc; abcd reads none of oabc's O and so would need the map).
void BM_KpiAdd_OnePerPolicy(benchmark::State& state) {
  const Batch& batch = TheBatch();
  const std::vector<BacktestPolicy> policies = Policies();
  for (auto _ : state) {
    for (const BacktestPolicy& p : policies) {
      KpiState kpis(Grouping(state));
      Columns touches(batch.touches.num_rows());
      for (const auto& [name, column] : batch.touches.columns()) {
        if (name != "grade_after") Batch::Check(touches.Add(name, column));
      }
      const absl::Status s =
          kpis.Add(p.cadence, batch.leads, touches, nullptr, kAsOf, {},
                   static_cast<int>(state.range(0)));
      if (!s.ok()) std::abort();
      benchmark::DoNotOptimize(kpis);
    }
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}
BENCHMARK(BM_KpiAdd_OnePerPolicy)
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_BacktestAdd_TwoPolicies(benchmark::State& state) {
  const Batch& batch = TheBatch();
  const std::vector<BacktestPolicy> policies = Policies();
  for (auto _ : state) {
    BacktestState backtest({"current", "proposed"}, Grouping(state));
    const absl::Status s =
        backtest.Add(policies, batch.leads, batch.touches, nullptr, kAsOf, {},
                     static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(backtest.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}
BENCHMARK(BM_BacktestAdd_TwoPolicies)
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_BacktestState_Bytes(benchmark::State& state) {
  const Batch& batch = TheBatch();
  BacktestState backtest({"current", "proposed"}, {"channel"});
  if (!backtest.Add(Policies(), batch.leads, batch.touches, nullptr, kAsOf).ok()) {
    std::abort();
  }
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string saved = backtest.Serialize();
    absl::StatusOr<BacktestState> back = BacktestState::Deserialize(saved);
    if (!back.ok() || !back->Merge(backtest).ok()) std::abort();
    bytes = saved.size();
    benchmark::DoNotOptimize(*back);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_BacktestState_Bytes)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
