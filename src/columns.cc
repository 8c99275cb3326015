#include "leadkit/columns.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace leadkit {

absl::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kCode:
      return "string codes";
    case ColumnType::kInstant:
      return "instant";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kString:
      return "strings";
  }
  return "unknown";
}

Column Column::Doubles(std::span<const double> values, const uint8_t* valid) {
  return Column(ColumnType::kDouble, values.data(),
                static_cast<int64_t>(values.size()), valid);
}

Column Column::Int64s(std::span<const int64_t> values, const uint8_t* valid) {
  return Column(ColumnType::kInt64, values.data(),
                static_cast<int64_t>(values.size()), valid);
}

Column Column::Bools(std::span<const uint8_t> values, const uint8_t* valid) {
  return Column(ColumnType::kBool, values.data(),
                static_cast<int64_t>(values.size()), valid);
}

Column Column::Codes(std::span<const int32_t> codes,
                     std::span<const std::string> dictionary,
                     const uint8_t* valid) {
  Column c(ColumnType::kCode, codes.data(), static_cast<int64_t>(codes.size()),
           valid);
  c.dictionary_ = dictionary;
  return c;
}

Column Column::Instants(std::span<const int64_t> seconds,
                        const uint8_t* valid) {
  return Column(ColumnType::kInstant, seconds.data(),
                static_cast<int64_t>(seconds.size()), valid);
}

Column Column::Dates(std::span<const int64_t> days, const uint8_t* valid) {
  return Column(ColumnType::kDate, days.data(),
                static_cast<int64_t>(days.size()), valid);
}

Column Column::StringsOver(const void* offsets, size_t offset_count,
                           bool narrow, const char* chars,
                           const uint8_t* valid) {
  Column c(ColumnType::kString, offsets,
           offset_count == 0 ? 0 : static_cast<int64_t>(offset_count) - 1,
           valid);
  c.chars_ = chars;
  c.narrow_offsets_ = narrow;
  return c;
}

Column Column::Strings(std::span<const int64_t> offsets, const char* chars,
                       const uint8_t* valid) {
  return StringsOver(offsets.data(), offsets.size(), /*narrow=*/false, chars,
                     valid);
}

Column Column::Strings(std::span<const int32_t> offsets, const char* chars,
                       const uint8_t* valid) {
  return StringsOver(offsets.data(), offsets.size(), /*narrow=*/true, chars,
                     valid);
}

Column Column::ValidityOnly(int64_t size, const uint8_t* valid) {
  Column c(ColumnType::kCode, nullptr, size, valid);
  c.validity_only_ = true;
  return c;
}

absl::Status Columns::CheckShape(absl::string_view name,
                                 const Column& column) const {
  if (Find(name) != nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("column \"", name, "\" is given twice"));
  }
  if (column.size() != num_rows_) {
    return absl::InvalidArgumentError(
        absl::StrCat("column \"", name, "\" has ", column.size(),
                     " values but the table has ", num_rows_, " rows"));
  }
  return absl::OkStatus();
}

absl::Status Columns::AddCodesMadeInside(absl::string_view name,
                                         Column column) {
  if (absl::Status shape = CheckShape(name, column); !shape.ok()) return shape;
  columns_.emplace_back(std::string(name), column);
  return absl::OkStatus();
}

absl::Status Columns::Add(absl::string_view name, Column column) {
  if (absl::Status shape = CheckShape(name, column); !shape.ok()) return shape;
  if (column.type() == ColumnType::kCode && !column.validity_only()) {
    const int32_t* codes = column.data<int32_t>();
    const auto limit = static_cast<int64_t>(column.dictionary().size());
    // The greatest code first (a pass without a branch), the row only when
    // it is too great.
    int32_t greatest = -1;
    for (int64_t i = 0; i < num_rows_; ++i) {
      greatest = std::max(greatest, codes[i]);
    }
    for (int64_t i = 0; greatest >= limit && i < num_rows_; ++i) {
      if (codes[i] >= limit) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column \"", name, "\" row ", i, ": code ", codes[i],
            " is past the end of its dictionary of ", limit, " strings"));
      }
    }
  }
  columns_.emplace_back(std::string(name), column);
  return absl::OkStatus();
}

const Column* Columns::Find(absl::string_view name) const {
  for (const auto& [n, c] : columns_) {
    if (n == name) return &c;
  }
  return nullptr;
}

LeadRecord::Value& LeadRecord::Slot(absl::string_view field, ColumnType type) {
  for (Value& v : values_) {
    if (v.name == field) {
      v = Value{.name = std::string(field), .type = type};
      return v;
    }
  }
  values_.push_back(Value{.name = std::string(field), .type = type});
  return values_.back();
}

LeadRecord& LeadRecord::SetNumber(absl::string_view field, double value) {
  Slot(field, ColumnType::kDouble).number = value;
  return *this;
}

LeadRecord& LeadRecord::SetBool(absl::string_view field, bool value) {
  Slot(field, ColumnType::kBool).flag = value ? 1 : 0;
  return *this;
}

LeadRecord& LeadRecord::SetString(absl::string_view field,
                                  absl::string_view value) {
  Value& v = Slot(field, ColumnType::kCode);
  v.dictionary.emplace_back(value);
  v.code = 0;
  return *this;
}

LeadRecord& LeadRecord::SetInstant(absl::string_view field, int64_t seconds) {
  Slot(field, ColumnType::kInstant).integer = seconds;
  return *this;
}

LeadRecord& LeadRecord::SetNull(absl::string_view field) {
  // A missing column reads as null whatever the field's type.
  std::erase_if(values_, [&](const Value& v) { return v.name == field; });
  return *this;
}

Columns LeadRecord::AsColumns() const {
  Columns out(1);
  for (const Value& v : values_) {
    Column c = Column::ValidityOnly(1, &v.valid);
    switch (v.type) {
      case ColumnType::kDouble:
        c = Column::Doubles({&v.number, 1}, &v.valid);
        break;
      case ColumnType::kBool:
        c = Column::Bools({&v.flag, 1}, &v.valid);
        break;
      case ColumnType::kCode:
        c = Column::Codes({&v.code, 1}, v.dictionary, &v.valid);
        break;
      case ColumnType::kInstant:
        c = Column::Instants({&v.integer, 1}, &v.valid);
        break;
      default:
        break;
    }
    // Names are unique by construction, so Add cannot fail.
    (void)out.Add(v.name, c);
  }
  return out;
}

absl::StatusOr<int64_t> DefaultAsOfSeconds(
    std::span<const Columns* const> tables) {
  bool any = false;
  int64_t latest = 0;
  for (const Columns* table : tables) {
    if (table == nullptr) continue;
    for (const auto& [name, column] : table->columns()) {
      if (column.type() != ColumnType::kInstant || column.validity_only()) {
        continue;
      }
      const int64_t* values = column.data<int64_t>();
      for (int64_t row = 0; row < column.size(); ++row) {
        if (column.IsNull(row)) continue;
        if (!any || values[row] > latest) latest = values[row];
        any = true;
      }
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        "as_of: the inputs hold no timestamp to take it from; pass as_of=");
  }
  return latest;
}

}  // namespace leadkit
