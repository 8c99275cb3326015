#include "leadkit/lead.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadkit {
namespace {

using ::testing::ElementsAre;

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

std::vector<std::string> ValuesOf(const char* field) {
  const LeadFieldInfo* f = FindLeadField(field);
  EXPECT_NE(f, nullptr) << field;
  if (f == nullptr) return {};
  return {f->values.begin(), f->values.end()};
}

// The value sets of docs/data.md, in its order: LeadStatus and LostReview
// (cadence.h) follow it.
TEST(LeadFields, CategoricalFieldsListTheirDocumentedValues) {
  EXPECT_THAT(ValuesOf("channel"),
              ElementsAre("website", "social", "vertical_media", "ecommerce",
                          "showroom", "phone", "auto_show", "test_drive_event",
                          "marketing_event", "referral"));
  EXPECT_THAT(ValuesOf("status"),
              ElementsAre("open", "won", "lost", "invalid"));
  EXPECT_THAT(ValuesOf("sales_stage"),
              ElementsAre("first_contact", "needs_analysis", "presentation",
                          "objection_handling", "negotiation", "won", "lost"));
  EXPECT_THAT(ValuesOf("funnel_stage"), ElementsAre("tofu", "mofu", "bofu"));
  EXPECT_THAT(ValuesOf("lost_review"),
              ElementsAre("pending", "approved", "rejected"));
  // Free text and the grade (named by the policy) have no fixed set.
  for (const char* open : {"model", "city", "lost_reason", "grade", "phone"}) {
    EXPECT_TRUE(ValuesOf(open).empty()) << open;
  }
  EXPECT_EQ(NearestName("webiste", FindLeadField("channel")->values),
            "website");
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
