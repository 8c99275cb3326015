#include "leadkit/phone.h"

#include <string>

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

// The audit's rule (docs/kpis.md, invalid_phone), case by case.
TEST(PhoneIsValid, ChinaMobilesAndLandlines) {
  struct Case {
    const char* phone;
    bool valid;
  };
  const Case cases[] = {
      {"13800138000", true},             // mobile
      {"+86 138 0013 8000", true},       // country code and spaces
      {"0086-199-1234-5678", true},      // 199: mobiles start 13-19
      {"12800138000", false},            // no mobile starts 12
      {"1380013800", false},             // 10 digits
      {"138001380001", false},           // 12 digits
      {"8613800138000", false},          // 86 without + or 00
      {"010-6552 8888", true},           // Beijing: 10 + 8 digits
      {"010-6552888", true},             // 10 + 7 digits
      {"(021) 5012-3456", true},         // Shanghai: 21
      {"0755-2345678", true},            // Shenzhen, 7-digit subscriber
      {"0755-23456789", true},           // 8 digits
      {"010-12345678", false},           // a subscriber never starts with 1
      {"010-02345678", false},           // ... nor with 0
      {"011-62345678", false},           // 11 is no area code
      {"65528888", false},               // no area code
      {"0755-234567890", false},         // 9-digit subscriber
      {"0755-234567", false},            // 6-digit subscriber
      {"138 0013 8000 ext 1", false},    // letters
      {"0", false},
      {"01", false},
      {"", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PhoneIsValid(c.phone), c.valid) << c.phone;
  }
  EXPECT_TRUE(NormalizedPhoneIsValid("13800138000"));
  EXPECT_FALSE(NormalizedPhoneIsValid("1380013800a"));
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

// Issue 21, fault 4: personal data typed into free text (a lost reason, a
// note, a status) is masked wherever the text is shown.
TEST(ScrubText, MasksPhoneNumbersInFreeText) {
  struct Case {
    const char* text;
    const char* scrubbed;
  } cases[] = {
      {"客户电话13800138000已停机", "客户电话138****8000已停机"},
      {"call +86 138-0013-8000 after 6", "call 138****8000 after 6"},
      {"0086 139 0013 9000", "139****9000"},
      {"8613800138000", "861******8000"},
      {"(010) 6552 8888 front desk", "010****8888 front desk"},
      {"tel 0755-88889999.", "tel 075*****9999."},
      {"13800138000 13900139000", "138****8000 139****9000"},
      {"phone:13800138000,wife 15900159000", "phone:138****8000,wife 159****9000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ScrubText(c.text), c.scrubbed) << c.text;
  }
}

TEST(ScrubText, MasksEmailAddressesAndWeChatIds) {
  struct Case {
    const char* text;
    const char* scrubbed;
  } cases[] = {
      {"mail li.lei@example.com today", "mail l***@example.com today"},
      {"13800138000@qq.com", "1***@qq.com"},
      {"wxid_abc123 added", "w********** added"},
      {"微信：lilei_88", "微信：l*******"},
      {"微信号lilei88", "微信号l******"},
      {"WeChat: lileiok", "WeChat: l******"},
      {"加vx abc_123", "加vx a******"},
      {"wx=13800138000", "wx=138****8000"},
      {"微信 13800138000", "微信 138****8000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ScrubText(c.text), c.scrubbed) << c.text;
  }
}

TEST(ScrubText, KeepsOrdinaryValues) {
  for (const char* text : {
           "C200", "GLC 300L", "2024-05-13", "2024-05-13 10:00:00+08:00",
           "L000123", "268000", "268000.50", "price too high (竞品价格低)",
           "bought a BMW X3", "WeChat group", "wechat", "微信已加", "vx",
           "open", "lost", "no_budget", "18 months", "V6 engine", "wx 3",
           "order 20240513001", "1380013800", "a@b", "@home", "", "3.14159",
           "ids L13800000 and S001", "model:C200;budget:300000",
       }) {
    EXPECT_EQ(ScrubText(text), text) << text;
  }
}

TEST(ScrubText, NonPersonalFieldsOfMaskValueAreScrubbed) {
  EXPECT_EQ(MaskValue("lost_reason", "call 13800138000"), "call 138****8000");
  EXPECT_EQ(MaskValue("status", "li@example.com"), "l***@example.com");
  EXPECT_EQ(MaskValue("channel", "website"), "website");
}

TEST(ScrubText, LongRunsStayLinear) {
  // A megabyte of digits and spaces is scanned once, not once per digit.
  std::string text;
  for (int i = 0; i < 500000; ++i) text += "1 ";
  EXPECT_EQ(ScrubText(text), text);
  const std::string digits(1 << 20, '7');
  EXPECT_EQ(ScrubText(digits), digits);
}

}  // namespace
}  // namespace leadkit
