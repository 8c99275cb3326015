#include "leadkit/lead.h"

#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace leadkit {
namespace {

TEST(LeadFields, CatalogueFollowsTheDataContract) {
  const LeadFieldInfo* f = FindLeadField("purchase_within_days");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, FieldType::kNumber);
  EXPECT_FALSE(f->personal);
  EXPECT_EQ(FindLeadField("created_at")->type, FieldType::kInstant);
  EXPECT_TRUE(FindLeadField("created_at")->required);
  EXPECT_EQ(FindLeadField("birthday")->type, FieldType::kDate);
  for (const char* personal : {"name", "phone", "wechat", "email"}) {
    EXPECT_TRUE(FindLeadField(personal)->personal) << personal;
  }
  EXPECT_EQ(FindLeadField("nonsense"), nullptr);
  EXPECT_EQ(LeadFields().size(), 40u);
}

TEST(NearestLeadField, SuggestsPlausibleTyposOnly) {
  EXPECT_EQ(NearestLeadField("purchase_within_day"), "purchase_within_days");
  EXPECT_EQ(NearestLeadField("modle"), "model");
  EXPECT_EQ(NearestLeadField("asked_prise"), "asked_price");
  EXPECT_EQ(NearestLeadField("zzzzzzzzzzzzzz"), "");
}

TEST(NearestName, AnExplicitLimitCountsEdits) {
  const std::vector<absl::string_view> columns = {"consultant", "chanel"};
  // "consultant" is 3 edits from "consultant_id": within the default limit
  // (max(2, 13 / 3) = 4), not within 2.
  EXPECT_EQ(NearestName("consultant_id", columns), "consultant");
  EXPECT_EQ(NearestName("consultant_id", columns, 2), "");
  EXPECT_EQ(NearestName("consultant_id", columns, 3), "consultant");
  EXPECT_EQ(NearestName("channel", columns, 2), "chanel");  // 1 edit
  EXPECT_EQ(NearestName("channel", columns, 0), "");
  EXPECT_EQ(NearestName("chanel", columns, 0), "chanel");
}

}  // namespace
}  // namespace leadkit
