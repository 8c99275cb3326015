// Consultants' activity (docs/kpis.md, "Consultants' activity"), as a
// mergeable state: add batches of touches (each lead's touches in one batch,
// with the leads they belong to), merge states counted apart, serialize to
// bytes and back, and finalize to one row per group.
//
//   contacts          touches by as_of in the group
//   contacts_<m>      of them, those by method m: phone, wechat, sms, email,
//                     visit, event, then any other method seen, by name
//   leads_touched     distinct leads among the group's touches
//   new_leads         leads received (assigned_at, null: created_at) by
//                     as_of in the group, for the lead's consultant and dealer
//                     (with the leads only)
// Any split of the leads (each with its touches) and any merge order give the
// same rows.
//
// Example:
//   ActivityState state(ActivityOptions{.by = {"consultant_id", "day"},
//                                       .time_zone = "Asia/Shanghai"});
//   LEADKIT_RETURN_IF_ERROR(state.Add(touches, &leads, as_of));
//   for (const ActivityRow& row : state.Finalize()) row.contacts;
#ifndef LEADKIT_ACTIVITY_H_
#define LEADKIT_ACTIVITY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/internal/dictionary.h"

namespace leadkit {

// The methods that always have a contacts_<method> column, in column order.
inline constexpr absl::string_view kActivityMethods[] = {
    "phone", "wechat", "sms", "email", "visit", "event"};

struct ActivityOptions {
  // Group columns, in order: consultant_id (the touch's), dealer_id (the
  // lead's; needs the leads), day (local YYYY-MM-DD), week (ISO YYYY-Www),
  // month (YYYY-MM) of the touch. Empty: one row.
  std::vector<std::string> by = {"consultant_id", "day"};
  // The IANA zone of day, week and month.
  std::string time_zone = "UTC";

  bool operator==(const ActivityOptions&) const = default;
};

// One row of the report: its key (one value per `by` column; nullopt = the
// null group) and the columns of leadkit.activity.
struct ActivityRow {
  std::vector<std::optional<std::string>> key;
  int64_t contacts = 0;
  // One count per ActivityState::methods(), in that order.
  std::vector<int64_t> contacts_by_method;
  int64_t leads_touched = 0;
  int64_t new_leads = 0;  // with the leads only (ActivityState::has_new_leads)
};

class ActivityState {
 public:
  explicit ActivityState(ActivityOptions options = {});

  const ActivityOptions& options() const { return options_; }
  // The contacts_<method> columns: kActivityMethods, then every other method
  // seen in an added batch (even out of scope or after as_of), by name.
  std::vector<std::string> methods() const;
  // Some batch came with its leads: the rows have new_leads.
  bool has_new_leads() const { return has_new_leads_; }

  // Adds a batch: `touches` (lead_id, at, method required; consultant_id) and
  // `leads` (may be null: lead_id unique, created_at required, assigned_at,
  // status, dealer_id, consultant_id), each lead's touches all in this batch.
  // A touch of a lead not in `leads` is an error. Touches and leads received
  // after as_of are left out. `include` (when given; one flag per LEAD row:
  // the scope applies to the leads' dealers, e.g. ScopeMask(scope, leads,
  // &dealers) of scope.h) leaves out the leads with a zero and their touches. Bad input is InvalidArgument naming the table, column,
  // row, its lead_id and the value. `threads` > 1 splits the work over
  // threads (the same state for any number).
  absl::Status Add(const Columns& touches, const Columns* leads, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's groups. FailedPrecondition when its options differ
  // (the zone only matters when grouping by day, week or month).
  absl::Status Merge(const ActivityState& other);

  // Bytes ("LKACT2", src/state_bytes.h) that Deserialize turns back into an
  // equal state.
  std::string Serialize() const;
  static absl::StatusOr<ActivityState> Deserialize(absl::string_view bytes);

  // One row per group, sorted by key (column by column, the null group last);
  // one row when not grouped.
  std::vector<ActivityRow> Finalize() const;

  bool operator==(const ActivityState& other) const;

 private:
  // A group's counts; contacts per method code (methods_).
  struct Counts {
    int64_t contacts = 0;
    int64_t leads_touched = 0;
    int64_t new_leads = 0;
    absl::InlinedVector<int64_t, 8> by_method;

    void Merge(const Counts& other, std::span<const int32_t> method_of);
  };
  // A group's key while rows are added: per by column a code in names_
  // (consultant_id, dealer_id) or a period number (day, week, month); -1 for
  // null. Texts only when the state is written out (Serialize, Finalize).
  using Key = absl::InlinedVector<int64_t, 4>;

  // The groups in the order of their texts (KeyLess).
  std::vector<const std::pair<const Key, Counts>*> SortedGroups() const;
  // Group key part `part`'s text of `code` (not -1).
  std::string PartText(size_t part, int64_t code) const;

  ActivityOptions options_;
  bool has_new_leads_ = false;
  std::set<std::string> other_methods_;  // seen, not in kActivityMethods
  // The state's own dictionaries: group key values and method names. States
  // of different batches number them differently; Merge maps them.
  report_internal::Dictionary names_;
  report_internal::Dictionary methods_;
  absl::flat_hash_map<Key, Counts> groups_;
};

}  // namespace leadkit

#endif  // LEADKIT_ACTIVITY_H_
