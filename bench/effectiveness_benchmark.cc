// Follow-up effectiveness over a batch, rows per second (leads; each with five
// touches), beside the KPIs on the same batch (the goal: within 3x of
// them on one thread, and two threads at least 1.6x one):
//   build/rel/bench/effectiveness_benchmark
//   LEADKIT_BENCH_LEADS=200000 build/rel/bench/effectiveness_benchmark
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace {

// A million leads (LEADKIT_BENCH_LEADS) and five touches each, as the Python
// converter hands them over: ids as strings (offsets into one buffer),
// categories as codes. A third of the leads are won, half of them at a known
// time.
struct Batch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::string lead_chars, touch_chars;
  std::vector<int64_t> lead_offsets{0}, touch_offsets{0};
  std::vector<std::string> channels = {"website", "showroom", "phone",
                                       "social"},
                           methods = {"phone", "wechat", "visit", "sms"},
                           contents = {"needs", "offer", "buying_guide",
                                       "nev_models", "greeting"},
                           statuses = {"open", "won", "lost", "invalid"};
  std::vector<int32_t> channel, method, content, status;
  std::vector<int64_t> created, won_at, at;
  std::vector<uint8_t> won_known;
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
      const auto s = static_cast<int32_t>(rng() % 6);  // 0-2 open, 3-4 won
      status.push_back(s < 3 ? 0 : s < 5 ? 1 : 2 + static_cast<int32_t>(i % 2));
      won_at.push_back(created.back() +
                       static_cast<int64_t>(rng() % (90 * 86400)));
      won_known.push_back(status.back() == 1 && rng() % 2 == 0);
    }
    for (int64_t k = 0; k < 5 * n; ++k) {
      const int64_t lead = static_cast<int64_t>(rng() % n);
      touch_chars += "L" + std::to_string(lead);
      touch_offsets.push_back(static_cast<int64_t>(touch_chars.size()));
      at.push_back(created[static_cast<size_t>(lead)] +
                   static_cast<int64_t>(rng() % (60 * 86400)));
      method.push_back(static_cast<int32_t>(rng() % methods.size()));
      // A sixth of the touches without content.
      const auto c = static_cast<int32_t>(rng() % (contents.size() + 1));
      content.push_back(c == static_cast<int32_t>(contents.size()) ? -1 : c);
    }
    leads = Columns(n);
    Check(
        leads.Add("lead_id", Column::Strings(lead_offsets, lead_chars.data())));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("channel", Column::Codes(channel, channels)));
    Check(leads.Add("purchase_within_days", Column::Doubles(days)));
    Check(leads.Add("status", Column::Codes(status, statuses)));
    Check(leads.Add("won_at", Column::Instants(won_at, won_known.data())));
    touches = Columns(5 * n);
    Check(touches.Add("lead_id",
                      Column::Strings(touch_offsets, touch_chars.data())));
    Check(touches.Add("at", Column::Instants(at)));
    Check(touches.Add("method", Column::Codes(method, methods)));
    Check(touches.Add("content", Column::Codes(content, contents)));
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

void Effectiveness(benchmark::State& state, EffectivenessView view) {
  const Batch& batch = TheBatch();
  for (auto _ : state) {
    EffectivenessState s({.view = view});
    if (!s.Add(batch.leads, batch.touches, kAsOf, {},
               static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}

void BM_EffectivenessAdd_MethodMix(benchmark::State& state) {
  Effectiveness(state, EffectivenessView::kMethodMix);
}
void BM_EffectivenessAdd_Interval(benchmark::State& state) {
  Effectiveness(state, EffectivenessView::kInterval);
}
void BM_EffectivenessAdd_Action(benchmark::State& state) {
  Effectiveness(state, EffectivenessView::kAction);
}

// The action view next to the abcd preset's playbook: every touch's
// recommended action evaluated as well.
void BM_EffectivenessAdd_ActionPlaybook(benchmark::State& state) {
  const Batch& batch = TheBatch();
  static const Policy* policy = new Policy(*Policy::Preset("abcd"));
  for (auto _ : state) {
    EffectivenessState s(
        {.view = EffectivenessView::kAction, .playbook = true});
    if (!s.Add(*policy, batch.leads, batch.touches, kAsOf, {},
               static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}

// The yardstick: the KPIs of the same batch, not grouped.
void BM_KpiAdd_Totals(benchmark::State& state) {
  const Batch& batch = TheBatch();
  static const Cadence* cadence =
      new Cadence(*Cadence::ForPolicy(*Policy::Preset("abcd")));
  for (auto _ : state) {
    KpiState kpis;
    if (!kpis.Add(*cadence, batch.leads, batch.touches, nullptr, kAsOf, {},
                  static_cast<int>(state.range(0)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(kpis);
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}

BENCHMARK(BM_EffectivenessAdd_MethodMix)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EffectivenessAdd_Interval)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EffectivenessAdd_Action)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EffectivenessAdd_ActionPlaybook)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_KpiAdd_Totals)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
