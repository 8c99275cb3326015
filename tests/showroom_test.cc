// ShowroomState: hand-worked tables, point in time, scope, threads, merge,
// bytes and bad input.
#include "leadkit/showroom.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "report_tables.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::Sh;
using ::leadkit::testing::StatusIs;
using ::leadkit::testing::TestTable;
using ::testing::HasSubstr;
using Key = std::vector<std::optional<std::string>>;

constexpr const char* kZone = "Asia/Shanghai";

// Five visits at two dealers (the example of docs/kpis.md, "Showroom
// traffic"):
//   V1 D1 06-01 10:15-10:45 (30 min) L1 C1 effective  C200
//   V2 D1 06-01 10:40-11:30 (50 min) -  C1 not        GLC
//   V3 D1 06-01 14:05-?              L2 C2 effective  C200
//   V4 D2 06-02 10:20-10:30 (10 min) L3 C3 null       GLC
//   V5 D2 06-02 15:00-16:10 (70 min) L4 C3 effective  -
// Leads: L1 won, L2 lost, L3 open (null), L4 won.
struct Example {
  TestTable visits{5};
  TestTable leads{4};
  Instant as_of = Sh("2024-06-02 16:10");

  explicit Example(std::optional<Instant> l1_won_at = std::nullopt,
                   std::optional<Instant> v2_left = Sh("2024-06-01 11:30")) {
    visits.Strings("visit_id", {"V1", "V2", "V3", "V4", "V5"})
        .Strings("dealer_id", {"D1", "D1", "D1", "D2", "D2"})
        .Instants("arrived_at",
                  {Sh("2024-06-01 10:15"), Sh("2024-06-01 10:40"),
                   Sh("2024-06-01 14:05"), Sh("2024-06-02 10:20"),
                   Sh("2024-06-02 15:00")})
        .Instants("left_at", {Sh("2024-06-01 10:45"), v2_left, std::nullopt,
                              Sh("2024-06-02 10:30"), Sh("2024-06-02 16:10")})
        .Strings("lead_id", {"L1", std::nullopt, "L2", "L3", "L4"})
        .Strings("consultant_id", {"C1", "C1", "C2", "C3", "C3"})
        .Bools("effective", {true, false, true, std::nullopt, true})
        .Strings("model", {"C200", "GLC", "C200", "GLC", std::nullopt});
    leads.Strings("lead_id", {"L1", "L2", "L3", "L4"})
        .Strings("status", {"won", "lost", std::nullopt, "won"})
        .Instants("won_at", {l1_won_at, std::nullopt, std::nullopt,
                             std::nullopt});
  }

  ShowroomState Run(std::vector<std::string> by, int threads = 1,
                    std::span<const uint8_t> include = {}) const {
    ShowroomState state(ShowroomOptions{.by = std::move(by), .time_zone = kZone});
    EXPECT_THAT(state.Add(visits.columns(), &leads.columns(), as_of, include,
                          threads),
                IsOk());
    return state;
  }
};

TEST(Showroom, OverallByHand) {
  const std::vector<ShowroomRow> rows = Example().Run({}).Finalize();
  ASSERT_EQ(rows.size(), 1u);
  const ShowroomRow& r = rows[0];
  // 5 visits; V2 names no lead; V1, V3, V5 effective; L1 and L4 won.
  EXPECT_EQ(r.visits, 5);
  EXPECT_EQ(r.with_contact, 4);
  EXPECT_DOUBLE_EQ(r.contact_share, 0.8);
  EXPECT_EQ(r.effective, 3);
  EXPECT_DOUBLE_EQ(r.effective_share, 0.6);
  EXPECT_EQ(r.won, 2);
  EXPECT_DOUBLE_EQ(r.visit_to_deal_rate, 0.4);
  // Stays of 30, 50, 10 and 70 minutes: 160 / 4 = 40.
  EXPECT_DOUBLE_EQ(r.avg_stay_minutes, 40);
  // C200 twice, GLC twice: a tie, by name.
  EXPECT_EQ(r.top_models, "C200;GLC");
}

TEST(Showroom, ByDealerByHand) {
  const ShowroomState state = Example().Run({"dealer_id"});
  EXPECT_TRUE(state.has_won());
  const std::vector<ShowroomRow> rows = state.Finalize();
  ASSERT_EQ(rows.size(), 2u);
  // D1: V1, V2, V3; contact V1, V3; effective V1, V3; won L1; stays 30, 50.
  EXPECT_EQ(rows[0].key, Key{"D1"});
  EXPECT_EQ(rows[0].visits, 3);
  EXPECT_EQ(rows[0].with_contact, 2);
  EXPECT_EQ(rows[0].effective, 2);
  EXPECT_EQ(rows[0].won, 1);
  EXPECT_DOUBLE_EQ(rows[0].avg_stay_minutes, 40);
  EXPECT_EQ(rows[0].top_models, "C200;GLC");  // C200 twice, GLC once
  // D2: V4, V5; both name leads; V5 effective; L4 won; stays 10, 70; V5
  // names no model.
  EXPECT_EQ(rows[1].key, Key{"D2"});
  EXPECT_EQ(rows[1].visits, 2);
  EXPECT_EQ(rows[1].with_contact, 2);
  EXPECT_EQ(rows[1].effective, 1);
  EXPECT_EQ(rows[1].won, 1);
  EXPECT_DOUBLE_EQ(rows[1].avg_stay_minutes, 40);
  EXPECT_EQ(rows[1].top_models, "GLC");
  EXPECT_EQ(state.Finalize(1)[0].top_models, "C200");
}

TEST(Showroom, HoursSortAsNumbersInTheZone) {
  // Arrivals at 09:30 and 10:00 Shanghai (01:30 and 02:00 UTC): hour 9
  // before hour 10; in UTC, hours 1 and 2.
  TestTable visits(2);
  visits.Strings("visit_id", {"V1", "V2"})
      .Strings("dealer_id", {"D1", "D1"})
      .Instants("arrived_at", {Sh("2024-06-03 10:00"), Sh("2024-06-03 09:30")});
  const Instant as_of = Sh("2024-06-04 00:00");
  ShowroomState local(ShowroomOptions{.by = {"hour", "weekday", "day"},
                                      .time_zone = kZone});
  ASSERT_THAT(local.Add(visits.columns(), nullptr, as_of), IsOk());
  const std::vector<ShowroomRow> rows = local.Finalize();
  ASSERT_EQ(rows.size(), 2u);
  // 2024-06-03 was a Monday: weekday 1.
  EXPECT_EQ(rows[0].key, (Key{"9", "1", "2024-06-03"}));
  EXPECT_EQ(rows[1].key, (Key{"10", "1", "2024-06-03"}));
  EXPECT_FALSE(local.has_won());
  EXPECT_EQ(rows[0].top_models, std::nullopt);
  EXPECT_TRUE(std::isnan(rows[0].avg_stay_minutes));  // no departure known
  ShowroomState utc(ShowroomOptions{.by = {"hour"}, .time_zone = "UTC"});
  ASSERT_THAT(utc.Add(visits.columns(), nullptr, as_of), IsOk());
  EXPECT_EQ(utc.Finalize()[0].key, Key{"1"});
  EXPECT_EQ(utc.Finalize()[1].key, Key{"2"});
}

TEST(Showroom, IsAPointInTime) {
  Example example(/*l1_won_at=*/Sh("2024-06-03 09:00"));
  example.as_of = Sh("2024-06-02 10:25");
  const ShowroomRow r = example.Run({}).Finalize()[0];
  // By 06-02 10:25: V5 has not come; V4 is still there (left 10:30); L1 is
  // won only on 06-03. Stays known: 30 and 50 minutes.
  EXPECT_EQ(r.visits, 4);
  EXPECT_EQ(r.with_contact, 3);
  EXPECT_EQ(r.effective, 2);
  EXPECT_EQ(r.won, 0);
  EXPECT_DOUBLE_EQ(r.avg_stay_minutes, 40);
}

TEST(Showroom, IncludeLeavesRowsOut) {
  const std::vector<uint8_t> d1 = {1, 1, 1, 0, 0};
  const std::vector<ShowroomRow> rows =
      Example().Run({"dealer_id"}, 1, d1).Finalize();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, Key{"D1"});
  EXPECT_EQ(rows[0].visits, 3);
}

TEST(Showroom, EmptyTables) {
  TestTable visits(0);
  visits.Strings("visit_id", {}).Strings("dealer_id", {}).Instants(
      "arrived_at", {});
  ShowroomState whole;
  ASSERT_THAT(whole.Add(visits.columns(), nullptr, Sh("2024-06-01 00:00")),
              IsOk());
  const std::vector<ShowroomRow> rows = whole.Finalize();
  ASSERT_EQ(rows.size(), 1u);  // one row when not grouped, however empty
  EXPECT_EQ(rows[0].visits, 0);
  EXPECT_TRUE(std::isnan(rows[0].contact_share));
  EXPECT_EQ(rows[0].top_models, std::nullopt);
  ShowroomState grouped(ShowroomOptions{.by = {"dealer_id"}});
  ASSERT_THAT(grouped.Add(visits.columns(), nullptr, Sh("2024-06-01 00:00")),
              IsOk());
  EXPECT_TRUE(grouped.Finalize().empty());
}

TEST(Showroom, ThreadsAndSplitsGiveTheSameState) {
  const Example example;
  const ShowroomState one = example.Run({"dealer_id", "model"});
  for (int threads : {2, 3, 5, 8}) {
    EXPECT_TRUE(example.Run({"dealer_id", "model"}, threads) == one)
        << threads << " threads";
  }
  // Visits 0-2 in one state, 3-4 in another, merged either way.
  const std::vector<uint8_t> first = {1, 1, 1, 0, 0};
  const std::vector<uint8_t> second = {0, 0, 0, 1, 1};
  ShowroomState a = example.Run({"dealer_id", "model"}, 1, first);
  const ShowroomState b = example.Run({"dealer_id", "model"}, 1, second);
  ShowroomState c = b;
  ASSERT_THAT(a.Merge(b), IsOk());
  ASSERT_THAT(c.Merge(example.Run({"dealer_id", "model"}, 1, first)), IsOk());
  EXPECT_TRUE(a == one);
  EXPECT_TRUE(c == one);
  EXPECT_THAT(a.Merge(example.Run({"hour"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("grouped differently")));
}

TEST(Showroom, BytesRoundTrip) {
  const ShowroomState state = Example().Run({"dealer_id", "hour"});
  absl::StatusOr<ShowroomState> back =
      ShowroomState::Deserialize(state.Serialize());
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(*back == state);
  EXPECT_EQ(back->options().time_zone, kZone);
  EXPECT_EQ(back->Finalize().size(), state.Finalize().size());
}

TEST(Showroom, BadBytesAreAnError) {
  EXPECT_THAT(ShowroomState::Deserialize("nonsense"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("showroom state bytes")));
  const std::string bytes = Example().Run({"dealer_id"}).Serialize();
  EXPECT_THAT(
      ShowroomState::Deserialize(bytes.substr(0, bytes.size() - 3)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      ShowroomState::Deserialize(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] =
          static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(ShowroomState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("showroom state bytes")))
          << "byte " << i;
    }
  }
}

// Fault 2 of the hardening issue: bytes with a right checksum whose group
// columns or counts no visits could give are refused. Written by hand in the
// format's layout: the by columns, the zone, the won flag, then per group the
// key (by columns and model) and six counts.
std::string ShowroomBytes(const std::vector<std::string>& by,
                          const std::vector<int64_t>& counts) {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string p;
  PutInt(p, static_cast<int64_t>(by.size()));
  for (const std::string& name : by) PutString(p, name);
  PutString(p, "Asia/Shanghai");
  PutInt(p, 1);  // won counted
  PutInt(p, 1);  // one group
  for (size_t i = 0; i <= by.size(); ++i) {
    PutInt(p, 1);
    PutString(p, "D1");
  }
  for (const int64_t c : counts) PutInt(p, c);
  return state_internal::Frame("LKSHW1", p);
}

TEST(SavedStateCanLie, ShowroomCountsAndColumnsThatCannotBeAreRefused) {
  // visits, with_contact, effective, stayed, stay_seconds, won
  EXPECT_THAT(ShowroomState::Deserialize(
                  ShowroomBytes({"dealer_id"}, {10, 6, 5, 4, 3600, 2})),
              IsOk());
  for (const std::vector<int64_t>& counts :
       std::vector<std::vector<int64_t>>{{-1, 0, 0, 0, 0, 0},
                                         {10, 11, 5, 4, 3600, 2},
                                         {10, 6, 12, 4, 3600, 2},
                                         {10, 6, 5, 4, -60, 2},
                                         {10, 6, 5, 0, 60, 2},
                                         {10, 6, 5, 4, 3600, 7}}) {
    EXPECT_THAT(ShowroomState::Deserialize(ShowroomBytes({"dealer_id"}, counts)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("showroom state bytes: counts that no "
                                   "visits could give")))
        << counts[0] << " " << counts[1] << " " << counts[5];
  }
  EXPECT_THAT(ShowroomState::Deserialize(
                  ShowroomBytes({"dealer_ie"}, {10, 6, 5, 4, 3600, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("showroom state bytes: by: cannot group by "
                                 "'dealer_ie'")));
}

TEST(Showroom, BadInputNamesTheRow) {
  const Example example;
  ShowroomState state(ShowroomOptions{.time_zone = kZone});
  // V2 leaves at 10:00, before it arrived at 10:40.
  const Example early(std::nullopt, Sh("2024-06-01 10:00"));
  EXPECT_THAT(state.Add(early.visits.columns(), nullptr, early.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visits.left_at: visit_id='V2' (row 1) left at "
                       "2024-06-01T10:00:00+08:00, before it arrived at "
                       "2024-06-01T10:40:00+08:00"));
  // L3 is not among the leads.
  TestTable leads(2);
  leads.Strings("lead_id", {"L1", "L2"});
  EXPECT_THAT(state.Add(example.visits.columns(), &leads.columns(),
                        example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visits.lead_id: visit_id='V4' (row 3) has 'L3', "
                       "which is not in leads"));
  TestTable twice(2);
  twice.Strings("visit_id", {"V1", "V1"})
      .Strings("dealer_id", {"D1", "D1"})
      .Instants("arrived_at", {Sh("2024-06-01 10:00"), std::nullopt});
  EXPECT_THAT(state.Add(twice.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visits.visit_id: 'V1' is given twice (row 1)"));
  TestTable unknown(2);
  unknown.RawStrings("visit_id", {"V1", "V2"})
      .Strings("dealer_id", {"D1", "D1"})
      .Instants("arrived_at", {Sh("2024-06-01 10:00"), std::nullopt});
  EXPECT_THAT(state.Add(unknown.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visits.arrived_at: visit_id='V2' (row 1) has no time "
                       "(null)"));
  TestTable sold(1);
  sold.Strings("lead_id", {"L1"}).Strings("status", {"sold"});
  EXPECT_THAT(state.Add(example.visits.columns(), &sold.columns(),
                        example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.status: lead_id='L1' (row 0) has "
                                 "'sold'; expected one of open")));
  ShowroomState hours(ShowroomOptions{.by = {"hours"}});
  EXPECT_THAT(hours.Add(example.visits.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("by: cannot group by 'hours'")));
  ShowroomState nowhere(ShowroomOptions{.time_zone = "Asia/Shangai"});
  EXPECT_THAT(nowhere.Add(example.visits.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Asia/Shangai")));
  const std::vector<uint8_t> short_mask = {1, 1};
  EXPECT_THAT(state.Add(example.visits.columns(), nullptr, example.as_of,
                        short_mask),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("include holds 2 flags for 5 visits")));
  TestTable typed(1);
  typed.Strings("visit_id", {"V1"})
      .Strings("dealer_id", {"D1"})
      .Strings("arrived_at", {"yesterday"});
  EXPECT_THAT(state.Add(typed.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("visits.arrived_at: expected instants")));
}

}  // namespace
}  // namespace leadkit
