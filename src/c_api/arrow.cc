#include "c_api/arrow.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/phone.h"

namespace leadkit::c_api_internal {
namespace {

bool BitSet(const void* bits, int64_t i) {
  return ((static_cast<const uint8_t*>(bits)[i >> 3] >> (i & 7)) & 1) != 0;
}

// Whether the value at the array's index `index` is valid (not null).
bool IsValid(const ArrowArray& a, int64_t index) {
  if (a.null_count == 0 || a.n_buffers == 0 || a.buffers[0] == nullptr) {
    return true;
  }
  return BitSet(a.buffers[0], index);
}

// Bits [first, first + n) of `bits` as bytes 0 or 1 into `out`: whole bytes
// of bits at a time through a table of their eight bytes.
void BitsToBytes(const void* bits, int64_t first, int64_t n, uint8_t* out) {
  static const auto* const kBytesOf = [] {
    auto* table = new std::array<std::array<uint8_t, 8>, 256>();
    for (int v = 0; v < 256; ++v) {
      for (int k = 0; k < 8; ++k) (*table)[v][k] = (v >> k) & 1;
    }
    return table;
  }();
  const auto* b = static_cast<const uint8_t*>(bits);
  int64_t i = 0;
  for (; i < n && ((first + i) & 7) != 0; ++i) out[i] = BitSet(b, first + i);
  for (; i + 8 <= n; i += 8) {
    std::memcpy(out + i, (*kBytesOf)[b[(first + i) >> 3]].data(), 8);
  }
  for (; i < n; ++i) out[i] = BitSet(b, first + i);
}

// The `T` values of `buffer` from its index `first`, where they lie, or
// nullptr when they are not aligned for T (then they are copied).
template <typename T>
const T* AlignedAt(const void* buffer, int64_t first) {
  const char* p = static_cast<const char*>(buffer) +
                  first * static_cast<int64_t>(sizeof(T));
  if (reinterpret_cast<uintptr_t>(p) % alignof(T) != 0) return nullptr;
  return reinterpret_cast<const T*>(p);
}

// The `T` at index `index` of `buffer`, aligned or not.
template <typename T>
T LoadAt(const void* buffer, int64_t index) {
  T v;
  std::memcpy(&v, static_cast<const char*>(buffer) + index * sizeof(T),
              sizeof(T));
  return v;
}

// The values of the fixed-width column `c` as `Out`s: where they lie (its
// offset included) when they are `In`s that are `Out`s aligned for it and
// `kMayView`; else each converted by `convert` (In -> Out) into a buffer added
// to `own`.
template <typename Out, typename In, bool kMayView = std::is_same_v<Out, In>,
          typename Convert>
const Out* ValuesOf(const ArrowColumn& c, std::deque<std::vector<Out>>& own,
                    const Convert& convert) {
  const void* data = c.array->buffers[1];
  const int64_t first = c.Index(0);
  if constexpr (kMayView) {
    if (c.length > 0) {
      if (const Out* in_place = AlignedAt<Out>(data, first)) return in_place;
    }
  }
  std::vector<Out>& values = own.emplace_back(static_cast<size_t>(c.length));
  Out* out = values.data();
  for (int64_t row = 0; row < c.length; ++row) {
    out[row] = convert(LoadAt<In>(data, first + row));
  }
  return out;
}

// Strings as dense codes in the order first seen, for a batch's string
// column: an open-addressing set of views into the batch's buffers (valid
// while it is read) in front of the column's Dictionary, so that a row whose
// value was seen costs one hash of its bytes and one comparison, and a new
// value one copy into the dictionary. A string of up to eight bytes is
// compared as one word (ShortWord) and its length.
class ViewCoder {
 public:
  explicit ViewCoder(report_internal::Dictionary& dictionary)
      : dictionary_(dictionary), slots_(kInitialSlots) {}

  ABSL_ATTRIBUTE_ALWAYS_INLINE int32_t Code(absl::string_view s) {
    const auto n = static_cast<int64_t>(s.size());
    const bool is_short = n <= 8;
    const uint64_t word = is_short ? ShortWord(s.data(), s.size()) : 0;
    const uint64_t h = is_short ? Mix(word + static_cast<uint64_t>(n))
                                : LongHash(s);
    for (size_t i = Slot(h);; i = (i + 1) & (slots_.size() - 1)) {
      Entry& e = slots_[i];
      if (e.view < 0) return Insert(e, s, h, word);
      if (e.hash == h && e.size == n &&
          (is_short ? e.word == word
                    : views_[static_cast<size_t>(e.view)] == s)) {
        return e.code;
      }
    }
  }

 private:
  static constexpr size_t kInitialSlots = 64;
  static constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  struct Entry {
    uint64_t hash = 0;
    uint64_t word = 0;  // ShortWord of a string of up to eight bytes
    int64_t size = 0;
    int32_t view = -1;  // index into views_; -1: an empty slot
    int32_t code = 0;
  };

  // A value first seen, into the empty slot `e`.
  ABSL_ATTRIBUTE_NOINLINE int32_t Insert(Entry& e, absl::string_view s,
                                         uint64_t h, uint64_t word) {
    const int32_t code = dictionary_.Code(s);
    e = {h, word, static_cast<int64_t>(s.size()),
         static_cast<int32_t>(views_.size()), code};
    views_.push_back(s);
    if (views_.size() * 2 > slots_.size()) Grow();
    return code;
  }

  static uint64_t Mix(uint64_t h) {
    h *= kMul;
    return h ^ (h >> 29);
  }
  // Up to eight bytes as one word: two overlapping four-byte reads from the
  // start and the end (or the first, middle and last byte), which together
  // cover every byte — for a given length, equal words are equal strings.
  static uint64_t ShortWord(const char* p, size_t n) {
    if (n >= 4) {
      return uint64_t{LoadAt<uint32_t>(p, 0)} |
             uint64_t{LoadAt<uint32_t>(p + n - 4, 0)} << 32;
    }
    if (n == 0) return 0;
    return uint64_t{static_cast<uint8_t>(p[0])} |
           uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
           uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
  }
  // A longer string's hash: eight bytes at a time, then its last eight.
  static uint64_t LongHash(absl::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t h = n;
    for (size_t i = 0; i + 8 < n; i += 8) {
      h = Mix(h ^ LoadAt<uint64_t>(p + i, 0));
    }
    return Mix(h ^ LoadAt<uint64_t>(p + n - 8, 0));
  }
  size_t Slot(uint64_t h) const { return (h >> 32) & (slots_.size() - 1); }

  void Grow() {
    std::vector<Entry> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Entry& e : old) {
      if (e.view < 0) continue;
      size_t i = Slot(e.hash);
      while (slots_[i].view >= 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = e;
    }
  }

  report_internal::Dictionary& dictionary_;
  std::vector<Entry> slots_;
  std::vector<absl::string_view> views_;
};

// A readable name of an Arrow format string, for messages.
std::string TypeName(const ArrowSchema& schema) {
  const absl::string_view f = schema.format == nullptr ? "" : schema.format;
  if (schema.dictionary != nullptr) {
    return absl::StrCat("dictionary<", TypeName(ArrowSchema{.format = schema.format}),
                        ", ", TypeName(*schema.dictionary), ">");
  }
  static const struct {
    const char* format;
    const char* name;
  } kNames[] = {{"n", "null"},       {"b", "bool"},        {"c", "int8"},
                {"C", "uint8"},      {"s", "int16"},       {"S", "uint16"},
                {"i", "int32"},      {"I", "uint32"},      {"l", "int64"},
                {"L", "uint64"},     {"e", "float16"},     {"f", "float32"},
                {"g", "float64"},    {"u", "utf8"},        {"U", "large_utf8"},
                {"z", "binary"},     {"Z", "large_binary"}, {"vu", "string_view"},
                {"vz", "binary_view"}, {"tdD", "date32"},  {"tdm", "date64"},
                {"+s", "struct"},    {"+l", "list"},       {"+L", "large_list"}};
  if ((f == "+l" || f == "+L") && schema.n_children == 1 &&
      schema.children != nullptr && schema.children[0] != nullptr) {
    return absl::StrCat(f == "+l" ? "list<" : "large_list<",
                        TypeName(*schema.children[0]), ">");
  }
  for (const auto& [format, name] : kNames) {
    if (f == format) return name;
  }
  if (absl::StartsWith(f, "ts") && f.size() >= 4 && f[3] == ':') {
    const absl::string_view zone = f.substr(4);
    return absl::StrCat("timestamp[", f.substr(2, 1) == "s" ? "s" : f.substr(2, 1),
                        zone.empty() ? "" : absl::StrCat(", tz=", zone), "]");
  }
  return absl::StrCat("with format \"", f, "\"");
}

bool IsIntegerFormat(absl::string_view f) {
  return f == "c" || f == "C" || f == "s" || f == "S" || f == "i" ||
         f == "I" || f == "l" || f == "L";
}

// `f.template operator()<T>()`, T the C++ type of the Arrow integer format
// `format` (one IsIntegerFormat accepts).
template <typename F>
decltype(auto) WithIntegerType(absl::string_view format, const F& f) {
  switch (format[0]) {
    case 'c':
      return f.template operator()<int8_t>();
    case 'C':
      return f.template operator()<uint8_t>();
    case 's':
      return f.template operator()<int16_t>();
    case 'S':
      return f.template operator()<uint16_t>();
    case 'i':
      return f.template operator()<int32_t>();
    case 'I':
      return f.template operator()<uint32_t>();
    case 'l':
      return f.template operator()<int64_t>();
    default:
      return f.template operator()<uint64_t>();
  }
}

int IntegerWidth(absl::string_view f) {
  switch (f[0]) {
    case 'c':
    case 'C':
      return 1;
    case 's':
    case 'S':
      return 2;
    case 'i':
    case 'I':
      return 4;
    default:
      return 8;
  }
}

// The integer at `index` of a buffer of `width`-byte integers; `is_signed`
// as the format says. Unsigned 64-bit values past INT64_MAX set `overflow`.
int64_t IntegerAt(const void* data, int64_t index, int width, bool is_signed,
                  bool& overflow) {
  const auto* p = static_cast<const uint8_t*>(data) + index * width;
  switch (width) {
    case 1:
      return is_signed ? int64_t{*reinterpret_cast<const int8_t*>(p)}
                       : int64_t{*p};
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return is_signed ? int64_t{static_cast<int16_t>(v)} : int64_t{v};
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return is_signed ? int64_t{static_cast<int32_t>(v)} : int64_t{v};
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      if (!is_signed && v > static_cast<uint64_t>(INT64_MAX)) overflow = true;
      return static_cast<int64_t>(v);
    }
  }
}

// a / b rounded down; inlined, a constant `b` makes it a multiplication.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

absl::Status TooFewBuffers(absl::string_view table, absl::string_view name,
                           const ArrowSchema& schema) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, ".", name, ": the Arrow array of type ",
                   TypeName(schema), " lacks its buffers"));
}

// Checks that the array holds the `n` buffers its type needs, the values'
// (buffer 1) present when there are rows.
absl::Status NeedBuffers(const ArrowColumn& c, int64_t n, absl::string_view table,
                         absl::string_view name) {
  if (c.array->n_buffers < n || c.array->buffers == nullptr ||
      (c.length > 0 && c.array->buffers[1] == nullptr)) {
    return TooFewBuffers(table, name, *c.schema);
  }
  return absl::OkStatus();
}

// Whether a utf8 / large_utf8 array's offsets over `count` values from `first`
// never decrease and start at 0 or more.
bool OffsetsInOrder(const ArrowArray& a, bool large, int64_t first,
                    int64_t count) {
  auto in_order = [&]<typename Offset>() {
    const Offset* __restrict o = AlignedAt<Offset>(a.buffers[1], first);
    if (o == nullptr) {  // unaligned: each offset loaded on its own
      Offset previous = LoadAt<Offset>(a.buffers[1], first);
      if (previous < 0) return false;
      for (int64_t i = 1; i <= count; ++i) {
        const Offset next = LoadAt<Offset>(a.buffers[1], first + i);
        if (next < previous) return false;
        previous = next;
      }
      return true;
    }
    // An accumulator as wide as the offsets: the loop runs on whole vector
    // registers.
    Offset decreases = 0;
    for (int64_t i = 0; i < count; ++i) {
      decreases |= static_cast<Offset>(o[i + 1] < o[i]);
    }
    return o[0] >= 0 && decreases == 0;
  };
  return large ? in_order.operator()<int64_t>()
               : in_order.operator()<int32_t>();
}

// The string at `index` of a string_view array: 16-byte views, a string of up
// to 12 bytes inline after its length, a longer one as (length, prefix,
// buffer, offset) into the data buffers 2 .. n_buffers - 2.
absl::string_view ViewAt(const ArrowArray& a, int64_t index) {
  const auto* view = static_cast<const uint8_t*>(a.buffers[1]) + index * 16;
  int32_t length;
  std::memcpy(&length, view, 4);
  if (length <= 12) {
    return {reinterpret_cast<const char*>(view + 4), static_cast<size_t>(length)};
  }
  int32_t buffer, offset;
  std::memcpy(&buffer, view + 8, 4);
  std::memcpy(&offset, view + 12, 4);
  return {static_cast<const char*>(a.buffers[2 + buffer]) + offset,
          static_cast<size_t>(length)};
}

// Whether the views of a string_view array over `count` values from `first`
// lie inside its data buffers (whose sizes the last buffer holds).
bool ViewsInBounds(const ArrowArray& a, int64_t first, int64_t count) {
  const int64_t data_buffers = a.n_buffers - 3;
  const auto* sizes = static_cast<const int64_t*>(a.buffers[a.n_buffers - 1]);
  for (int64_t i = first; i < first + count; ++i) {
    if (!IsValid(a, i)) continue;
    const auto* view = static_cast<const uint8_t*>(a.buffers[1]) + i * 16;
    int32_t length, buffer, offset;
    std::memcpy(&length, view, 4);
    if (length < 0) return false;
    if (length <= 12) continue;
    std::memcpy(&buffer, view + 8, 4);
    std::memcpy(&offset, view + 12, 4);
    if (buffer < 0 || buffer >= data_buffers || offset < 0 || sizes == nullptr ||
        a.buffers[2 + buffer] == nullptr ||
        int64_t{offset} + length > sizes[buffer]) {
      return false;
    }
  }
  return true;
}

absl::string_view StringAt(const ArrowArray& a, bool large, int64_t index) {
  int64_t begin, end;
  if (large) {
    begin = static_cast<const int64_t*>(a.buffers[1])[index];
    end = static_cast<const int64_t*>(a.buffers[1])[index + 1];
  } else {
    begin = static_cast<const int32_t*>(a.buffers[1])[index];
    end = static_cast<const int32_t*>(a.buffers[1])[index + 1];
  }
  if (end == begin) return {};
  return {static_cast<const char*>(a.buffers[2]) + begin,
          static_cast<size_t>(end - begin)};
}

absl::Status StreamFailed(ArrowArrayStream* stream, absl::string_view table,
                          int code) {
  const char* message = stream->get_last_error != nullptr
                            ? stream->get_last_error(stream)
                            : nullptr;
  return absl::InvalidArgumentError(absl::StrCat(
      table, ": the Arrow stream failed (error ", code, ")",
      message != nullptr ? absl::StrCat(": ", message) : ""));
}

// Releases what it holds when it goes out of scope.
struct StreamOwner {
  ArrowArrayStream* stream;
  ~StreamOwner() {
    if (stream != nullptr && stream->release != nullptr) stream->release(stream);
  }
};
struct SchemaOwner {
  ArrowSchema schema{};
  ~SchemaOwner() { Release(schema); }
};
struct ArrayOwner {
  ArrowArray array{};
  ~ArrayOwner() { Release(array); }
};

// Dictionary indices as codes: `out[row]` is `indices[row]`, or -1 where
// `valid` (bytes; nullptr: every row) says 0. Returns the least and the
// greatest valid index (a null row counts as 0). Without a branch, so that
// the loop runs on whole vector registers.
template <typename Index>
std::pair<Index, Index> IndicesToCodes(const Index* __restrict indices,
                                       const uint8_t* __restrict valid,
                                       int64_t n, int32_t* __restrict out) {
  Index least = 0, greatest = 0;
  if (valid == nullptr) {
    least = greatest = indices[0];
    for (int64_t row = 0; row < n; ++row) {
      least = std::min(least, indices[row]);
      greatest = std::max(greatest, indices[row]);
      out[row] = static_cast<int32_t>(indices[row]);
    }
    return {least, greatest};
  }
  for (int64_t row = 0; row < n; ++row) {
    // All ones for a valid row, else zero: masks, not products, which the
    // baseline instruction set multiplies slowly.
    const int32_t keep = -static_cast<int32_t>(valid[row] != 0);
    const Index index = indices[row] & static_cast<Index>(keep);
    least = std::min(least, index);
    greatest = std::max(greatest, index);
    out[row] = (static_cast<int32_t>(index) & keep) | ~keep;
  }
  return {least, greatest};
}

// Whether indices from `least` to `greatest` lie inside a dictionary of
// `limit` values.
template <typename Index>
bool IndicesInside(Index least, Index greatest, int64_t limit) {
  if (limit <= 0) return false;
  if constexpr (std::is_signed_v<Index>) {
    if (least < 0) return false;
  }
  return static_cast<uint64_t>(greatest) < static_cast<uint64_t>(limit);
}

// The indices of the dictionary-encoded column `c` as the codes of
// `dictionary` (-1 for a null row), when its dictionary is no longer than the
// batch and holds distinct values, none null: each coded into the empty
// `dictionary` as its own index. int32 indices without a null row are read
// where they lie (when aligned); others are converted in one pass into a
// buffer added to `own`. Every valid index is checked to lie inside the
// dictionary (by the least and the greatest). nullptr when any of this fails,
// `dictionary` left holding the values it was given.
const int32_t* IndicesAsCodes(const ArrowColumn& c, const ArrowStrings& strings,
                              report_internal::Dictionary& dictionary,
                              std::deque<std::unique_ptr<int32_t[]>>& own) {
  const ArrowArray& a = *c.array;
  const int64_t n = c.length, limit = strings.dictionary_length();
  if (n == 0 || limit > n) return nullptr;
  for (int64_t j = 0; j < limit; ++j) {
    const std::optional<absl::string_view> value = strings.DictionaryValue(j);
    if (!value || dictionary.Code(*value) != j) return nullptr;
  }
  const auto* bits = a.null_count != 0 && a.buffers[0] != nullptr
                         ? static_cast<const uint8_t*>(a.buffers[0])
                         : nullptr;
  const absl::string_view format = c.schema->format;
  const int64_t first = c.Index(0);
  if (format == "i" && bits == nullptr) {
    if (const int32_t* indices = AlignedAt<int32_t>(a.buffers[1], first)) {
      int32_t least = indices[0], greatest = indices[0];
      for (int64_t row = 1; row < n; ++row) {
        least = std::min(least, indices[row]);
        greatest = std::max(greatest, indices[row]);
      }
      return IndicesInside(least, greatest, limit) ? indices : nullptr;
    }
  }
  // Buffers every byte of which is written: not cleared first.
  int32_t* codes = own.emplace_back(std::make_unique_for_overwrite<int32_t[]>(
                                        static_cast<size_t>(n)))
                       .get();
  const bool inside = WithIntegerType(format, [&]<typename Index>() {
    // The indices as Index values where they lie, or a copy when unaligned.
    std::vector<Index> copy;
    const Index* indices = AlignedAt<Index>(a.buffers[1], first);
    if (indices == nullptr) {
      copy.resize(static_cast<size_t>(n));
      std::memcpy(copy.data(),
                  static_cast<const char*>(a.buffers[1]) + first * sizeof(Index),
                  copy.size() * sizeof(Index));
      indices = copy.data();
    }
    if (bits == nullptr) {
      const auto [least, greatest] =
          IndicesToCodes<Index>(indices, nullptr, n, codes);
      return IndicesInside(least, greatest, limit);
    }
    // With nulls: the validity bytes of a run of rows at a time, in a buffer
    // that stays in the cache.
    constexpr int64_t kRun = 4096;
    uint8_t valid[kRun];
    for (int64_t start = 0; start < n; start += kRun) {
      const int64_t run = std::min(kRun, n - start);
      BitsToBytes(bits, first + start, run, valid);
      const auto [least, greatest] = IndicesToCodes<Index>(
          indices + start, valid, run, codes + start);
      if (!IndicesInside(least, greatest, limit)) return false;
    }
    return true;
  });
  if (!inside) {
    own.pop_back();
    return nullptr;
  }
  return codes;
}

}  // namespace

void Release(ArrowArray& array) {
  if (array.release != nullptr) array.release(&array);
}

void Release(ArrowSchema& schema) {
  if (schema.release != nullptr) schema.release(&schema);
}

namespace {

// ForEachBatch, where `body` may keep a batch: it moves the ArrowArray out
// (leaving the given one's release NULL) and releases it later. When
// `keep_schema` is given, the schema moves into it instead of being released.
absl::Status ReadBatches(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, ArrowArray&)>& body,
    ArrowSchema* keep_schema) {
  if (stream == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, ": the Arrow stream is NULL"));
  }
  StreamOwner owner{stream};
  if (stream->release == nullptr || stream->get_schema == nullptr ||
      stream->get_next == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ": the Arrow stream is released or incomplete"));
  }
  SchemaOwner schema;
  if (const int rc = stream->get_schema(stream, &schema.schema); rc != 0) {
    return StreamFailed(stream, table, rc);
  }
  const ArrowSchema* schema_at = &schema.schema;
  if (keep_schema != nullptr) {
    *keep_schema = schema.schema;
    schema.schema.release = nullptr;  // moved
    schema_at = keep_schema;
  }
  const ArrowSchema& s = *schema_at;
  if (s.format == nullptr || absl::string_view(s.format) != "+s") {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ": expected a stream of record batches (Arrow struct arrays), "
        "got Arrow type ", TypeName(s)));
  }
  for (int64_t i = 0; i < s.n_children; ++i) {
    if (s.children == nullptr || s.children[i] == nullptr ||
        s.children[i]->format == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ": the Arrow schema's column ", i, " is incomplete"));
    }
  }
  LEADKIT_RETURN_IF_ERROR(on_schema(s));
  for (;;) {
    ArrayOwner batch;
    if (const int rc = stream->get_next(stream, &batch.array); rc != 0) {
      return StreamFailed(stream, table, rc);
    }
    const ArrowArray& b = batch.array;
    if (b.release == nullptr) break;  // the end of the stream
    if (b.n_children != s.n_children || b.length < 0 || b.offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ": an Arrow batch has ", b.n_children,
          " columns where the schema has ", s.n_children));
    }
    for (int64_t i = 0; i < b.n_children; ++i) {
      const ArrowArray* child = b.children == nullptr ? nullptr : b.children[i];
      if (child == nullptr || child->offset < 0 ||
          child->length < b.offset + b.length) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", s.children[i]->name == nullptr ? "" : s.children[i]->name,
            ": the Arrow column is shorter than its batch"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(body(s, batch.array));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ForEachBatch(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, const ArrowArray&)>&
        body) {
  return ReadBatches(
      stream, table, on_schema,
      [&](const ArrowSchema& schema, ArrowArray& batch) {
        return body(schema, batch);
      },
      nullptr);
}

absl::Status ForEachBatchTaken(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, ArrowArray&)>& body) {
  return ReadBatches(stream, table, on_schema, body, nullptr);
}

namespace {

std::vector<absl::string_view> ColumnNames(const ArrowSchema& schema) {
  std::vector<absl::string_view> names;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    names.push_back(schema.children[i]->name == nullptr
                        ? absl::string_view()
                        : absl::string_view(schema.children[i]->name));
  }
  return names;
}

absl::Status MissingColumn(absl::string_view table, absl::string_view name,
                           std::span<const absl::string_view> names) {
  const std::string nearest = NearestName(name, names);
  return absl::InvalidArgumentError(absl::StrCat(
      table, ": missing required column \"", name, "\"",
      nearest.empty() ? ""
                      : absl::StrCat("; did you mean \"", nearest, "\"?")));
}

}  // namespace

absl::StatusOr<const ArrowSchema*> RequiredColumn(const ArrowSchema& schema,
                                                  absl::string_view table,
                                                  absl::string_view name) {
  const std::vector<absl::string_view> names = ColumnNames(schema);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return schema.children[i];
  }
  return MissingColumn(table, name, names);
}

absl::StatusOr<bool> StringsAreLarge(const ArrowSchema& schema,
                                     absl::string_view table,
                                     absl::string_view name) {
  const ArrowSchema* values = &schema;
  if (schema.dictionary != nullptr) {
    if (!IsIntegerFormat(schema.format)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": a dictionary's indices must be integers, got ",
          TypeName(ArrowSchema{.format = schema.format})));
    }
    values = schema.dictionary;
  }
  const absl::string_view f = values->format == nullptr ? "" : values->format;
  if (f == "u" || f == "U" || f == "vu") return f != "u";
  return absl::InvalidArgumentError(
      absl::StrCat(table, ".", name,
                   ": expected strings (Arrow utf8, large_utf8, string_view or "
                   "a dictionary of them), got Arrow type ",
                   TypeName(schema)));
}

absl::StatusOr<ArrowStrings> ArrowStrings::Make(const ArrowColumn& column,
                                                absl::string_view table,
                                                absl::string_view name,
                                                bool check_indices) {
  ArrowStrings out;
  out.column_ = column;
  LEADKIT_ASSIGN_OR_RETURN(out.large_,
                           StringsAreLarge(*column.schema, table, name));
  const ArrowArray* values = column.array;
  int64_t first = column.Index(0);
  int64_t count = column.length;
  if (column.schema->dictionary != nullptr) {
    LEADKIT_RETURN_IF_ERROR(NeedBuffers(column, 2, table, name));
    values = column.array->dictionary;
    if (values == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": the Arrow dictionary array is missing"));
    }
    if (values->length < 0 || values->offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": the Arrow dictionary array has length ",
          values->length, " and offset ", values->offset));
    }
    const absl::string_view f = column.schema->format;
    out.index_width_ = IntegerWidth(f);
    out.index_signed_ = f[0] >= 'a';
    // The first valid row whose index lies outside the dictionary (a uint64
    // past INT64_MAX reads as negative), or -1.
    const ArrowArray& a = *column.array;
    const auto* bits = a.null_count != 0 && a.buffers[0] != nullptr
                           ? static_cast<const uint8_t*>(a.buffers[0])
                           : nullptr;
    const int64_t start = column.Index(0), rows = column.length,
                  limit = values->length;
    const int64_t bad =
        !check_indices
            ? -1
            : WithIntegerType(f, [&]<typename Index>() -> int64_t {
                const void* indices = a.buffers[1];
                for (int64_t row = 0; row < rows; ++row) {
                  if (bits != nullptr && !BitSet(bits, start + row)) continue;
                  const auto index =
                      static_cast<int64_t>(LoadAt<Index>(indices, start + row));
                  if (index < 0 || index >= limit) return row;
                }
                return -1;
              });
    if (bad >= 0) return out.IndexOutside(bad, table, name);
    first = values->offset;
    count = values->length;
  }
  if (values->n_buffers < 3 || values->buffers == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow string array lacks its buffers"));
  }
  const ArrowSchema& value_schema = column.schema->dictionary != nullptr
                                        ? *column.schema->dictionary
                                        : *column.schema;
  out.view_ = absl::string_view(value_schema.format) == "vu";
  if (count == 0) return out;
  if (out.view_) {
    if (values->buffers[1] == nullptr ||
        !ViewsInBounds(*values, first, count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name,
          ": the Arrow string views are missing or point outside their "
          "buffers"));
    }
    return out;
  }
  if (values->buffers[1] == nullptr ||
      !OffsetsInOrder(*values, out.large_, first, count)) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name,
        ": the Arrow string offsets are missing or out of order"));
  }
  const int64_t chars =
      out.large_ ? LoadAt<int64_t>(values->buffers[1], first + count)
                 : LoadAt<int32_t>(values->buffers[1], first + count);
  if (values->buffers[2] == nullptr && chars > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow string characters are missing"));
  }
  return out;
}

absl::Status ArrowStrings::IndexOutside(int64_t row, absl::string_view table,
                                        absl::string_view name) const {
  bool overflow = false;
  const int64_t code =
      IntegerAt(column_.array->buffers[1], column_.Index(row), index_width_,
                index_signed_, overflow);
  // A uint64 index past INT64_MAX reads as negative: shown as it is.
  return absl::InvalidArgumentError(absl::StrCat(
      table, ".", name, ": row ", row, " has the dictionary index ",
      overflow ? absl::StrCat(static_cast<uint64_t>(code)) : absl::StrCat(code),
      " outside the dictionary's ", dictionary_length(), " values"));
}

std::optional<absl::string_view> ArrowStrings::At(int64_t row) const {
  const int64_t i = column_.Index(row);
  if (!IsValid(*column_.array, i)) return std::nullopt;
  if (index_width_ == 0) return ValueAt(*column_.array, i);
  bool overflow = false;
  const int64_t code = IntegerAt(column_.array->buffers[1], i, index_width_,
                                 index_signed_, overflow);
  const ArrowArray& values = *column_.array->dictionary;
  const int64_t j = values.offset + code;
  if (!IsValid(values, j)) return std::nullopt;
  return ValueAt(values, j);
}

absl::string_view ArrowStrings::ValueAt(const ArrowArray& values,
                                        int64_t index) const {
  return view_ ? ViewAt(values, index) : StringAt(values, large_, index);
}

std::vector<ColumnSpec> LeadColumnSpecs(std::span<const std::string> fields) {
  std::vector<ColumnSpec> out;
  for (const std::string& field : fields) {
    const LeadFieldInfo* info = FindLeadField(field);
    if (info == nullptr) continue;
    bool seen = false;
    for (const ColumnSpec& s : out) seen = seen || s.name == field;
    if (!seen) out.push_back({field, info->type});
  }
  return out;
}

std::optional<int64_t> ArrowStrings::IndexAt(int64_t row) const {
  const int64_t i = column_.Index(row);
  if (!IsValid(*column_.array, i)) return std::nullopt;
  bool overflow = false;
  return IntegerAt(column_.array->buffers[1], i, index_width_, index_signed_,
                   overflow);
}

std::optional<absl::string_view> ArrowStrings::DictionaryValue(
    int64_t index) const {
  const ArrowArray& values = *column_.array->dictionary;
  const int64_t j = values.offset + index;
  if (!IsValid(values, j)) return std::nullopt;
  return ValueAt(values, j);
}

absl::StatusOr<std::unique_ptr<ArrowTable>> ArrowTable::Read(
    const ArrowSchema& schema, const ArrowArray& batch,
    absl::string_view table, std::span<const std::string> fields,
    absl::string_view id_column, int64_t first_row) {
  const std::vector<ColumnSpec> specs = LeadColumnSpecs(fields);
  return Read(schema, batch, table, std::span<const ColumnSpec>(specs),
              id_column, first_row);
}

absl::StatusOr<std::unique_ptr<ArrowTable>> ArrowTable::Read(
    const ArrowSchema& schema, const ArrowArray& batch,
    absl::string_view table, std::span<const ColumnSpec> fields,
    absl::string_view id_column, int64_t first_row) {
  std::unique_ptr<ArrowTable> t(new ArrowTable());
  t->columns_ = std::make_unique<Columns>(batch.length);
  t->first_row_ = first_row;
  t->id_column_ = std::string(id_column);
  auto column_at = [&](int64_t i) {
    return ArrowColumn{schema.children[i], batch.children[i], batch.offset,
                       batch.length};
  };
  const std::vector<absl::string_view> names = ColumnNames(schema);
  auto find = [&](absl::string_view name) -> int64_t {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<int64_t>(i);
    }
    return -1;
  };

  const int64_t id = find(id_column);
  if (id < 0) return MissingColumn(table, id_column, names);
  LEADKIT_ASSIGN_OR_RETURN(ArrowStrings ids,
                           ArrowStrings::Make(column_at(id), table, id_column));
  // Plain strings without a null (by the array's count) need no look.
  const ArrowArray& id_array = *batch.children[id];
  const bool may_be_null = ids.dictionary_encoded() ||
                           (id_array.null_count != 0 && id_array.n_buffers > 0 &&
                            id_array.buffers[0] != nullptr);
  for (int64_t row = 0; may_be_null && row < batch.length; ++row) {
    if (!ids.At(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", id_column, ": row ", first_row + row, " has no id (null)"));
    }
  }
  t->ids_ = std::move(ids);

  for (const ColumnSpec& field : fields) {
    // The id column is read below, whatever its spec says: coding a million
    // distinct ids into a dictionary costs more than the rest of a batch.
    if (field.name == id_column) continue;
    const int64_t i = find(field.name);
    if (i < 0) continue;
    for (size_t j = static_cast<size_t>(i) + 1; j < names.size(); ++j) {
      if (names[j] == field.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ": column \"", field.name, "\" appears more than once"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(t->ReadField(field, column_at(i), table));
  }
  {
    // The ids as they lie, offsets and characters (Column::Strings), when they
    // are plain strings; a dictionary's or string views' as codes.
    const ArrowColumn c = column_at(id);
    if (c.schema->dictionary == nullptr && !t->ids_->view()) {
      const auto size = static_cast<size_t>(batch.length) + 1;
      const auto* chars = static_cast<const char*>(c.array->buffers[2]);
      const void* in = c.array->buffers[1];
      // The offsets as they lie (utf8's int32, large_utf8's int64) when
      // aligned, else widened into a copy.
      std::optional<Column> ids;
      if (batch.length > 0 && t->ids_->large()) {
        if (const auto* o = AlignedAt<int64_t>(in, c.Index(0))) {
          ids = Column::Strings(std::span<const int64_t>(o, size), chars);
        }
      } else if (batch.length > 0) {
        if (const auto* o = AlignedAt<int32_t>(in, c.Index(0))) {
          ids = Column::Strings(std::span<const int32_t>(o, size), chars);
        }
      }
      if (!ids) {
        int64_t* copy = t->offsets_
                            .emplace_back(
                                std::make_unique_for_overwrite<int64_t[]>(size))
                            .get();
        copy[0] = 0;
        auto widen = [&]<typename Offset>() {
          for (int64_t row = 0; row <= batch.length; ++row) {
            copy[row] = LoadAt<Offset>(in, c.Index(row));
          }
        };
        if (batch.length > 0) {
          t->ids_->large() ? widen.operator()<int64_t>()
                           : widen.operator()<int32_t>();
        }
        ids = Column::Strings(std::span<const int64_t>(copy, size), chars);
      }
      LEADKIT_RETURN_IF_ERROR(t->columns_->Add(id_column, *ids));
    } else {
      LEADKIT_RETURN_IF_ERROR(t->ReadField(
          ColumnSpec{std::string(id_column), FieldType::kString}, c, table));
    }
  }
  return t;
}

uint8_t* ArrowTable::WrittenBytes(size_t size) {
  return written_bytes_
      .emplace_back(std::make_unique_for_overwrite<uint8_t[]>(size))
      .get();
}

absl::Status ArrowTable::ReadField(const ColumnSpec& field,
                                   const ArrowColumn& c,
                                   absl::string_view table) {
  const int64_t n = columns_->num_rows();
  const auto size = static_cast<size_t>(n);
  const absl::string_view format = c.schema->format;
  const std::string name = field.name;
  auto expected = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, ".", name, ": expected ", what, ", got Arrow type ",
                     TypeName(*c.schema)));
  };

  if (format == "n" && c.schema->dictionary == nullptr) {  // all null
    std::vector<uint8_t>& none = bytes_.emplace_back(size, 0);
    switch (field.type) {
      case FieldType::kString:
        return columns_->Add(name, Column::Codes(codes_.emplace_back(size, -1),
                                                 {}, none.data()));
      case FieldType::kNumber:
        return columns_->Add(
            name, Column::Doubles(doubles_.emplace_back(size, NAN), none.data()));
      case FieldType::kBool:
        return columns_->Add(name, Column::Bools(none, none.data()));
      case FieldType::kInstant:
        return columns_->Add(
            name, Column::Instants(integers_.emplace_back(size, 0), none.data()));
      case FieldType::kDate:
        return columns_->Add(
            name, Column::Dates(integers_.emplace_back(size, 0), none.data()));
    }
  }

  // Validity as bytes, for every type but strings (whose codes say null).
  auto validity = [&]() -> const uint8_t* {
    if (c.array->null_count == 0 || c.array->n_buffers == 0 ||
        c.array->buffers == nullptr || c.array->buffers[0] == nullptr) {
      return nullptr;
    }
    uint8_t* valid = WrittenBytes(size);
    BitsToBytes(c.array->buffers[0], c.Index(0), n, valid);
    return valid;
  };
  const int64_t first = c.Index(0);

  switch (field.type) {
    case FieldType::kString: {
      if (field.lists && c.schema->dictionary == nullptr &&
          (format == "+l" || format == "+L")) {
        return ReadLists(field, c, table);
      }
      absl::StatusOr<ArrowStrings> strings =
          ArrowStrings::Make(c, table, name, /*check_indices=*/false);
      if (!strings.ok()) {
        if (!field.lists) return strings.status();
        return expected(
            "strings (Arrow utf8, large_utf8, string_view or a dictionary of "
            "them) or a list or large_list of them");
      }
      report_internal::Dictionary& dictionary = dictionaries_.emplace_back();
      if (strings->dictionary_encoded()) {
        if (const int32_t* in_place =
                IndicesAsCodes(c, *strings, dictionary, written_codes_)) {
          // Every index inside the dictionary: IndicesAsCodes checked.
          return columns_->AddCodesMadeInside(
              name, Column::Codes(std::span<const int32_t>(in_place, size),
                                  dictionary.texts()));
        }
        // Coded again from the start, as rows first use the values.
        dictionary = report_internal::Dictionary();
      }
      std::vector<int32_t>& codes = codes_.emplace_back(size, -1);
      if (strings->dictionary_encoded()) {
        // Each distinct value coded once, when a row first uses it; -2: not
        // seen yet. Each index is checked to lie inside the dictionary as it
        // is read.
        const int64_t limit = strings->dictionary_length();
        std::vector<int32_t> code_of(static_cast<size_t>(limit), -2);
        const ArrowArray& a = *c.array;
        const void* bits = a.null_count != 0 && a.buffers[0] != nullptr
                               ? a.buffers[0]
                               : nullptr;
        const int64_t bad = WithIntegerType(format, [&]<typename Index>() {
          // Locals, not captures: the dictionary's calls leave them be.
          const void* indices = a.buffers[1];
          const auto* valid_bits = static_cast<const uint8_t*>(bits);
          int32_t* out = codes.data();
          int32_t* code_at = code_of.data();
          const int64_t start = first, rows = n;
          for (int64_t row = 0; row < rows; ++row) {
            if (valid_bits != nullptr && !BitSet(valid_bits, start + row)) {
              continue;
            }
            const auto index =
                static_cast<int64_t>(LoadAt<Index>(indices, start + row));
            if (index < 0 || index >= limit) [[unlikely]] return row;
            int32_t code = code_at[index];
            if (code == -2) [[unlikely]] {
              const auto value = strings->DictionaryValue(index);
              code = value ? dictionary.Code(*value) : -1;
              code_at[index] = code;
            }
            out[row] = code;
          }
          return int64_t{-1};
        });
        if (bad >= 0) return strings->IndexOutside(bad, table, name);
      } else if (n > 0) {
        // Row by row through a set of views into the batch (ViewCoder).
        ViewCoder coder(dictionary);
        const ArrowArray& a = *c.array;
        const void* bits = a.null_count != 0 && a.buffers[0] != nullptr
                               ? a.buffers[0]
                               : nullptr;
        auto code_rows = [&](const auto& at) {
          const auto* valid_bits = static_cast<const uint8_t*>(bits);
          int32_t* out = codes.data();
          const int64_t start = first, rows = n;
          for (int64_t row = 0; row < rows; ++row) {
            const int64_t i = start + row;
            if (valid_bits != nullptr && !BitSet(valid_bits, i)) continue;
            out[row] = coder.Code(at(i));
          }
        };
        if (strings->view()) {
          code_rows([a](int64_t i) { return ViewAt(a, i); });
        } else if (strings->large()) {
          code_rows([a](int64_t i) { return StringAt(a, /*large=*/true, i); });
        } else {
          code_rows([a](int64_t i) { return StringAt(a, /*large=*/false, i); });
        }
      }
      // Every code is the dictionary's: made by it, or -1.
      return columns_->AddCodesMadeInside(
          name, Column::Codes(codes, dictionary.texts()));
    }
    case FieldType::kNumber: {
      if (c.schema->dictionary != nullptr ||
          !(IsIntegerFormat(format) || format == "f" || format == "g")) {
        return expected("a number (an Arrow integer or float type)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      if (format == "g" || format == "f") {
        const double* values =
            format == "g"
                ? ValuesOf<double, double>(c, doubles_,
                                           [](double v) { return v; })
                : ValuesOf<double, float>(c, doubles_,
                                          [](float v) -> double { return v; });
        return columns_->Add(
            name,
            Column::Doubles(std::span<const double>(values, size), valid));
      }
      // Widened to int64 (an aligned int64 column read where it lies); a
      // valid uint64 past INT64_MAX is an error.
      const int64_t* values = WithIntegerType(format, [&]<typename T>() {
        return ValuesOf<int64_t, T>(
            c, integers_, [](T v) { return static_cast<int64_t>(v); });
      });
      for (int64_t row = 0; format == "L" && row < n; ++row) {
        if (values[row] < 0 && (valid == nullptr || valid[row] != 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              table, ".", name, ": ", RowName(row), " has ",
              static_cast<uint64_t>(values[row]), "; expected a number up to ",
              std::numeric_limits<int64_t>::max()));
        }
      }
      return columns_->Add(
          name, Column::Int64s(std::span<const int64_t>(values, size), valid));
    }
    case FieldType::kBool: {
      if (format != "b" || c.schema->dictionary != nullptr) {
        return expected("true or false (Arrow bool)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      uint8_t* values = WrittenBytes(size);
      if (n > 0) BitsToBytes(c.array->buffers[1], first, n, values);
      return columns_->Add(
          name, Column::Bools(std::span<const uint8_t>(values, size), valid));
    }
    case FieldType::kInstant: {
      if (!absl::StartsWith(format, "ts") || format.size() < 4 ||
          format[3] != ':' || c.schema->dictionary != nullptr) {
        return expected("a timestamp with a time zone");
      }
      if (format.size() == 4) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", name,
            ": timestamps without a time zone; give the column a zone — "
            "leadkit never guesses one"));
      }
      if (format[2] != 's' && format[2] != 'm' && format[2] != 'u' &&
          format[2] != 'n') {
        return expected("a timestamp with a time zone");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      // Whole seconds, rounded down: a division by a constant per unit.
      const int64_t* values = nullptr;
      switch (format[2]) {
        case 's':
          values = ValuesOf<int64_t, int64_t>(c, integers_,
                                              [](int64_t v) { return v; });
          break;
        case 'm':
          values = ValuesOf<int64_t, int64_t, /*kMayView=*/false>(
              c, integers_, [](int64_t v) { return FloorDiv(v, 1000); });
          break;
        case 'u':
          values = ValuesOf<int64_t, int64_t, /*kMayView=*/false>(
              c, integers_, [](int64_t v) { return FloorDiv(v, 1000000); });
          break;
        default:
          values = ValuesOf<int64_t, int64_t, /*kMayView=*/false>(
              c, integers_, [](int64_t v) { return FloorDiv(v, 1000000000); });
          break;
      }
      return columns_->Add(
          name,
          Column::Instants(std::span<const int64_t>(values, size), valid));
    }
    case FieldType::kDate: {
      if ((format != "tdD" && format != "tdm") ||
          c.schema->dictionary != nullptr) {
        return expected("a date (Arrow date32 or date64)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      const int64_t* values =
          format == "tdD"
              ? ValuesOf<int64_t, int32_t>(
                    c, integers_, [](int32_t v) -> int64_t { return v; })
              : ValuesOf<int64_t, int64_t, /*kMayView=*/false>(
                    c, integers_, [](int64_t v) {
                      return FloorDiv(v, 86400 * int64_t{1000});
                    });
      return columns_->Add(
          name, Column::Dates(std::span<const int64_t>(values, size), valid));
    }
  }
  return absl::InternalError("unknown field type");
}

std::string ArrowTable::RowName(int64_t row) const {
  const std::optional<absl::string_view> id = ids_->At(row);
  return absl::StrCat("row ", first_row_ + row, " (", id_column_, " \"",
                      id ? *id : "", "\")");
}

const StringLists* ArrowTable::lists(absl::string_view name) const {
  const auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

absl::Status ArrowTable::ReadLists(const ColumnSpec& field,
                                   const ArrowColumn& c,
                                   absl::string_view table) {
  const int64_t n = columns_->num_rows();
  const absl::string_view name = field.name;
  const bool large = absl::string_view(c.schema->format) == "+L";
  if (c.schema->n_children != 1 || c.schema->children == nullptr ||
      c.schema->children[0] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow list type lacks its value type"));
  }
  LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
  if (c.array->n_children != 1 || c.array->children == nullptr ||
      c.array->children[0] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow list array lacks its values"));
  }
  const ArrowColumn values{c.schema->children[0], c.array->children[0], 0,
                          c.array->children[0]->length};
  absl::StatusOr<ArrowStrings> strings = ArrowStrings::Make(values, table, name);
  if (!strings.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name,
        ": expected a list of strings (Arrow utf8, large_utf8, string_view or "
        "a dictionary of them), got Arrow type ",
        TypeName(*c.schema)));
  }
  StringLists& rows = lists_[field.name];
  rows.assign(static_cast<size_t>(n), {});
  for (int64_t row = 0; row < n; ++row) {
    const int64_t i = c.Index(row);
    if (!IsValid(*c.array, i)) continue;
    const int64_t begin =
        large ? static_cast<const int64_t*>(c.array->buffers[1])[i]
              : static_cast<const int32_t*>(c.array->buffers[1])[i];
    const int64_t end =
        large ? static_cast<const int64_t*>(c.array->buffers[1])[i + 1]
              : static_cast<const int32_t*>(c.array->buffers[1])[i + 1];
    if (begin < 0 || end < begin || end > values.length) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": ", RowName(row), " has list offsets ", begin,
          " to ", end, " outside the ", values.length, " values"));
    }
    std::vector<std::string>& names = rows[static_cast<size_t>(row)];
    for (int64_t j = begin; j < end; ++j) {
      const std::optional<absl::string_view> value = strings->At(j);
      if (!value) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", name, ": ", RowName(row), " has a null in its list (",
            j - begin, "); expected a list of strings"));
      }
      const absl::string_view trimmed = absl::StripAsciiWhitespace(*value);
      if (!trimmed.empty()) names.emplace_back(trimmed);
    }
  }
  return absl::OkStatus();
}

// ---- A whole stream -------------------------------------------------------

void StreamTable::Part::Append(const Column& c, int64_t n) {
  if (type == ColumnType::kString) return AppendStrings(c, n);
  const auto base = valid.size();
  const auto size = static_cast<size_t>(n);
  valid.resize(base + size);
  uint8_t* v = valid.data() + base;
  if (c.validity() != nullptr) {
    std::memcpy(v, c.validity(), size);
    for (size_t row = 0; row < size; ++row) v[row] = v[row] != 0 ? 1 : 0;
  } else {
    std::memset(v, 1, size);
  }
  // Each column type's null marks (NaN, a negative code) joined into `v`, the
  // values of the null rows set to the type's null value.
  auto append = [&](auto& out, const auto* in, auto null_value,
                    const auto& is_null) {
    out.resize(base + size);
    auto* o = out.data() + base;
    for (size_t row = 0; row < size; ++row) {
      if (v[row] != 0 && is_null(in[row])) v[row] = 0;
      o[row] = v[row] != 0 ? in[row] : null_value;
    }
  };
  auto never = [](auto) { return false; };
  switch (type) {
    case ColumnType::kDouble:
      append(doubles, c.data<double>(), double{NAN},
             [](double x) { return std::isnan(x); });
      break;
    case ColumnType::kInt64:
    case ColumnType::kInstant:
    case ColumnType::kDate:
      append(integers, c.data<int64_t>(), int64_t{0}, never);
      break;
    case ColumnType::kBool:
      append(bytes, c.data<uint8_t>(), uint8_t{0}, never);
      break;
    case ColumnType::kCode: {
      const std::vector<int32_t> code_of = dictionary.Codes(c.dictionary());
      const int32_t* in = c.data<int32_t>();
      codes.resize(base + size);
      int32_t* o = codes.data() + base;
      for (size_t row = 0; row < size; ++row) {
        if (v[row] != 0 && in[row] < 0) v[row] = 0;
        o[row] = v[row] != 0 ? code_of[static_cast<size_t>(in[row])] : -1;
      }
      break;
    }
    case ColumnType::kString:
      break;
  }
  for (size_t row = 0; row < size && !any_null; ++row) any_null = v[row] == 0;
}

void StreamTable::Part::AppendStrings(const Column& c, int64_t n) {
  if (integers.empty()) integers.push_back(0);
  for (int64_t row = 0; row < n; ++row) {
    const bool null = c.IsNull(row);
    valid.push_back(null ? 0 : 1);
    any_null = any_null || null;
    if (!null) {
      const absl::string_view v = c.ViewAt(row);
      chars.append(v.data(), v.size());
    }
    integers.push_back(static_cast<int64_t>(chars.size()));
  }
}

Column StreamTable::Part::View() const {
  const uint8_t* v = any_null ? valid.data() : nullptr;
  switch (type) {
    case ColumnType::kDouble:
      return Column::Doubles(doubles, v);
    case ColumnType::kInt64:
      return Column::Int64s(integers, v);
    case ColumnType::kInstant:
      return Column::Instants(integers, v);
    case ColumnType::kDate:
      return Column::Dates(integers, v);
    case ColumnType::kBool:
      return Column::Bools(bytes, v);
    case ColumnType::kCode:
      return Column::Codes(codes, dictionary.texts());
    case ColumnType::kString:
      return Column::Strings(integers, chars.data(), v);
  }
  return Column::Doubles(doubles, v);
}

namespace {

// The column type a field of `type` is read as when a stream has no batch.
ColumnType EmptyColumnType(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return ColumnType::kCode;
    case FieldType::kNumber:
      return ColumnType::kDouble;
    case FieldType::kBool:
      return ColumnType::kBool;
    case FieldType::kInstant:
      return ColumnType::kInstant;
    case FieldType::kDate:
      return ColumnType::kDate;
  }
  return ColumnType::kDouble;
}

}  // namespace

const StringLists* StreamTable::lists(absl::string_view name) const {
  const auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

StreamTable::~StreamTable() {
  Release(batch_);
  Release(schema_);
}

absl::StatusOr<std::unique_ptr<StreamTable>> StreamTable::Read(
    ArrowArrayStream* stream, absl::string_view table,
    std::span<const ColumnSpec> columns, absl::string_view id_column) {
  std::unique_ptr<StreamTable> t(new StreamTable());
  int64_t rows = 0;
  int64_t batches = 0;
  // Appends the columns of a batch read (ArrowTable::Read) to the parts: the
  // ids as strings whatever they were read as.
  auto append = [&](const Columns& read) -> absl::Status {
    for (Part& p : t->parts_) {
      const Column* column = read.Find(p.name);
      if (column == nullptr) {
        return absl::InternalError(
            absl::StrCat(table, ".", p.name, ": column lost between batches"));
      }
      if (p.name == id_column) {
        p.AppendStrings(*column, read.num_rows());
        continue;
      }
      if (column->type() != p.type) {
        return absl::InternalError(absl::StrCat(
            table, ".", p.name, ": column type changed between batches"));
      }
      p.Append(*column, read.num_rows());
    }
    return absl::OkStatus();
  };
  LEADKIT_RETURN_IF_ERROR(ReadBatches(
      stream, table,
      [&](const ArrowSchema& schema) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(const ArrowSchema* ids,
                                 RequiredColumn(schema, table, id_column));
        LEADKIT_ASSIGN_OR_RETURN(t->large_ids_,
                                 StringsAreLarge(*ids, table, id_column));
        // The columns present, in case no batch comes.
        t->parts_.push_back(
            Part{.name = std::string(id_column), .type = ColumnType::kString});
        for (const ColumnSpec& spec : columns) {
          if (spec.name == id_column) continue;
          for (int64_t i = 0; i < schema.n_children; ++i) {
            const char* name = schema.children[i]->name;
            if (name != nullptr && spec.name == name) {
              t->parts_.push_back(
                  Part{.name = spec.name, .type = EmptyColumnType(spec.type)});
              break;
            }
          }
        }
        return absl::OkStatus();
      },
      [&](const ArrowSchema& schema, ArrowArray& batch) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(
            std::unique_ptr<ArrowTable> part,
            ArrowTable::Read(schema, batch, table, columns, id_column, rows));
        const Columns& read = part->columns();
        for (const auto& [name, lists] : part->lists_) {
          StringLists& all = t->lists_[name];
          all.insert(all.end(), lists.begin(), lists.end());
        }
        if (batches == 0) {
          // Kept as read, over the batch, in case it is the only one.
          t->in_place_ = std::move(part);
          t->batch_ = batch;
          batch.release = nullptr;  // moved
        } else {
          if (batches == 1) {
            // A second batch: the parts take the types the first was read as
            // (an integer column is int64, a float one double; the ids
            // strings) and its rows.
            std::deque<Part> parts;
            for (const auto& [name, column] :
                 t->in_place_->columns().columns()) {
              const ColumnType type =
                  name == id_column ? ColumnType::kString : column.type();
              parts.push_back(Part{.name = name, .type = type});
            }
            t->parts_ = std::move(parts);
            LEADKIT_RETURN_IF_ERROR(append(t->in_place_->columns()));
          }
          LEADKIT_RETURN_IF_ERROR(append(read));
        }
        ++batches;
        rows += read.num_rows();
        return absl::OkStatus();
      },
      &t->schema_));
  t->columns_ = std::make_unique<Columns>(rows);
  if (batches == 1) {
    // One batch: its columns as read, the ids as strings.
    t->parts_.clear();
    for (const auto& [name, column] : t->in_place_->columns().columns()) {
      if (name == id_column && column.type() != ColumnType::kString) {
        Part& ids = t->parts_.emplace_back(
            Part{.name = name, .type = ColumnType::kString});
        ids.AppendStrings(column, rows);
        LEADKIT_RETURN_IF_ERROR(t->columns_->Add(name, ids.View()));
        continue;
      }
      LEADKIT_RETURN_IF_ERROR(t->columns_->Add(name, column));
    }
    return t;
  }
  // Batches after the first copied: the first is no longer needed.
  t->in_place_.reset();
  Release(t->batch_);
  for (Part& p : t->parts_) {
    if (p.type == ColumnType::kString && p.integers.empty()) {
      p.integers.push_back(0);
    }
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add(p.name, p.View()));
  }
  return t;
}

// ---- Export ----------------------------------------------------------------

namespace {

struct SchemaData {
  std::string format;
  std::string name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
  std::unique_ptr<ArrowSchema> dictionary;
};

void ReleaseSchema(ArrowSchema* schema) {
  auto* data = static_cast<SchemaData*>(schema->private_data);
  for (ArrowSchema& child : data->children) Release(child);
  if (data->dictionary != nullptr) Release(*data->dictionary);
  delete data;
  schema->release = nullptr;
}

struct ArrayData {
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<int32_t> codes;  // a dictionary array's indices, moved in
  std::vector<const void*> buffer_pointers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
  std::unique_ptr<ArrowArray> dictionary;
  // An imported batch whose buffers the array reads (ExportKeeping).
  std::unique_ptr<ArrowArray> kept;
};

void ReleaseArray(ArrowArray* array) {
  auto* data = static_cast<ArrayData*>(array->private_data);
  for (ArrowArray& child : data->children) Release(child);
  if (data->dictionary != nullptr) Release(*data->dictionary);
  if (data->kept != nullptr && data->kept->release != nullptr) {
    data->kept->release(data->kept.get());
  }
  delete data;
  array->release = nullptr;
}

// An array over `buffers`, after the validity bitmap `validity` (empty: no
// value is null, the buffer NULL) with `null_count` nulls.
ArrowArray MakeArray(int64_t length, std::vector<std::vector<uint8_t>> buffers,
                     std::vector<ArrowArray> children,
                     std::optional<ArrowArray> dictionary,
                     std::vector<uint8_t> validity = {},
                     int64_t null_count = 0) {
  auto data = std::make_unique<ArrayData>();
  data->buffers = std::move(buffers);
  if (!validity.empty()) data->buffers.push_back(std::move(validity));
  data->buffer_pointers.push_back(
      null_count > 0 ? data->buffers.back().data() : nullptr);
  for (size_t i = 0; i < data->buffers.size() - (null_count > 0 ? 1 : 0);
       ++i) {
    data->buffer_pointers.push_back(data->buffers[i].data());
  }
  data->children = std::move(children);
  for (ArrowArray& child : data->children) data->child_pointers.push_back(&child);
  if (dictionary) data->dictionary = std::make_unique<ArrowArray>(*dictionary);
  ArrowArray out{};
  out.length = length;
  out.null_count = null_count;
  out.offset = 0;
  out.n_buffers = static_cast<int64_t>(data->buffer_pointers.size());
  out.n_children = static_cast<int64_t>(data->children.size());
  out.buffers = data->buffer_pointers.data();
  out.children = data->child_pointers.empty() ? nullptr : data->child_pointers.data();
  out.dictionary = data->dictionary.get();
  out.release = ReleaseArray;
  out.private_data = data.release();
  return out;
}

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// A utf8 (Offset int32) or large_utf8 (int64) array of `length` strings, row
// i `at(i)`: a string_view, or an optional one (nullopt: null). The offsets
// are written where the array keeps them; a validity bitmap only once a row
// is null.
template <typename Offset, typename At>
ArrowArray StringsOf(int64_t length, const At& at) {
  std::vector<uint8_t> offset_bytes((static_cast<size_t>(length) + 1) *
                                    sizeof(Offset));
  auto* offsets = reinterpret_cast<Offset*>(offset_bytes.data());
  offsets[0] = 0;
  std::vector<uint8_t> chars;
  std::vector<uint8_t> validity;
  int64_t nulls = 0;
  for (int64_t row = 0; row < length; ++row) {
    const std::optional<absl::string_view> value = at(row);
    if (!value) {
      if (validity.empty()) {
        validity.assign(static_cast<size_t>(length + 7) / 8, 0xff);
      }
      validity[static_cast<size_t>(row >> 3)] &=
          static_cast<uint8_t>(~(1u << (row & 7)));
      ++nulls;
      offsets[row + 1] = offsets[row];
      continue;
    }
    const absl::string_view s = *value;
    if (chars.size() + s.size() >
        static_cast<size_t>(std::numeric_limits<Offset>::max())) {
      throw std::length_error("strings past the Arrow utf8 offsets' range");
    }
    chars.insert(chars.end(), s.begin(), s.end());
    offsets[row + 1] = static_cast<Offset>(chars.size());
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(offset_bytes));
  buffers.push_back(std::move(chars));
  return MakeArray(length, std::move(buffers), {}, std::nullopt,
                   std::move(validity), nulls);
}

}  // namespace

ArrowArray ArrowStrings::Export(int64_t n, bool large) const {
  if (index_width_ != 0 || view_ || large != large_ || n == 0) {
    return ExportStrings(
        n, [&](int64_t row) { return At(row).value_or(absl::string_view()); },
        large);
  }
  // Plain strings: the offsets rebased to 0 and the characters in one copy.
  const int64_t first = column_.Index(0);
  const void* in = column_.array->buffers[1];
  auto rebased = [&]<typename Offset>() {
    std::vector<uint8_t> out(static_cast<size_t>(n + 1) * sizeof(Offset));
    const Offset base = LoadAt<Offset>(in, first);
    for (int64_t i = 0; i <= n; ++i) {
      const Offset o = LoadAt<Offset>(in, first + i) - base;
      std::memcpy(out.data() + i * int64_t{sizeof(Offset)}, &o, sizeof(Offset));
    }
    return std::pair(std::move(out), int64_t{base});
  };
  auto [offsets, base] =
      large_ ? rebased.operator()<int64_t>() : rebased.operator()<int32_t>();
  const int64_t end =
      large_ ? LoadAt<int64_t>(in, first + n) : LoadAt<int32_t>(in, first + n);
  const char* chars = static_cast<const char*>(column_.array->buffers[2]);
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(offsets));
  buffers.push_back(end > base ? std::vector<uint8_t>(chars + base, chars + end)
                               : std::vector<uint8_t>());
  return MakeArray(n, std::move(buffers), {}, std::nullopt);
}

std::optional<ArrowArray> ArrowStrings::ExportKeeping(int64_t n, bool large,
                                                      ArrowArray& batch) const {
  const ArrowArray& a = *column_.array;
  if (index_width_ != 0 || view_ || large != large_ || n == 0 ||
      (a.null_count != 0 && a.buffers[0] != nullptr)) {
    return std::nullopt;
  }
  auto data = std::make_unique<ArrayData>();
  data->kept = std::make_unique<ArrowArray>(batch);
  batch.release = nullptr;  // moved
  data->buffer_pointers = {nullptr, a.buffers[1], a.buffers[2]};
  ArrowArray out{};
  out.length = n;
  out.offset = column_.Index(0);
  out.n_buffers = 3;
  out.buffers = data->buffer_pointers.data();
  out.release = ReleaseArray;
  out.private_data = data.release();
  return out;
}

ArrowArray ExportStringBuffers(int64_t length, bool large,
                               const std::function<int64_t(int64_t)>& offset,
                               const char* chars, int64_t size) {
  std::vector<uint8_t> offsets(static_cast<size_t>(length + 1) *
                               (large ? sizeof(int64_t) : sizeof(int32_t)));
  if (!large && size > std::numeric_limits<int32_t>::max()) {
    throw std::length_error("strings past the Arrow utf8 offsets' range");
  }
  for (int64_t i = 0; i <= length; ++i) {
    const int64_t o = i == length ? size : offset(i);
    if (large) {
      std::memcpy(offsets.data() + i * 8, &o, 8);
    } else {
      const auto o32 = static_cast<int32_t>(o);
      std::memcpy(offsets.data() + i * 4, &o32, 4);
    }
  }
  std::vector<uint8_t> data(static_cast<size_t>(size));
  if (size > 0) std::memcpy(data.data(), chars, static_cast<size_t>(size));
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(offsets));
  buffers.push_back(std::move(data));
  return MakeArray(length, std::move(buffers), {}, std::nullopt);
}

ArrowSchema ExportSchema(std::string format, std::string name, int64_t flags,
                         std::vector<ArrowSchema> children,
                         std::optional<ArrowSchema> dictionary) {
  auto data = std::make_unique<SchemaData>();
  data->format = std::move(format);
  data->name = std::move(name);
  data->children = std::move(children);
  for (ArrowSchema& child : data->children) data->child_pointers.push_back(&child);
  if (dictionary) data->dictionary = std::make_unique<ArrowSchema>(*dictionary);
  ArrowSchema out{};
  out.format = data->format.c_str();
  out.name = data->name.c_str();
  out.metadata = nullptr;
  out.flags = flags;
  out.n_children = static_cast<int64_t>(data->children.size());
  out.children = data->child_pointers.empty() ? nullptr : data->child_pointers.data();
  out.dictionary = data->dictionary.get();
  out.release = ReleaseSchema;
  out.private_data = data.release();
  return out;
}

ArrowArray ExportStrings(int64_t length,
                         const std::function<absl::string_view(int64_t)>& at,
                         bool large) {
  return large ? StringsOf<int64_t>(length, at) : StringsOf<int32_t>(length, at);
}

ArrowArray ExportStrings(std::span<const std::string> values, bool large) {
  return ExportStrings(
      static_cast<int64_t>(values.size()),
      [&](int64_t i) -> absl::string_view { return values[static_cast<size_t>(i)]; },
      large);
}

ArrowArray ExportDictionary(std::vector<int32_t> codes,
                            std::span<const std::string> dictionary) {
  const auto length = static_cast<int64_t>(codes.size());
  // The indices are the array's buffer as they are (moved, not copied).
  ArrowArray out = MakeArray(length, {}, {},
                             ExportStrings(dictionary, /*large=*/false));
  auto* data = static_cast<ArrayData*>(out.private_data);
  data->codes = std::move(codes);
  data->buffer_pointers.push_back(data->codes.data());
  out.n_buffers = static_cast<int64_t>(data->buffer_pointers.size());
  out.buffers = data->buffer_pointers.data();
  return out;
}

ArrowArray ExportOptionalStrings(
    std::span<const std::optional<std::string>> values) {
  return ExportOptionalStrings(
      static_cast<int64_t>(values.size()),
      [&](int64_t i) -> std::optional<absl::string_view> {
        const std::optional<std::string>& v = values[static_cast<size_t>(i)];
        if (!v) return std::nullopt;
        return absl::string_view(*v);
      });
}

ArrowArray ExportOptionalStrings(
    int64_t length,
    const std::function<std::optional<absl::string_view>(int64_t)>& at) {
  return StringsOf<int32_t>(length, at);
}

ArrowArray ExportInt64s(const std::vector<int64_t>& values) {
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(values));
  return MakeArray(static_cast<int64_t>(values.size()), std::move(buffers), {},
                   std::nullopt);
}

ArrowArray ExportDoubles(const std::vector<double>& values) {
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(values));
  return MakeArray(static_cast<int64_t>(values.size()), std::move(buffers), {},
                   std::nullopt);
}

ArrowArray ExportOptionalInt64s(
    std::span<const std::optional<int64_t>> values) {
  const auto length = static_cast<int64_t>(values.size());
  std::vector<int64_t> data(values.size(), 0);
  std::vector<uint8_t> validity(static_cast<size_t>(length + 7) / 8, 0);
  int64_t nulls = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (const std::optional<int64_t>& v = values[static_cast<size_t>(i)]) {
      data[static_cast<size_t>(i)] = *v;
      validity[static_cast<size_t>(i >> 3)] |=
          static_cast<uint8_t>(1u << (i & 7));
    } else {
      ++nulls;
    }
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(data));
  if (nulls == 0) validity.clear();
  return MakeArray(length, std::move(buffers), {}, std::nullopt,
                   std::move(validity), nulls);
}

ArrowArray ExportBools(const std::vector<uint8_t>& values) {
  const auto length = static_cast<int64_t>(values.size());
  std::vector<uint8_t> bits(static_cast<size_t>(length + 7) / 8, 0);
  for (int64_t i = 0; i < length; ++i) {
    if (values[static_cast<size_t>(i)] != 0) {
      bits[static_cast<size_t>(i >> 3)] |= static_cast<uint8_t>(1u << (i & 7));
    }
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(bits));
  return MakeArray(length, std::move(buffers), {}, std::nullopt);
}

ArrowArray ExportStruct(int64_t length, std::vector<ArrowArray> children) {
  return MakeArray(length, {}, std::move(children), std::nullopt);
}

namespace {

struct StreamData {
  std::function<ArrowSchema()> make_schema;
  std::vector<ArrowArray> batches;
  size_t next = 0;
  std::string error;
};

int StreamSchema(ArrowArrayStream* stream, ArrowSchema* out) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  try {
    *out = data->make_schema();
    return 0;
  } catch (...) {
    data->error = "leadkit: out of memory";
    return ENOMEM;
  }
}

int StreamNext(ArrowArrayStream* stream, ArrowArray* out) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  if (data->next < data->batches.size()) {
    *out = data->batches[data->next];
    data->batches[data->next].release = nullptr;  // moved to the caller
    ++data->next;
  } else {
    *out = ArrowArray{};  // release NULL: the end
  }
  return 0;
}

const char* StreamError(ArrowArrayStream* stream) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  return data->error.empty() ? nullptr : data->error.c_str();
}

void StreamRelease(ArrowArrayStream* stream) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  for (ArrowArray& batch : data->batches) Release(batch);
  delete data;
  stream->release = nullptr;
}

}  // namespace

void ExportStream(std::function<ArrowSchema()> make_schema,
                  std::vector<ArrowArray> batches, ArrowArrayStream* out) {
  auto data = std::make_unique<StreamData>();
  data->make_schema = std::move(make_schema);
  data->batches = std::move(batches);
  out->get_schema = StreamSchema;
  out->get_next = StreamNext;
  out->get_last_error = StreamError;
  out->release = StreamRelease;
  out->private_data = data.release();
}

ArrowArray ExportStringLists(
    std::span<const std::vector<std::string>> values) {
  const auto length = static_cast<int64_t>(values.size());
  std::vector<int32_t> offsets(values.size() + 1, 0);
  std::vector<const std::string*> items;
  for (size_t i = 0; i < values.size(); ++i) {
    for (const std::string& s : values[i]) items.push_back(&s);
    if (items.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw std::length_error("list items past the Arrow list offsets' range");
    }
    offsets[i + 1] = static_cast<int32_t>(items.size());
  }
  std::vector<ArrowArray> children;
  children.push_back(ExportStrings(
      static_cast<int64_t>(items.size()),
      [&](int64_t i) -> absl::string_view {
        return *items[static_cast<size_t>(i)];
      },
      /*large=*/false));
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(offsets));
  return MakeArray(length, std::move(buffers), std::move(children),
                   std::nullopt);
}

}  // namespace leadkit::c_api_internal
