#include "c_api/arrow.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/phone.h"

namespace leadkit::c_api_internal {
namespace {

bool BitSet(const void* bits, int64_t i) {
  return ((static_cast<const uint8_t*>(bits)[i >> 3] >> (i & 7)) & 1) != 0;
}

// Whether the value at the array's index `index` is valid (not null).
bool IsValid(const ArrowArray& a, int64_t index) {
  if (a.null_count == 0 || a.n_buffers == 0 || a.buffers[0] == nullptr) {
    return true;
  }
  return BitSet(a.buffers[0], index);
}

// A readable name of an Arrow format string, for messages.
std::string TypeName(const ArrowSchema& schema) {
  const absl::string_view f = schema.format == nullptr ? "" : schema.format;
  if (schema.dictionary != nullptr) {
    return absl::StrCat("dictionary<", TypeName(ArrowSchema{.format = schema.format}),
                        ", ", TypeName(*schema.dictionary), ">");
  }
  static const struct {
    const char* format;
    const char* name;
  } kNames[] = {{"n", "null"},       {"b", "bool"},        {"c", "int8"},
                {"C", "uint8"},      {"s", "int16"},       {"S", "uint16"},
                {"i", "int32"},      {"I", "uint32"},      {"l", "int64"},
                {"L", "uint64"},     {"e", "float16"},     {"f", "float32"},
                {"g", "float64"},    {"u", "utf8"},        {"U", "large_utf8"},
                {"z", "binary"},     {"Z", "large_binary"}, {"vu", "string_view"},
                {"vz", "binary_view"}, {"tdD", "date32"},  {"tdm", "date64"},
                {"+s", "struct"},    {"+l", "list"},       {"+L", "large_list"}};
  if ((f == "+l" || f == "+L") && schema.n_children == 1 &&
      schema.children != nullptr && schema.children[0] != nullptr) {
    return absl::StrCat(f == "+l" ? "list<" : "large_list<",
                        TypeName(*schema.children[0]), ">");
  }
  for (const auto& [format, name] : kNames) {
    if (f == format) return name;
  }
  if (absl::StartsWith(f, "ts") && f.size() >= 4 && f[3] == ':') {
    const absl::string_view zone = f.substr(4);
    return absl::StrCat("timestamp[", f.substr(2, 1) == "s" ? "s" : f.substr(2, 1),
                        zone.empty() ? "" : absl::StrCat(", tz=", zone), "]");
  }
  return absl::StrCat("with format \"", f, "\"");
}

bool IsIntegerFormat(absl::string_view f) {
  return f == "c" || f == "C" || f == "s" || f == "S" || f == "i" ||
         f == "I" || f == "l" || f == "L";
}

int IntegerWidth(absl::string_view f) {
  switch (f[0]) {
    case 'c':
    case 'C':
      return 1;
    case 's':
    case 'S':
      return 2;
    case 'i':
    case 'I':
      return 4;
    default:
      return 8;
  }
}

// The integer at `index` of a buffer of `width`-byte integers; `is_signed`
// as the format says. Unsigned 64-bit values past INT64_MAX set `overflow`.
int64_t IntegerAt(const void* data, int64_t index, int width, bool is_signed,
                  bool& overflow) {
  const auto* p = static_cast<const uint8_t*>(data) + index * width;
  switch (width) {
    case 1:
      return is_signed ? int64_t{*reinterpret_cast<const int8_t*>(p)}
                       : int64_t{*p};
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return is_signed ? int64_t{static_cast<int16_t>(v)} : int64_t{v};
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return is_signed ? int64_t{static_cast<int32_t>(v)} : int64_t{v};
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      if (!is_signed && v > static_cast<uint64_t>(INT64_MAX)) overflow = true;
      return static_cast<int64_t>(v);
    }
  }
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

absl::Status TooFewBuffers(absl::string_view table, absl::string_view name,
                           const ArrowSchema& schema) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, ".", name, ": the Arrow array of type ",
                   TypeName(schema), " lacks its buffers"));
}

// Checks that the array holds the `n` buffers its type needs, the values'
// (buffer 1) present when there are rows.
absl::Status NeedBuffers(const ArrowColumn& c, int64_t n, absl::string_view table,
                         absl::string_view name) {
  if (c.array->n_buffers < n || c.array->buffers == nullptr ||
      (c.length > 0 && c.array->buffers[1] == nullptr)) {
    return TooFewBuffers(table, name, *c.schema);
  }
  return absl::OkStatus();
}

// Whether a utf8 / large_utf8 array's offsets over `count` values from `first`
// never decrease and start at 0 or more.
bool OffsetsInOrder(const ArrowArray& a, bool large, int64_t first,
                    int64_t count) {
  int64_t previous = 0;
  for (int64_t i = first; i <= first + count; ++i) {
    const int64_t o = large ? static_cast<const int64_t*>(a.buffers[1])[i]
                            : static_cast<const int32_t*>(a.buffers[1])[i];
    if (o < 0 || (i > first && o < previous)) return false;
    previous = o;
  }
  return true;
}

// The string at `index` of a string_view array: 16-byte views, a string of up
// to 12 bytes inline after its length, a longer one as (length, prefix,
// buffer, offset) into the data buffers 2 .. n_buffers - 2.
absl::string_view ViewAt(const ArrowArray& a, int64_t index) {
  const auto* view = static_cast<const uint8_t*>(a.buffers[1]) + index * 16;
  int32_t length;
  std::memcpy(&length, view, 4);
  if (length <= 12) {
    return {reinterpret_cast<const char*>(view + 4), static_cast<size_t>(length)};
  }
  int32_t buffer, offset;
  std::memcpy(&buffer, view + 8, 4);
  std::memcpy(&offset, view + 12, 4);
  return {static_cast<const char*>(a.buffers[2 + buffer]) + offset,
          static_cast<size_t>(length)};
}

// Whether the views of a string_view array over `count` values from `first`
// lie inside its data buffers (whose sizes the last buffer holds).
bool ViewsInBounds(const ArrowArray& a, int64_t first, int64_t count) {
  const int64_t data_buffers = a.n_buffers - 3;
  const auto* sizes = static_cast<const int64_t*>(a.buffers[a.n_buffers - 1]);
  for (int64_t i = first; i < first + count; ++i) {
    if (!IsValid(a, i)) continue;
    const auto* view = static_cast<const uint8_t*>(a.buffers[1]) + i * 16;
    int32_t length, buffer, offset;
    std::memcpy(&length, view, 4);
    if (length < 0) return false;
    if (length <= 12) continue;
    std::memcpy(&buffer, view + 8, 4);
    std::memcpy(&offset, view + 12, 4);
    if (buffer < 0 || buffer >= data_buffers || offset < 0 || sizes == nullptr ||
        a.buffers[2 + buffer] == nullptr ||
        int64_t{offset} + length > sizes[buffer]) {
      return false;
    }
  }
  return true;
}

absl::string_view StringAt(const ArrowArray& a, bool large, int64_t index) {
  int64_t begin, end;
  if (large) {
    begin = static_cast<const int64_t*>(a.buffers[1])[index];
    end = static_cast<const int64_t*>(a.buffers[1])[index + 1];
  } else {
    begin = static_cast<const int32_t*>(a.buffers[1])[index];
    end = static_cast<const int32_t*>(a.buffers[1])[index + 1];
  }
  if (end == begin) return {};
  return {static_cast<const char*>(a.buffers[2]) + begin,
          static_cast<size_t>(end - begin)};
}

absl::Status StreamFailed(ArrowArrayStream* stream, absl::string_view table,
                          int code) {
  const char* message = stream->get_last_error != nullptr
                            ? stream->get_last_error(stream)
                            : nullptr;
  return absl::InvalidArgumentError(absl::StrCat(
      table, ": the Arrow stream failed (error ", code, ")",
      message != nullptr ? absl::StrCat(": ", message) : ""));
}

// Releases what it holds when it goes out of scope.
struct StreamOwner {
  ArrowArrayStream* stream;
  ~StreamOwner() {
    if (stream != nullptr && stream->release != nullptr) stream->release(stream);
  }
};
struct SchemaOwner {
  ArrowSchema schema{};
  ~SchemaOwner() { Release(schema); }
};
struct ArrayOwner {
  ArrowArray array{};
  ~ArrayOwner() { Release(array); }
};

}  // namespace

void Release(ArrowArray& array) {
  if (array.release != nullptr) array.release(&array);
}

void Release(ArrowSchema& schema) {
  if (schema.release != nullptr) schema.release(&schema);
}

absl::Status ForEachBatch(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, const ArrowArray&)>&
        body) {
  if (stream == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, ": the Arrow stream is NULL"));
  }
  StreamOwner owner{stream};
  if (stream->release == nullptr || stream->get_schema == nullptr ||
      stream->get_next == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ": the Arrow stream is released or incomplete"));
  }
  SchemaOwner schema;
  if (const int rc = stream->get_schema(stream, &schema.schema); rc != 0) {
    return StreamFailed(stream, table, rc);
  }
  const ArrowSchema& s = schema.schema;
  if (s.format == nullptr || absl::string_view(s.format) != "+s") {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ": expected a stream of record batches (Arrow struct arrays), "
        "got Arrow type ", TypeName(s)));
  }
  for (int64_t i = 0; i < s.n_children; ++i) {
    if (s.children == nullptr || s.children[i] == nullptr ||
        s.children[i]->format == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ": the Arrow schema's column ", i, " is incomplete"));
    }
  }
  LEADKIT_RETURN_IF_ERROR(on_schema(s));
  for (;;) {
    ArrayOwner batch;
    if (const int rc = stream->get_next(stream, &batch.array); rc != 0) {
      return StreamFailed(stream, table, rc);
    }
    const ArrowArray& b = batch.array;
    if (b.release == nullptr) break;  // the end of the stream
    if (b.n_children != s.n_children || b.length < 0 || b.offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ": an Arrow batch has ", b.n_children,
          " columns where the schema has ", s.n_children));
    }
    for (int64_t i = 0; i < b.n_children; ++i) {
      const ArrowArray* child = b.children == nullptr ? nullptr : b.children[i];
      if (child == nullptr || child->offset < 0 ||
          child->length < b.offset + b.length) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", s.children[i]->name == nullptr ? "" : s.children[i]->name,
            ": the Arrow column is shorter than its batch"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(body(s, b));
  }
  return absl::OkStatus();
}

namespace {

std::vector<absl::string_view> ColumnNames(const ArrowSchema& schema) {
  std::vector<absl::string_view> names;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    names.push_back(schema.children[i]->name == nullptr
                        ? absl::string_view()
                        : absl::string_view(schema.children[i]->name));
  }
  return names;
}

absl::Status MissingColumn(absl::string_view table, absl::string_view name,
                           std::span<const absl::string_view> names) {
  const std::string nearest = NearestName(name, names);
  return absl::InvalidArgumentError(absl::StrCat(
      table, ": missing required column \"", name, "\"",
      nearest.empty() ? ""
                      : absl::StrCat("; did you mean \"", nearest, "\"?")));
}

}  // namespace

absl::StatusOr<const ArrowSchema*> RequiredColumn(const ArrowSchema& schema,
                                                  absl::string_view table,
                                                  absl::string_view name) {
  const std::vector<absl::string_view> names = ColumnNames(schema);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return schema.children[i];
  }
  return MissingColumn(table, name, names);
}

absl::StatusOr<bool> StringsAreLarge(const ArrowSchema& schema,
                                     absl::string_view table,
                                     absl::string_view name) {
  const ArrowSchema* values = &schema;
  if (schema.dictionary != nullptr) {
    if (!IsIntegerFormat(schema.format)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": a dictionary's indices must be integers, got ",
          TypeName(ArrowSchema{.format = schema.format})));
    }
    values = schema.dictionary;
  }
  const absl::string_view f = values->format == nullptr ? "" : values->format;
  if (f == "u" || f == "U" || f == "vu") return f != "u";
  return absl::InvalidArgumentError(
      absl::StrCat(table, ".", name,
                   ": expected strings (Arrow utf8, large_utf8, string_view or "
                   "a dictionary of them), got Arrow type ",
                   TypeName(schema)));
}

absl::StatusOr<ArrowStrings> ArrowStrings::Make(const ArrowColumn& column,
                                                absl::string_view table,
                                                absl::string_view name) {
  ArrowStrings out;
  out.column_ = column;
  LEADKIT_ASSIGN_OR_RETURN(out.large_,
                           StringsAreLarge(*column.schema, table, name));
  const ArrowArray* values = column.array;
  int64_t first = column.Index(0);
  int64_t count = column.length;
  if (column.schema->dictionary != nullptr) {
    LEADKIT_RETURN_IF_ERROR(NeedBuffers(column, 2, table, name));
    values = column.array->dictionary;
    if (values == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": the Arrow dictionary array is missing"));
    }
    const absl::string_view f = column.schema->format;
    out.index_width_ = IntegerWidth(f);
    out.index_signed_ = f[0] >= 'a';
    for (int64_t row = 0; row < column.length; ++row) {
      const int64_t i = column.Index(row);
      if (!IsValid(*column.array, i)) continue;
      bool overflow = false;
      const int64_t code = IntegerAt(column.array->buffers[1], i,
                                     out.index_width_, out.index_signed_,
                                     overflow);
      if (overflow || code < 0 || code >= values->length) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", name, ": row ", row, " has the dictionary index ",
            code, " outside the dictionary's ", values->length, " values"));
      }
    }
    first = values->offset;
    count = values->length;
  }
  if (values->n_buffers < 3 || values->buffers == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow string array lacks its buffers"));
  }
  const ArrowSchema& value_schema = column.schema->dictionary != nullptr
                                        ? *column.schema->dictionary
                                        : *column.schema;
  out.view_ = absl::string_view(value_schema.format) == "vu";
  if (count == 0) return out;
  if (out.view_) {
    if (values->buffers[1] == nullptr ||
        !ViewsInBounds(*values, first, count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name,
          ": the Arrow string views are missing or point outside their "
          "buffers"));
    }
    return out;
  }
  if (values->buffers[1] == nullptr ||
      !OffsetsInOrder(*values, out.large_, first, count)) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name,
        ": the Arrow string offsets are missing or out of order"));
  }
  const int64_t chars =
      out.large_ ? static_cast<const int64_t*>(values->buffers[1])[first + count]
                 : static_cast<const int32_t*>(values->buffers[1])[first + count];
  if (values->buffers[2] == nullptr && chars > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow string characters are missing"));
  }
  return out;
}

std::optional<absl::string_view> ArrowStrings::At(int64_t row) const {
  const int64_t i = column_.Index(row);
  if (!IsValid(*column_.array, i)) return std::nullopt;
  if (index_width_ == 0) return ValueAt(*column_.array, i);
  bool overflow = false;
  const int64_t code = IntegerAt(column_.array->buffers[1], i, index_width_,
                                 index_signed_, overflow);
  const ArrowArray& values = *column_.array->dictionary;
  const int64_t j = values.offset + code;
  if (!IsValid(values, j)) return std::nullopt;
  return ValueAt(values, j);
}

absl::string_view ArrowStrings::ValueAt(const ArrowArray& values,
                                        int64_t index) const {
  return view_ ? ViewAt(values, index) : StringAt(values, large_, index);
}

std::vector<ColumnSpec> LeadColumnSpecs(std::span<const std::string> fields) {
  std::vector<ColumnSpec> out;
  for (const std::string& field : fields) {
    const LeadFieldInfo* info = FindLeadField(field);
    if (info == nullptr) continue;
    bool seen = false;
    for (const ColumnSpec& s : out) seen = seen || s.name == field;
    if (!seen) out.push_back({field, info->type});
  }
  return out;
}

ArrowArray ArrowStrings::Export(int64_t n, bool large) const {
  if (index_width_ != 0 || view_ || large != large_) {
    return ExportStrings(
        n, [&](int64_t row) { return At(row).value_or(absl::string_view()); },
        large);
  }
  // Plain strings: the offsets rebased to 0 and the characters in one copy.
  const int64_t first = column_.Index(0);
  const auto offset = [&](int64_t i) -> int64_t {
    return large_ ? static_cast<const int64_t*>(column_.array->buffers[1])[i]
                  : static_cast<const int32_t*>(column_.array->buffers[1])[i];
  };
  const int64_t base = n > 0 ? offset(first) : 0;
  const int64_t end = n > 0 ? offset(first + n) : 0;
  return ExportStringBuffers(
      n, large_, [&](int64_t row) { return offset(first + row) - base; },
      n > 0 ? static_cast<const char*>(column_.array->buffers[2]) + base
            : nullptr,
      end - base);
}

std::optional<int64_t> ArrowStrings::IndexAt(int64_t row) const {
  const int64_t i = column_.Index(row);
  if (!IsValid(*column_.array, i)) return std::nullopt;
  bool overflow = false;
  return IntegerAt(column_.array->buffers[1], i, index_width_, index_signed_,
                   overflow);
}

std::optional<absl::string_view> ArrowStrings::DictionaryValue(
    int64_t index) const {
  const ArrowArray& values = *column_.array->dictionary;
  const int64_t j = values.offset + index;
  if (!IsValid(values, j)) return std::nullopt;
  return ValueAt(values, j);
}

absl::StatusOr<std::unique_ptr<ArrowTable>> ArrowTable::Read(
    const ArrowSchema& schema, const ArrowArray& batch,
    absl::string_view table, std::span<const std::string> fields,
    absl::string_view id_column, int64_t first_row) {
  const std::vector<ColumnSpec> specs = LeadColumnSpecs(fields);
  return Read(schema, batch, table, std::span<const ColumnSpec>(specs),
              id_column, first_row);
}

absl::StatusOr<std::unique_ptr<ArrowTable>> ArrowTable::Read(
    const ArrowSchema& schema, const ArrowArray& batch,
    absl::string_view table, std::span<const ColumnSpec> fields,
    absl::string_view id_column, int64_t first_row) {
  std::unique_ptr<ArrowTable> t(new ArrowTable());
  t->columns_ = std::make_unique<Columns>(batch.length);
  t->first_row_ = first_row;
  t->id_column_ = std::string(id_column);
  auto column_at = [&](int64_t i) {
    return ArrowColumn{schema.children[i], batch.children[i], batch.offset,
                       batch.length};
  };
  const std::vector<absl::string_view> names = ColumnNames(schema);
  auto find = [&](absl::string_view name) -> int64_t {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<int64_t>(i);
    }
    return -1;
  };

  const int64_t id = find(id_column);
  if (id < 0) return MissingColumn(table, id_column, names);
  LEADKIT_ASSIGN_OR_RETURN(ArrowStrings ids,
                           ArrowStrings::Make(column_at(id), table, id_column));
  // Plain strings without a null (by the array's count) need no look.
  const ArrowArray& id_array = *batch.children[id];
  const bool may_be_null = ids.dictionary_encoded() ||
                           (id_array.null_count != 0 && id_array.n_buffers > 0 &&
                            id_array.buffers[0] != nullptr);
  for (int64_t row = 0; may_be_null && row < batch.length; ++row) {
    if (!ids.At(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", id_column, ": row ", first_row + row, " has no id (null)"));
    }
  }
  t->ids_ = std::move(ids);

  for (const ColumnSpec& field : fields) {
    // The id column is read below, whatever its spec says: coding a million
    // distinct ids into a dictionary costs more than the rest of a batch.
    if (field.name == id_column) continue;
    const int64_t i = find(field.name);
    if (i < 0) continue;
    for (size_t j = static_cast<size_t>(i) + 1; j < names.size(); ++j) {
      if (names[j] == field.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ": column \"", field.name, "\" appears more than once"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(t->ReadField(field, column_at(i), table));
  }
  {
    // The ids as they lie, offsets and characters (Column::Strings), when they
    // are plain strings; a dictionary's or string views' as codes.
    const ArrowColumn c = column_at(id);
    if (c.schema->dictionary == nullptr && !t->ids_->view()) {
      std::vector<int64_t>& offsets =
          t->integers_.emplace_back(static_cast<size_t>(batch.length) + 1);
      for (int64_t row = 0; row <= batch.length; ++row) {
        const int64_t i = c.Index(row);
        offsets[static_cast<size_t>(row)] =
            t->ids_->large()
                ? static_cast<const int64_t*>(c.array->buffers[1])[i]
                : static_cast<const int32_t*>(c.array->buffers[1])[i];
      }
      LEADKIT_RETURN_IF_ERROR(t->columns_->Add(
          id_column,
          Column::Strings(offsets, static_cast<const char*>(c.array->buffers[2]))));
    } else {
      LEADKIT_RETURN_IF_ERROR(t->ReadField(
          ColumnSpec{std::string(id_column), FieldType::kString}, c, table));
    }
  }
  return t;
}

absl::Status ArrowTable::ReadField(const ColumnSpec& field,
                                   const ArrowColumn& c,
                                   absl::string_view table) {
  const int64_t n = columns_->num_rows();
  const auto size = static_cast<size_t>(n);
  const absl::string_view format = c.schema->format;
  const std::string name = field.name;
  auto expected = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, ".", name, ": expected ", what, ", got Arrow type ",
                     TypeName(*c.schema)));
  };

  if (format == "n" && c.schema->dictionary == nullptr) {  // all null
    std::vector<uint8_t>& none = bytes_.emplace_back(size, 0);
    switch (field.type) {
      case FieldType::kString:
        return columns_->Add(name, Column::Codes(codes_.emplace_back(size, -1),
                                                 {}, none.data()));
      case FieldType::kNumber:
        return columns_->Add(
            name, Column::Doubles(doubles_.emplace_back(size, NAN), none.data()));
      case FieldType::kBool:
        return columns_->Add(name, Column::Bools(none, none.data()));
      case FieldType::kInstant:
        return columns_->Add(
            name, Column::Instants(integers_.emplace_back(size, 0), none.data()));
      case FieldType::kDate:
        return columns_->Add(
            name, Column::Dates(integers_.emplace_back(size, 0), none.data()));
    }
  }

  // Validity as bytes, for every type but strings (whose codes say null).
  auto validity = [&]() -> const uint8_t* {
    if (c.array->null_count == 0 || c.array->n_buffers == 0 ||
        c.array->buffers == nullptr || c.array->buffers[0] == nullptr) {
      return nullptr;
    }
    std::vector<uint8_t>& valid = bytes_.emplace_back(size);
    for (int64_t row = 0; row < n; ++row) {
      valid[static_cast<size_t>(row)] =
          BitSet(c.array->buffers[0], c.Index(row)) ? 1 : 0;
    }
    return valid.data();
  };

  switch (field.type) {
    case FieldType::kString: {
      if (field.lists && c.schema->dictionary == nullptr &&
          (format == "+l" || format == "+L")) {
        return ReadLists(field, c, table);
      }
      absl::StatusOr<ArrowStrings> strings = ArrowStrings::Make(c, table, name);
      if (!strings.ok()) {
        if (!field.lists) return strings.status();
        return expected(
            "strings (Arrow utf8, large_utf8, string_view or a dictionary of "
            "them) or a list or large_list of them");
      }
      report_internal::Dictionary& dictionary = dictionaries_.emplace_back();
      std::vector<int32_t>& codes = codes_.emplace_back(size, -1);
      if (strings->dictionary_encoded()) {
        // Each distinct value coded once, when a row first uses it (so the
        // codes follow the rows, as for plain strings); -2: not seen yet.
        std::vector<int32_t> code_of(
            static_cast<size_t>(strings->dictionary_length()), -2);
        for (int64_t row = 0; row < n; ++row) {
          const std::optional<int64_t> index = strings->IndexAt(row);
          if (!index) continue;
          int32_t& code = code_of[static_cast<size_t>(*index)];
          if (code == -2) {
            const auto value = strings->DictionaryValue(*index);
            code = value ? dictionary.Code(*value) : -1;
          }
          codes[static_cast<size_t>(row)] = code;
        }
      } else {
        for (int64_t row = 0; row < n; ++row) {
          if (const auto value = strings->At(row)) {
            codes[static_cast<size_t>(row)] = dictionary.Code(*value);
          }
        }
      }
      return columns_->Add(name, Column::Codes(codes, dictionary.texts()));
    }
    case FieldType::kNumber: {
      if (c.schema->dictionary != nullptr ||
          !(IsIntegerFormat(format) || format == "f" || format == "g")) {
        return expected("a number (an Arrow integer or float type)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      if (format == "g" || format == "f") {
        std::vector<double>& values = doubles_.emplace_back(size);
        for (int64_t row = 0; row < n; ++row) {
          const int64_t i = c.Index(row);
          values[static_cast<size_t>(row)] =
              format == "g" ? static_cast<const double*>(c.array->buffers[1])[i]
                            : static_cast<const float*>(c.array->buffers[1])[i];
        }
        return columns_->Add(name, Column::Doubles(values, valid));
      }
      std::vector<int64_t>& values = integers_.emplace_back(size);
      const int width = IntegerWidth(format);
      const bool is_signed = format[0] >= 'a';
      for (int64_t row = 0; row < n; ++row) {
        bool overflow = false;
        values[static_cast<size_t>(row)] = IntegerAt(
            c.array->buffers[1], c.Index(row), width, is_signed, overflow);
        if (overflow && (valid == nullptr || valid[row] != 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              table, ".", name, ": ", RowName(row), " has ",
              static_cast<uint64_t>(values[static_cast<size_t>(row)]),
              "; expected a number up to ", std::numeric_limits<int64_t>::max()));
        }
      }
      return columns_->Add(name, Column::Int64s(values, valid));
    }
    case FieldType::kBool: {
      if (format != "b" || c.schema->dictionary != nullptr) {
        return expected("true or false (Arrow bool)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      std::vector<uint8_t>& values = bytes_.emplace_back(size);
      for (int64_t row = 0; row < n; ++row) {
        values[static_cast<size_t>(row)] =
            BitSet(c.array->buffers[1], c.Index(row)) ? 1 : 0;
      }
      return columns_->Add(name, Column::Bools(values, valid));
    }
    case FieldType::kInstant: {
      if (!absl::StartsWith(format, "ts") || format.size() < 4 ||
          format[3] != ':' || c.schema->dictionary != nullptr) {
        return expected("a timestamp with a time zone");
      }
      if (format.size() == 4) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", name,
            ": timestamps without a time zone; give the column a zone — "
            "leadkit never guesses one"));
      }
      int64_t per_second = 1;
      switch (format[2]) {
        case 's':
          break;
        case 'm':
          per_second = 1000;
          break;
        case 'u':
          per_second = 1000 * 1000;
          break;
        case 'n':
          per_second = 1000 * 1000 * 1000;
          break;
        default:
          return expected("a timestamp with a time zone");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      std::vector<int64_t>& values = integers_.emplace_back(size);
      for (int64_t row = 0; row < n; ++row) {
        values[static_cast<size_t>(row)] = FloorDiv(
            static_cast<const int64_t*>(c.array->buffers[1])[c.Index(row)],
            per_second);
      }
      return columns_->Add(name, Column::Instants(values, valid));
    }
    case FieldType::kDate: {
      if ((format != "tdD" && format != "tdm") ||
          c.schema->dictionary != nullptr) {
        return expected("a date (Arrow date32 or date64)");
      }
      LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
      const uint8_t* valid = validity();
      std::vector<int64_t>& values = integers_.emplace_back(size);
      for (int64_t row = 0; row < n; ++row) {
        const int64_t i = c.Index(row);
        values[static_cast<size_t>(row)] =
            format == "tdD"
                ? static_cast<const int32_t*>(c.array->buffers[1])[i]
                : FloorDiv(static_cast<const int64_t*>(c.array->buffers[1])[i],
                           86400 * int64_t{1000});
      }
      return columns_->Add(name, Column::Dates(values, valid));
    }
  }
  return absl::InternalError("unknown field type");
}

std::string ArrowTable::RowName(int64_t row) const {
  const std::optional<absl::string_view> id = ids_->At(row);
  return absl::StrCat("row ", first_row_ + row, " (", id_column_, " \"",
                      id ? *id : "", "\")");
}

const StringLists* ArrowTable::lists(absl::string_view name) const {
  const auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

absl::Status ArrowTable::ReadLists(const ColumnSpec& field,
                                   const ArrowColumn& c,
                                   absl::string_view table) {
  const int64_t n = columns_->num_rows();
  const absl::string_view name = field.name;
  const bool large = absl::string_view(c.schema->format) == "+L";
  if (c.schema->n_children != 1 || c.schema->children == nullptr ||
      c.schema->children[0] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow list type lacks its value type"));
  }
  LEADKIT_RETURN_IF_ERROR(NeedBuffers(c, 2, table, name));
  if (c.array->n_children != 1 || c.array->children == nullptr ||
      c.array->children[0] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": the Arrow list array lacks its values"));
  }
  const ArrowColumn values{c.schema->children[0], c.array->children[0], 0,
                          c.array->children[0]->length};
  absl::StatusOr<ArrowStrings> strings = ArrowStrings::Make(values, table, name);
  if (!strings.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name,
        ": expected a list of strings (Arrow utf8, large_utf8, string_view or "
        "a dictionary of them), got Arrow type ",
        TypeName(*c.schema)));
  }
  StringLists& rows = lists_[field.name];
  rows.assign(static_cast<size_t>(n), {});
  for (int64_t row = 0; row < n; ++row) {
    const int64_t i = c.Index(row);
    if (!IsValid(*c.array, i)) continue;
    const int64_t begin =
        large ? static_cast<const int64_t*>(c.array->buffers[1])[i]
              : static_cast<const int32_t*>(c.array->buffers[1])[i];
    const int64_t end =
        large ? static_cast<const int64_t*>(c.array->buffers[1])[i + 1]
              : static_cast<const int32_t*>(c.array->buffers[1])[i + 1];
    if (begin < 0 || end < begin || end > values.length) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", name, ": ", RowName(row), " has list offsets ", begin,
          " to ", end, " outside the ", values.length, " values"));
    }
    std::vector<std::string>& names = rows[static_cast<size_t>(row)];
    for (int64_t j = begin; j < end; ++j) {
      const std::optional<absl::string_view> value = strings->At(j);
      if (!value) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", name, ": ", RowName(row), " has a null in its list (",
            j - begin, "); expected a list of strings"));
      }
      const absl::string_view trimmed = absl::StripAsciiWhitespace(*value);
      if (!trimmed.empty()) names.emplace_back(trimmed);
    }
  }
  return absl::OkStatus();
}

// ---- A whole stream -------------------------------------------------------

void StreamTable::Part::Append(const Column& c, int64_t n) {
  std::vector<int32_t> code_of;
  if (type == ColumnType::kCode) code_of = dictionary.Codes(c.dictionary());
  if (type == ColumnType::kString && integers.empty()) integers.push_back(0);
  for (int64_t row = 0; row < n; ++row) {
    const bool null = c.IsNull(row);
    valid.push_back(null ? 0 : 1);
    any_null = any_null || null;
    switch (type) {
      case ColumnType::kDouble:
        doubles.push_back(null ? NAN : c.data<double>()[row]);
        break;
      case ColumnType::kInt64:
      case ColumnType::kInstant:
      case ColumnType::kDate:
        integers.push_back(null ? 0 : c.data<int64_t>()[row]);
        break;
      case ColumnType::kBool:
        bytes.push_back(null ? 0 : c.data<uint8_t>()[row]);
        break;
      case ColumnType::kCode:
        codes.push_back(
            null ? -1
                 : code_of[static_cast<size_t>(c.data<int32_t>()[row])]);
        break;
      case ColumnType::kString: {
        if (!null) {
          const absl::string_view v = c.ViewAt(row);
          chars.append(v.data(), v.size());
        }
        integers.push_back(static_cast<int64_t>(chars.size()));
        break;
      }
    }
  }
}

Column StreamTable::Part::View() const {
  const uint8_t* v = any_null ? valid.data() : nullptr;
  switch (type) {
    case ColumnType::kDouble:
      return Column::Doubles(doubles, v);
    case ColumnType::kInt64:
      return Column::Int64s(integers, v);
    case ColumnType::kInstant:
      return Column::Instants(integers, v);
    case ColumnType::kDate:
      return Column::Dates(integers, v);
    case ColumnType::kBool:
      return Column::Bools(bytes, v);
    case ColumnType::kCode:
      return Column::Codes(codes, dictionary.texts());
    case ColumnType::kString:
      return Column::Strings(integers, chars.data(), v);
  }
  return Column::Doubles(doubles, v);
}

namespace {

// The column type a field of `type` is read as when a stream has no batch.
ColumnType EmptyColumnType(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return ColumnType::kCode;
    case FieldType::kNumber:
      return ColumnType::kDouble;
    case FieldType::kBool:
      return ColumnType::kBool;
    case FieldType::kInstant:
      return ColumnType::kInstant;
    case FieldType::kDate:
      return ColumnType::kDate;
  }
  return ColumnType::kDouble;
}

}  // namespace

const StringLists* StreamTable::lists(absl::string_view name) const {
  const auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::unique_ptr<StreamTable>> StreamTable::Read(
    ArrowArrayStream* stream, absl::string_view table,
    std::span<const ColumnSpec> columns, absl::string_view id_column) {
  std::unique_ptr<StreamTable> t(new StreamTable());
  int64_t rows = 0;
  bool first = true;
  LEADKIT_RETURN_IF_ERROR(ForEachBatch(
      stream, table,
      [&](const ArrowSchema& schema) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(const ArrowSchema* ids,
                                 RequiredColumn(schema, table, id_column));
        LEADKIT_ASSIGN_OR_RETURN(t->large_ids_,
                                 StringsAreLarge(*ids, table, id_column));
        // The columns present, in case no batch comes.
        t->parts_.push_back(
            Part{.name = std::string(id_column), .type = ColumnType::kString});
        for (const ColumnSpec& spec : columns) {
          if (spec.name == id_column) continue;
          for (int64_t i = 0; i < schema.n_children; ++i) {
            const char* name = schema.children[i]->name;
            if (name != nullptr && spec.name == name) {
              t->parts_.push_back(
                  Part{.name = spec.name, .type = EmptyColumnType(spec.type)});
              break;
            }
          }
        }
        return absl::OkStatus();
      },
      [&](const ArrowSchema& schema, const ArrowArray& batch) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(
            const std::unique_ptr<ArrowTable> part,
            ArrowTable::Read(schema, batch, table, columns, id_column, rows));
        const Columns& read = part->columns();
        if (first) {
          // The types as read (an integer column is int64, a float one
          // double; the id column as it lies).
          std::deque<Part> parts;
          for (const auto& [name, column] : read.columns()) {
            const ColumnType type =
                name == id_column ? ColumnType::kString : column.type();
            parts.push_back(Part{.name = name, .type = type});
          }
          t->parts_ = std::move(parts);
          first = false;
        }
        for (Part& p : t->parts_) {
          const Column* column = read.Find(p.name);
          if (column == nullptr) {
            return absl::InternalError(
                absl::StrCat(table, ".", p.name, ": column lost between batches"));
          }
          if (p.name == id_column && column->type() != ColumnType::kString) {
            // Dictionary-encoded ids: as strings, row by row.
            if (p.integers.empty()) p.integers.push_back(0);
            for (int64_t row = 0; row < read.num_rows(); ++row) {
              const absl::string_view v = column->ViewAt(row);
              p.chars.append(v.data(), v.size());
              p.integers.push_back(static_cast<int64_t>(p.chars.size()));
              p.valid.push_back(1);
            }
            continue;
          }
          if (column->type() != p.type) {
            return absl::InternalError(absl::StrCat(
                table, ".", p.name, ": column type changed between batches"));
          }
          p.Append(*column, read.num_rows());
        }
        for (const auto& [name, lists] : part->lists_) {
          StringLists& all = t->lists_[name];
          all.insert(all.end(), lists.begin(), lists.end());
        }
        rows += read.num_rows();
        return absl::OkStatus();
      }));
  t->columns_ = std::make_unique<Columns>(rows);
  for (Part& p : t->parts_) {
    if (p.type == ColumnType::kString && p.integers.empty()) {
      p.integers.push_back(0);
    }
    LEADKIT_RETURN_IF_ERROR(t->columns_->Add(p.name, p.View()));
  }
  return t;
}

// ---- Export ----------------------------------------------------------------

namespace {

struct SchemaData {
  std::string format;
  std::string name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
  std::unique_ptr<ArrowSchema> dictionary;
};

void ReleaseSchema(ArrowSchema* schema) {
  auto* data = static_cast<SchemaData*>(schema->private_data);
  for (ArrowSchema& child : data->children) Release(child);
  if (data->dictionary != nullptr) Release(*data->dictionary);
  delete data;
  schema->release = nullptr;
}

struct ArrayData {
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<int32_t> codes;  // a dictionary array's indices, moved in
  std::vector<const void*> buffer_pointers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
  std::unique_ptr<ArrowArray> dictionary;
};

void ReleaseArray(ArrowArray* array) {
  auto* data = static_cast<ArrayData*>(array->private_data);
  for (ArrowArray& child : data->children) Release(child);
  if (data->dictionary != nullptr) Release(*data->dictionary);
  delete data;
  array->release = nullptr;
}

// An array over `buffers`, after the validity bitmap `validity` (empty: no
// value is null, the buffer NULL) with `null_count` nulls.
ArrowArray MakeArray(int64_t length, std::vector<std::vector<uint8_t>> buffers,
                     std::vector<ArrowArray> children,
                     std::optional<ArrowArray> dictionary,
                     std::vector<uint8_t> validity = {},
                     int64_t null_count = 0) {
  auto data = std::make_unique<ArrayData>();
  data->buffers = std::move(buffers);
  if (!validity.empty()) data->buffers.push_back(std::move(validity));
  data->buffer_pointers.push_back(
      null_count > 0 ? data->buffers.back().data() : nullptr);
  for (size_t i = 0; i < data->buffers.size() - (null_count > 0 ? 1 : 0);
       ++i) {
    data->buffer_pointers.push_back(data->buffers[i].data());
  }
  data->children = std::move(children);
  for (ArrowArray& child : data->children) data->child_pointers.push_back(&child);
  if (dictionary) data->dictionary = std::make_unique<ArrowArray>(*dictionary);
  ArrowArray out{};
  out.length = length;
  out.null_count = null_count;
  out.offset = 0;
  out.n_buffers = static_cast<int64_t>(data->buffer_pointers.size());
  out.n_children = static_cast<int64_t>(data->children.size());
  out.buffers = data->buffer_pointers.data();
  out.children = data->child_pointers.empty() ? nullptr : data->child_pointers.data();
  out.dictionary = data->dictionary.get();
  out.release = ReleaseArray;
  out.private_data = data.release();
  return out;
}

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <typename Offset>
ArrowArray StringsOf(int64_t length,
                     const std::function<absl::string_view(int64_t)>& at) {
  std::vector<Offset> offsets(static_cast<size_t>(length) + 1, 0);
  std::vector<uint8_t> chars;
  for (int64_t row = 0; row < length; ++row) {
    const absl::string_view s = at(row);
    if (chars.size() + s.size() >
        static_cast<size_t>(std::numeric_limits<Offset>::max())) {
      throw std::length_error("strings past the Arrow utf8 offsets' range");
    }
    chars.insert(chars.end(), s.begin(), s.end());
    offsets[static_cast<size_t>(row) + 1] = static_cast<Offset>(chars.size());
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(offsets));
  buffers.push_back(std::move(chars));
  return MakeArray(length, std::move(buffers), {}, std::nullopt);
}

}  // namespace

ArrowArray ExportStringBuffers(int64_t length, bool large,
                               const std::function<int64_t(int64_t)>& offset,
                               const char* chars, int64_t size) {
  std::vector<uint8_t> offsets(static_cast<size_t>(length + 1) *
                               (large ? sizeof(int64_t) : sizeof(int32_t)));
  if (!large && size > std::numeric_limits<int32_t>::max()) {
    throw std::length_error("strings past the Arrow utf8 offsets' range");
  }
  for (int64_t i = 0; i <= length; ++i) {
    const int64_t o = i == length ? size : offset(i);
    if (large) {
      std::memcpy(offsets.data() + i * 8, &o, 8);
    } else {
      const auto o32 = static_cast<int32_t>(o);
      std::memcpy(offsets.data() + i * 4, &o32, 4);
    }
  }
  std::vector<uint8_t> data(static_cast<size_t>(size));
  if (size > 0) std::memcpy(data.data(), chars, static_cast<size_t>(size));
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(offsets));
  buffers.push_back(std::move(data));
  return MakeArray(length, std::move(buffers), {}, std::nullopt);
}

ArrowSchema ExportSchema(std::string format, std::string name, int64_t flags,
                         std::vector<ArrowSchema> children,
                         std::optional<ArrowSchema> dictionary) {
  auto data = std::make_unique<SchemaData>();
  data->format = std::move(format);
  data->name = std::move(name);
  data->children = std::move(children);
  for (ArrowSchema& child : data->children) data->child_pointers.push_back(&child);
  if (dictionary) data->dictionary = std::make_unique<ArrowSchema>(*dictionary);
  ArrowSchema out{};
  out.format = data->format.c_str();
  out.name = data->name.c_str();
  out.metadata = nullptr;
  out.flags = flags;
  out.n_children = static_cast<int64_t>(data->children.size());
  out.children = data->child_pointers.empty() ? nullptr : data->child_pointers.data();
  out.dictionary = data->dictionary.get();
  out.release = ReleaseSchema;
  out.private_data = data.release();
  return out;
}

ArrowArray ExportStrings(int64_t length,
                         const std::function<absl::string_view(int64_t)>& at,
                         bool large) {
  return large ? StringsOf<int64_t>(length, at) : StringsOf<int32_t>(length, at);
}

ArrowArray ExportStrings(std::span<const std::string> values, bool large) {
  return ExportStrings(
      static_cast<int64_t>(values.size()),
      [&](int64_t i) -> absl::string_view { return values[static_cast<size_t>(i)]; },
      large);
}

ArrowArray ExportDictionary(std::vector<int32_t> codes,
                            std::span<const std::string> dictionary) {
  const auto length = static_cast<int64_t>(codes.size());
  // The indices are the array's buffer as they are (moved, not copied).
  ArrowArray out = MakeArray(length, {}, {},
                             ExportStrings(dictionary, /*large=*/false));
  auto* data = static_cast<ArrayData*>(out.private_data);
  data->codes = std::move(codes);
  data->buffer_pointers.push_back(data->codes.data());
  out.n_buffers = static_cast<int64_t>(data->buffer_pointers.size());
  out.buffers = data->buffer_pointers.data();
  return out;
}

ArrowArray ExportOptionalStrings(
    std::span<const std::optional<std::string>> values) {
  const auto length = static_cast<int64_t>(values.size());
  ArrowArray out = ExportStrings(
      length,
      [&](int64_t i) -> absl::string_view {
        const std::optional<std::string>& v = values[static_cast<size_t>(i)];
        return v ? absl::string_view(*v) : absl::string_view();
      },
      /*large=*/false);
  std::vector<uint8_t> validity(static_cast<size_t>(length + 7) / 8, 0);
  int64_t nulls = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (values[static_cast<size_t>(i)]) {
      validity[static_cast<size_t>(i >> 3)] |=
          static_cast<uint8_t>(1u << (i & 7));
    } else {
      ++nulls;
    }
  }
  if (nulls == 0) return out;
  // The strings' buffers again, now after a validity bitmap.
  auto* data = static_cast<ArrayData*>(out.private_data);
  std::vector<std::vector<uint8_t>> buffers = std::move(data->buffers);
  Release(out);
  return MakeArray(length, std::move(buffers), {}, std::nullopt,
                   std::move(validity), nulls);
}

ArrowArray ExportInt64s(const std::vector<int64_t>& values) {
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(values));
  return MakeArray(static_cast<int64_t>(values.size()), std::move(buffers), {},
                   std::nullopt);
}

ArrowArray ExportDoubles(const std::vector<double>& values) {
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(values));
  return MakeArray(static_cast<int64_t>(values.size()), std::move(buffers), {},
                   std::nullopt);
}

ArrowArray ExportOptionalInt64s(
    std::span<const std::optional<int64_t>> values) {
  const auto length = static_cast<int64_t>(values.size());
  std::vector<int64_t> data(values.size(), 0);
  std::vector<uint8_t> validity(static_cast<size_t>(length + 7) / 8, 0);
  int64_t nulls = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (const std::optional<int64_t>& v = values[static_cast<size_t>(i)]) {
      data[static_cast<size_t>(i)] = *v;
      validity[static_cast<size_t>(i >> 3)] |=
          static_cast<uint8_t>(1u << (i & 7));
    } else {
      ++nulls;
    }
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(Bytes(data));
  if (nulls == 0) validity.clear();
  return MakeArray(length, std::move(buffers), {}, std::nullopt,
                   std::move(validity), nulls);
}

ArrowArray ExportBools(const std::vector<uint8_t>& values) {
  const auto length = static_cast<int64_t>(values.size());
  std::vector<uint8_t> bits(static_cast<size_t>(length + 7) / 8, 0);
  for (int64_t i = 0; i < length; ++i) {
    if (values[static_cast<size_t>(i)] != 0) {
      bits[static_cast<size_t>(i >> 3)] |= static_cast<uint8_t>(1u << (i & 7));
    }
  }
  std::vector<std::vector<uint8_t>> buffers;
  buffers.push_back(std::move(bits));
  return MakeArray(length, std::move(buffers), {}, std::nullopt);
}

ArrowArray ExportStruct(int64_t length, std::vector<ArrowArray> children) {
  return MakeArray(length, {}, std::move(children), std::nullopt);
}

namespace {

struct StreamData {
  std::function<ArrowSchema()> make_schema;
  std::vector<ArrowArray> batches;
  size_t next = 0;
  std::string error;
};

int StreamSchema(ArrowArrayStream* stream, ArrowSchema* out) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  try {
    *out = data->make_schema();
    return 0;
  } catch (...) {
    data->error = "leadkit: out of memory";
    return ENOMEM;
  }
}

int StreamNext(ArrowArrayStream* stream, ArrowArray* out) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  if (data->next < data->batches.size()) {
    *out = data->batches[data->next];
    data->batches[data->next].release = nullptr;  // moved to the caller
    ++data->next;
  } else {
    *out = ArrowArray{};  // release NULL: the end
  }
  return 0;
}

const char* StreamError(ArrowArrayStream* stream) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  return data->error.empty() ? nullptr : data->error.c_str();
}

void StreamRelease(ArrowArrayStream* stream) {
  auto* data = static_cast<StreamData*>(stream->private_data);
  for (ArrowArray& batch : data->batches) Release(batch);
  delete data;
  stream->release = nullptr;
}

}  // namespace

void ExportStream(std::function<ArrowSchema()> make_schema,
                  std::vector<ArrowArray> batches, ArrowArrayStream* out) {
  auto data = std::make_unique<StreamData>();
  data->make_schema = std::move(make_schema);
  data->batches = std::move(batches);
  out->get_schema = StreamSchema;
  out->get_next = StreamNext;
  out->get_last_error = StreamError;
  out->release = StreamRelease;
  out->private_data = data.release();
}

}  // namespace leadkit::c_api_internal
