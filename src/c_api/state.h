// Not part of the API: the protocol every report state's handle shares over
// the C ABI (leadkit.h, "Report states") — add, merge, serialize,
// deserialize, finalize — written once for any handle holding a C++ state as
// `state` (kpi.h's KpiState and the others, each with Add, Merge, Serialize
// and Deserialize).
#ifndef LEADKIT_C_API_STATE_H_
#define LEADKIT_C_API_STATE_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/c_api_internal.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/leadkit.h"
#include "leadkit/scope.h"

// leadkit.h's scope: who sees what, with the dealers table it reads (nullptr:
// not given).
struct lk_scope {
  leadkit::Scope scope;
  std::unique_ptr<leadkit::c_api_internal::StreamTable> dealers;
};

namespace leadkit::c_api_internal {

// lk_scope_create's scope once its kind and id are checked: `scope` with the
// dealers table of `dealers` (dealer_id, region_id; nullptr: not given),
// read (and released) and checked against the scope — an unknown dealer or
// region is an error now rather than at each add. The Python bindings build
// theirs the same way.
absl::StatusOr<std::unique_ptr<lk_scope>> MakeScope(Scope scope,
                                                    ArrowArrayStream* dealers);

// A table a state's add reads: its stream (nullptr: not given), its name in
// messages, the columns read and its id column.
struct AddTable {
  ArrowArrayStream* stream = nullptr;
  absl::string_view name;
  std::span<const ColumnSpec> columns;
  absl::string_view id_column = "lead_id";
  // The scope (leadkit.h) applying to the table's rows, by their dealer_id
  // (read beside `columns`); nullptr: every row.
  const lk_scope* scope = nullptr;
};

// Reads `tables` (StreamTable::Read: each stream to its end, released), takes
// `as_of` — seconds, LK_AS_OF_DATA for the latest instant of the tables read
// (DefaultAsOfSeconds; without `as_of_required`, no limit — the largest
// instant — when they hold none), nullopt for a state whose add takes none
// (`at` is then the epoch) — and calls `add(copy, columns, at)` on a copy of
// `state`, columns[i] the Columns of tables[i] (nullptr for one not given).
// The copy replaces the state only when the add succeeds: a failed add
// leaves the state as it was. When a table has a scope, `add` takes a fourth
// argument: the rows' include flags (ScopeMask of scope.h; empty without a
// scope).
// Example:
//   AddTables(state, {{leads, "leads", specs}}, as_of,
//             [](ProfileState& s, std::span<const Columns* const> t,
//                Instant at) { return s.Add(*t[0], at); });
template <typename State, typename Add>
absl::Status AddTables(State& state, std::initializer_list<AddTable> tables,
                       std::optional<int64_t> as_of, const Add& add,
                       bool as_of_required = true) {
  std::vector<std::unique_ptr<StreamTable>> read;
  std::vector<const Columns*> columns, given;
  std::vector<uint8_t> include;
  for (const AddTable& t : tables) {
    std::vector<ColumnSpec> specs(t.columns.begin(), t.columns.end());
    if (t.scope != nullptr &&
        std::none_of(specs.begin(), specs.end(), [](const ColumnSpec& s) {
          return s.name == "dealer_id";
        })) {
      specs.push_back({"dealer_id", FieldType::kString});
    }
    std::unique_ptr<StreamTable> table;
    if (t.stream != nullptr) {
      LEADKIT_ASSIGN_OR_RETURN(
          table, StreamTable::Read(t.stream, t.name, specs, t.id_column));
      given.push_back(&table->columns());
    }
    if (t.scope != nullptr && t.scope->scope.kind != Scope::Kind::kHq) {
      if (table == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "scope: applies to the ", t.name, " (their dealer_id), not given"));
      }
      LEADKIT_ASSIGN_OR_RETURN(
          include, ScopeMask(t.scope->scope, table->columns(),
                             t.scope->dealers != nullptr
                                 ? &t.scope->dealers->columns()
                                 : nullptr));
    }
    columns.push_back(table != nullptr ? &table->columns() : nullptr);
    read.push_back(std::move(table));
  }
  if (as_of == LK_AS_OF_DATA) {
    absl::StatusOr<int64_t> latest = DefaultAsOfSeconds(given);
    if (!latest.ok() && !as_of_required) {
      latest = std::numeric_limits<int64_t>::max();
    }
    LEADKIT_ASSIGN_OR_RETURN(as_of, std::move(latest));
  }
  const std::span<const Columns* const> tables_read(columns);
  const Instant at(std::chrono::seconds(as_of.value_or(0)));
  State added = state;
  if constexpr (std::is_invocable_v<const Add&, State&,
                                    std::span<const Columns* const>, Instant,
                                    std::span<const uint8_t>>) {
    LEADKIT_RETURN_IF_ERROR(
        add(added, tables_read, at, std::span<const uint8_t>(include)));
  } else {
    for (const AddTable& t : tables) {
      if (t.scope != nullptr) {
        return absl::InternalError(
            absl::StrCat(t.name, ": this state's add takes no scope"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(add(added, tables_read, at));
  }
  state = std::move(added);
  return absl::OkStatus();
}

template <typename Handle>
lk_status MergeState(absl::string_view function, Handle* state,
                     const Handle* other) {
  return Guarded(function, [&]() -> absl::Status {
    if (state == nullptr) return NullArgument(function, "state");
    if (other == nullptr) return NullArgument(function, "other");
    if (state == other) {
      const auto copy = other->state;
      return state->state.Merge(copy);
    }
    return state->state.Merge(other->state);
  });
}

template <typename Handle>
lk_status SerializeState(absl::string_view function, const Handle* state,
                         uint8_t** bytes, size_t* size) {
  if (bytes != nullptr) *bytes = nullptr;
  if (size != nullptr) *size = 0;
  return Guarded(function, [&]() -> absl::Status {
    if (state == nullptr) return NullArgument(function, "state");
    if (bytes == nullptr) return NullArgument(function, "bytes");
    if (size == nullptr) return NullArgument(function, "size");
    const std::string saved = state->state.Serialize();
    *bytes = CopyBytesOut(saved);
    *size = saved.size();
    return absl::OkStatus();
  });
}

// `options` (as many as the state's Deserialize takes beside the bytes, such
// as AuditState's phone key) are passed on.
template <typename Handle, typename State, typename... Options>
lk_status DeserializeState(absl::string_view function, const uint8_t* bytes,
                           size_t size, Handle** state,
                           const Options&... options) {
  if (state != nullptr) *state = nullptr;
  return Guarded(function, [&]() -> absl::Status {
    if (state == nullptr) return NullArgument(function, "state");
    if (bytes == nullptr && size > 0) return NullArgument(function, "bytes");
    LEADKIT_ASSIGN_OR_RETURN(
        State loaded,
        State::Deserialize(
            absl::string_view(reinterpret_cast<const char*>(bytes),
                              bytes == nullptr ? 0 : size),
            options...));
    *state = new Handle{std::move(loaded)};
    return absl::OkStatus();
  });
}

// The leads columns a cadence's engines read (the KPI and backtest states, the
// schedule, the agenda, reclaim): each cadence's columns and policy fields
// (kCadenceLeadColumns), the lead fields named in
// `extra`, and the `by` columns (a lead field as its type, a derived key —
// grade, current_grade, month, week — not read, any other name as strings;
// region_id not read when `derived_region`: it comes from the dealers).
std::vector<ColumnSpec> CadenceLeadSpecs(
    std::span<const Cadence* const> cadences, const std::vector<std::string>& by,
    std::span<const std::string> extra = {}, bool derived_region = false);
// The touches' (at, method, grade_after) and surveys' (at, satisfied).
const std::vector<ColumnSpec>& CadenceTouchSpecs();
const std::vector<ColumnSpec>& KpiSurveySpecs();

// The `by_count` names of `by` (a NULL entry is InvalidArgument naming it).
inline absl::StatusOr<std::vector<std::string>> ByNames(
    absl::string_view function, const char* const* by, size_t by_count) {
  std::vector<std::string> names;
  if (by_count > 0 && by == nullptr) return NullArgument(function, "by");
  for (size_t i = 0; i < by_count; ++i) {
    if (by[i] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, ": by[", i, "] is NULL"));
    }
    names.emplace_back(by[i]);
  }
  return names;
}

// A column of a report's result: a count (int64) or a value (float64) of a
// row.
template <typename Row>
struct ResultColumn {
  std::string name;
  std::function<int64_t(const Row&)> count;  // int64, or
  std::function<double(const Row&)> value;   // float64, or
  std::function<std::optional<std::string>(const Row&)> text;  // utf8
};

// A report's groups as leadkit.h gives them: one batch, the key columns
// (utf8, null for a null key part: row.key[i]) named `keys` (none for rows
// without a key), then `columns`.
template <typename Row>
void ExportGroups(const std::vector<std::string>& keys,
                  const std::vector<Row>& rows,
                  std::span<const ResultColumn<Row>> columns,
                  ArrowArrayStream* result) {
  std::vector<ArrowArray> arrays;
  if constexpr (requires(const Row& r) { r.key; }) {
    for (size_t k = 0; k < keys.size(); ++k) {
      std::vector<std::optional<std::string>> values;
      values.reserve(rows.size());
      for (const Row& row : rows) values.push_back(row.key[k]);
      arrays.push_back(ExportOptionalStrings(values));
    }
  }
  std::vector<std::pair<std::string, std::string>> fields;  // name, format
  for (const ResultColumn<Row>& c : columns) {
    fields.emplace_back(c.name, c.count ? "l" : c.value ? "g" : "u");
    if (c.text) {
      std::vector<std::optional<std::string>> values;
      for (const Row& row : rows) values.push_back(c.text(row));
      arrays.push_back(ExportOptionalStrings(values));
    } else if (c.count) {
      std::vector<int64_t> values;
      for (const Row& row : rows) values.push_back(c.count(row));
      arrays.push_back(ExportInt64s(values));
    } else {
      std::vector<double> values;
      for (const Row& row : rows) values.push_back(c.value(row));
      arrays.push_back(ExportDoubles(values));
    }
  }
  std::vector<ArrowArray> batches;
  batches.push_back(
      ExportStruct(static_cast<int64_t>(rows.size()), std::move(arrays)));
  ExportStream(
      [keys, fields] {
        std::vector<ArrowSchema> schema;
        for (const std::string& key : keys) {
          schema.push_back(ExportSchema("u", key, ARROW_FLAG_NULLABLE));
        }
        for (const auto& [name, format] : fields) {
          schema.push_back(ExportSchema(
              format, name, format == "u" ? ARROW_FLAG_NULLABLE : 0));
        }
        return ExportSchema("+s", "", 0, std::move(schema));
      },
      std::move(batches), result);
}

// Finalize: `export_result(state->state, result)` writes the report's columns
// as an Arrow stream into `result` (released, or set released on an error).
template <typename Handle, typename Export>
lk_status FinalizeState(absl::string_view function, const Handle* state,
                        ArrowArrayStream* result, const Export& export_result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded(function, [&]() -> absl::Status {
    if (state == nullptr) return NullArgument(function, "state");
    if (result == nullptr) return NullArgument(function, "result");
    export_result(state->state, result);
    return absl::OkStatus();
  });
}

}  // namespace leadkit::c_api_internal

#endif  // LEADKIT_C_API_STATE_H_
