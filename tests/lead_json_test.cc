#include "leadkit/lead_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LeadTable, ReadsEveryFieldType) {
  absl::StatusOr<LeadTable> t = LeadTable::FromJson(R"([
    {"lead_id": "L1", "model": "C200", "purchase_within_days": 30, "asked_price": true,
     "created_at": "2026-03-02T09:15:00+08:00", "birthday": "1990-05-01"},
    {"lead_id": "L2", "model": null, "asked_price": false, "created_at": 1772414100,
     "entered_at": "2026-03-02T01:15:00Z"},
    {"lead_id": "L3"}
  ])");
  ASSERT_THAT(t, IsOk());
  const Columns& c = t->columns();
  EXPECT_EQ(c.num_rows(), 3);
  EXPECT_EQ(c.Find("model")->StringAt(0), "C200");
  EXPECT_TRUE(c.Find("model")->IsNull(1));
  EXPECT_TRUE(c.Find("model")->IsNull(2));
  EXPECT_EQ(c.Find("purchase_within_days")->NumberAt(0), 30);
  EXPECT_TRUE(c.Find("purchase_within_days")->IsNull(1));
  EXPECT_EQ(c.Find("asked_price")->NumberAt(1), 0);
  // 2026-03-02 09:15 in Shanghai is 01:15 UTC: 1772414100 seconds.
  EXPECT_EQ(c.Find("created_at")->data<int64_t>()[0], 1772414100);
  EXPECT_EQ(c.Find("created_at")->data<int64_t>()[1], 1772414100);
  EXPECT_EQ(c.Find("entered_at")->data<int64_t>()[1], 1772414100);
  EXPECT_TRUE(c.Find("entered_at")->IsNull(0));
  // 1990-05-01 is day 7425 of the epoch.
  EXPECT_EQ(c.Find("birthday")->data<int64_t>()[0], 7425);
}

TEST(LeadTable, ErrorsNameTheLeadFieldAndValue) {
  EXPECT_THAT(
      LeadTable::FromJson(
          R"([{"lead_id": "L2", "purchase_within_days": "soon"}])"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(
                   "leads[0] (lead_id \"L2\").purchase_within_days: expected a "
                   "number, got the string \"soon\"")));
  EXPECT_THAT(
      LeadTable::FromJson(
          R"([{"lead_id": "a"}, {"lead_id": "b", "modle": "C200"}])"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(
                   "leads[1] (lead_id \"b\"): unknown field \"modle\"; did you "
                   "mean \"model\"?")));
  EXPECT_THAT(
      LeadTable::FromJson(R"([{"created_at": 18446744073709551615}])"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("created_at")));
  EXPECT_THAT(
      LeadTable::FromJson(R"([{"created_at": "2026-03-02T09:15:00"}])"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("created_at: expected an ISO 8601 time with an offset")));
  EXPECT_THAT(
      LeadTable::FromJson(R"({"lead_id": "a"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON array")));
  EXPECT_THAT(LeadTable::FromJson("[{"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("malformed JSON")));
}

// Found by tests/fuzz/lead_table_fuzz: a time of day whose hour or minute is
// not two digits reached date::parse, which then converted an uninitialized
// long double to an integer (undefined behaviour, reported by
// UndefinedBehaviorSanitizer only when the stack held a NaN). Such text is now
// refused before date::parse reads it.
TEST(LeadTableMalformedTimeOfDay, IsAnErrorNamingTheValue) {
  for (const std::string time :
       {"2024-06-01T-9:00:00+08:00", "2024-06-01T9:00:00+08:00",
        "2024-06-01T09:x0:00Z", "2024-06-01T09:00:-1+08:00",
        "2024-06-01T09:00", "2024-06-01 09:00:0"}) {
    EXPECT_THAT(
        LeadTable::FromJson(absl::StrCat(R"([{"lead_id": "L14", "created_at": ")",
                                         time, R"("}])")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat(
                     "leads[0] (lead_id \"L14\").created_at: expected an "
                     "ISO 8601 time with an offset, or epoch seconds, got the "
                     "string \"",
                     time, "\""))))
        << time;
  }
  // The forms the header documents still read.
  for (const std::string time :
       {"2024-06-01T09:00:00+08:00", "2024-06-01 01:00:00Z",
        "2024-06-01T01:00:00.250Z", "2024-06-01T09:00:00+0800"}) {
    absl::StatusOr<LeadTable> t = LeadTable::FromJson(
        absl::StrCat(R"([{"lead_id": "L1", "created_at": ")", time, R"("}])"));
    ASSERT_THAT(t.status(), IsOk()) << time;
    EXPECT_EQ(t->columns().Find("created_at")->data<int64_t>()[0], 1717203600)
        << time;
  }
}

TEST(LeadTable, MasksPersonalValuesInErrors) {
  absl::StatusOr<LeadTable> t =
      LeadTable::FromJson(R"([{"phone": 13800138000}])");
  EXPECT_THAT(t,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("phone: expected a string, got 138****8000")));
  EXPECT_THAT(t.status().message(), ::testing::Not(HasSubstr("13800138000")));
}

}  // namespace
}  // namespace leadkit
