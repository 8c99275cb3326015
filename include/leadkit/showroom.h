// Showroom traffic (docs/kpis.md, "Showroom traffic"), as a mergeable state:
// add batches of visits (with the leads they name), merge states counted
// apart, serialize to bytes and back, and finalize to one row per group. Any
// split of the visits and any merge order give the same rows.
//
//   contact_share       = with_contact / visits
//   effective_share     = effective / visits
//   visit_to_deal_rate  = won / visits              (with the leads only)
//   avg_stay_minutes    = stay_seconds / (stayed * 60)
// A rate whose denominator is 0 is NaN. Point in time: a visit after as_of
// has not happened, a departure after it is not known yet, a lead won after it
// is not won yet.
//
// Example:
//   ShowroomState state(ShowroomOptions{.by = {"hour"},
//                                       .time_zone = "Asia/Shanghai"});
//   LEADKIT_RETURN_IF_ERROR(state.Add(visits, &leads, as_of));
//   for (const ShowroomRow& row : state.Finalize()) row.contact_share;
#ifndef LEADKIT_SHOWROOM_H_
#define LEADKIT_SHOWROOM_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"

namespace leadkit {

struct ShowroomOptions {
  // Group columns, in order (default none: one row): dealer_id,
  // consultant_id, model (the visit's), hour (local hour of arrival, 0-23),
  // weekday (local ISO weekday, 1 = Monday) and day (local YYYY-MM-DD).
  std::vector<std::string> by;
  // The IANA zone of local times (hour, weekday, day and times in messages).
  std::string time_zone = "UTC";

  bool operator==(const ShowroomOptions&) const = default;
};

// The counts behind one group and model asked about. Merging adds them.
struct ShowroomCounts {
  int64_t visits = 0;
  int64_t with_contact = 0;  // the visit names a lead
  int64_t effective = 0;     // effective is true (null: not effective)
  int64_t stayed = 0;        // left_at known by as_of
  int64_t stay_seconds = 0;  // of the visits that stayed
  int64_t won = 0;           // the visit's lead won by as_of

  void Merge(const ShowroomCounts& other);
  bool operator==(const ShowroomCounts&) const = default;
};

// One row of the report: its key (one value per `by` column; nullopt = the
// null group; hour and weekday as decimal numbers) and the columns of
// leadkit.showroom.
struct ShowroomRow {
  std::vector<std::optional<std::string>> key;
  int64_t visits = 0;
  int64_t with_contact = 0;
  double contact_share = 0;
  int64_t effective = 0;
  double effective_share = 0;
  int64_t won = 0;  // with the leads only (ShowroomState::has_won)
  double visit_to_deal_rate = 0;
  double avg_stay_minutes = 0;
  // The most-asked models (most visits, then by name), ";"-joined; nullopt
  // when no visit of the group named a model.
  std::optional<std::string> top_models;
};

class ShowroomState {
 public:
  explicit ShowroomState(ShowroomOptions options = {});

  const ShowroomOptions& options() const { return options_; }
  // Some batch came with its leads: the rows have won and visit_to_deal_rate.
  bool has_won() const { return has_won_; }

  // Adds the visits of a batch that arrived by as_of: visit_id (unique),
  // dealer_id, arrived_at (required), left_at, lead_id, consultant_id, model,
  // effective (bools). `leads` (may be null): lead_id (unique), status,
  // won_at; a visit naming a lead not in it is an error. Rows with a zero in
  // `include` (when given; one flag per visit, e.g. ScopeMask(scope, visits,
  // &dealers) of scope.h) are out of scope. Bad input is
  // InvalidArgument naming the table, column, row, its visit_id and the value.
  // `threads` > 1 splits the visits over threads (the same state for any
  // number).
  absl::Status Add(const Columns& visits, const Columns* leads, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's groups. FailedPrecondition when its options differ
  // (the zone only matters when grouping by hour, weekday or day).
  absl::Status Merge(const ShowroomState& other);

  // Bytes ("LKSHW1", src/state_bytes.h) that Deserialize turns back into an
  // equal state.
  std::string Serialize() const;
  static absl::StatusOr<ShowroomState> Deserialize(absl::string_view bytes);

  // One row per group, sorted by key (column by column, hour and weekday as
  // numbers, the null group last); one row when not grouped. `top_models`
  // (1 or more) models in top_models.
  std::vector<ShowroomRow> Finalize(int top_models = 3) const;

  bool operator==(const ShowroomState& other) const;

 private:
  ShowroomCounts& At(const std::vector<std::optional<std::string>>& key);

  ShowroomOptions options_;
  bool has_won_ = false;
  // By key (by..., then the model asked about).
  absl::flat_hash_map<std::vector<std::optional<std::string>>, ShowroomCounts>
      groups_;
};

}  // namespace leadkit

#endif  // LEADKIT_SHOWROOM_H_
