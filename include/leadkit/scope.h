// Who sees what (003 §I): headquarters sees every lead, a region the leads of
// its dealers, a dealer its own. Every report applies a scope as rows enter its
// state, so a scoped report never reads another dealer's rows (docs/kpis.md,
// "Scopes").
//
// Example:
//   absl::StatusOr<std::vector<uint8_t>> mine =
//       ScopeMask(Scope::Region("east"), leads, &dealers);
//   state.Add(cadence, leads, touches, nullptr, as_of, *mine);
#ifndef LEADKIT_SCOPE_H_
#define LEADKIT_SCOPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"

namespace leadkit {

struct Scope {
  enum class Kind { kHq, kRegion, kDealer };
  Kind kind = Kind::kHq;
  std::string id;  // the region's or the dealer's id; empty for headquarters

  static Scope Hq() { return {}; }
  static Scope Region(std::string region_id) {
    return {Kind::kRegion, std::move(region_id)};
  }
  static Scope Dealer(std::string dealer_id) {
    return {Kind::kDealer, std::move(dealer_id)};
  }
  bool operator==(const Scope&) const = default;
};

// Returns "hq", "region" or "dealer".
absl::string_view ScopeKindName(Scope::Kind kind);

// Per row of `rows` (read: its dealer_id column; a row without one is seen at
// headquarters only), 1 when the row is in `scope`. `dealers` (dealer_id,
// region_id) says which dealers a region has and which dealers exist; without
// it, a dealer scope knows the dealers `rows` name. Errors: NotFound naming an
// unknown dealer or region; InvalidArgument for a region scope without the
// dealers table, or a dealers table without its columns. Headquarters: every
// row.
absl::StatusOr<std::vector<uint8_t>> ScopeMask(const Scope& scope,
                                               const Columns& rows,
                                               const Columns* dealers);

// Each row's region (a report's region_id group): its dealer's region in
// `dealers` (dealer_id, region_id), as codes into `regions` (first seen
// first); -1 for a row without a dealer, with a dealer the table lacks, or
// whose dealer has no region. Errors: InvalidArgument for a dealer_id or
// region_id column that is not strings.
// Example: dealers D1 -> east, D2 -> west; rows D2, none, D9 -> codes
// {1, -1, -1} over regions {"east", "west"}.
struct RowRegions {
  std::vector<int32_t> codes;
  std::vector<std::string> regions;
};
absl::StatusOr<RowRegions> RegionsOf(const Columns& rows,
                                     const Columns& dealers);

}  // namespace leadkit

#endif  // LEADKIT_SCOPE_H_
