// Problems found in a document (a policy, a calendar), reported as data: every
// one at once, each with a severity, a JSON Pointer into the document and,
// where there is one, the rule.
//
// Example:
//   FormatIssue({Severity::kWarning, "/rules/2", "B", "can never fire"});
//   // "warning at /rules/2 (rule B): can never fire"
#ifndef LEADKIT_ISSUE_H_
#define LEADKIT_ISSUE_H_

#include <span>
#include <string>

#include "absl/strings/string_view.h"

namespace leadkit {

enum class Severity { kError, kWarning };

// Returns "error" or "warning".
absl::string_view SeverityName(Severity severity);

// One problem found in a document.
struct Issue {
  Severity severity = Severity::kError;
  std::string path;  // JSON Pointer (RFC 6901) into the document, "" = the
                     // whole document
  std::string rule;  // id of the rule it concerns, or ""
  std::string
      message;  // what is wrong, naming the bad value and, where known, a fix

  bool operator==(const Issue&) const = default;
};

// "error at /rules/2/when/0/field (rule high): unknown lead field ..."
std::string FormatIssue(const Issue& issue);

// True when any issue is an error.
bool HasErrors(std::span<const Issue> issues);

// "N error(s): <first errors formatted, joined by '; '>", for a status message.
std::string SummarizeErrors(std::span<const Issue> issues);

}  // namespace leadkit

#endif  // LEADKIT_ISSUE_H_
