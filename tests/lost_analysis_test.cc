// The lost-sales analysis on the hand-worked example of docs/kpis.md, the
// point in time, scopes, threads, merging, the state's bytes and bad input.
#include "leadkit/lost_analysis.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Key = std::vector<std::optional<std::string>>;

// The example of docs/kpis.md (times in Shanghai, UTC+8), with a dealer and a
// channel per lead.
constexpr char kLeads[] = R"([
  {"lead_id": "A", "created_at": "2024-05-01T10:00:00+08:00", "status": "lost",
   "lost_at": "2024-06-01T07:00:00+08:00", "lost_reason": "price",
   "lost_review": "approved", "dealer_id": "D1", "channel": "website"},
  {"lead_id": "B", "created_at": "2024-05-01T10:00:00+08:00", "status": "lost",
   "lost_at": "2024-06-01T10:00:00+08:00", "lost_reason": "price",
   "lost_review": "rejected", "dealer_id": "D1", "channel": "showroom"},
  {"lead_id": "C", "created_at": "2024-05-01T10:00:00+08:00", "status": "lost",
   "lost_at": "2024-06-10T10:00:00+08:00", "lost_review": "pending",
   "dealer_id": "D2", "channel": "website"},
  {"lead_id": "D", "created_at": "2024-05-01T10:00:00+08:00", "status": "lost",
   "lost_at": "2024-06-15T10:00:00+08:00", "lost_reason": "price",
   "dealer_id": "D2", "channel": "phone"},
  {"lead_id": "E", "created_at": "2024-05-01T10:00:00+08:00", "status": "lost",
   "lost_reason": "price", "lost_review": "approved", "dealer_id": "D1",
   "channel": "website"},
  {"lead_id": "F", "created_at": "2024-05-01T10:00:00+08:00", "status": "won"}
])";

// 2024-06-20 12:00 in Shanghai, after every lead.
const Instant kAsOf = Instant(std::chrono::seconds(1718856000));

LostAnalysisState Count(LostAnalysisOptions options, Instant as_of = kAsOf,
                      std::vector<uint8_t> include = {}, int threads = 1) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  LostAnalysisState state(std::move(options));
  EXPECT_THAT(state.Add(leads.columns(), as_of, include, threads), IsOk());
  return state;
}

// Found by tests/fuzz/batch_fuzz: a lead_id column of null flags alone
// (Column::ValidityOnly) passed the type check, and the id check then read
// its values through a null pointer.
TEST(LostAnalysisLeadIdsOfNullFlagsOnly, AreATypeError) {
  const std::vector<uint8_t> valid = {1, 1};
  const std::vector<int64_t> created = {1717203600, 1717207200};
  Columns leads(2);
  ASSERT_THAT(leads.Add("lead_id", Column::ValidityOnly(2, valid.data())),
              IsOk());
  ASSERT_THAT(leads.Add("created_at", Column::Instants(created)), IsOk());
  LostAnalysisState state;
  EXPECT_THAT(state.Add(leads, Instant(std::chrono::seconds(1717300000))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads.lead_id: expected strings, got only null "
                       "flags"));
}

// Found by tests/fuzz/state_fuzz: the check that the reviews add up to
// `lost` summed them without looking for overflow (undefined behaviour for
// counts near int64's end).
TEST(LostAnalysisStateReviewsPastInt64, AreAnErrorNotAnOverflow) {
  using state_internal::PutInt;
  using state_internal::PutString;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::string p;
  PutInt(p, 0);  // no group columns
  PutString(p, "UTC");
  PutInt(p, 1);  // one group: lost_reason "price"
  PutInt(p, 1);
  PutString(p, "price");
  for (const int64_t v : {int64_t{5}, kMax, kMax, int64_t{0}, int64_t{0}}) {
    PutInt(p, v);  // lost, approved, rejected, pending, review null
  }
  EXPECT_THAT(
      LostAnalysisState::Deserialize(state_internal::Frame("LKLST1", p)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lost 5 is not")));
}

TEST(LostAnalysis, ByMonthInShanghaiByHand) {
  const std::vector<LostAnalysisRow> rows =
      Count({.by = {"month"}, .time_zone = "Asia/Shanghai"}).Finalize();
  ASSERT_EQ(rows.size(), 3u);
  // June: A, B, D for price; C without a reason. E has no lost_at: a null
  // month. F is won.
  EXPECT_EQ(rows[0].key, (Key{"2024-06", "price"}));
  EXPECT_EQ(rows[1].key, (Key{"2024-06", std::nullopt}));
  EXPECT_EQ(rows[2].key, (Key{std::nullopt, "price"}));
  EXPECT_EQ(rows[0].counts, (LostCounts{.lost = 3, .approved = 1,
                                        .rejected = 1, .review_null = 1}));
  EXPECT_EQ(rows[1].counts, (LostCounts{.lost = 1, .pending = 1}));
  EXPECT_EQ(rows[2].counts, (LostCounts{.lost = 1, .approved = 1}));
  // Shares of June's 4: 3/4 and 1/4; E alone in the null month.
  EXPECT_DOUBLE_EQ(rows[0].share, 0.75);
  EXPECT_DOUBLE_EQ(rows[1].share, 0.25);
  EXPECT_DOUBLE_EQ(rows[2].share, 1.0);
  // Price in June: 1 rejected (B) of 2 reviewed (A, B; D has no review).
  EXPECT_DOUBLE_EQ(rows[0].rejection_rate(), 0.5);
  EXPECT_DOUBLE_EQ(rows[1].rejection_rate(), 0.0);  // C pending: 0 of 1
}

TEST(LostAnalysis, ZoneDecidesTheMonth) {
  // A was lost at 07:00 on 1 June in Shanghai: 23:00 on 31 May in UTC.
  const std::vector<LostAnalysisRow> rows = Count({.by = {"month"}}).Finalize();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].key, (Key{"2024-05", "price"}));
  EXPECT_EQ(rows[0].counts.lost, 1);
  EXPECT_EQ(rows[1].key, (Key{"2024-06", "price"}));
  EXPECT_EQ(rows[1].counts.lost, 2);
}

TEST(LostAnalysis, ByWeekAndByColumns) {
  // 1 June 2024 is the Saturday of ISO week 22; 10 and 15 June are week 24.
  const std::vector<LostAnalysisRow> weeks =
      Count({.by = {"week"}, .time_zone = "Asia/Shanghai"}).Finalize();
  ASSERT_EQ(weeks.size(), 4u);
  EXPECT_EQ(weeks[0].key, (Key{"2024-W22", "price"}));
  EXPECT_EQ(weeks[0].counts.lost, 2);
  EXPECT_EQ(weeks[1].key, (Key{"2024-W24", "price"}));
  EXPECT_EQ(weeks[2].key, (Key{"2024-W24", std::nullopt}));
  EXPECT_EQ(weeks[3].key, (Key{std::nullopt, "price"}));

  const std::vector<LostAnalysisRow> both =
      Count({.by = {"dealer_id", "channel"}}).Finalize();
  std::vector<Key> keys;
  for (const LostAnalysisRow& row : both) keys.push_back(row.key);
  EXPECT_THAT(keys, ElementsAre(Key{"D1", "showroom", "price"},
                                Key{"D1", "website", "price"},
                                Key{"D2", "phone", "price"},
                                Key{"D2", "website", std::nullopt}));
  EXPECT_EQ(both[1].counts.lost, 2);  // A and E

  // By reason only: price A, B, D, E; none C. A and E approved, B rejected.
  const std::vector<LostAnalysisRow> total = Count({.by = {}}).Finalize();
  ASSERT_EQ(total.size(), 2u);
  EXPECT_EQ(total[0].key, (Key{"price"}));
  EXPECT_DOUBLE_EQ(total[0].share, 0.8);
  EXPECT_DOUBLE_EQ(total[0].rejection_rate(), 1.0 / 3);
}

TEST(LostAnalysis, PointInTimeAndScope) {
  // As of 06-12 00:00 Shanghai: D (lost 06-15) is not lost yet; E (no
  // lost_at) is. Price: A, B, E.
  const Instant june12 = Instant(std::chrono::seconds(1718121600));
  const std::vector<LostAnalysisRow> rows =
      Count({.by = {}}, june12).Finalize();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].counts.lost, 3);
  // Before any lead was created nothing is lost, not even E.
  const Instant april = Instant(std::chrono::seconds(1711900800));
  EXPECT_TRUE(Count({.by = {}}, april).Finalize().empty());
  // In scope: C and D only (dealer D2).
  const std::vector<LostAnalysisRow> d2 =
      Count({.by = {}}, kAsOf, {0, 0, 1, 1, 0, 0}).Finalize();
  ASSERT_EQ(d2.size(), 2u);
  EXPECT_EQ(d2[0].key, (Key{"price"}));
  EXPECT_EQ(d2[0].counts.lost, 1);
  EXPECT_EQ(d2[1].counts.lost, 1);
}

TEST(LostAnalysis, ThreadsAndMergeGiveTheSameState) {
  const LostAnalysisOptions options = {.by = {"month", "channel"},
                                       .time_zone = "Asia/Shanghai"};
  const LostAnalysisState whole = Count(options);
  for (int threads : {2, 3, 6, 8}) {
    EXPECT_TRUE(Count(options, kAsOf, {}, threads) == whole) << threads;
  }
  LostAnalysisState first = Count(options, kAsOf, {1, 1, 1, 0, 0, 0});
  const LostAnalysisState second = Count(options, kAsOf, {0, 0, 0, 1, 1, 1});
  ASSERT_THAT(first.Merge(second), IsOk());
  EXPECT_TRUE(first == whole);
  EXPECT_THAT(first.Merge(Count({.by = {"week"}})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different options")));
}

TEST(LostAnalysis, BytesRoundTrip) {
  const LostAnalysisState state =
      Count({.by = {"month"}, .time_zone = "Asia/Shanghai"});
  const absl::StatusOr<LostAnalysisState> back =
      LostAnalysisState::Deserialize(state.Serialize());
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == state);
  EXPECT_EQ(back->options().time_zone, "Asia/Shanghai");
  const LostAnalysisState empty;
  EXPECT_TRUE(*LostAnalysisState::Deserialize(empty.Serialize()) == empty);
}

TEST(LostAnalysis, BadBytesAreAnError) {
  EXPECT_THAT(
      LostAnalysisState::Deserialize("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  const std::string bytes = Count({.by = {"month", "channel"}}).Serialize();
  EXPECT_THAT(
      LostAnalysisState::Deserialize(bytes.substr(0, bytes.size() - 3)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      LostAnalysisState::Deserialize(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] =
          static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(LostAnalysisState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("lost analysis state bytes")))
          << "byte " << i;
    }
  }
}

TEST(LostAnalysis, BadInputNamesTheRow) {
  struct Case {
    const char* leads;
    LostAnalysisOptions options;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {R"([{"lead_id": "A", "status": "Lost"}])",
       {},
       absl::StatusCode::kInvalidArgument,
       "leads.status: lead_id='A' (row 0) has 'Lost'; expected one of open, "
       "won, lost, invalid"},
      {R"([{"lead_id": "A"}, {"lead_id": "C", "lost_review": "waiting"}])",
       {},
       absl::StatusCode::kInvalidArgument,
       "leads.lost_review: lead_id='C' (row 1) has 'waiting'; expected one of "
       "pending, approved, rejected"},
      {R"([{"lead_id": "A"}, {"lead_id": "A"}])",
       {},
       absl::StatusCode::kInvalidArgument,
       "leads.lead_id: 'A' is given twice (row 1)"},
      {R"([{"lead_id": "A"}])",
       {.by = {"months"}},
       absl::StatusCode::kInvalidArgument,
       "by: cannot group by 'months'; did you mean \"month\"?"},
      {R"([{"lead_id": "A"}])",
       {.time_zone = "Asia/Shangai"},
       absl::StatusCode::kNotFound,
       "Asia/Shangai"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<LeadTable> leads = LeadTable::FromJson(c.leads);
    ASSERT_THAT(leads, IsOk()) << c.leads;
    LostAnalysisState state(c.options);
    EXPECT_THAT(state.Add(leads->columns(), kAsOf),
                StatusIs(c.code, HasSubstr(c.message)))
        << c.leads;
  }
  // A group key given as numbers.
  const std::vector<std::string> ids = {"A"};
  const std::vector<int32_t> codes = {0};
  const std::vector<double> reasons = {3};
  Columns numbers(1);
  ASSERT_THAT(numbers.Add("lead_id", Column::Codes(codes, ids)), IsOk());
  ASSERT_THAT(numbers.Add("lost_reason", Column::Doubles(reasons)), IsOk());
  LostAnalysisState by_reason({.by = {}});
  EXPECT_THAT(by_reason.Add(numbers, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.lost_reason: a group key column holds "
                                 "strings, not double")));

  // Ids as strings without a dictionary (Arrow): "B" comes back at row 3, the
  // first repeat, whatever the threads.
  const std::string chars = "ABCBA";
  const std::vector<int64_t> offsets = {0, 1, 2, 3, 4, 5};
  Columns strings(5);
  ASSERT_THAT(strings.Add("lead_id", Column::Strings(offsets, chars.data())),
              IsOk());
  for (int threads : {1, 2, 3}) {
    LostAnalysisState twice;
    EXPECT_THAT(twice.Add(strings, kAsOf, {}, threads),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("leads.lead_id: 'B' is given twice "
                                   "(row 3)")))
        << threads;
  }

  const LeadTable leads = *LeadTable::FromJson(kLeads);
  LostAnalysisState state;
  EXPECT_THAT(state.Add(leads.columns(), kAsOf, std::vector<uint8_t>(2, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("include holds 2 flags for 6 leads")));
}

// Fault 2 of the hardening issue: review counts that do not add up to the
// lost leads are refused though the checksum is right. Bytes by hand: by
// (none), the zone, one group (the reason "price") with lost, approved,
// rejected, pending and review null.
TEST(SavedStateCanLie, LostReviewsThatDoNotAddUpAreRefused) {
  using state_internal::PutInt;
  using state_internal::PutString;
  const auto bytes = [](int64_t lost, int64_t approved) {
    std::string p;
    PutInt(p, 0);
    PutString(p, "Asia/Shanghai");
    PutInt(p, 1);
    PutInt(p, 1);
    PutString(p, "price");
    for (const int64_t v : {lost, approved, int64_t{1}, int64_t{1},
                            int64_t{0}}) {
      PutInt(p, v);
    }
    return state_internal::Frame("LKLST1", p);
  };
  EXPECT_THAT(LostAnalysisState::Deserialize(bytes(4, 2)), IsOk());
  EXPECT_THAT(LostAnalysisState::Deserialize(bytes(4, 3)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lost 4 is not approved 3 + rejected 1 + "
                                 "pending 1 + review null 0")));
}

}  // namespace
}  // namespace leadkit
