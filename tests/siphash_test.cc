// SipHash-2-4 against the reference vectors of its authors (the paper's
// appendix and the reference implementation's vectors.h): key 00 01 .. 0f,
// message 00 01 .. (n - 1) for length n.
#include "leadkit/internal/siphash.h"

#include <string>

#include "gtest/gtest.h"

namespace leadkit::siphash_internal {
namespace {

SipKey ReferenceKey() {
  SipKey key;
  for (int i = 0; i < 16; ++i) key[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  return key;
}

std::string ReferenceMessage(int length) {
  std::string message;
  for (int i = 0; i < length; ++i) message.push_back(static_cast<char>(i));
  return message;
}

TEST(SipHash24, ReferenceVectors) {
  // Lengths around each 8-byte word boundary, and the longest vector.
  const struct {
    int length;
    uint64_t hash;
  } kCases[] = {
      {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},
      {2, 0x0d6c8009d9a94f5aULL},  {7, 0xab0200f58b01d137ULL},
      {8, 0x93f5f5799a932462ULL},  {9, 0x9e0082df0ba9e4b0ULL},
      {15, 0xa129ca6149be45e5ULL}, {16, 0x3f2acc7f57c29bdbULL},
      {63, 0x958a324ceb064572ULL},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(SipHash24(ReferenceKey(), ReferenceMessage(c.length)), c.hash)
        << "length " << c.length;
  }
}

TEST(SipHash24, AnotherKeyGivesAnotherHash) {
  SipKey other = ReferenceKey();
  other[15] ^= 1;
  EXPECT_NE(SipHash24(other, ""), 0x726fdb47dd0e0e31ULL);
  EXPECT_NE(SipHash24(other, "13800138000"),
            SipHash24(ReferenceKey(), "13800138000"));
}

}  // namespace
}  // namespace leadkit::siphash_internal
