// Tasks given an action per second on one core, batch path, per preset:
//   build/rel/bench/playbook_benchmark --benchmark_counters_tabular=true
// items_per_second is tasks per second. A schedule of ~1M open tasks (250,000
// leads, four tasks each) is built by hand, so only the playbook is timed:
// the per-task view of the lead columns the playbook reads and the decision
// list over it.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace {

void Check(const absl::Status& status) {
  if (!status.ok()) std::abort();
}

// The lead fields the presets' playbooks read, nulls included, as the Python
// converter hands them over (doubles with NaN, bytes with validity, codes).
class Batch {
 public:
  Batch(const Policy& policy, size_t leads, int tasks_per_lead)
      : columns_(static_cast<int64_t>(leads)) {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> unit(0, 1);
    considered_.resize(leads);
    drive_.resize(leads);
    price_.resize(leads);
    drive_valid_.resize(leads);
    purpose_.resize(leads);
    stage_.resize(leads);
    for (size_t i = 0; i < leads; ++i) {
      considered_[i] = unit(rng) < 0.2 ? NAN : std::floor(unit(rng) * 5);
      drive_[i] = unit(rng) < 0.3;
      price_[i] = unit(rng) < 0.4;
      drive_valid_[i] = unit(rng) >= 0.1;
      purpose_[i] = unit(rng) < 0.3 ? -1 : static_cast<int32_t>(rng() % 4);
      stage_[i] = unit(rng) < 0.3 ? -1 : static_cast<int32_t>(rng() % 7);
    }
    Check(columns_.Add("models_considered", Column::Doubles(considered_)));
    Check(columns_.Add("test_drive",
                       Column::Bools(drive_, drive_valid_.data())));
    Check(columns_.Add("asked_price", Column::Bools(price_)));
    Check(columns_.Add("purpose", Column::Codes(purpose_, purposes_)));
    Check(columns_.Add("sales_stage", Column::Codes(stage_, stages_)));
    const int grades = static_cast<int>(policy.grades().size());
    schedule_.grades.resize(leads);
    schedule_.touch_counts.resize(leads);
    for (size_t i = 0; i < leads; ++i) {
      schedule_.grades[i] = static_cast<int32_t>(rng() % grades);
      schedule_.touch_counts[i] = static_cast<int32_t>(rng() % 10);
      for (int t = 0; t < tasks_per_lead; ++t) {
        schedule_.tasks.push_back(
            {static_cast<int64_t>(i),
             Task{.kind = static_cast<TaskKind>(rng() % kTaskKinds)}});
      }
    }
  }

  const Columns& columns() const { return columns_; }
  const ScheduleResult& schedule() const { return schedule_; }

 private:
  Columns columns_;
  ScheduleResult schedule_;
  std::vector<double> considered_;
  std::vector<uint8_t> drive_, price_, drive_valid_;
  std::vector<int32_t> purpose_, stage_;
  const std::vector<std::string> purposes_ = {"environment", "driving",
                                              "family", "business"};
  const std::vector<std::string> stages_ = {
      "first_contact", "needs_analysis", "presentation", "objection_handling",
      "negotiation",   "won",            "lost"};
};

void BM_PlaybookBatch_Preset(benchmark::State& state,
                             const std::string& preset) {
  const Policy policy = *Policy::Preset(preset);
  const Batch batch(policy, 250000, 4);
  std::vector<int32_t> rules(batch.schedule().tasks.size());
  for (auto _ : state) {
    Check(PlaybookBatch(policy, batch.columns(), batch.schedule(), rules));
    benchmark::DoNotOptimize(rules.data());
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(rules.size()));
}

BENCHMARK_CAPTURE(BM_PlaybookBatch_Preset, three_level, "three_level")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PlaybookBatch_Preset, abcd, "abcd")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PlaybookBatch_Preset, oabc, "oabc")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PlaybookBatch_Preset, funnel, "funnel")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
