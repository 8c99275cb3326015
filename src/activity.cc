// The activity engine (docs/kpis.md, "Consultants' activity"): touches and
// new leads counted per group, into a mergeable state.
#include "leadkit/activity.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lead_batch.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "report_internal.h"
#include "state_bytes.h"

namespace leadkit {
namespace activity_internal {
namespace {

using report_internal::Codes;
using report_internal::Period;
using report_internal::Quoted;
using report_internal::RowLabel;

constexpr absl::string_view kMagic = "LKACT1";
constexpr absl::string_view kWhat = "activity state bytes";
constexpr absl::string_view kKeys[] = {"consultant_id", "dealer_id", "day",
                                       "week", "month"};

// Where a key part comes from: the touch's consultant, the lead's dealer, a
// local period of the touch (or, for new leads, of the lead's receipt).
enum class Source { kConsultant, kDealer, kPeriod };

struct KeyPart {
  Source source = Source::kPeriod;
  Period period = Period::kNone;
};

// A group's touches while they are counted: per method code.
struct Tally {
  int64_t contacts = 0;
  std::vector<int64_t> by_method;
  int64_t leads_touched = 0;
};

absl::Status CheckBy(const std::vector<std::string>& by, bool with_leads) {
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
    if (by[i] == "dealer_id" && !with_leads) {
      return absl::InvalidArgumentError(
          "by: dealer_id needs the leads table (leads=): touches carry no "
          "dealer_id");
    }
  }
  return absl::OkStatus();
}

bool UsesPeriod(const std::vector<std::string>& by) {
  return std::any_of(by.begin(), by.end(), [](const std::string& name) {
    return report_internal::PeriodNamed(name) != Period::kNone;
  });
}

// The leads table as the report reads it.
struct Leads {
  const Column* ids = nullptr;
  const Column* created = nullptr;
  const Column* assigned = nullptr;
  const Column* dealer = nullptr;
  const Column* consultant = nullptr;
  absl::flat_hash_map<absl::string_view, int64_t> row_of;
};

absl::Status ReadLeads(const Columns& leads, Leads& out) {
  LEADKIT_ASSIGN_OR_RETURN(
      out.ids, report_internal::StringColumn(leads, "leads", "lead_id", true));
  LEADKIT_ASSIGN_OR_RETURN(
      out.created,
      report_internal::InstantColumn(leads, "leads", "created_at", true));
  LEADKIT_ASSIGN_OR_RETURN(
      out.assigned,
      report_internal::InstantColumn(leads, "leads", "assigned_at"));
  LEADKIT_ASSIGN_OR_RETURN(
      out.dealer, report_internal::KeyColumn(leads, "leads", "dealer_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      out.consultant,
      report_internal::KeyColumn(leads, "leads", "consultant_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* status,
      report_internal::StringColumn(leads, "leads", "status"));
  const int64_t n = leads.num_rows();
  for (int64_t r = 0; r < n; ++r) {
    if (out.ids->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads.lead_id: row ", r, " has no id (null)"));
    }
  }
  out.row_of.reserve(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    if (!out.row_of.try_emplace(out.ids->ViewAt(r), r).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads.lead_id: ", Quoted(out.ids->ViewAt(r)),
                       " is given twice (row ", r, ")"));
    }
  }
  const std::span<const absl::string_view> statuses =
      FindLeadField("status")->values;
  for (int64_t r = 0; status != nullptr && r < n; ++r) {
    if (status->IsNull(r)) continue;
    const absl::string_view value = status->ViewAt(r);
    if (std::find(statuses.begin(), statuses.end(), value) == statuses.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leads.status: ", RowLabel(out.ids, "lead_id", r), " has ",
          Quoted(value), "; expected one of ", absl::StrJoin(statuses, ", ")));
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    if (out.created->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads row ", r, ": lead_id \"", out.ids->ViewAt(r),
                       "\": created_at is null"));
    }
  }
  return absl::OkStatus();
}

// The touches' columns.
struct Touches {
  const Column* lead = nullptr;
  const Column* at = nullptr;
  const Column* method = nullptr;
  const Column* consultant = nullptr;
};

// The group key codes of a touch or a new lead; `at` the instant its periods
// are of.
void KeyCodes(const std::vector<KeyPart>& parts, const Column* consultant,
              int64_t consultant_row, const Column* dealer, int64_t dealer_row,
              int64_t at, report_internal::LocalClock& clock, Codes& codes) {
  for (size_t k = 0; k < parts.size(); ++k) {
    switch (parts[k].source) {
      case Source::kConsultant:
        codes[k] = report_internal::CodeAt(consultant, consultant_row);
        break;
      case Source::kDealer:
        codes[k] = dealer_row < 0 ? -1
                                  : report_internal::CodeAt(dealer, dealer_row);
        break;
      case Source::kPeriod:
        codes[k] = clock.PeriodOf(at, parts[k].period);
        break;
    }
  }
}

}  // namespace
}  // namespace activity_internal

void ActivityCounts::Merge(const ActivityCounts& o) {
  contacts += o.contacts;
  for (const auto& [method, n] : o.by_method) by_method[method] += n;
  leads_touched += o.leads_touched;
  new_leads += o.new_leads;
}

ActivityState::ActivityState(ActivityOptions options)
    : options_(std::move(options)) {}

std::vector<std::string> ActivityState::methods() const {
  std::vector<std::string> out(std::begin(kActivityMethods),
                               std::end(kActivityMethods));
  out.insert(out.end(), other_methods_.begin(), other_methods_.end());
  return out;
}

ActivityCounts& ActivityState::At(
    std::vector<std::optional<std::string>> key) {
  return groups_[std::move(key)];
}

absl::Status ActivityState::Add(const Columns& touches, const Columns* leads,
                                Instant as_of,
                                std::span<const uint8_t> include,
                                int threads) {
  namespace ai = activity_internal;
  using report_internal::Codes;
  using report_internal::Quoted;
  using report_internal::RowLabel;
  LEADKIT_RETURN_IF_ERROR(ai::CheckBy(options_.by, leads != nullptr));
  LEADKIT_ASSIGN_OR_RETURN(const date::time_zone* zone,
                           report_internal::Zone(options_.time_zone));
  if (!include.empty() &&
      (leads == nullptr ||
       static_cast<int64_t>(include.size()) != leads->num_rows())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ",
        leads == nullptr ? 0 : leads->num_rows(),
        " leads (a scope applies to the leads' dealers: it needs the leads)"));
  }
  ai::Touches t;
  LEADKIT_ASSIGN_OR_RETURN(
      t.lead,
      report_internal::StringColumn(touches, "touches", "lead_id", true));
  LEADKIT_ASSIGN_OR_RETURN(
      t.at, report_internal::InstantColumn(touches, "touches", "at", true));
  LEADKIT_ASSIGN_OR_RETURN(
      t.method, report_internal::KeyColumn(touches, "touches", "method"));
  if (t.method == nullptr) {
    return absl::InvalidArgumentError(
        "touches: missing required column \"method\"");
  }
  LEADKIT_ASSIGN_OR_RETURN(
      t.consultant,
      report_internal::KeyColumn(touches, "touches", "consultant_id"));
  std::vector<ai::KeyPart> parts;
  for (const std::string& name : options_.by) {
    ai::KeyPart part;
    part.period = report_internal::PeriodNamed(name);
    part.source = name == "consultant_id" ? ai::Source::kConsultant
                  : name == "dealer_id"   ? ai::Source::kDealer
                                          : ai::Source::kPeriod;
    parts.push_back(part);
  }

  // The touches' required values, then the leads: the first bad row of each
  // check, in the order the checks are documented.
  const int64_t m = touches.num_rows();
  for (int64_t r = 0; r < m; ++r) {
    if (t.lead->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("touches.lead_id: row ", r, " has no id (null)"));
    }
  }
  for (int64_t r = 0; r < m; ++r) {
    if (t.method->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("touches.method: ", RowLabel(t.lead, "lead_id", r),
                       " has no method (null)"));
    }
  }
  for (int64_t r = 0; r < m; ++r) {
    if (t.at->IsNull(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("touches.at: ", RowLabel(t.lead, "lead_id", r),
                       " has no time (null)"));
    }
  }
  ai::Leads l;
  if (leads != nullptr) LEADKIT_RETURN_IF_ERROR(ai::ReadLeads(*leads, l));
  const int64_t n = leads == nullptr ? 0 : leads->num_rows();
  const bool by_code = t.lead->type() == ColumnType::kCode;

  // Each touch's lead row (with the leads), and the methods seen.
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, 64));
  std::vector<int32_t> lead_of;
  std::vector<int64_t> lead_of_code;  // per code of touches.lead_id
  if (leads != nullptr) {
    lead_of.assign(static_cast<size_t>(m), -1);
    if (by_code) {
      for (const std::string& id : t.lead->dictionary()) {
        const auto it = l.row_of.find(id);
        lead_of_code.push_back(it == l.row_of.end() ? -1 : it->second);
      }
    }
  }
  const size_t num_methods = t.method->dictionary().size();
  std::vector<std::vector<uint8_t>> seen(static_cast<size_t>(threads));
  std::vector<int64_t> unknown(static_cast<size_t>(threads), -1);
  batch_internal::RunChunks(m, threads, [&](int k, int64_t begin,
                                              int64_t end) {
    std::vector<uint8_t>& used = seen[static_cast<size_t>(k)];
    used.assign(num_methods, 0);
    const int32_t* method = t.method->data<int32_t>();
    for (int64_t r = begin; r < end; ++r) {
      used[static_cast<size_t>(method[r])] = 1;
    }
    if (leads == nullptr) return;
    for (int64_t r = begin; r < end; ++r) {
      int64_t lead;
      if (by_code) {
        lead = lead_of_code[static_cast<size_t>(t.lead->data<int32_t>()[r])];
      } else {
        const auto it = l.row_of.find(t.lead->ViewAt(r));
        lead = it == l.row_of.end() ? -1 : it->second;
      }
      if (lead < 0) {
        unknown[static_cast<size_t>(k)] = r;
        return;
      }
      lead_of[static_cast<size_t>(r)] = static_cast<int32_t>(lead);
    }
  });
  for (const int64_t r : unknown) {
    if (r < 0) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("touches.lead_id: row ", r, " has ",
                     Quoted(t.lead->ViewAt(r)), ", which is not in leads"));
  }

  // Touches by as_of of leads in scope, each thread the groups of its share.
  const int64_t cut = as_of.time_since_epoch().count();
  std::vector<absl::flat_hash_map<Codes, ai::Tally>> touched(
      static_cast<size_t>(threads));
  std::vector<absl::flat_hash_map<Codes, int64_t>> received(
      static_cast<size_t>(threads));
  batch_internal::RunChunks(threads, threads, [&](int k, int64_t, int64_t) {
    auto& local = touched[static_cast<size_t>(k)];
    report_internal::LocalClock clock(zone);
    absl::flat_hash_set<Codes> distinct;
    distinct.reserve(static_cast<size_t>(m / threads));
    absl::flat_hash_map<absl::string_view, int64_t> interned;
    Codes codes(parts.size());
    Codes with_lead(parts.size() + 1);
    const int64_t* at = t.at->data<int64_t>();
    const int32_t* method = t.method->data<int32_t>();
    for (int64_t r = 0; r < m; ++r) {
      if (at[r] > cut) continue;  // not happened yet at as_of
      const int64_t lead = leads == nullptr ? -1 : lead_of[static_cast<size_t>(r)];
      if (lead >= 0 && !include.empty() && include[static_cast<size_t>(lead)] == 0)
        continue;
      ai::KeyCodes(parts, t.consultant, r, l.dealer, lead, at[r], clock,
                   codes);
      // Each thread counts the groups of its share: a group's touches, and
      // so its distinct leads, all in one thread.
      if (threads > 1 && absl::Hash<Codes>()(codes) %
                                 static_cast<uint64_t>(threads) !=
                             static_cast<uint64_t>(k)) {
        continue;
      }
      ai::Tally& tally = local[codes];
      if (tally.by_method.empty()) tally.by_method.assign(num_methods, 0);
      ++tally.contacts;
      ++tally.by_method[static_cast<size_t>(method[r])];
      // The lead, one number: its row, its id's code, or its id interned.
      int64_t who = lead;
      if (who < 0) {
        who = by_code ? t.lead->data<int32_t>()[r]
                      : interned
                            .try_emplace(t.lead->ViewAt(r),
                                         static_cast<int64_t>(interned.size()))
                            .first->second;
      }
      std::copy(codes.begin(), codes.end(), with_lead.begin());
      with_lead.back() = who;
      tally.leads_touched += distinct.insert(with_lead).second;
    }
  });
  if (leads != nullptr) {
    batch_internal::RunChunks(n, threads, [&](int k, int64_t begin,
                                                int64_t end) {
      auto& local = received[static_cast<size_t>(k)];
      report_internal::LocalClock clock(zone);
      Codes codes(parts.size());
      for (int64_t r = begin; r < end; ++r) {
        if (!include.empty() && include[static_cast<size_t>(r)] == 0) continue;
        const int64_t when = l.assigned != nullptr && !l.assigned->IsNull(r)
                                 ? l.assigned->data<int64_t>()[r]
                                 : l.created->data<int64_t>()[r];
        if (when > cut) continue;
        ai::KeyCodes(parts, l.consultant, r, l.dealer, r, when, clock, codes);
        ++local[codes];
      }
    });
  }

  // The threads' groups by their codes (the same dictionaries; the touches'
  // groups of two threads never meet), then into the state with keys as
  // text: each group converted once.
  for (size_t k = 1; k < touched.size(); ++k) {
    for (auto& [codes, tally] : touched[k]) {
      ai::Tally& into = touched[0][codes];
      if (into.by_method.empty()) into.by_method.assign(num_methods, 0);
      into.contacts += tally.contacts;
      into.leads_touched += tally.leads_touched;
      for (size_t c = 0; c < num_methods; ++c) {
        into.by_method[c] += tally.by_method[c];
      }
    }
    touched[k] = {};
  }
  for (size_t k = 1; k < received.size(); ++k) {
    for (const auto& [codes, count] : received[k]) received[0][codes] += count;
    received[k] = {};
  }
  for (const auto& used : seen) {
    for (size_t c = 0; c < used.size(); ++c) {
      const std::string& name = t.method->dictionary()[c];
      if (used[c] != 0 && std::find(std::begin(kActivityMethods),
                                    std::end(kActivityMethods),
                                    name) == std::end(kActivityMethods)) {
        other_methods_.insert(name);
      }
    }
  }
  has_new_leads_ |= leads != nullptr;
  // Period texts are formatted once per period, not once per group.
  std::vector<absl::flat_hash_map<int64_t, std::string>> period_texts(
      parts.size());
  const auto text = [&](const Codes& codes, const Column* consultant) {
    std::vector<std::optional<std::string>> key(parts.size());
    for (size_t p = 0; p < parts.size(); ++p) {
      if (codes[p] < 0) continue;
      const auto code = static_cast<size_t>(codes[p]);
      switch (parts[p].source) {
        case ai::Source::kConsultant:
          key[p] = consultant->dictionary()[code];
          break;
        case ai::Source::kDealer:
          key[p] = l.dealer->dictionary()[code];
          break;
        case ai::Source::kPeriod: {
          auto [it, fresh] = period_texts[p].try_emplace(codes[p]);
          if (fresh) {
            it->second = report_internal::PeriodText(parts[p].period, codes[p]);
          }
          key[p] = it->second;
          break;
        }
      }
    }
    return key;
  };
  groups_.reserve(groups_.size() + touched[0].size());
  for (const auto& [codes, tally] : touched[0]) {
    ActivityCounts& into = At(text(codes, t.consultant));
    into.contacts += tally.contacts;
    into.leads_touched += tally.leads_touched;
    for (size_t c = 0; c < tally.by_method.size(); ++c) {
      if (tally.by_method[c] != 0) {
        into.by_method[t.method->dictionary()[c]] += tally.by_method[c];
      }
    }
  }
  for (const auto& [codes, count] : received[0]) {
    At(text(codes, l.consultant)).new_leads += count;
  }
  return absl::OkStatus();
}

absl::Status ActivityState::Merge(const ActivityState& other) {
  const bool zoned = activity_internal::UsesPeriod(options_.by);
  if (other.options_.by != options_.by ||
      (zoned && other.options_.time_zone != options_.time_zone)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "activity states grouped differently cannot be merged (by ",
        absl::StrJoin(options_.by, ", "), " in ", options_.time_zone,
        "; by ", absl::StrJoin(other.options_.by, ", "), " in ",
        other.options_.time_zone, ")"));
  }
  has_new_leads_ |= other.has_new_leads_;
  other_methods_.insert(other.other_methods_.begin(),
                        other.other_methods_.end());
  for (const auto& [key, counts] : other.groups_) At(key).Merge(counts);
  return absl::OkStatus();
}

std::string ActivityState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.by.size()));
  for (const std::string& name : options_.by) PutString(out, name);
  PutString(out, options_.time_zone);
  PutInt(out, has_new_leads_ ? 1 : 0);
  PutInt(out, static_cast<int64_t>(other_methods_.size()));
  for (const std::string& method : other_methods_) PutString(out, method);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto* entry : report_internal::Sorted(groups_)) {
    const auto& [key, counts] = *entry;
    for (const auto& part : key) {
      PutInt(out, part ? 1 : 0);
      if (part) PutString(out, *part);
    }
    const ActivityCounts& c = counts;
    PutInt(out, c.contacts);
    PutInt(out, c.leads_touched);
    PutInt(out, c.new_leads);
    PutInt(out, static_cast<int64_t>(c.by_method.size()));
    for (const auto& [method, n] : c.by_method) {
      PutString(out, method);
      PutInt(out, n);
    }
  }
  return state_internal::Frame(activity_internal::kMagic, out);
}

absl::StatusOr<ActivityState> ActivityState::Deserialize(
    absl::string_view bytes) {
  namespace ai = activity_internal;
  LEADKIT_ASSIGN_OR_RETURN(absl::string_view payload,
                           state_internal::Unframe(bytes, ai::kMagic, ai::kWhat));
  state_internal::Reader in(payload, ai::kWhat);
  ActivityOptions options;
  options.by.clear();
  LEADKIT_ASSIGN_OR_RETURN(const int64_t columns, in.Count());
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    options.by.push_back(std::move(name));
  }
  LEADKIT_ASSIGN_OR_RETURN(options.time_zone, in.String());
  LEADKIT_ASSIGN_OR_RETURN(const int64_t has_new_leads, in.Int());
  if (has_new_leads != 0 && has_new_leads != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(ai::kWhat, ": a flag is ", has_new_leads));
  }
  ActivityState state(std::move(options));
  state.has_new_leads_ = has_new_leads == 1;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t methods, in.Count());
  for (int64_t i = 0; i < methods; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string method, in.String());
    state.other_methods_.insert(std::move(method));
  }
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  for (int64_t g = 0; g < groups; ++g) {
    std::vector<std::optional<std::string>> key;
    for (int64_t p = 0; p < columns; ++p) {
      LEADKIT_ASSIGN_OR_RETURN(const int64_t present, in.Int());
      if (present == 0) {
        key.emplace_back(std::nullopt);
        continue;
      }
      LEADKIT_ASSIGN_OR_RETURN(std::string part, in.String());
      key.emplace_back(std::move(part));
    }
    ActivityCounts c;
    LEADKIT_ASSIGN_OR_RETURN(c.contacts, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.leads_touched, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.new_leads, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(const int64_t entries, in.Count());
    for (int64_t e = 0; e < entries; ++e) {
      LEADKIT_ASSIGN_OR_RETURN(std::string method, in.String());
      LEADKIT_ASSIGN_OR_RETURN(c.by_method[std::move(method)], in.Int());
    }
    state.At(key).Merge(c);
  }
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<ActivityRow> ActivityState::Finalize() const {
  const std::vector<std::string> names = methods();
  absl::flat_hash_map<absl::string_view, size_t> column_of;
  for (size_t k = 0; k < names.size(); ++k) column_of[names[k]] = k;
  std::vector<ActivityRow> rows;
  rows.reserve(groups_.size());
  for (const auto* entry : report_internal::Sorted(groups_)) {
    const auto& [key, c] = *entry;
    ActivityRow& row = rows.emplace_back();
    row.key = key;
    row.contacts = c.contacts;
    row.leads_touched = c.leads_touched;
    row.new_leads = c.new_leads;
    row.contacts_by_method.assign(names.size(), 0);
    for (const auto& [method, n] : c.by_method) {
      row.contacts_by_method[column_of.at(method)] = n;
    }
  }
  if (rows.empty() && options_.by.empty()) {  // one row when not grouped
    rows.push_back(ActivityRow{
        .contacts_by_method = std::vector<int64_t>(names.size(), 0)});
  }
  return rows;
}

bool ActivityState::operator==(const ActivityState& other) const {
  if (!(options_ == other.options_) || has_new_leads_ != other.has_new_leads_ ||
      other_methods_ != other.other_methods_ ||
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
