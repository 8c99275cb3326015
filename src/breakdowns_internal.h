// What the lost-sales analysis and the customer profile share: reading a
// leads table that comes without touches or a policy (ids, statuses, reviews,
// the point-in-time columns), group keys as codes, local periods, and the
// texts of their messages. Not part of the API.
//
// These reports read leads alone: the cadence's batch reader
// (src/lead_batch.h) needs a policy and touches and classifies every lead,
// which neither report has or needs, so they read the Columns directly.
#ifndef LEADKIT_SRC_BREAKDOWNS_INTERNAL_H_
#define LEADKIT_SRC_BREAKDOWNS_INTERNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "date/date.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/tz.h"

namespace leadkit::breakdowns_internal {

// `text` as Python's repr shows a string in messages: 'text' (a quote or a
// backslash escaped).
std::string Quoted(absl::string_view text);

// A number as Python's repr shows a float: the shortest text that reads back
// to it, with ".0" on whole numbers ("-3.0", "2.5", "inf", "nan").
std::string FloatText(double value);

// The value of `column` at `row` as a message may show it: quoted, personal
// data masked (MaskValue).
std::string Shown(absl::string_view field, const Column& column, int64_t row);

// The leads columns both reports read, checked.
struct LeadColumns {
  const Column* ids = nullptr;      // lead_id: codes or strings
  const Column* created = nullptr;  // created_at (may be absent when allowed)
  const Column* won_at = nullptr;
  const Column* lost_at = nullptr;
  const Column* status = nullptr;
  const Column* review = nullptr;  // lost_review
  std::vector<int8_t> status_of;   // per status code: LeadStatus, -1 unknown
  std::vector<int8_t> review_of;   // per review code: LostReview, -1 unknown

  // "lead_id='A' (row 3)".
  std::string RowName(int64_t row) const;
  LeadStatus Status(int64_t row) const {
    return status == nullptr || status->IsNull(row)
               ? LeadStatus::kOpen
               : static_cast<LeadStatus>(
                     status_of[static_cast<size_t>(
                         status->data<int32_t>()[row])]);
  }
  LostReview Review(int64_t row) const {
    return review == nullptr || review->IsNull(row)
               ? LostReview::kNone
               : static_cast<LostReview>(
                     review_of[static_cast<size_t>(
                         review->data<int32_t>()[row])]);
  }
  // The lead's status at as_of by the cadence's rule (StatusAt: a close after
  // as_of leaves it open), through `scratch`, which holds the facts it reads.
  LeadStatus StatusAt(int64_t row, Instant as_of, LeadFacts& scratch) const {
    scratch.status = Status(row);
    scratch.won_at = At(won_at, row);
    scratch.lost_at = At(lost_at, row);
    return leadkit::StatusAt(scratch, as_of);
  }
  static std::optional<Instant> At(const Column* column, int64_t row) {
    if (column == nullptr || column->IsNull(row)) return std::nullopt;
    return Instant(std::chrono::seconds(column->data<int64_t>()[row]));
  }
  // created_at at or before as_of (always, without the column).
  bool Exists(int64_t row, int64_t as_of) const {
    return created == nullptr || created->data<int64_t>()[row] <= as_of;
  }
};

// Reads and checks the leads: a lead_id on every row, none twice; statuses
// and reviews among the documented values; created_at (required when
// `created_required`) never null; times as instants. InvalidArgument naming
// the table, column, row, lead_id and value for the first bad row. `threads`
// share the check of the ids (the same answer for any number).
absl::StatusOr<LeadColumns> ReadLeads(const Columns& leads,
                                      bool created_required, int threads = 1);

// A string column of the leads used as a group key: dictionary codes (or
// absent: all null). InvalidArgument for another type.
absl::StatusOr<const Column*> KeyColumn(const Columns& leads,
                                        absl::string_view name);

// A local month (year * 12 + month - 1) or ISO week (year * 100 + week) as a
// code, and back as "YYYY-MM" or "YYYY-Www".
int64_t MonthCode(date::local_days day);
int64_t WeekCode(date::local_days day);
std::string MonthText(int64_t code);
std::string WeekText(int64_t code);

// Local days of instants in one zone, the zone's offsets looked up once per
// stretch of time they hold for (most rows need no lookup).
class LocalDays {
 public:
  explicit LocalDays(TimeZone zone) : zone_(std::move(zone)) {}
  date::local_days Day(int64_t seconds);

 private:
  TimeZone zone_;
  int64_t begin_ = 1, end_ = 0;  // [begin_, end_) holds offset_
  int64_t offset_ = 0;
};

// Group key codes: per part a code (a dictionary code, a period, a band),
// -1 null.
using Codes = absl::InlinedVector<int64_t, 4>;

// A group key as one string (each part "N" for null or "S<length>:<text>"):
// how the states keep their groups.
std::string EncodeKey(std::span<const std::optional<std::string>> key);

// a < b for keys compared part by part, null last, texts in byte (code point)
// order unless `rank` gives a part's order (rank(part, text) -> position).
template <typename Rank>
bool KeyBefore(std::span<const std::optional<std::string>> a,
               std::span<const std::optional<std::string>> b,
               const Rank& rank) {
  for (size_t p = 0; p < a.size(); ++p) {
    const auto& x = a[p];
    const auto& y = b[p];
    if (x == y) continue;
    if (!x) return false;
    if (!y) return true;
    const int64_t rx = rank(p, *x), ry = rank(p, *y);
    if (rx != ry) return rx < ry;
    return *x < *y;
  }
  return false;
}

// Splits `threads` to at least 1 and at most the rows.
int Threads(int threads, int64_t rows);

// InvalidArgument unless `include` is empty or holds one flag per row.
absl::Status CheckInclude(std::span<const uint8_t> include, int64_t rows);

}  // namespace leadkit::breakdowns_internal

#endif  // LEADKIT_SRC_BREAKDOWNS_INTERNAL_H_
