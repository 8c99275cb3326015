#include "leadkit/phone.h"

#include <algorithm>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
  if (info == nullptr || !info->personal) return ScrubText(value);
  if (field == "phone") return MaskPhone(value);
  if (field == "email") return MaskEmail(value);
  return MaskName(value);
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c));
}
bool IsPhoneSeparator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}
bool IsEmailLocal(char c) {
  return IsDigit(c) || IsAsciiLetter(c) || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}
bool IsDomainChar(char c) {
  return IsDigit(c) || IsAsciiLetter(c) || c == '-' || c == '.';
}
bool IsIdChar(char c) {
  return IsDigit(c) || IsAsciiLetter(c) || c == '_' || c == '-';
}

// The longest text one phone number takes with its separators and prefix
// ("0086 (0755) 8888-9999" is 21 bytes): bounds the search in a long run.
constexpr size_t kMaxPhoneSpan = 32;
// The fewest and most digits such a text holds: a landline of 10
// ("010 6552 8888") to "0086" and a landline of 12.
constexpr size_t kMinPhoneDigits = 10;
constexpr size_t kMaxPhoneDigits = 16;

// A phone number by ScrubText's rule: PhoneIsValid, or "86" and a mobile.
bool IsPhoneSpan(absl::string_view span) {
  const std::string d = NormalizePhone(span);
  if (d.empty()) return false;
  if (NormalizedPhoneIsValid(d)) return true;
  return d.size() == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1' &&
         NormalizedPhoneIsValid(absl::string_view(d).substr(2));
}

void Append(std::string& out, absl::string_view part) {
  out.append(part.data(), part.size());
}

struct Span {
  size_t begin, end;
};

// The e-mail addresses of `text`, in order.
std::vector<Span> EmailSpans(absl::string_view text) {
  std::vector<Span> spans;
  for (size_t at = text.find('@'); at != absl::string_view::npos;
       at = text.find('@', at + 1)) {
    size_t begin = at;
    while (begin > 0 && IsEmailLocal(text[begin - 1])) --begin;
    size_t end = at + 1;
    while (end < text.size() && IsDomainChar(text[end])) ++end;
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) {
      --end;
    }
    const absl::string_view domain = text.substr(at + 1, end - at - 1);
    if (begin == at || domain.empty() || domain[0] == '.' ||
        domain.find('.') == absl::string_view::npos) {
      continue;
    }
    if (!spans.empty() && begin < spans.back().end) continue;
    spans.push_back({begin, end});
  }
  return spans;
}

bool StartsWithIgnoringCase(absl::string_view text, absl::string_view prefix) {
  return text.size() >= prefix.size() &&
         absl::EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// The masked form of an id ScrubText found: a phone number as MaskPhone
// gives it, anything else as MaskName.
std::string MaskId(absl::string_view id) {
  return IsPhoneSpan(id) ? MaskPhone(id) : MaskName(id);
}

// A WeChat id at `i` (ScrubText's rule): appends the label and masked id to
// `out` and returns where the id ends, or returns `i` when there is none.
size_t ScrubWeChat(absl::string_view text, size_t i, std::string& out) {
  const bool word_start = i == 0 || !(IsAsciiLetter(text[i - 1]) ||
                                      IsDigit(text[i - 1]) || text[i - 1] == '_');
  const absl::string_view rest = text.substr(i);
  if (word_start && StartsWithIgnoringCase(rest, "wxid_")) {
    size_t end = i + 5;
    while (end < text.size() && IsIdChar(text[end])) ++end;
    if (end == i + 5) return i;
    out += MaskName(text.substr(i, end - i));
    return end;
  }
  static constexpr absl::string_view kCjkLabels[] = {"微信号", "微信"};
  static constexpr absl::string_view kAsciiLabels[] = {"wechat", "weixin", "vx",
                                                       "wx"};
  size_t label = 0;
  bool cjk = false;
  for (absl::string_view l : kCjkLabels) {
    if (absl::StartsWith(rest, l)) {
      label = l.size();
      cjk = true;
      break;
    }
  }
  if (label == 0 && word_start) {
    for (absl::string_view l : kAsciiLabels) {
      if (StartsWithIgnoringCase(rest, l) &&
          (l.size() == rest.size() || !IsIdChar(rest[l.size()]))) {
        label = l.size();
        break;
      }
    }
  }
  if (label == 0) return i;
  size_t p = i + label;
  const size_t after_label = p;
  while (p < text.size() && text[p] == ' ') ++p;
  bool separated = false;
  if (p < text.size() && (text[p] == ':' || text[p] == '=')) {
    separated = true;
    ++p;
  } else if (absl::StartsWith(text.substr(p), "：")) {
    separated = true;
    p += absl::string_view("：").size();
  }
  while (p < text.size() && text[p] == ' ') ++p;
  size_t end = p;
  while (end < text.size() && IsIdChar(text[end])) ++end;
  const absl::string_view id = text.substr(p, end - p);
  // An id runs to its end: one that a digit or '.' continues is something else.
  if (end < text.size() && (text[end] == '.' || IsDigit(text[end]))) return i;
  bool masked;
  if (cjk) {
    masked = id.size() >= 6;
  } else if (separated) {
    masked = id.size() >= 5;
  } else {
    masked = p > after_label && id.size() >= 5 &&
             id.find_first_of("0123456789_-") != absl::string_view::npos;
  }
  if (!masked) return i;
  Append(out, text.substr(i, p - i));
  out += MaskId(id);
  return end;
}

// A run of digits and separators starting at `i` and ending before `limit`:
// appends it to `out` with the phone numbers in it masked (ScrubText's rule)
// and returns where it ends, or returns `i` when no run starts there.
size_t ScrubPhone(absl::string_view text, size_t i, size_t limit,
                  std::string& out) {
  if (i > 0 && IsDigit(text[i - 1])) return i;
  size_t end = i;
  if (text.substr(i, 3) == "+86") {
    end = i + 3;
  } else if (!(IsDigit(text[i]) ||
               (text[i] == '(' && i + 1 < limit && IsDigit(text[i + 1])))) {
    return i;
  }
  while (end < limit && (IsDigit(text[end]) || IsPhoneSeparator(text[end]))) {
    ++end;
  }
  while (end > i && !IsDigit(text[end - 1])) --end;
  if (end == i) return i;
  // The run's space-separated parts; from each part, the longest stretch of
  // parts that is one number.
  std::vector<Span> parts;
  for (size_t p = i; p < end;) {
    size_t q = p;
    while (q < end && text[q] != ' ') ++q;
    parts.push_back({p, q});
    p = q;
    while (p < end && text[p] == ' ') ++p;
  }
  std::string scrubbed;
  bool any = false;
  size_t copied = i;
  for (size_t a = 0; a < parts.size();) {
    size_t found = parts.size();
    size_t digits = 0;
    for (size_t b = a; b < parts.size(); ++b) {
      const size_t length = parts[b].end - parts[a].begin;
      if (b > a && length > kMaxPhoneSpan) break;
      digits += static_cast<size_t>(
          std::count_if(text.begin() + parts[b].begin,
                        text.begin() + parts[b].end, IsDigit));
      if (digits > kMaxPhoneDigits) break;
      if (digits >= kMinPhoneDigits &&
          IsPhoneSpan(text.substr(parts[a].begin, length))) {
        found = b;
      }
    }
    if (found == parts.size()) {
      ++a;
      continue;
    }
    Append(scrubbed, text.substr(copied, parts[a].begin - copied));
    scrubbed += MaskPhone(
        text.substr(parts[a].begin, parts[found].end - parts[a].begin));
    copied = parts[found].end;
    any = true;
    a = found + 1;
  }
  if (!any) {
    Append(out, text.substr(i, end - i));  // no number: the run as it is
    return end;
  }
  Append(scrubbed, text.substr(copied, end - copied));
  out += scrubbed;
  return end;
}

}  // namespace

std::string ScrubText(absl::string_view text) {
  const std::vector<Span> emails = EmailSpans(text);
  // Most values hold no digit, '@' or label: returned as they are.
  if (emails.empty() &&
      text.find_first_of("0123456789wWvV\xe5") == absl::string_view::npos) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  size_t next_email = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t limit =
        next_email < emails.size() ? emails[next_email].begin : text.size();
    if (i == limit) {
      const Span e = emails[next_email++];
      out += MaskEmail(text.substr(e.begin, e.end - e.begin));
      i = e.end;
      continue;
    }
    size_t end = ScrubWeChat(text.substr(0, limit), i, out);
    if (end == i) end = ScrubPhone(text, i, limit, out);
    if (end == i) {
      out.push_back(text[i]);
      ++i;
    } else {
      i = end;
    }
  }
  return out;
}

}  // namespace leadkit
