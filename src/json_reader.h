// Reading JSON documents (policies, calendars) into issues: the helpers every
// document loader shares. Not part of the API.
#ifndef LEADKIT_SRC_JSON_READER_H_
#define LEADKIT_SRC_JSON_READER_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/issue.h"
#include "nlohmann/json.hpp"

namespace leadkit::json_internal {

using Json = nlohmann::json;

// JSON Pointer of member `key` / element `index` under `path` (RFC 6901
// escaping).
std::string Child(const std::string& path, absl::string_view key);
std::string Child(const std::string& path, size_t index);

// "the string \"x\"", "the number 3", "an array", ... for messages.
std::string JsonKind(const Json& j);

std::string Quoted(absl::string_view s);

// "; did you mean \"x\"?" for a near miss, else " (expected one of a, b, c)".
std::string Suggestion(absl::string_view name,
                       std::span<const absl::string_view> candidates);

// The deepest nesting of arrays and objects a document may have: far above
// any real policy, calendar or leads document (the deepest preset nests 9
// levels; a policy's condition groups, themselves limited to 32, reach about 70
// levels), low enough that every walk over a document stays shallow. A
// document of any shape is read in memory linear in its size.
inline constexpr int kMaxDepth = 100;

// Parses `text`. InvalidArgument when it is not UTF-8 (a wrong call); nullopt,
// with an error issue giving line and column, when the JSON is malformed, or
// with an error issue at the JSON Pointer of the first array or object past
// kMaxDepth levels ("policy document nests arrays and objects deeper than 100
// levels"). A repeated key is an error issue at its pointer.
absl::StatusOr<std::optional<Json>> ParseDocument(absl::string_view text,
                                                  absl::string_view what,
                                                  std::vector<Issue>& issues);

// ParseDocument for a call that returns a Status: the first error issue as
// InvalidArgument "<what>: <pointer>: <message>".
// Example: ParseOrError("[[[...150 levels...]]]", "leads") gives
//   InvalidArgument("leads: /0/0/.../0: leads document nests arrays and
//   objects deeper than 100 levels")
absl::StatusOr<Json> ParseOrError(absl::string_view text,
                                  absl::string_view what);

// ParseDocument's value, or null for a document with an error (for a look
// that reports nothing, such as FileReferences: the load reports it).
Json ParseOrNull(absl::string_view text);

// Reads values out of a document, appending an issue for each problem and
// returning what it could read (or the fallback).
class JsonReader {
 public:
  explicit JsonReader(std::vector<Issue>& issues) : issues_(issues) {}

  void Error(const std::string& path, const std::string& rule,
             std::string message);
  void Warn(const std::string& path, const std::string& rule,
            std::string message);
  bool ExpectObject(const Json& j, const std::string& path,
                    const std::string& rule = "");
  // An error for each key of `obj` not in `allowed`, suggesting the nearest.
  void CheckKeys(const Json& obj, const std::string& path,
                 std::span<const absl::string_view> allowed,
                 const std::string& rule = "");
  std::optional<std::string> String(const Json& obj, absl::string_view key,
                                    const std::string& path, bool required,
                                    const std::string& rule = "");
  // A number at obj[key] in [minimum, maximum]; `fallback` when absent or bad.
  double Number(const Json& obj, absl::string_view key, const std::string& path,
                double fallback, double minimum, double maximum, bool integer);
  int Int(const Json& obj, absl::string_view key, const std::string& path,
          int fallback, int minimum, int maximum = 100000);
  std::vector<std::string> StringList(const Json& obj, absl::string_view key,
                                      const std::string& path);

 protected:
  std::vector<Issue>& issues_;
};

}  // namespace leadkit::json_internal

#endif  // LEADKIT_SRC_JSON_READER_H_
