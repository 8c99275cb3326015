#include "leadkit/tz.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace leadkit {

namespace {

constexpr const char* kSystemDirectories[] = {
    "/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo",
    "/etc/zoneinfo"};

struct Settings {
  std::mutex mu;
  std::string chosen;    // SetTimeZoneDirectory; empty: search
  std::string fallback;  // SetFallbackTimeZoneDirectory
  absl::flat_hash_map<std::string, TimeZone> found;  // by name
};

Settings& TheSettings() {
  static Settings* settings = new Settings;
  return *settings;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A zone name is relative, of letters, digits and "/_-+": nothing that could
// step out of the database ("..", an absolute path).
bool IsZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' ||
      name.back() == '/') {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' &&
        c != '_' && c != '-' && c != '+') {
      return false;
    }
  }
  return name.find("//") == absl::string_view::npos;
}

// A directory of the search holds a database when it has the zone every
// database has; an empty one (a system's, hidden) does not count.
bool IsDatabase(const Settings& settings, const std::string& dir) {
  return dir == settings.chosen ? IsDirectory(dir) : IsFile(dir + "/UTC");
}

// The directories searched, in order (held mutex).
std::vector<std::string> Directories(const Settings& settings) {
  if (!settings.chosen.empty()) return {settings.chosen};
  std::vector<std::string> out;
  if (const char* env = std::getenv("TZDIR"); env != nullptr && *env != 0) {
    out.emplace_back(env);
  }
  for (const char* dir : kSystemDirectories) out.emplace_back(dir);
  if (!settings.fallback.empty()) out.push_back(settings.fallback);
  return out;
}

int64_t Seconds(absl::Time t) { return absl::ToUnixSeconds(t); }

absl::Time Instant(int64_t utc) { return absl::FromUnixSeconds(utc); }

absl::CivilSecond Civil(int64_t local) {
  return absl::CivilSecond(1970, 1, 1, 0, 0, 0) + local;
}

}  // namespace

std::string TimeZone::name() const {
  const std::string path = zone_.name();
  return name_size_ == 0 || name_size_ > path.size()
             ? path
             : path.substr(path.size() - name_size_);
}

TimeZone::Span TimeZone::SpanAt(int64_t utc) const {
  const absl::Time t = Instant(utc);
  Span span{std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max(), zone_.At(t).offset};
  absl::TimeZone::CivilTransition transition;
  // The last change at or before t, and the first after it.
  if (zone_.PrevTransition(t + absl::Seconds(1), &transition)) {
    span.begin = std::min(utc, Seconds(zone_.At(transition.to).trans));
  }
  if (zone_.NextTransition(t, &transition)) {
    span.end = std::max(utc + 1, Seconds(zone_.At(transition.to).trans));
  }
  return span;
}

int64_t TimeZone::OffsetAt(int64_t utc) const {
  return zone_.At(Instant(utc)).offset;
}

int64_t TimeZone::FromLocal(int64_t local) const {
  // `pre` is the instant by the offset before a transition: a skipped time
  // moves forward by the gap, a repeated one is its earlier instant.
  return Seconds(zone_.At(Civil(local)).pre);
}

bool TimeZone::Skipped(int64_t local) const {
  return zone_.At(Civil(local)).kind == absl::TimeZone::TimeInfo::SKIPPED;
}

absl::StatusOr<TimeZone> FindZone(absl::string_view name) {
  const std::string key(name.data(), name.size());
  Settings& settings = TheSettings();
  std::lock_guard<std::mutex> lock(settings.mu);
  if (auto it = settings.found.find(key); it != settings.found.end()) {
    return it->second;
  }
  std::vector<std::string> looked;
  bool any_database = false;
  if (IsZoneName(name)) {
    for (const std::string& dir : Directories(settings)) {
      if (!IsDatabase(settings, dir)) {
        looked.push_back(dir);
        continue;
      }
      any_database = true;
      const std::string path = absl::StrCat(dir, "/", key);
      absl::TimeZone zone;
      if (IsFile(path) && absl::LoadTimeZone(path, &zone)) {
        return settings.found.emplace(key, TimeZone(zone, key.size()))
            .first->second;
      }
    }
    if (key == "UTC" || key == "Etc/UTC") {
      return settings.found.emplace(key, TimeZone(absl::UTCTimeZone(), 0))
          .first->second;
    }
  }
  if (!any_database && !looked.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "unknown time zone \"", name,
        "\": no time zone database was found (looked in ",
        absl::StrJoin(looked, ", "),
        "); set the TZDIR environment variable or the library's time zone "
        "directory"));
  }
  return absl::NotFoundError(absl::StrCat("unknown time zone \"", name, "\""));
}

absl::Status SetTimeZoneDirectory(absl::string_view directory) {
  std::string dir(directory.data(), directory.size());
  if (!dir.empty() && !IsDirectory(dir)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone directory \"", directory, "\" is not a directory"));
  }
  Settings& settings = TheSettings();
  std::lock_guard<std::mutex> lock(settings.mu);
  settings.chosen = std::move(dir);
  settings.found.clear();
  return absl::OkStatus();
}

void SetFallbackTimeZoneDirectory(absl::string_view directory) {
  Settings& settings = TheSettings();
  std::lock_guard<std::mutex> lock(settings.mu);
  settings.fallback = std::string(directory.data(), directory.size());
  settings.found.clear();
}

std::string TimeZoneDirectory() {
  Settings& settings = TheSettings();
  std::lock_guard<std::mutex> lock(settings.mu);
  for (const std::string& dir : Directories(settings)) {
    if (IsDatabase(settings, dir)) return dir;
  }
  return "";
}

}  // namespace leadkit
