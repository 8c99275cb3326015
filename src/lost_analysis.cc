// The lost-sales analysis (docs/kpis.md, `lost_analysis`): lost leads counted
// per group and reason into a mergeable state.
#include "leadkit/lost_analysis.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "breakdowns_internal.h"
#include "lead_batch.h"
#include "report_internal.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/tz.h"
#include "state_bytes.h"

namespace leadkit {
namespace lost_internal {
namespace {

using breakdowns_internal::Codes;

constexpr std::array<absl::string_view, 6> kKeys = {
    "month", "week", "dealer_id", "consultant_id", "channel", "model"};
constexpr absl::string_view kWhat = "lost analysis state bytes";
constexpr absl::string_view kMagic = "LKLST1";

enum class PartKind { kMonth, kWeek, kColumn };

struct Part {
  PartKind kind = PartKind::kColumn;
  const Column* column = nullptr;  // kColumn; nullptr: all null
};

absl::Status CheckBy(const std::vector<std::string>& by) {
  for (size_t i = 0; i < by.size(); ++i) {
    if (std::find(kKeys.begin(), kKeys.end(), by[i]) == kKeys.end()) {
      const std::string nearest = NearestName(by[i], kKeys);
      return absl::InvalidArgumentError(absl::StrCat(
          "by: cannot group by ", breakdowns_internal::Quoted(by[i]),
          nearest.empty() ? "" : absl::StrCat("; did you mean \"", nearest,
                                              "\"?")));
    }
    if (std::find(by.begin(), by.begin() + static_cast<int64_t>(i), by[i]) !=
        by.begin() + static_cast<int64_t>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: ", by[i], " is named twice"));
    }
  }
  return absl::OkStatus();
}

// Counts lead rows [begin, end) into `local`, keyed by their codes (the `by`
// parts, then the reason's code).
void AddRows(const breakdowns_internal::LeadColumns& leads,
             const std::vector<Part>& parts, const Column* reason,
             const TimeZone& zone, int64_t as_of,
             std::span<const uint8_t> include, int64_t begin, int64_t end,
             absl::flat_hash_map<Codes, LostCounts>& local) {
  breakdowns_internal::LocalDays days(zone);
  const Instant at{std::chrono::seconds(as_of)};
  LeadFacts facts;
  Codes codes(parts.size() + 1);
  for (int64_t row = begin; row < end; ++row) {
    if (!include.empty() && include[static_cast<size_t>(row)] == 0) continue;
    if (leads.Status(row) != LeadStatus::kLost || !leads.Exists(row, as_of) ||
        leads.StatusAt(row, at, facts) != LeadStatus::kLost) {
      continue;
    }
    for (size_t k = 0; k < parts.size(); ++k) {
      const Part& part = parts[k];
      if (part.kind == PartKind::kColumn) {
        codes[k] = part.column == nullptr || part.column->IsNull(row)
                       ? -1
                       : part.column->data<int32_t>()[row];
      } else if (leads.lost_at == nullptr || leads.lost_at->IsNull(row)) {
        codes[k] = -1;  // lost without a lost_at: a null period
      } else {
        const date::local_days day =
            days.Day(leads.lost_at->data<int64_t>()[row]);
        codes[k] = part.kind == PartKind::kMonth
                       ? breakdowns_internal::MonthCode(day)
                       : breakdowns_internal::WeekCode(day);
      }
    }
    codes[parts.size()] = reason == nullptr || reason->IsNull(row)
                              ? -1
                              : reason->data<int32_t>()[row];
    LostCounts& c = local[codes];
    ++c.lost;
    switch (leads.Review(row)) {
      case LostReview::kApproved:
        ++c.approved;
        break;
      case LostReview::kRejected:
        ++c.rejected;
        break;
      case LostReview::kPending:
        ++c.pending;
        break;
      case LostReview::kNone:
        ++c.review_null;
        break;
    }
  }
}

std::optional<std::string> PartText(const Part& part, int64_t code) {
  if (code < 0) return std::nullopt;
  switch (part.kind) {
    case PartKind::kMonth:
      return breakdowns_internal::MonthText(code);
    case PartKind::kWeek:
      return breakdowns_internal::WeekText(code);
    case PartKind::kColumn:
      return part.column->dictionary()[static_cast<size_t>(code)];
  }
  return std::nullopt;
}

}  // namespace

// Every count of `c` into `total` (CountTotal: the state's counts add up
// within int64, so no sum of them overflows).
void Total(state_internal::CountTotal& total, const LostCounts& c) {
  total.Add("lost", c.lost);
  total.Add("approved", c.approved);
  total.Add("rejected", c.rejected);
  total.Add("pending", c.pending);
  total.Add("review_null", c.review_null);
}

}  // namespace lost_internal

std::span<const absl::string_view> LostAnalysisKeys() {
  return lost_internal::kKeys;
}

void LostCounts::Merge(const LostCounts& o) {
  lost += o.lost;
  approved += o.approved;
  rejected += o.rejected;
  pending += o.pending;
  review_null += o.review_null;
}

LostAnalysisState::LostAnalysisState(LostAnalysisOptions options)
    : options_(std::move(options)) {}

LostCounts& LostAnalysisState::Group(
    const std::vector<std::optional<std::string>>& key) {
  auto [it, inserted] =
      groups_.try_emplace(breakdowns_internal::EncodeKey(key));
  if (inserted) it->second.first = key;
  return it->second.second;
}

absl::Status LostAnalysisState::Add(const Columns& leads, Instant as_of,
                                    std::span<const uint8_t> include,
                                    int threads) {
  using lost_internal::Part;
  using lost_internal::PartKind;
  LEADKIT_RETURN_IF_ERROR(lost_internal::CheckBy(options_.by));
  LEADKIT_ASSIGN_OR_RETURN(const TimeZone zone,
                           FindZone(options_.time_zone));
  const int64_t n = leads.num_rows();
  LEADKIT_RETURN_IF_ERROR(breakdowns_internal::CheckInclude(include, n));
  LEADKIT_ASSIGN_OR_RETURN(
      const breakdowns_internal::LeadColumns lead_columns,
      breakdowns_internal::ReadLeads(leads, false, threads));
  std::vector<Part> parts;
  for (const std::string& name : options_.by) {
    Part part;
    if (name == "month") {
      part.kind = PartKind::kMonth;
    } else if (name == "week") {
      part.kind = PartKind::kWeek;
    } else {
      LEADKIT_ASSIGN_OR_RETURN(part.column,
                               breakdowns_internal::KeyColumn(leads, name));
    }
    parts.push_back(part);
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* reason,
      breakdowns_internal::KeyColumn(leads, "lost_reason"));

  const int64_t at = as_of.time_since_epoch().count();
  const report_internal::ChunkGroups<LostCounts> counted(
      n, breakdowns_internal::Threads(threads, n),
      [&](int, int64_t begin, int64_t end, auto& groups) {
        lost_internal::AddRows(lead_columns, parts, reason, zone, at, include,
                               begin, end, groups);
      });
  // The last key part is the lost reason.
  const auto text = [&](size_t p, int64_t code) -> std::string {
    if (p == parts.size()) {
      return reason->dictionary()[static_cast<size_t>(code)];
    }
    return *lost_internal::PartText(parts[p], code);
  };
  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("lost analysis state");
  for (const auto& [encoded, group] : groups_) {
    lost_internal::Total(total, group.second);
  }
  counted.Each([&](const breakdowns_internal::Codes&, const LostCounts& c) {
    lost_internal::Total(total, c);
  });
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the leads"));
  report_internal::GroupKey key;
  counted.Each([&](const breakdowns_internal::Codes& codes,
                   const LostCounts& counts) {
    report_internal::TextKey(codes, text, key);
    Group(key).Merge(counts);
  });
  return absl::OkStatus();
}

absl::Status LostAnalysisState::Merge(const LostAnalysisState& other) {
  if (!(other.options_ == options_)) {
    return absl::FailedPreconditionError(
        "lost analysis states with different options (by, time zone) cannot "
        "be merged");
  }
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "lost analysis state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        lost_internal::Total(total, entry.second.second);
      }));
  for (const auto& [encoded, group] : other.groups_) {
    Group(group.first).Merge(group.second);
  }
  return absl::OkStatus();
}

std::string LostAnalysisState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.by.size()));
  for (const std::string& name : options_.by) PutString(out, name);
  PutString(out, options_.time_zone);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [encoded, group] : groups_) {
    state_internal::PutKey(out, group.first);
    const LostCounts& c = group.second;
    for (int64_t v :
         {c.lost, c.approved, c.rejected, c.pending, c.review_null}) {
      PutInt(out, v);
    }
  }
  return state_internal::Frame(lost_internal::kMagic, out);
}

absl::StatusOr<LostAnalysisState> LostAnalysisState::Deserialize(
    absl::string_view bytes) {
  using lost_internal::kWhat;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, lost_internal::kMagic, kWhat));
  state_internal::Reader in(payload, kWhat);
  LostAnalysisOptions options;
  options.by.clear();
  LEADKIT_ASSIGN_OR_RETURN(const int64_t columns, in.Count());
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    options.by.push_back(std::move(name));
  }
  const absl::Status by_ok = lost_internal::CheckBy(options.by);
  if (!by_ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": ", by_ok.message()));
  }
  LEADKIT_ASSIGN_OR_RETURN(options.time_zone, in.String());
  LostAnalysisState state(std::move(options));
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  state_internal::CountTotal total(kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    // The `by` parts and the lost reason.
    LEADKIT_ASSIGN_OR_RETURN(const auto key, in.Key(columns + 1));
    LostCounts c;
    LEADKIT_RETURN_IF_ERROR(in.Counts(
        {&c.lost, &c.approved, &c.rejected, &c.pending, &c.review_null}));
    // Each lost lead has one review state (approved, rejected, pending or
    // none).
    // Summed with overflow checks: counts near int64's end are damage, and a
    // sum past it cannot equal `lost`.
    int64_t reviews = 0;
    const bool overflow =
        __builtin_add_overflow(c.approved, c.rejected, &reviews) ||
        __builtin_add_overflow(reviews, c.pending, &reviews) ||
        __builtin_add_overflow(reviews, c.review_null, &reviews);
    if (overflow || reviews != c.lost) {
      return absl::InvalidArgumentError(absl::StrCat(
          kWhat, ": lost ", c.lost, " is not approved ", c.approved,
          " + rejected ", c.rejected, " + pending ", c.pending,
          " + review null ", c.review_null));
    }
    lost_internal::Total(total, c);
    state.Group(key).Merge(c);
  }
  // No state counting leads holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<LostAnalysisRow> LostAnalysisState::Finalize() const {
  std::vector<LostAnalysisRow> rows;
  rows.reserve(groups_.size());
  for (const auto& [encoded, group] : groups_) {
    rows.push_back({.key = group.first, .counts = group.second});
  }
  const auto no_rank = [](size_t, const std::string&) { return int64_t{0}; };
  std::sort(rows.begin(), rows.end(),
            [&](const LostAnalysisRow& a, const LostAnalysisRow& b) {
              return breakdowns_internal::KeyBefore(a.key, b.key, no_rank);
            });
  // Shares within each run of rows with the same `by` values (adjacent once
  // sorted).
  const size_t by = options_.by.size();
  const auto same_by = [by](const LostAnalysisRow& a,
                            const LostAnalysisRow& b) {
    return std::equal(a.key.begin(), a.key.begin() + static_cast<int64_t>(by),
                      b.key.begin());
  };
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    int64_t total = 0;
    while (j < rows.size() && same_by(rows[i], rows[j])) {
      total += rows[j++].counts.lost;
    }
    for (size_t k = i; k < j; ++k) {
      rows[k].share = Rate(rows[k].counts.lost, total);
    }
    i = j;
  }
  return rows;
}

bool LostAnalysisState::operator==(const LostAnalysisState& other) const {
  if (!(options_ == other.options_) || groups_.size() != other.groups_.size()) {
    return false;
  }
  for (const auto& [encoded, group] : groups_) {
    const auto it = other.groups_.find(encoded);
    if (it == other.groups_.end() || !(it->second.second == group.second)) {
      return false;
    }
  }
  return true;
}

}  // namespace leadkit
