// Follow-up effectiveness (docs/kpis.md): each counted lead's group from its
// touches by as_of, summed into a mergeable state. Leads and touches are read
// by the cadence's batch reader (lead_batch.h); "won by as_of" is StatusAt
// (cadence.h).
#include "leadkit/effectiveness.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lead_batch.h"
#include "leadkit/internal/status_macros.h"
#include "state_bytes.h"

namespace leadkit {
namespace effectiveness_internal {
namespace {

using batch_internal::LeadBatch;

constexpr absl::string_view kMagic = "LKEFF1";
constexpr absl::string_view kWhat = "effectiveness state bytes";
constexpr absl::string_view kUntouched = "none";  // the mix of no touch
// Between an action's method and content in its group name ("phone\x1foffer");
// an action without content is its method alone.
constexpr char kActionSeparator = '\x1f';
constexpr double kSecondsPerDay = 86400.0;
// Interval groups before the buckets.
constexpr int kNoTouch = 0;
constexpr int kSingleTouch = 1;
constexpr int kFirstBucket = 2;

// Bad rows stop the report: the error names the table and row (as the KPIs'
// do).
absl::Status RejectRow(absl::string_view table, int64_t row, absl::string_view,
                       std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, " row ", row, ": ", message));
}

// A bound as the labels and messages write it (%g; "nan" whatever its sign).
std::string Bound(double b) {
  if (std::isnan(b)) return "nan";
  return absl::StrFormat("%g", b);
}

// A bound in the fewest digits that read back as it (as Python's repr).
std::string Shortest(double b) {
  char text[32];
  const std::to_chars_result end = std::to_chars(text, text + sizeof text, b);
  return std::string(text, end.ptr);
}

// A method name that would spell a mix: "none", or one with "+" (or the
// control character that separates an action's method from its content).
bool Reserved(absl::string_view method) {
  return method == kUntouched || absl::StrContains(method, '+') ||
         absl::StrContains(method, kActionSeparator);
}

// Called by the reader once the leads' ids are known: a touch of a lead in
// scope whose method is reserved is an error naming the touch row. `methods`:
// the touches' own method column when the batch reads another in its place
// (the action view's), else nullptr.
batch_internal::WithIds CheckMethods(const Column* methods) {
  return [methods](const LeadBatch& batch,
                   std::span<const int32_t> touch_lead) -> absl::Status {
    const Column* method =
        methods != nullptr ? methods : batch.reader.method();
    const std::span<const std::string> names = method->dictionary();
    std::vector<uint8_t> reserved(names.size(), 0);
    bool any = false;
    for (size_t c = 0; c < names.size(); ++c) {
      reserved[c] = Reserved(names[c]);
      any |= reserved[c] != 0;
    }
    if (!any) return absl::OkStatus();  // the common case: nothing to look up
    const Column* ids = batch.reader.touch_ids();
    const int32_t* codes = method->data<int32_t>();
    for (int64_t t = 0; t < method->size(); ++t) {
      if (method->IsNull(t) || !reserved[static_cast<size_t>(codes[t])]) {
        continue;
      }
      if (touch_lead[static_cast<size_t>(t)] < 0) {
        continue;  // out of scope (an unknown lead was reported already)
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "touches row ", t, ": lead_id \"", ids->ViewAt(t), "\": method \"",
          method->StringAt(t),
          "\" cannot name a method (\"none\" and \"+\" spell method mixes)"));
    }
    return absl::OkStatus();
  };
}

// A method mix while leads are counted: a set of method names.
// Up to 64 distinct names, a set is a bit mask (bit i: the i-th name in
// alphabetical order); past that, the mix's name itself.
class Mixes {
 public:
  explicit Mixes(std::span<const std::string> dictionary) {
    std::vector<int32_t> order(dictionary.size());
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = static_cast<int32_t>(i);
    }
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return dictionary[static_cast<size_t>(a)] <
             dictionary[static_cast<size_t>(b)];
    });
    rank_.resize(dictionary.size());
    for (size_t place = 0; place < order.size(); ++place) {
      const std::string& name = dictionary[static_cast<size_t>(order[place])];
      // Codes of equal names share a rank: one method.
      if (names_.empty() || names_.back() != name) names_.push_back(name);
      rank_[static_cast<size_t>(order[place])] =
          static_cast<int32_t>(names_.size() - 1);
    }
  }

  bool narrow() const { return names_.size() <= 64; }
  int32_t Rank(int16_t code) const { return rank_[static_cast<size_t>(code)]; }
  // The number of distinct names, and the name of rank `rank`.
  size_t size() const { return names_.size(); }
  const std::string& name(int32_t rank) const {
    return names_[static_cast<size_t>(rank)];
  }

  // The mix of the ranks set in `mask`.
  std::string Name(uint64_t mask) const {
    if (mask == 0) return std::string(kUntouched);
    std::string out;
    for (; mask != 0; mask &= mask - 1) {
      if (!out.empty()) out.push_back('+');
      out += names_[static_cast<size_t>(std::countr_zero(mask))];
    }
    return out;
  }
  // The mix of `ranks` (sorted, distinct).
  std::string Name(std::span<const int32_t> ranks) const {
    if (ranks.empty()) return std::string(kUntouched);
    std::string out;
    for (const int32_t r : ranks) {
      if (!out.empty()) out.push_back('+');
      out += names_[static_cast<size_t>(r)];
    }
    return out;
  }

 private:
  std::vector<int32_t> rank_;      // per dictionary code
  std::vector<std::string> names_;  // distinct, sorted
};

// One thread's groups: by interval group, by method mask, or (more than 64
// methods) by mix name; by action rank, and the untouched leads, in the action
// view.
struct Local {
  std::vector<EffectivenessCounts> intervals;
  std::vector<EffectivenessCounts> actions;
  EffectivenessCounts untouched;
  absl::flat_hash_map<uint64_t, EffectivenessCounts> masks;
  absl::flat_hash_map<std::string, EffectivenessCounts> named;
};

// The interval group of a lead with `count` touches from `first` to `last`.
int IntervalGroup(int64_t count, int64_t first, int64_t last,
                  std::span<const double> bounds) {
  if (count == 0) return kNoTouch;
  if (count == 1) return kSingleTouch;
  const double days = static_cast<double>(last - first) /
                      static_cast<double>(count - 1) / kSecondsPerDay;
  // Closed below, open above: the bounds at or below `days` are passed.
  const auto passed = std::upper_bound(bounds.begin(), bounds.end(), days);
  return kFirstBucket + static_cast<int>(passed - bounds.begin());
}

// Counts lead rows [begin, end) of the batch into `local`.
void CountRows(const LeadBatch& batch, const EffectivenessOptions& options,
               const Mixes& mixes, Instant as_of, int64_t begin, int64_t end,
               Local& local) {
  const int64_t last_second = as_of.time_since_epoch().count();
  const bool by_mix = options.view == EffectivenessView::kMethodMix;
  const bool by_action = options.view == EffectivenessView::kAction;
  std::vector<int32_t> ranks;
  LeadFacts facts;
  for (int64_t row = begin; row < end; ++row) {
    const auto r = static_cast<size_t>(row);
    if (batch.rejected[r]) continue;  // out of scope
    facts = LeadFacts();
    batch.reader.Lead(row, facts);
    if (facts.created_at > as_of || facts.status == LeadStatus::kInvalid) {
      continue;
    }
    // The lead's touches in the touch order (TouchBefore): by time first, so
    // those by as_of come first.
    const batch_internal::GroupedTouch* touches = batch.touches.get();
    int64_t count = 0;
    uint64_t mask = 0;
    ranks.clear();
    for (int64_t k = batch.offsets[r]; k < batch.offsets[r + 1]; ++k) {
      const batch_internal::GroupedTouch& g = touches[k];
      if (g.at > last_second) break;
      ++count;
      if (by_action) {
        ranks.push_back(mixes.Rank(g.method));
        continue;
      }
      if (!by_mix) continue;
      const int32_t rank = mixes.Rank(g.method);
      if (mixes.narrow()) {
        mask |= uint64_t{1} << rank;
      } else {
        ranks.push_back(rank);
      }
    }
    const bool won = StatusAt(facts, as_of) == LeadStatus::kWon;
    if (by_action) {
      if (count == 0) {
        ++local.untouched.leads;
        local.untouched.won += won;
        continue;
      }
      // Once per action the lead received, with that action's touches.
      std::sort(ranks.begin(), ranks.end());
      for (size_t i = 0; i < ranks.size();) {
        size_t j = i;
        while (j < ranks.size() && ranks[j] == ranks[i]) ++j;
        EffectivenessCounts& c = local.actions[static_cast<size_t>(ranks[i])];
        ++c.leads;
        c.won += won;
        c.touches += static_cast<int64_t>(j - i);
        i = j;
      }
      continue;
    }
    EffectivenessCounts* counts;
    if (!by_mix) {
      const int64_t first = count > 0 ? touches[batch.offsets[r]].at : 0;
      const int64_t last =
          count > 0 ? touches[batch.offsets[r] + count - 1].at : 0;
      counts = &local.intervals[static_cast<size_t>(
          IntervalGroup(count, first, last, options.interval_buckets))];
    } else if (mixes.narrow()) {
      counts = &local.masks[mask];
    } else {
      std::sort(ranks.begin(), ranks.end());
      ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
      counts = &local.named[mixes.Name(ranks)];
    }
    ++counts->leads;
    counts->won += won;
    counts->touches += count;
  }
}

// The touches with their `method` column replaced by one naming each touch's
// action: "method\x1fcontent", or the method alone when the touch has no
// content. Equal strings under different codes name one action. `codes` and
// `names` hold the new column's data. InvalidArgument naming the row for a
// content that holds the separator, and for a `content` column of another
// type than strings.
absl::StatusOr<Columns> ActionTouches(const Columns& touches,
                                      std::vector<int32_t>& codes,
                                      std::vector<std::string>& names) {
  const Column* method = touches.Find("method");
  const Column* content = touches.Find("content");
  if (content != nullptr && content->type() != ColumnType::kCode) {
    return absl::InvalidArgumentError(absl::StrCat(
        "touches.content: expected strings (a content type such as "
        "\"offer\"), but the column holds ",
        content->validity_only() ? "only null flags"
                                 : ColumnTypeName(content->type())));
  }
  if (method == nullptr || method->type() != ColumnType::kCode) {
    return touches;  // the reader reports the method column
  }
  const int64_t n = touches.num_rows();
  codes.assign(static_cast<size_t>(n), -1);
  names.clear();
  absl::flat_hash_map<std::pair<int32_t, int32_t>, int32_t> by_codes;
  absl::flat_hash_map<std::string, int32_t> by_name;
  const int32_t* methods = method->data<int32_t>();
  const int32_t* contents =
      content != nullptr ? content->data<int32_t>() : nullptr;
  for (int64_t t = 0; t < n; ++t) {
    if (method->IsNull(t)) continue;
    const int32_t c =
        content != nullptr && !content->IsNull(t) ? contents[t] : -1;
    const auto [it, added] = by_codes.try_emplace({methods[t], c}, 0);
    if (added) {
      std::string name = method->StringAt(t);
      if (c >= 0) {
        const std::string& text = content->StringAt(t);
        if (absl::StrContains(text, kActionSeparator)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "touches row ", t,
              ": content holds the control character \\x1f, which cannot "
              "name a content type"));
        }
        absl::StrAppend(&name, std::string(1, kActionSeparator), text);
      }
      const auto [named, fresh] = by_name.try_emplace(
          name, static_cast<int32_t>(names.size()));
      if (fresh) names.push_back(std::move(name));
      it->second = named->second;
    }
    codes[static_cast<size_t>(t)] = it->second;
  }
  Columns out(n);
  for (const auto& [name, column] : touches.columns()) {
    if (name != "method") LEADKIT_RETURN_IF_ERROR(out.Add(name, column));
  }
  LEADKIT_RETURN_IF_ERROR(
      out.Add("method", Column::Codes(codes, names, method->validity())));
  return out;
}

}  // namespace
}  // namespace effectiveness_internal

absl::string_view EffectivenessViewName(EffectivenessView view) {
  switch (view) {
    case EffectivenessView::kMethodMix:
      return "method_mix";
    case EffectivenessView::kInterval:
      return "interval";
    case EffectivenessView::kAction:
      return "action";
  }
  return "unknown";
}

absl::Status ValidateEffectivenessOptions(const EffectivenessOptions& options) {
  using effectiveness_internal::Bound;
  using effectiveness_internal::Shortest;
  const std::vector<double>& bounds = options.interval_buckets;
  if (bounds.empty()) {
    return absl::InvalidArgumentError(
        "interval_buckets: expected at least one bound in days, got none");
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || bounds[i] <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("interval_buckets: ", Bound(bounds[i]),
                       " is not a positive number of days"));
    }
    if (i > 0 && bounds[i] <= bounds[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interval_buckets: bounds must increase, but ", Bound(bounds[i]),
          " follows ", Bound(bounds[i - 1])));
    }
    if (i > 0 && Bound(bounds[i]) == Bound(bounds[i - 1])) {
      // Their groups would be named alike.
      return absl::InvalidArgumentError(absl::StrCat(
          "interval_buckets: ", Shortest(bounds[i - 1]), " and ",
          Shortest(bounds[i]),
          " are the same bound to 6 significant digits (both \"",
          Bound(bounds[i]), "\")"));
    }
  }
  if (options.view != EffectivenessView::kMethodMix &&
      options.view != EffectivenessView::kInterval &&
      options.view != EffectivenessView::kAction) {
    return absl::InvalidArgumentError("view: not an effectiveness view");
  }
  return absl::OkStatus();
}

std::vector<std::string> IntervalLabels(std::span<const double> bounds) {
  using effectiveness_internal::Bound;
  std::vector<std::string> out = {"no_touch", "single_touch"};
  if (bounds.empty()) return out;
  out.push_back(absl::StrCat("<", Bound(bounds.front()), "d"));
  for (size_t i = 1; i < bounds.size(); ++i) {
    out.push_back(
        absl::StrCat(Bound(bounds[i - 1]), "-", Bound(bounds[i]), "d"));
  }
  out.push_back(absl::StrCat(Bound(bounds.back()), "d+"));
  return out;
}

EffectivenessState::EffectivenessState(EffectivenessOptions options)
    : options_(std::move(options)) {}

absl::Status EffectivenessState::Add(const Columns& leads,
                                     const Columns& touches, Instant as_of,
                                     std::span<const uint8_t> include,
                                     int threads) {
  namespace internal = effectiveness_internal;
  LEADKIT_RETURN_IF_ERROR(ValidateEffectivenessOptions(options_));
  const int64_t n = leads.num_rows();
  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " leads"));
  }
  // The action view reads each touch's action where the method stands.
  std::vector<int32_t> action_codes;
  std::vector<std::string> action_names;
  std::optional<Columns> actions;
  if (options_.view == EffectivenessView::kAction) {
    LEADKIT_ASSIGN_OR_RETURN(
        actions,
        internal::ActionTouches(touches, action_codes, action_names));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const batch_internal::LeadBatch batch,
      batch_internal::ReadLeadBatch(
          leads, actions.has_value() ? *actions : touches, as_of,
          internal::RejectRow, include, threads,
          internal::CheckMethods(actions.has_value() ? touches.Find("method")
                                                     : nullptr)));
  const internal::Mixes mixes(batch.reader.method()->dictionary());
  const std::vector<std::string> labels =
      IntervalLabels(options_.interval_buckets);

  // Rows split over threads, each into groups of its own; then added here (in
  // any order: counts add up).
  std::vector<internal::Local> locals(static_cast<size_t>(threads));
  for (internal::Local& local : locals) {
    local.intervals.resize(labels.size());
    local.actions.resize(mixes.size());
  }
  batch_internal::RunChunks(
      n, threads, [&](int k, int64_t begin, int64_t end) {
        internal::CountRows(batch, options_, mixes, as_of, begin, end,
                            locals[static_cast<size_t>(k)]);
      });
  const auto put = [&](std::string name, const EffectivenessCounts& counts) {
    if (counts.leads > 0) groups_[std::move(name)].Merge(counts);
  };
  for (const internal::Local& local : locals) {
    for (size_t g = 0; g < local.intervals.size(); ++g) {
      put(labels[g], local.intervals[g]);
    }
    for (const auto& [mask, counts] : local.masks) {
      put(mixes.Name(mask), counts);
    }
    for (const auto& [name, counts] : local.named) put(name, counts);
    for (size_t r = 0; r < local.actions.size(); ++r) {
      put(mixes.name(static_cast<int32_t>(r)), local.actions[r]);
    }
    put(std::string(internal::kUntouched), local.untouched);
  }
  return absl::OkStatus();
}

absl::Status EffectivenessState::Merge(const EffectivenessState& other) {
  if (other.options_.view != options_.view) {
    return absl::FailedPreconditionError(absl::StrCat(
        "effectiveness states: a ", EffectivenessViewName(other.options_.view),
        " state cannot merge with a ", EffectivenessViewName(options_.view),
        " state"));
  }
  if (other.options_.interval_buckets != options_.interval_buckets) {
    return absl::FailedPreconditionError(absl::StrCat(
        "effectiveness states: interval buckets [",
        absl::StrJoin(IntervalLabels(other.options_.interval_buckets), ", "),
        "] differ from [",
        absl::StrJoin(IntervalLabels(options_.interval_buckets), ", "), "]"));
  }
  for (const auto& [name, counts] : other.groups_) groups_[name].Merge(counts);
  return absl::OkStatus();
}

std::string EffectivenessState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.view));
  PutInt(out, static_cast<int64_t>(options_.interval_buckets.size()));
  for (const double b : options_.interval_buckets) {
    PutInt(out, std::bit_cast<int64_t>(b));  // the exact double
  }
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [name, c] : groups_) {
    PutString(out, name);
    PutInt(out, c.leads);
    PutInt(out, c.won);
    PutInt(out, c.touches);
  }
  return state_internal::Frame(effectiveness_internal::kMagic, out);
}

absl::StatusOr<EffectivenessState> EffectivenessState::Deserialize(
    absl::string_view bytes) {
  namespace internal = effectiveness_internal;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, internal::kMagic, internal::kWhat));
  state_internal::Reader in(payload, internal::kWhat);
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(internal::kWhat, ": ", what));
  };
  EffectivenessOptions options;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t view, in.Int());
  if (view != static_cast<int64_t>(EffectivenessView::kMethodMix) &&
      view != static_cast<int64_t>(EffectivenessView::kInterval) &&
      view != static_cast<int64_t>(EffectivenessView::kAction)) {
    return bad(absl::StrCat("unknown view ", view));
  }
  options.view = static_cast<EffectivenessView>(view);
  LEADKIT_ASSIGN_OR_RETURN(const int64_t bounds, in.Count());
  options.interval_buckets.clear();
  for (int64_t i = 0; i < bounds; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t bits, in.Int());
    options.interval_buckets.push_back(std::bit_cast<double>(bits));
  }
  if (const absl::Status s = ValidateEffectivenessOptions(options); !s.ok()) {
    return bad(s.message());
  }
  const std::vector<std::string> labels =
      IntervalLabels(options.interval_buckets);
  EffectivenessState state(std::move(options));
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  for (int64_t g = 0; g < groups; ++g) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    EffectivenessCounts c;
    LEADKIT_ASSIGN_OR_RETURN(c.leads, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.won, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.touches, in.Int());
    if (c.leads <= 0 || c.won < 0 || c.won > c.leads || c.touches < 0) {
      return bad(absl::StrCat("group \"", name, "\" has impossible counts"));
    }
    if (state.options_.view == EffectivenessView::kInterval &&
        std::find(labels.begin(), labels.end(), name) == labels.end()) {
      return bad(absl::StrCat("\"", name, "\" is not an interval group"));
    }
    if (!state.groups_.emplace(std::move(name), c).second) {
      return bad("a group is given twice");
    }
  }
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<EffectivenessRow> EffectivenessState::Finalize() const {
  std::vector<EffectivenessRow> rows;
  const auto row = [](const std::string& name, const EffectivenessCounts& c) {
    return EffectivenessRow{
        .group = name, .leads = c.leads, .won = c.won, .touches = c.touches};
  };
  if (options_.view == EffectivenessView::kMethodMix) {
    for (const auto& [name, counts] : groups_) {
      rows.push_back(row(name, counts));
    }
    return rows;
  }
  if (options_.view == EffectivenessView::kAction) {
    for (const auto& [name, counts] : groups_) {
      const size_t cut = name.find(effectiveness_internal::kActionSeparator);
      EffectivenessRow r = row(name.substr(0, cut), counts);
      if (cut != std::string::npos) r.content = name.substr(cut + 1);
      rows.push_back(std::move(r));
    }
    return rows;
  }
  for (const std::string& label : IntervalLabels(options_.interval_buckets)) {
    const auto it = groups_.find(label);
    rows.push_back(
        row(label, it == groups_.end() ? EffectivenessCounts() : it->second));
  }
  return rows;
}

}  // namespace leadkit
