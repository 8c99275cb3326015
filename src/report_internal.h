// What the report states (showroom.h, activity.h and those to come) share:
// group keys, local periods in a zone, rates and row labels for messages.
// Not part of the API. Keep it small: a rule that only one report needs lives
// in that report's .cc.
//
//   key      one optional string per group column (nullopt: the null group),
//            sorted column by column, the null group last; numeric parts
//            (hour, weekday) sort as numbers
//   period   a local wall time of an instant in a zone, as a number per kind:
//            day (days since 1970-01-01), week (ISO year * 100 + week), month
//            (year * 12 + month - 1), hour (0-23), weekday (ISO, 1 = Monday)
#ifndef LEADKIT_SRC_REPORT_INTERNAL_H_
#define LEADKIT_SRC_REPORT_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"
#include "leadkit/tz.h"
#include "leadkit/internal/dictionary.h"
#include "leadkit/phone.h"
#include "lead_batch.h"

namespace leadkit::report_internal {

// A group's key: one value per group column, nullopt for null.
using GroupKey = std::vector<std::optional<std::string>>;

// A group's key while rows are added: one number per part (a dictionary code
// or a period number), -1 for null.
using Codes = absl::InlinedVector<int64_t, 4>;

// a before b: part by part, the null group last; a part whose `numeric` flag
// is set compares as a non-negative number written without leading zeros.
bool KeyLess(const GroupKey& a, const GroupKey& b,
             const std::vector<bool>& numeric);

// The entries of a map keyed by GroupKey, sorted by key (KeyLess, text
// order): states write their groups in this order, so equal states give equal
// bytes.
template <typename Map>
std::vector<const typename Map::value_type*> Sorted(const Map& groups) {
  std::vector<const typename Map::value_type*> out;
  out.reserve(groups.size());
  for (const auto& entry : groups) out.push_back(&entry);
  const std::vector<bool> text_order;
  std::sort(out.begin(), out.end(), [&](const auto* a, const auto* b) {
    return KeyLess(a->first, b->first, text_order);
  });
  return out;
}

// The order of `keys` (one code per part, -1 for null) in which their texts
// sort (KeyLess): text(part, code) gives a part's text (a std::string), and
// numeric[part] (when set) compares that part as KeyLess does. Each part's
// distinct codes are written out and sorted once, then the keys as numbers:
// for many groups over few distinct values. Returns indices into `keys`.
template <typename Key, typename TextOf>
std::vector<size_t> TextOrder(const std::vector<const Key*>& keys,
                              size_t parts, const TextOf& text,
                              const std::vector<bool>& numeric = {}) {
  // Per part: code -> its place among the part's distinct texts.
  std::vector<absl::flat_hash_map<int64_t, int64_t>> place(parts);
  for (size_t p = 0; p < parts; ++p) {
    absl::flat_hash_map<int64_t, int64_t>& of = place[p];
    for (const Key* key : keys) of.try_emplace((*key)[p], 0);
    std::vector<std::pair<std::string, int64_t>> texts;
    texts.reserve(of.size());
    for (const auto& [code, unused] : of) {
      if (code >= 0) texts.emplace_back(text(p, code), code);
    }
    const bool as_number = p < numeric.size() && numeric[p];
    std::sort(texts.begin(), texts.end(), [&](const auto& a, const auto& b) {
      if (as_number && a.first.size() != b.first.size()) {
        return a.first.size() < b.first.size();
      }
      return a.first < b.first;
    });
    // Equal texts (a dictionary may hold one twice) share a place.
    int64_t at = -1;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (i == 0 || texts[i].first != texts[i - 1].first) ++at;
      of[texts[i].second] = at;
    }
    if (of.contains(-1)) of[-1] = std::numeric_limits<int64_t>::max();  // last
  }
  std::vector<int64_t> ranked(keys.size() * parts);
  for (size_t k = 0; k < keys.size(); ++k) {
    for (size_t p = 0; p < parts; ++p) {
      ranked[k * parts + p] = place[p].at((*keys[k])[p]);
    }
  }
  std::vector<size_t> order(keys.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::lexicographical_compare(
        ranked.begin() + static_cast<std::ptrdiff_t>(a * parts),
        ranked.begin() + static_cast<std::ptrdiff_t>((a + 1) * parts),
        ranked.begin() + static_cast<std::ptrdiff_t>(b * parts),
        ranked.begin() + static_cast<std::ptrdiff_t>((b + 1) * parts));
  });
  return order;
}

// A report's groups counted on threads: rows [0, n) split over `threads`
// threads (batch_internal::RunChunks), chunk k counted by count(k, begin,
// end, groups) into groups of its own, keyed by Codes. Each() then hands
// every group to fn(codes, counts), chunk by chunk in row order; a state adds
// them up, so its groups are the same for any number of threads.
template <typename Counts>
class ChunkGroups {
 public:
  template <typename Count>
  ChunkGroups(int64_t n, int threads, const Count& count)
      : chunks_(static_cast<size_t>(std::max(threads, 1))) {
    batch_internal::RunChunks(n, std::max(threads, 1),
                              [&](int k, int64_t begin, int64_t end) {
                                count(k, begin, end,
                                      chunks_[static_cast<size_t>(k)]);
                              });
  }

  template <typename Fn>
  void Each(const Fn& fn) const {
    for (const auto& groups : chunks_) {
      for (const auto& [codes, counts] : groups) fn(codes, counts);
    }
  }

 private:
  std::vector<absl::flat_hash_map<Codes, Counts>> chunks_;
};

// The text key of `codes` into `key`: nullopt for a null part (-1), else
// text(part, code) scrubbed of personal data (ScrubText: a phone number typed
// into a lost reason is masked in the report's rows).
template <typename TextOf>
void TextKey(const Codes& codes, const TextOf& text, GroupKey& key) {
  key.resize(codes.size());
  for (size_t p = 0; p < codes.size(); ++p) {
    if (codes[p] < 0) {
      key[p].reset();
    } else {
      key[p] = ScrubText(text(p, codes[p]));
    }
  }
}

// The kinds of local period a report groups by.
enum class Period { kNone, kDay, kWeek, kMonth, kHour, kWeekday };

// "day", "week", "month", "hour", "weekday" -> their kind; kNone otherwise.
Period PeriodNamed(absl::string_view name);
// Hour and weekday are numbers (they sort and reach Python as numbers).
inline bool IsNumericPeriod(Period p) {
  return p == Period::kHour || p == Period::kWeekday;
}

// Local wall times of instants in one zone. Remembers the offset of the last
// instant's span of the zone's rules, so that rows close in time need no
// lookup. Not thread-safe: one per thread.
class LocalClock {
 public:
  explicit LocalClock(TimeZone zone) : zone_(std::move(zone)) {}

  // Seconds since 1970-01-01 of the local wall time of `seconds` (UTC).
  int64_t Local(int64_t seconds);
  // The period number of `seconds` (UTC) of kind `period` (not kNone).
  int64_t PeriodOf(int64_t seconds, Period period);
  // ISO 8601 text of `seconds` as a local time with its offset:
  // "2024-06-01T10:00:00+08:00".
  std::string Iso(int64_t seconds);

 private:
  TimeZone zone_;
  int64_t begin_ = 1;  // [begin_, end_) has offset_; empty at first
  int64_t end_ = 0;
  int64_t offset_ = 0;
};

// The text of a period number: "2024-06-01", "2024-W22", "2024-06", "10", "6".
std::string PeriodText(Period period, int64_t number);

// The zone named `name` (tz.h); NotFound naming it when unknown.
absl::StatusOr<TimeZone> Zone(absl::string_view name);

// numerator / denominator, NaN when the denominator is 0.
inline double Ratio(double numerator, double denominator) {
  return denominator == 0 ? std::numeric_limits<double>::quiet_NaN()
                          : numerator / denominator;
}

// A row named in messages as the Python reports name it: "visit_id='V2' (row
// 1)", or "row 1" when the id is null or the table has no such column.
std::string RowLabel(const Column* ids, absl::string_view id_name,
                     int64_t row);

// A value quoted as in messages: 'L3'.
std::string Quoted(absl::string_view value);

// OK when two states of report `what` group alike: the same `by` and, when
// `zoned` (a local period is among them), the same zone; FailedPrecondition
// naming both groupings otherwise.
absl::Status SameGrouping(absl::string_view what,
                          const std::vector<std::string>& by,
                          absl::string_view zone,
                          const std::vector<std::string>& other_by,
                          absl::string_view other_zone, bool zoned);

// A string column of `table` that a report reads, checked: absent (nullptr),
// or codes or strings. InvalidArgument naming the table and column otherwise.
absl::StatusOr<const Column*> StringColumn(const Columns& columns,
                                           absl::string_view table,
                                           absl::string_view name,
                                           bool required = false);
// A group key column: absent (nullptr) or string codes (Column::Codes).
absl::StatusOr<const Column*> KeyColumn(const Columns& columns,
                                        absl::string_view table,
                                        absl::string_view name);
// The same for an instant column.
absl::StatusOr<const Column*> InstantColumn(const Columns& columns,
                                            absl::string_view table,
                                            absl::string_view name,
                                            bool required = false);

// The dictionary code of a code column's row, -1 for null; for a group key
// read from a kCode column.
inline int64_t CodeAt(const Column* column, int64_t row) {
  if (column == nullptr || column->IsNull(row)) return -1;
  return column->data<int32_t>()[row];
}

}  // namespace leadkit::report_internal

#endif  // LEADKIT_SRC_REPORT_INTERNAL_H_
