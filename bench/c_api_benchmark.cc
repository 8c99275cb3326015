// What the C ABI's boundary costs: classify, the KPIs, the lost-sales
// analysis and the daily agenda of one million leads through libleadkit.so
// over Arrow streams of one batch (the leads' columns read, checked and
// converted, the result exported) against the C++ API over the same data,
// in pairs that start from the same form:
//   BM_*CppFromCodes / BM_*ArrowDictionary: the caller holds its strings as
//     codes into dictionaries (C++: Columns over its int32 codes, ids as
//     offsets and characters, bools as bytes, every column added and checked
//     anew and a new result each call; Arrow: the same strings
//     dictionary-encoded with int32 indices, ids as utf8, bools as bits).
//   BM_*CppFromValues / BM_*Arrow: the caller holds plain strings (C++:
//     Columns built from the values, strings coded in the timed loop; Arrow:
//     utf8 columns), but for the agenda.
// BM_*Cpp is the engine alone: Columns built beforehand and, for classify,
// result buffers reused.
//   build/release/bench/c_api_benchmark --benchmark_repetitions=3 \
//     --benchmark_report_aggregates_only=true
// items_per_second is leads per second; the ratio of a pair is the boundary's
// share.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "arrow_batches.h"
#include "benchmark/benchmark.h"
#include "date/date.h"
#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/policy.h"
#include "report_tables.h"

namespace leadkit {
namespace {

using testing::ColumnBuilder;
using testing::TestColumn;

constexpr int64_t kLeads = 1'000'000;
constexpr int64_t kAsOf = 1743465600;  // 2025-04-01T00:00:00Z

// The data, once: as plain values, as C++ Columns and as Arrow arrays.
struct Data {
  std::vector<std::optional<std::string>> id, model, channel, status, touch_id,
      method, lost_reason, lost_review;
  std::vector<std::optional<bool>> price;
  std::vector<std::optional<Instant>> created, touch_at, lost_at;
  std::unique_ptr<testing::TestTable> leads, touches, lost;
  std::vector<std::unique_ptr<TestColumn>> lead_arrays, touch_arrays;
  // The columns the lost-sales analysis reads: lead_id, status, created_at,
  // lost_at, lost_reason, lost_review (set for the lost leads).
  std::vector<std::unique_ptr<TestColumn>> lost_arrays;
  // The leads with model, channel and status dictionary-encoded (as Arrow
  // Java, pandas categoricals and Polars enums give them), the touches with
  // method, and the lost-sales columns with status, lost_reason and
  // lost_review: the Arrow form of the coded Columns of the C++ pairs.
  std::vector<std::unique_ptr<TestColumn>> dictionary_arrays,
      touch_dictionary_arrays, lost_dictionary_arrays;

  Data() {
    std::mt19937_64 rng(7);
    const char* models[] = {"C200", "GLC", "E300", "EQE"};
    const char* channels[] = {"website", "phone", "showroom", "referral"};
    const char* statuses[] = {"open", "open", "won", "lost", "invalid"};
    const char* methods[] = {"phone", "wechat", "visit"};
    const char* reasons[] = {"price", "competitor", "no_response", "financing"};
    const char* reviews[] = {"approved", "rejected", "pending"};
    const Instant base = testing::Sh("2025-01-01 09:00");
    ColumnBuilder a_id("lead_id", "u"), a_model("model", "u"),
        a_channel("channel", "u"), a_status("status", "u"),
        a_price("asked_price", "b"), a_created("created_at", "tss:Asia/Shanghai");
    ColumnBuilder t_id("lead_id", "u"), t_at("at", "tss:Asia/Shanghai"),
        t_method("method", "u");
    for (int64_t i = 0; i < kLeads; ++i) {
      id.push_back("L" + std::to_string(i));
      model.push_back(rng() % 3 == 0 ? std::nullopt
                                     : std::optional<std::string>(models[rng() % 4]));
      channel.push_back(channels[rng() % 4]);
      status.push_back(statuses[rng() % 5]);
      price.push_back(rng() % 2 == 0);
      const Instant c = base + std::chrono::minutes(rng() % (60 * 24 * 80));
      created.push_back(c);
      a_id.String(*id.back());
      model.back() ? a_model.String(*model.back()) : a_model.Null();
      a_channel.String(*channel.back());
      a_status.String(*status.back());
      a_price.Bool(*price.back());
      a_created.Value<int64_t>(testing::Seconds(c));
      const bool is_lost = *status.back() == "lost";
      lost_at.push_back(is_lost ? std::optional<Instant>(
                                      c + std::chrono::hours(1 + rng() % 2000))
                                : std::nullopt);
      lost_reason.push_back(
          is_lost && rng() % 8 != 0
              ? std::optional<std::string>(reasons[rng() % 4])
              : std::nullopt);
      lost_review.push_back(
          is_lost && rng() % 4 != 0
              ? std::optional<std::string>(reviews[rng() % 3])
              : std::nullopt);
      Instant at = c;
      for (uint64_t t = rng() % 3; t > 0; --t) {
        at += std::chrono::minutes(5 + rng() % (60 * 48));
        touch_id.push_back(id.back());
        method.push_back(methods[rng() % 3]);
        touch_at.push_back(at);
        t_id.String(*id.back());
        t_at.Value<int64_t>(testing::Seconds(at));
        t_method.String(*method.back());
      }
    }
    for (ColumnBuilder* b : {&a_id, &a_model, &a_channel, &a_status, &a_price,
                             &a_created}) {
      lead_arrays.push_back(b->Build());
    }
    for (ColumnBuilder* b : {&t_id, &t_at, &t_method}) {
      touch_arrays.push_back(b->Build());
    }
    {
      ColumnBuilder d_id("lead_id", "u"), d_price("asked_price", "b"),
          d_created("created_at", "tss:Asia/Shanghai");
      for (int64_t i = 0; i < kLeads; ++i) {
        d_id.String(*id[static_cast<size_t>(i)]);
        d_price.Bool(*price[static_cast<size_t>(i)]);
        d_created.Value<int64_t>(testing::Seconds(*created[static_cast<size_t>(i)]));
      }
      dictionary_arrays.push_back(d_id.Build());
      dictionary_arrays.push_back(ColumnBuilder::Dictionary("model", model, "i"));
      dictionary_arrays.push_back(ColumnBuilder::Dictionary("channel", channel, "i"));
      dictionary_arrays.push_back(ColumnBuilder::Dictionary("status", status, "i"));
      dictionary_arrays.push_back(d_price.Build());
      dictionary_arrays.push_back(d_created.Build());
      for (auto& c : dictionary_arrays) testing::Export(*c);
      ColumnBuilder t_id("lead_id", "u"), t_at("at", "tss:Asia/Shanghai");
      for (size_t i = 0; i < touch_id.size(); ++i) {
        t_id.String(*touch_id[i]);
        t_at.Value<int64_t>(testing::Seconds(*touch_at[i]));
      }
      touch_dictionary_arrays.push_back(t_id.Build());
      touch_dictionary_arrays.push_back(t_at.Build());
      touch_dictionary_arrays.push_back(ColumnBuilder::Dictionary("method", method, "i"));
      for (auto& c : touch_dictionary_arrays) testing::Export(*c);
    }
    {
      ColumnBuilder l_id("lead_id", "u"), l_status("status", "u"),
          l_created("created_at", "tss:Asia/Shanghai"),
          l_lost_at("lost_at", "tss:Asia/Shanghai"),
          l_reason("lost_reason", "u"), l_review("lost_review", "u");
      for (size_t i = 0; i < static_cast<size_t>(kLeads); ++i) {
        l_id.String(*id[i]);
        l_status.String(*status[i]);
        l_created.Value<int64_t>(testing::Seconds(*created[i]));
        lost_at[i] ? l_lost_at.Value<int64_t>(testing::Seconds(*lost_at[i]))
                   : l_lost_at.Null();
        lost_reason[i] ? l_reason.String(*lost_reason[i]) : l_reason.Null();
        lost_review[i] ? l_review.String(*lost_review[i]) : l_review.Null();
      }
      for (ColumnBuilder* b : {&l_id, &l_status, &l_created, &l_lost_at,
                               &l_reason, &l_review}) {
        lost_arrays.push_back(b->Build());
        testing::Export(*lost_arrays.back());
      }
      ColumnBuilder k_id("lead_id", "u"),
          k_created("created_at", "tss:Asia/Shanghai"),
          k_lost_at("lost_at", "tss:Asia/Shanghai");
      for (size_t i = 0; i < static_cast<size_t>(kLeads); ++i) {
        k_id.String(*id[i]);
        k_created.Value<int64_t>(testing::Seconds(*created[i]));
        lost_at[i] ? k_lost_at.Value<int64_t>(testing::Seconds(*lost_at[i]))
                   : k_lost_at.Null();
      }
      lost_dictionary_arrays.push_back(k_id.Build());
      lost_dictionary_arrays.push_back(ColumnBuilder::Dictionary("status", status, "i"));
      lost_dictionary_arrays.push_back(k_created.Build());
      lost_dictionary_arrays.push_back(k_lost_at.Build());
      lost_dictionary_arrays.push_back(
          ColumnBuilder::Dictionary("lost_reason", lost_reason, "i"));
      lost_dictionary_arrays.push_back(
          ColumnBuilder::Dictionary("lost_review", lost_review, "i"));
      for (auto& c : lost_dictionary_arrays) testing::Export(*c);
    }
    for (auto& c : lead_arrays) testing::Export(*c);
    for (auto& c : touch_arrays) testing::Export(*c);
  }
};

// The Columns of the C++ pairs, built from the plain values (testing::TestTable:
// strings coded in order of first appearance, ids as offsets and characters,
// bools and instants as bytes and seconds beside validity bytes).
std::unique_ptr<testing::TestTable> LeadsFromValues(const Data& d) {
  auto leads = std::make_unique<testing::TestTable>(kLeads);
  std::vector<std::optional<bool>> asked(d.price.begin(), d.price.end());
  leads->RawStrings("lead_id", d.id)
      .Strings("model", d.model)
      .Strings("channel", d.channel)
      .Strings("status", d.status)
      .Bools("asked_price", asked)
      .Instants("created_at", d.created);
  return leads;
}

std::unique_ptr<testing::TestTable> TouchesFromValues(const Data& d) {
  auto touches = std::make_unique<testing::TestTable>(
      static_cast<int64_t>(d.touch_id.size()));
  touches->RawStrings("lead_id", d.touch_id)
      .Instants("at", d.touch_at)
      .Strings("method", d.method);
  return touches;
}

std::unique_ptr<testing::TestTable> LostFromValues(const Data& d) {
  auto lost = std::make_unique<testing::TestTable>(kLeads);
  lost->RawStrings("lead_id", d.id)
      .Strings("status", d.status)
      .Instants("created_at", d.created)
      .Instants("lost_at", d.lost_at)
      .Strings("lost_reason", d.lost_reason)
      .Strings("lost_review", d.lost_review);
  return lost;
}

// The Columns a C++ caller that holds its rows coded (strings as codes into
// dictionaries, ids as offsets and characters, bools as bytes) makes over
// them for a call: every column added, and checked, anew.
Columns Wrapped(const Columns& coded) {
  Columns out(coded.num_rows());
  for (const auto& [name, column] : coded.columns()) {
    if (!out.Add(name, column).ok()) std::abort();
  }
  return out;
}

const Data& TheData() {
  static const Data* data = [] {
    auto* d = new Data();
    d->leads = LeadsFromValues(*d);
    d->touches = TouchesFromValues(*d);
    d->lost = LostFromValues(*d);
    return d;
  }();
  return *data;
}

// A stream of one batch over arrays the data owns; each stream is read once.
struct OneBatch {
  const std::vector<std::unique_ptr<TestColumn>>* columns;
  std::vector<ArrowSchema*> schemas;
  std::vector<ArrowArray*> arrays;
  const void* no_validity[1] = {nullptr};
  bool sent = false;
};

ArrowArrayStream Stream(OneBatch& b) {
  b.schemas.clear();
  b.arrays.clear();
  for (const auto& c : *b.columns) {
    b.schemas.push_back(&c->schema);
    b.arrays.push_back(&c->array);
  }
  b.sent = false;
  ArrowArrayStream s{};
  s.get_schema = [](ArrowArrayStream* s, ArrowSchema* out) {
    auto* b = static_cast<OneBatch*>(s->private_data);
    *out = ArrowSchema{.format = "+s", .name = "",
                       .n_children = static_cast<int64_t>(b->schemas.size()),
                       .children = b->schemas.data(),
                       .release = testing::NoRelease};
    return 0;
  };
  s.get_next = [](ArrowArrayStream* s, ArrowArray* out) {
    auto* b = static_cast<OneBatch*>(s->private_data);
    *out = ArrowArray{};
    if (b->sent) return 0;
    b->sent = true;
    *out = ArrowArray{.length = b->arrays.front()->length, .n_buffers = 1,
                      .n_children = static_cast<int64_t>(b->arrays.size()),
                      .buffers = b->no_validity, .children = b->arrays.data(),
                      .release = testing::NoRelease};
    return 0;
  };
  s.get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
  s.release = [](ArrowArrayStream* s) { s->release = nullptr; };
  s.private_data = &b;
  return s;
}

void Drain(ArrowArrayStream& result) {
  for (;;) {
    ArrowArray batch;
    result.get_next(&result, &batch);
    if (batch.release == nullptr) break;
    benchmark::DoNotOptimize(batch.length);
    batch.release(&batch);
  }
  result.release(&result);
}

void BM_ClassifyCpp(benchmark::State& state) {
  const Data& d = TheData();
  const Policy policy = *Policy::Preset("three_level");
  std::vector<int32_t> grades(kLeads), rules(kLeads);
  for (auto _ : state) {
    if (!ClassifyBatch(policy, d.leads->columns(), grades, rules).ok()) std::abort();
    benchmark::DoNotOptimize(grades.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

// The partner of BM_ClassifyArrowDictionary: the caller's coded rows
// wrapped, and a new result, each call.
void BM_ClassifyCppFromCodes(benchmark::State& state) {
  const Data& d = TheData();
  const Policy policy = *Policy::Preset("three_level");
  for (auto _ : state) {
    const Columns leads = Wrapped(d.leads->columns());
    std::vector<int32_t> grades(kLeads), rules(kLeads);
    if (!ClassifyBatch(policy, leads, grades, rules).ok()) std::abort();
    benchmark::DoNotOptimize(grades.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_ClassifyCppFromValues(benchmark::State& state) {
  const Data& d = TheData();
  const Policy policy = *Policy::Preset("three_level");
  for (auto _ : state) {
    const std::unique_ptr<testing::TestTable> leads = LeadsFromValues(d);
    std::vector<int32_t> grades(kLeads), rules(kLeads);
    if (!ClassifyBatch(policy, leads->columns(), grades, rules).ok()) std::abort();
    benchmark::DoNotOptimize(grades.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_ClassifyArrow(benchmark::State& state) {
  const Data& d = TheData();
  lk_policy* policy = nullptr;
  lk_policy_from_preset("three_level", &policy);
  OneBatch leads{&d.lead_arrays};
  for (auto _ : state) {
    ArrowArrayStream in = Stream(leads), out;
    if (lk_classify_arrow(policy, &in, &out) != LK_OK) std::abort();
    Drain(out);
  }
  lk_policy_free(policy);
  state.SetItemsProcessed(state.iterations() * kLeads);
}

// The same with the strings dictionary-encoded: each distinct value is
// converted once.
void BM_ClassifyArrowDictionary(benchmark::State& state) {
  const Data& d = TheData();
  lk_policy* policy = nullptr;
  lk_policy_from_preset("three_level", &policy);
  OneBatch leads{&d.dictionary_arrays};
  for (auto _ : state) {
    ArrowArrayStream in = Stream(leads), out;
    if (lk_classify_arrow(policy, &in, &out) != LK_OK) std::abort();
    Drain(out);
  }
  lk_policy_free(policy);
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_KpisCpp(benchmark::State& state) {
  const Data& d = TheData();
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  for (auto _ : state) {
    KpiState kpis({"channel"});
    if (!kpis.Add(cadence, d.leads->columns(), d.touches->columns(), nullptr,
                  Instant(std::chrono::seconds(kAsOf)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(kpis.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_KpisCppFromCodes(benchmark::State& state) {
  const Data& d = TheData();
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  for (auto _ : state) {
    const Columns leads = Wrapped(d.leads->columns());
    const Columns touches = Wrapped(d.touches->columns());
    KpiState kpis({"channel"});
    if (!kpis.Add(cadence, leads, touches, nullptr,
                  Instant(std::chrono::seconds(kAsOf)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(kpis.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_KpisCppFromValues(benchmark::State& state) {
  const Data& d = TheData();
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  for (auto _ : state) {
    const std::unique_ptr<testing::TestTable> leads = LeadsFromValues(d);
    const std::unique_ptr<testing::TestTable> touches = TouchesFromValues(d);
    KpiState kpis({"channel"});
    if (!kpis.Add(cadence, leads->columns(), touches->columns(), nullptr,
                  Instant(std::chrono::seconds(kAsOf)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(kpis.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

// The KPIs by channel of `leads` and `touches` through lk_kpis_arrow.
void KpisArrow(benchmark::State& state,
               const std::vector<std::unique_ptr<TestColumn>>& lead_arrays,
               const std::vector<std::unique_ptr<TestColumn>>& touch_arrays) {
  lk_policy* policy = nullptr;
  lk_policy_from_preset("three_level", &policy);
  lk_cadence* cadence = nullptr;
  lk_cadence_from_policy(policy, &cadence);
  OneBatch leads{&lead_arrays}, touches{&touch_arrays};
  const char* by[] = {"channel"};
  for (auto _ : state) {
    ArrowArrayStream l = Stream(leads), t = Stream(touches), out;
    if (lk_kpis_arrow(cadence, &l, &t, nullptr, by, 1, kAsOf, &out) != LK_OK) {
      std::abort();
    }
    Drain(out);
  }
  lk_cadence_free(cadence);
  lk_policy_free(policy);
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_KpisArrow(benchmark::State& state) {
  const Data& d = TheData();
  KpisArrow(state, d.lead_arrays, d.touch_arrays);
}

void BM_KpisArrowDictionary(benchmark::State& state) {
  const Data& d = TheData();
  KpisArrow(state, d.dictionary_arrays, d.touch_dictionary_arrays);
}

// The lost-sales analysis by month (in Shanghai) and reason.
void BM_LostAnalysisCpp(benchmark::State& state) {
  const Data& d = TheData();
  for (auto _ : state) {
    LostAnalysisState lost({.by = {"month"}, .time_zone = "Asia/Shanghai"});
    if (!lost.Add(d.lost->columns(), Instant(std::chrono::seconds(kAsOf)))
             .ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(lost.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_LostAnalysisCppFromCodes(benchmark::State& state) {
  const Data& d = TheData();
  for (auto _ : state) {
    const Columns table = Wrapped(d.lost->columns());
    LostAnalysisState lost({.by = {"month"}, .time_zone = "Asia/Shanghai"});
    if (!lost.Add(table, Instant(std::chrono::seconds(kAsOf))).ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(lost.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_LostAnalysisCppFromValues(benchmark::State& state) {
  const Data& d = TheData();
  for (auto _ : state) {
    const std::unique_ptr<testing::TestTable> table = LostFromValues(d);
    LostAnalysisState lost({.by = {"month"}, .time_zone = "Asia/Shanghai"});
    if (!lost.Add(table->columns(), Instant(std::chrono::seconds(kAsOf))).ok()) {
      std::abort();
    }
    benchmark::DoNotOptimize(lost.Finalize());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void LostAnalysisArrow(benchmark::State& state,
                       const std::vector<std::unique_ptr<TestColumn>>& arrays) {
  OneBatch leads{&arrays};
  const char* by[] = {"month"};
  for (auto _ : state) {
    lk_lost_analysis_state* lost = nullptr;
    ArrowArrayStream in = Stream(leads), out;
    if (lk_lost_analysis_state_create(by, 1, "Asia/Shanghai", &lost) != LK_OK ||
        lk_lost_analysis_state_add(lost, &in, kAsOf) != LK_OK ||
        lk_lost_analysis_state_finalize(lost, &out) != LK_OK) {
      std::abort();
    }
    Drain(out);
    lk_lost_analysis_state_free(lost);
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_LostAnalysisArrow(benchmark::State& state) {
  LostAnalysisArrow(state, TheData().lost_arrays);
}

void BM_LostAnalysisArrowDictionary(benchmark::State& state) {
  LostAnalysisArrow(state, TheData().lost_dictionary_arrays);
}

// The daily agenda of 2025-02-03 (Shanghai), leads and touches.
constexpr int32_t kAgendaDay = 20122;  // 2025-02-03, days since 1970-01-01

void BM_AgendaCpp(benchmark::State& state) {
  const Data& d = TheData();
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  const date::local_days day{date::days(kAgendaDay)};
  for (auto _ : state) {
    absl::StatusOr<ScheduleResult> agenda =
        cadence.Agenda(d.leads->columns(), d.touches->columns(), day);
    if (!agenda.ok()) std::abort();
    benchmark::DoNotOptimize(agenda->tasks.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_AgendaCppFromCodes(benchmark::State& state) {
  const Data& d = TheData();
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  const date::local_days day{date::days(kAgendaDay)};
  for (auto _ : state) {
    const Columns leads = Wrapped(d.leads->columns());
    const Columns touches = Wrapped(d.touches->columns());
    absl::StatusOr<ScheduleResult> agenda = cadence.Agenda(leads, touches, day);
    if (!agenda.ok()) std::abort();
    benchmark::DoNotOptimize(agenda->tasks.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void AgendaArrow(benchmark::State& state,
                 const std::vector<std::unique_ptr<TestColumn>>& lead_arrays,
                 const std::vector<std::unique_ptr<TestColumn>>& touch_arrays) {
  lk_policy* policy = nullptr;
  lk_policy_from_preset("three_level", &policy);
  lk_cadence* cadence = nullptr;
  lk_cadence_from_policy(policy, &cadence);
  OneBatch leads{&lead_arrays}, touches{&touch_arrays};
  for (auto _ : state) {
    ArrowArrayStream l = Stream(leads), t = Stream(touches), out;
    if (lk_agenda_arrow(cadence, &l, &t, kAgendaDay, &out) != LK_OK) std::abort();
    Drain(out);
  }
  lk_cadence_free(cadence);
  lk_policy_free(policy);
  state.SetItemsProcessed(state.iterations() * kLeads);
}

void BM_AgendaArrow(benchmark::State& state) {
  const Data& d = TheData();
  AgendaArrow(state, d.lead_arrays, d.touch_arrays);
}

void BM_AgendaArrowDictionary(benchmark::State& state) {
  const Data& d = TheData();
  AgendaArrow(state, d.dictionary_arrays, d.touch_dictionary_arrays);
}

BENCHMARK(BM_ClassifyCpp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyCppFromCodes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyArrowDictionary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyCppFromValues)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyArrow)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KpisCpp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KpisCppFromCodes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KpisArrowDictionary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KpisCppFromValues)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KpisArrow)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LostAnalysisCpp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LostAnalysisCppFromCodes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LostAnalysisArrowDictionary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LostAnalysisCppFromValues)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LostAnalysisArrow)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgendaCpp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgendaCppFromCodes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgendaArrowDictionary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgendaArrow)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadkit

BENCHMARK_MAIN();
