// The customer profile on the hand-worked example of docs/kpis.md: age bands,
// other cuts, two keys, the point in time, scopes, threads, merging, the
// state's bytes and bad input (personal data never a group).
#include "leadkit/profile.h"

#include <cmath>
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

// docs/kpis.md: seven leads created 2024-05-01 10:00 (Shanghai).
constexpr char kLeads[] = R"([
  {"lead_id": "P1", "created_at": "2024-05-01T10:00:00+08:00", "age": 24,
   "gender": "female", "status": "won", "dealer_id": "D1",
   "phone": "13800000001"},
  {"lead_id": "P2", "created_at": "2024-05-01T10:00:00+08:00", "age": 25,
   "gender": "male", "dealer_id": "D1", "phone": "13800000001"},
  {"lead_id": "P3", "created_at": "2024-05-01T10:00:00+08:00", "age": 34,
   "gender": "male", "status": "won", "dealer_id": "D2"},
  {"lead_id": "P4", "created_at": "2024-05-01T10:00:00+08:00", "age": 40,
   "gender": "female", "status": "lost", "dealer_id": "D2"},
  {"lead_id": "P5", "created_at": "2024-05-01T10:00:00+08:00",
   "gender": "male", "status": "open", "dealer_id": "D1"},
  {"lead_id": "P6", "created_at": "2024-05-01T10:00:00+08:00", "age": 60,
   "gender": "female", "status": "invalid", "dealer_id": "D1"},
  {"lead_id": "P7", "created_at": "2024-05-01T10:00:00+08:00", "age": 58,
   "gender": "male", "status": "won"}
])";

const Instant kAsOf = Instant(std::chrono::seconds(1718856000));  // 06-20

ProfileState Count(ProfileOptions options, const char* json = kLeads,
                 Instant as_of = kAsOf, std::vector<uint8_t> include = {},
                 int threads = 1) {
  const LeadTable leads = *LeadTable::FromJson(json);
  ProfileState state(std::move(options));
  EXPECT_THAT(state.Add(leads.columns(), as_of, include, threads), IsOk());
  return state;
}

TEST(Profile, AgeBandLabels) {
  const std::vector<int64_t> standard = {25, 35, 45, 55};
  EXPECT_THAT(AgeBandLabels(standard),
              ElementsAre("<25", "25-34", "35-44", "45-54", "55+"));
  const std::vector<int64_t> two = {30, 50};
  EXPECT_THAT(AgeBandLabels(two), ElementsAre("<30", "30-49", "50+"));
}

TEST(Profile, ByAgeBandByHand) {
  const std::vector<ProfileRow> rows = Count({.by = {"age_band"}}).Finalize();
  // <25: P1 (won). 25-34: P2, P3 (won). 35-44: P4. 45-54: nobody. 55+: P7
  // (won) and the invalid P6. P5 has no age. Six valid leads in all.
  std::vector<Key> keys;
  for (const ProfileRow& row : rows) keys.push_back(row.key);
  EXPECT_THAT(keys, ElementsAre(Key{"<25"}, Key{"25-34"}, Key{"35-44"},
                                Key{"55+"}, Key{std::nullopt}));
  EXPECT_EQ(rows[1].counts, (ProfileCounts{.leads = 2, .won = 1}));
  EXPECT_EQ(rows[3].counts,
            (ProfileCounts{.leads = 1, .won = 1, .invalid = 1}));
  EXPECT_EQ(rows[4].counts, (ProfileCounts{.leads = 1}));
  EXPECT_DOUBLE_EQ(rows[1].share, 2.0 / 6);
  EXPECT_DOUBLE_EQ(rows[1].conversion_rate(), 0.5);
  EXPECT_DOUBLE_EQ(rows[0].share, 1.0 / 6);
}

TEST(Profile, TwoKeysAndOtherBands) {
  const std::vector<ProfileRow> rows =
      Count({.by = {"gender", "age_band"}, .age_bands = {30, 50}}).Finalize();
  // female: P1 (<30), P4 (30-49), P6 invalid (50+). male: P2 (<30), P3
  // (30-49), P7 (50+), P5 (no age).
  std::vector<Key> keys;
  for (const ProfileRow& row : rows) keys.push_back(row.key);
  EXPECT_THAT(keys,
              ElementsAre(Key{"female", "<30"}, Key{"female", "30-49"},
                          Key{"female", "50+"}, Key{"male", "<30"},
                          Key{"male", "30-49"}, Key{"male", "50+"},
                          Key{"male", std::nullopt}));
  // Only an invalid lead: 0 / 0.
  EXPECT_EQ(rows[2].counts, (ProfileCounts{.invalid = 1}));
  EXPECT_TRUE(std::isnan(rows[2].conversion_rate()));
  EXPECT_DOUBLE_EQ(rows[2].share, 0.0);
  // Ungrouped: one row of the six valid leads, three won, one invalid.
  const std::vector<ProfileRow> all = Count({}).Finalize();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].counts, (ProfileCounts{.leads = 6, .won = 3, .invalid = 1}));
  EXPECT_DOUBLE_EQ(all[0].share, 1.0);
}

TEST(Profile, PointInTimeAndScope) {
  // P7 created 06-01; P1 won 05-03, P3 won 05-20, P7 won 06-02.
  constexpr char kLater[] = R"([
    {"lead_id": "P1", "created_at": "2024-05-01T10:00:00+08:00",
     "gender": "female", "status": "won",
     "won_at": "2024-05-03T10:00:00+08:00"},
    {"lead_id": "P3", "created_at": "2024-05-01T10:00:00+08:00",
     "gender": "male", "status": "won", "won_at": "2024-05-20T10:00:00+08:00"},
    {"lead_id": "P6", "created_at": "2024-05-01T10:00:00+08:00",
     "gender": "female", "status": "invalid"},
    {"lead_id": "P7", "created_at": "2024-06-01T10:00:00+08:00",
     "gender": "male", "status": "won", "won_at": "2024-06-02T10:00:00+08:00"}
  ])";
  // As of 05-10 00:00: P7 does not exist; P3's win is ahead; P1's counts.
  const Instant may10 = Instant(std::chrono::seconds(1715270400));
  const std::vector<ProfileRow> rows =
      Count({.by = {"gender"}}, kLater, may10).Finalize();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].counts,
            (ProfileCounts{.leads = 1, .won = 1, .invalid = 1}));
  EXPECT_EQ(rows[1].counts, (ProfileCounts{.leads = 1, .won = 0}));
  // In scope: P3 and P4 (dealer D2): a man who won and a woman.
  const std::vector<ProfileRow> d2 =
      Count({.by = {"gender"}}, kLeads, kAsOf, {0, 0, 1, 1, 0, 0, 0})
          .Finalize();
  ASSERT_EQ(d2.size(), 2u);
  EXPECT_EQ(d2[0].counts, (ProfileCounts{.leads = 1}));
  EXPECT_EQ(d2[1].counts, (ProfileCounts{.leads = 1, .won = 1}));
  EXPECT_DOUBLE_EQ(d2[0].share, 0.5);
}

TEST(Profile, ThreadsMergeAndBytes) {
  const ProfileOptions options = {.by = {"age_band", "gender"}};
  const ProfileState whole = Count(options);
  for (int threads : {2, 3, 7, 9}) {
    EXPECT_TRUE(Count(options, kLeads, kAsOf, {}, threads) == whole) << threads;
  }
  ProfileState part = Count(options, kLeads, kAsOf, {1, 0, 1, 0, 1, 0, 1});
  ASSERT_THAT(part.Merge(Count(options, kLeads, kAsOf, {0, 1, 0, 1, 0, 1, 0})),
              IsOk());
  EXPECT_TRUE(part == whole);
  EXPECT_THAT(part.Merge(Count({.by = {"age_band"}, .age_bands = {30}})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different options")));
  const absl::StatusOr<ProfileState> back =
      ProfileState::Deserialize(whole.Serialize());
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == whole);
}

TEST(Profile, BadBytesAreAnError) {
  EXPECT_THAT(
      ProfileState::Deserialize("LKLST1 not a profile"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  const std::string bytes = Count({.by = {"age_band", "gender"}}).Serialize();
  EXPECT_THAT(
      ProfileState::Deserialize(bytes.substr(0, bytes.size() - 1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      ProfileState::Deserialize(bytes + "xy"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] =
          static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(ProfileState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("profile state bytes")))
          << "byte " << i;
    }
  }
}

TEST(Profile, BadInputNamesTheRow) {
  struct Case {
    const char* leads;
    ProfileOptions options;
    const char* message;
  };
  const Case cases[] = {
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z"}])",
       {.by = {"phone"}},
       "by: 'phone' is personal data and cannot be a group"},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z"}])",
       {.by = {"age_bands"}},
       "by: cannot group by 'age_bands'; did you mean \"age_band\"?"},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z"}])",
       {.by = {"age_band"}, .age_bands = {30, 30}},
       "age_bands: edges must increase strictly, got [30, 30]"},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z"}])",
       {.by = {"age_band"}, .age_bands = {}},
       "age_bands: expected at least one edge"},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z", "age": 20},
          {"lead_id": "P2", "created_at": "2024-05-01T10:00:00Z", "age": -3}])",
       {.by = {"age_band"}},
       "leads.age: lead_id='P2' (row 1) has -3"},
      {R"([{"lead_id": "P1"}])",
       {.by = {"gender"}},
       "leads: missing required column \"created_at\""},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z"},
          {"lead_id": "P2", "created_at": null}])",
       {.by = {"gender"}},
       "leads row 1: lead_id \"P2\": created_at is null"},
      {R"([{"lead_id": "P1", "created_at": "2024-05-01T10:00:00Z",
            "status": "sold"}])",
       {.by = {"gender"}},
       "leads.status: lead_id='P1' (row 0) has 'sold'"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<LeadTable> leads = LeadTable::FromJson(c.leads);
    ASSERT_THAT(leads, IsOk()) << c.leads;
    ProfileState state(c.options);
    EXPECT_THAT(state.Add(leads->columns(), kAsOf),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.leads;
  }
  // An infinite age, read as a double.
  const std::vector<std::string> ids = {"P1"};
  const std::vector<int32_t> codes = {0};
  const std::vector<int64_t> created = {0};
  const std::vector<double> ages = {INFINITY};
  Columns leads(1);
  ASSERT_THAT(leads.Add("lead_id", Column::Codes(codes, ids)), IsOk());
  ASSERT_THAT(leads.Add("created_at", Column::Instants(created)), IsOk());
  ASSERT_THAT(leads.Add("age", Column::Doubles(ages)), IsOk());
  ProfileState state({.by = {"age_band"}});
  EXPECT_THAT(state.Add(leads, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.age: lead_id='P1' (row 0) has inf; "
                                 "expected an age of 0 or more")));
}

// Fault 2 of the hardening issue: a won count above the leads is refused
// though the checksum is right. Bytes by hand: by (none), the age-band edges,
// one group with leads, won and invalid.
TEST(SavedStateCanLie, ProfileWonAboveLeadsIsRefused) {
  using state_internal::PutInt;
  const auto bytes = [](int64_t leads, int64_t won) {
    std::string p;
    PutInt(p, 0);  // by: none
    PutInt(p, 2);
    PutInt(p, 25);
    PutInt(p, 35);
    PutInt(p, 1);  // one group (no key parts)
    PutInt(p, leads);
    PutInt(p, won);
    PutInt(p, 0);
    return state_internal::Frame("LKPRF1", p);
  };
  EXPECT_THAT(ProfileState::Deserialize(bytes(4, 4)), IsOk());
  EXPECT_THAT(ProfileState::Deserialize(bytes(4, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("won 5 is more than leads 4")));
}

}  // namespace
}  // namespace leadkit
