// The activity engine (docs/kpis.md, "Consultants' activity"): touches and
// new leads counted per group, into a mergeable state.
#include "leadkit/activity.h"

#include <algorithm>
#include <limits>
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

constexpr absl::string_view kMagic = "LKACT2";
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
  batch_internal::IdIndex row_of;  // lead_id -> row
};

absl::Status ReadLeads(const Columns& leads, int threads, Leads& out) {
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
  const auto [again, first] =
      batch_internal::IndexIds(*out.ids, n, nullptr, threads, out.row_of);
  if (again >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("leads.lead_id: ", Quoted(out.ids->ViewAt(again)),
                     " is given twice (row ", again, ")"));
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

// The key parts of options' `by`, in order.
std::vector<KeyPart> PartsOf(const std::vector<std::string>& by) {
  std::vector<KeyPart> parts;
  for (const std::string& name : by) {
    parts.push_back(
        {.source = name == "consultant_id" ? Source::kConsultant
                   : name == "dealer_id"   ? Source::kDealer
                                           : Source::kPeriod,
         .period = report_internal::PeriodNamed(name)});
  }
  return parts;
}

// Where a batch's rows take their group keys from: the consultant and dealer
// columns with their codes mapped to the state's (per batch code).
struct KeySource {
  const Column* consultant = nullptr;
  std::vector<int32_t> consultant_code;
  const Column* dealer = nullptr;  // leads.dealer_id
  std::vector<int32_t> dealer_code;
};

// The state code of code column `column`'s row through `code` (per batch
// code), -1 for null or no row.
inline int64_t Mapped(const Column* column, const std::vector<int32_t>& code,
                      int64_t row) {
  if (row < 0) return -1;
  const int64_t c = report_internal::CodeAt(column, row);
  return c < 0 ? -1 : code[static_cast<size_t>(c)];
}

// The group key of a touch or a new lead (the state's codes); `at` the
// instant its periods are of.
template <typename Key>
void KeyOf(const std::vector<KeyPart>& parts, const KeySource& from,
           int64_t consultant_row, int64_t dealer_row, int64_t at,
           report_internal::LocalClock& clock, Key& key) {
  for (size_t k = 0; k < parts.size(); ++k) {
    switch (parts[k].source) {
      case Source::kConsultant:
        key[k] = Mapped(from.consultant, from.consultant_code, consultant_row);
        break;
      case Source::kDealer:
        key[k] = Mapped(from.dealer, from.dealer_code, dealer_row);
        break;
      case Source::kPeriod:
        key[k] = clock.PeriodOf(at, parts[k].period);
        break;
    }
  }
}

// Group numbers of keys, numbered in the order first seen: a grid over the
// keys' ranges where it is small (each part's value less its least, plus
// one, 0 for null, in mixed radix), else (and for a value out of range) a
// hash map. Most reports' keys (a few hundred consultants, a few hundred
// days) fit the grid: a key is found without hashing.
class GroupIndex {
 public:
  static constexpr int64_t kMaxCells = int64_t{1} << 22;

  // `low`, `high`: each part's least and greatest value.
  GroupIndex(const std::vector<int64_t>& low, const std::vector<int64_t>& high)
      : low_(low), high_(high) {
    int64_t cells = 1;
    for (size_t p = 0; p < low.size() && cells <= kMaxCells; ++p) {
      stride_.push_back(cells);
      cells *= std::max<int64_t>(high[p] - low[p] + 2, 1);
    }
    if (cells <= kMaxCells) cells_.assign(static_cast<size_t>(cells), -1);
  }

  // The group of `key`; `fresh` when it is new.
  uint32_t Find(const Codes& key, bool& fresh) {
    fresh = false;
    if (!cells_.empty()) {
      int64_t cell = 0;
      bool inside = true;
      for (size_t p = 0; p < key.size(); ++p) {
        if (key[p] < 0) continue;
        inside &= key[p] >= low_[p] && key[p] <= high_[p];
        cell += (key[p] - low_[p] + 1) * stride_[p];
      }
      if (inside) {
        int32_t& group = cells_[static_cast<size_t>(cell)];
        if (group < 0) {
          group = static_cast<int32_t>(size_++);
          fresh = true;
        }
        return static_cast<uint32_t>(group);
      }
    }
    const auto [it, added] = map_.try_emplace(key, size_);
    if (added) {
      ++size_;
      fresh = true;
    }
    return it->second;
  }

 private:
  std::vector<int64_t> low_, high_, stride_;
  std::vector<int32_t> cells_;  // per cell: its group, -1 for none yet
  absl::flat_hash_map<Codes, uint32_t> map_;
  uint32_t size_ = 0;
};

// Whether a period number read from bytes is one of years 1 to 9999.
bool PeriodInRange(Period period, int64_t n) {
  switch (period) {
    case Period::kDay:  // 0001-01-01 .. 9999-12-31
      return n >= -719162 && n <= 2932896;
    case Period::kWeek:
      return n / 100 >= 1 && n / 100 <= 9999 && n % 100 >= 1 && n % 100 <= 53;
    case Period::kMonth:
      return n >= 12 && n < 10000 * 12;
    default:
      return false;
  }
}

}  // namespace

// Every count of a group (ActivityState's Counts) into `total`, its contacts
// by method too (CountTotal: the state's counts add up within int64, so no
// sum of them overflows).
template <typename Counts>
void Total(state_internal::CountTotal& total, const Counts& c) {
  total.Add("contacts", c.contacts);
  total.Add("leads_touched", c.leads_touched);
  total.Add("new_leads", c.new_leads);
  for (const int64_t n : c.by_method) total.Add("contacts by method", n);
}

}  // namespace activity_internal

void ActivityState::Counts::Merge(const Counts& o,
                                  std::span<const int32_t> method_of) {
  contacts += o.contacts;
  leads_touched += o.leads_touched;
  new_leads += o.new_leads;
  for (size_t c = 0; c < o.by_method.size(); ++c) {
    if (o.by_method[c] == 0) continue;
    const auto into = static_cast<size_t>(method_of.empty() ? c : method_of[c]);
    if (by_method.size() <= into) by_method.resize(into + 1, 0);
    by_method[into] += o.by_method[c];
  }
}

ActivityState::ActivityState(ActivityOptions options)
    : options_(std::move(options)) {}

std::vector<std::string> ActivityState::methods() const {
  std::vector<std::string> out(std::begin(kActivityMethods),
                               std::end(kActivityMethods));
  out.insert(out.end(), other_methods_.begin(), other_methods_.end());
  return out;
}

std::string ActivityState::PartText(size_t part, int64_t code) const {
  const std::string& name = options_.by[part];
  if (name == "consultant_id" || name == "dealer_id") {
    return names_.Text(code);
  }
  return report_internal::PeriodText(report_internal::PeriodNamed(name), code);
}

std::vector<const std::pair<const ActivityState::Key, ActivityState::Counts>*>
ActivityState::SortedGroups() const {
  std::vector<const std::pair<const Key, Counts>*> entries;
  entries.reserve(groups_.size());
  std::vector<const Key*> keys;
  keys.reserve(groups_.size());
  for (const auto& entry : groups_) {
    entries.push_back(&entry);
    keys.push_back(&entry.first);
  }
  const std::vector<size_t> order = report_internal::TextOrder(
      keys, options_.by.size(),
      [&](size_t part, int64_t code) { return PartText(part, code); });
  std::vector<const std::pair<const Key, Counts>*> out;
  out.reserve(order.size());
  for (const size_t i : order) out.push_back(entries[i]);
  return out;
}

absl::Status ActivityState::Add(const Columns& touches, const Columns* leads,
                                Instant as_of,
                                std::span<const uint8_t> include,
                                int threads) {
  namespace ai = activity_internal;
  using report_internal::Quoted;
  using report_internal::RowLabel;
  LEADKIT_RETURN_IF_ERROR(ai::CheckBy(options_.by, leads != nullptr));
  LEADKIT_ASSIGN_OR_RETURN(const TimeZone zone,
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
  const std::vector<ai::KeyPart> parts = ai::PartsOf(options_.by);

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
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, 64));
  if (leads != nullptr) {
    if (leads->num_rows() >= std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a batch holds at most 2^31 - 1 leads; split it (got ",
          leads->num_rows(), ")"));
    }
    LEADKIT_RETURN_IF_ERROR(ai::ReadLeads(*leads, threads, l));
  }
  const int64_t n = leads == nullptr ? 0 : leads->num_rows();
  const bool by_code = t.lead->type() == ColumnType::kCode;

  // Each touch's lead row (with the leads), and the methods seen.
  std::vector<int32_t> lead_of;
  if (leads != nullptr) lead_of.assign(static_cast<size_t>(m), -1);
  const size_t num_methods = t.method->dictionary().size();
  std::vector<std::vector<uint8_t>> seen(static_cast<size_t>(threads));
  std::vector<int64_t> unknown(static_cast<size_t>(threads), -1);
  std::optional<batch_internal::LeadRows> rows_of;
  if (leads != nullptr) rows_of.emplace(l.row_of, *t.lead);
  batch_internal::RunChunks(m, threads, [&](int k, int64_t begin,
                                              int64_t end) {
    std::vector<uint8_t>& used = seen[static_cast<size_t>(k)];
    used.assign(num_methods, 0);
    const int32_t* method = t.method->data<int32_t>();
    for (int64_t r = begin; r < end; ++r) {
      used[static_cast<size_t>(method[r])] = 1;
    }
    if (leads == nullptr) return;
    rows_of->Walk(
        begin, end, [](int64_t) {},
        [&](int64_t r, batch_internal::IdIndex::Entry lead) {
          if (lead.row < 0) {
            unknown[static_cast<size_t>(k)] = r;
            return false;
          }
          lead_of[static_cast<size_t>(r)] = static_cast<int32_t>(lead.row);
          return true;
        });
  });
  for (const int64_t r : unknown) {
    if (r < 0) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("touches.lead_id: row ", r, " has ",
                     Quoted(t.lead->ViewAt(r)), ", which is not in leads"));
  }

  // The batch's codes as the state's.
  ai::KeySource touch_keys{.consultant = t.consultant, .dealer = l.dealer};
  ai::KeySource lead_keys{.consultant = l.consultant, .dealer = l.dealer};
  if (t.consultant != nullptr) {
    touch_keys.consultant_code = names_.Codes(t.consultant->dictionary());
  }
  if (l.consultant != nullptr) {
    lead_keys.consultant_code = names_.Codes(l.consultant->dictionary());
  }
  if (l.dealer != nullptr) {
    touch_keys.dealer_code = lead_keys.dealer_code =
        names_.Codes(l.dealer->dictionary());
  }
  const std::vector<int32_t> method_code =
      methods_.Codes(t.method->dictionary());
  const size_t state_methods = methods_.size();

  // Each key part's range in this batch: the state's names, the periods of
  // the batch's instants (a margin of two days either side covers any zone
  // offset's jumps).
  std::vector<int64_t> low(parts.size(), 0), high(parts.size(), -1);
  {
    int64_t first = std::numeric_limits<int64_t>::max();
    int64_t last = std::numeric_limits<int64_t>::min();
    const auto span = [&](const Column* c, int64_t rows) {
      if (c == nullptr) return;
      const int64_t* v = c->data<int64_t>();
      for (int64_t r = 0; r < rows; ++r) {
        if (c->IsNull(r)) continue;
        first = std::min(first, v[r]);
        last = std::max(last, v[r]);
      }
    };
    span(t.at, m);
    span(l.created, n);
    span(l.assigned, n);
    report_internal::LocalClock clock(zone);
    constexpr int64_t kMargin = 2 * 86400;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p].source != ai::Source::kPeriod) {
        high[p] = static_cast<int64_t>(names_.size()) - 1;
      } else if (first <= last) {
        low[p] = clock.PeriodOf(first - kMargin, parts[p].period);
        high[p] = clock.PeriodOf(last + kMargin, parts[p].period);
      }
    }
  }
  // Each lead's touches next to each other (as tables mostly come)? Then a
  // group's distinct leads are counted lead by lead, without a set of pairs.
  bool runs = false;
  if (leads != nullptr || by_code) {
    std::vector<uint8_t> started(
        leads != nullptr ? static_cast<size_t>(n) : t.lead->dictionary().size(),
        0);
    runs = true;
    for (int64_t r = 0; r < m && runs; ++r) {
      const int64_t who = leads != nullptr ? lead_of[static_cast<size_t>(r)]
                                           : t.lead->data<int32_t>()[r];
      const int64_t before =
          r == 0 ? -1
                 : (leads != nullptr ? lead_of[static_cast<size_t>(r - 1)]
                                     : t.lead->data<int32_t>()[r - 1]);
      if (who == before) continue;
      runs = started[static_cast<size_t>(who)] == 0;
      started[static_cast<size_t>(who)] = 1;
    }
  }

  // Touches by as_of of leads in scope. With threads, each counts the touches
  // of its share of the leads: a lead's touches, and so its distinct groups,
  // all in one thread, whose counts then add up.
  const int64_t cut = as_of.time_since_epoch().count();
  struct Local {
    std::vector<Key> keys;
    std::vector<Counts> counts;
  };
  std::vector<Local> locals(static_cast<size_t>(threads));
  batch_internal::RunChunks(threads, threads, [&](int k, int64_t, int64_t) {
    Local& local = locals[static_cast<size_t>(k)];
    ai::GroupIndex index(low, high);
    report_internal::LocalClock clock(zone);
    // Without runs: (group, lead) pairs counted, as group << 32 | lead, and
    // per group the lead last counted.
    absl::flat_hash_set<uint64_t> distinct;
    std::vector<int64_t> last;
    // With runs: the current lead's groups.
    int64_t current = -1;
    std::vector<uint32_t> groups_of_lead;
    absl::flat_hash_map<absl::string_view, int64_t> interned;
    const auto share = static_cast<uint64_t>(threads);
    Key key(parts.size()), previous;
    uint32_t group = 0;
    const int64_t* at = t.at->data<int64_t>();
    const int32_t* method = t.method->data<int32_t>();
    const int32_t* lead_code = by_code ? t.lead->data<int32_t>() : nullptr;
    for (int64_t r = 0; r < m; ++r) {
      if (at[r] > cut) continue;  // not happened yet at as_of
      // The lead, one number: its row, its id's code, or its id interned.
      int64_t who;
      if (leads != nullptr) {
        who = lead_of[static_cast<size_t>(r)];
        if (!include.empty() && include[static_cast<size_t>(who)] == 0) {
          continue;
        }
        if (threads > 1 && static_cast<uint64_t>(who) % share != uint64_t(k)) {
          continue;
        }
      } else if (by_code) {
        who = lead_code[r];
        if (threads > 1 && static_cast<uint64_t>(who) % share != uint64_t(k)) {
          continue;
        }
      } else {
        const absl::string_view id = t.lead->ViewAt(r);
        if (threads > 1 &&
            absl::Hash<absl::string_view>()(id) % share != uint64_t(k)) {
          continue;
        }
        who = interned.try_emplace(id, static_cast<int64_t>(interned.size()))
                  .first->second;
      }
      ai::KeyOf(parts, touch_keys, r, leads == nullptr ? -1 : who, at[r],
                clock, key);
      if (local.keys.empty() || key != previous) {
        bool fresh;
        group = index.Find(key, fresh);
        if (fresh) {
          local.keys.push_back(key);
          local.counts.emplace_back().by_method.assign(state_methods, 0);
          if (!runs) last.push_back(-1);
        }
        previous = key;
      }
      Counts& counts = local.counts[group];
      ++counts.contacts;
      ++counts.by_method[static_cast<size_t>(
          method_code[static_cast<size_t>(method[r])])];
      if (runs) {
        if (who != current) {
          current = who;
          groups_of_lead.clear();
        }
        if (std::find(groups_of_lead.begin(), groups_of_lead.end(), group) !=
            groups_of_lead.end()) {
          continue;
        }
        groups_of_lead.push_back(group);
        ++counts.leads_touched;
        continue;
      }
      if (last[group] == who) continue;  // counted just before
      last[group] = who;
      counts.leads_touched +=
          distinct.insert(uint64_t{group} << 32 | static_cast<uint32_t>(who))
              .second;
    }
  });
  // Leads received by as_of, rows split over threads.
  std::vector<Local> received(static_cast<size_t>(threads));
  if (leads != nullptr) {
    batch_internal::RunChunks(n, threads, [&](int k, int64_t begin,
                                                int64_t end) {
      Local& local = received[static_cast<size_t>(k)];
      ai::GroupIndex index(low, high);
      report_internal::LocalClock clock(zone);
      Key key(parts.size());
      for (int64_t r = begin; r < end; ++r) {
        if (!include.empty() && include[static_cast<size_t>(r)] == 0) continue;
        const int64_t when = l.assigned != nullptr && !l.assigned->IsNull(r)
                                 ? l.assigned->data<int64_t>()[r]
                                 : l.created->data<int64_t>()[r];
        if (when > cut) continue;
        ai::KeyOf(parts, lead_keys, r, r, when, clock, key);
        bool fresh;
        const uint32_t group = index.Find(key, fresh);
        if (fresh) {
          local.keys.push_back(key);
          local.counts.emplace_back();
        }
        ++local.counts[group].new_leads;
      }
    });
  }

  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("activity state");
  for (const auto& [key, counts] : groups_) {
    activity_internal::Total(total, counts);
  }
  for (const std::vector<Local>* all : {&locals, &received}) {
    for (const Local& local : *all) {
      for (const Counts& counts : local.counts) {
        activity_internal::Total(total, counts);
      }
    }
  }
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the touches"));

  // Into the state, still as numbers.
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
  for (std::vector<Local>* all : {&locals, &received}) {
    for (Local& local : *all) {
      groups_.reserve(groups_.size() + local.keys.size());
      for (size_t g = 0; g < local.keys.size(); ++g) {
        auto [it, fresh] = groups_.try_emplace(std::move(local.keys[g]));
        if (fresh) {
          it->second = std::move(local.counts[g]);
        } else {
          it->second.Merge(local.counts[g], {});
        }
      }
      local = Local();
    }
  }
  return absl::OkStatus();
}

absl::Status ActivityState::Merge(const ActivityState& other) {
  LEADKIT_RETURN_IF_ERROR(report_internal::SameGrouping(
      "activity", options_.by, options_.time_zone, other.options_.by,
      other.options_.time_zone, activity_internal::UsesPeriod(options_.by)));
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "activity state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        activity_internal::Total(total, entry.second);
      }));
  has_new_leads_ |= other.has_new_leads_;
  other_methods_.insert(other.other_methods_.begin(),
                        other.other_methods_.end());
  // The other's codes as this state's: its names and methods looked up here.
  const std::vector<int32_t> name_of = names_.Codes(other.names_.texts());
  const std::vector<int32_t> method_of = methods_.Codes(other.methods_.texts());
  const std::vector<activity_internal::KeyPart> parts =
      activity_internal::PartsOf(options_.by);
  Key key;
  for (const auto& [other_key, counts] : other.groups_) {
    key = other_key;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p].source != activity_internal::Source::kPeriod &&
          key[p] >= 0) {
        key[p] = name_of[static_cast<size_t>(key[p])];
      }
    }
    groups_[key].Merge(counts, method_of);
  }
  return absl::OkStatus();
}

// Groups in key order (their texts), each key part written as its text
// (consultant_id, dealer_id) or period number, method counts by method name:
// equal states give equal bytes, however their dictionaries are numbered.
std::string ActivityState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  const std::vector<activity_internal::KeyPart> parts =
      activity_internal::PartsOf(options_.by);
  // Method codes in name order.
  std::vector<int32_t> by_name(methods_.size());
  for (size_t c = 0; c < by_name.size(); ++c) {
    by_name[c] = static_cast<int32_t>(c);
  }
  std::sort(by_name.begin(), by_name.end(), [&](int32_t a, int32_t b) {
    return methods_.Text(a) < methods_.Text(b);
  });
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.by.size()));
  for (const std::string& name : options_.by) PutString(out, name);
  PutString(out, options_.time_zone);
  PutInt(out, has_new_leads_ ? 1 : 0);
  PutInt(out, static_cast<int64_t>(other_methods_.size()));
  for (const std::string& method : other_methods_) PutString(out, method);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto* entry : SortedGroups()) {
    const auto& [key, c] = *entry;
    for (size_t p = 0; p < parts.size(); ++p) {
      PutInt(out, key[p] >= 0 ? 1 : 0);
      if (key[p] < 0) continue;
      if (parts[p].source == activity_internal::Source::kPeriod) {
        PutInt(out, key[p]);
      } else {
        PutString(out, names_.Text(key[p]));
      }
    }
    PutInt(out, c.contacts);
    PutInt(out, c.leads_touched);
    PutInt(out, c.new_leads);
    int64_t entries = 0;
    for (const int64_t n : c.by_method) entries += n != 0;
    PutInt(out, entries);
    for (const int32_t code : by_name) {
      const auto k = static_cast<size_t>(code);
      if (k >= c.by_method.size() || c.by_method[k] == 0) continue;
      PutString(out, methods_.Text(code));
      PutInt(out, c.by_method[k]);
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
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(ai::kWhat, ": ", what));
  };
  ActivityOptions options;
  options.by.clear();
  LEADKIT_ASSIGN_OR_RETURN(const int64_t columns, in.Count());
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    options.by.push_back(std::move(name));
  }
  LEADKIT_RETURN_IF_ERROR(ai::CheckBy(options.by, /*with_leads=*/true));
  LEADKIT_ASSIGN_OR_RETURN(options.time_zone, in.String());
  LEADKIT_ASSIGN_OR_RETURN(const int64_t has_new_leads, in.Int());
  if (has_new_leads != 0 && has_new_leads != 1) {
    return bad(absl::StrCat("a flag is ", has_new_leads));
  }
  ActivityState state(std::move(options));
  const std::vector<ai::KeyPart> parts = ai::PartsOf(state.options_.by);
  state.has_new_leads_ = has_new_leads == 1;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t methods, in.Count());
  for (int64_t i = 0; i < methods; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string method, in.String());
    state.other_methods_.insert(std::move(method));
  }
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  state_internal::CountTotal total(ai::kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    Key key(parts.size(), -1);
    for (size_t p = 0; p < parts.size(); ++p) {
      LEADKIT_ASSIGN_OR_RETURN(const int64_t present, in.Int());
      if (present == 0) continue;
      if (present != 1) return bad(absl::StrCat("a flag is ", present));
      if (parts[p].source == ai::Source::kPeriod) {
        LEADKIT_ASSIGN_OR_RETURN(key[p], in.Int());
        // A key part below 0 stands for null: a day before 1970 cannot be
        // held (its bytes would restore as another group).
        if (!ai::PeriodInRange(parts[p].period, key[p]) || key[p] < 0) {
          return bad(absl::StrCat("period ", key[p], " is out of range"));
        }
      } else {
        LEADKIT_ASSIGN_OR_RETURN(const std::string part, in.String());
        key[p] = state.names_.Code(part);
      }
    }
    Counts c;
    LEADKIT_ASSIGN_OR_RETURN(c.contacts, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.leads_touched, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.new_leads, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(const int64_t entries, in.Count());
    int64_t by_methods = 0;
    for (int64_t e = 0; e < entries; ++e) {
      LEADKIT_ASSIGN_OR_RETURN(const std::string method, in.String());
      const auto code = static_cast<size_t>(state.methods_.Code(method));
      if (c.by_method.size() <= code) c.by_method.resize(code + 1, 0);
      LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Int());
      if (count < 0 || c.by_method[code] != 0) {
        return bad(absl::StrCat("method \"", method, "\" has ", count,
                                " contacts, negative or given twice"));
      }
      c.by_method[code] = count;
      // Summed with an overflow check: such counts are damage, and a sum
      // past int64 cannot equal `contacts`.
      if (__builtin_add_overflow(by_methods, count, &by_methods)) {
        return bad(absl::StrCat("the contacts by method add up to more than ",
                                std::numeric_limits<int64_t>::max()));
      }
    }
    // Each contact is of one method and touches at most one lead more.
    if (c.contacts < 0 || c.leads_touched < 0 || c.new_leads < 0 ||
        by_methods != c.contacts || c.leads_touched > c.contacts) {
      return bad(absl::StrCat("counts that no touches could give: contacts ",
                              c.contacts, " (by method ", by_methods,
                              "), leads_touched ", c.leads_touched,
                              ", new_leads ", c.new_leads));
    }
    if (state.groups_.contains(key)) return bad("a group is given twice");
    ai::Total(total, c);
    state.groups_[key].Merge(c, {});
  }
  // No state counting touches holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<ActivityRow> ActivityState::Finalize() const {
  const std::vector<std::string> names = methods();
  // Per method code of the state: its column.
  std::vector<size_t> column_of(methods_.size());
  for (size_t c = 0; c < methods_.size(); ++c) {
    column_of[c] = static_cast<size_t>(
        std::find(names.begin(), names.end(),
                  methods_.Text(static_cast<int64_t>(c))) -
        names.begin());
  }
  // Each part's texts written once per code.
  std::vector<absl::flat_hash_map<int64_t, std::string>> texts(
      options_.by.size());
  std::vector<ActivityRow> rows;
  rows.reserve(groups_.size());
  for (const auto* entry : SortedGroups()) {
    const auto& [key, c] = *entry;
    ActivityRow& row = rows.emplace_back();
    row.key.resize(key.size());
    for (size_t p = 0; p < key.size(); ++p) {
      if (key[p] < 0) continue;
      auto [it, fresh] = texts[p].try_emplace(key[p]);
      if (fresh) it->second = PartText(p, key[p]);
      row.key[p] = it->second;
    }
    row.contacts = c.contacts;
    row.leads_touched = c.leads_touched;
    row.new_leads = c.new_leads;
    row.contacts_by_method.assign(names.size(), 0);
    for (size_t m = 0; m < c.by_method.size(); ++m) {
      if (c.by_method[m] != 0 && column_of[m] < names.size()) {
        row.contacts_by_method[column_of[m]] += c.by_method[m];
      }
    }
  }
  if (rows.empty() && options_.by.empty()) {  // one row when not grouped
    rows.push_back(ActivityRow{
        .contacts_by_method = std::vector<int64_t>(names.size(), 0)});
  }
  return rows;
}

// Equal when they would write the same bytes: the same groups by their texts,
// however each state numbered its names.
bool ActivityState::operator==(const ActivityState& other) const {
  if (!(options_ == other.options_) || has_new_leads_ != other.has_new_leads_ ||
      other_methods_ != other.other_methods_ ||
      groups_.size() != other.groups_.size()) {
    return false;
  }
  return Serialize() == other.Serialize();
}

}  // namespace leadkit
