// The audit over a batch, beside the KPIs on the same batch (the goal:
// the audit within 3x of the KPIs on one thread; two threads at least 1.6x one):
//   build/rel/bench/audit_benchmark
//   LEADKIT_BENCH_LEADS=200000 build/rel/bench/audit_benchmark  # other sizes
// A million leads with five touches each; a lead's record has gaps and shared
// numbers, and some touches are by another consultant.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "leadkit/audit.h"
#include "leadkit/kpi.h"

namespace leadkit {
namespace {

struct Batch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::string lead_chars, touch_chars, phone_chars;
  std::vector<int64_t> lead_offsets{0}, touch_offsets{0}, phone_offsets{0};
  std::vector<std::string> channels = {"website", "showroom", "phone",
                                       "social"},
                           methods = {"phone", "wechat", "visit"},
                           names = {"王伟", "李娜", " "},
                           models = {"C200", "GLC", "EQE"},
                           grades = {"A", "B", "C", "D"},
                           consultants;
  std::vector<int32_t> channel, method, name, model, grade, consultant,
      touch_consultant;
  std::vector<int64_t> created, at;
  std::vector<double> days;
  std::vector<uint8_t> phone_valid;
  Columns leads{0}, touches{0};

  Batch() {
    std::mt19937_64 rng(11);
    for (int c = 0; c < 200; ++c) consultants.push_back("C" + std::to_string(c));
    const int64_t from = 1704157200;  // 2024-01-02 01:00 UTC
    for (int64_t i = 0; i < n; ++i) {
      lead_chars += "L" + std::to_string(i);
      lead_offsets.push_back(static_cast<int64_t>(lead_chars.size()));
      channel.push_back(static_cast<int32_t>(rng() % channels.size()));
      created.push_back(from + static_cast<int64_t>(rng() % (300 * 86400)));
      days.push_back(static_cast<double>(rng() % 120));
      name.push_back(rng() % 20 == 0 ? -1 : static_cast<int32_t>(rng() % 3));
      model.push_back(rng() % 20 == 0 ? -1 : static_cast<int32_t>(rng() % 3));
      grade.push_back(rng() % 10 == 0 ? -1 : static_cast<int32_t>(rng() % 4));
      consultant.push_back(static_cast<int32_t>(rng() % consultants.size()));
      // Mostly distinct mobiles, one in fifty from a small pool (duplicates),
      // one in fifty not a number at all.
      const uint64_t kind = rng() % 50;
      std::string phone =
          kind == 0   ? "12345"
          : kind == 1 ? "+86 139-0000-" + std::to_string(1000 + rng() % 500)
                      : "138" + std::to_string(10000000 + i);
      phone_chars += phone;
      phone_offsets.push_back(static_cast<int64_t>(phone_chars.size()));
    }
    for (int64_t k = 0; k < 5 * n; ++k) {
      const int64_t lead = static_cast<int64_t>(rng() % n);
      touch_chars += "L" + std::to_string(lead);
      touch_offsets.push_back(static_cast<int64_t>(touch_chars.size()));
      at.push_back(created[static_cast<size_t>(lead)] +
                   static_cast<int64_t>(rng() % (60 * 86400)));
      method.push_back(static_cast<int32_t>(rng() % methods.size()));
      touch_consultant.push_back(
          rng() % 20 == 0 ? static_cast<int32_t>(rng() % consultants.size())
                          : consultant[static_cast<size_t>(lead)]);
    }
    leads = Columns(n);
    Check(
        leads.Add("lead_id", Column::Strings(lead_offsets, lead_chars.data())));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("channel", Column::Codes(channel, channels)));
    Check(leads.Add("purchase_within_days", Column::Doubles(days)));
    Check(leads.Add("name", Column::Codes(name, names)));
    Check(leads.Add("phone",
                    Column::Strings(phone_offsets, phone_chars.data())));
    Check(leads.Add("model", Column::Codes(model, models)));
    Check(leads.Add("grade", Column::Codes(grade, grades)));
    Check(leads.Add("consultant_id", Column::Codes(consultant, consultants)));
    touches = Columns(5 * n);
    Check(touches.Add("lead_id",
                      Column::Strings(touch_offsets, touch_chars.data())));
    Check(touches.Add("at", Column::Instants(at)));
    Check(touches.Add("method", Column::Codes(method, methods)));
    Check(touches.Add("consultant_id",
                      Column::Codes(touch_consultant, consultants)));
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) std::abort();
  }
};

const Batch& TheBatch() {
  static const Batch* batch = new Batch;
  return *batch;
}
const Cadence& TheCadence() {
  static const Cadence* cadence =
      new Cadence(*Cadence::ForPolicy(*Policy::Preset("abcd")));
  return *cadence;
}
const Instant kAsOf(std::chrono::seconds(1735639200));  // 2024-12-31 10:00 UTC

void BM_AuditAddFinalize(benchmark::State& state) {
  const Batch& batch = TheBatch();
  size_t findings = 0;
  for (auto _ : state) {
    AuditState audit;
    const absl::Status s =
        audit.Add(TheCadence(), batch.leads, batch.touches, kAsOf, {},
                  static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    const std::vector<AuditRow> rows = audit.Finalize();
    findings = rows.size();
    benchmark::DoNotOptimize(rows);
  }
  state.counters["findings"] = static_cast<double>(findings);
  state.SetItemsProcessed(state.iterations() * batch.n);
}
BENCHMARK(BM_AuditAddFinalize)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The last merge of a cluster's tree: eight states of an eighth of the leads
// each, read from their bytes, merged and saved again (the blocks are read
// once, as streams).
void BM_AuditMergeEightFromBytes(benchmark::State& state) {
  const Batch& batch = TheBatch();
  std::vector<std::string> parts;
  for (int k = 0; k < 8; ++k) {
    std::vector<uint8_t> include(static_cast<size_t>(batch.n), 0);
    for (int64_t i = k; i < batch.n; i += 8) include[static_cast<size_t>(i)] = 1;
    AuditState part;
    if (!part.Add(TheCadence(), batch.leads, batch.touches, kAsOf, include)
             .ok()) {
      std::abort();
    }
    parts.push_back(part.Serialize());
  }
  size_t bytes = 0;
  for (auto _ : state) {
    AuditState merged;
    for (const std::string& data : parts) {
      absl::StatusOr<AuditState> part = AuditState::Deserialize(data);
      if (!part.ok() || !merged.Merge(*part).ok()) std::abort();
    }
    const std::string out = merged.Serialize();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_per_lead"] =
      static_cast<double>(bytes) / static_cast<double>(batch.n);
  state.SetItemsProcessed(state.iterations() * batch.n);
}
BENCHMARK(BM_AuditMergeEightFromBytes)->Unit(benchmark::kMillisecond);

// The KPIs on the same batch: what the audit's speed is measured against.
void BM_KpiAdd_SameBatch(benchmark::State& state) {
  const Batch& batch = TheBatch();
  for (auto _ : state) {
    KpiState kpis(std::vector<std::string>{});
    const absl::Status s =
        kpis.Add(TheCadence(), batch.leads, batch.touches, nullptr, kAsOf, {},
                 static_cast<int>(state.range(0)));
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(kpis);
  }
  state.SetItemsProcessed(state.iterations() * batch.n);
}
BENCHMARK(BM_KpiAdd_SameBatch)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
