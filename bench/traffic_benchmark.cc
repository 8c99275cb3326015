// Showroom and activity states over a batch, rows per second:
//   build/release/bench/traffic_benchmark
//   LEADKIT_BENCH_LEADS=200000 build/release/bench/traffic_benchmark  # other
//   sizes
// A million leads (LEADKIT_BENCH_LEADS), five touches each and one visit per
// two leads, as the Python converter hands them over: touch lead ids as
// strings (offsets into one buffer), visit and lead ids and categories as
// codes.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/activity.h"
#include "leadkit/showroom.h"

namespace leadkit {
namespace {

struct Batch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::vector<std::string> lead_ids, visit_ids, dealers, consultants,
      models = {"C200", "GLC", "E300", "A180", "S450"},
      methods = {"phone", "wechat", "sms", "visit", "fax"},
      statuses = {"open", "won", "lost", "invalid"};
  std::string touch_chars;
  std::vector<int64_t> touch_offsets{0};
  std::vector<int32_t> lead_code, lead_dealer, lead_consultant, lead_status;
  std::vector<int32_t> visit_code, visit_lead, visit_dealer, visit_consultant,
      visit_model, touch_method, touch_consultant;
  std::vector<int64_t> created, arrived, left, at;
  std::vector<uint8_t> effective;
  Columns leads{0}, visits{0}, touches{0};

  Batch() {
    std::mt19937_64 rng(11);
    const int64_t from = 1704157200;  // 2024-01-02 01:00 UTC
    for (int d = 0; d < 50; ++d) dealers.push_back("D" + std::to_string(d));
    for (int c = 0; c < 500; ++c) consultants.push_back("C" + std::to_string(c));
    for (int64_t i = 0; i < n; ++i) {
      lead_ids.push_back("L" + std::to_string(i));
      lead_code.push_back(static_cast<int32_t>(i));
      const auto consultant = static_cast<int32_t>(rng() % consultants.size());
      lead_consultant.push_back(consultant);
      lead_dealer.push_back(consultant / 10);
      lead_status.push_back(static_cast<int32_t>(rng() % statuses.size()));
      created.push_back(from + static_cast<int64_t>(rng() % (300 * 86400)));
    }
    for (int64_t k = 0; k < 5 * n; ++k) {
      const auto lead = static_cast<size_t>(rng() % n);
      touch_chars += lead_ids[lead];
      touch_offsets.push_back(static_cast<int64_t>(touch_chars.size()));
      at.push_back(created[lead] + static_cast<int64_t>(rng() % (60 * 86400)));
      touch_method.push_back(static_cast<int32_t>(rng() % methods.size()));
      touch_consultant.push_back(lead_consultant[lead]);
    }
    for (int64_t v = 0; v < n / 2; ++v) {
      visit_ids.push_back("V" + std::to_string(v));
      visit_code.push_back(static_cast<int32_t>(v));
      const auto lead = static_cast<size_t>(rng() % n);
      visit_lead.push_back(rng() % 3 == 0 ? -1 : static_cast<int32_t>(lead));
      visit_dealer.push_back(lead_dealer[lead]);
      visit_consultant.push_back(lead_consultant[lead]);
      visit_model.push_back(static_cast<int32_t>(rng() % models.size()));
      arrived.push_back(created[lead] + static_cast<int64_t>(rng() % 86400));
      left.push_back(arrived.back() + static_cast<int64_t>(rng() % 7200));
      effective.push_back(static_cast<uint8_t>(rng() % 2));
    }
    leads = Columns(n);
    Check(leads.Add("lead_id", Column::Codes(lead_code, lead_ids)));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("status", Column::Codes(lead_status, statuses)));
    Check(leads.Add("dealer_id", Column::Codes(lead_dealer, dealers)));
    Check(leads.Add("consultant_id", Column::Codes(lead_consultant, consultants)));
    touches = Columns(5 * n);
    Check(touches.Add("lead_id",
                      Column::Strings(touch_offsets, touch_chars.data())));
    Check(touches.Add("at", Column::Instants(at)));
    Check(touches.Add("method", Column::Codes(touch_method, methods)));
    Check(touches.Add("consultant_id",
                      Column::Codes(touch_consultant, consultants)));
    visits = Columns(n / 2);
    Check(visits.Add("visit_id", Column::Codes(visit_code, visit_ids)));
    Check(visits.Add("lead_id", Column::Codes(visit_lead, lead_ids)));
    Check(visits.Add("dealer_id", Column::Codes(visit_dealer, dealers)));
    Check(visits.Add("consultant_id",
                     Column::Codes(visit_consultant, consultants)));
    Check(visits.Add("model", Column::Codes(visit_model, models)));
    Check(visits.Add("arrived_at", Column::Instants(arrived)));
    Check(visits.Add("left_at", Column::Instants(left)));
    Check(visits.Add("effective", Column::Bools(effective)));
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

void BM_ShowroomAdd_ByDealerHour(benchmark::State& state) {
  const Batch& batch = TheBatch();
  for (auto _ : state) {
    ShowroomState showroom(ShowroomOptions{.by = {"dealer_id", "hour"},
                                           .time_zone = "Asia/Shanghai"});
    const absl::Status s =
        showroom.Add(batch.visits, &batch.leads, kAsOf, {},
                     static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(showroom);
  }
  state.SetItemsProcessed(state.iterations() * batch.n / 2);
}
BENCHMARK(BM_ShowroomAdd_ByDealerHour)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_ActivityAdd_ByConsultantDay(benchmark::State& state) {
  const Batch& batch = TheBatch();
  for (auto _ : state) {
    ActivityState activity(ActivityOptions{.by = {"consultant_id", "day"},
                                           .time_zone = "Asia/Shanghai"});
    const absl::Status s =
        activity.Add(batch.touches, &batch.leads, kAsOf, {},
                     static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(activity);
  }
  state.SetItemsProcessed(state.iterations() * 5 * batch.n);
}
BENCHMARK(BM_ActivityAdd_ByConsultantDay)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
