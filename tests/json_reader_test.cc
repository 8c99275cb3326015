// The document reader every JSON loader shares (src/json_reader.h): the nesting
// limit, seen through each loader, and the pointers of what it reports.
#include "json_reader.h"

#include <span>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/calendar.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

// `levels` arrays, one inside the other: "[[...]]".
std::string NestedArrays(size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

// `levels` objects, each the value of key "a" of the one around it.
std::string NestedObjects(size_t levels) {
  std::string text;
  for (size_t i = 1; i < levels; ++i) text += "{\"a\":";
  text += "{}";
  text += std::string(levels - 1, '}');
  return text;
}

// "/0/0/..." with `n` steps.
std::string Zeros(size_t n) {
  std::string path;
  for (size_t i = 0; i < n; ++i) path += "/0";
  return path;
}

std::vector<Issue> Errors(std::span<const Issue> issues) {
  std::vector<Issue> out;
  for (const Issue& issue : issues) {
    if (issue.severity == Severity::kError) out.push_back(issue);
  }
  return out;
}

constexpr size_t kTwoMegabytes = 2 * 1024 * 1024;

TEST(DeeplyNestedJson, TwoMegabytesOfArraysInAPolicyIsOneErrorWithItsPath) {
  // {"rules": [[[...]]]}: the document is level 1, "rules" level 2, and each
  // array inside adds one; level 101 is reached 99 steps below /rules.
  const std::string text =
      "{\"rules\":" + NestedArrays(kTwoMegabytes / 2) + "}";
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  ASSERT_THAT(load, IsOk());
  const std::vector<Issue> errors = Errors(load->issues());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/rules" + Zeros(99));
  EXPECT_EQ(errors[0].message,
            "policy document nests arrays and objects deeper than 100 levels");
  EXPECT_THAT(load->policy(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("")));
}

TEST(DeeplyNestedJson, TwoMegabytesOfObjectsInACalendarIsOneErrorWithItsPath) {
  // Level 1 is the document at "", level k is at "/a" repeated k - 1 times.
  absl::StatusOr<CalendarLoad> load =
      Calendar::FromJson(NestedObjects(kTwoMegabytes / 6));
  ASSERT_THAT(load, IsOk());
  const std::vector<Issue> errors = Errors(load->issues());
  ASSERT_EQ(errors.size(), 1u);
  std::string path;
  for (int i = 0; i < 100; ++i) path += "/a";
  EXPECT_EQ(errors[0].path, path);
  EXPECT_EQ(errors[0].message,
            "calendar document nests arrays and objects deeper than 100 levels");
}

TEST(DeeplyNestedJson, TwoMegabytesOfArraysAsLeadsIsInvalidArgumentWithThePath) {
  EXPECT_THAT(
      LeadTable::FromJson(NestedArrays(kTwoMegabytes / 2)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("leads: " + Zeros(100) +
                         ": leads document nests arrays and objects deeper "
                         "than 100 levels")));
}

TEST(DeeplyNestedJson, AHundredLevelsAreRead) {
  std::vector<Issue> issues;
  absl::StatusOr<std::optional<json_internal::Json>> parsed =
      json_internal::ParseDocument(NestedArrays(100), "test", issues);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->has_value());
  EXPECT_TRUE(issues.empty());
  parsed = json_internal::ParseDocument(NestedArrays(101), "test", issues);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_FALSE(parsed->has_value());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, Zeros(100));
}

TEST(DeeplyNestedJson, TheLimitCountsLevelsNotValues) {
  // Many shallow values side by side are not deep: 100,000 arrays of depth 2.
  std::string text = "[";
  for (int i = 0; i < 100000; ++i) text += i == 0 ? "[1]" : ",[1]";
  text += "]";
  std::vector<Issue> issues;
  absl::StatusOr<std::optional<json_internal::Json>> parsed =
      json_internal::ParseDocument(text, "test", issues);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->size(), 100000u);
  EXPECT_TRUE(issues.empty());
}

TEST(DeeplyNestedJson, FileReferencesOfADeepDocumentAreNone) {
  // The references are looked up before the load, which reports the depth.
  const std::string inline_calendar =
      "{\"calendar\":{\"extends\":{\"file\":\"base.json\"},\"x\":" +
      NestedArrays(kTwoMegabytes / 2) + "}}";
  EXPECT_TRUE(Policy::FileReferences(inline_calendar).empty());
  EXPECT_TRUE(Calendar::FileReferences("{\"extends\":{\"file\":\"b.json\"},"
                                       "\"x\":" +
                                       NestedArrays(kTwoMegabytes / 2) + "}")
                  .empty());
}

TEST(JsonReader, PointersOfRepeatedKeysBelowArraysAndObjects) {
  std::vector<Issue> issues;
  absl::StatusOr<std::optional<json_internal::Json>> parsed =
      json_internal::ParseDocument(
          R"({"a": [1, {"b/c": {"k": 1, "k": 2}}], "a~": {"x": 0, "x": 1}})",
          "test", issues);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "/a/1/b~1c/k");
  EXPECT_EQ(issues[0].message,
            "key \"k\" appears more than once in this object");
  EXPECT_EQ(issues[1].path, "/a~0/x");
}

TEST(JsonReader, ParseOrErrorNamesWhatAndWhere) {
  EXPECT_THAT(json_internal::ParseOrError(R"([{"a": 1, "a": 2}])", "leads"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads: /0/a: key \"a\" appears more than once in "
                       "this object"));
  EXPECT_THAT(json_internal::ParseOrError("[1, 2", "leads"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads: malformed JSON at line 1, column")));
  absl::StatusOr<json_internal::Json> ok =
      json_internal::ParseOrError("[1, 2]", "leads");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->size(), 2u);
}

// Found by c_api_fuzz: the parser's message quotes the bytes it last read,
// which may stop inside a character of a valid UTF-8 document; the message
// then held a cut-off character, which the C ABI could not write as JSON.
TEST(JsonReader, MalformedJsonMessageHoldsWholeCharactersOnly) {
  EXPECT_THAT(json_internal::ParseOrError("{\"name\": \xc2\xa7}", "policy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policy: malformed JSON at line 1, column 10: "
                                 "syntax error while parsing value - invalid "
                                 "literal; last read: '\"name\": \xef\xbf\xbd'")));
}

}  // namespace
}  // namespace leadkit
