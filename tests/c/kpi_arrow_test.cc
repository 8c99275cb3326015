// The KPI state of the C ABI (libleadkit.so) against the C++ KpiState on the
// same generated leads, touches and surveys: the one-shot lk_kpis_arrow, a
// state added batch by batch, and states added apart, saved, loaded and
// merged all give the C++ API's numbers. The Arrow batches are built by hand
// (arrow_batches.h), independently of leadkit's own Arrow code.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "arrow_batches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"
#include "report_tables.h"

namespace leadkit {
namespace {

using testing::ColumnBuilder;
using testing::Sh;
using testing::TestColumn;
using testing::TestStream;
using testing::TestTable;
using testing::Utf8At;

// Leads with their touches and surveys, drawn from a fixed sequence.
struct Data {
  std::vector<std::optional<std::string>> lead_id, channel, status, grade;
  std::vector<std::optional<Instant>> created_at, assigned_at, won_at, lost_at;
  std::vector<std::optional<std::string>> touch_lead, method;
  std::vector<std::optional<Instant>> touch_at;
  std::vector<size_t> touch_of;  // the lead row of each touch
  std::vector<std::optional<std::string>> survey_lead;
  std::vector<std::optional<Instant>> survey_at;
  std::vector<std::optional<bool>> satisfied;
  std::vector<size_t> survey_of;
};

Data Generate(int n) {
  uint64_t state = 12345;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  const char* channels[] = {"website", "phone", "showroom", "referral"};
  const char* statuses[] = {"open", "open", "won", "lost", "invalid"};
  const char* grades[] = {"high", "medium", "low"};
  const char* methods[] = {"phone", "wechat", "visit"};
  Data d;
  const Instant base = Sh("2025-03-03 08:00");
  for (int i = 0; i < n; ++i) {
    d.lead_id.push_back("K" + std::to_string(i));
    d.channel.push_back(next(6) == 0 ? std::nullopt
                                     : std::optional<std::string>(channels[next(4)]));
    const std::string status = statuses[next(5)];
    d.status.push_back(status);
    d.grade.push_back(grades[next(3)]);
    const Instant created = base + std::chrono::minutes(97 * i + next(50));
    d.created_at.push_back(created);
    d.assigned_at.push_back(next(3) == 0 ? std::nullopt
                                         : std::optional<Instant>(
                                               created + std::chrono::minutes(next(90))));
    d.won_at.push_back(status == "won" ? std::optional<Instant>(
                                             created + std::chrono::hours(24 * (1 + next(20))))
                                       : std::nullopt);
    d.lost_at.push_back(status == "lost" ? std::optional<Instant>(
                                               created + std::chrono::hours(24 * (1 + next(20))))
                                         : std::nullopt);
    const int touches = static_cast<int>(next(4));
    Instant at = created;
    for (int t = 0; t < touches; ++t) {
      at += std::chrono::minutes(5 + next(60 * 24 * 4));
      d.touch_lead.push_back(d.lead_id.back());
      d.method.push_back(methods[next(3)]);
      d.touch_at.push_back(at);
      d.touch_of.push_back(static_cast<size_t>(i));
    }
    if (next(3) == 0) {
      d.survey_lead.push_back(d.lead_id.back());
      d.survey_at.push_back(created + std::chrono::hours(24 * (1 + next(10))));
      d.satisfied.push_back(next(5) != 0);
      d.survey_of.push_back(static_cast<size_t>(i));
    }
  }
  return d;
}

template <typename T>
std::vector<T> Pick(const std::vector<T>& values, const std::vector<size_t>& rows) {
  std::vector<T> out;
  for (size_t r : rows) out.push_back(values[r]);
  return out;
}

// Arrow columns of strings, instants (milliseconds, in a zone) and booleans.
std::unique_ptr<TestColumn> Strings(const std::string& name,
                                    const std::vector<std::optional<std::string>>& v) {
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
std::unique_ptr<TestColumn> Bools(const std::string& name,
                                  const std::vector<std::optional<bool>>& v) {
  ColumnBuilder b(name, "b");
  for (const auto& x : v) x ? b.Bool(*x) : b.Null();
  return b.Build();
}

// The rows `rows` of the data as Arrow streams, the leads in `batches`
// batches (the channel dictionary-encoded), each lead's touches and surveys
// beside it.
struct Streams {
  TestStream leads, touches, surveys;
};

void Fill(const Data& d, const std::vector<size_t>& rows, int batches,
          Streams& out) {
  const size_t per = (rows.size() + static_cast<size_t>(batches) - 1) /
                     static_cast<size_t>(batches);
  for (size_t first = 0; first < rows.size() || first == 0; first += per) {
    std::vector<size_t> part(rows.begin() + static_cast<std::ptrdiff_t>(first),
                             rows.begin() + static_cast<std::ptrdiff_t>(
                                                std::min(rows.size(), first + per)));
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(Strings("lead_id", Pick(d.lead_id, part)));
    c.push_back(ColumnBuilder::Dictionary("channel", Pick(d.channel, part)));
    c.push_back(Strings("status", Pick(d.status, part)));
    c.push_back(Strings("grade", Pick(d.grade, part)));
    c.push_back(Times("created_at", Pick(d.created_at, part)));
    c.push_back(Times("assigned_at", Pick(d.assigned_at, part)));
    c.push_back(Times("won_at", Pick(d.won_at, part)));
    c.push_back(Times("lost_at", Pick(d.lost_at, part)));
    out.leads.AddBatch(std::move(c));
    if (rows.empty()) break;
  }
  std::vector<size_t> touches, surveys;
  for (size_t t = 0; t < d.touch_of.size(); ++t) {
    if (std::find(rows.begin(), rows.end(), d.touch_of[t]) != rows.end()) {
      touches.push_back(t);
    }
  }
  for (size_t s = 0; s < d.survey_of.size(); ++s) {
    if (std::find(rows.begin(), rows.end(), d.survey_of[s]) != rows.end()) {
      surveys.push_back(s);
    }
  }
  std::vector<std::unique_ptr<TestColumn>> t;
  t.push_back(Strings("lead_id", Pick(d.touch_lead, touches)));
  t.push_back(Times("at", Pick(d.touch_at, touches)));
  t.push_back(Strings("method", Pick(d.method, touches)));
  out.touches.AddBatch(std::move(t));
  std::vector<std::unique_ptr<TestColumn>> s;
  s.push_back(Strings("lead_id", Pick(d.survey_lead, surveys)));
  s.push_back(Times("at", Pick(d.survey_at, surveys)));
  s.push_back(Bools("satisfied", Pick(d.satisfied, surveys)));
  out.surveys.AddBatch(std::move(s));
}

// The C++ API's KPI rows for the whole data.
std::vector<KpiRow> CppKpis(const Policy& policy, const Data& d,
                            const std::vector<std::string>& by, Instant as_of) {
  TestTable leads(static_cast<int64_t>(d.lead_id.size()));
  leads.RawStrings("lead_id", d.lead_id)
      .Strings("channel", d.channel)
      .Strings("status", d.status)
      .Strings("grade", d.grade)
      .Instants("created_at", d.created_at)
      .Instants("assigned_at", d.assigned_at)
      .Instants("won_at", d.won_at)
      .Instants("lost_at", d.lost_at);
  TestTable touches(static_cast<int64_t>(d.touch_lead.size()));
  touches.RawStrings("lead_id", d.touch_lead)
      .Instants("at", d.touch_at)
      .Strings("method", d.method);
  TestTable surveys(static_cast<int64_t>(d.survey_lead.size()));
  surveys.RawStrings("lead_id", d.survey_lead)
      .Instants("at", d.survey_at)
      .Bools("satisfied", d.satisfied);
  const absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(policy);
  EXPECT_TRUE(cadence.ok()) << cadence.status();
  KpiState state(by);
  const absl::Status added = state.Add(*cadence, leads.columns(), touches.columns(),
                                       &surveys.columns(), as_of);
  EXPECT_TRUE(added.ok()) << added;
  return state.Finalize();
}

// A KPI table read from an Arrow stream: per row, the key and every column.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::optional<std::string>>> keys;  // per row
  std::vector<std::vector<double>> values;                    // per row
};

Table Read(ArrowArrayStream& result, size_t key_columns) {
  Table t;
  ArrowSchema schema;
  EXPECT_EQ(result.get_schema(&result, &schema), 0);
  for (int64_t i = 0; i < schema.n_children; ++i) {
    t.names.emplace_back(schema.children[i]->name);
    const std::string format = schema.children[i]->format;
    if (static_cast<size_t>(i) < key_columns) {
      EXPECT_EQ(format, "u");
    } else {
      EXPECT_TRUE(format == "l" || format == "g") << format;
    }
  }
  std::vector<std::string> formats;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    formats.emplace_back(schema.children[i]->format);
  }
  schema.release(&schema);
  for (;;) {
    ArrowArray batch;
    EXPECT_EQ(result.get_next(&result, &batch), 0);
    if (batch.release == nullptr) break;
    for (int64_t row = 0; row < batch.length; ++row) {
      std::vector<std::optional<std::string>> key;
      std::vector<double> values;
      for (int64_t i = 0; i < batch.n_children; ++i) {
        const ArrowArray& a = *batch.children[i];
        if (static_cast<size_t>(i) < key_columns) {
          const bool valid =
              a.buffers[0] == nullptr ||
              ((static_cast<const uint8_t*>(a.buffers[0])[(a.offset + row) / 8] >>
                ((a.offset + row) % 8)) & 1) != 0;
          key.push_back(valid ? std::optional<std::string>(Utf8At(a, row))
                              : std::nullopt);
        } else if (formats[static_cast<size_t>(i)] == "l") {
          values.push_back(static_cast<double>(
              static_cast<const int64_t*>(a.buffers[1])[a.offset + row]));
        } else {
          values.push_back(static_cast<const double*>(a.buffers[1])[a.offset + row]);
        }
      }
      t.keys.push_back(std::move(key));
      t.values.push_back(std::move(values));
    }
    batch.release(&batch);
  }
  result.release(&result);
  return t;
}

// The C++ rows as the same table.
Table Expected(const std::vector<KpiRow>& rows, const std::vector<std::string>& by) {
  Table t;
  t.names = by;
  for (const KpiField& f : KpiFields()) {
    if (f.column) t.names.emplace_back(f.name);
  }
  for (const KpiRow& row : rows) {
    t.keys.push_back(row.key);
    std::vector<double> values;
    for (const KpiField& f : KpiFields()) {
      if (!f.column) continue;
      values.push_back(f.count != nullptr ? static_cast<double>(row.counts.*f.count)
                                          : (row.*f.value)());
    }
    t.values.push_back(std::move(values));
  }
  return t;
}

void ExpectSame(const Table& got, const Table& want) {
  EXPECT_EQ(got.names, want.names);
  ASSERT_EQ(got.keys, want.keys);
  ASSERT_EQ(got.values.size(), want.values.size());
  for (size_t r = 0; r < got.values.size(); ++r) {
    ASSERT_EQ(got.values[r].size(), want.values[r].size());
    for (size_t c = 0; c < got.values[r].size(); ++c) {
      const double a = got.values[r][c], b = want.values[r][c];
      EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || a == b)
          << "row " << r << " column " << want.names[want.keys[r].size() + c]
          << ": " << a << " != " << b;
    }
  }
}

class KpiArrowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(lk_policy_from_preset("three_level", &policy_), LK_OK) << lk_last_error();
    ASSERT_EQ(lk_cadence_from_policy(policy_, &cadence_), LK_OK) << lk_last_error();
  }
  void TearDown() override {
    lk_cadence_free(cadence_);
    lk_policy_free(policy_);
  }
  lk_policy* policy_ = nullptr;
  lk_cadence* cadence_ = nullptr;
};

std::vector<size_t> AllRows(size_t n) {
  std::vector<size_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = i;
  return rows;
}

TEST_F(KpiArrowTest, OneShotEqualsTheCppApi) {
  const Data d = Generate(400);
  const Instant as_of = Sh("2025-04-10 12:00");
  const std::vector<std::string> by = {"channel"};
  Streams s;
  Fill(d, AllRows(d.lead_id.size()), 3, s);
  ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream(),
                   surveys = s.surveys.Stream(), result;
  const char* keys[] = {"channel"};
  ASSERT_EQ(lk_kpis_arrow(cadence_, &leads, &touches, &surveys, keys, 1,
                          testing::Seconds(as_of), &result),
            LK_OK)
      << lk_last_error();
  EXPECT_TRUE(s.leads.released() && s.touches.released() && s.surveys.released());
  const Table got = Read(result, 1);
  ExpectSame(got, Expected(CppKpis(*Policy::Preset("three_level"), d, by, as_of), by));
  // Every channel and the null group, each with leads.
  EXPECT_EQ(got.keys.size(), 5u);
  EXPECT_EQ(got.keys.back()[0], std::nullopt);
}

// Streams of one batch, read where they lie: every column starting rows into
// its buffers (a slice), the instants in whole seconds (which the importer
// views without a copy).
TEST_F(KpiArrowTest, OneSlicedBatchReadInPlaceEqualsTheCppApi) {
  const Data d = Generate(400);
  const Instant as_of = Sh("2025-04-10 12:00");
  const std::vector<std::string> by = {"channel"};
  auto strings = [](const std::string& name,
                    const std::vector<std::optional<std::string>>& v, int64_t skip) {
    ColumnBuilder b(name, "u");
    b.Skip(skip);
    for (const auto& x : v) x ? b.String(*x) : b.Null();
    return b.Build();
  };
  auto seconds = [](const std::string& name,
                    const std::vector<std::optional<Instant>>& v, int64_t skip) {
    ColumnBuilder b(name, "tss:Asia/Shanghai");
    b.Skip(skip);
    for (const auto& t : v) t ? b.Value<int64_t>(testing::Seconds(*t)) : b.Null();
    return b.Build();
  };
  auto bools = [](const std::string& name, const std::vector<std::optional<bool>>& v,
                  int64_t skip) {
    ColumnBuilder b(name, "b");
    b.Skip(skip);
    for (const auto& x : v) x ? b.Bool(*x) : b.Null();
    return b.Build();
  };
  Streams s;
  {
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(strings("lead_id", d.lead_id, 3));
    c.push_back(strings("channel", d.channel, 1));
    c.push_back(strings("status", d.status, 2));
    c.push_back(strings("grade", d.grade, 5));
    c.push_back(seconds("created_at", d.created_at, 1));
    c.push_back(seconds("assigned_at", d.assigned_at, 2));
    c.push_back(seconds("won_at", d.won_at, 3));
    c.push_back(seconds("lost_at", d.lost_at, 4));
    s.leads.AddBatch(std::move(c));
  }
  {
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(strings("lead_id", d.touch_lead, 2));
    c.push_back(seconds("at", d.touch_at, 7));
    c.push_back(strings("method", d.method, 1));
    s.touches.AddBatch(std::move(c));
  }
  {
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(strings("lead_id", d.survey_lead, 1));
    c.push_back(seconds("at", d.survey_at, 2));
    c.push_back(bools("satisfied", d.satisfied, 3));
    s.surveys.AddBatch(std::move(c));
  }
  ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream(),
                   surveys = s.surveys.Stream(), result;
  const char* keys[] = {"channel"};
  ASSERT_EQ(lk_kpis_arrow(cadence_, &leads, &touches, &surveys, keys, 1,
                          testing::Seconds(as_of), &result),
            LK_OK)
      << lk_last_error();
  EXPECT_TRUE(s.leads.released() && s.touches.released() && s.surveys.released());
  ExpectSame(Read(result, 1),
             Expected(CppKpis(*Policy::Preset("three_level"), d, by, as_of), by));
}

TEST_F(KpiArrowTest, StatesAddedApartSavedAndMergedEqualTheCppApi) {
  const Data d = Generate(300);
  const Instant as_of = Sh("2025-04-01 00:00");
  const std::vector<std::string> by = {"grade", "month"};
  const char* keys[] = {"grade", "month"};
  std::vector<size_t> even, odd;
  for (size_t i = 0; i < d.lead_id.size(); ++i) (i % 2 == 0 ? even : odd).push_back(i);

  std::vector<uint8_t> saved;
  for (const std::vector<size_t>* rows : {&even, &odd}) {
    Streams s;
    Fill(d, *rows, 2, s);
    ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream(),
                     surveys = s.surveys.Stream();
    lk_kpi_state* state = nullptr;
    ASSERT_EQ(lk_kpi_state_create(keys, 2, &state), LK_OK) << lk_last_error();
    ASSERT_EQ(lk_kpi_state_add(state, cadence_, &leads, &touches, &surveys,
                               testing::Seconds(as_of)),
              LK_OK)
        << lk_last_error();
    if (saved.empty()) {
      uint8_t* bytes = nullptr;
      size_t size = 0;
      ASSERT_EQ(lk_kpi_state_serialize(state, &bytes, &size), LK_OK);
      saved.assign(bytes, bytes + size);
      lk_bytes_free(bytes);
      lk_kpi_state_free(state);
      continue;
    }
    lk_kpi_state* loaded = nullptr;
    ASSERT_EQ(lk_kpi_state_deserialize(saved.data(), saved.size(), &loaded), LK_OK)
        << lk_last_error();
    ASSERT_EQ(lk_kpi_state_merge(loaded, state), LK_OK) << lk_last_error();
    ArrowArrayStream result;
    ASSERT_EQ(lk_kpi_state_finalize(loaded, &result), LK_OK);
    ExpectSame(Read(result, 2),
               Expected(CppKpis(*Policy::Preset("three_level"), d, by, as_of), by));
    lk_kpi_state_free(loaded);
    lk_kpi_state_free(state);
  }
}

TEST_F(KpiArrowTest, AsOfFromTheData) {
  // LK_AS_OF_DATA: the latest instant of the inputs, here the latest touch,
  // survey or close.
  const Data d = Generate(50);
  Instant latest = Instant::min();
  for (const auto* column : {&d.created_at, &d.assigned_at, &d.won_at, &d.lost_at,
                             &d.touch_at, &d.survey_at}) {
    for (const auto& t : *column) {
      if (t && *t > latest) latest = *t;
    }
  }
  Streams s;
  Fill(d, AllRows(d.lead_id.size()), 1, s);
  ArrowArrayStream leads = s.leads.Stream(), touches = s.touches.Stream(),
                   surveys = s.surveys.Stream(), result;
  ASSERT_EQ(lk_kpis_arrow(cadence_, &leads, &touches, &surveys, nullptr, 0,
                          LK_AS_OF_DATA, &result),
            LK_OK)
      << lk_last_error();
  ExpectSame(Read(result, 0),
             Expected(CppKpis(*Policy::Preset("three_level"), d, {}, latest), {}));
}

TEST_F(KpiArrowTest, ARegionIdKeyIsEachLeadsDealersRegionInTheScopesDealers) {
  // Four leads of dealers D1, D2, D3 and D1; the scope's dealers table puts
  // D1 in R1 and D2 in R2 and lacks D3. The leads' own region_id ("X") is
  // not read: R1 has two leads, R2 one, and the lead of D3 has no region.
  const Instant created = Sh("2025-03-03 09:00");
  std::vector<std::unique_ptr<TestColumn>> c;
  c.push_back(Strings("lead_id", {"L1", "L2", "L3", "L4"}));
  c.push_back(Strings("status", {"open", "open", "won", "open"}));
  c.push_back(Strings("grade", {"high", "low", "high", "medium"}));
  c.push_back(Times("created_at", {created, created, created, created}));
  c.push_back(Times("won_at", {std::nullopt, std::nullopt,
                               created + std::chrono::hours(48), std::nullopt}));
  c.push_back(Strings("dealer_id", {"D1", "D2", "D3", "D1"}));
  c.push_back(Strings("region_id", {"X", "X", "X", "X"}));
  TestStream leads_in, touches_in, dealers_in;
  leads_in.AddBatch(std::move(c));
  std::vector<std::unique_ptr<TestColumn>> t;
  t.push_back(Strings("lead_id", {}));
  t.push_back(Times("at", {}));
  t.push_back(Strings("method", {}));
  touches_in.AddBatch(std::move(t));
  std::vector<std::unique_ptr<TestColumn>> d;
  d.push_back(Strings("dealer_id", {"D1", "D2"}));
  d.push_back(Strings("region_id", {"R1", "R2"}));
  dealers_in.AddBatch(std::move(d));
  ArrowArrayStream dealers = dealers_in.Stream();
  lk_scope* scope = nullptr;
  ASSERT_EQ(lk_scope_create("hq", nullptr, &dealers, &scope), LK_OK)
      << lk_last_error();
  const char* by[] = {"region_id"};
  lk_kpi_state* state = nullptr;
  ASSERT_EQ(lk_kpi_state_create(by, 1, &state), LK_OK) << lk_last_error();
  ArrowArrayStream leads = leads_in.Stream(), touches = touches_in.Stream();
  ASSERT_EQ(lk_kpi_state_add_scoped(state, cadence_, &leads, &touches, nullptr,
                                    scope,
                                    testing::Seconds(Sh("2025-03-10 12:00"))),
            LK_OK)
      << lk_last_error();
  ArrowArrayStream result;
  ASSERT_EQ(lk_kpi_state_finalize(state, &result), LK_OK) << lk_last_error();
  const Table got = Read(result, 1);
  const auto leads_column =
      std::find(got.names.begin(), got.names.end(), "leads") - got.names.begin() -
      1;
  std::map<std::optional<std::string>, double> leads_of;
  for (size_t r = 0; r < got.keys.size(); ++r) {
    leads_of[got.keys[r][0]] = got.values[r][static_cast<size_t>(leads_column)];
  }
  const std::map<std::optional<std::string>, double> want = {
      {std::nullopt, 1}, {"R1", 2}, {"R2", 1}};
  EXPECT_EQ(leads_of, want);
  lk_kpi_state_free(state);
  lk_scope_free(scope);
}

TEST_F(KpiArrowTest, BadInputIsAnErrorNamingTheTableAndColumn) {
  const Data d = Generate(20);
  Streams s;
  Fill(d, AllRows(d.lead_id.size()), 1, s);
  // touches.at as plain integers.
  TestStream touches;
  std::vector<std::unique_ptr<TestColumn>> t;
  t.push_back(Strings("lead_id", {"K1"}));
  ColumnBuilder at("at", "l");
  at.Value<int64_t>(1741000000);
  t.push_back(at.Build());
  t.push_back(Strings("method", {"phone"}));
  touches.AddBatch(std::move(t));
  ArrowArrayStream leads = s.leads.Stream(), bad = touches.Stream(), result;
  EXPECT_EQ(lk_kpis_arrow(cadence_, &leads, &bad, nullptr, nullptr, 0,
                          LK_AS_OF_DATA, &result),
            LK_INVALID_ARGUMENT);
  EXPECT_THAT(lk_last_error(),
              ::testing::HasSubstr("touches.at: expected a timestamp with a time zone"));
  EXPECT_TRUE(s.leads.released() && touches.released());
  EXPECT_EQ(result.release, nullptr);

  // A state keeps its groups when an add fails.
  lk_kpi_state* state = nullptr;
  ASSERT_EQ(lk_kpi_state_create(nullptr, 0, &state), LK_OK);
  uint8_t* before = nullptr;
  size_t before_size = 0;
  ASSERT_EQ(lk_kpi_state_serialize(state, &before, &before_size), LK_OK);
  Streams again;
  Fill(d, AllRows(d.lead_id.size()), 1, again);
  TestStream stray;
  std::vector<std::unique_ptr<TestColumn>> u;
  u.push_back(Strings("lead_id", {"NOPE"}));
  u.push_back(Times("at", {Sh("2025-03-04 10:00")}));
  u.push_back(Strings("method", {"phone"}));
  stray.AddBatch(std::move(u));
  leads = again.leads.Stream();
  bad = stray.Stream();
  EXPECT_EQ(lk_kpi_state_add(state, cadence_, &leads, &bad, nullptr,
                             testing::Seconds(Sh("2025-04-01 00:00"))),
            LK_INVALID_ARGUMENT);
  EXPECT_THAT(lk_last_error(), ::testing::HasSubstr("NOPE"));
  uint8_t* after = nullptr;
  size_t after_size = 0;
  ASSERT_EQ(lk_kpi_state_serialize(state, &after, &after_size), LK_OK);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(before), before_size),
            std::string(reinterpret_cast<char*>(after), after_size));
  lk_bytes_free(before);
  lk_bytes_free(after);
  lk_kpi_state_free(state);
}

}  // namespace
}  // namespace leadkit
