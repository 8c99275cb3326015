// Follow-up effectiveness (docs/kpis.md): each counted lead's group from its
// touches by as_of, summed into a mergeable state. Leads and touches are read
// by the cadence's batch reader (lead_batch.h); "won by as_of" is StatusAt
// (cadence.h). Next to the playbook, each touch's recommended action is the
// playbook's (PlaybookFor, playbook.h) for the task the touch answered.
#include "leadkit/effectiveness.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lead_batch.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/playbook.h"
#include "state_bytes.h"

namespace leadkit {
namespace effectiveness_internal {
namespace {

using batch_internal::LeadBatch;

constexpr absl::string_view kMagic = "LKEFF2";
// The bytes of states before the playbook counts (no flag, three counts).
constexpr absl::string_view kMagicBefore = "LKEFF1";
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
  // The rank of `name`; -1 when no code names it.
  int32_t Find(const std::string& name) const {
    const auto it = std::lower_bound(names_.begin(), names_.end(), name);
    return it != names_.end() && *it == name
               ? static_cast<int32_t>(it - names_.begin())
               : -1;
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

// Where the action view compares touches with the playbook (null: it does
// not): the policy and the leads whose columns its rules read, and per
// playbook rule its action's group name and the action ranks (Mixes) taken as
// recommended: its method and content, and its method alone (-1: no touch
// used it).
struct Advice {
  const Policy* policy = nullptr;
  const Columns* leads = nullptr;
  std::vector<std::string> names;
  std::vector<int32_t> exact, method_only;

  bool Followed(int32_t rule, int32_t rank) const {
    const auto r = static_cast<size_t>(rule);
    return rank == exact[r] || rank == method_only[r];
  }
};

// One thread's groups: by interval group, by method mask, or (more than 64
// methods) by mix name; by action rank, the untouched leads and the touches
// each playbook rule recommended for, in the action view.
struct Local {
  std::vector<EffectivenessCounts> intervals;
  std::vector<EffectivenessCounts> actions;
  EffectivenessCounts untouched;
  absl::flat_hash_map<uint64_t, EffectivenessCounts> masks;
  absl::flat_hash_map<std::string, EffectivenessCounts> named;
  std::vector<int64_t> recommended;  // per playbook rule
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

// A counted lead of a block: its row, its touches by as_of
// (batch.touches[first, first + count)), whether it was won by as_of and its
// grade at creation (-1 without a policy).
struct Counted {
  int64_t row;
  int64_t first;
  int64_t count;
  bool won;
  int grade;
};

// Leads counted per block: bounds the per-touch playbook view.
constexpr int64_t kLeadBlock = 1024;

// Counts a lead of the action view: once per action it received, with that
// action's touches. `rules`: the playbook rule of each of its touches, when
// they are compared with the playbook.
void CountActions(const LeadBatch& batch, const Mixes& mixes,
                  const Advice* advice, const Counted& lead,
                  std::span<const int32_t> rules, std::vector<int32_t>& ranks,
                  std::vector<uint8_t>& followed, Local& local) {
  if (lead.count == 0) {
    ++local.untouched.leads;
    local.untouched.won += lead.won;
    return;
  }
  ranks.clear();
  const batch_internal::GroupedTouch* touches = batch.touches.get();
  for (int64_t k = 0; k < lead.count; ++k) {
    ranks.push_back(mixes.Rank(touches[lead.first + k].method));
  }
  if (advice != nullptr) {
    // The rank of each action with a touch taken as recommended: flagged
    // after it, once per lead.
    followed.assign(mixes.size(), 0);
    for (int64_t k = 0; k < lead.count; ++k) {
      const int32_t rule = rules[static_cast<size_t>(k)];
      const int32_t rank = ranks[static_cast<size_t>(k)];
      ++local.recommended[static_cast<size_t>(rule)];
      if (advice->Followed(rule, rank)) {
        ++local.actions[static_cast<size_t>(rank)].touches_as_recommended;
        followed[static_cast<size_t>(rank)] = 1;
      }
    }
  }
  std::sort(ranks.begin(), ranks.end());
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j < ranks.size() && ranks[j] == ranks[i]) ++j;
    EffectivenessCounts& c = local.actions[static_cast<size_t>(ranks[i])];
    ++c.leads;
    c.won += lead.won;
    c.touches += static_cast<int64_t>(j - i);
    if (advice != nullptr && followed[static_cast<size_t>(ranks[i])]) {
      ++c.leads_as_recommended;
      c.won_as_recommended += lead.won;
    }
    i = j;
  }
}

// The playbook rule of every touch of `counted` (in order): each touch a task
// — the first contact for a lead's first touch, else a follow-up — with the
// grade and the touches before it.
absl::Status RulesOfTouches(const LeadBatch& batch, const Advice& advice,
                            std::span<const Counted> counted,
                            std::vector<int64_t>& rows,
                            std::vector<TaskContext>& contexts,
                            std::vector<int32_t>& rules) {
  rows.clear();
  contexts.clear();
  for (const Counted& lead : counted) {
    int grade = lead.grade;  // in force before each touch, as GradeAt
    for (int64_t k = 0; k < lead.count; ++k) {
      rows.push_back(lead.row);
      contexts.push_back({.task = k == 0 ? TaskKind::kFirstContact
                                         : TaskKind::kFollowUp,
                          .grade_now = grade,
                          .touches = static_cast<int>(k)});
      const int after = batch.touches[lead.first + k].grade_after;
      if (after >= 0) grade = after;
    }
  }
  rules.resize(rows.size());
  return PlaybookFor(*advice.policy, *advice.leads, rows, contexts, rules);
}

// Counts lead rows [begin, end) of the batch into `local`.
absl::Status CountRows(const LeadBatch& batch,
                       const EffectivenessOptions& options, const Mixes& mixes,
                       const Advice* advice, Instant as_of, int64_t begin,
                       int64_t end, Local& local) {
  const int64_t last_second = as_of.time_since_epoch().count();
  const bool by_mix = options.view == EffectivenessView::kMethodMix;
  const bool by_action = options.view == EffectivenessView::kAction;
  const batch_internal::GroupedTouch* touches = batch.touches.get();
  std::vector<int32_t> ranks;
  std::vector<uint8_t> followed;
  std::vector<Counted> counted;
  std::vector<int64_t> rows;
  std::vector<TaskContext> contexts;
  std::vector<int32_t> rules;
  LeadFacts facts;
  for (int64_t block = begin; block < end; block += kLeadBlock) {
    counted.clear();
    for (int64_t row = block; row < std::min(end, block + kLeadBlock); ++row) {
      const auto r = static_cast<size_t>(row);
      if (batch.rejected[r]) continue;  // out of scope
      facts = LeadFacts();
      batch.reader.Lead(row, facts);
      if (facts.created_at > as_of || facts.status == LeadStatus::kInvalid) {
        continue;
      }
      // The lead's touches in the touch order (TouchBefore): by time first,
      // so those by as_of come first.
      int64_t count = 0;
      while (batch.offsets[r] + count < batch.offsets[r + 1] &&
             touches[batch.offsets[r] + count].at <= last_second) {
        ++count;
      }
      counted.push_back({.row = row,
                         .first = batch.offsets[r],
                         .count = count,
                         .won = StatusAt(facts, as_of) == LeadStatus::kWon,
                         .grade = facts.grade});
    }
    if (by_action) {
      if (advice != nullptr) {
        LEADKIT_RETURN_IF_ERROR(
            RulesOfTouches(batch, *advice, counted, rows, contexts, rules));
      }
      size_t next = 0;  // the first touch's place in `rules`
      for (const Counted& lead : counted) {
        const std::span<const int32_t> own =
            advice != nullptr
                ? std::span<const int32_t>(rules).subspan(
                      next, static_cast<size_t>(lead.count))
                : std::span<const int32_t>();
        next += static_cast<size_t>(lead.count);
        CountActions(batch, mixes, advice, lead, own, ranks, followed, local);
      }
      continue;
    }
    for (const Counted& lead : counted) {
      EffectivenessCounts* counts;
      if (!by_mix) {
        const int64_t first = lead.count > 0 ? touches[lead.first].at : 0;
        const int64_t last =
            lead.count > 0 ? touches[lead.first + lead.count - 1].at : 0;
        counts = &local.intervals[static_cast<size_t>(IntervalGroup(
            lead.count, first, last, options.interval_buckets))];
      } else if (mixes.narrow()) {
        uint64_t mask = 0;
        for (int64_t k = 0; k < lead.count; ++k) {
          mask |= uint64_t{1} << mixes.Rank(touches[lead.first + k].method);
        }
        counts = &local.masks[mask];
      } else {
        ranks.clear();
        for (int64_t k = 0; k < lead.count; ++k) {
          ranks.push_back(mixes.Rank(touches[lead.first + k].method));
        }
        std::sort(ranks.begin(), ranks.end());
        ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
        counts = &local.named[mixes.Name(ranks)];
      }
      ++counts->leads;
      counts->won += lead.won;
      counts->touches += lead.count;
    }
  }
  return absl::OkStatus();
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
  if (method == nullptr || method->type() != ColumnType::kCode ||
      method->validity_only()) {
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
          const Column* ids = touches.Find("lead_id");
          return absl::InvalidArgumentError(absl::StrCat(
              "touches row ", t,
              ids != nullptr && !ids->IsNull(t) &&
                      (ids->type() == ColumnType::kCode ||
                       ids->type() == ColumnType::kString)
                  ? absl::StrCat(": lead_id \"", ids->ViewAt(t), "\"")
                  : std::string(),
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

// Every count of `c` into `total` (CountTotal: the state's counts add up
// within int64, so no sum of them overflows).
void Total(state_internal::CountTotal& total, const EffectivenessCounts& c) {
  total.Add("leads", c.leads);
  total.Add("won", c.won);
  total.Add("touches", c.touches);
  total.Add("recommended_touches", c.recommended_touches);
  total.Add("touches_as_recommended", c.touches_as_recommended);
  total.Add("leads_as_recommended", c.leads_as_recommended);
  total.Add("won_as_recommended", c.won_as_recommended);
}

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
  if (options.playbook && options.view != EffectivenessView::kAction) {
    return absl::InvalidArgumentError(absl::StrCat(
        "playbook: only the action view is compared with the playbook, not "
        "the ", EffectivenessViewName(options.view), " view"));
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
  if (options_.playbook) {
    return absl::FailedPreconditionError(
        "effectiveness: the action view next to the playbook needs the "
        "policy whose playbook it reads");
  }
  return AddBatch(nullptr, leads, touches, as_of, include, threads);
}

absl::Status EffectivenessState::Add(const Policy& policy,
                                     const Columns& leads,
                                     const Columns& touches, Instant as_of,
                                     std::span<const uint8_t> include,
                                     int threads) {
  return AddBatch(&policy, leads, touches, as_of, include, threads);
}

absl::Status EffectivenessState::AddBatch(const Policy* policy,
                                          const Columns& leads,
                                          const Columns& touches,
                                          Instant as_of,
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
  const Columns& read = actions.has_value() ? *actions : touches;
  const batch_internal::WithIds check = internal::CheckMethods(
      actions.has_value() ? touches.Find("method") : nullptr);
  absl::StatusOr<batch_internal::LeadBatch> read_batch =
      policy != nullptr
          ? batch_internal::ReadLeadBatch(*policy, leads, read, as_of,
                                          internal::RejectRow, include,
                                          threads, check)
          : batch_internal::ReadLeadBatch(leads, read, as_of,
                                          internal::RejectRow, include,
                                          threads, check);
  LEADKIT_RETURN_IF_ERROR(read_batch.status());
  const batch_internal::LeadBatch& batch = *read_batch;
  const internal::Mixes mixes(batch.reader.method()->dictionary());
  const std::vector<std::string> labels =
      IntervalLabels(options_.interval_buckets);

  std::optional<internal::Advice> advice;
  if (options_.playbook) {
    const std::vector<PlaybookRule>& book = policy->playbook().rules;
    advice.emplace();
    advice->policy = policy;
    advice->leads = &leads;
    for (const PlaybookRule& rule : book) {
      std::string name = absl::StrCat(
          rule.action.method, std::string(1, internal::kActionSeparator),
          rule.action.content);
      advice->exact.push_back(mixes.Find(name));
      advice->method_only.push_back(mixes.Find(rule.action.method));
      advice->names.push_back(std::move(name));
    }
    // The lead columns the playbook reads, checked once before the threads.
    LEADKIT_RETURN_IF_ERROR(PlaybookFor(*policy, leads, {}, {}, {}));
  }

  // Rows split over threads, each into groups of its own; then added here (in
  // any order: counts add up).
  std::vector<internal::Local> locals(static_cast<size_t>(threads));
  std::vector<absl::Status> statuses(static_cast<size_t>(threads));
  for (internal::Local& local : locals) {
    local.intervals.resize(labels.size());
    local.actions.resize(mixes.size());
    if (advice.has_value()) local.recommended.resize(advice->names.size());
  }
  batch_internal::RunChunks(
      n, threads, [&](int k, int64_t begin, int64_t end) {
        statuses[static_cast<size_t>(k)] = internal::CountRows(
            batch, options_, mixes, advice.has_value() ? &*advice : nullptr,
            as_of, begin, end, locals[static_cast<size_t>(k)]);
      });
  for (const absl::Status& status : statuses) LEADKIT_RETURN_IF_ERROR(status);
  const auto put = [&](std::string name, const EffectivenessCounts& counts) {
    if (counts.leads > 0 || counts.recommended_touches > 0) {
      groups_[std::move(name)].Merge(counts);
    }
  };
  // Each group of the batch, given to `to`.
  const auto each = [&](const auto& to) {
    for (const internal::Local& local : locals) {
      for (size_t g = 0; g < local.intervals.size(); ++g) {
        to(labels[g], local.intervals[g]);
      }
      for (const auto& [mask, counts] : local.masks) {
        to(mixes.Name(mask), counts);
      }
      for (const auto& [name, counts] : local.named) to(name, counts);
      for (size_t r = 0; r < local.actions.size(); ++r) {
        to(mixes.name(static_cast<int32_t>(r)), local.actions[r]);
      }
      to(std::string(internal::kUntouched), local.untouched);
      for (size_t rule = 0; rule < local.recommended.size(); ++rule) {
        to(advice->names[rule],
           EffectivenessCounts{.recommended_touches = local.recommended[rule]});
      }
    }
  };
  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("effectiveness state");
  for (const auto& [name, counts] : groups_) internal::Total(total, counts);
  each([&](const auto&, const EffectivenessCounts& counts) {
    internal::Total(total, counts);
  });
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the leads"));
  each(put);
  return absl::OkStatus();
}

absl::Status EffectivenessState::Merge(const EffectivenessState& other) {
  if (other.options_.view != options_.view) {
    return absl::FailedPreconditionError(absl::StrCat(
        "effectiveness states: a ", EffectivenessViewName(other.options_.view),
        " state cannot merge with a ", EffectivenessViewName(options_.view),
        " state"));
  }
  if (other.options_.playbook != options_.playbook) {
    return absl::FailedPreconditionError(
        "effectiveness states: a state next to the playbook cannot merge with "
        "one without it");
  }
  if (other.options_.interval_buckets != options_.interval_buckets) {
    return absl::FailedPreconditionError(absl::StrCat(
        "effectiveness states: interval buckets [",
        absl::StrJoin(IntervalLabels(other.options_.interval_buckets), ", "),
        "] differ from [",
        absl::StrJoin(IntervalLabels(options_.interval_buckets), ", "), "]"));
  }
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "effectiveness state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        effectiveness_internal::Total(total, entry.second);
      }));
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
  PutInt(out, options_.playbook ? 1 : 0);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [name, c] : groups_) {
    PutString(out, name);
    for (const int64_t count :
         {c.leads, c.won, c.touches, c.recommended_touches,
          c.touches_as_recommended, c.leads_as_recommended,
          c.won_as_recommended}) {
      PutInt(out, count);
    }
  }
  return state_internal::Frame(effectiveness_internal::kMagic, out);
}

absl::StatusOr<EffectivenessState> EffectivenessState::Deserialize(
    absl::string_view bytes) {
  namespace internal = effectiveness_internal;
  const bool before = absl::StartsWith(bytes, internal::kMagicBefore);
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(
          bytes, before ? internal::kMagicBefore : internal::kMagic,
          internal::kWhat));
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
  if (!before) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t playbook, in.Int());
    if (playbook != 0 && playbook != 1) {
      return bad(absl::StrCat("playbook flag ", playbook, " is not 0 or 1"));
    }
    options.playbook = playbook == 1;
  }
  if (const absl::Status s = ValidateEffectivenessOptions(options); !s.ok()) {
    return bad(s.message());
  }
  const std::vector<std::string> labels =
      IntervalLabels(options.interval_buckets);
  EffectivenessState state(std::move(options));
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  state_internal::CountTotal total(internal::kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    EffectivenessCounts c;
    LEADKIT_ASSIGN_OR_RETURN(c.leads, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.won, in.Int());
    LEADKIT_ASSIGN_OR_RETURN(c.touches, in.Int());
    if (!before) {
      LEADKIT_ASSIGN_OR_RETURN(c.recommended_touches, in.Int());
      LEADKIT_ASSIGN_OR_RETURN(c.touches_as_recommended, in.Int());
      LEADKIT_ASSIGN_OR_RETURN(c.leads_as_recommended, in.Int());
      LEADKIT_ASSIGN_OR_RETURN(c.won_as_recommended, in.Int());
    }
    if (!state.options_.playbook &&
        (c.recommended_touches != 0 || c.touches_as_recommended != 0 ||
         c.leads_as_recommended != 0 || c.won_as_recommended != 0)) {
      return bad(absl::StrCat("group \"", name,
                              "\" has playbook counts in a state without "
                              "the playbook"));
    }
    if (c.leads < 0 || c.won < 0 || c.won > c.leads || c.touches < 0 ||
        (c.leads == 0 && c.recommended_touches == 0) ||
        c.recommended_touches < 0 || c.touches_as_recommended < 0 ||
        c.touches_as_recommended > c.touches ||
        c.leads_as_recommended < 0 || c.leads_as_recommended > c.leads ||
        c.leads_as_recommended > c.touches_as_recommended ||
        c.won_as_recommended < 0 ||
        c.won_as_recommended > c.leads_as_recommended ||
        c.won_as_recommended > c.won) {
      return bad(absl::StrCat("group \"", name, "\" has impossible counts"));
    }
    if (state.options_.view == EffectivenessView::kInterval &&
        std::find(labels.begin(), labels.end(), name) == labels.end()) {
      return bad(absl::StrCat("\"", name, "\" is not an interval group"));
    }
    internal::Total(total, c);
    if (!state.groups_.emplace(std::move(name), c).second) {
      return bad("a group is given twice");
    }
  }
  // No state counting leads holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<EffectivenessRow> EffectivenessState::Finalize() const {
  std::vector<EffectivenessRow> rows;
  const auto row = [](const std::string& name, const EffectivenessCounts& c) {
    return EffectivenessRow{
        .group = name,
        .leads = c.leads,
        .won = c.won,
        .touches = c.touches,
        .recommended_touches = c.recommended_touches,
        .touches_as_recommended = c.touches_as_recommended,
        .leads_as_recommended = c.leads_as_recommended,
        .won_as_recommended = c.won_as_recommended};
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
