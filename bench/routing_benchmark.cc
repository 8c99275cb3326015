// Leads routed per second on one core, on 1,000 dealers with 20 consultants
// each:
//   build/release/bench/routing_benchmark
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "leadkit/columns.h"
#include "leadkit/routing.h"

namespace leadkit {
namespace {

const Network& BigNetwork() {
  static const Network* network = [] {
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<double> lat(20, 45), lon(100, 125),
        years(0, 8);
    std::vector<Dealer> dealers;
    std::vector<Consultant> staff;
    for (int d = 0; d < 1000; ++d) {
      dealers.push_back({.dealer_id = absl::StrCat("D", d),
                         .lat = lat(rng),
                         .lon = lon(rng)});
      for (int c = 0; c < 20; ++c) {
        staff.push_back({.consultant_id = absl::StrCat("D", d, "-C", c),
                         .dealer_id = absl::StrCat("D", d),
                         .experience_years = years(rng)});
      }
    }
    return new Network(*Network::Create(std::move(dealers), std::move(staff)));
  }();
  return *network;
}

void BM_Route_NearestDealer(benchmark::State& state) {
  const Network& net = BigNetwork();
  Router router(net, *Policy::Preset("three_level"));
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> lat(20, 45), lon(100, 125);
  std::vector<RouteLead> leads(1 << 14);
  for (size_t i = 0; i < leads.size(); ++i) {
    leads[i].lead_id = absl::StrCat("L", i);
    leads[i].created_at = Instant(std::chrono::seconds(1767225600));
    leads[i].lat = lat(rng);
    leads[i].lon = lon(rng);
    leads[i].grade = static_cast<int>(i % 3);
  }
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Assignment> a =
        router.Route(leads[i++ & (leads.size() - 1)]);
    if (!a.ok()) std::abort();
    benchmark::DoNotOptimize(*a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route_NearestDealer);

// The batch path: 100,000 leads at random locations per iteration.
void BM_RouteBatch_NearestDealer(benchmark::State& state) {
  const Network& net = BigNetwork();
  const Policy policy = *Policy::Preset("three_level");
  const int64_t n = 100000;
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> lat(20, 45), lon(100, 125);
  std::vector<std::string> ids;
  std::vector<int32_t> codes;
  std::vector<int64_t> created(static_cast<size_t>(n), 1767225600);
  std::vector<double> lats, lons;
  std::vector<int32_t> grades;
  for (int64_t i = 0; i < n; ++i) {
    ids.push_back(absl::StrCat("L", i));
    codes.push_back(static_cast<int32_t>(i));
    lats.push_back(lat(rng));
    lons.push_back(lon(rng));
    grades.push_back(static_cast<int32_t>(i % 3));
  }
  Columns leads(n);
  if (!leads.Add("lead_id", Column::Codes(codes, ids)).ok() ||
      !leads.Add("created_at", Column::Instants(created)).ok() ||
      !leads.Add("lat", Column::Doubles(lats)).ok() ||
      !leads.Add("lon", Column::Doubles(lons)).ok()) {
    std::abort();
  }
  for (auto _ : state) {
    Router router(net, policy);
    absl::StatusOr<std::vector<Assignment>> out =
        router.RouteBatch(leads, grades);
    if (!out.ok()) std::abort();
    benchmark::DoNotOptimize(out->data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RouteBatch_NearestDealer)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
