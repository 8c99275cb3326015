#include "breakdowns_internal.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "date/iso_week.h"
#include "date/date.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"
#include "lead_batch.h"

namespace leadkit::breakdowns_internal {
namespace {

// A column of the leads that must have `type` (or be absent): nullptr when
// absent, InvalidArgument for another type.
absl::StatusOr<const Column*> Typed(const Columns& leads,
                                    absl::string_view name, ColumnType type) {
  const Column* c = leads.Find(name);
  if (c == nullptr) return c;
  if (c->type() != type || c->validity_only()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads.", name, ": expected ", ColumnTypeName(type), " values, got ",
        c->validity_only() ? "only null flags" : ColumnTypeName(c->type())));
  }
  return c;
}

// Per dictionary code of `column`: the place of its text among the field's
// documented values (docs/data.md), -1 for none.
std::vector<int8_t> Places(const Column* column, absl::string_view field) {
  std::vector<int8_t> out;
  if (column == nullptr) return out;
  const std::span<const absl::string_view> values =
      FindLeadField(field)->values;
  for (const std::string& text : column->dictionary()) {
    const auto it = std::find(values.begin(), values.end(), text);
    out.push_back(it == values.end()
                      ? int8_t{-1}
                      : static_cast<int8_t>(it - values.begin()));
  }
  return out;
}

// An id that is null, or given twice: the first such row.
absl::Status CheckIds(const Column& ids, int64_t n, int threads) {
  const auto twice = [&](int64_t row) {
    return absl::InvalidArgumentError(
        absl::StrCat("leads.lead_id: ", Shown("lead_id", ids, row),
                     " is given twice (row ", row, ")"));
  };
  for (int64_t row = 0; row < n; ++row) {
    if (ids.IsNull(row)) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads.lead_id: row ", row, " has no id (null)"));
    }
  }
  if (ids.type() == ColumnType::kCode) {
    // A dictionary's codes stand for its texts: compared as codes.
    std::vector<uint8_t> seen(ids.dictionary().size(), 0);
    for (int64_t row = 0; row < n; ++row) {
      if (std::exchange(seen[static_cast<size_t>(ids.data<int32_t>()[row])],
                        1) != 0) {
        return twice(row);
      }
    }
    return absl::OkStatus();
  }
  // Strings: hashed on the threads, then one index per part of the hashes
  // (a repeated id falls in one part), the parts filled side by side.
  using batch_internal::IdIndex;
  threads = Threads(threads, n);
  std::vector<uint64_t> hashes(static_cast<size_t>(n));
  batch_internal::RunChunks(n, threads, [&](int, int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      hashes[static_cast<size_t>(row)] = IdIndex::HashOf(ids.ViewAt(row));
    }
  });
  const auto part_of = [threads](uint64_t hash) {
    return static_cast<int>(((hash >> 32) * static_cast<uint64_t>(threads)) >>
                            32);
  };
  std::vector<int64_t> first(static_cast<size_t>(threads), n);
  batch_internal::RunChunks(
      threads, threads, [&](int, int64_t begin, int64_t end) {
        for (int64_t part = begin; part < end; ++part) {
          int64_t count = 0;
          for (const uint64_t hash : hashes) count += part_of(hash) == part;
          IdIndex index;
          index.Reset(count, &ids);
          // Slots requested this many rows before they are read.
          constexpr int64_t kAhead = 16;
          for (int64_t row = 0; row < n; ++row) {
            if (row + kAhead < n) {
              const uint64_t later = hashes[static_cast<size_t>(row + kAhead)];
              if (part_of(later) == part) index.Prefetch(later);
            }
            const uint64_t hash = hashes[static_cast<size_t>(row)];
            if (part_of(hash) != part) continue;
            if (index.Insert(ids.ViewAt(row), hash, row, 0) >= 0) {
              first[static_cast<size_t>(part)] = row;
              break;
            }
          }
        }
      });
  const int64_t row = *std::min_element(first.begin(), first.end());
  return row < n ? twice(row) : absl::OkStatus();
}

absl::Status Unknown(const LeadColumns& leads, const Column& column,
                     absl::string_view field, int64_t row) {
  return absl::InvalidArgumentError(absl::StrCat(
      "leads.", field, ": ", leads.RowName(row), " has ",
      Shown(field, column, row), "; expected one of ",
      absl::StrJoin(FindLeadField(field)->values, ", ")));
}

}  // namespace

// Scrubbed (ScrubText): a quoted value may be text someone typed.
std::string Quoted(absl::string_view text) {
  std::string out = "'";
  for (const char c : ScrubText(text)) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string FloatText(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string out(buffer, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

std::string Shown(absl::string_view field, const Column& column, int64_t row) {
  return Quoted(MaskValue(field, column.ViewAt(row)));
}

std::string LeadColumns::RowName(int64_t row) const {
  return absl::StrCat("lead_id=", Shown("lead_id", *ids, row), " (row ", row,
                      ")");
}

absl::StatusOr<LeadColumns> ReadLeads(const Columns& leads,
                                      bool created_required, int threads) {
  LeadColumns out;
  out.ids = leads.Find("lead_id");
  if (out.ids == nullptr) {
    return absl::InvalidArgumentError(
        "leads: missing required column \"lead_id\"");
  }
  // A column of null flags alone has no ids to read.
  if ((out.ids->type() != ColumnType::kCode &&
       out.ids->type() != ColumnType::kString) ||
      out.ids->validity_only()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads.lead_id: expected strings, got ",
        out.ids->validity_only() ? "only null flags"
                                 : ColumnTypeName(out.ids->type())));
  }
  constexpr ColumnType kTime = ColumnType::kInstant;
  LEADKIT_ASSIGN_OR_RETURN(out.created, Typed(leads, "created_at", kTime));
  if (out.created == nullptr && created_required) {
    return absl::InvalidArgumentError(
        "leads: missing required column \"created_at\"");
  }
  LEADKIT_ASSIGN_OR_RETURN(out.won_at, Typed(leads, "won_at", kTime));
  LEADKIT_ASSIGN_OR_RETURN(out.lost_at, Typed(leads, "lost_at", kTime));
  LEADKIT_ASSIGN_OR_RETURN(out.status,
                           Typed(leads, "status", ColumnType::kCode));
  LEADKIT_ASSIGN_OR_RETURN(out.review,
                           Typed(leads, "lost_review", ColumnType::kCode));
  // LeadStatus follows the catalogue's order; LostReview has kNone first.
  out.status_of = Places(out.status, "status");
  out.review_of = Places(out.review, "lost_review");
  for (int8_t& place : out.review_of) {
    if (place >= 0) ++place;
  }

  LEADKIT_RETURN_IF_ERROR(CheckIds(*out.ids, leads.num_rows(), threads));
  const Column& ids = *out.ids;
  const int64_t n = leads.num_rows();
  // Values: the first bad row, column by column.
  for (int64_t row = 0; row < n; ++row) {
    if (out.status != nullptr && !out.status->IsNull(row) &&
        out.status_of[static_cast<size_t>(
            out.status->data<int32_t>()[row])] < 0) {
      return Unknown(out, *out.status, "status", row);
    }
  }
  for (int64_t row = 0; row < n; ++row) {
    if (out.review != nullptr && !out.review->IsNull(row) &&
        out.review_of[static_cast<size_t>(
            out.review->data<int32_t>()[row])] < 0) {
      return Unknown(out, *out.review, "lost_review", row);
    }
  }
  if (out.created != nullptr) {
    for (int64_t row = 0; row < n; ++row) {
      if (out.created->IsNull(row)) {
        return absl::InvalidArgumentError(
            absl::StrCat("leads row ", row, ": lead_id \"",
                         MaskValue("lead_id", ids.ViewAt(row)),
                         "\": created_at is null"));
      }
    }
  }
  return out;
}

absl::StatusOr<const Column*> KeyColumn(const Columns& leads,
                                        absl::string_view name) {
  const Column* c = leads.Find(name);
  if (c != nullptr &&
      (c->type() != ColumnType::kCode || c->validity_only())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads.", name, ": a group key column holds strings, not ",
        c->validity_only() ? "only null flags" : ColumnTypeName(c->type())));
  }
  return c;
}

int64_t MonthCode(date::local_days day) {
  const date::year_month_day ymd{day};
  return static_cast<int>(ymd.year()) * 12 +
         static_cast<int>(unsigned(ymd.month())) - 1;
}

int64_t WeekCode(date::local_days day) {
  const iso_week::year_weeknum_weekday w{day};
  return static_cast<int>(w.year()) * 100 +
         static_cast<int>(unsigned(w.weeknum()));
}

std::string MonthText(int64_t code) {
  // Floor division: months before year 0 stay in their year.
  const int64_t year = code >= 0 ? code / 12 : -((-code + 11) / 12);
  return absl::StrFormat("%04d-%02d", year, code - year * 12 + 1);
}

std::string WeekText(int64_t code) {
  return absl::StrFormat("%04d-W%02d", code / 100, code % 100);
}

date::local_days LocalDays::Day(int64_t seconds) {
  if (seconds < begin_ || seconds >= end_) {
    const TimeZone::Span span = zone_.SpanAt(seconds);
    begin_ = span.begin;
    end_ = span.end;
    offset_ = span.offset;
  }
  return date::floor<date::days>(
      date::local_seconds(std::chrono::seconds(seconds + offset_)));
}

std::string EncodeKey(std::span<const std::optional<std::string>> key) {
  std::string out;
  for (const auto& part : key) {
    if (part) {
      absl::StrAppend(&out, "S", part->size(), ":", *part);
    } else {
      out += "N";
    }
  }
  return out;
}

int Threads(int threads, int64_t rows) {
  return static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(rows, 1)));
}

absl::Status CheckInclude(std::span<const uint8_t> include, int64_t rows) {
  if (include.empty() || static_cast<int64_t>(include.size()) == rows) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "include holds ", include.size(), " flags for ", rows, " leads"));
}

}  // namespace leadkit::breakdowns_internal
