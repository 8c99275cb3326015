// Tables for the report tests, written as literals: a Columns that owns its
// buffers, and Shanghai wall times as instants.
//
// Example:
//   TestTable visits(2);
//   visits.Strings("visit_id", {"V1", "V2"})
//       .Instants("arrived_at", {Sh("2024-06-01 10:15"), Sh("2024-06-01 10:40")});
//   state.Add(visits.columns(), nullptr, Sh("2024-06-02 00:00"));
#ifndef LEADKIT_TESTS_REPORT_TABLES_H_
#define LEADKIT_TESTS_REPORT_TABLES_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <sstream>
#include <string>
#include <stdexcept>
#include <vector>

#include "date/date.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"

namespace leadkit::testing {

// "YYYY-MM-DD HH:MM" in Asia/Shanghai (UTC+8, no DST since 1991) as an
// instant.
inline Instant Sh(const std::string& text) {
  std::istringstream in(text);
  date::local_seconds wall;
  in >> date::parse("%F %R", wall);
  return Instant(wall.time_since_epoch() - std::chrono::hours(8));
}

inline int64_t Seconds(Instant t) { return t.time_since_epoch().count(); }

class TestTable {
 public:
  explicit TestTable(int64_t rows) : columns_(rows) {}

  // Strings as codes into a dictionary in order of first appearance.
  TestTable& Strings(const std::string& name,
                     const std::vector<std::optional<std::string>>& values) {
    std::vector<std::string>& dictionary = dictionaries_.emplace_back();
    std::vector<int32_t>& codes = codes_.emplace_back();
    for (const auto& value : values) {
      if (!value) {
        codes.push_back(-1);
        continue;
      }
      int32_t code = 0;
      while (code < static_cast<int32_t>(dictionary.size()) &&
             dictionary[static_cast<size_t>(code)] != *value) {
        ++code;
      }
      if (code == static_cast<int32_t>(dictionary.size())) {
        dictionary.push_back(*value);
      }
      codes.push_back(code);
    }
    Add(name, Column::Codes(codes, dictionary));
    return *this;
  }

  // Strings as offsets into one character buffer (Column::Strings).
  TestTable& RawStrings(const std::string& name,
                        const std::vector<std::optional<std::string>>& values) {
    std::vector<int64_t>& offsets = ints_.emplace_back(1, 0);
    std::string& chars = chars_.emplace_back();
    std::vector<uint8_t>& valid = bytes_.emplace_back();
    for (const auto& value : values) {
      chars += value.value_or("");
      offsets.push_back(static_cast<int64_t>(chars.size()));
      valid.push_back(value ? 1 : 0);
    }
    Add(name, Column::Strings(offsets, chars.data(), valid.data()));
    return *this;
  }

  TestTable& Instants(const std::string& name,
                      const std::vector<std::optional<Instant>>& values) {
    std::vector<int64_t>& seconds = ints_.emplace_back();
    std::vector<uint8_t>& valid = bytes_.emplace_back();
    for (const auto& value : values) {
      seconds.push_back(value ? Seconds(*value) : 0);
      valid.push_back(value ? 1 : 0);
    }
    Add(name, Column::Instants(seconds, valid.data()));
    return *this;
  }

  TestTable& Doubles(const std::string& name,
                     const std::vector<std::optional<double>>& values) {
    std::vector<double>& numbers = doubles_.emplace_back();
    std::vector<uint8_t>& valid = bytes_.emplace_back();
    for (const auto& value : values) {
      numbers.push_back(value.value_or(0));
      valid.push_back(value ? 1 : 0);
    }
    Add(name, Column::Doubles(numbers, valid.data()));
    return *this;
  }

  TestTable& Bools(const std::string& name,
                   const std::vector<std::optional<bool>>& values) {
    std::vector<uint8_t>& flags = bytes_.emplace_back();
    std::vector<uint8_t>& valid = bytes_.emplace_back();
    for (const auto& value : values) {
      flags.push_back(value.value_or(false) ? 1 : 0);
      valid.push_back(value ? 1 : 0);
    }
    Add(name, Column::Bools(flags, valid.data()));
    return *this;
  }

  TestTable& Int64s(const std::string& name,
                    const std::vector<std::optional<int64_t>>& values) {
    std::vector<int64_t>& numbers = ints_.emplace_back();
    std::vector<uint8_t>& valid = bytes_.emplace_back();
    for (const auto& value : values) {
      numbers.push_back(value.value_or(0));
      valid.push_back(value ? 1 : 0);
    }
    Add(name, Column::Int64s(numbers, valid.data()));
    return *this;
  }

  const Columns& columns() const { return columns_; }

 private:
  void Add(const std::string& name, Column column) {
    const absl::Status status = columns_.Add(name, column);
    if (!status.ok()) throw std::runtime_error(std::string(status.message()));
  }

  Columns columns_;
  std::deque<std::vector<std::string>> dictionaries_;
  std::deque<std::vector<int32_t>> codes_;
  std::deque<std::vector<int64_t>> ints_;
  std::deque<std::vector<double>> doubles_;
  std::deque<std::vector<uint8_t>> bytes_;
  std::deque<std::string> chars_;
};

}  // namespace leadkit::testing

#endif  // LEADKIT_TESTS_REPORT_TABLES_H_
