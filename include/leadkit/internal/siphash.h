// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
// 2012): a keyed 64-bit hash. leadkit uses it where a value must be compared
// without being kept: the router stands for each phone number it has seen by
// SipHash-2-4(key, normalised phone), with a key the caller holds
// (docs/routing.md, "Saved state"). Abseil has no keyed hash.
//
//   state   v0..v3 = k0 ^ "somepseu", k1 ^ "dorandom", k0 ^ "lygenera",
//           k1 ^ "tedbytes" (k0, k1: the key's two little-endian halves)
//   words   the message in 8-byte little-endian words; the last holds the
//           remaining bytes and, in its top byte, the length mod 256
//   compress per word m: v3 ^= m, two SipRounds, v0 ^= m
//   finish  v2 ^= 0xff, four SipRounds, v0 ^ v1 ^ v2 ^ v3
//
// Example: with key 00 01 .. 0f, SipHash24(key, "") == 0x726fdb47dd0e0e31
// (the first of the paper's reference vectors).
#ifndef LEADKIT_INTERNAL_SIPHASH_H_
#define LEADKIT_INTERNAL_SIPHASH_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace leadkit::siphash_internal {

using SipKey = std::array<uint8_t, 16>;

// The little-endian 64-bit number in the 8 bytes at `p`.
inline uint64_t LoadLittle64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline uint64_t RotateLeft(uint64_t x, int bits) {
  return (x << bits) | (x >> (64 - bits));
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = RotateLeft(v1, 13);
    v1 ^= v0;
    v0 = RotateLeft(v0, 32);
    v2 += v3;
    v3 = RotateLeft(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = RotateLeft(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = RotateLeft(v1, 17);
    v1 ^= v2;
    v2 = RotateLeft(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

// SipHash-2-4 of `message` under `key`.
inline uint64_t SipHash24(const SipKey& key, absl::string_view message) {
  const uint64_t k0 = LoadLittle64(key.data());
  const uint64_t k1 = LoadLittle64(key.data() + 8);
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
             k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  const size_t n = message.size();
  const size_t whole = n - n % 8;
  for (size_t at = 0; at < whole; at += 8) s.Compress(LoadLittle64(bytes + at));
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = whole; i < n; ++i) {
    last |= static_cast<uint64_t>(bytes[i]) << (8 * (i - whole));
  }
  s.Compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace leadkit::siphash_internal

#endif  // LEADKIT_INTERNAL_SIPHASH_H_
