// The batch entry points over arbitrary columns: what a caller of the C++ API
// (or the Python bindings, after conversion) can hand every engine. The input
// is decoded into a leads, a touches and a visits table of a few rows, each
// column with a name (mostly a documented one), a type and values (mostly
// plausible ones, sometimes extreme), and then one engine, picked by the
// first byte, reads them: classification, the cadence's schedule and agenda,
// every report state's Add (then its bytes' round trip and Finalize),
// routing's batch, hand-over and reclaim, scopes and the default as_of. Every
// call must answer OK or a clean error.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/columns.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/lead.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"
#include "leadkit/profile.h"
#include "leadkit/routing.h"
#include "leadkit/scope.h"
#include "leadkit/showroom.h"

namespace leadkit {
namespace {

constexpr int64_t kBase = 1740964500;  // 2025-03-03 09:15 in Shanghai
constexpr int kMaxRows = 12;
constexpr int kMaxColumns = 10;

// Column names of every table of docs/data.md beside the lead fields.
constexpr absl::string_view kOtherNames[] = {
    "at",          "method",        "grade_after", "content",
    "satisfied",   "visit_id",      "arrived_at",  "left_at",
    "effective",   "region_id",     "lat",         "lon",
    "models",      "active",        "late",        "reassignments",
    "weight",      "open_leads",    "max_open_leads", "code",
};

// Values a string column may hold: documented ones, ids the fixed network
// knows, personal-looking text, and edge cases.
constexpr absl::string_view kStrings[] = {
    "L1", "L2", "L3", "D1", "D2", "D9", "D1-C0", "D2-C1", "R1", "C200", "GLC",
    "website", "showroom", "open", "won", "lost", "invalid", "pending",
    "approved", "rejected", "phone", "visit", "wechat", "sms", "high",
    "medium", "low", "A", "B", "O", "price", "13800138000", "a@b.cn", "",
    " ", "\xff\xfe", "\xe5\xbc\xa0\xe4\xb8\x89", "2025-03", "true", "NaN"};

constexpr int64_t kExtremes[] = {0,
                                 -1,
                                 1,
                                 std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(),
                                 -9223372036,  // pandas' range, in seconds
                                 9223372036,
                                 253402300800,  // 10000-01-01
                                 -62135596800};  // 0001-01-01

// A table decoded from the input; owns every buffer its columns point at.
class FuzzTable {
 public:
  FuzzTable(FuzzedDataProvider& in, int64_t rows) : columns_(rows) {
    const int count = in.ConsumeIntegralInRange(0, kMaxColumns);
    for (int k = 0; k < count && in.remaining_bytes() > 0; ++k) AddColumn(in);
  }

  const Columns& columns() const { return columns_; }

 private:
  std::string Name(FuzzedDataProvider& in) {
    const uint8_t pick = in.ConsumeIntegral<uint8_t>();
    const std::span<const LeadFieldInfo> fields = LeadFields();
    if (pick < 160) return fields[pick % fields.size()].name;
    if (pick < 250) return std::string(kOtherNames[pick % std::size(kOtherNames)]);
    return in.ConsumeRandomLengthString(12);
  }

  std::string Text(FuzzedDataProvider& in) {
    if (in.ConsumeIntegralInRange(0, 7) == 0) {
      return in.ConsumeRandomLengthString(16);
    }
    return std::string(in.PickValueInArray(kStrings));
  }

  int64_t Integer(FuzzedDataProvider& in, int64_t plausible_base,
                  int64_t plausible_span) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        return in.PickValueInArray(kExtremes);
      case 1:
        return in.ConsumeIntegral<int64_t>();
      default:
        return plausible_base +
               in.ConsumeIntegralInRange(-plausible_span, plausible_span);
    }
  }

  double Double(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return in.ConsumeBool() ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
      case 2:
        return in.ConsumeFloatingPoint<double>();
      default:
        return static_cast<double>(in.ConsumeIntegralInRange(-200, 200));
    }
  }

  void AddColumn(FuzzedDataProvider& in) {
    const int64_t rows = columns_.num_rows();
    const auto n = static_cast<size_t>(rows);
    const std::string name = Name(in);
    const uint8_t* valid = nullptr;
    if (in.ConsumeIntegralInRange(0, 3) == 0) {
      std::vector<uint8_t>& v = bytes_.emplace_back(n);
      for (uint8_t& b : v) b = in.ConsumeBool() ? 1 : 0;
      valid = v.data();
    }
    absl::Status added;
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0: {
        std::vector<double>& v = doubles_.emplace_back(n);
        for (double& x : v) x = Double(in);
        added = columns_.Add(name, Column::Doubles(v, valid));
        break;
      }
      case 1: {
        std::vector<int64_t>& v = integers_.emplace_back(n);
        for (int64_t& x : v) x = Integer(in, 0, 200);
        added = columns_.Add(name, Column::Int64s(v, valid));
        break;
      }
      case 2: {
        std::vector<uint8_t>& v = bytes_.emplace_back(n);
        for (uint8_t& x : v) x = in.ConsumeIntegral<uint8_t>();
        added = columns_.Add(name, Column::Bools(v, valid));
        break;
      }
      case 3: {
        std::vector<std::string>& dictionary = dictionaries_.emplace_back();
        const int size = in.ConsumeIntegralInRange(0, 5);
        for (int i = 0; i < size; ++i) dictionary.push_back(Text(in));
        std::vector<int32_t>& codes = codes_.emplace_back(n);
        for (int32_t& c : codes) c = in.ConsumeIntegralInRange(-1, size);
        added = columns_.Add(name, Column::Codes(codes, dictionary, valid));
        break;
      }
      case 4: {
        std::vector<int64_t>& v = integers_.emplace_back(n);
        for (int64_t& x : v) x = Integer(in, kBase, 40 * 86400);
        added = columns_.Add(name, Column::Instants(v, valid));
        break;
      }
      case 5: {
        std::vector<int64_t>& v = integers_.emplace_back(n);
        for (int64_t& x : v) x = Integer(in, kBase / 86400, 400);
        added = columns_.Add(name, Column::Dates(v, valid));
        break;
      }
      case 6: {
        std::string& chars = chars_.emplace_back();
        std::vector<int64_t>& offsets = integers_.emplace_back();
        offsets.push_back(0);
        for (size_t i = 0; i < n; ++i) {
          chars += Text(in);
          offsets.push_back(static_cast<int64_t>(chars.size()));
        }
        added = columns_.Add(name, Column::Strings(offsets, chars.data(), valid));
        break;
      }
      default: {
        std::vector<uint8_t>& v = bytes_.emplace_back(n);
        for (uint8_t& b : v) b = in.ConsumeBool() ? 1 : 0;
        added = columns_.Add(name, Column::ValidityOnly(rows, v.data()));
        break;
      }
    }
    LEADKIT_FUZZ_CHECK_CLEAN(added);
  }

  Columns columns_;
  std::deque<std::vector<double>> doubles_;
  std::deque<std::vector<int64_t>> integers_;
  std::deque<std::vector<uint8_t>> bytes_;
  std::deque<std::vector<int32_t>> codes_;
  std::deque<std::vector<std::string>> dictionaries_;
  std::deque<std::string> chars_;
};

std::vector<std::string> By(FuzzedDataProvider& in) {
  constexpr absl::string_view kBy[] = {
      "month",   "week",  "day",      "grade",   "current_grade",
      "channel", "model", "dealer_id", "consultant_id", "region_id",
      "lost_reason", "gender", "method", "phone", "name"};
  std::vector<std::string> by;
  const int count = in.ConsumeIntegralInRange(0, 2);
  for (int i = 0; i < count; ++i) by.emplace_back(in.PickValueInArray(kBy));
  return by;
}

using fuzz_internal::Preset;

const Preset& PickPreset(FuzzedDataProvider& in) {
  const std::vector<Preset>& presets = fuzz_internal::Presets();
  return presets[in.ConsumeIntegralInRange<size_t>(0, presets.size() - 1)];
}

// A state's bytes restore to an equal state; its rows can be computed.
template <typename State>
void Settle(const State& state) {
  absl::StatusOr<State> again = State::Deserialize(state.Serialize());
  LEADKIT_FUZZ_CHECK(again.ok());
  LEADKIT_FUZZ_CHECK(*again == state);
  (void)state.Finalize();
}

void Run(FuzzedDataProvider& in) {
  const int engine = in.ConsumeIntegralInRange(0, 16);
  const Preset& preset = PickPreset(in);
  const Policy& policy = preset.policy;
  const Cadence* const cadence = &preset.cadence;
  const int64_t rows = in.ConsumeIntegralInRange(0, kMaxRows);
  const int threads = in.ConsumeIntegralInRange(1, 2);
  const Instant as_of{std::chrono::seconds(
      in.ConsumeBool() ? kBase + 10 * 86400
                       : in.ConsumeIntegral<int64_t>() / 4)};
  FuzzTable leads(in, rows);
  FuzzTable touches(in, in.ConsumeIntegralInRange(0, kMaxRows));
  const Columns& l = leads.columns();
  const Columns& t = touches.columns();
  std::vector<uint8_t> include;
  if (in.ConsumeIntegralInRange(0, 3) == 0) {
    include.resize(static_cast<size_t>(in.ConsumeBool() ? rows : rows + 1));
    for (uint8_t& b : include) b = in.ConsumeBool() ? 1 : 0;
  }
  std::vector<int32_t> grades(static_cast<size_t>(rows));
  for (int32_t& g : grades) {
    g = in.ConsumeIntegralInRange<int32_t>(
        -1, static_cast<int32_t>(policy.grades().size()));
  }

  switch (engine) {
    case 0: {
      std::vector<int32_t> rules(static_cast<size_t>(rows));
      LEADKIT_FUZZ_CHECK_CLEAN(ClassifyBatch(policy, l, grades, rules));
      if (rows > 0) LEADKIT_FUZZ_CHECK_CLEAN(Explain(policy, l, 0).status());
      break;
    }
    case 1: {
      absl::StatusOr<ScheduleResult> schedule = cadence->Schedule(
          l, t, as_of, ScheduleOptions{.collect_errors = in.ConsumeBool()});
      LEADKIT_FUZZ_CHECK_CLEAN(schedule.status());
      if (schedule.ok()) {
        LEADKIT_FUZZ_CHECK_CLEAN(PlaybookRules(policy, l, *schedule).status());
        if (!schedule->tasks.empty()) {
          LEADKIT_FUZZ_CHECK_CLEAN(
              ExplainTask(policy, l, *schedule, 0).status());
        }
      }
      break;
    }
    case 2: {
      const date::local_days day{date::days(
          in.ConsumeIntegralInRange<int64_t>(-4000000, 4000000))};
      LEADKIT_FUZZ_CHECK_CLEAN(cadence->Agenda(l, t, day).status());
      break;
    }
    case 3:
      LEADKIT_FUZZ_CHECK_CLEAN(
          cadence->FirstContactOverdue(l, t, as_of).status());
      break;
    case 4: {
      KpiState state(By(in));
      const bool with_surveys = in.ConsumeBool();
      const absl::Status added =
          state.Add(*cadence, l, t, with_surveys ? &t : nullptr, as_of,
                    include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 5: {
      ActivityOptions options;
      options.by = By(in);
      options.time_zone = in.ConsumeBool() ? "Asia/Shanghai" : "UTC";
      ActivityState state(options);
      const absl::Status added = state.Add(
          t, in.ConsumeBool() ? &l : nullptr, as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 6: {
      AuditState state;
      const absl::Status added =
          state.Add(*cadence, l, t, as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 7: {
      EffectivenessOptions options;
      options.view = static_cast<EffectivenessView>(in.ConsumeIntegralInRange(0, 2));
      EffectivenessState state(options);
      const absl::Status added = state.Add(l, t, as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 8: {
      LostAnalysisOptions options;
      options.by = By(in);
      LostAnalysisState state(options);
      const absl::Status added = state.Add(l, as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 9: {
      PipelineOptions options;
      options.report =
          static_cast<PipelineReport>(in.ConsumeIntegralInRange(0, 4));
      options.by = By(in);
      if (options.report != PipelineReport::kTouchesPerWonLead) {
        options.grades.assign(policy.grades().begin(), policy.grades().end());
      }
      options.at = as_of;
      options.start = as_of - std::chrono::hours(24 * 30);
      options.end = as_of;
      options.as_of = as_of;
      options.months = {"2025-02", "2025-03"};
      options.zone = "Asia/Shanghai";
      PipelineState state(options);
      const absl::Status added = state.Add(&policy, l, t, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 10: {
      ProfileOptions options;
      options.by = By(in);
      ProfileState state(options);
      const absl::Status added = state.Add(l, as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 11: {
      ShowroomOptions options;
      options.by = By(in);
      ShowroomState state(options);
      // The touches table stands for the visits: its columns are as
      // arbitrary.
      const absl::Status added = state.Add(t, in.ConsumeBool() ? &l : nullptr,
                                           as_of, include, threads);
      LEADKIT_FUZZ_CHECK_CLEAN(added);
      if (added.ok()) Settle(state);
      break;
    }
    case 12: {
      Router router(fuzz_internal::FixedNetwork(), policy);
      LEADKIT_FUZZ_CHECK_CLEAN(router.RouteBatch(l, grades).status());
      break;
    }
    case 13: {
      Router router(fuzz_internal::FixedNetwork(), policy);
      std::vector<std::string> leaving = {in.ConsumeBool() ? "D1-C0" : "D9-C9"};
      LEADKIT_FUZZ_CHECK_CLEAN(router.Handover(l, grades, leaving).status());
      break;
    }
    case 14: {
      Router router(fuzz_internal::FixedNetwork(), policy);
      std::vector<uint8_t> late(static_cast<size_t>(rows));
      for (uint8_t& b : late) b = in.ConsumeBool() ? 1 : 0;
      LEADKIT_FUZZ_CHECK_CLEAN(router.Reclaim(l, grades, late).status());
      break;
    }
    case 15: {
      const Scope scope = in.ConsumeBool() ? Scope::Dealer("D1")
                                           : Scope::Region("R1");
      LEADKIT_FUZZ_CHECK_CLEAN(
          ScopeMask(scope, l, in.ConsumeBool() ? &t : nullptr).status());
      break;
    }
    default: {
      const Columns* tables[] = {&l, &t};
      LEADKIT_FUZZ_CHECK_CLEAN(DefaultAsOfSeconds(tables).status());
      break;
    }
  }
}

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  leadkit::Run(in);
  return 0;
}
