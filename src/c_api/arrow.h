// Not part of the API: the Arrow C data interface on leadkit's side — reading
// a stream of record batches into the Columns every engine reads, and
// exporting result batches that own their memory. The C ABI's batch entry
// points (leadkit.h) use it; the conversion of a table lives here once.
//
// Reading: each struct array of the stream becomes one Columns of its length.
// A column is read by the type its lead field has (lead.h FieldType); a
// column whose Arrow type cannot hold that type is an InvalidArgument naming
// the table and the column ("leads.purchase_within_days: expected a number
// (an integer or float type), got Arrow type utf8"). Strings become
// dictionary codes (string views, as Polars gives, too), bit-packed booleans and validity become bytes, timestamps
// of any unit become whole seconds (rounded down), dates become days; a list
// column of strings, where a spec allows one (a models cell), becomes each
// row's strings.
#ifndef LEADKIT_C_API_ARROW_H_
#define LEADKIT_C_API_ARROW_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"
#include "leadkit/internal/dictionary.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"

namespace leadkit::c_api_internal {

// Calls `on_schema` with the stream's schema, then `body` with the schema
// and each of its batches in order, then releases the stream (also when a
// call fails or the stream is bad). InvalidArgument naming `table` when the
// stream fails, its schema is not a struct, or a batch does not match the
// schema.
absl::Status ForEachBatch(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, const ArrowArray&)>&
        body);

// ForEachBatch whose `body` may take the batch: moved out (an array that
// holds it, its release set to NULL here), it is then the taker's to
// release.
absl::Status ForEachBatchTaken(
    ArrowArrayStream* stream, absl::string_view table,
    const std::function<absl::Status(const ArrowSchema&)>& on_schema,
    const std::function<absl::Status(const ArrowSchema&, ArrowArray&)>& body);

// The column `name` of a stream's schema. InvalidArgument "<table>: missing
// required column "<name>"" (with the nearest column's name) when it has none.
absl::StatusOr<const ArrowSchema*> RequiredColumn(const ArrowSchema& schema,
                                                  absl::string_view table,
                                                  absl::string_view name);

// Whether a column of type `schema` holds large_utf8 or string_view strings
// (false: utf8), directly or as a dictionary's values: the ids of a result are
// exported as large_utf8 for either. InvalidArgument "<table>.<name>:
// expected strings ..." for another type.
absl::StatusOr<bool> StringsAreLarge(const ArrowSchema& schema,
                                     absl::string_view table,
                                     absl::string_view name);

// One column of a batch: its schema and array, and the row offset its
// parent adds (a struct array's offset applies to its children).
struct ArrowColumn {
  const ArrowSchema* schema = nullptr;
  const ArrowArray* array = nullptr;
  int64_t parent_offset = 0;
  int64_t length = 0;  // rows

  // The array's index of row `row`.
  int64_t Index(int64_t row) const {
    return array->offset + parent_offset + row;
  }
};

// The strings of a utf8, large_utf8 or string_view column, or a dictionary of
// one of them, row by row; nullopt for a null.
class ArrowStrings {
 public:
  // InvalidArgument "<table>.<column>: expected a string ..." for another
  // type.
  // A dictionary's indices are checked to lie inside it, unless
  // `check_indices` is false: then the caller checks them (IndexOutside)
  // before it reads a row.
  static absl::StatusOr<ArrowStrings> Make(const ArrowColumn& column,
                                           absl::string_view table,
                                           absl::string_view name,
                                           bool check_indices = true);
  std::optional<absl::string_view> At(int64_t row) const;
  bool large() const { return large_; }  // large_utf8 or string_view values
  bool view() const { return view_; }    // string_view values
  // The first `n` rows as a utf8 (large_utf8 when `large`) array of their
  // own, none null (a null row is ""): plain strings copied in bulk.
  ArrowArray Export(int64_t n, bool large) const;
  // The first `n` rows as an array over the column's own buffers, none
  // copied, when they are plain utf8 or large_utf8 strings (large_utf8 when
  // `large`) without a null: the array keeps `batch` (the column's batch,
  // moved in: its release set to NULL) and releases it with itself. Else
  // nullopt, `batch` left alone.
  std::optional<ArrowArray> ExportKeeping(int64_t n, bool large,
                                          ArrowArray& batch) const;

  // Dictionary-encoded columns: the index of row `row` into the dictionary
  // (nullopt for a null row), and the dictionary's value `index` (nullopt for
  // a null value) — so that a reader converts each distinct value once.
  bool dictionary_encoded() const { return index_width_ != 0; }
  int64_t dictionary_length() const { return column_.array->dictionary->length; }
  std::optional<int64_t> IndexAt(int64_t row) const;
  std::optional<absl::string_view> DictionaryValue(int64_t index) const;
  // InvalidArgument "<table>.<name>: row <row> has the dictionary index <i>
  // outside the dictionary's <n> values", for a row whose index is.
  absl::Status IndexOutside(int64_t row, absl::string_view table,
                            absl::string_view name) const;

 private:
  // The string at `index` of `values` (the column's array or dictionary).
  absl::string_view ValueAt(const ArrowArray& values, int64_t index) const;

  ArrowColumn column_;
  bool large_ = false;
  bool view_ = false;
  // Dictionary-encoded: the indices' byte width and signedness.
  int index_width_ = 0;
  bool index_signed_ = true;
};

// A column a table read from Arrow may have, and the type it is read as.
struct ColumnSpec {
  std::string name;
  FieldType type;
  // kString only: the column may also be a list or large_list of strings,
  // each row a list of names (a models cell, docs/data.md). Such a column is
  // not among the table's Columns: its rows are lists(name), each string
  // trimmed of spaces, empty ones dropped, a null row empty.
  bool lists = false;
};

// The rows of a list column (ColumnSpec::lists): each row's strings.
using StringLists = std::vector<std::vector<std::string>>;

// The specs of the lead fields named in `fields` (LeadFields' types), each
// once in the order first named; names that are not lead fields are left
// out.
std::vector<ColumnSpec> LeadColumnSpecs(std::span<const std::string> fields);

// A batch of a table read from Arrow: the Columns engines read, over memory
// it owns or the caller's arrays (which must outlive it).
class ArrowTable {
 public:
  // Reads the columns of `batch` named in `columns` (each read as its type;
  // an absent one is left out: null in every row) and the id column
  // `id_column` (strings, no nulls; required), which is read as it lies —
  // plain strings viewed (Column::Strings), a dictionary's as codes — also
  // when `columns` names it. `first_row` numbers the
  // batch's rows in messages ("row 1203"), across the stream's batches.
  static absl::StatusOr<std::unique_ptr<ArrowTable>> Read(
      const ArrowSchema& schema, const ArrowArray& batch,
      absl::string_view table, std::span<const ColumnSpec> columns,
      absl::string_view id_column, int64_t first_row);
  // The same, of the lead fields named in `fields`.
  static absl::StatusOr<std::unique_ptr<ArrowTable>> Read(
      const ArrowSchema& schema, const ArrowArray& batch,
      absl::string_view table, std::span<const std::string> fields,
      absl::string_view id_column, int64_t first_row);

  const Columns& columns() const { return *columns_; }
  int64_t num_rows() const { return columns_->num_rows(); }
  // The id column's strings.
  const ArrowStrings& ids() const { return *ids_; }
  // The rows of column `name` when it came as a list of strings
  // (ColumnSpec::lists), else nullptr.
  const StringLists* lists(absl::string_view name) const;

 private:
  friend class StreamTable;
  ArrowTable() = default;
  absl::Status ReadField(const ColumnSpec& field, const ArrowColumn& column,
                         absl::string_view table);
  // A buffer of `size` bytes the caller writes every one of (not cleared),
  // kept as long as the table.
  uint8_t* WrittenBytes(size_t size);
  // "row <first_row + row> (<id_column> "<id>")", for messages.
  std::string RowName(int64_t row) const;
  // A list or large_list column of strings into lists_. InvalidArgument
  // naming the table, column and row for a null string in a list.
  absl::Status ReadLists(const ColumnSpec& field, const ArrowColumn& column,
                         absl::string_view table);

  std::unique_ptr<Columns> columns_;
  std::map<std::string, StringLists, std::less<>> lists_;
  std::optional<ArrowStrings> ids_;
  int64_t first_row_ = 0;
  std::string id_column_;
  // Stable addresses for the converted buffers.
  std::deque<std::vector<uint8_t>> bytes_;
  std::deque<std::vector<double>> doubles_;
  std::deque<std::vector<int64_t>> integers_;
  std::deque<std::unique_ptr<int64_t[]>> offsets_;  // each value written
  std::deque<std::vector<int32_t>> codes_;
  std::deque<std::unique_ptr<int32_t[]>> written_codes_;  // each value written
  std::deque<std::unique_ptr<uint8_t[]>> written_bytes_;  // each value written
  std::deque<report_internal::Dictionary> dictionaries_;
};

// A whole table read from an Arrow stream: the rows of every batch, in order,
// as one Columns — for the engines that need a table at once (a lead beside
// all of its touches). Its columns are those of ArrowTable::Read; the id
// column is read as strings (Column::Strings). A stream of one batch is read
// in place (ArrowTable::Read's columns, over the batch, which the table keeps
// until it goes); the batches of a longer stream are copied into one table.
class StreamTable {
 public:
  // Reads `stream` to its end and releases it (also on failure). Errors as
  // ForEachBatch's and ArrowTable::Read's.
  static absl::StatusOr<std::unique_ptr<StreamTable>> Read(
      ArrowArrayStream* stream, absl::string_view table,
      std::span<const ColumnSpec> columns, absl::string_view id_column);

  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;
  // Releases the batch and the schema kept.
  ~StreamTable();

  const Columns& columns() const { return *columns_; }
  int64_t num_rows() const { return columns_->num_rows(); }
  // Whether the stream's id column was large_utf8.
  bool large_ids() const { return large_ids_; }
  // The rows of column `name` when it came as a list of strings
  // (ColumnSpec::lists), else nullptr.
  const StringLists* lists(absl::string_view name) const;

  // One column's values, appended batch by batch.
  struct Part {
    std::string name;
    ColumnType type = ColumnType::kDouble;
    std::vector<double> doubles;    // kDouble
    std::vector<int64_t> integers;  // kInt64, kInstant, kDate; kString offsets
    std::vector<uint8_t> bytes;     // kBool
    std::vector<int32_t> codes;     // kCode
    report_internal::Dictionary dictionary;  // kCode
    std::string chars;                       // kString
    std::vector<uint8_t> valid;
    bool any_null = false;

    // Appends the `n` rows of `c` (of this part's type).
    void Append(const Column& c, int64_t n);
    // Appends the `n` rows of the code or string column `c` as strings
    // (kString).
    void AppendStrings(const Column& c, int64_t n);
    // A Column over the values.
    Column View() const;
  };

 private:
  StreamTable() = default;
  std::deque<Part> parts_;
  std::unique_ptr<Columns> columns_;
  std::map<std::string, StringLists, std::less<>> lists_;
  bool large_ids_ = false;
  // A stream of one batch: the batch read in place, the batch and its schema
  // (released by the destructor).
  std::unique_ptr<ArrowTable> in_place_;
  ArrowArray batch_{};
  ArrowSchema schema_{};
};

// ---- Export: arrays and schemas that own their memory ---------------------

// A schema node. `children` and `dictionary` move into it.
ArrowSchema ExportSchema(std::string format, std::string name, int64_t flags,
                         std::vector<ArrowSchema> children = {},
                         std::optional<ArrowSchema> dictionary = std::nullopt);

// A utf8 ("u") or large_utf8 ("U") array of `values`, none null.
ArrowArray ExportStrings(std::span<const std::string> values, bool large);
// The same, of strings given row by row.
ArrowArray ExportStrings(int64_t length,
                         const std::function<absl::string_view(int64_t)>& at,
                         bool large);

// A utf8 ("u") or large_utf8 ("U") array of `length` strings none null, row i
// from offset(i) to offset(i + 1) (offset(length) is `size`) of `chars`.
ArrowArray ExportStringBuffers(int64_t length, bool large,
                               const std::function<int64_t(int64_t)>& offset,
                               const char* chars, int64_t size);

// A dictionary<int32, utf8> array: `codes` (none null) into `dictionary`.
ArrowArray ExportDictionary(std::vector<int32_t> codes,
                            std::span<const std::string> dictionary);

// A utf8 array of `values`, nullopt as null.
ArrowArray ExportOptionalStrings(
    std::span<const std::optional<std::string>> values);
// The same, of strings given row by row.
ArrowArray ExportOptionalStrings(
    int64_t length,
    const std::function<std::optional<absl::string_view>(int64_t)>& at);
// An int64 ("l") or float64 ("g") array of `values`, none null.
ArrowArray ExportInt64s(const std::vector<int64_t>& values);
ArrowArray ExportDoubles(const std::vector<double>& values);

// An int64-backed array (int64, timestamps) of `values`, nullopt as null.
ArrowArray ExportOptionalInt64s(std::span<const std::optional<int64_t>> values);
// A bool array of `values`, none null.
ArrowArray ExportBools(const std::vector<uint8_t>& values);

// A struct array (a record batch) of `children`, each `length` long.
ArrowArray ExportStruct(int64_t length, std::vector<ArrowArray> children);

// A stream over `batches` (moved in), each matching the schema `make_schema`
// gives. The stream owns the batches; its release frees the rest.
void ExportStream(std::function<ArrowSchema()> make_schema,
                  std::vector<ArrowArray> batches, ArrowArrayStream* out);

// A list<utf8> array ("+l" over "u"): row i holds the strings of values[i],
// none null.
ArrowArray ExportStringLists(std::span<const std::vector<std::string>> values);

// Releases, when it goes out of scope, each of its streams that is not
// released yet: what makes a C ABI call consume its input streams whatever
// the outcome.
class ConsumeStreams {
 public:
  explicit ConsumeStreams(std::initializer_list<ArrowArrayStream*> streams)
      : streams_(streams) {}
  ConsumeStreams(const ConsumeStreams&) = delete;
  ConsumeStreams& operator=(const ConsumeStreams&) = delete;
  ~ConsumeStreams() {
    for (ArrowArrayStream* s : streams_) {
      if (s != nullptr && s->release != nullptr) s->release(s);
    }
  }

 private:
  std::vector<ArrowArrayStream*> streams_;
};

// Releases an array or schema if it is not released yet.
void Release(ArrowArray& array);
void Release(ArrowSchema& schema);

}  // namespace leadkit::c_api_internal

#endif  // LEADKIT_C_API_ARROW_H_
