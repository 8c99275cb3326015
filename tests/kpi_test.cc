// The core KPIs on a hand-worked example (docs/kpis.md), and the state's merge
// and bytes.
#include "leadkit/kpi.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

// Six leads under oabc (calendar cn_showroom, every day 09:00-18:00), as of
// 2024-06-20 12:00.
constexpr char kLeads[] = R"([
  {"lead_id": "K1", "created_at": "2024-06-10T09:00:00+08:00", "channel": "website",
   "entered_at": "2024-06-10T10:00:00+08:00", "purchase_within_days": 10},
  {"lead_id": "K2", "created_at": "2024-06-10T09:00:00+08:00", "channel": "showroom",
   "status": "won", "won_at": "2024-06-12T12:00:00+08:00", "purchase_within_days": 20},
  {"lead_id": "K3", "created_at": "2024-06-18T09:00:00+08:00", "channel": "website",
   "entered_at": "2024-06-19T10:00:00+08:00", "status": "lost",
   "lost_at": "2024-06-19T10:00:00+08:00", "lost_review": "approved"},
  {"lead_id": "K4", "created_at": "2024-06-20T11:30:00+08:00", "channel": "website"},
  {"lead_id": "K5", "created_at": "2024-06-01T09:00:00+08:00", "channel": "website",
   "status": "invalid"},
  {"lead_id": "K6", "created_at": "2024-06-21T09:00:00+08:00", "channel": "website"}
])";

// A small owned table of touches or surveys.
struct Table {
  std::vector<std::string> dictionary;
  std::vector<int32_t> ids;
  std::vector<int64_t> at;
  std::vector<int32_t> method_codes;
  std::vector<std::string> methods = {"phone", "visit"};
  std::vector<uint8_t> satisfied;

  void Add(const std::string& id, const std::string& local, bool flag = false) {
    auto it = std::find(dictionary.begin(), dictionary.end(), id);
    if (it == dictionary.end()) dictionary.push_back(id);
    ids.push_back(static_cast<int32_t>(
        std::find(dictionary.begin(), dictionary.end(), id) -
        dictionary.begin()));
    std::istringstream in(local);
    date::local_seconds t;
    in >> date::parse("%F %R", t);
    at.push_back(t.time_since_epoch().count() - 8 * 3600);  // Shanghai is UTC+8
    method_codes.push_back(0);
    satisfied.push_back(flag ? 1 : 0);
  }

  Columns Touches() const {
    Columns c(static_cast<int64_t>(ids.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(ids, dictionary)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method_codes, methods)), IsOk());
    return c;
  }

  Columns Surveys() const {
    Columns c(static_cast<int64_t>(ids.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(ids, dictionary)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("satisfied", Column::Bools(satisfied)), IsOk());
    return c;
  }
};

struct Example {
  Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"));
  LeadTable leads = *LeadTable::FromJson(kLeads);
  Table touches;
  Table surveys;
  Instant as_of;

  Example() {
    touches.Add("K1", "2024-06-10 09:30");
    touches.Add("K1", "2024-06-12 09:00");
    touches.Add("K1", "2024-06-15 09:00");
    touches.Add("K2", "2024-06-10 12:00");
    touches.Add("K2", "2024-06-11 10:00");
    surveys.Add("K1", "2024-06-15 10:00", true);
    surveys.Add("K1", "2024-06-16 10:00",
                false);  // the latest says not satisfied
    surveys.Add("K2", "2024-06-13 10:00", true);
    surveys.Add("K2", "2024-06-13 10:00",
                false);  // same time: not satisfied wins
    surveys.Add("K3", "2024-06-25 10:00", true);  // after as_of: ignored
    surveys.Add("K4", "2024-06-20 11:45", true);
    as_of = cadence.calendar().FromLocal(
        date::local_days{date::year{2024} / 6 / 20} + std::chrono::hours(12));
  }

  KpiState Run(std::vector<std::string> by, int threads = 1) const {
    KpiState state(std::move(by));
    const Columns t = touches.Touches();
    const Columns s = surveys.Surveys();
    EXPECT_THAT(state.Add(cadence, leads.columns(), t, &s, as_of, {}, threads),
                IsOk());
    return state;
  }
};

TEST(Kpi, HandWorkedTotals) {
  const Example ex;
  const std::vector<KpiRow> rows = ex.Run({}).Finalize();
  ASSERT_EQ(rows.size(), 1u);
  const KpiCounts& c = rows[0].counts;
  // K1-K4 exist at as_of and are valid; K5 is invalid; K6 is created later.
  EXPECT_EQ(c.leads, 4);
  EXPECT_EQ(c.invalid, 1);
  EXPECT_EQ(c.won, 1);              // K2
  EXPECT_EQ(c.lost, 1);             // K3, review approved
  EXPECT_EQ(c.entered_on_time, 3);  // K3 entered 25 h after collection
  EXPECT_EQ(c.first_contacts_due,
            3);  // K1, K2 touched; K3's deadline passed; K4 not yet
  EXPECT_EQ(c.first_contact_on_time,
            1);  // K1 after 30 min; K2 after 3 h (due 10:00)
  // K1's follow-ups (A: 2 days): from 06-10 09:30 met by 06-12 09:00; from
  // 06-12 09:00 due 06-14 09:00, missed; from 06-15 09:00 due 06-17 09:00, no
  // touch since. K2's fall after its win (the end of its follow-ups) and are
  // not due.
  EXPECT_EQ(c.follow_ups_due, 3);
  EXPECT_EQ(c.follow_ups_on_time, 1);
  EXPECT_EQ(c.timely_leads, 1);  // K4: entered on time, nothing due yet
  EXPECT_EQ(c.surveyed, 3);
  EXPECT_EQ(c.satisfied, 1);  // K4
  EXPECT_EQ(rows[0].conversion_rate(), 0.25);
  EXPECT_EQ(rows[0].entry_timeliness_rate(), 0.75);
  EXPECT_DOUBLE_EQ(rows[0].first_contact_timeliness_rate(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(rows[0].follow_up_timeliness_rate(), 1.0 / 3);
  EXPECT_EQ(rows[0].timeliness_rate(), 0.25);
  EXPECT_DOUBLE_EQ(rows[0].satisfaction_rate(), 1.0 / 3);
  // Minutes to the first touch: 30 (K1) and 180 (K2); nearest rank.
  EXPECT_EQ(rows[0].first_contact_minutes_p50(), 30);
  EXPECT_EQ(rows[0].first_contact_minutes_p90(), 180);
}

TEST(Kpi, LeadByLeadFactsAreWhatTheTotalsCount) {
  const Example ex;
  const Columns t = ex.touches.Touches();
  const Columns s = ex.surveys.Surveys();
  absl::StatusOr<std::vector<LeadKpi>> facts =
      LeadKpis(ex.cadence, ex.leads.columns(), t, &s, ex.as_of);
  ASSERT_THAT(facts, IsOk());
  ASSERT_EQ(facts->size(), 6u);  // K1..K6 in row order
  const auto local = [&](int day, int hour, int minute) {
    return ex.cadence.calendar().FromLocal(
        date::local_days{date::year{2024} / 6 / day} +
        std::chrono::hours(hour) + std::chrono::minutes(minute));
  };
  const LeadKpi& k1 = (*facts)[0];
  EXPECT_TRUE(k1.counted);
  EXPECT_EQ(k1.first_contact_due_at, local(10, 10, 0));  // 1 business hour
  ASSERT_TRUE(k1.first_contact_at.has_value());
  EXPECT_EQ(*k1.first_contact_at, local(10, 9, 30));
  EXPECT_EQ(k1.first_contact_method, "phone");
  EXPECT_EQ(k1.first_contact_minutes, 30);
  EXPECT_EQ(k1.follow_ups_due, 3);
  EXPECT_EQ(k1.follow_ups_on_time, 1);
  EXPECT_EQ(k1.survey, 0);  // the latest says not satisfied
  const LeadKpi& k2 = (*facts)[1];
  EXPECT_TRUE(k2.won);
  EXPECT_FALSE(k2.first_contact_on_time);  // 3 hours after the start
  EXPECT_EQ(k2.survey, 0);                 // equal times: not satisfied wins
  const LeadKpi& k3 = (*facts)[2];
  EXPECT_TRUE(k3.lost);
  EXPECT_FALSE(k3.entered_on_time);  // entered 25 hours after collection
  EXPECT_TRUE(k3.first_contact_due);
  EXPECT_FALSE(k3.first_contact_at.has_value());
  const LeadKpi& k4 = (*facts)[3];
  EXPECT_EQ(k4.first_contact_due_at, local(20, 12, 30));
  EXPECT_FALSE(k4.first_contact_due);  // not yet at as_of
  EXPECT_TRUE(k4.timely);
  EXPECT_TRUE((*facts)[4].invalid);
  EXPECT_FALSE((*facts)[5].counted);  // created after as_of
}

TEST(Kpi, GroupsAreSortedWithTheNullGroupLast) {
  const Example ex;
  const std::vector<KpiRow> rows = ex.Run({"channel", "month"}).Finalize();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(*rows[0].key[0], "showroom");
  EXPECT_EQ(*rows[0].key[1], "2024-06");
  EXPECT_EQ(rows[0].counts.leads, 1);
  EXPECT_EQ(rows[0].first_contact_minutes_p50(), 180);
  EXPECT_EQ(*rows[1].key[0], "website");
  EXPECT_EQ(rows[1].counts.leads, 3);
  EXPECT_EQ(rows[1].counts.invalid, 1);
  EXPECT_TRUE(std::isnan(KpiRow{}.conversion_rate()));
  const std::vector<KpiRow> weeks =
      ex.Run({"week", "current_grade"}).Finalize();
  EXPECT_EQ(*weeks[0].key[0], "2024-W22");  // K5, created Saturday 2024-06-01
  EXPECT_EQ(*weeks[1].key[0], "2024-W24");
}

TEST(Kpi, APersonalFieldIsNeverAGroup) {
  const Example ex;
  const Columns t = ex.touches.Touches();
  for (const char* personal : {"name", "phone", "wechat", "email"}) {
    KpiState state({"channel", personal});
    EXPECT_THAT(state.Add(ex.cadence, ex.leads.columns(), t, nullptr, ex.as_of),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("by: group column \"", personal,
                                                "\" is personal data"))));
    EXPECT_TRUE(state.Finalize().empty());  // nothing was added
  }
}

TEST(Kpi, ThreadsSplitsMergesAndBytesGiveTheSameState) {
  const Example ex;
  const KpiState one = ex.Run({"channel", "grade"});
  EXPECT_TRUE(ex.Run({"channel", "grade"}, 4) == one);
  absl::StatusOr<KpiState> back = KpiState::Deserialize(one.Serialize());
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == one);
  EXPECT_EQ(back->Serialize(), one.Serialize());
  KpiState merged({"channel", "grade"});
  ASSERT_THAT(merged.Merge(one), IsOk());
  ASSERT_THAT(merged.Merge(KpiState({"channel", "grade"})), IsOk());
  EXPECT_TRUE(merged == one);
  EXPECT_THAT(merged.Merge(KpiState({"channel"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different columns")));
}

TEST(Kpi, BadBytesAreAnError) {
  EXPECT_THAT(
      KpiState::Deserialize("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  const std::string bytes = Example().Run({"channel"}).Serialize();
  EXPECT_THAT(
      KpiState::Deserialize(bytes.substr(0, bytes.size() - 3)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      KpiState::Deserialize(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  // Every single changed byte past the header is caught: by the framing (a
  // length that no longer fits) or by the checksum — never a wrong state.
  for (size_t i = 6; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(KpiState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("KPI state bytes")))
          << "byte " << i;
    }
  }
}

// Found by tests/fuzz/state_fuzz: bytes shorter than a magic threw
// std::out_of_range from string_view::substr instead of returning an error.
TEST(KpiStateBytesShorterThanAMagic, AreABadHeaderNotAnException) {
  for (const absl::string_view bytes : {"", "L", "LKKPI", "LKKP\x03"}) {
    EXPECT_THAT(
        KpiState::Deserialize(bytes),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")))
        << "bytes \"" << bytes << "\"";
  }
}

// The twelve counts of the first formats, in their order (leads, invalid, won,
// lost, entered_on_time, first_contacts_due, first_contact_on_time,
// follow_ups_due, follow_ups_on_time, timely_leads, surveyed, satisfied): a
// group that could exist (each per-lead count at most leads, each on-time
// count at most its due count, satisfied at most surveyed).
constexpr int64_t kConsistent[] = {12, 1, 3, 2, 10, 9, 7, 11, 8, 6, 5, 4};

TEST(Kpi, StatesWrittenInTheFirstFormatAreStillRead) {
  // "LKKPI1": 8-byte little-endian numbers, the histogram's minutes as they
  // are. One column (channel), one group "web" with the counts of kConsistent
  // and minutes {30: 2, 180: 1}.
  std::string bytes = "LKKPI1";
  const auto put = [&](int64_t v) {
    for (int i = 0; i < 8; ++i) {
      bytes.push_back(
          static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
    }
  };
  put(1);
  put(7);
  bytes += "channel";
  put(1);  // groups
  put(1);  // the key part is present
  put(3);
  bytes += "web";
  for (const int64_t v : kConsistent) put(v);
  put(2);
  put(30);
  put(2);
  put(180);
  put(1);
  absl::StatusOr<KpiState> state = KpiState::Deserialize(bytes);
  ASSERT_THAT(state, IsOk());
  const std::vector<KpiRow> rows = state->Finalize();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key[0], "web");
  EXPECT_EQ(rows[0].counts.leads, 12);
  EXPECT_EQ(rows[0].counts.satisfied, 4);
  EXPECT_EQ(rows[0].counts.first_contact_minutes,
            (MinuteHistogram{{30, 2}, {180, 1}}));
  // Written again, it is the newer, smaller form, and reads back equal.
  const std::string again = state->Serialize();
  EXPECT_EQ(again.substr(0, 6), "LKKPI3");
  EXPECT_LT(again.size(), bytes.size() / 3);
  absl::StatusOr<KpiState> back = KpiState::Deserialize(again);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == *state);
}

TEST(Kpi, StatesWrittenInTheVarintFormatAreStillRead) {
  // "LKKPI2": zigzag varints (a value v below 64 is the byte 2v), the
  // histogram's minutes as differences, no `estimated` count. One column
  // (channel), one group "web" with the counts of kConsistent and minutes
  // {30: 2}.
  std::string bytes = "LKKPI2";
  const auto put = [&](int v) { bytes.push_back(static_cast<char>(2 * v)); };
  put(1);
  put(7);
  bytes += "channel";
  put(1);  // groups
  put(1);  // the key part is present
  put(3);
  bytes += "web";
  for (const int64_t v : kConsistent) put(static_cast<int>(v));
  put(1);   // histogram bins
  put(30);  // minutes
  put(2);   // leads
  absl::StatusOr<KpiState> state = KpiState::Deserialize(bytes);
  ASSERT_THAT(state, IsOk());
  const std::vector<KpiRow> rows = state->Finalize();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].counts.leads, 12);
  EXPECT_EQ(rows[0].counts.satisfied, 4);
  EXPECT_EQ(rows[0].counts.estimated, 0);
  EXPECT_EQ(rows[0].counts.first_contact_minutes, (MinuteHistogram{{30, 2}}));
  // Written again: the current form, one more number per group (estimated),
  // framed: a one-byte length and an 8-byte checksum.
  const std::string again = state->Serialize();
  EXPECT_EQ(again.substr(0, 6), "LKKPI3");
  EXPECT_EQ(again.size(), bytes.size() + 1 + 1 + 8);
  absl::StatusOr<KpiState> back = KpiState::Deserialize(again);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == *state);
}

// Fault 2 of the hardening issue: a state whose checksum is right but whose
// counts could never come from leads is refused, naming the group and counts.
// The bytes are written by hand in the current format ("LKKPI3", framed).
std::string KpiBytes(const std::vector<std::string>& by,
                     const std::vector<int64_t>& counts,
                     const std::vector<std::pair<int64_t, int64_t>>& bins = {}) {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string p;
  PutInt(p, static_cast<int64_t>(by.size()));
  for (const std::string& name : by) PutString(p, name);
  PutInt(p, 1);  // one group
  for (size_t i = 0; i < by.size(); ++i) {
    PutInt(p, 1);
    PutString(p, "web");
  }
  for (const int64_t c : counts) PutInt(p, c);
  PutInt(p, static_cast<int64_t>(bins.size()));
  int64_t previous = 0;
  for (const auto& [minutes, n] : bins) {
    PutInt(p, minutes - previous);
    PutInt(p, n);
    previous = minutes;
  }
  return state_internal::Frame("LKKPI3", p);
}

// Found by tests/fuzz/state_fuzz: the histogram's minutes are written as
// differences, and differences whose sum passes int64 overflowed (undefined
// behaviour) while the state was read.
TEST(KpiStateHistogramMinutesOverflow, IsAnErrorNotUndefinedBehaviour) {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string p;
  PutInt(p, 1);
  PutString(p, "channel");
  PutInt(p, 1);  // one group
  PutInt(p, 1);
  PutString(p, "web");
  for (const int64_t c : kConsistent) PutInt(p, c);
  PutInt(p, 0);  // estimated
  PutInt(p, 2);  // two bins: the second's minutes pass int64
  PutInt(p, std::numeric_limits<int64_t>::max());
  PutInt(p, 1);
  PutInt(p, 1);
  PutInt(p, 1);
  EXPECT_THAT(KpiState::Deserialize(state_internal::Frame("LKKPI3", p)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "KPI state bytes: the first-contact histogram's minutes "
                       "overflow"));
}

TEST(SavedStateCanLie, KpiCountsThatNoLeadsCouldGiveAreRefused) {
  // kConsistent, then estimated 0.
  std::vector<int64_t> good(std::begin(kConsistent), std::end(kConsistent));
  good.push_back(0);
  ASSERT_THAT(KpiState::Deserialize(KpiBytes({"channel"}, good, {{30, 9}})),
              IsOk());
  const auto with = [&](size_t index, int64_t value) {
    std::vector<int64_t> counts = good;
    counts[index] = value;
    return KpiBytes({"channel"}, counts);
  };
  EXPECT_THAT(KpiState::Deserialize(with(1, -1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "KPI state bytes: group (\"web\"): invalid is -1, a "
                       "negative count"));
  EXPECT_THAT(KpiState::Deserialize(with(2, 13)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "KPI state bytes: group (\"web\"): won 13 is more than "
                       "leads 12"));
  // A rate above 1 cannot come back: each rate's numerator is bounded.
  EXPECT_THAT(KpiState::Deserialize(with(6, 10)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("first_contact_on_time 10 is more than "
                                 "first_contacts_due 9")));
  EXPECT_THAT(KpiState::Deserialize(with(11, 6)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("satisfied 6 is more than surveyed 5")));
  EXPECT_THAT(KpiState::Deserialize(with(12, 13)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("estimated 13 is more than leads 12")));
  EXPECT_THAT(
      KpiState::Deserialize(KpiBytes({"channel"}, good, {{30, 9}, {40, 1}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("the first-contact histogram holds more leads than "
                         "first_contacts_due 9")));
  EXPECT_THAT(KpiState::Deserialize(KpiBytes({"channel"}, good, {{-5, 1}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("holds 1 lead(s) at -5 minutes")));
  EXPECT_THAT(KpiState::Deserialize(KpiBytes({"phone"}, good)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "KPI state bytes: group column \"phone\" is personal "
                       "data, never a group"));
  EXPECT_THAT(KpiState::Deserialize(KpiBytes({"model", "model"}, good)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group column \"model\" is named twice")));
}

TEST(Kpi, UnknownLeadsInSurveysAreAnError) {
  Example ex;
  ex.surveys.Add("K9", "2024-06-15 10:00", true);
  KpiState state;
  const Columns t = ex.touches.Touches();
  const Columns s = ex.surveys.Surveys();
  EXPECT_THAT(
      state.Add(ex.cadence, ex.leads.columns(), t, &s, ex.as_of),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("surveys row 6: lead_id \"K9\" is not in the leads")));
}

TEST(Kpi, TooManyMethodsAreAnError) {
  // A batch keeps a touch's method code in 16 bits.
  Example ex;
  ex.touches.methods.clear();
  for (int k = 0; k < 40000; ++k) {
    ex.touches.methods.push_back("m" + std::to_string(k));
  }
  KpiState state;
  const Columns t = ex.touches.Touches();
  const Columns s = ex.surveys.Surveys();
  EXPECT_THAT(state.Add(ex.cadence, ex.leads.columns(), t, &s, ex.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches.method: 40000 distinct values; a "
                                 "batch takes at most 32767")));
}

// abcd on cn_office (covered to 2026-12-31) estimating past its coverage. A
// lead created Thursday 2026-12-31 17:30 has its first contact due after 1
// business hour: 30 min to 18:00, then Friday 2027-01-01 (New Year's Day, not
// known to the weekly hours) 09:00-09:30 -- estimated. E3's deadline
// (2026-12-01 10:00 + 1 h = 11:00) is covered. Grade D: no follow-up is due
// by either as_of (30 to 90 days).
TEST(Kpi, EstimatedDeadlinesAreNotMissedWhileAsOfIsCovered) {
  absl::StatusOr<Calendar> office = Calendar::Preset("cn_office");
  ASSERT_THAT(office, IsOk());
  ASSERT_EQ(office->outside(), OutsideCoverage::kEstimate);
  const Cadence cadence(*Policy::Preset("abcd"), *office);
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "E1", "created_at": "2026-12-31T17:30:00+08:00", "grade": "D"},
    {"lead_id": "E2", "created_at": "2026-12-31T17:30:00+08:00", "grade": "D"},
    {"lead_id": "E3", "created_at": "2026-12-01T10:00:00+08:00", "grade": "D"},
    {"lead_id": "E4", "created_at": "2026-12-31T17:30:00+08:00", "grade": "D"}
  ])");
  ASSERT_THAT(leads, IsOk());
  Table touches;
  touches.Add("E2", "2026-12-31 17:50");
  touches.Add("E3", "2026-12-01 10:30");
  touches.Add("E4", "2027-01-04 10:00");  // after the estimated 09:30 on 01-01
  const Columns t = touches.Touches();
  const Columns none = Table().Surveys();
  struct Case {
    std::string as_of;
    // Per lead: "id first_contact_due first_contact_on_time timely estimated"
    // (1/0).
    std::vector<std::string> leads;
  };
  const Case cases[] = {
      // Inside the coverage: the estimated 09:30 on 01-01 lies ahead; nothing
      // estimated is missed (E4's touch has not happened yet).
      {.as_of = "2026-12-31 23:00",
       .leads = {"E1 0 0 1 1", "E2 1 1 1 1", "E3 1 1 1 0", "E4 0 0 1 1"}},
      // Past the coverage: the estimated deadlines are judged like any other.
      {.as_of = "2027-01-04 12:00",
       .leads = {"E1 1 0 0 1", "E2 1 1 1 1", "E3 1 1 1 0", "E4 1 0 0 1"}},
  };
  for (const Case& c : cases) {
    std::istringstream in(c.as_of);
    date::local_seconds local;
    in >> date::parse("%F %R", local);
    const Instant as_of = cadence.calendar().FromLocal(local);
    absl::StatusOr<std::vector<LeadKpi>> rows =
        LeadKpis(cadence, leads->columns(), t, &none, as_of);
    ASSERT_THAT(rows, IsOk()) << c.as_of;
    std::vector<std::string> got;
    for (size_t i = 0; i < rows->size(); ++i) {
      const LeadKpi& r = (*rows)[i];
      got.push_back(absl::StrCat("E", i + 1, " ", r.first_contact_due, " ",
                                 r.first_contact_on_time, " ", r.timely, " ",
                                 r.estimated));
    }
    EXPECT_EQ(got, c.leads) << c.as_of;
  }
}

TEST(NearestRank, SmallestValueWithAtLeastQAtOrBelow) {
  MinuteHistogram h = {{1, 1}, {2, 1}, {3, 1}, {4, 1}};
  EXPECT_EQ(NearestRank(h, 0.5), 2);
  EXPECT_EQ(NearestRank(h, 0.9), 4);
  EXPECT_EQ(NearestRank({{7, 3}}, 0.9), 7);
  EXPECT_TRUE(std::isnan(NearestRank({}, 0.5)));
}

TEST(MinuteHistogramOf, CountsEachValueInAnyOrder) {
  // Ten leads' minutes; in order 5 5 5 12 12 30 45 60 90 240. The median is
  // the 5th value (ceil(0.5 * 10)), 12; the 90th percentile the 9th, 90.
  const std::vector<int64_t> minutes = {30, 5, 12, 5, 90, 60, 12, 5, 240, 45};
  const MinuteHistogram h = MinuteHistogramOf(minutes);
  EXPECT_EQ(h, (MinuteHistogram{{5, 3}, {12, 2}, {30, 1}, {45, 1}, {60, 1},
                                {90, 1}, {240, 1}}));
  EXPECT_EQ(NearestRank(h, 0.5), 12);
  EXPECT_EQ(NearestRank(h, 0.9), 90);
  // One value is every percentile; none is NaN.
  EXPECT_EQ(NearestRank(MinuteHistogramOf(std::vector<int64_t>{42}), 0.9), 42);
  EXPECT_TRUE(MinuteHistogramOf({}).empty());
}

TEST(BinCounts, EachValueInTheBinUpToAndIncludingItsEdge) {
  // Edges 15 and 30: bins <= 15, 16..30, > 30. 0, 0 and 15 fall in the
  // first; 16 and 30 in the second; 31 and 2000 in the last.
  const std::vector<int64_t> edges = {15, 30};
  EXPECT_EQ(BinCounts(MinuteHistogramOf(std::vector<int64_t>{
                          30, 0, 16, 2000, 15, 31, 0}),
                      edges),
            (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(BinCounts({{0, 2}, {15, 1}, {16, 1}, {2000, 1}}, edges),
            (std::vector<int64_t>{3, 1, 1}));
  // No values: every bin empty; no edges: one bin of everything.
  EXPECT_EQ(BinCounts({}, edges), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(BinCounts({{5, 2}, {90, 1}}, {}), (std::vector<int64_t>{3}));
}

TEST(BinCounts, TheReportsFirstContactBins) {
  // Each edge of kFirstContactBinEdges and the minute after it: 15 | 16, 30 |
  // 31, 60 | 61, ... 1440 | 1441, so bin 0 holds 0 and 15, each middle bin
  // the minute after the previous edge and its own edge, the last 1441 and
  // 10000.
  std::vector<int64_t> minutes = {0, 10000};
  for (int64_t edge : kFirstContactBinEdges) {
    minutes.push_back(edge);
    minutes.push_back(edge + 1);
  }
  EXPECT_EQ(BinCounts(MinuteHistogramOf(minutes), kFirstContactBinEdges),
            (std::vector<int64_t>{2, 2, 2, 2, 2, 2, 2, 2}));
  // Three leads reached within a minute, one after 45 minutes, one after
  // 1500: bins <= 15, 31..60 and > 1440.
  EXPECT_EQ(BinCounts(MinuteHistogramOf(
                          std::vector<int64_t>{1, 45, 1, 1500, 1}),
                      kFirstContactBinEdges),
            (std::vector<int64_t>{3, 0, 1, 0, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

TEST(KpiFieldsTable, ListsEachCountAndValueOnce) {
  std::vector<std::string> columns;
  int counts = 0;
  for (const KpiField& field : KpiFields()) {
    EXPECT_NE(field.count == nullptr, field.value == nullptr) << field.name;
    if (field.column) columns.emplace_back(field.name);
    counts += field.count != nullptr;
  }
  // The columns of leadkit.KPI_COLUMNS (docs/kpis.md), and every count of
  // KpiCounts (13, estimated the one that is not a column).
  EXPECT_THAT(columns,
              ::testing::ElementsAre(
                  "leads", "invalid", "won", "lost", "conversion_rate",
                  "entered_on_time", "entry_timeliness_rate",
                  "first_contacts_due", "first_contact_on_time",
                  "first_contact_timeliness_rate", "follow_ups_due",
                  "follow_ups_on_time", "follow_up_timeliness_rate",
                  "timely_leads", "timeliness_rate", "surveyed", "satisfied",
                  "satisfaction_rate", "first_contact_minutes_p50",
                  "first_contact_minutes_p90"));
  EXPECT_EQ(counts, 13);
  // A row's values through the table: won / leads.
  KpiRow row;
  row.counts.leads = 4;
  row.counts.won = 1;
  EXPECT_DOUBLE_EQ((row.*KpiFields()[4].value)(), 0.25);
  EXPECT_EQ(row.counts.*KpiFields()[0].count, 4);
}

}  // namespace
}  // namespace leadkit
