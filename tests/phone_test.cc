#include "leadkit/phone.h"

#include "gtest/gtest.h"

namespace leadkit {
namespace {

TEST(NormalizePhone, StripsCountryCodeAndSeparators) {
  EXPECT_EQ(NormalizePhone("+86 138-0013-8000"), "13800138000");
  EXPECT_EQ(NormalizePhone("0086 13800138000"), "13800138000");
  EXPECT_EQ(NormalizePhone("(010) 6552.9988"), "01065529988");
  EXPECT_EQ(NormalizePhone("call me"), "");
}

// The form rules compare personal fields in (docs/policy.md#personal-fields).
TEST(NormalizeValue, PersonalFieldsCompareNormalised) {
  EXPECT_EQ(NormalizeValue("phone", "+86 138-0013-8000"), "13800138000");
  EXPECT_EQ(NormalizeValue("phone", " 0086 (138) 0013.8000 "), "13800138000");
  EXPECT_EQ(NormalizeValue("phone", " call me "), "call me");
  EXPECT_EQ(NormalizeValue("email", " Li.Lei@Example.COM\t"),
            "li.lei@example.com");
  EXPECT_EQ(NormalizeValue("wechat", " WXID_abc "), "WXID_abc");
  EXPECT_EQ(NormalizeValue("name", "\n王小明 "), "王小明");
  EXPECT_EQ(NormalizeValue("model", " C200 "), " C200 ");
}

TEST(Mask, NeverShowsTheWholeValue) {
  EXPECT_EQ(MaskPhone("+86 138-0013-8000"), "138****8000");
  EXPECT_EQ(MaskPhone("6552998"), "*****98");
  EXPECT_EQ(MaskPhone("not a phone"), "***********");
  EXPECT_EQ(MaskName("王小明"), "王**");
  EXPECT_EQ(MaskName("Li"), "L*");
  EXPECT_EQ(MaskName("X"), "X*");
  EXPECT_EQ(MaskEmail("li.lei@example.com"), "l***@example.com");
  EXPECT_EQ(MaskEmail("张@example.com"), "张***@example.com");
  EXPECT_EQ(MaskValue("wechat", "wxid_abc"), "w*******");
  EXPECT_EQ(MaskValue("phone", "13800138000"), "138****8000");
  EXPECT_EQ(MaskValue("model", "C200"), "C200");
}

}  // namespace
}  // namespace leadkit
