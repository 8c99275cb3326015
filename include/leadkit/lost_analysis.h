// Lost sales by reason (002 §2.7) and how the supervisor's reviews of them went
// (002 §2.3), as a mergeable state (docs/kpis.md, `lost_analysis`): add
// batches of leads, merge states computed apart, serialize to bytes and back,
// finalize to one row per group of `by` and lost_reason.
//
//   lost            = leads with status lost at as_of (whatever the review)
//   share           = lost / lost of the same `by` group
//   rejection_rate  = rejected / (approved + rejected + pending)
// A rate whose denominator is 0 is NaN. Point in time as in the KPIs: a lead
// lost after as_of (or created after it) is not lost yet; one lost without a
// lost_at is.
//
// Example:
//   LostAnalysisState state({.by = {"month"}, .time_zone = "Asia/Shanghai"});
//   LEADKIT_RETURN_IF_ERROR(state.Add(leads, as_of));
//   for (const LostAnalysisRow& row : state.Finalize()) row.share;
//   // {"2024-06", "price"}: lost 3, share 0.75, rejection_rate() 0.5
#ifndef LEADKIT_LOST_ANALYSIS_H_
#define LEADKIT_LOST_ANALYSIS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/kpi.h"

namespace leadkit {

// The group names a lost-sales analysis takes before lost_reason.
std::span<const absl::string_view> LostAnalysisKeys();

struct LostAnalysisOptions {
  // Group columns before lost_reason, from LostAnalysisKeys(): "month"
  // (YYYY-MM) or "week" (ISO YYYY-Www) of lost_at in `time_zone`, or a leads
  // column (dealer_id, consultant_id, channel, model). Default: by month.
  std::vector<std::string> by = {"month"};
  // The IANA zone of month and week. Default UTC.
  std::string time_zone = "UTC";

  bool operator==(const LostAnalysisOptions&) const = default;
};

// The counts of one group; merging adds them.
struct LostCounts {
  int64_t lost = 0;
  int64_t approved = 0;     // lost_review approved
  int64_t rejected = 0;     // lost_review rejected
  int64_t pending = 0;      // lost_review pending
  int64_t review_null = 0;  // no review

  void Merge(const LostCounts& other);
  bool operator==(const LostCounts&) const = default;
};

struct LostAnalysisRow {
  // One value per `by` name, then lost_reason; nullopt = null.
  std::vector<std::optional<std::string>> key;
  LostCounts counts;
  double share = 0;  // lost / lost of the rows with the same `by` values

  double rejection_rate() const {
    return Rate(counts.rejected,
                counts.approved + counts.rejected + counts.pending);
  }
};

class LostAnalysisState {
 public:
  explicit LostAnalysisState(LostAnalysisOptions options = {});

  const LostAnalysisOptions& options() const { return options_; }

  // Adds the leads of a batch lost by as_of (leads: lead_id, status,
  // lost_review, lost_reason, lost_at, created_at when given, and the `by`
  // columns). Rows with a zero in `include` (when given; ScopeMask of
  // scope.h) are out of scope. Every row is checked: bad input is
  // InvalidArgument naming the table, column, row, lead_id and value; an
  // unknown `by` name InvalidArgument, an unknown zone NotFound. `threads`
  // > 1 splits the rows over threads, each with a state of its own, merged
  // (the same state for any number).
  absl::Status Add(const Columns& leads, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's groups. FailedPrecondition when its options differ.
  absl::Status Merge(const LostAnalysisState& other);

  // Bytes ("LKLST1", src/state_bytes.h) that Deserialize turns back into an
  // equal state; other bytes are InvalidArgument.
  std::string Serialize() const;
  static absl::StatusOr<LostAnalysisState> Deserialize(absl::string_view bytes);

  // One row per group, sorted by key (null last); no lost leads, no rows.
  std::vector<LostAnalysisRow> Finalize() const;

  bool operator==(const LostAnalysisState& other) const;

 private:
  LostCounts& Group(const std::vector<std::optional<std::string>>& key);

  LostAnalysisOptions options_;
  // By encoded key: the key and its counts.
  std::map<std::string, std::pair<std::vector<std::optional<std::string>>,
                                  LostCounts>>
      groups_;
};

}  // namespace leadkit

#endif  // LEADKIT_LOST_ANALYSIS_H_
