// The lead fields of leadkit's data contract (docs/data.md, table `leads`),
// with their value types. Policies name these fields in rules; batch calls read
// them as columns.
//
// Example:
//   const LeadFieldInfo* f = FindLeadField("purchase_within_days");
//   // f->type == FieldType::kNumber, f->personal == false
//   NearestLeadField("purchase_within_day");  // "purchase_within_days"
//   FindLeadField("status")->values;  // {"open", "won", "lost", "invalid"}
#ifndef LEADKIT_LEAD_H_
#define LEADKIT_LEAD_H_

#include <span>
#include <string>

#include "absl/strings/string_view.h"

namespace leadkit {

// How a field's values are typed, whatever the caller's storage (int64 or
// double for numbers, bytes for booleans, dictionary codes for strings, int64
// seconds for instants).
enum class FieldType {
  kString,   // categorical or free text
  kNumber,   // integer or real
  kBool,     // true / false
  kInstant,  // a point in time (UTC seconds)
  kDate,     // a calendar date (days since 1970-01-01)
};

// Returns "string", "number", "bool", "instant" or "date".
absl::string_view FieldTypeName(FieldType type);

struct LeadFieldInfo {
  const char* name;  // column name in the `leads` table
  FieldType type;    // value type
  bool personal;     // personal data: masked in every message, explanation and
                     // report
  bool required;     // a required column of the `leads` table
  // The documented values of a categorical field (docs/data.md), in the
  // contract's order; empty = any value. A policy may declare more
  // (docs/policy.md, "extra_values"). The one list of them in leadkit.
  std::span<const absl::string_view> values = {};
};

// Every field of the `leads` table, in the order of the data contract.
std::span<const LeadFieldInfo> LeadFields();

// Returns the field called `name`, or nullptr.
const LeadFieldInfo* FindLeadField(absl::string_view name);

// Returns the name among `candidates` closest to `name` by edit distance, or ""
// when none is close enough to be a plausible typo (distance > max(2, |name| /
// 3)).
std::string NearestName(absl::string_view name,
                        std::span<const absl::string_view> candidates);

// The name among `candidates` closest to `name` within `max_distance` edits
// (insertions, deletions, substitutions), or "" when none is that close.
std::string NearestName(absl::string_view name,
                        std::span<const absl::string_view> candidates,
                        size_t max_distance);

// NearestName over the lead fields.
std::string NearestLeadField(absl::string_view name);

// The task names of the follow-up cadence (cadence.h, TaskName), in TaskKind
// order: the one list of them, and the values of the playbook field `task`.
std::span<const absl::string_view> TaskNames();

// The fields a playbook rule reads beside the lead fields
// (docs/playbook.md#fields): the task it decides for and the lead's state at
// the schedule's as_of.
//   task       string  the task's kind (TaskNames())
//   grade_now  string  the grade in force at as_of (a grade of the policy;
//                      `grade` is the grade given at creation)
//   touches    number  the lead's touches at or before as_of
std::span<const LeadFieldInfo> TaskFields();

// A lead field or a task field called `name`, or nullptr.
const LeadFieldInfo* FindPlaybookField(absl::string_view name);

// NearestName over the lead fields and the task fields.
std::string NearestPlaybookField(absl::string_view name);

}  // namespace leadkit

#endif  // LEADKIT_LEAD_H_
