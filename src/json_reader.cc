#include "json_reader.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"

namespace leadkit::json_internal {
namespace {

// Line and column (1-based) of byte `offset` in `text`.
std::pair<size_t, size_t> LineColumn(absl::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

namespace {

std::string PointerToken(absl::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string Child(const std::string& path, absl::string_view key) {
  return absl::StrCat(path, "/", PointerToken(key));
}

std::string Child(const std::string& path, size_t index) {
  return absl::StrCat(path, "/", index);
}

namespace {

// The length of the UTF-8 character at text[i]; 0 when the bytes there are
// not one (a stray or cut-off byte, an overlong form, a surrogate).
size_t Utf8CharLength(absl::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t extra;
  uint32_t code_point;
  if (c < 0x80) {
    return 1;
  } else if ((c >> 5) == 0x6) {
    extra = 1;
    code_point = c & 0x1F;
  } else if ((c >> 4) == 0xE) {
    extra = 2;
    code_point = c & 0x0F;
  } else if ((c >> 3) == 0x1E) {
    extra = 3;
    code_point = c & 0x07;
  } else {
    return 0;
  }
  if (i + extra >= text.size()) return 0;
  for (size_t k = 1; k <= extra; ++k) {
    const auto d = static_cast<unsigned char>(text[i + k]);
    if ((d >> 6) != 0x2) return 0;
    code_point = (code_point << 6) | (d & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[extra] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return extra + 1;
}

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8CharLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `text` with each byte that is not part of a UTF-8 character written as
// U+FFFD: nlohmann's message quotes the bytes it last read, which may stop
// inside a character of a valid document.
std::string WholeCharacters(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8CharLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace

std::string JsonKind(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return absl::StrCat("the boolean ", j.dump());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return absl::StrCat("the number ", j.dump());
    case Json::value_t::string:
      return absl::StrCat("the string ", j.dump());
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

// Scrubbed (ScrubText): a quoted value may be text someone typed.
std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", ScrubText(s), "\"");
}

std::string Suggestion(absl::string_view name,
                       std::span<const absl::string_view> candidates) {
  std::string nearest = NearestName(name, candidates);
  if (nearest.empty()) {
    return absl::StrCat(" (expected one of ", absl::StrJoin(candidates, ", "),
                        ")");
  }
  return absl::StrCat("; did you mean \"", nearest, "\"?");
}

absl::StatusOr<std::optional<Json>> ParseDocument(absl::string_view text,
                                                  absl::string_view what,
                                                  std::vector<Issue>& issues) {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " document is not valid UTF-8 text"));
  }
  // nlohmann keeps the last of repeated keys without a word; the callback
  // follows where each value stands so that a repeated key is reported there.
  // A frame holds its own step only (an index or a key), and a JSON Pointer is
  // built from the steps when an issue needs one, so that memory stays linear
  // in the document's size; past kMaxDepth levels the parse stops.
  struct Frame {
    bool array;
    size_t index;
    std::string key;
    absl::flat_hash_set<std::string> keys;
  };
  std::vector<Frame> stack;
  // The pointer of the current value of each of the first `levels` frames.
  const auto pointer = [&stack](size_t levels) {
    std::string path;
    for (size_t i = 0; i < levels; ++i) {
      const Frame& f = stack[i];
      path = f.array ? Child(path, f.index) : Child(path, f.key);
    }
    return path;
  };
  const auto finish_child = [&stack] {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  };
  struct TooDeep {};
  Json::parser_callback_t track = [&](int, Json::parse_event_t event,
                                      Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (stack.size() >= static_cast<size_t>(kMaxDepth)) {
          issues.push_back(
              {Severity::kError, pointer(stack.size()), "",
               absl::StrCat(what, " document nests arrays and objects deeper "
                                  "than ",
                            kMaxDepth, " levels")});
          throw TooDeep{};
        }
        stack.push_back(
            {event == Json::parse_event_t::array_start, 0, "", {}});
        break;
      case Json::parse_event_t::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          issues.push_back(
              {Severity::kError, pointer(stack.size()), "",
               absl::StrCat("key ", Quoted(f.key),
                            " appears more than once in this object")});
        }
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        stack.pop_back();
        finish_child();
        break;
      case Json::parse_event_t::value:
        finish_child();
        break;
    }
    return true;
  };
  try {
    return std::optional<Json>(Json::parse(text.begin(), text.end(), track));
  } catch (const TooDeep&) {
    return std::optional<Json>();
  } catch (const Json::parse_error& e) {
    const auto [line, column] =
        LineColumn(text, e.byte > 0 ? static_cast<size_t>(e.byte - 1) : 0);
    std::string message = e.what();
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at
    // line 1, column 5: syntax error while parsing value - ..."; keep the
    // reason, scrubbed: its "last read: '...'" quotes the document's text,
    // which may hold a phone number or an e-mail address.
    const size_t reason = message.find(": ", message.find("parse error"));
    issues.push_back(
        {Severity::kError, "", "",
         absl::StrCat("malformed JSON at line ", line, ", column ", column,
                      reason == std::string::npos
                          ? std::string()
                          : WholeCharacters(ScrubText(message.substr(reason))))});
    return std::optional<Json>();
  } catch (const Json::exception& e) {
    // Not a syntax error but a value nlohmann cannot hold (a number like
    // 1e400).
    std::string message = e.what();
    const size_t reason = message.find("] ");
    issues.push_back(
        {Severity::kError, "", "",
         absl::StrCat("malformed JSON: ",
                      WholeCharacters(ScrubText(
                          reason == std::string::npos
                              ? message
                              : message.substr(reason + 2))))});
    return std::optional<Json>();
  }
}

absl::StatusOr<Json> ParseOrError(absl::string_view text,
                                  absl::string_view what) {
  std::vector<Issue> issues;
  LEADKIT_ASSIGN_OR_RETURN(std::optional<Json> parsed,
                           ParseDocument(text, what, issues));
  for (const Issue& issue : issues) {
    if (issue.severity != Severity::kError) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", issue.path.empty() ? "" : absl::StrCat(issue.path, ": "),
        issue.message));
  }
  return *std::move(parsed);
}

Json ParseOrNull(absl::string_view text) {
  std::vector<Issue> issues;
  absl::StatusOr<std::optional<Json>> parsed =
      ParseDocument(text, "JSON", issues);
  if (!parsed.ok() || !parsed->has_value()) return Json();
  return **std::move(parsed);
}

void JsonReader::Error(const std::string& path, const std::string& rule,
                       std::string message) {
  issues_.push_back({Severity::kError, path, rule, std::move(message)});
}
void JsonReader::Warn(const std::string& path, const std::string& rule,
                      std::string message) {
  issues_.push_back({Severity::kWarning, path, rule, std::move(message)});
}

bool JsonReader::ExpectObject(const Json& j, const std::string& path,
                              const std::string& rule) {
  if (j.is_object()) return true;
  Error(path, rule, absl::StrCat("expected an object, got ", JsonKind(j)));
  return false;
}

void JsonReader::CheckKeys(const Json& obj, const std::string& path,
                           std::span<const absl::string_view> allowed,
                           const std::string& rule) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
      continue;
    }
    Error(Child(path, key), rule,
          absl::StrCat("unknown key ", Quoted(key), Suggestion(key, allowed)));
  }
}

std::optional<std::string> JsonReader::String(const Json& obj,
                                              absl::string_view key,
                                              const std::string& path,
                                              bool required,
                                              const std::string& rule) {
  const std::string k(key);
  if (!obj.contains(k)) {
    if (required) {
      Error(path, rule, absl::StrCat("missing required key ", Quoted(key)));
    }
    return std::nullopt;
  }
  const Json& v = obj.at(k);
  if (!v.is_string()) {
    Error(Child(path, key), rule,
          absl::StrCat("expected a string, got ", JsonKind(v)));
    return std::nullopt;
  }
  return v.get<std::string>();
}

double JsonReader::Number(const Json& obj, absl::string_view key,
                          const std::string& path, double fallback,
                          double minimum, double maximum, bool integer) {
  const std::string k(key);
  if (!obj.contains(k)) return fallback;
  const Json& v = obj.at(k);
  const std::string where = Child(path, key);
  if (!v.is_number()) {
    Error(where, "",
          absl::StrCat("expected ", integer ? "a whole number" : "a number",
                       ", got ", JsonKind(v)));
    return fallback;
  }
  const double x = v.get<double>();
  if (integer && x != std::floor(x)) {
    Error(where, "", absl::StrCat("expected a whole number, got ", v.dump()));
    return fallback;
  }
  if (!(x >= minimum && x <= maximum)) {
    Error(where, "",
          absl::StrCat(v.dump(), " is out of range: expected ", minimum, " to ",
                       maximum));
    return fallback;
  }
  return x;
}

int JsonReader::Int(const Json& obj, absl::string_view key,
                    const std::string& path, int fallback, int minimum,
                    int maximum) {
  return static_cast<int>(
      Number(obj, key, path, fallback, minimum, maximum, /*integer=*/true));
}

std::vector<std::string> JsonReader::StringList(const Json& obj,
                                                absl::string_view key,
                                                const std::string& path) {
  std::vector<std::string> out;
  const std::string k(key);
  if (!obj.contains(k)) return out;
  const Json& j = obj.at(k);
  const std::string where = Child(path, key);
  if (!j.is_array()) {
    Error(where, "",
          absl::StrCat("expected an array of strings, got ", JsonKind(j)));
    return out;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      Error(Child(where, i), "",
            absl::StrCat("expected a string, got ", JsonKind(j[i])));
      continue;
    }
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

}  // namespace leadkit::json_internal
