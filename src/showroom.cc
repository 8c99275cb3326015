// The showroom engine (docs/kpis.md, "Showroom traffic"): visits counted per
// group and model asked about, into a mergeable state.
#include "leadkit/showroom.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lead_batch.h"
#include "leadkit/cadence.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "report_internal.h"
#include "state_bytes.h"

namespace leadkit {
namespace showroom_internal {
namespace {

using report_internal::Codes;
using report_internal::Period;

constexpr absl::string_view kMagic = "LKSHW1";
constexpr absl::string_view kWhat = "showroom state bytes";
constexpr absl::string_view kKeys[] = {"dealer_id", "consultant_id", "model",
                                       "hour",      "weekday",       "day"};

// One part of a group key: a visits column, or a local period of arrival.
struct KeyPart {
  const Column* column = nullptr;
  Period period = Period::kNone;
};

// What a thread counts: per key codes (the model's code last).
using Local = absl::flat_hash_map<Codes, ShowroomCounts>;

// The first bad visit row of each kind a chunk met (-1: none).
struct Bad {
  int64_t left_early = -1;
  int64_t unknown_lead = -1;
};

// A visit's lead: its row, -1 when the visit names none, -2 when it names one
// not in the leads.
constexpr int64_t kNoLead = -1;
constexpr int64_t kUnknownLead = -2;

// The leads a batch of visits names: per row whether it was won by as_of.
struct Leads {
  absl::flat_hash_map<absl::string_view, int64_t> row_of;
  std::vector<uint8_t> won;
};

absl::Status CheckBy(const std::vector<std::string>& by) {
  for (size_t i = 0; i < by.size(); ++i) {
    if (std::find(std::begin(kKeys), std::end(kKeys), by[i]) ==
        std::end(kKeys)) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: cannot group by '", by[i], "'; expected one of ",
                       absl::StrJoin(kKeys, ", ")));
    }
    if (std::find(by.begin(), by.begin() + static_cast<long>(i), by[i]) !=
        by.begin() + static_cast<long>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: a column is named twice ('", by[i], "')"));
    }
  }
  return absl::OkStatus();
}

bool UsesPeriod(const std::vector<std::string>& by) {
  return std::any_of(by.begin(), by.end(), [](const std::string& name) {
    return report_internal::PeriodNamed(name) != Period::kNone;
  });
}

// Reads the leads table: unique ids, known statuses, won by as_of.
absl::StatusOr<Leads> ReadLeads(const Columns& leads, Instant as_of) {
  using report_internal::Quoted;
  using report_internal::RowLabel;
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* ids,
      report_internal::StringColumn(leads, "leads", "lead_id", true));
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* status,
      report_internal::StringColumn(leads, "leads", "status"));
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* won_at,
      report_internal::InstantColumn(leads, "leads", "won_at"));
  const int64_t n = leads.num_rows();
  Leads out;
  out.row_of.reserve(static_cast<size_t>(n));
  out.won.assign(static_cast<size_t>(n), 0);
  for (int64_t r = 0; r < n; ++r) {
    if (ids->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads.lead_id: row ", r, " has no id (null)"));
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    if (!out.row_of.try_emplace(ids->ViewAt(r), r).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads.lead_id: ", Quoted(ids->ViewAt(r)),
                       " is given twice (row ", r, ")"));
    }
  }
  const std::span<const absl::string_view> statuses =
      FindLeadField("status")->values;
  for (int64_t r = 0; r < n; ++r) {
    if (status == nullptr || status->IsNull(r)) continue;  // null: open
    const absl::string_view value = status->ViewAt(r);
    if (std::find(statuses.begin(), statuses.end(), value) == statuses.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leads.status: ", RowLabel(ids, "lead_id", r), " has ",
          Quoted(value), "; expected one of ", absl::StrJoin(statuses, ", ")));
    }
    if (value != "won") continue;
    // Won by as_of: the cadence's rule (StatusAt), from the lead's won_at.
    LeadFacts lead;
    lead.status = LeadStatus::kWon;
    if (won_at != nullptr && !won_at->IsNull(r)) {
      lead.won_at = Instant(std::chrono::seconds(won_at->data<int64_t>()[r]));
    }
    out.won[static_cast<size_t>(r)] = StatusAt(lead, as_of) == LeadStatus::kWon;
  }
  return out;
}

// The visits' columns a count reads.
struct Visits {
  const Column* ids = nullptr;
  const Column* arrived = nullptr;
  const Column* left = nullptr;
  const Column* lead = nullptr;
  const Column* effective = nullptr;
  const Column* model = nullptr;
};

// Counts visit rows [begin, end) into `local`; the first bad rows into `bad`.
void CountRows(const Visits& v, const std::vector<KeyPart>& parts,
               const TimeZone& zone, const Leads* leads,
               const std::vector<int64_t>& lead_of_code,
               std::span<const uint8_t> include, int64_t as_of, int64_t begin,
               int64_t end, Local& local, Bad& bad) {
  report_internal::LocalClock clock(zone);
  Codes codes(parts.size() + 1);
  const int64_t* arrived = v.arrived->data<int64_t>();
  for (int64_t r = begin; r < end; ++r) {
    const int64_t at = arrived[r];
    // A departure after as_of is not known yet.
    const bool left = v.left != nullptr && !v.left->IsNull(r) &&
                      v.left->data<int64_t>()[r] <= as_of;
    const int64_t stay = left ? v.left->data<int64_t>()[r] - at : 0;
    if (stay < 0 && bad.left_early < 0) bad.left_early = r;
    const bool named = v.lead != nullptr && !v.lead->IsNull(r);
    int64_t lead = kNoLead;
    if (named && leads != nullptr) {
      if (!lead_of_code.empty()) {
        lead = lead_of_code[static_cast<size_t>(v.lead->data<int32_t>()[r])];
      } else {
        const auto it = leads->row_of.find(v.lead->ViewAt(r));
        lead = it == leads->row_of.end() ? kUnknownLead : it->second;
      }
      if (lead == kUnknownLead && bad.unknown_lead < 0) bad.unknown_lead = r;
    }
    if (at > as_of || (!include.empty() && include[r] == 0)) continue;
    for (size_t k = 0; k < parts.size(); ++k) {
      codes[k] = parts[k].period != Period::kNone
                     ? clock.PeriodOf(at, parts[k].period)
                     : report_internal::CodeAt(parts[k].column, r);
    }
    codes[parts.size()] = report_internal::CodeAt(v.model, r);
    ShowroomCounts& c = local[codes];
    ++c.visits;
    c.with_contact += named;
    c.effective += v.effective != nullptr && !v.effective->IsNull(r) &&
                   v.effective->data<uint8_t>()[r] != 0;
    c.stayed += left;
    c.stay_seconds += stay;
    c.won += lead >= 0 && leads->won[static_cast<size_t>(lead)] != 0;
  }
}

}  // namespace

// Every count of `c` into `total` (CountTotal: the state's counts add up
// within int64, so no sum of them overflows).
void Total(state_internal::CountTotal& total, const ShowroomCounts& c) {
  total.Add("visits", c.visits);
  total.Add("with_contact", c.with_contact);
  total.Add("effective", c.effective);
  total.Add("stayed", c.stayed);
  total.Add("stay_seconds", c.stay_seconds);
  total.Add("won", c.won);
}

}  // namespace showroom_internal

void ShowroomCounts::Merge(const ShowroomCounts& o) {
  visits += o.visits;
  with_contact += o.with_contact;
  effective += o.effective;
  stayed += o.stayed;
  stay_seconds += o.stay_seconds;
  won += o.won;
}

ShowroomState::ShowroomState(ShowroomOptions options)
    : options_(std::move(options)) {}

ShowroomCounts& ShowroomState::At(
    const std::vector<std::optional<std::string>>& key) {
  return groups_[key];
}

absl::Status ShowroomState::Add(const Columns& visits, const Columns* leads,
                                Instant as_of,
                                std::span<const uint8_t> include,
                                int threads) {
  namespace si = showroom_internal;
  using report_internal::RowLabel;
  LEADKIT_RETURN_IF_ERROR(si::CheckBy(options_.by));
  LEADKIT_ASSIGN_OR_RETURN(const TimeZone zone,
                           report_internal::Zone(options_.time_zone));
  const int64_t n = visits.num_rows();
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " visits"));
  }
  si::Visits v;
  LEADKIT_ASSIGN_OR_RETURN(
      v.ids,
      report_internal::StringColumn(visits, "visits", "visit_id", true));
  LEADKIT_ASSIGN_OR_RETURN(
      v.arrived,
      report_internal::InstantColumn(visits, "visits", "arrived_at", true));
  LEADKIT_ASSIGN_OR_RETURN(
      v.left, report_internal::InstantColumn(visits, "visits", "left_at"));
  LEADKIT_ASSIGN_OR_RETURN(
      v.lead, report_internal::StringColumn(visits, "visits", "lead_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      v.model, report_internal::KeyColumn(visits, "visits", "model"));
  v.effective = visits.Find("effective");
  if (v.effective != nullptr &&
      (v.effective->type() != ColumnType::kBool ||
       v.effective->validity_only())) {
    return absl::InvalidArgumentError(
        absl::StrCat("visits.effective: expected bools, got ",
                     ColumnTypeName(v.effective->type())));
  }
  std::vector<si::KeyPart> parts;
  for (const std::string& name : options_.by) {
    si::KeyPart part;
    part.period = report_internal::PeriodNamed(name);
    if (part.period == report_internal::Period::kNone) {
      LEADKIT_ASSIGN_OR_RETURN(part.column,
                               report_internal::KeyColumn(visits, "visits",
                                                          name));
    }
    parts.push_back(part);
  }
  if (visits.Find("dealer_id") == nullptr) {
    return absl::InvalidArgumentError(
        "visits: missing required column \"dealer_id\"");
  }

  // Ids present and unique, arrivals known: in the order the checks are
  // documented (docs/kpis.md), the first bad row of each.
  for (int64_t r = 0; r < n; ++r) {
    if (v.ids->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("visits.visit_id: row ", r, " has no id (null)"));
    }
  }
  {
    absl::flat_hash_set<absl::string_view> seen;
    seen.reserve(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) {
      if (!seen.insert(v.ids->ViewAt(r)).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "visits.visit_id: ", report_internal::Quoted(v.ids->ViewAt(r)),
            " is given twice (row ", r, ")"));
      }
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    if (v.arrived->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("visits.arrived_at: ", RowLabel(v.ids, "visit_id", r),
                       " has no time (null)"));
    }
  }
  std::optional<si::Leads> lead_table;
  std::vector<int64_t> lead_of_code;  // per code of visits.lead_id
  if (leads != nullptr) {
    LEADKIT_ASSIGN_OR_RETURN(lead_table, si::ReadLeads(*leads, as_of));
    if (v.lead != nullptr && v.lead->type() == ColumnType::kCode) {
      for (const std::string& id : v.lead->dictionary()) {
        const auto it = lead_table->row_of.find(id);
        lead_of_code.push_back(it == lead_table->row_of.end()
                                   ? si::kUnknownLead
                                   : it->second);
      }
    }
  }

  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  std::vector<si::Bad> bads(static_cast<size_t>(threads));
  const int64_t cut = as_of.time_since_epoch().count();
  const report_internal::ChunkGroups<ShowroomCounts> counted(
      n, threads, [&](int k, int64_t begin, int64_t end, si::Local& local) {
        si::CountRows(v, parts, zone, lead_table ? &*lead_table : nullptr,
                      lead_of_code, include, cut, begin, end, local,
                      bads[static_cast<size_t>(k)]);
      });
  // Chunks are in row order: the first chunk with a bad row has the first.
  for (const si::Bad& bad : bads) {
    if (bad.left_early < 0) continue;
    const int64_t r = bad.left_early;
    report_internal::LocalClock clock(zone);
    return absl::InvalidArgumentError(absl::StrCat(
        "visits.left_at: ", RowLabel(v.ids, "visit_id", r), " left at ",
        clock.Iso(v.left->data<int64_t>()[r]), ", before it arrived at ",
        clock.Iso(v.arrived->data<int64_t>()[r])));
  }
  for (const si::Bad& bad : bads) {
    if (bad.unknown_lead < 0) continue;
    const int64_t r = bad.unknown_lead;
    return absl::InvalidArgumentError(absl::StrCat(
        "visits.lead_id: ", RowLabel(v.ids, "visit_id", r), " has ",
        report_internal::Quoted(v.lead->ViewAt(r)), ", which is not in leads"));
  }

  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("showroom state");
  for (const auto& [key, counts] : groups_) si::Total(total, counts);
  counted.Each([&](const report_internal::Codes&, const ShowroomCounts& c) {
    si::Total(total, c);
  });
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the visits"));

  has_won_ |= leads != nullptr;
  // The last key part is the model.
  const auto text = [&](size_t p, int64_t code) -> std::string {
    if (p == parts.size()) {
      return v.model->dictionary()[static_cast<size_t>(code)];
    }
    if (parts[p].period != report_internal::Period::kNone) {
      return report_internal::PeriodText(parts[p].period, code);
    }
    return parts[p].column->dictionary()[static_cast<size_t>(code)];
  };
  report_internal::GroupKey key;
  counted.Each([&](const report_internal::Codes& codes,
                   const ShowroomCounts& counts) {
    report_internal::TextKey(codes, text, key);
    At(key).Merge(counts);
  });
  return absl::OkStatus();
}

absl::Status ShowroomState::Merge(const ShowroomState& other) {
  LEADKIT_RETURN_IF_ERROR(report_internal::SameGrouping(
      "showroom", options_.by, options_.time_zone, other.options_.by,
      other.options_.time_zone, showroom_internal::UsesPeriod(options_.by)));
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "showroom state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        showroom_internal::Total(total, entry.second);
      }));
  has_won_ |= other.has_won_;
  for (const auto& [key, counts] : other.groups_) At(key).Merge(counts);
  return absl::OkStatus();
}

std::string ShowroomState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.by.size()));
  for (const std::string& name : options_.by) PutString(out, name);
  PutString(out, options_.time_zone);
  PutInt(out, has_won_ ? 1 : 0);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto* entry : report_internal::Sorted(groups_)) {
    const auto& [key, counts] = *entry;
    state_internal::PutKey(out, key);
    const ShowroomCounts& c = counts;
    for (int64_t value : {c.visits, c.with_contact, c.effective, c.stayed,
                          c.stay_seconds, c.won}) {
      PutInt(out, value);
    }
  }
  return state_internal::Frame(showroom_internal::kMagic, out);
}

absl::StatusOr<ShowroomState> ShowroomState::Deserialize(
    absl::string_view bytes) {
  namespace si = showroom_internal;
  LEADKIT_ASSIGN_OR_RETURN(absl::string_view payload,
                           state_internal::Unframe(bytes, si::kMagic, si::kWhat));
  state_internal::Reader in(payload, si::kWhat);
  ShowroomOptions options;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t columns, in.Count());
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    options.by.push_back(std::move(name));
  }
  if (const absl::Status by_ok = si::CheckBy(options.by); !by_ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(si::kWhat, ": ", by_ok.message()));
  }
  LEADKIT_ASSIGN_OR_RETURN(options.time_zone, in.String());
  LEADKIT_ASSIGN_OR_RETURN(const int64_t has_won, in.Int());
  if (has_won != 0 && has_won != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(si::kWhat, ": a flag is ", has_won));
  }
  ShowroomState state(std::move(options));
  state.has_won_ = has_won == 1;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  state_internal::CountTotal total(si::kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    // The `by` parts and the model asked about.
    LEADKIT_ASSIGN_OR_RETURN(auto key, in.Key(columns + 1));
    ShowroomCounts c;
    for (int64_t* value : {&c.visits, &c.with_contact, &c.effective,
                           &c.stayed, &c.stay_seconds, &c.won}) {
      LEADKIT_ASSIGN_OR_RETURN(*value, in.Int());
    }
    // What counting visits gives: nothing negative, every count at most the
    // visits, a won visit one with a lead, and stay only of visits that
    // stayed.
    const bool possible =
        c.visits >= 0 && c.with_contact >= 0 && c.effective >= 0 &&
        c.stayed >= 0 && c.stay_seconds >= 0 && c.won >= 0 &&
        c.with_contact <= c.visits && c.effective <= c.visits &&
        c.stayed <= c.visits && c.won <= c.with_contact &&
        (c.stayed > 0 || c.stay_seconds == 0);
    if (!possible) {
      return absl::InvalidArgumentError(absl::StrCat(
          si::kWhat, ": counts that no visits could give: visits ", c.visits,
          ", with_contact ", c.with_contact, ", effective ", c.effective,
          ", stayed ", c.stayed, ", stay_seconds ", c.stay_seconds, ", won ",
          c.won));
    }
    if (state.groups_.contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(si::kWhat, ": a group is given twice"));
    }
    si::Total(total, c);
    state.At(key).Merge(c);
  }
  // No state counting visits holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<ShowroomRow> ShowroomState::Finalize(int top_models) const {
  const size_t parts = options_.by.size();
  struct Total {
    ShowroomRow row;
    ShowroomCounts counts;
    std::vector<std::pair<int64_t, std::string>> models;  // -visits, name
  };
  absl::flat_hash_map<std::vector<std::optional<std::string>>, Total> totals;
  if (parts == 0) totals.try_emplace(std::vector<std::optional<std::string>>{});  // one row
  for (const auto& [group_key, counts] : groups_) {
    std::vector<std::optional<std::string>> key(
        group_key.begin(), group_key.begin() + static_cast<long>(parts));
    Total& total = totals[key];
    total.counts.Merge(counts);
    if (group_key.back()) {
      total.models.emplace_back(-counts.visits, *group_key.back());
    }
  }
  std::vector<ShowroomRow> rows;
  rows.reserve(totals.size());
  for (auto& [key, total] : totals) {
    ShowroomRow& row = total.row;
    row.key = key;
    const ShowroomCounts& c = total.counts;
    using report_internal::Ratio;
    row.visits = c.visits;
    row.with_contact = c.with_contact;
    row.contact_share = Ratio(c.with_contact, c.visits);
    row.effective = c.effective;
    row.effective_share = Ratio(c.effective, c.visits);
    row.won = c.won;
    row.visit_to_deal_rate = Ratio(c.won, c.visits);
    row.avg_stay_minutes = Ratio(c.stay_seconds, c.stayed * 60.0);
    std::sort(total.models.begin(), total.models.end());
    std::vector<absl::string_view> best;
    for (const auto& [minus_visits, name] : total.models) {
      if (static_cast<int>(best.size()) >= top_models) break;
      best.push_back(name);
    }
    if (!best.empty()) row.top_models = absl::StrJoin(best, ";");
    rows.push_back(std::move(row));
  }
  std::vector<bool> numeric;
  for (const std::string& name : options_.by) {
    numeric.push_back(
        report_internal::IsNumericPeriod(report_internal::PeriodNamed(name)));
  }
  std::sort(rows.begin(), rows.end(),
            [&](const ShowroomRow& a, const ShowroomRow& b) {
              return report_internal::KeyLess(a.key, b.key, numeric);
            });
  return rows;
}

bool ShowroomState::operator==(const ShowroomState& other) const {
  if (!(options_ == other.options_) || has_won_ != other.has_won_ ||
      groups_.size() != other.groups_.size()) {
    return false;
  }
  for (const auto& [key, counts] : groups_) {
    const auto it = other.groups_.find(key);
    if (it == other.groups_.end() || !(it->second == counts)) {
      return false;
    }
  }
  return true;
}

}  // namespace leadkit
