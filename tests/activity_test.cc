// ActivityState: hand-worked tables, point in time, zones, scope, threads,
// merge, bytes and bad input.
#include "leadkit/activity.h"

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Key = std::vector<std::optional<std::string>>;

constexpr const char* kZone = "Asia/Shanghai";

// The example of docs/kpis.md, "Consultants' activity" (Shanghai times):
//   leads  L1 D1 C1 created 06-03 08:50, assigned 06-03 09:00
//          L2 D1 C1 created 06-04 10:00
//          L3 D2 C2 created 06-03 19:00, assigned 06-03 20:00
//          L4 -  -  created 06-04 11:00
//   touches L1 06-03 09:30 phone C1   L1 06-03 15:00 wechat C1
//           L2 06-04 10:30 phone C1   L1 06-04 16:00 fax    C1
//           L3 06-04 09:00 phone C2   L4 06-04 12:00 sms    -
struct Example {
  TestTable leads{4};
  TestTable touches{6};
  Instant as_of = Sh("2024-06-04 16:00");

  Example() {
    leads.Strings("lead_id", {"L1", "L2", "L3", "L4"})
        .Instants("created_at",
                  {Sh("2024-06-03 08:50"), Sh("2024-06-04 10:00"),
                   Sh("2024-06-03 19:00"), Sh("2024-06-04 11:00")})
        .Instants("assigned_at", {Sh("2024-06-03 09:00"), std::nullopt,
                                  Sh("2024-06-03 20:00"), std::nullopt})
        .Strings("dealer_id", {"D1", "D1", "D2", std::nullopt})
        .Strings("consultant_id", {"C1", "C1", "C2", std::nullopt});
    touches.Strings("lead_id", {"L1", "L1", "L2", "L1", "L3", "L4"})
        .Instants("at", {Sh("2024-06-03 09:30"), Sh("2024-06-03 15:00"),
                         Sh("2024-06-04 10:30"), Sh("2024-06-04 16:00"),
                         Sh("2024-06-04 09:00"), Sh("2024-06-04 12:00")})
        .Strings("method", {"phone", "wechat", "phone", "fax", "phone", "sms"})
        .Strings("consultant_id", {"C1", "C1", "C1", "C1", "C2", std::nullopt});
  }

  ActivityState Run(std::vector<std::string> by, bool with_leads = true,
                    int threads = 1,
                    std::span<const uint8_t> include = {}) const {
    ActivityState state(ActivityOptions{.by = std::move(by), .time_zone = kZone});
    EXPECT_THAT(state.Add(touches.columns(),
                          with_leads ? &leads.columns() : nullptr, as_of,
                          include, threads),
                IsOk());
    return state;
  }
};

TEST(Activity, ByConsultantAndDayByHand) {
  const ActivityState state = Example().Run({"consultant_id", "day"});
  EXPECT_THAT(state.methods(), ElementsAre("phone", "wechat", "sms", "email",
                                           "visit", "event", "fax"));
  EXPECT_TRUE(state.has_new_leads());
  const std::vector<ActivityRow> rows = state.Finalize();
  ASSERT_EQ(rows.size(), 5u);
  // C1 on 06-03: L1 by phone and WeChat; L1 assigned that day.
  EXPECT_EQ(rows[0].key, (Key{"C1", "2024-06-03"}));
  EXPECT_EQ(rows[0].contacts, 2);
  EXPECT_THAT(rows[0].contacts_by_method, ElementsAre(1, 1, 0, 0, 0, 0, 0));
  EXPECT_EQ(rows[0].leads_touched, 1);
  EXPECT_EQ(rows[0].new_leads, 1);
  // C1 on 06-04: L2 by phone, L1 by fax; L2 (unassigned) created that day.
  EXPECT_EQ(rows[1].key, (Key{"C1", "2024-06-04"}));
  EXPECT_THAT(rows[1].contacts_by_method, ElementsAre(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(rows[1].leads_touched, 2);
  EXPECT_EQ(rows[1].new_leads, 1);
  // C2 on 06-03: no touch; L3 assigned that day.
  EXPECT_EQ(rows[2].key, (Key{"C2", "2024-06-03"}));
  EXPECT_EQ(rows[2].contacts, 0);
  EXPECT_EQ(rows[2].leads_touched, 0);
  EXPECT_EQ(rows[2].new_leads, 1);
  // C2 on 06-04: L3 by phone.
  EXPECT_EQ(rows[3].key, (Key{"C2", "2024-06-04"}));
  EXPECT_EQ(rows[3].contacts, 1);
  EXPECT_EQ(rows[3].new_leads, 0);
  // No consultant on 06-04: L4 by SMS; L4 (no consultant) created that day.
  EXPECT_EQ(rows[4].key, (Key{std::nullopt, "2024-06-04"}));
  EXPECT_THAT(rows[4].contacts_by_method, ElementsAre(0, 0, 1, 0, 0, 0, 0));
  EXPECT_EQ(rows[4].leads_touched, 1);
  EXPECT_EQ(rows[4].new_leads, 1);
}

TEST(Activity, IsAPointInTime) {
  Example example;
  example.as_of = Sh("2024-06-04 10:45");
  const std::vector<ActivityRow> rows =
      example.Run({"consultant_id"}).Finalize();
  // By 10:45: C1 touched L1 twice and L2 once (the fax comes at 16:00); C2
  // touched L3. L4 and its SMS come later. New: L1, L2 for C1; L3 for C2.
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, Key{"C1"});
  EXPECT_EQ(rows[0].contacts, 3);
  EXPECT_EQ(rows[0].leads_touched, 2);
  EXPECT_EQ(rows[0].new_leads, 2);
  EXPECT_EQ(rows[1].key, Key{"C2"});
  EXPECT_EQ(rows[1].contacts, 1);
  EXPECT_EQ(rows[1].new_leads, 1);
}

TEST(Activity, WithoutLeadsWeekMonthAndDealer) {
  const Example example;
  const ActivityState totals = example.Run({}, /*with_leads=*/false);
  EXPECT_FALSE(totals.has_new_leads());
  const std::vector<ActivityRow> all = totals.Finalize();
  ASSERT_EQ(all.size(), 1u);
  // 6 touches, 3 by phone, 1 fax, of 4 leads.
  EXPECT_EQ(all[0].contacts, 6);
  EXPECT_EQ(all[0].contacts_by_method[0], 3);
  EXPECT_EQ(all[0].contacts_by_method[6], 1);
  EXPECT_EQ(all[0].leads_touched, 4);
  // 2024-06-03 is the Monday of ISO week 23. D1: L1's 3 touches and L2's;
  // new L1, L2. D2: L3's touch, new L3. No dealer: L4.
  const std::vector<ActivityRow> rows =
      example.Run({"dealer_id", "week", "month"}).Finalize();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, (Key{"D1", "2024-W23", "2024-06"}));
  EXPECT_EQ(rows[0].contacts, 4);
  EXPECT_EQ(rows[0].new_leads, 2);
  EXPECT_EQ(rows[1].key, (Key{"D2", "2024-W23", "2024-06"}));
  EXPECT_EQ(rows[2].key, (Key{std::nullopt, "2024-W23", "2024-06"}));
  EXPECT_EQ(rows[2].new_leads, 1);
}

TEST(Activity, DaysFollowTheZone) {
  // 2024-06-03 17:00 UTC is 06-04 01:00 in Shanghai.
  TestTable touches(1);
  touches.Strings("lead_id", {"L1"})
      .Instants("at", {Sh("2024-06-04 01:00")})
      .Strings("method", {"phone"});
  const Instant as_of = Sh("2024-06-05 00:00");
  ActivityState utc(ActivityOptions{.by = {"day"}});
  ASSERT_THAT(utc.Add(touches.columns(), nullptr, as_of), IsOk());
  EXPECT_EQ(utc.Finalize()[0].key, Key{"2024-06-03"});
  ActivityState local(ActivityOptions{.by = {"day"}, .time_zone = kZone});
  ASSERT_THAT(local.Add(touches.columns(), nullptr, as_of), IsOk());
  EXPECT_EQ(local.Finalize()[0].key, Key{"2024-06-04"});
}

TEST(Activity, IncludeLeavesLeadsAndTheirTouchesOut) {
  const std::vector<uint8_t> d1 = {1, 1, 0, 0};
  const std::vector<ActivityRow> rows =
      Example().Run({"consultant_id"}, true, 1, d1).Finalize();
  // D1's leads L1, L2: C1's 4 touches; new L1, L2.
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, Key{"C1"});
  EXPECT_EQ(rows[0].contacts, 4);
  EXPECT_EQ(rows[0].new_leads, 2);
  // A scope applies to the leads: without them it cannot.
  ActivityState state;
  EXPECT_THAT(state.Add(Example().touches.columns(), nullptr,
                        Example().as_of, d1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs the leads")));
}

TEST(Activity, ThreadsAndSplitsGiveTheSameState) {
  const Example example;
  for (bool with_leads : {true, false}) {
    const std::vector<std::string> by = {"consultant_id", "day"};
    const ActivityState one = example.Run(by, with_leads);
    for (int threads : {2, 3, 4, 7}) {
      EXPECT_TRUE(example.Run(by, with_leads, threads) == one)
          << threads << " threads";
    }
  }
  // Leads L1, L2 with their touches in one state, L3, L4 in the other.
  TestTable first_leads(2), second_leads(2), first(4), second(2);
  first_leads.Strings("lead_id", {"L1", "L2"})
      .Instants("created_at", {Sh("2024-06-03 08:50"), Sh("2024-06-04 10:00")})
      .Instants("assigned_at", {Sh("2024-06-03 09:00"), std::nullopt})
      .Strings("dealer_id", {"D1", "D1"})
      .Strings("consultant_id", {"C1", "C1"});
  second_leads.Strings("lead_id", {"L3", "L4"})
      .Instants("created_at", {Sh("2024-06-03 19:00"), Sh("2024-06-04 11:00")})
      .Instants("assigned_at", {Sh("2024-06-03 20:00"), std::nullopt})
      .Strings("dealer_id", {"D2", std::nullopt})
      .Strings("consultant_id", {"C2", std::nullopt});
  first.Strings("lead_id", {"L1", "L1", "L2", "L1"})
      .Instants("at", {Sh("2024-06-03 09:30"), Sh("2024-06-03 15:00"),
                       Sh("2024-06-04 10:30"), Sh("2024-06-04 16:00")})
      .Strings("method", {"phone", "wechat", "phone", "fax"})
      .Strings("consultant_id", {"C1", "C1", "C1", "C1"});
  second.Strings("lead_id", {"L3", "L4"})
      .Instants("at", {Sh("2024-06-04 09:00"), Sh("2024-06-04 12:00")})
      .Strings("method", {"phone", "sms"})
      .Strings("consultant_id", {"C2", std::nullopt});
  const ActivityOptions options{.by = {"consultant_id", "day"},
                                .time_zone = kZone};
  ActivityState a(options), b(options);
  ASSERT_THAT(a.Add(first.columns(), &first_leads.columns(), example.as_of),
              IsOk());
  ASSERT_THAT(b.Add(second.columns(), &second_leads.columns(), example.as_of),
              IsOk());
  ActivityState ab = a, ba = b;
  ASSERT_THAT(ab.Merge(b), IsOk());
  ASSERT_THAT(ba.Merge(a), IsOk());
  const ActivityState whole = example.Run({"consultant_id", "day"});
  EXPECT_TRUE(ab == whole);
  EXPECT_TRUE(ba == whole);
  // Only `a` saw a fax: the merged state has the column all the same.
  EXPECT_THAT(b.methods(), ::testing::SizeIs(6));
  EXPECT_THAT(ba.methods(), ::testing::SizeIs(7));
  EXPECT_THAT(ab.Merge(example.Run({"consultant_id"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("grouped differently")));
}

// Each state numbers consultant ids as its batches bring them: here C10 is
// 0 in one state and C9 is 0 in the other. Merged either way, the groups meet
// by their ids, rows sort as text (C10 before C9) and the bytes are equal.
TEST(Activity, StatesNumberingNamesApartMergeByName) {
  const Instant as_of = Sh("2024-06-04 23:00");
  TestTable first_leads(2), second_leads(2), first(3), second(3);
  first_leads.Strings("lead_id", {"A1", "A2"})
      .Instants("created_at", {Sh("2024-06-03 08:00"), Sh("2024-06-03 08:00")})
      .Strings("consultant_id", {"C10", "C9"});
  first.Strings("lead_id", {"A1", "A2", "A1"})
      .Instants("at", {Sh("2024-06-03 09:00"), Sh("2024-06-03 10:00"),
                       Sh("2024-06-03 11:00")})
      .Strings("method", {"phone", "phone", "wechat"})
      .Strings("consultant_id", {"C10", "C9", "C10"});
  second_leads.Strings("lead_id", {"B1", "B2"})
      .Instants("created_at", {Sh("2024-06-03 08:00"), Sh("2024-06-04 08:00")})
      .Strings("consultant_id", {"C9", "C10"});
  second.Strings("lead_id", {"B1", "B2", "B1"})
      .Instants("at", {Sh("2024-06-03 12:00"), Sh("2024-06-04 09:00"),
                       Sh("2024-06-03 13:00")})
      .Strings("method", {"sms", "phone", "sms"})
      .Strings("consultant_id", {"C9", "C10", "C9"});
  const ActivityOptions options{.by = {"consultant_id", "day"},
                                .time_zone = kZone};
  ActivityState a(options), b(options);
  ASSERT_THAT(a.Add(first.columns(), &first_leads.columns(), as_of), IsOk());
  ASSERT_THAT(b.Add(second.columns(), &second_leads.columns(), as_of), IsOk());
  ActivityState ab = a, ba = b;
  ASSERT_THAT(ab.Merge(b), IsOk());
  ASSERT_THAT(ba.Merge(a), IsOk());
  EXPECT_TRUE(ab == ba);
  EXPECT_EQ(ab.Serialize(), ba.Serialize());
  const std::vector<ActivityRow> rows = ab.Finalize();
  ASSERT_EQ(rows.size(), 3u);
  // C10 on 06-03: A1 by phone and WeChat; A1 received.
  EXPECT_EQ(rows[0].key, (Key{"C10", "2024-06-03"}));
  EXPECT_THAT(rows[0].contacts_by_method, ElementsAre(1, 1, 0, 0, 0, 0));
  EXPECT_EQ(rows[0].leads_touched, 1);
  EXPECT_EQ(rows[0].new_leads, 1);
  // C10 on 06-04: B2 by phone; B2 received.
  EXPECT_EQ(rows[1].key, (Key{"C10", "2024-06-04"}));
  EXPECT_EQ(rows[1].contacts, 1);
  EXPECT_EQ(rows[1].new_leads, 1);
  // C9 on 06-03: A2 by phone, B1 by SMS twice; A2 and B1 received.
  EXPECT_EQ(rows[2].key, (Key{"C9", "2024-06-03"}));
  EXPECT_THAT(rows[2].contacts_by_method, ElementsAre(1, 0, 2, 0, 0, 0));
  EXPECT_EQ(rows[2].leads_touched, 2);
  EXPECT_EQ(rows[2].new_leads, 2);
  // The bytes read back to the same state, which merges as the original.
  absl::StatusOr<ActivityState> back =
      ActivityState::Deserialize(b.Serialize());
  ASSERT_THAT(back.status(), IsOk());
  ActivityState a_back = a;
  ASSERT_THAT(a_back.Merge(*back), IsOk());
  EXPECT_TRUE(a_back == ab);
}

// A lead's touches apart from each other in the table (not grouped by lead)
// still count the lead once per group: L1 on 06-03 twice, L2 between.
TEST(Activity, LeadsTouchedWhenTouchesAreNotGroupedByLead) {
  TestTable leads(2), touches(3);
  leads.Strings("lead_id", {"L1", "L2"})
      .Instants("created_at", {Sh("2024-06-03 08:00"), Sh("2024-06-03 08:00")})
      .Strings("consultant_id", {"C1", "C1"});
  touches.Strings("lead_id", {"L1", "L2", "L1"})
      .Instants("at", {Sh("2024-06-03 09:00"), Sh("2024-06-03 10:00"),
                       Sh("2024-06-03 11:00")})
      .Strings("method", {"phone", "phone", "phone"})
      .Strings("consultant_id", {"C1", "C1", "C1"});
  for (bool with_leads : {true, false}) {
    for (int threads : {1, 2}) {
      ActivityState state(ActivityOptions{.by = {"consultant_id"}});
      ASSERT_THAT(state.Add(touches.columns(),
                            with_leads ? &leads.columns() : nullptr,
                            Sh("2024-06-04 00:00"), {}, threads),
                  IsOk());
      const std::vector<ActivityRow> rows = state.Finalize();
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0].contacts, 3);
      EXPECT_EQ(rows[0].leads_touched, 2)
          << with_leads << " with leads, " << threads << " threads";
    }
  }
}

TEST(Activity, BytesRoundTripAndBadBytes) {
  const ActivityState state = Example().Run({"consultant_id", "day"});
  const std::string bytes = state.Serialize();
  absl::StatusOr<ActivityState> back = ActivityState::Deserialize(bytes);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(*back == state);
  EXPECT_THAT(back->methods(), ::testing::SizeIs(7));
  EXPECT_THAT(ActivityState::Deserialize("nonsense"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("activity state bytes")));
  EXPECT_THAT(
      ActivityState::Deserialize(bytes.substr(0, bytes.size() - 3)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      ActivityState::Deserialize(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] =
          static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(ActivityState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("activity state bytes")))
          << "byte " << i;
    }
  }
}

// Found by state_fuzz: a key part below 0 stands for null, so a day before
// 1970 (day -2 is 1969-12-30) restored as a group that its own bytes wrote
// back as the group without a day.
TEST(ActivityStateDayBefore1970, IsRefusedNotRestoredAsNull) {
  const auto bytes = [](int64_t day) {
    using state_internal::PutInt;
    using state_internal::PutString;
    std::string payload;
    PutInt(payload, 2);
    PutString(payload, "consultant_id");
    PutString(payload, "day");
    PutString(payload, "UTC");
    PutInt(payload, 0);  // no new leads
    PutInt(payload, 0);  // no other methods
    PutInt(payload, 1);  // one group
    PutInt(payload, 1);
    PutString(payload, "C1");
    PutInt(payload, 1);
    PutInt(payload, day);
    for (const int64_t count : {1, 1, 0, 1}) PutInt(payload, count);
    PutString(payload, "phone");
    PutInt(payload, 1);
    return state_internal::Frame("LKACT2", payload);
  };
  absl::StatusOr<ActivityState> day = ActivityState::Deserialize(bytes(19876));
  ASSERT_THAT(day, IsOk());
  EXPECT_EQ(*ActivityState::Deserialize(day->Serialize()), *day);
  EXPECT_THAT(ActivityState::Deserialize(bytes(-2)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("period -2 is out of range")));
}

TEST(Activity, BadInputNamesTheRow) {
  const Example example;
  ActivityState state(ActivityOptions{.time_zone = kZone});
  TestTable few(3);
  few.Strings("lead_id", {"L1", "L2", "L3"})
      .Instants("created_at", {Sh("2024-06-03 08:50"), Sh("2024-06-04 10:00"),
                               Sh("2024-06-03 19:00")});
  EXPECT_THAT(state.Add(example.touches.columns(), &few.columns(),
                        example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "touches.lead_id: row 5 has 'L4', which is not in "
                       "leads"));
  TestTable no_method(2);
  no_method.Strings("lead_id", {"L1", "L2"})
      .Instants("at", {Sh("2024-06-03 09:30"), std::nullopt})
      .Strings("method", {"phone", std::nullopt});
  EXPECT_THAT(state.Add(no_method.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "touches.method: lead_id='L2' (row 1) has no method "
                       "(null)"));
  TestTable no_time(2);
  no_time.Strings("lead_id", {"L1", "L2"})
      .Instants("at", {Sh("2024-06-03 09:30"), std::nullopt})
      .Strings("method", {"phone", "sms"});
  EXPECT_THAT(state.Add(no_time.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "touches.at: lead_id='L2' (row 1) has no time (null)"));
  TestTable twice(2);
  twice.Strings("lead_id", {"L1", "L1"})
      .Instants("created_at", {Sh("2024-06-03 08:50"), Sh("2024-06-03 08:50")});
  EXPECT_THAT(state.Add(example.touches.columns(), &twice.columns(),
                        example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads.lead_id: 'L1' is given twice (row 1)"));
  TestTable uncreated(1);
  uncreated.Strings("lead_id", {"L1"}).Instants("created_at", {std::nullopt});
  TestTable one_touch(1);
  one_touch.Strings("lead_id", {"L1"})
      .Instants("at", {Sh("2024-06-03 09:30")})
      .Strings("method", {"phone"});
  EXPECT_THAT(state.Add(one_touch.columns(), &uncreated.columns(),
                        example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads row 0: lead_id \"L1\": created_at is null"));
  ActivityState dealer(ActivityOptions{.by = {"dealer_id"}});
  EXPECT_THAT(dealer.Add(example.touches.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("by: dealer_id needs the leads table")));
  ActivityState consultant(ActivityOptions{.by = {"consultant"}});
  EXPECT_THAT(consultant.Add(example.touches.columns(), nullptr, example.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("by: cannot group by 'consultant'")));
}

// Fault 2 of the hardening issue: bytes with a right checksum whose counts no
// touches could give are refused. Written by hand in the format's layout: the
// by columns, the zone, the new-leads flag, the other methods, then per group
// its key, contacts, leads_touched, new_leads and the contacts per method.
std::string ActivityBytes(int64_t contacts, int64_t leads_touched,
                          const std::vector<std::pair<std::string, int64_t>>&
                              by_method) {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string p;
  PutInt(p, 1);
  PutString(p, "consultant_id");
  PutString(p, "Asia/Shanghai");
  PutInt(p, 0);  // no new leads counted
  PutInt(p, 0);  // no other methods
  PutInt(p, 1);  // one group
  PutInt(p, 1);
  PutString(p, "C1");
  PutInt(p, contacts);
  PutInt(p, leads_touched);
  PutInt(p, 0);
  PutInt(p, static_cast<int64_t>(by_method.size()));
  for (const auto& [method, n] : by_method) {
    PutString(p, method);
    PutInt(p, n);
  }
  return state_internal::Frame("LKACT2", p);
}

TEST(SavedStateCanLie, ActivityCountsThatNoTouchesCouldGiveAreRefused) {
  EXPECT_THAT(ActivityState::Deserialize(
                  ActivityBytes(5, 3, {{"phone", 3}, {"wechat", 2}})),
              IsOk());
  EXPECT_THAT(ActivityState::Deserialize(
                  ActivityBytes(5, 3, {{"phone", 3}, {"wechat", 3}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "activity state bytes: counts that no touches could "
                       "give: contacts 5 (by method 6), leads_touched 3, "
                       "new_leads 0"));
  EXPECT_THAT(ActivityState::Deserialize(ActivityBytes(5, 6, {{"phone", 5}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads_touched 6")));
  EXPECT_THAT(
      ActivityState::Deserialize(ActivityBytes(1, 1, {{"phone", 2},
                                                      {"sms", -1}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("method \"sms\" has -1 contacts")));
}

}  // namespace
}  // namespace leadkit
