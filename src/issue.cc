#include "leadkit/issue.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace leadkit {

absl::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::string FormatIssue(const Issue& issue) {
  std::string out = absl::StrCat(SeverityName(issue.severity), " at ",
                                 issue.path.empty() ? "/" : issue.path);
  if (!issue.rule.empty()) absl::StrAppend(&out, " (rule ", issue.rule, ")");
  absl::StrAppend(&out, ": ", issue.message);
  return out;
}

bool HasErrors(std::span<const Issue> issues) {
  return std::any_of(issues.begin(), issues.end(), [](const Issue& i) {
    return i.severity == Severity::kError;
  });
}

std::string SummarizeErrors(std::span<const Issue> issues) {
  std::vector<std::string> errors;
  for (const Issue& issue : issues) {
    if (issue.severity == Severity::kError)
      errors.push_back(FormatIssue(issue));
  }
  return absl::StrCat(errors.size(),
                      " error(s): ", absl::StrJoin(errors, "; "));
}

}  // namespace leadkit
