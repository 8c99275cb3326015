// The batch view: typed, nullable columns over caller-owned memory. It is the
// one way data enters every leadkit engine. Nothing is copied: a Column points
// at the caller's buffers, which must outlive every call that reads the
// Columns.
//
// A value at row i is null when the validity bytes say 0 at i, when a double is
// NaN, or when a dictionary code is negative. A column without validity bytes
// has no other nulls.
//
// Example:
//   std::vector<double> days = {10, NAN, 120};
//   std::vector<int32_t> codes = {0, -1, 1};
//   std::vector<std::string> models = {"C200", "GLC"};
//   Columns leads(3);
//   LEADKIT_RETURN_IF_ERROR(leads.Add("purchase_within_days",
//   Column::Doubles(days))); LEADKIT_RETURN_IF_ERROR(leads.Add("model",
//   Column::Codes(codes, models))); leads.Find("model")->IsNull(1);  // true
#ifndef LEADKIT_COLUMNS_H_
#define LEADKIT_COLUMNS_H_

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace leadkit {

enum class ColumnType {
  kDouble,   // double; NaN is null
  kInt64,    // int64 numbers
  kBool,     // one byte per value, 0 = false, anything else = true
  kCode,     // int32 codes into a dictionary of strings; negative = null
  kInstant,  // int64 seconds since 1970-01-01T00:00:00Z
  kDate,     // int64 days since 1970-01-01
  kString,  // UTF-8 strings: int64 or int32 offsets (size + 1) into one
            // character buffer
};

// Returns "double", "int64", "bool", "string codes", "instant", "date" or
// "strings".
absl::string_view ColumnTypeName(ColumnType type);

// One column: a pointer to `size` values of `type` plus optional validity
// bytes.
class Column {
 public:
  static Column Doubles(std::span<const double> values,
                        const uint8_t* valid = nullptr);
  static Column Int64s(std::span<const int64_t> values,
                       const uint8_t* valid = nullptr);
  static Column Bools(std::span<const uint8_t> values,
                      const uint8_t* valid = nullptr);
  static Column Codes(std::span<const int32_t> codes,
                      std::span<const std::string> dictionary,
                      const uint8_t* valid = nullptr);
  static Column Instants(std::span<const int64_t> seconds,
                         const uint8_t* valid = nullptr);
  static Column Dates(std::span<const int64_t> days,
                      const uint8_t* valid = nullptr);
  // Strings without a dictionary, viewed where they lie (an Arrow string
  // array's offsets and characters): row i is chars[offsets[i], offsets[i+1]).
  // Id columns (lead_id) come this way: every value differs, so a dictionary
  // would only copy them.
  static Column Strings(std::span<const int64_t> offsets, const char* chars,
                        const uint8_t* valid = nullptr);
  // The same over int32 offsets (an Arrow utf8 array's, where a large_utf8
  // array has int64).
  static Column Strings(std::span<const int32_t> offsets, const char* chars,
                        const uint8_t* valid = nullptr);
  // A column known only by which rows are null (values never read): what a rule
  // that only tests a string field for null needs, without building a
  // dictionary.
  static Column ValidityOnly(int64_t size, const uint8_t* valid);

  ColumnType type() const { return type_; }
  int64_t size() const { return size_; }
  const uint8_t* validity() const { return valid_; }
  bool validity_only() const { return validity_only_; }

  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  std::span<const std::string> dictionary() const { return dictionary_; }

  bool IsNull(int64_t row) const {
    if (valid_ != nullptr && valid_[row] == 0) return true;
    if (validity_only_) return false;
    switch (type_) {
      case ColumnType::kDouble:
        return std::isnan(data<double>()[row]);
      case ColumnType::kCode:
        return data<int32_t>()[row] < 0;
      default:
        return false;
    }
  }

  // The value at `row` as a number (bool as 0/1). Undefined for a null or a
  // code column.
  double NumberAt(int64_t row) const {
    switch (type_) {
      case ColumnType::kDouble:
        return data<double>()[row];
      case ColumnType::kBool:
        return data<uint8_t>()[row] != 0 ? 1.0 : 0.0;
      default:
        return static_cast<double>(data<int64_t>()[row]);
    }
  }

  // The string at `row` of a code column. Undefined for a null.
  const std::string& StringAt(int64_t row) const {
    return dictionary_[static_cast<size_t>(data<int32_t>()[row])];
  }

  // The string at `row` of a code or string column. Undefined for a null.
  absl::string_view ViewAt(int64_t row) const {
    if (type_ == ColumnType::kString) {
      if (narrow_offsets_) {
        const int32_t* offsets = data<int32_t>();
        return {chars_ + offsets[row],
                static_cast<size_t>(offsets[row + 1] - offsets[row])};
      }
      const int64_t* offsets = data<int64_t>();
      return {chars_ + offsets[row],
              static_cast<size_t>(offsets[row + 1] - offsets[row])};
    }
    return StringAt(row);
  }

 private:
  Column(ColumnType type, const void* data, int64_t size, const uint8_t* valid)
      : type_(type), data_(data), size_(size), valid_(valid) {}
  // A kString column over `offset_count` offsets, int32 when `narrow`.
  static Column StringsOver(const void* offsets, size_t offset_count,
                            bool narrow, const char* chars,
                            const uint8_t* valid);

  ColumnType type_;
  const void* data_;
  int64_t size_;
  const uint8_t* valid_;
  std::span<const std::string> dictionary_;
  const char* chars_ = nullptr;  // kString
  bool narrow_offsets_ = false;   // kString over int32 offsets
  bool validity_only_ = false;
};

namespace c_api_internal {
class ArrowTable;
}  // namespace c_api_internal

// A table: named columns of equal length. Columns missing from a table read as
// all null.
class Columns {
 public:
  explicit Columns(int64_t num_rows) : num_rows_(num_rows) {}

  // Adds a column. InvalidArgument when the name is taken, the length differs
  // from num_rows(), or a code is at or past the end of its dictionary.
  absl::Status Add(absl::string_view name, Column column);

  // Returns the column called `name`, or nullptr.
  const Column* Find(absl::string_view name) const;

  int64_t num_rows() const { return num_rows_; }
  const std::vector<std::pair<std::string, Column>>& columns() const {
    return columns_;
  }

 private:
  // The Arrow importer adds code columns whose codes it made itself (each
  // inside its dictionary by construction or checked as read): Add without
  // its pass over the codes.
  friend class c_api_internal::ArrowTable;
  absl::Status AddCodesMadeInside(absl::string_view name, Column column);
  // The checks of Add but the codes'.
  absl::Status CheckShape(absl::string_view name, const Column& column) const;

  int64_t num_rows_;
  std::vector<std::pair<std::string, Column>> columns_;
};

// The instant every report is judged at when the caller gives none: the
// latest non-null value of every instant column of `tables` (the columns the
// call reads) — never the machine's clock. InvalidArgument when no table holds
// one ("pass as_of=").
// Example: leads created up to 06-30 10:00 and touched up to 07-01 09:00 ->
// 07-01 09:00.
absl::StatusOr<int64_t> DefaultAsOfSeconds(
    std::span<const Columns* const> tables);

// A single lead held by value: what a dealer system that handles one lead at a
// time builds, and what the single-lead calls turn into a one-row Columns (one
// code path for one row or many).
//
// Example:
//   LeadRecord lead;
//   lead.SetString("model", "C200").SetBool("asked_price",
//   true).SetNumber("purchase_within_days", 30); Columns row =
//   lead.AsColumns();
class LeadRecord {
 public:
  LeadRecord& SetNumber(absl::string_view field, double value);
  LeadRecord& SetBool(absl::string_view field, bool value);
  LeadRecord& SetString(absl::string_view field, absl::string_view value);
  LeadRecord& SetInstant(absl::string_view field, int64_t seconds);
  LeadRecord& SetNull(absl::string_view field);  // removes the field: null

  // A one-row view of the record; valid while the record lives and is not
  // changed.
  Columns AsColumns() const;

 private:
  struct Value {
    std::string name;
    ColumnType type;
    double number = 0;
    int64_t integer = 0;
    uint8_t flag = 0;
    std::vector<std::string> dictionary;  // one string, or empty
    int32_t code = -1;
    uint8_t valid = 1;
  };
  Value& Slot(absl::string_view field, ColumnType type);

  std::vector<Value> values_;
};

}  // namespace leadkit

#endif  // LEADKIT_COLUMNS_H_
