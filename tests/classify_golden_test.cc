// The four presets over a fixed set of leads
// (tests/golden/classify_leads.json); the expected grades and rules in
// tests/golden/classify_expected.json were worked out by hand.
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/classify.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "nlohmann/json.hpp"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, BatchAndSingleLeadMatchTheHandWorkedGrades) {
  const std::string leads_text =
      ReadFile(LEADKIT_TEST_DATA_DIR "/golden/classify_leads.json");
  const nlohmann::json leads = nlohmann::json::parse(leads_text);
  const nlohmann::json expected = nlohmann::json::parse(ReadFile(
      LEADKIT_TEST_DATA_DIR "/golden/classify_expected.json"))[GetParam()];
  absl::StatusOr<Policy> policy = Policy::Preset(GetParam());
  ASSERT_THAT(policy, IsOk());
  absl::StatusOr<LeadTable> parsed = LeadTable::FromJson(leads_text);
  ASSERT_THAT(parsed, IsOk());
  const LeadTable& table = *parsed;
  const auto n = static_cast<size_t>(table.columns().num_rows());
  std::vector<int32_t> grades(n), rules(n);
  ASSERT_THAT(ClassifyBatch(*policy, table.columns(), grades, rules), IsOk());
  std::string
      actual;  // printed on mismatch, ready to paste into the golden file
  bool all_match = true;
  for (size_t i = 0; i < n; ++i) {
    const std::string id = leads[i]["lead_id"];
    const std::string grade = policy->grades()[static_cast<size_t>(grades[i])];
    const std::string rule = policy->rules()[static_cast<size_t>(rules[i])].id;
    actual += "\"" + id + "\": [\"" + grade + "\", \"" + rule + "\"], ";
    all_match &= expected[id][0] == grade && expected[id][1] == rule;
    absl::StatusOr<Classification> one =
        Classify(*policy, table.columns(), static_cast<int64_t>(i));
    ASSERT_THAT(one, IsOk());
    EXPECT_EQ(one->grade_name, grade) << id;
    EXPECT_EQ(one->rule_id, rule) << id;
    EXPECT_FALSE(one->reasons.empty()) << id;
  }
  EXPECT_TRUE(all_match) << "actual: " << actual;
}

INSTANTIATE_TEST_SUITE_P(Presets, GoldenTest,
                         ::testing::Values("three_level", "abcd", "oabc",
                                           "funnel"));

}  // namespace
}  // namespace leadkit
