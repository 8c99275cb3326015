#include "leadkit/issue.h"

#include <vector>

#include "gtest/gtest.h"

namespace leadkit {
namespace {

TEST(FormatIssue, NamesSeverityPathRuleAndMessage) {
  EXPECT_EQ(
      FormatIssue({Severity::kWarning, "/rules/2", "B", "can never fire"}),
      "warning at /rules/2 (rule B): can never fire");
  EXPECT_EQ(FormatIssue({Severity::kError, "", "", "malformed"}),
            "error at /: malformed");
}

TEST(HasErrors, OnlyErrorsCount) {
  std::vector<Issue> issues = {{Severity::kWarning, "/a", "", "w"}};
  EXPECT_FALSE(HasErrors(issues));
  issues.push_back({Severity::kError, "/b", "", "e"});
  issues.push_back({Severity::kError, "/c", "r", "f"});
  EXPECT_TRUE(HasErrors(issues));
  EXPECT_EQ(SummarizeErrors(issues),
            "2 error(s): error at /b: e; error at /c (rule r): f");
}

}  // namespace
}  // namespace leadkit
