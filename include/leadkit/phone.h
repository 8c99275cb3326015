// Personal data: phone normalisation and masking. Names, phone numbers, WeChat
// ids and e-mail addresses never appear unmasked in an error, log line,
// explanation or report; every place that prints a lead's value goes through
// MaskValue. Rules compare personal fields in the form NormalizeValue gives
// (docs/policy.md#personal-fields), so two spellings of one number are equal.
//
// Example:
//   NormalizeValue("phone", "+86 138-0013-8000");      // "13800138000"
//   NormalizeValue("email", " Li.Lei@Example.com ");   // "li.lei@example.com"
//   MaskPhone("+86 138-0013-8000");   // "138****8000"
//   MaskName("王小明");                // "王**"
//   MaskEmail("li.lei@example.com");  // "l***@example.com"
//   MaskValue("phone", "13800138000");  // "138****8000"
//   MaskValue("model", "C200");         // "C200" (not personal)
//   PhoneIsValid("010-6552 8888");     // true (a Beijing landline)
//   PhoneIsValid("8613800138000");     // false (86 without + or 00)
//   ScrubText("call 138 0013 8000 or li@example.com");
//       // "call 138****8000 or l***@example.com"
//   ScrubText("C200, 2024-05-13, L000123, 268000");  // unchanged
#ifndef LEADKIT_PHONE_H_
#define LEADKIT_PHONE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace leadkit {

// Digits of a phone number with `+86` / `0086` and separators (spaces, dashes,
// dots, parentheses) removed: "+86 (138) 0013-8000" -> "13800138000". Returns
// "" when what is left is not all digits.
std::string NormalizePhone(absl::string_view phone);

// A China mobile or landline number once normalised (NormalizePhone): a
// mobile is 11 digits starting 13-19; a landline is 0, an area code (10, 20-29,
// or three digits starting 3-9), then a 7-8 digit subscriber number starting
// 2-9. The audit's rule (docs/kpis.md, `invalid_phone`).
bool PhoneIsValid(absl::string_view phone);
// The same for digits NormalizePhone already gave.
bool NormalizedPhoneIsValid(absl::string_view digits);

// Keeps the first three and last four digits of a normalised number of 11 or
// more digits, the last two of a shorter one; other characters become '*'.
std::string MaskPhone(absl::string_view phone);

// Keeps the first character (a whole UTF-8 code point) and masks the rest, one
// '*' per code point (at least one).
std::string MaskName(absl::string_view name);

// Keeps the first character of the local part and the domain.
std::string MaskEmail(absl::string_view email);

// The form in which rules compare a value of a personal lead field: a phone
// number by NormalizePhone (the trimmed text when it is not a phone number, so
// it never equals one), an e-mail address trimmed of ASCII whitespace with its
// ASCII letters lower-cased, a name or WeChat id trimmed of ASCII whitespace.
// Returns `value` unchanged when `field` is not personal.
std::string NormalizeValue(absl::string_view field, absl::string_view value);

// Masks `value` when `field` is a personal lead field (name, phone, wechat,
// email); any other value is free text or a category someone typed, and is
// returned scrubbed (ScrubText): unchanged unless personal data hides in it.
std::string MaskValue(absl::string_view field, absl::string_view value);

// `text` with the personal data typed into it masked as the personal columns
// are, for every free-text or category value that reaches a report, an error
// message or a log (a lost reason, a note, a status, a dealer's name, a JSON
// parser's quote of a document). What counts:
//  - a phone number: a run of ASCII digits and separators (space, '-', '.',
//    '(', ')'), optionally after "+86" / "0086", not touching another digit,
//    that PhoneIsValid accepts (a China mobile or landline), or "86" and a
//    mobile; masked by MaskPhone ("138****8000"). In a run that is not one
//    number, each stretch of its space-separated parts that is one is masked
//    ("13800138000 13900139000").
//  - an e-mail address: letters, digits and ._%+- then '@' then a domain with
//    at least one dot; masked by MaskEmail ("l***@example.com").
//  - a WeChat id: a token starting "wxid_" (any case), or the token after a
//    label: "微信" / "微信号" (then optionally ':', '：' or '=') followed by an
//    id of 6 or more letters, digits, '_' or '-'; "WeChat", "weixin", "vx",
//    "wx" (any case, not inside a word) then ':', '：' or '=' and an id of 5 or
//    more such characters, or then a space and an id holding a digit, '_' or
//    '-' (so "WeChat group" stays). The label stays; the id is masked by
//    MaskName ("w*****"), or by MaskPhone when it is a phone number.
// Anything else is kept byte for byte: model codes (C200), dates
// (2024-05-13), ids (L000123), amounts (268000), numbers of other lengths.
// Full-width digits and numbers spelt out in words are not recognised.
std::string ScrubText(absl::string_view text);

}  // namespace leadkit

#endif  // LEADKIT_PHONE_H_
