// The customer profile (000 §7.1.2) as a mergeable state (docs/kpis.md,
// `profile`): how the leads spread over age bands, gender, occupation,
// purpose, preferred model or any other non-personal lead text, and how each
// part converts.
//
//   leads            = leads created by as_of, invalid ones left out
//   share            = leads / all such leads (in scope)
//   conversion_rate  = won / leads  (won: status won, won_at by as_of or null)
//   invalid          = the group's invalid leads, counted apart
// Personal data (name, phone, wechat, email) is never a group.
//
// Example:
//   ProfileState state({.by = {"age_band"}});  // <25, 25-34, ..., 55+
//   LEADKIT_RETURN_IF_ERROR(state.Add(leads, as_of));
//   for (const ProfileRow& row : state.Finalize()) row.conversion_rate();
//   // {"25-34"}: leads 2, share 0.333, won 1, conversion_rate() 0.5
#ifndef LEADKIT_PROFILE_H_
#define LEADKIT_PROFILE_H_

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

struct ProfileOptions {
  // Group names: "age_band" (from `age`, cut at `age_bands`) or a
  // non-personal string field of the leads other than lead_id (gender,
  // occupation, purpose, model, channel, city, dealer_id, ...).
  std::vector<std::string> by;
  // Lower edges of the bands after the first, whole years >= 1, strictly
  // increasing: {25, 35, 45, 55} gives <25, 25-34, 35-44, 45-54, 55+.
  std::vector<int64_t> age_bands = {25, 35, 45, 55};

  bool operator==(const ProfileOptions&) const = default;
};

// The labels of the bands cut at `edges`: "<e0", "e0-(e1-1)", ..., "eN+".
std::vector<std::string> AgeBandLabels(std::span<const int64_t> edges);

// The counts of one group; merging adds them.
struct ProfileCounts {
  int64_t leads = 0;    // not invalid
  int64_t won = 0;      // won by as_of
  int64_t invalid = 0;  // status invalid

  void Merge(const ProfileCounts& other);
  bool operator==(const ProfileCounts&) const = default;
};

struct ProfileRow {
  std::vector<std::optional<std::string>> key;  // per `by`; nullopt = null
  ProfileCounts counts;
  double share = 0;  // leads / the leads of every group

  double conversion_rate() const { return Rate(counts.won, counts.leads); }
};

class ProfileState {
 public:
  explicit ProfileState(ProfileOptions options = {});

  const ProfileOptions& options() const { return options_; }

  // Adds the leads of a batch created by as_of (lead_id, created_at, status,
  // won_at, age and the `by` columns). Rows with a zero in `include` (when
  // given; ScopeMask of scope.h) are out of scope. Every row is checked: bad
  // input (a negative or infinite age, an unknown status, ...) is
  // InvalidArgument naming the table, column, row, lead_id and value; a
  // personal, unknown or repeated `by` name or bad band edges
  // InvalidArgument. `threads` > 1 splits the rows over threads (the same
  // state for any number).
  absl::Status Add(const Columns& leads, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's groups. FailedPrecondition when its options differ.
  absl::Status Merge(const ProfileState& other);

  // Bytes ("LKPRF1", src/state_bytes.h) that Deserialize turns back into an
  // equal state; other bytes are InvalidArgument.
  std::string Serialize() const;
  static absl::StatusOr<ProfileState> Deserialize(absl::string_view bytes);

  // One row per group holding a lead, sorted by key (age bands youngest
  // first, null last); ungrouped (`by` empty), one row.
  std::vector<ProfileRow> Finalize() const;

  bool operator==(const ProfileState& other) const;

 private:
  ProfileCounts& Group(const std::vector<std::optional<std::string>>& key);

  ProfileOptions options_;
  std::map<std::string, std::pair<std::vector<std::optional<std::string>>,
                                  ProfileCounts>>
      groups_;  // by encoded key
};

}  // namespace leadkit

#endif  // LEADKIT_PROFILE_H_
