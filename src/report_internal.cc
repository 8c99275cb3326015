#include "report_internal.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "date/date.h"
#include "date/iso_week.h"
#include "leadkit/tz.h"

namespace leadkit::report_internal {

bool KeyLess(const GroupKey& a, const GroupKey& b,
             const std::vector<bool>& numeric) {
  for (size_t p = 0; p < a.size() && p < b.size(); ++p) {
    const auto& x = a[p];
    const auto& y = b[p];
    if (x == y) continue;
    if (!x) return false;  // null last
    if (!y) return true;
    if (p < numeric.size() && numeric[p] && x->size() != y->size()) {
      return x->size() < y->size();
    }
    return *x < *y;
  }
  return false;
}

int32_t Dictionary::Code(absl::string_view text) {
  const auto [it, fresh] =
      code_of_.try_emplace(text, static_cast<int32_t>(texts_.size()));
  if (fresh) texts_.emplace_back(text);
  return it->second;
}

std::vector<int32_t> Dictionary::Codes(std::span<const std::string> names) {
  std::vector<int32_t> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(Code(name));
  return out;
}

Period PeriodNamed(absl::string_view name) {
  if (name == "day") return Period::kDay;
  if (name == "week") return Period::kWeek;
  if (name == "month") return Period::kMonth;
  if (name == "hour") return Period::kHour;
  if (name == "weekday") return Period::kWeekday;
  return Period::kNone;
}

int64_t LocalClock::Local(int64_t seconds) {
  if (seconds < begin_ || seconds >= end_) {
    const TimeZone::Span span = zone_.SpanAt(seconds);
    begin_ = span.begin;
    end_ = span.end;
    offset_ = span.offset;
  }
  return seconds + offset_;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

int64_t LocalClock::PeriodOf(int64_t seconds, Period period) {
  const int64_t local = Local(seconds);
  const int64_t days = FloorDiv(local, 86400);
  switch (period) {
    case Period::kDay:
      return days;
    case Period::kHour:
      return FloorDiv(local, 3600) - days * 24;
    case Period::kWeekday:  // 1970-01-01 was a Thursday (ISO 4)
      return ((days + 3) % 7 + 7) % 7 + 1;
    case Period::kMonth: {
      const date::year_month_day ymd{date::sys_days{date::days(days)}};
      return static_cast<int>(ymd.year()) * 12 +
             static_cast<int>(unsigned(ymd.month())) - 1;
    }
    case Period::kWeek: {
      const iso_week::year_weeknum_weekday w{date::sys_days{date::days(days)}};
      return static_cast<int>(w.year()) * 100 +
             static_cast<int>(unsigned(w.weeknum()));
    }
    case Period::kNone:
      break;
  }
  return -1;
}

std::string LocalClock::Iso(int64_t seconds) {
  const int64_t offset = Local(seconds) - seconds;
  const date::local_seconds wall{std::chrono::seconds(seconds + offset)};
  const int64_t minutes = (offset < 0 ? -offset : offset) / 60;
  return absl::StrFormat("%s%c%02d:%02d", date::format("%FT%T", wall),
                         offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

std::string PeriodText(Period period, int64_t number) {
  switch (period) {
    case Period::kDay:
      return date::format("%F", date::sys_days{date::days(number)});
    case Period::kWeek:
      return absl::StrFormat("%04d-W%02d", number / 100, number % 100);
    case Period::kMonth:
      return absl::StrFormat("%04d-%02d", FloorDiv(number, 12),
                             number - FloorDiv(number, 12) * 12 + 1);
    case Period::kHour:
    case Period::kWeekday:
    case Period::kNone:
      break;
  }
  return absl::StrCat(number);
}

absl::StatusOr<TimeZone> Zone(absl::string_view name) {
  return FindZone(name);
}

absl::Status SameGrouping(absl::string_view what,
                          const std::vector<std::string>& by,
                          absl::string_view zone,
                          const std::vector<std::string>& other_by,
                          absl::string_view other_zone, bool zoned) {
  if (other_by == by && (!zoned || other_zone == zone)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      what, " states grouped differently cannot be merged (by ",
      absl::StrJoin(by, ", "), " in ", zone, "; by ",
      absl::StrJoin(other_by, ", "), " in ", other_zone, ")"));
}

// Scrubbed (ScrubText): a quoted value may be text someone typed.
std::string Quoted(absl::string_view value) {
  return absl::StrCat("'", ScrubText(value), "'");
}

std::string RowLabel(const Column* ids, absl::string_view id_name,
                     int64_t row) {
  if (ids == nullptr || ids->IsNull(row)) return absl::StrCat("row ", row);
  return absl::StrCat(id_name, "=", Quoted(ids->ViewAt(row)), " (row ", row,
                      ")");
}

namespace {

absl::StatusOr<const Column*> Typed(const Columns& columns,
                                    absl::string_view table,
                                    absl::string_view name, bool required,
                                    bool ok_code, bool ok_strings,
                                    bool ok_instant, absl::string_view wanted) {
  const Column* column = columns.Find(name);
  if (column == nullptr) {
    if (!required) return nullptr;
    return absl::InvalidArgumentError(
        absl::StrCat(table, ": missing required column \"", name, "\""));
  }
  const ColumnType type = column->type();
  const bool ok = !column->validity_only() &&
                  ((ok_code && type == ColumnType::kCode) ||
                   (ok_strings && type == ColumnType::kString) ||
                   (ok_instant && type == ColumnType::kInstant));
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        table, ".", name, ": expected ", wanted, ", got ",
        column->validity_only() ? "null flags only" : ColumnTypeName(type)));
  }
  return column;
}

}  // namespace

absl::StatusOr<const Column*> StringColumn(const Columns& columns,
                                           absl::string_view table,
                                           absl::string_view name,
                                           bool required) {
  return Typed(columns, table, name, required, true, true, false, "strings");
}

absl::StatusOr<const Column*> KeyColumn(const Columns& columns,
                                        absl::string_view table,
                                        absl::string_view name) {
  return Typed(columns, table, name, false, true, false, false,
               "string codes (a group key)");
}

absl::StatusOr<const Column*> InstantColumn(const Columns& columns,
                                            absl::string_view table,
                                            absl::string_view name,
                                            bool required) {
  return Typed(columns, table, name, required, false, false, true,
               "instants");
}

}  // namespace leadkit::report_internal
