// A batch of leads and their touches, read once for the cadence and the KPIs:
// columns checked, dictionaries resolved, each lead's facts built and its
// touches grouped and ordered. Not part of the API.
#ifndef LEADKIT_SRC_LEAD_BATCH_H_
#define LEADKIT_SRC_LEAD_BATCH_H_

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit::batch_internal {

// Reports a bad row: returns an error to stop, or OK to leave the row out and
// go on.
using Reject =
    std::function<absl::Status(absl::string_view table, int64_t row,
                               absl::string_view column, std::string message)>;

// A column of `table` that must have `type`: nullptr when absent and not
// required, InvalidArgument when it holds another type (or is missing and
// required).
absl::StatusOr<const Column*> Read(const Columns& table,
                                   absl::string_view table_name,
                                   absl::string_view name, ColumnType type,
                                   bool required);
// A column of strings, with or without a dictionary.
absl::StatusOr<const Column*> ReadStrings(const Columns& table,
                                          absl::string_view table_name,
                                          absl::string_view name,
                                          bool required);
// The lead_id column of `table` (required).
absl::StatusOr<const Column*> ReadIds(const Columns& table,
                                      absl::string_view table_name);
// The instant at `row`, nullopt when the column is absent or the value null.
std::optional<Instant> InstantAt(const Column* c, int64_t row);
// Per dictionary code of a string column: the index of its string in `names`,
// -1 for none.
std::vector<int> CodeIndex(const Column* c,
                           std::span<const absl::string_view> names);
// `s` in double quotes, for messages.
std::string Quote(absl::string_view s);
// The one message for a lead id given twice in a table, whichever engine reads
// it (the KPIs and reports, the schedule, routing, hand-over and reclaim):
// GivenTwice("L1", 0) is `lead_id "L1" is given twice (first at row 0)`.
std::string GivenTwice(absl::string_view id, int64_t first_row);
// An instant as UTC text, for messages: 2024-06-01T02:00:00Z.
std::string InstantText(Instant t);
// What the value at `row` of code column `c` maps to through `of` (per
// dictionary code, from CodeIndex): kNotGiven when absent or null, kUnknown
// when the value is not one of the names. A plain int, not an optional: the
// callers' comparisons, compiled, may read an empty optional's uninitialised
// value (which Valgrind reports for every lead without the column).
inline constexpr int kUnknown = -1;
inline constexpr int kNotGiven = -2;
int Mapped(const Column* c, const std::vector<int>& of, int64_t row);

// A bad row found while reading, reported later in row order.
struct Problem {
  int64_t row;
  absl::string_view column;
  std::string message;
};

// A touch as a batch keeps it, beside its lead's other touches.
struct GroupedTouch {
  int64_t at;           // seconds since the epoch
  uint32_t lead;        // lead row
  int16_t method;       // code in touches.method's dictionary
  int16_t grade_after;  // the policy's grade index; -1 when unchanged
};
static_assert(sizeof(GroupedTouch) == 16);

// Reads lead rows and touch rows of a batch from their columns: what a batch
// keeps instead of a copy of every lead's facts.
class LeadRowReader {
 public:
  // Resolves the columns and their dictionaries and classifies the leads.
  // Without a policy (nullptr: a report that reads no grades) the leads'
  // grade, channel and model and the touches' grade_after are not read, and
  // LeadFacts::grade is -1.
  static absl::StatusOr<LeadRowReader> Make(const Policy* policy,
                                            const Columns& leads,
                                            const Columns& touches);

  // Fills `f` (campaigns empty) with lead `row`'s facts; the first problem of
  // a bad row.
  std::optional<Problem> Lead(int64_t row, LeadFacts& f) const;
  // Touch row `t` of lead row `lead` (at and method not null, grade_after
  // null or one of the policy's grades).
  GroupedTouch Grouped(int64_t t, int64_t lead) const {
    return {.at = touch_at_->data<int64_t>()[t],
            .lead = static_cast<uint32_t>(lead),
            .method = static_cast<int16_t>(method_->data<int32_t>()[t]),
            .grade_after = static_cast<int16_t>(std::max(GradeAfter(t), -1))};
  }
  // What the cadence reads of a grouped touch.
  TouchFacts Facts(const GroupedTouch& g) const {
    return {.at = Instant(std::chrono::seconds(g.at)),
            .method = method_->dictionary()[static_cast<size_t>(g.method)],
            .grade_after = g.grade_after};
  }
  // The order of a lead's touches (TouchBefore): by time, then method name,
  // then grade_after (unchanged first).
  bool Before(const GroupedTouch& a, const GroupedTouch& b) const {
    if (a.at != b.at) return a.at < b.at;
    if (a.method != b.method) {
      return method_rank_[static_cast<size_t>(a.method)] <
             method_rank_[static_cast<size_t>(b.method)];
    }
    return a.grade_after < b.grade_after;
  }
  // Touch row `t`'s grade_after: kNotGiven when null, kUnknown when not one
  // of the policy's grades (Mapped). Inline: called for every touch, mostly
  // of a batch without the column.
  int GradeAfter(int64_t t) const {
    if (grade_after_ == nullptr) return kNotGiven;
    return Mapped(grade_after_, grade_after_of_, t);
  }

  const Column* ids() const { return ids_; }
  const Column* dealer() const { return dealer_; }  // leads.dealer_id
  const Column* created() const { return created_; }
  const Column* touch_ids() const { return touch_ids_; }
  const Column* touch_at() const { return touch_at_; }
  const Column* method() const { return method_; }
  const Column* grade_after() const { return grade_after_; }
  // " (O, A, B, C)" and a near miss's suggestion, for a bad grade `value`.
  std::string AllowedGrades(absl::string_view value) const;

 private:
  const Column *ids_ = nullptr, *created_ = nullptr, *assigned_ = nullptr,
               *won_at_ = nullptr, *delivered_ = nullptr, *lost_at_ = nullptr,
               *status_ = nullptr, *review_ = nullptr, *grade_ = nullptr,
               *channel_ = nullptr, *model_ = nullptr, *birthday_ = nullptr,
               *dealer_ = nullptr;
  const Column *touch_ids_ = nullptr, *touch_at_ = nullptr, *method_ = nullptr,
               *grade_after_ = nullptr;
  std::vector<int> status_of_, review_of_, grade_of_, grade_after_of_,
      callback_of_;                             // per dictionary code
  std::vector<std::vector<int>> campaigns_of_;  // per model code
  std::vector<int32_t> method_rank_;  // per method code: its name's place
  std::vector<int32_t> classified_;   // per lead row
  std::vector<std::string> grade_names_;  // the policy's, for messages
};

// " (a, b, c)" and, when `value` is a near miss of one of `names`, "; did you
// mean "b"?": what a message about an unknown value adds.
std::string Allowed(absl::string_view value,
                    std::span<const absl::string_view> names);

// a == b for n <= 16 bytes, in a few word compares (the first and last words
// overlap when n is not a multiple).
inline bool SameShort(const char* a, const char* b, size_t n) {
  const auto same = [&](auto word, size_t at) {
    decltype(word) x, y;
    std::memcpy(&x, a + at, sizeof x);
    std::memcpy(&y, b + at, sizeof y);
    return x == y;
  };
  if (n >= 8) return same(uint64_t{}, 0) && same(uint64_t{}, n - 8);
  if (n >= 4) return same(uint32_t{}, 0) && same(uint32_t{}, n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Empties `v` and gives its memory back (`v = {}` would keep it).
template <typename T>
void FreeMemory(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

// lead_id -> lead row and created_at: open addressing over a power of two of
// slots (at most two thirds full). A lookup mostly reads one slot, which a
// caller can prefetch; ids longer than a slot holds are compared with the
// leads' id column.
class IdIndex {
 public:
  static uint64_t HashOf(absl::string_view id);
  // a == b, quick for short ids.
  static bool Same(absl::string_view a, absl::string_view b) {
    if (a.size() != b.size()) return false;
    return a.size() <= 16 ? SameShort(a.data(), b.data(), a.size()) : a == b;
  }

  // Empties the index for up to `capacity` ids of column `ids`, clearing its
  // memory on `threads` threads.
  void Reset(int64_t capacity, const Column* ids, int threads = 1);
  // Lets the slots' memory go: the index is empty.
  void Release() {
    slots_.reset();
    mask_ = 0;
  }
  // A lead as the index holds it.
  struct Entry {
    int64_t row = -1;     // -1: absent
    int64_t created = 0;  // the created_at value given with it
  };
  // Adds `id` (hash `hash`) at `row`, with its created_at value; when it is
  // there already, its row instead.
  int64_t Insert(absl::string_view id, uint64_t hash, int64_t row,
                 int64_t created);
  // The lead of `id`: its row -1 when absent.
  Entry Lookup(absl::string_view id, uint64_t hash) const {
    for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[static_cast<size_t>(i)];
      if (slot.row < 0) return {};
      if (Holds(slot, id, hash)) return {slot.row, slot.created};
    }
  }
  // The row of `id`, -1 when absent.
  int64_t Find(absl::string_view id, uint64_t hash) const {
    return Lookup(id, hash).row;
  }
  int64_t Find(absl::string_view id) const { return Find(id, HashOf(id)); }
  // Fetches the slot a lookup of `hash` starts at.
  void Prefetch(uint64_t hash) const {
    __builtin_prefetch(&slots_[static_cast<size_t>(hash & mask_)]);
  }

 private:
  // A slot holds what a lookup reads, in one cache line: the hash's top half,
  // the row, its created_at (a touch is checked against it) and ids of up to
  // 15 bytes. All bytes 0xFF: empty.
  struct alignas(32) Slot {  // never across two cache lines
    uint32_t tag;
    int32_t row;  // -1: empty
    int64_t created;
    uint8_t size;  // 255: 255 bytes or more
    char key[15];
  };
  static uint32_t TagOf(uint64_t hash) {
    return static_cast<uint32_t>(hash >> 32);
  }
  static uint8_t SizeOf(absl::string_view id) {
    return static_cast<uint8_t>(std::min<size_t>(id.size(), 255));
  }
  bool Holds(const Slot& slot, absl::string_view id, uint64_t hash) const {
    if (slot.tag != TagOf(hash) || slot.size != SizeOf(id)) return false;
    if (id.size() <= sizeof(slot.key)) {
      return SameShort(slot.key, id.data(), id.size());
    }
    return ids_->ViewAt(slot.row) == id;
  }

  std::unique_ptr<Slot[]> slots_;
  uint64_t mask_ = 0;
  const Column* ids_ = nullptr;
};

// Indexes lead ids `ids` (none null) of rows [0, n), with their created_at
// values (`created`, or 0 when nullptr), hashing on `threads` threads: the
// first row of an id repeated keeps it. Returns the first repeated row and
// the row it repeats, or {-1, -1}.
std::pair<int64_t, int64_t> IndexIds(const Column& ids, int64_t n,
                                     const int64_t* created, int threads,
                                     IdIndex& index);

struct LeadBatch {
  const Column* ids = nullptr;      // leads.lead_id
  const Column* entered = nullptr;  // leads.entered_at, when present
  LeadRowReader reader;
  std::vector<uint8_t>
      rejected;  // per lead row: left out (bad, or out of scope)
  // Touches grouped by lead and ordered (LeadRowReader::Before): lead r's
  // are touches[offsets[r], offsets[r + 1]) (none before its creation).
  std::unique_ptr<GroupedTouch[]> touches;
  std::vector<int64_t> offsets;
  Instant as_of{};  // touches after it are not read
  IdIndex row_of;   // lead_id -> row, while the batch is read

  // Lead `row`'s facts (a row not rejected).
  LeadFacts Facts(int64_t row) const;
  // Lead `row`'s touches by as_of, ordered (TouchBefore), into `out`.
  void TouchesOf(int64_t row, std::vector<TouchFacts>& out) const;
};

// The cadence lead `row` of the batch is judged by: its dealer's calendar's
// (Cadence::WithDealers), else `cadence` itself.
inline const Cadence& LeadCadence(const Cadence& cadence,
                                  const LeadBatch& batch, int64_t row) {
  const Column* dealer = batch.reader.dealer();
  if (!cadence.has_dealer_calendars() || dealer == nullptr ||
      dealer->IsNull(row)) {
    return cadence;
  }
  return cadence.ForDealer(dealer->ViewAt(row));
}

// The lead row of each row of another table's lead_id column (not null), -1
// for an id not in the batch (or not in `index`).
class LeadRows {
 public:
  LeadRows(const LeadBatch& batch, const Column& ids)
      : LeadRows(batch.row_of, ids) {}
  LeadRows(const IdIndex& index, const Column& ids);

  static constexpr int64_t kBlock = 64;

  // The leads of rows [begin, end) (at most kBlock of them) into `out`: row
  // -1 for a null id or one not in the batch.
  void Find(int64_t begin, int64_t end, IdIndex::Entry* out) const;

  // Calls fn(row, lead) (an IdIndex::Entry) for rows [begin, end) in order
  // until it returns false; rows go in blocks whose leads are found, and their
  // rows passed to prefetch(row) (for what fn will read of them), before fn
  // sees any.
  template <typename Prefetch, typename Fn>
  void Walk(int64_t begin, int64_t end, const Prefetch& prefetch,
            const Fn& fn) const {
    std::array<IdIndex::Entry, kBlock> leads;
    for (int64_t from = begin; from < end; from += kBlock) {
      const int64_t to = std::min(end, from + kBlock);
      Find(from, to, leads.data());
      for (int64_t row = from; row < to; ++row) {
        const int64_t lead = leads[static_cast<size_t>(row - from)].row;
        if (lead >= 0) prefetch(lead);
      }
      for (int64_t row = from; row < to; ++row) {
        if (!fn(row, leads[static_cast<size_t>(row - from)])) return;
      }
    }
  }

 private:
  const IdIndex& index_;
  const Column& ids_;
  std::vector<IdIndex::Entry> of_code_;  // per dictionary code (code ids)
};

// Splits rows [0, n) into `threads` contiguous chunks, the same for the same n
// and threads, and runs fn(k, begin, end) for each chunk k (also an empty one)
// on threads of its own when there is more than one.
template <typename Fn>
void RunChunks(int64_t n, int threads, const Fn& fn) {
  const int64_t chunk = (n + threads - 1) / std::max(threads, 1);
  const auto run = [&](int k) {
    const int64_t begin = std::min<int64_t>(n, chunk * k);
    fn(k, begin, std::min<int64_t>(n, begin + chunk));
  };
  if (threads <= 1) {
    run(0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int k = 0; k < threads; ++k) pool.emplace_back(run, k);
  for (std::thread& t : pool) t.join();
}

// Sorts [begin, end) by `before`, keeping the order of equals: for the few
// touches of one lead, where it beats std::stable_sort's set-up.
template <typename T, typename Before>
void InsertionSort(T* begin, T* end, const Before& before) {
  if (begin == end) return;
  for (T* i = begin + 1; i < end; ++i) {
    const T value = *i;
    T* j = i;
    for (; j > begin && before(value, *(j - 1)); --j) *j = *(j - 1);
    *j = value;
  }
}

// Groups rows by lead: make(row, lead) of each row whose lead (in
// lead_of_row) is not -1, into `out`; lead r's are out[offsets[r],
// offsets[r + 1]) for r < n, ordered by `before` (rows in row order where it
// finds none first). Rows first go to buckets of consecutive leads; each
// bucket, small enough for the cache, is then sorted: no pass writes all over
// memory. `threads` > 1 splits each pass over threads.
template <typename Make, typename Before>
void GroupByLead(std::span<const int32_t> lead_of_row, int64_t n, int threads,
                 const Make& make, const Before& before,
                 std::unique_ptr<GroupedTouch[]>& out,
                 std::vector<int64_t>& offsets) {
  offsets.assign(static_cast<size_t>(n) + 1, 0);
  out.reset();
  if (n == 0) return;
  const auto m = static_cast<int64_t>(lead_of_row.size());
  // Buckets of 2^shift consecutive leads: at most 512 of them (fewer places
  // to write to at once), unless that would put more than 8192 leads (some
  // 40,000 touches) in one, which would no longer fit in the cache.
  int bits = 0;
  while ((int64_t{1} << bits) < n) ++bits;
  const int shift = std::clamp(bits - 9, 0, 13);
  const auto buckets = static_cast<size_t>(((n - 1) >> shift) + 1);

  // Rows per bucket and thread; then where each thread's slice of each bucket
  // starts: buckets in lead order, a bucket's slices in thread (row) order.
  std::vector<std::vector<int64_t>> next(static_cast<size_t>(threads),
                                         std::vector<int64_t>(buckets, 0));
  RunChunks(m, threads, [&](int k, int64_t begin, int64_t end) {
    std::vector<int64_t>& count = next[static_cast<size_t>(k)];
    for (int64_t t = begin; t < end; ++t) {
      const int32_t lead = lead_of_row[static_cast<size_t>(t)];
      if (lead >= 0) ++count[static_cast<size_t>(lead >> shift)];
    }
  });
  std::vector<int64_t> bucket_begin(buckets + 1, 0);
  int64_t total = 0;
  for (size_t b = 0; b < buckets; ++b) {
    bucket_begin[b] = total;
    for (std::vector<int64_t>& count : next) {
      const int64_t c = count[b];
      count[b] = total;
      total += c;
    }
  }
  bucket_begin[buckets] = total;

  // Rows into their buckets: each thread writes a run per bucket.
  const auto size = static_cast<size_t>(total);
  out.reset(new GroupedTouch[size]);
  RunChunks(m, threads, [&](int k, int64_t begin, int64_t end) {
    std::vector<int64_t>& at = next[static_cast<size_t>(k)];
    for (int64_t t = begin; t < end; ++t) {
      const int32_t lead = lead_of_row[static_cast<size_t>(t)];
      if (lead < 0) continue;
      out[static_cast<size_t>(at[static_cast<size_t>(lead >> shift)]++)] =
          make(t, lead);
    }
  });

  // Each bucket sorted in the cache: by lead (counting), then each lead's few
  // touches by `before` (insertion, which keeps row order among equals).
  const int64_t per_bucket = int64_t{1} << shift;
  RunChunks(static_cast<int64_t>(buckets), threads,
            [&](int, int64_t first_bucket, int64_t last_bucket) {
              std::vector<int64_t> place(static_cast<size_t>(per_bucket));
              std::vector<GroupedTouch> copy;
              for (int64_t b = first_bucket; b < last_bucket; ++b) {
                const int64_t first = b * per_bucket;
                const int64_t leads = std::min(n - first, per_bucket);
                const int64_t from = bucket_begin[static_cast<size_t>(b)];
                const int64_t to = bucket_begin[static_cast<size_t>(b) + 1];
                copy.assign(out.get() + from, out.get() + to);
                std::fill_n(place.begin(), leads, 0);
                for (const GroupedTouch& g : copy) ++place[g.lead - first];
                int64_t position = from;
                for (int64_t l = 0; l < leads; ++l) {
                  offsets[static_cast<size_t>(first + l)] = position;
                  const int64_t c = place[static_cast<size_t>(l)];
                  place[static_cast<size_t>(l)] = position;
                  position += c;
                }
                for (const GroupedTouch& g : copy) {
                  out[static_cast<size_t>(place[g.lead - first]++)] = g;
                }
                for (int64_t l = 0; l < leads; ++l) {
                  const int64_t start = offsets[static_cast<size_t>(first + l)];
                  InsertionSort(out.get() + start,
                                out.get() + place[static_cast<size_t>(l)],
                                before);
                }
              }
            });
  offsets[static_cast<size_t>(n)] = total;
}

// Called once every lead id is known and the touches are checked, before the
// id index is let go: where other tables' lead ids are looked up.
// `touch_lead` holds each touch row's lead row, -1 for a touch the batch
// does not read (its lead left out, or the touch reported as bad).
using WithIds = std::function<absl::Status(
    const LeadBatch& batch, std::span<const int32_t> touch_lead)>;

// Reads `leads` (lead_id, created_at and the optional columns of docs/data.md)
// and `touches` (lead_id, at, method, grade_after). Rows with a zero in
// `include` (when given) are left out without a word, and so are their touches.
// `threads` > 1 splits the work over threads; the batch and the order of the
// reports are the same for any number. The batch returned has no id index:
// lookups go in `with_ids`.
absl::StatusOr<LeadBatch> ReadLeadBatch(
    const Policy& policy, const Columns& leads, const Columns& touches,
    Instant as_of, const Reject& reject, std::span<const uint8_t> include = {},
    int threads = 1, const WithIds& with_ids = {});

// As above, without a policy, for reports that read no grades (follow-up
// effectiveness): the leads' grade, channel and model and the touches'
// grade_after are neither read nor checked; LeadFacts::grade and
// GroupedTouch::grade_after are -1.
absl::StatusOr<LeadBatch> ReadLeadBatch(const Columns& leads,
                                        const Columns& touches, Instant as_of,
                                        const Reject& reject,
                                        std::span<const uint8_t> include = {},
                                        int threads = 1,
                                        const WithIds& with_ids = {});

}  // namespace leadkit::batch_internal

#endif  // LEADKIT_SRC_LEAD_BATCH_H_
