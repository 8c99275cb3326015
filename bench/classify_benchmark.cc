// Leads graded per second on one core, batch path, per preset:
//   build/release/bench/classify_benchmark --benchmark_counters_tabular=true
// items_per_second is leads per second.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/classify.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit {
namespace {

// One million leads with the classification fields, nulls included, held as the
// Python converter would hand them over (doubles with NaN, bytes with validity,
// string codes).
class Leads {
 public:
  explicit Leads(size_t n) : columns_(static_cast<int64_t>(n)) {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> unit(0, 1);
    days_.resize(n);
    considered_.resize(n);
    visits_.resize(n);
    model_.resize(n);
    for (auto* flags : {&price_, &config_, &deposit_, &drive_})
      flags->resize(n);
    for (auto* valid :
         {&price_valid_, &config_valid_, &deposit_valid_, &drive_valid_}) {
      valid->resize(n);
    }
    for (size_t i = 0; i < n; ++i) {
      days_[i] = unit(rng) < 0.3 ? NAN : std::floor(unit(rng) * 200);
      considered_[i] = unit(rng) < 0.2 ? NAN : std::floor(unit(rng) * 5);
      visits_[i] = unit(rng) < 0.2 ? NAN : std::floor(unit(rng) * 4);
      model_[i] = unit(rng) < 0.35 ? -1 : static_cast<int32_t>(rng() % 6);
      price_[i] = unit(rng) < 0.4;
      config_[i] = unit(rng) < 0.3;
      deposit_[i] = unit(rng) < 0.05;
      drive_[i] = unit(rng) < 0.2;
      price_valid_[i] = config_valid_[i] = deposit_valid_[i] = drive_valid_[i] =
          unit(rng) >= 0.1;
    }
    Check(columns_.Add("purchase_within_days", Column::Doubles(days_)));
    Check(columns_.Add("models_considered", Column::Doubles(considered_)));
    Check(columns_.Add("store_visits", Column::Doubles(visits_)));
    Check(columns_.Add("model", Column::Codes(model_, models_)));
    Check(columns_.Add("asked_price",
                       Column::Bools(price_, price_valid_.data())));
    Check(columns_.Add("asked_config",
                       Column::Bools(config_, config_valid_.data())));
    Check(columns_.Add("deposit_paid",
                       Column::Bools(deposit_, deposit_valid_.data())));
    Check(
        columns_.Add("test_drive", Column::Bools(drive_, drive_valid_.data())));
  }

  const Columns& columns() const { return columns_; }

 private:
  static void Check(const absl::Status& s) {
    if (!s.ok()) std::abort();
  }

  Columns columns_;
  std::vector<double> days_, considered_, visits_;
  std::vector<int32_t> model_;
  std::vector<std::string> models_ = {"A200", "C200", "E300",
                                      "GLC",  "GLE",  "EQE"};
  std::vector<uint8_t> price_, config_, deposit_, drive_;
  std::vector<uint8_t> price_valid_, config_valid_, deposit_valid_,
      drive_valid_;
};

void BM_Classify(benchmark::State& state, const char* preset) {
  static const Leads* leads = new Leads(1'000'000);
  absl::StatusOr<Policy> policy = Policy::Preset(preset);
  if (!policy.ok()) {
    state.SkipWithError(std::string(policy.status().message()).c_str());
    return;
  }
  const auto n = static_cast<size_t>(leads->columns().num_rows());
  std::vector<int32_t> grades(n), rules(n);
  for (auto _ : state) {
    absl::Status s = ClassifyBatch(*policy, leads->columns(), grades, rules);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(grades.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

BENCHMARK_CAPTURE(BM_Classify, three_level, "three_level")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Classify, abcd, "abcd")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Classify, oabc, "oabc")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Classify, funnel, "funnel")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
