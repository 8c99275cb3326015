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

// Parses `text`. InvalidArgument when it is not UTF-8 (a wrong call); nullopt,
// with an error issue giving line and column, when the JSON is malformed.
absl::StatusOr<std::optional<Json>> ParseDocument(absl::string_view text,
                                                  absl::string_view what,
                                                  std::vector<Issue>& issues);

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
