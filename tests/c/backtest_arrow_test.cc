// The backtest state of the C ABI (libleadkit.so) against the C++
// BacktestState on the same generated leads and touches: every table of
// lk_backtest_state_finalize, for a state added at once and for states added
// apart, saved, loaded and merged, grouped and not, and under a scope (the
// C++ API's ScopeMask). The Arrow batches are
// built by hand (arrow_batches.h), independently of leadkit's own Arrow code.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "arrow_batches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/backtest.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"
#include "leadkit/scope.h"
#include "report_tables.h"

namespace leadkit {
namespace {

using testing::ColumnBuilder;
using testing::Sh;
using testing::TestColumn;
using testing::TestStream;
using testing::TestTable;
using testing::Utf8At;

// Leads recorded under oabc (grade changes O, A, B, C) with their touches.
struct Data {
  std::vector<std::optional<std::string>> lead_id, consultant, dealer, status;
  std::vector<std::optional<Instant>> created_at, won_at, lost_at;
  std::vector<std::optional<bool>> deposit;
  std::vector<std::optional<int64_t>> days;
  std::vector<std::optional<std::string>> touch_lead, method, grade_after;
  std::vector<std::optional<Instant>> touch_at;
  std::vector<size_t> touch_of;  // the lead row of each touch
};

Data Generate(int n) {
  uint64_t state = 987654321;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  const char* consultants[] = {"c1", "c2", "c3"};
  const char* dealers[] = {"D1", "D2", "D3"};
  const char* statuses[] = {"open", "won", "lost", "invalid", "won"};
  const char* grades[] = {"O", "A", "B", "C"};
  const char* methods[] = {"phone", "wechat", "visit"};
  Data d;
  const Instant base = Sh("2024-06-03 08:00");
  for (int i = 0; i < n; ++i) {
    d.lead_id.push_back("B" + std::to_string(i));
    d.consultant.push_back(next(5) == 0 ? std::nullopt
                                        : std::optional<std::string>(
                                              consultants[next(3)]));
    d.dealer.push_back(next(6) == 0 ? std::nullopt
                                    : std::optional<std::string>(
                                          dealers[next(3)]));
    const std::string status = statuses[next(5)];
    d.status.push_back(status);
    const Instant created = base + std::chrono::minutes(131 * i + next(60));
    d.created_at.push_back(created);
    d.won_at.push_back(status == "won"
                           ? std::optional<Instant>(
                                 created + std::chrono::hours(24 * (1 + next(25))))
                           : std::nullopt);
    d.lost_at.push_back(status == "lost"
                            ? std::optional<Instant>(
                                  created + std::chrono::hours(24 * (1 + next(25))))
                            : std::nullopt);
    d.deposit.push_back(next(4) == 0 ? std::optional<bool>(true) : std::nullopt);
    d.days.push_back(next(4) == 0 ? std::nullopt
                                  : std::optional<int64_t>(5 + next(100)));
    const int touches = static_cast<int>(next(4));
    Instant at = created;
    for (int t = 0; t < touches; ++t) {
      at += std::chrono::minutes(5 + next(60 * 24 * 5));
      d.touch_lead.push_back(d.lead_id.back());
      d.method.push_back(methods[next(3)]);
      d.grade_after.push_back(next(3) == 0 ? std::optional<std::string>(
                                                 grades[next(4)])
                                           : std::nullopt);
      d.touch_at.push_back(at);
      d.touch_of.push_back(static_cast<size_t>(i));
    }
  }
  return d;
}

template <typename T>
std::vector<T> Pick(const std::vector<T>& values,
                    const std::vector<size_t>& rows) {
  std::vector<T> out;
  for (size_t r : rows) out.push_back(values[r]);
  return out;
}

std::unique_ptr<TestColumn> Strings(
    const std::string& name, const std::vector<std::optional<std::string>>& v) {
  ColumnBuilder b(name, "u");
  for (const auto& s : v) s ? b.String(*s) : b.Null();
  return b.Build();
}
std::unique_ptr<TestColumn> Times(const std::string& name,
                                  const std::vector<std::optional<Instant>>& v) {
  ColumnBuilder b(name, "tsm:Asia/Shanghai");
  for (const auto& t : v) {
    t ? b.Value<int64_t>(testing::Seconds(*t) * 1000) : b.Null();
  }
  return b.Build();
}

struct Streams {
  TestStream leads, touches;
};

// The leads `rows` in `batches` batches (the consultant dictionary-encoded),
// with their touches.
void Fill(const Data& d, const std::vector<size_t>& rows, int batches,
          Streams& out) {
  const size_t per = (rows.size() + static_cast<size_t>(batches) - 1) /
                     static_cast<size_t>(batches);
  for (size_t first = 0; first < rows.size(); first += per) {
    std::vector<size_t> part(
        rows.begin() + static_cast<std::ptrdiff_t>(first),
        rows.begin() +
            static_cast<std::ptrdiff_t>(std::min(rows.size(), first + per)));
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(Strings("lead_id", Pick(d.lead_id, part)));
    c.push_back(
        ColumnBuilder::Dictionary("consultant_id", Pick(d.consultant, part)));
    c.push_back(Strings("status", Pick(d.status, part)));
    c.push_back(Strings("dealer_id", Pick(d.dealer, part)));
    c.push_back(Times("created_at", Pick(d.created_at, part)));
    c.push_back(Times("won_at", Pick(d.won_at, part)));
    c.push_back(Times("lost_at", Pick(d.lost_at, part)));
    ColumnBuilder deposit("deposit_paid", "b");
    for (const auto& x : Pick(d.deposit, part)) x ? deposit.Bool(*x) : deposit.Null();
    c.push_back(deposit.Build());
    ColumnBuilder days("purchase_within_days", "l");
    for (const auto& x : Pick(d.days, part)) x ? days.Value<int64_t>(*x) : days.Null();
    c.push_back(days.Build());
    out.leads.AddBatch(std::move(c));
  }
  std::vector<size_t> touches;
  for (size_t t = 0; t < d.touch_of.size(); ++t) {
    if (std::find(rows.begin(), rows.end(), d.touch_of[t]) != rows.end()) {
      touches.push_back(t);
    }
  }
  std::vector<std::unique_ptr<TestColumn>> t;
  t.push_back(Strings("lead_id", Pick(d.touch_lead, touches)));
  t.push_back(Times("at", Pick(d.touch_at, touches)));
  t.push_back(Strings("method", Pick(d.method, touches)));
  t.push_back(Strings("grade_after", Pick(d.grade_after, touches)));
  out.touches.AddBatch(std::move(t));
}

constexpr char kGradeMap[] =
    R"({"proposed": {"O": "A", "A": "A", "B": "B", "C": "C"}})";

// The dealers D1, D2 (region R1) and D3 (region R2).
void DealerTable(TestTable& t) {
  t.Strings("dealer_id", {"D1", "D2", "D3"})
      .Strings("region_id", {"R1", "R1", "R2"});
}

// The C++ API's backtest of the whole data, the leads in `scope`.
BacktestResult CppBacktest(const Data& d, const std::vector<std::string>& by,
                           Instant as_of, const Scope& scope = Scope::Hq()) {
  const auto n = static_cast<int64_t>(d.lead_id.size());
  TestTable leads(n);
  leads.RawStrings("lead_id", d.lead_id)
      .Strings("consultant_id", d.consultant)
      .Strings("status", d.status)
      .Strings("dealer_id", d.dealer)
      .Instants("created_at", d.created_at)
      .Instants("won_at", d.won_at)
      .Instants("lost_at", d.lost_at)
      .Bools("deposit_paid", d.deposit)
      .Int64s("purchase_within_days", d.days);
  TestTable touches(static_cast<int64_t>(d.touch_lead.size()));
  touches.RawStrings("lead_id", d.touch_lead)
      .Instants("at", d.touch_at)
      .Strings("method", d.method)
      .Strings("grade_after", d.grade_after);
  const absl::StatusOr<Cadence> current =
      Cadence::ForPolicy(*Policy::Preset("oabc"));
  const absl::StatusOr<Cadence> proposed =
      Cadence::ForPolicy(*Policy::Preset("abcd"));
  EXPECT_TRUE(current.ok() && proposed.ok());
  const std::vector<BacktestPolicy> policies = {
      {.name = "current", .cadence = *current},
      {.name = "proposed",
       .cadence = *proposed,
       .grade_map = std::map<std::string, std::string, std::less<>>{
           {"O", "A"}, {"A", "A"}, {"B", "B"}, {"C", "C"}}}};
  TestTable dealers(3);
  DealerTable(dealers);
  const absl::StatusOr<std::vector<uint8_t>> include =
      ScopeMask(scope, leads.columns(), &dealers.columns());
  EXPECT_TRUE(include.ok()) << include.status();
  BacktestState state({"current", "proposed"}, by);
  const absl::Status added = state.Add(policies, leads.columns(),
                                       touches.columns(), nullptr, as_of,
                                       *include);
  EXPECT_TRUE(added.ok()) << added;
  return state.Finalize();
}

// A table as text: its column names and, per row, every cell ("null", an
// integer, a float to 17 digits or "nan", a string).
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  bool operator==(const Table&) const = default;
};

std::string Number(double v) {
  if (std::isnan(v)) return "nan";
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

Table Read(ArrowArrayStream& result) {
  Table t;
  ArrowSchema schema;
  EXPECT_EQ(result.get_schema(&result, &schema), 0);
  std::vector<std::string> formats;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    t.names.emplace_back(schema.children[i]->name);
    formats.emplace_back(schema.children[i]->format);
  }
  schema.release(&schema);
  for (;;) {
    ArrowArray batch;
    EXPECT_EQ(result.get_next(&result, &batch), 0);
    if (batch.release == nullptr) break;
    for (int64_t row = 0; row < batch.length; ++row) {
      std::vector<std::string> cells;
      for (int64_t i = 0; i < batch.n_children; ++i) {
        const ArrowArray& a = *batch.children[i];
        const int64_t at = a.offset + row;
        const bool valid =
            a.buffers[0] == nullptr ||
            ((static_cast<const uint8_t*>(a.buffers[0])[at / 8] >> (at % 8)) &
             1) != 0;
        const std::string& format = formats[static_cast<size_t>(i)];
        if (!valid) {
          cells.emplace_back("null");
        } else if (format == "u") {
          cells.push_back(Utf8At(a, row));
        } else if (format == "l") {
          cells.push_back(std::to_string(
              static_cast<const int64_t*>(a.buffers[1])[at]));
        } else {
          EXPECT_EQ(format, "g");
          cells.push_back(Number(static_cast<const double*>(a.buffers[1])[at]));
        }
      }
      t.rows.push_back(std::move(cells));
    }
    batch.release(&batch);
  }
  result.release(&result);
  return t;
}

// The C++ result's tables, as leadkit.h lays them out.
std::vector<std::string> Keys(const BacktestRow& row) {
  std::vector<std::string> cells;
  for (const auto& part : row.kpis.key) cells.push_back(part.value_or("null"));
  cells.push_back(row.policy);
  return cells;
}

std::vector<std::string> LoadNames() {
  return {"tasks_per_consultant_day_mean", "tasks_per_consultant_day_p90",
          "tasks_per_consultant_day_max"};
}

void AddLoad(const BacktestRow& row, std::vector<std::string>& cells) {
  cells.push_back(Number(row.tasks_per_consultant_day_mean));
  cells.push_back(Number(row.tasks_per_consultant_day_p90));
  cells.push_back(Number(row.tasks_per_consultant_day_max));
}

Table ExpectedSummary(const BacktestResult& r,
                      const std::vector<std::string>& by) {
  Table t;
  t.names = by;
  t.names.emplace_back("policy");
  for (const KpiField& f : KpiFields()) {
    if (f.column) t.names.emplace_back(f.name);
  }
  for (const std::string& name : LoadNames()) t.names.push_back(name);
  t.names.insert(t.names.end(), {"grade_auc", "top_grade_lift", "notes"});
  for (const BacktestRow& row : r.summary) {
    std::vector<std::string> cells = Keys(row);
    for (const KpiField& f : KpiFields()) {
      if (!f.column) continue;
      cells.push_back(f.count != nullptr
                          ? std::to_string(row.kpis.counts.*f.count)
                          : Number((row.kpis.*f.value)()));
    }
    AddLoad(row, cells);
    cells.push_back(Number(row.grade_auc));
    cells.push_back(Number(row.top_grade_lift));
    cells.push_back(absl::StrJoin(row.notes, "; "));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

Table ExpectedTaskLoad(const BacktestResult& r,
                       const std::vector<std::string>& by) {
  Table t;
  t.names = by;
  t.names.insert(t.names.end(), {"policy", "tasks", "consultant_days"});
  for (const std::string& name : LoadNames()) t.names.push_back(name);
  for (const BacktestRow& row : r.summary) {
    std::vector<std::string> cells = Keys(row);
    cells.push_back(std::to_string(row.tasks));
    cells.push_back(std::to_string(row.consultant_days));
    AddLoad(row, cells);
    t.rows.push_back(std::move(cells));
  }
  return t;
}

Table ExpectedConversion(const BacktestResult& r) {
  Table t;
  t.names = {"policy", "grade", "leads", "won", "lost", "conversion_rate"};
  for (const BacktestGradeRow& row : r.grades) {
    t.rows.push_back({row.policy, row.grade, std::to_string(row.outcome.leads),
                      std::to_string(row.outcome.won),
                      std::to_string(row.outcome.lost),
                      Number(row.outcome.conversion_rate())});
  }
  return t;
}

Table ExpectedGrades(const BacktestResult& r) {
  Table t;
  t.names = r.policies;
  t.names.emplace_back("leads");
  for (const auto& [key, leads] : r.combinations) {
    std::vector<std::string> cells;
    for (size_t p = 0; p < key.size(); ++p) {
      cells.push_back(r.grade_names[p][static_cast<size_t>(key[p])]);
    }
    cells.push_back(std::to_string(leads));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

class BacktestArrowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lk_policy* oabc = nullptr;
    lk_policy* abcd = nullptr;
    ASSERT_EQ(lk_policy_from_preset("oabc", &oabc), LK_OK);
    ASSERT_EQ(lk_policy_from_preset("abcd", &abcd), LK_OK);
    ASSERT_EQ(lk_cadence_from_policy(oabc, &cadences_[0]), LK_OK);
    ASSERT_EQ(lk_cadence_from_policy(abcd, &cadences_[1]), LK_OK);
    lk_policy_free(oabc);
    lk_policy_free(abcd);
  }
  void TearDown() override {
    lk_cadence_free(cadences_[0]);
    lk_cadence_free(cadences_[1]);
  }

  // A state of the rows `rows` added in `batches` batches, in `scope`.
  lk_backtest_state* Added(const Data& d, const std::vector<size_t>& rows,
                           int batches, const std::vector<const char*>& by,
                           Instant as_of, const lk_scope* scope = nullptr) {
    const char* names[] = {"current", "proposed"};
    lk_backtest_state* state = nullptr;
    EXPECT_EQ(lk_backtest_state_create(names, 2, by.data(), by.size(), &state),
              LK_OK)
        << lk_last_error();
    Streams s;
    Fill(d, rows, batches, s);
    ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream();
    EXPECT_EQ(lk_backtest_state_add(state, cadences_, 2, kGradeMap,
                                    std::strlen(kGradeMap), &leads, &touches,
                                    nullptr, scope, testing::Seconds(as_of)),
              LK_OK)
        << lk_last_error();
    EXPECT_TRUE(s.leads.released() && s.touches.released());
    return state;
  }

  // Every table of `state` against the C++ API's on the whole data.
  void ExpectTables(const lk_backtest_state* state, const Data& d,
                    const std::vector<std::string>& by, Instant as_of,
                    const Scope& scope = Scope::Hq()) {
    const BacktestResult want = CppBacktest(d, by, as_of, scope);
    ASSERT_EQ(want.summary.size(), 2 * (by.empty() ? 1 : 4u));
    const std::pair<const char*, Table> tables[] = {
        {"summary", ExpectedSummary(want, by)},
        {"task_load", ExpectedTaskLoad(want, by)},
        {"conversion", ExpectedConversion(want)},
        {"grades", ExpectedGrades(want)}};
    for (const auto& [name, expected] : tables) {
      ArrowArrayStream result;
      ASSERT_EQ(lk_backtest_state_finalize(state, name, &result), LK_OK)
          << lk_last_error();
      const Table got = Read(result);
      EXPECT_EQ(got.names, expected.names) << name;
      EXPECT_EQ(got.rows, expected.rows) << name;
    }
  }

  lk_cadence* cadences_[2] = {nullptr, nullptr};
};

std::vector<size_t> AllRows(size_t n) {
  std::vector<size_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = i;
  return rows;
}

TEST_F(BacktestArrowTest, ByConsultantEqualsTheCppApi) {
  const Data d = Generate(300);
  const Instant as_of = Sh("2024-08-01 12:00");
  lk_backtest_state* state =
      Added(d, AllRows(d.lead_id.size()), 3, {"consultant_id"}, as_of);
  ExpectTables(state, d, {"consultant_id"}, as_of);
  lk_backtest_state_free(state);
}

TEST_F(BacktestArrowTest, StatesAddedApartSavedAndMergedEqualTheCppApi) {
  const Data d = Generate(240);
  const Instant as_of = Sh("2024-07-20 00:00");
  std::vector<size_t> even, odd;
  for (size_t i = 0; i < d.lead_id.size(); ++i) {
    (i % 2 == 0 ? even : odd).push_back(i);
  }
  lk_backtest_state* first = Added(d, even, 2, {}, as_of);
  lk_backtest_state* second = Added(d, odd, 1, {}, as_of);
  uint8_t* bytes = nullptr;
  size_t size = 0;
  ASSERT_EQ(lk_backtest_state_serialize(first, &bytes, &size), LK_OK);
  lk_backtest_state* loaded = nullptr;
  ASSERT_EQ(lk_backtest_state_deserialize(bytes, size, &loaded), LK_OK)
      << lk_last_error();
  lk_bytes_free(bytes);
  ASSERT_EQ(lk_backtest_state_merge(loaded, second), LK_OK) << lk_last_error();
  ExpectTables(loaded, d, {}, as_of);
  lk_backtest_state_free(loaded);
  lk_backtest_state_free(first);
  lk_backtest_state_free(second);
}

TEST_F(BacktestArrowTest, ARegionScopeEqualsTheCppApiWithItsMask) {
  const Data d = Generate(300);
  const Instant as_of = Sh("2024-08-01 12:00");
  TestStream dealers;
  std::vector<std::unique_ptr<TestColumn>> c;
  c.push_back(Strings("dealer_id", {"D1", "D2", "D3"}));
  c.push_back(Strings("region_id", {"R1", "R1", "R2"}));
  dealers.AddBatch(std::move(c));
  ArrowArrayStream stream = dealers.Stream();
  lk_scope* scope = nullptr;
  ASSERT_EQ(lk_scope_create("region", "R1", &stream, &scope), LK_OK)
      << lk_last_error();
  lk_backtest_state* state = Added(d, AllRows(d.lead_id.size()), 2,
                                   {"consultant_id"}, as_of, scope);
  ExpectTables(state, d, {"consultant_id"}, as_of, Scope::Region("R1"));
  // Fewer leads than all of them, more than none.
  const BacktestResult all = CppBacktest(d, {}, as_of);
  const BacktestResult mine = CppBacktest(d, {}, as_of, Scope::Region("R1"));
  EXPECT_LT(mine.summary[0].kpis.counts.leads, all.summary[0].kpis.counts.leads);
  EXPECT_GT(mine.summary[0].kpis.counts.leads, 0);
  lk_backtest_state_free(state);
  lk_scope_free(scope);
}

TEST_F(BacktestArrowTest, AGradeMapNamingAGradeThePolicyLacksIsRefused) {
  const Data d = Generate(30);
  const char* names[] = {"current", "proposed"};
  lk_backtest_state* state = nullptr;
  ASSERT_EQ(lk_backtest_state_create(names, 2, nullptr, 0, &state), LK_OK);
  Streams s;
  Fill(d, AllRows(d.lead_id.size()), 1, s);
  ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream();
  constexpr char kMap[] = R"({"proposed": {"O": "Z"}})";
  EXPECT_EQ(lk_backtest_state_add(state, cadences_, 2, kMap, std::strlen(kMap),
                                  &leads, &touches, nullptr, nullptr,
                                  testing::Seconds(Sh("2024-07-01 00:00"))),
            LK_INVALID_ARGUMENT);
  EXPECT_THAT(lk_last_error(), ::testing::HasSubstr("\"Z\""));
  EXPECT_TRUE(s.leads.released() && s.touches.released());
  lk_backtest_state_free(state);
}

}  // namespace
}  // namespace leadkit
