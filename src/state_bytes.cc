#include "state_bytes.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "leadkit/internal/status_macros.h"

namespace leadkit::state_internal {
namespace {

constexpr size_t kMagicSize = 6;
constexpr size_t kChecksumSize = 8;

// A varint length at `pos` (advanced past it); nullopt when it runs past the
// end or past 10 bytes.
bool ReadLength(absl::string_view bytes, size_t& pos, uint64_t& out) {
  uint64_t z = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size()) return false;
    const auto byte = static_cast<unsigned char>(bytes[pos++]);
    z |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      out = z;
      return true;
    }
  }
  return false;
}

}  // namespace

void PutInt(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7F) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

void PutString(std::string& out, absl::string_view s) {
  PutInt(out, static_cast<int64_t>(s.size()));
  out.append(s.data(), s.size());
}

void PutKey(std::string& out,
            std::span<const std::optional<std::string>> key) {
  for (const std::optional<std::string>& part : key) {
    PutInt(out, part.has_value() ? 1 : 0);
    if (part) PutString(out, *part);
  }
}

uint64_t Checksum(absl::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string Frame(absl::string_view magic, absl::string_view payload) {
  std::string out(magic);
  uint64_t n = payload.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(payload.data(), payload.size());
  const uint64_t sum = Checksum(out);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((sum >> (8 * i)) & 0xFF));
  }
  return out;
}

absl::StatusOr<absl::string_view> Unframe(absl::string_view bytes,
                                          absl::string_view magic,
                                          absl::string_view what) {
  if (bytes.substr(0, kMagicSize) != magic) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not a leadkit ", what.substr(0, what.rfind(" bytes")),
        " (bad header)"));
  }
  size_t pos = kMagicSize;
  uint64_t length = 0;
  if (!ReadLength(bytes, pos, length) ||
      length > bytes.size() - pos ||
      bytes.size() - pos - length < kChecksumSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": truncated (", bytes.size(), " bytes, fewer than the header says)"));
  }
  const size_t end = pos + static_cast<size_t>(length);
  if (bytes.size() - end > kChecksumSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": trailing bytes after the state"));
  }
  uint64_t stored = 0;
  for (size_t i = 0; i < kChecksumSize; ++i) {
    stored |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[end + i]))
              << (8 * i);
  }
  if (stored != Checksum(bytes.substr(0, end))) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": checksum mismatch (the bytes were changed or damaged)"));
  }
  return bytes.substr(pos, static_cast<size_t>(length));
}

absl::StatusOr<int64_t> Reader::Int() { return varints_ ? Varint() : Fixed(); }

absl::StatusOr<std::string> Reader::String() {
  LEADKIT_ASSIGN_OR_RETURN(int64_t n, Int());
  if (n < 0 || static_cast<size_t>(n) > bytes_.size() - pos_) {
    return Truncated();
  }
  std::string s(bytes_.substr(pos_, static_cast<size_t>(n)));
  pos_ += static_cast<size_t>(n);
  return s;
}

absl::StatusOr<int64_t> Reader::Count() {
  const size_t at = pos_;
  LEADKIT_ASSIGN_OR_RETURN(int64_t n, Int());
  if (n < 0 || n > static_cast<int64_t>(bytes_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": impossible count ", n, " at byte ", at));
  }
  return n;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Reader::Key(
    int64_t parts) {
  std::vector<std::optional<std::string>> key;
  key.reserve(static_cast<size_t>(parts));
  for (int64_t p = 0; p < parts; ++p) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t flag, Int());
    if (flag != 0 && flag != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(what_, ": a key part's flag is ", flag));
    }
    if (flag == 0) {
      key.emplace_back(std::nullopt);
      continue;
    }
    LEADKIT_ASSIGN_OR_RETURN(std::string part, String());
    key.emplace_back(std::move(part));
  }
  return key;
}

absl::Status Reader::Counts(std::initializer_list<int64_t*> counts) {
  for (int64_t* count : counts) {
    LEADKIT_ASSIGN_OR_RETURN(*count, Int());
    if (*count < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what_, ": a negative count ", *count));
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::Done() const {
  if (done()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what_, ": trailing bytes"));
}

absl::StatusOr<int64_t> Reader::Fixed() {
  if (bytes_.size() - pos_ < 8) return Truncated();
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i]))
         << (8 * i);
  }
  pos_ += 8;
  return static_cast<int64_t>(v);
}

absl::StatusOr<int64_t> Reader::Varint() {
  uint64_t z = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= bytes_.size()) return Truncated();
    const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
    z |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what_, ": a number runs past 10 bytes at byte ", pos_));
}

absl::Status Reader::Truncated() const {
  return absl::InvalidArgumentError(absl::StrCat(
      what_, ": truncated at byte ", pos_, " of ", bytes_.size()));
}

void CountTotal::Add(absl::string_view field, size_t index, int64_t value) {
  if (!overflow_.empty()) return;
  if (__builtin_add_overflow(total_, value, &total_)) {
    overflow_ = absl::StrCat(field, " count ", index);
  }
}

absl::Status CountTotal::Status(absl::StatusCode code,
                               absl::string_view doing) const {
  if (overflow_.empty()) return absl::OkStatus();
  return absl::Status(
      code, absl::StrCat(what_, ": ", doing, " overflows ", overflow_,
                         ": the counts add up to more than ",
                         std::numeric_limits<int64_t>::max()));
}

}  // namespace leadkit::state_internal
