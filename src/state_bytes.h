// The bytes of a mergeable report state (KpiState and the report states of
// docs/kpis.md): one framing for all, so that a bad header, truncated bytes or
// a changed byte are a clear InvalidArgument, never a crash or a wrong table.
// Not part of the API.
//
//   magic     6 bytes naming the state and its format version ("LKKPI3")
//   length    the payload's length, a varint
//   payload   numbers as zigzag LEB128 varints, strings length-prefixed
//   checksum  8 bytes, little-endian: FNV-1a 64 of everything before it (a
//             single changed byte always changes it)
#ifndef LEADKIT_SRC_STATE_BYTES_H_
#define LEADKIT_SRC_STATE_BYTES_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace leadkit::state_internal {

// Appends v as a zigzag LEB128 varint.
void PutInt(std::string& out, int64_t v);
// Appends a length-prefixed string.
void PutString(std::string& out, absl::string_view s);
// Appends a group's key: per part a flag (1, or 0 for null) and the text when
// there is one. Reader::Key reads it back.
void PutKey(std::string& out, std::span<const std::optional<std::string>> key);

// FNV-1a 64 of `bytes`.
uint64_t Checksum(absl::string_view bytes);

// `magic` (6 bytes), the payload's length, the payload and the checksum.
std::string Frame(absl::string_view magic, absl::string_view payload);

// The payload of bytes Frame wrote with `magic`. InvalidArgument beginning
// with `what` ("KPI state bytes") for another header, bytes cut short, bytes
// past the end, or a checksum that does not match.
absl::StatusOr<absl::string_view> Unframe(absl::string_view bytes,
                                          absl::string_view magic,
                                          absl::string_view what);

// The sum of every count of a state (or of two, about to be merged), checked
// for overflow; the count whose addition passes int64's end is named. A state
// whose counts all add up within int64 can be summed in any way (a group's
// counts, a total row, several counts together) without overflow;
// Deserialize, Merge and Add keep every state so. Counts are not negative
// (Deserialize checks).
class CountTotal {
 public:
  explicit CountTotal(absl::string_view what) : what_(what) {}

  // Adds `value`, a count of `field`; the first that passes int64's end is
  // kept for Status().
  void Add(absl::string_view field, int64_t value) {
    if (!overflow_.empty()) return;
    if (__builtin_add_overflow(total_, value, &total_)) {
      overflow_.assign(field.data(), field.size());
    }
  }
  // The same for count `index` of a list of counts named `field`.
  void Add(absl::string_view field, size_t index, int64_t value);
  int64_t total() const { return total_; }
  // OK, or `code` (OutOfRange for Merge and Add, InvalidArgument for
  // Deserialize): "<what>: <doing> overflows <field>: the counts add up to
  // more than 9223372036854775807".
  absl::Status Status(absl::StatusCode code, absl::string_view doing) const;

 private:
  std::string what_;
  int64_t total_ = 0;
  std::string overflow_;
};

// Merge's check, before anything changes: the counts of two states' groups
// (maps; `add(total, entry)` adds one entry's counts) add up within int64, so
// no sum of them overflows. OutOfRange naming `what` and the count otherwise.
template <typename Groups, typename AddCounts>
absl::Status MergedCountsFit(absl::string_view what, const Groups& mine,
                             const Groups& theirs, AddCounts add) {
  CountTotal total(what);
  for (const auto& entry : mine) add(total, entry);
  for (const auto& entry : theirs) add(total, entry);
  return total.Status(absl::StatusCode::kOutOfRange, "merging");
}

// Reads what PutInt and PutString wrote (or, for states written before the
// varint format, 8-byte little-endian numbers). Errors begin with `what`.
class Reader {
 public:
  Reader(absl::string_view bytes, absl::string_view what, bool varints = true)
      : bytes_(bytes), what_(what), varints_(varints) {}

  bool varints() const { return varints_; }
  absl::StatusOr<int64_t> Int();
  absl::StatusOr<std::string> String();
  // A count of things that follow: not negative, not more than bytes left.
  absl::StatusOr<int64_t> Count();
  // A key of `parts` parts that PutKey wrote; a flag other than 0 or 1 is
  // InvalidArgument ("<what>: a key part's flag is 2").
  absl::StatusOr<std::vector<std::optional<std::string>>> Key(int64_t parts);
  // Counts of a group, into `counts` in order; a negative one is
  // InvalidArgument ("<what>: a negative count -1").
  absl::Status Counts(std::initializer_list<int64_t*> counts);
  // OK when every byte was read, else InvalidArgument ("trailing bytes").
  absl::Status Done() const;
  bool done() const { return pos_ == bytes_.size(); }
  // How many bytes were read.
  size_t position() const { return pos_; }

 private:
  absl::StatusOr<int64_t> Fixed();
  absl::StatusOr<int64_t> Varint();
  absl::Status Truncated() const;

  absl::string_view bytes_;
  std::string what_;
  bool varints_;
  size_t pos_ = 0;
};

}  // namespace leadkit::state_internal

#endif  // LEADKIT_SRC_STATE_BYTES_H_
