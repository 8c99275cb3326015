#include "leadkit/phone.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "leadkit/lead.h"

namespace leadkit {
namespace {

// Length in bytes of the UTF-8 sequence that starts with `lead`.
size_t CodePointLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

std::string NormalizePhone(absl::string_view phone) {
  std::string digits;
  absl::string_view rest = absl::StripAsciiWhitespace(phone);
  if (!absl::ConsumePrefix(&rest, "+86")) absl::ConsumePrefix(&rest, "0086");
  for (char c : rest) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return "";
    }
  }
  return digits;
}

bool NormalizedPhoneIsValid(absl::string_view d) {
  const auto in = [&](size_t i, char lo, char hi) {
    return d[i] >= lo && d[i] <= hi;
  };
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  if (d.size() == 11 && d[0] == '1' && in(1, '3', '9')) return true;  // mobile
  if (d.size() < 2 || d[0] != '0') return false;
  // The area code's length follows from its first digit: 10, 2x, or 3-9xx.
  size_t area;
  if (d[1] == '1') {
    if (d.size() < 3 || d[2] != '0') return false;
    area = 2;
  } else if (d[1] == '2') {
    area = 2;
  } else {
    area = 3;
  }
  if (d.size() < 1 + area + 7) return false;
  const size_t subscriber = d.size() - 1 - area;
  return (subscriber == 7 || subscriber == 8) && in(1 + area, '2', '9');
}

bool PhoneIsValid(absl::string_view phone) {
  return NormalizedPhoneIsValid(NormalizePhone(phone));
}

std::string MaskPhone(absl::string_view phone) {
  std::string digits = NormalizePhone(phone);
  if (digits.empty()) {
    return std::string(std::max<size_t>(phone.size(), 1), '*');
  }
  const size_t keep_front = digits.size() >= 11 ? 3 : 0;
  const size_t keep_back =
      digits.size() >= 11 ? 4 : std::min<size_t>(2, digits.size() / 2);
  for (size_t i = keep_front; i + keep_back < digits.size(); ++i)
    digits[i] = '*';
  return digits;
}

std::string MaskName(absl::string_view name) {
  if (name.empty()) return "*";
  const size_t first = std::min(
      CodePointLength(static_cast<unsigned char>(name[0])), name.size());
  std::string out(name.substr(0, first));
  size_t masked = 0;
  for (size_t i = first; i < name.size();
       i += CodePointLength(static_cast<unsigned char>(name[i]))) {
    out.push_back('*');
    ++masked;
  }
  if (masked == 0) out.push_back('*');
  return out;
}

std::string MaskEmail(absl::string_view email) {
  const size_t at = email.rfind('@');
  if (at == absl::string_view::npos || at == 0) return MaskName(email);
  const size_t first =
      std::min(CodePointLength(static_cast<unsigned char>(email[0])), at);
  return std::string(email.substr(0, first)) + "***" +
         std::string(email.substr(at));
}

std::string NormalizeValue(absl::string_view field, absl::string_view value) {
  const LeadFieldInfo* info = FindLeadField(field);
  if (info == nullptr || !info->personal) return std::string(value);
  const absl::string_view trimmed = absl::StripAsciiWhitespace(value);
  if (field == "phone") {
    std::string digits = NormalizePhone(trimmed);
    return digits.empty() ? std::string(trimmed) : digits;
  }
  if (field == "email") return absl::AsciiStrToLower(trimmed);
  return std::string(trimmed);
}

std::string MaskValue(absl::string_view field, absl::string_view value) {
  const LeadFieldInfo* info = FindLeadField(field);
  if (info == nullptr || !info->personal) return std::string(value);
  if (field == "phone") return MaskPhone(value);
  if (field == "email") return MaskEmail(value);
  return MaskName(value);
}

}  // namespace leadkit
