#include "leadkit/columns.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Columns, NullsComeFromValidityNanAndNegativeCodes) {
  std::vector<double> days = {10, NAN, 120};
  std::vector<uint8_t> valid = {1, 1, 0};
  std::vector<int32_t> codes = {0, -1, 1};
  std::vector<std::string> models = {"C200", "GLC"};
  Columns leads(3);
  ASSERT_THAT(
      leads.Add("purchase_within_days", Column::Doubles(days, valid.data())),
      IsOk());
  ASSERT_THAT(leads.Add("model", Column::Codes(codes, models)), IsOk());
  const Column* d = leads.Find("purchase_within_days");
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->IsNull(0));
  EXPECT_TRUE(d->IsNull(1));
  EXPECT_TRUE(d->IsNull(2));
  EXPECT_EQ(d->NumberAt(0), 10);
  const Column* m = leads.Find("model");
  EXPECT_TRUE(m->IsNull(1));
  EXPECT_EQ(m->StringAt(2), "GLC");
  EXPECT_EQ(leads.Find("budget"), nullptr);
}

TEST(Columns, StringsAreViewedWhereTheyLie) {
  const std::string chars = "L1L22L333";
  const std::vector<int64_t> offsets = {0, 2, 5, 5, 9};
  const std::vector<uint8_t> valid = {1, 1, 0, 1};
  Columns leads(4);
  ASSERT_THAT(leads.Add("lead_id",
                        Column::Strings(offsets, chars.data(), valid.data())),
              IsOk());
  const Column* ids = leads.Find("lead_id");
  EXPECT_EQ(ids->type(), ColumnType::kString);
  EXPECT_EQ(ids->size(), 4);
  EXPECT_EQ(ids->ViewAt(0), "L1");
  EXPECT_EQ(ids->ViewAt(1), "L22");
  EXPECT_TRUE(ids->IsNull(2));
  EXPECT_EQ(ids->ViewAt(3), "L333");
  EXPECT_EQ(ColumnTypeName(ids->type()), "strings");
}

TEST(Columns, RejectsDuplicatesWrongLengthsAndCodesPastTheDictionary) {
  std::vector<double> two = {1, 2};
  std::vector<int32_t> codes = {0, 2};
  std::vector<std::string> dictionary = {"a", "b"};
  Columns t(2);
  ASSERT_THAT(t.Add("budget", Column::Doubles(two)), IsOk());
  EXPECT_THAT(
      t.Add("budget", Column::Doubles(two)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
  Columns three(3);
  EXPECT_THAT(three.Add("budget", Column::Doubles(two)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has 2 values but the table has 3 rows")));
  EXPECT_THAT(t.Add("model", Column::Codes(codes, dictionary)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 1: code 2 is past the end")));
}

TEST(LeadRecord, OneRowWithEachTypeAndNullByRemoval) {
  LeadRecord lead;
  lead.SetString("model", "C200")
      .SetBool("test_drive", true)
      .SetNumber("budget", 3e5);
  lead.SetInstant("created_at", 1700000000).SetNumber("age", 30).SetNull("age");
  Columns row = lead.AsColumns();
  EXPECT_EQ(row.num_rows(), 1);
  EXPECT_EQ(row.Find("model")->StringAt(0), "C200");
  EXPECT_EQ(row.Find("test_drive")->NumberAt(0), 1);
  EXPECT_EQ(row.Find("budget")->NumberAt(0), 3e5);
  EXPECT_EQ(row.Find("created_at")->type(), ColumnType::kInstant);
  EXPECT_EQ(row.Find("age"), nullptr);
  // Setting a field again replaces it, whatever its type was.
  lead.SetNumber("model", 1);
  EXPECT_EQ(lead.AsColumns().Find("model")->type(), ColumnType::kDouble);
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

TEST(DefaultAsOf, TheLatestInstantOfEveryTable) {
  // Leads created at 100 and 300 (a null between); touches at 250; a number
  // column of 999 is not an instant and does not count.
  const std::vector<int64_t> created = {100, 0, 300};
  const std::vector<uint8_t> valid = {1, 0, 1};
  const std::vector<int64_t> at = {250};
  const std::vector<double> budget = {999, 999, 999};
  Columns leads(3);
  ASSERT_TRUE(leads.Add("created_at", Column::Instants(created, valid.data())).ok());
  ASSERT_TRUE(leads.Add("budget", Column::Doubles(budget)).ok());
  Columns touches(1);
  ASSERT_TRUE(touches.Add("at", Column::Instants(at)).ok());
  const Columns* both[] = {&leads, &touches};
  absl::StatusOr<int64_t> latest = DefaultAsOfSeconds(both);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, 300);
  const Columns* touches_only[] = {&touches, nullptr};
  EXPECT_EQ(*DefaultAsOfSeconds(touches_only), 250);
  Columns none(0);
  const Columns* empty[] = {&none};
  absl::StatusOr<int64_t> missing = DefaultAsOfSeconds(empty);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("pass as_of="), absl::string_view::npos);
}

}  // namespace
}  // namespace leadkit
