// The policy backtest (docs/backtest.md): per policy, one read of the batch
// (the leads without their recorded grade, the touches with grade_after read
// through the policy's map) and each lead evaluated, grouped and counted by
// the KPI engine's own per-lead code (audit_internal.h): its KPIs, grade,
// outcome and the deadlines of its tasks.
#include "leadkit/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "audit_internal.h"
#include "lead_batch.h"
#include "report_internal.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "state_bytes.h"

namespace leadkit {
namespace backtest_internal {
namespace {

using batch_internal::Quote;

absl::Status RejectRow(absl::string_view table, int64_t row, absl::string_view,
                       std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, " row ", row, ": ", message));
}

// The touches as one policy reads them: grade_after through its map, left
// out, or as it is. Owns the dictionary the new column views.
struct PolicyTouches {
  Columns columns{0};
  std::vector<std::string> dictionary;
  const Column* grade_after = nullptr;  // the touches' own, when codes
  // Per dictionary code: 1 for a value left out for want of a map.
  std::vector<uint8_t> unreadable;
};

// The grade changes left out of the touches the batch reads (`touch_lead`:
// each touch row's lead row, -1 for a touch not read): their values and how
// many, into `counts`.
void CountLeftOut(const PolicyTouches& touches,
                  std::span<const int32_t> touch_lead,
                  BacktestPolicyCounts& counts) {
  if (touches.grade_after == nullptr || touches.unreadable.empty()) return;
  const Column& column = *touches.grade_after;
  const int32_t* codes = column.data<int32_t>();
  for (size_t t = 0; t < touch_lead.size(); ++t) {
    const auto row = static_cast<int64_t>(t);
    if (touch_lead[t] < 0 || column.IsNull(row) || codes[t] < 0) continue;
    if (!touches.unreadable[static_cast<size_t>(codes[t])]) continue;
    ++counts.grade_changes_left_out;
    counts.unmapped_grades.insert(
        column.dictionary()[static_cast<size_t>(codes[t])]);
  }
}

// The grade_after values some touch holds: per dictionary code, true when a
// non-null row uses it.
std::vector<uint8_t> UsedCodes(const Column& grade_after) {
  std::vector<uint8_t> used(grade_after.dictionary().size(), 0);
  const int32_t* codes = grade_after.data<int32_t>();
  for (int64_t t = 0; t < grade_after.size(); ++t) {
    if (!grade_after.IsNull(t)) used[static_cast<size_t>(codes[t])] = 1;
  }
  return used;
}

// The first touch whose grade_after holds dictionary code `code`, named by its
// lead (RowLabel); a lead_id column that is not text is left for the batch
// reader to report, and the row is named by position.
std::string FirstRowWithCode(const Columns& touches, const Column& grade_after,
                             size_t code) {
  const int32_t* codes = grade_after.data<int32_t>();
  int64_t row = 0;
  while (row < grade_after.size() &&
         (grade_after.IsNull(row) || codes[row] != static_cast<int32_t>(code))) {
    ++row;
  }
  const absl::StatusOr<const Column*> ids =
      report_internal::StringColumn(touches, "touches", "lead_id");
  return report_internal::RowLabel(ids.ok() ? *ids : nullptr, "lead_id", row);
}

absl::StatusOr<PolicyTouches> TouchesFor(const BacktestPolicy& policy,
                                         const Columns& touches) {
  PolicyTouches out;
  out.columns = Columns(touches.num_rows());
  const Column* grade_after = touches.Find("grade_after");
  const std::span<const std::string> grades = policy.cadence.policy().grades();
  const auto has = [&](absl::string_view grade) {
    return std::find(grades.begin(), grades.end(), grade) != grades.end();
  };
  if (policy.grade_map) {
    for (const auto& [from, to] : *policy.grade_map) {
      if (!has(to)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "grade_map[", Quote(policy.name), "]: ", Quote(from), " maps to ",
            Quote(to), ", which is not one of the policy's grades (",
            absl::StrJoin(grades, ", "), ")"));
      }
    }
  }
  // A column of another type is left for the batch reader to report.
  const bool codes = grade_after != nullptr &&
                     grade_after->type() == ColumnType::kCode &&
                     !grade_after->validity_only();
  std::vector<uint8_t> used;
  if (codes) used = UsedCodes(*grade_after);
  bool drop = false;
  if (codes) {
    out.grade_after = grade_after;
    const std::span<const std::string> names = grade_after->dictionary();
    out.dictionary.assign(names.begin(), names.end());
    out.unreadable.assign(names.size(), 0);
    for (size_t c = 0; c < names.size(); ++c) {
      if (!used[c]) continue;
      if (policy.grade_map) {
        const auto it = policy.grade_map->find(names[c]);
        if (it == policy.grade_map->end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "touches.grade_after: ", FirstRowWithCode(touches, *grade_after, c),
              " has ", Quote(names[c]), ", which grade_map[", Quote(policy.name),
              "] has no entry for"));
        }
        out.dictionary[c] = it->second;
      } else if (!has(names[c])) {
        out.unreadable[c] = 1;
        drop = true;
      }
    }
  }
  if (!drop) out.unreadable.clear();
  for (const auto& [name, column] : touches.columns()) {
    if (name != "grade_after" || !codes) {
      LEADKIT_RETURN_IF_ERROR(out.columns.Add(name, column));
    } else if (!drop) {
      LEADKIT_RETURN_IF_ERROR(out.columns.Add(
          name, Column::Codes(std::span<const int32_t>(grade_after->data<int32_t>(),
                                                       grade_after->size()),
                              out.dictionary, grade_after->validity())));
    }
  }
  return out;
}

// The leads without their recorded grade: every policy grades them.
absl::StatusOr<Columns> RegradedLeads(const Columns& leads) {
  Columns out(leads.num_rows());
  for (const auto& [name, column] : leads.columns()) {
    if (name != "grade") LEADKIT_RETURN_IF_ERROR(out.Add(name, column));
  }
  return out;
}

int64_t LocalDay(const Cadence& cadence, Instant t) {
  return date::floor<date::days>(cadence.calendar().ToLocal(t))
      .time_since_epoch()
      .count();
}

// What one thread gathers of one policy's group.
struct Local {
  KpiCounts kpis;
  std::vector<int64_t> minutes;  // first-contact minutes, not yet folded
  std::vector<GradeOutcome> grades;
  absl::flat_hash_map<std::pair<absl::string_view, int64_t>, int64_t> tasks;
  int64_t tasks_without_consultant = 0;
};
using Groups = absl::flat_hash_map<report_internal::Codes, Local>;

// Lead rows [begin, end): their grades into `grade_of` (-1 when not counted
// or invalid), outcomes and tasks into their groups.
absl::Status AddRows(const Cadence& cadence,
                     const batch_internal::LeadBatch& batch,
                     std::span<const kpi_internal::KeyPart> parts,
                     std::span<const int8_t> survey, const Column* consultant,
                     Instant as_of, int64_t begin, int64_t end,
                     size_t num_grades, std::span<int32_t> grade_of,
                     Groups& groups) {
  LeadFacts facts;
  std::vector<TouchFacts> touches;
  std::vector<Instant> dues;
  report_internal::Codes codes(parts.size());
  for (int64_t row = begin; row < end; ++row) {
    dues.clear();
    LEADKIT_ASSIGN_OR_RETURN(
        const LeadKpi lead,
        kpi_internal::EvaluateBatchLead(cadence, batch, as_of, row, facts,
                                        touches, &dues, survey));
    if (!lead.counted) continue;
    for (size_t k = 0; k < parts.size(); ++k) {
      codes[k] = kpi_internal::PartCode(parts[k], cadence, facts,
                                        lead.current_grade, row);
    }
    Local& local = groups[codes];
    if (local.grades.empty()) local.grades.resize(num_grades);
    kpi_internal::CountLead(lead, local.kpis, local.minutes);
    if (lead.invalid) continue;
    grade_of[static_cast<size_t>(row)] = lead.grade;
    GradeOutcome& outcome = local.grades[static_cast<size_t>(lead.grade)];
    ++outcome.leads;
    outcome.won += lead.won;
    outcome.lost += lead.lost;
    if (lead.first_contact_due) dues.push_back(lead.first_contact_due_at);
    if (dues.empty()) continue;
    if (consultant == nullptr || consultant->IsNull(row)) {
      local.tasks_without_consultant += static_cast<int64_t>(dues.size());
      continue;
    }
    const Cadence& judged = batch_internal::LeadCadence(cadence, batch, row);
    const absl::string_view who = consultant->ViewAt(row);
    for (const Instant due : dues) ++local.tasks[{who, LocalDay(judged, due)}];
  }
  return absl::OkStatus();
}

// `from`'s counts added to `to`'s (its grades sized alike).
void AddCounts(BacktestCounts& to, const BacktestCounts& from) {
  to.kpis.Merge(from.kpis);
  if (to.grades.size() < from.grades.size()) to.grades.resize(from.grades.size());
  for (size_t g = 0; g < from.grades.size(); ++g) {
    to.grades[g].leads += from.grades[g].leads;
    to.grades[g].won += from.grades[g].won;
    to.grades[g].lost += from.grades[g].lost;
  }
  for (const auto& [who, days] : from.tasks) {
    std::map<int64_t, int64_t>& into = to.tasks[who];
    for (const auto& [day, tasks] : days) into[day] += tasks;
  }
  to.tasks_without_consultant += from.tasks_without_consultant;
}

// Every count of a group into `total` (CountTotal: the state's counts add up
// within int64, so no sum of them overflows). The grades' counts add up to the
// KPIs' leads, won and lost (Deserialize checks), so they are in the total
// once, as those.
void Total(state_internal::CountTotal& total, const BacktestCounts& c) {
  kpi_internal::Total(total, c.kpis);
  for (const auto& [who, days] : c.tasks) {
    for (const auto& [day, tasks] : days) total.Add("tasks", tasks);
  }
  total.Add("tasks_without_consultant", c.tasks_without_consultant);
}

void Total(state_internal::CountTotal& total,
           std::span<const BacktestPolicyCounts> counts,
           const std::map<std::vector<int>, int64_t>& combinations) {
  for (const BacktestPolicyCounts& policy : counts) {
    for (const auto& [key, c] : policy.groups) Total(total, c);
    total.Add("grade_changes_left_out", policy.grade_changes_left_out);
  }
  for (const auto& [key, leads] : combinations) total.Add("combinations", leads);
}

constexpr absl::string_view kWhat = "backtest state bytes";
constexpr absl::string_view kMagic = "LKBKT1";

}  // namespace
}  // namespace backtest_internal

double GradeAuc(std::span<const GradeOutcome> grades) {
  int64_t won = 0, lost = 0;
  for (const GradeOutcome& g : grades) {
    won += g.won;
    lost += g.lost;
  }
  if (won == 0 || lost == 0) return std::numeric_limits<double>::quiet_NaN();
  // Walk from the lowest grade up: `below` holds the lost leads of lower
  // grades.
  double pairs = 0;
  int64_t below = 0;
  for (size_t i = grades.size(); i-- > 0;) {
    pairs += static_cast<double>(grades[i].won) *
             (static_cast<double>(below) + 0.5 * static_cast<double>(grades[i].lost));
    below += grades[i].lost;
  }
  return pairs / (static_cast<double>(won) * static_cast<double>(lost));
}

BacktestState::BacktestState(std::vector<std::string> policies,
                             std::vector<std::string> by)
    : names_(std::move(policies)), by_(std::move(by)), counts_(names_.size()) {}

absl::Status BacktestState::Add(std::span<const BacktestPolicy> policies,
                                const Columns& leads, const Columns& touches,
                                const Columns* surveys, Instant as_of,
                                std::span<const uint8_t> include,
                                int threads) {
  using namespace backtest_internal;  // NOLINT: the file's own helpers
  if (names_.empty()) {
    return absl::InvalidArgumentError("policies: none given");
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i].empty()) {
      return absl::InvalidArgumentError("policies: a name is empty");
    }
    for (size_t j = 0; j < i; ++j) {
      if (names_[i] == names_[j]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "policies: the name ", Quote(names_[i]), " is given twice"));
      }
    }
  }
  std::vector<std::string> given;
  for (const BacktestPolicy& p : policies) given.push_back(p.name);
  if (given != names_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policies: the state holds (", absl::StrJoin(names_, ", "),
        "), not (", absl::StrJoin(given, ", "), ")"));
  }
  std::vector<std::vector<std::string>> grade_names;
  for (const BacktestPolicy& p : policies) {
    const std::span<const std::string> grades = p.cadence.policy().grades();
    grade_names.emplace_back(grades.begin(), grades.end());
  }
  if (!grade_names_.empty() && grade_names != grade_names_) {
    return absl::InvalidArgumentError(
        "policies: their grades differ from those of the batches added "
        "before");
  }
  const int64_t n = leads.num_rows();
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " leads"));
  }
  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  LEADKIT_ASSIGN_OR_RETURN(const Columns regraded, RegradedLeads(leads));
  const Column* consultant = leads.Find("consultant_id");
  if (consultant != nullptr && consultant->type() != ColumnType::kCode &&
      consultant->type() != ColumnType::kString) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads.consultant_id: expected strings, got ",
        ColumnTypeName(consultant->type())));
  }
  if (consultant != nullptr && consultant->validity_only()) consultant = nullptr;

  LEADKIT_ASSIGN_OR_RETURN(const std::vector<kpi_internal::KeyPart> parts,
                           kpi_internal::KeyParts(by_, leads));

  // Everything is computed before the state changes: a failing batch adds
  // nothing.
  std::vector<BacktestPolicyCounts> added(policies.size());
  std::vector<std::vector<int32_t>> grade_of(policies.size());
  BacktestKey key(parts.size());
  for (size_t p = 0; p < policies.size(); ++p) {
    const BacktestPolicy& policy = policies[p];
    LEADKIT_ASSIGN_OR_RETURN(PolicyTouches policy_touches,
                             TouchesFor(policy, touches));
    BacktestPolicyCounts& counts = added[p];

    // One read of the batch per policy, as KpiState::Add reads it; each lead
    // evaluated and counted as the KPIs do (src/audit_internal.h). The grade
    // changes left out are counted among the touches the batch reads.
    std::vector<int8_t> survey;
    const batch_internal::WithIds surveys_into =
        kpi_internal::SurveysInto(survey, surveys, as_of);
    LEADKIT_ASSIGN_OR_RETURN(
        const batch_internal::LeadBatch batch,
        batch_internal::ReadLeadBatch(
            policy.cadence.policy(), regraded, policy_touches.columns, as_of,
            RejectRow, include, threads,
            [&](const batch_internal::LeadBatch& read,
                std::span<const int32_t> touch_lead) -> absl::Status {
              CountLeftOut(policy_touches, touch_lead, counts);
              return surveys_into(read, touch_lead);
            }));
    grade_of[p].assign(static_cast<size_t>(n), -1);
    const size_t num_grades = grade_names[p].size();
    std::vector<Groups> locals(static_cast<size_t>(threads));
    std::vector<absl::Status> statuses(static_cast<size_t>(threads));
    batch_internal::RunChunks(n, threads, [&](int k, int64_t begin,
                                              int64_t end) {
      statuses[static_cast<size_t>(k)] =
          AddRows(policy.cadence, batch, parts, survey, consultant, as_of,
                  begin, end, num_grades, grade_of[p],
                  locals[static_cast<size_t>(k)]);
    });
    for (const absl::Status& status : statuses) LEADKIT_RETURN_IF_ERROR(status);
    for (Groups& groups : locals) {
      for (auto& [codes, local] : groups) {
        for (size_t k = 0; k < parts.size(); ++k) {
          key[k] = kpi_internal::PartText(parts[k], policy.cadence.policy(),
                                          codes[k]);
        }
        BacktestCounts& c = counts.groups[key];
        c.grades.resize(num_grades);
        kpi_internal::FoldMinutes(local.minutes, local.kpis.first_contact_minutes);
        c.kpis.Merge(local.kpis);
        for (size_t g = 0; g < num_grades; ++g) {
          c.grades[g].leads += local.grades[g].leads;
          c.grades[g].won += local.grades[g].won;
          c.grades[g].lost += local.grades[g].lost;
        }
        c.tasks_without_consultant += local.tasks_without_consultant;
        for (const auto& [who_day, tasks] : local.tasks) {
          auto it = c.tasks.find(who_day.first);
          if (it == c.tasks.end()) {
            it = c.tasks.emplace(std::string(who_day.first),
                                 std::map<int64_t, int64_t>())
                     .first;
          }
          it->second[who_day.second] += tasks;
        }
      }
    }
  }

  // The grades' combinations: leads counted under every policy alike.
  std::map<std::vector<int>, int64_t> combinations;
  std::vector<int> grades(policies.size());
  for (int64_t row = 0; row < n; ++row) {
    bool counted = true;
    for (size_t p = 0; p < policies.size(); ++p) {
      grades[p] = grade_of[p][static_cast<size_t>(row)];
      counted &= grades[p] >= 0;
    }
    if (counted) ++combinations[grades];
  }

  // The batch holds: into the state.
  BacktestState batch_state(names_, by_);
  batch_state.grade_names_ = std::move(grade_names);
  batch_state.counts_ = std::move(added);
  batch_state.combinations_ = std::move(combinations);
  return MergeCounts(batch_state, "adding the leads");
}

absl::Status BacktestState::Merge(const BacktestState& other) {
  return MergeCounts(other, "merging");
}

absl::Status BacktestState::MergeCounts(const BacktestState& other,
                                        absl::string_view doing) {
  using namespace backtest_internal;  // NOLINT: the file's own helpers
  if (other.names_ != names_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "merge: a backtest of (", absl::StrJoin(other.names_, ", "),
        ") cannot merge into one of (", absl::StrJoin(names_, ", "), ")"));
  }
  if (other.by_ != by_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "merge: a backtest grouped by (", absl::StrJoin(other.by_, ", "),
        ") cannot merge into one grouped by (", absl::StrJoin(by_, ", "),
        ")"));
  }
  if (other.grade_names_.empty()) return absl::OkStatus();
  if (!grade_names_.empty() && other.grade_names_ != grade_names_) {
    return absl::FailedPreconditionError(
        "merge: the policies' grades differ between the two backtests");
  }
  // Checked before anything changes: the two states' counts add up within
  // int64, so no sum of them overflows.
  state_internal::CountTotal total("backtest state");
  Total(total, counts_, combinations_);
  Total(total, other.counts_, other.combinations_);
  LEADKIT_RETURN_IF_ERROR(total.Status(absl::StatusCode::kOutOfRange, doing));
  if (grade_names_.empty()) grade_names_ = other.grade_names_;
  for (size_t p = 0; p < counts_.size(); ++p) {
    BacktestPolicyCounts& to = counts_[p];
    const BacktestPolicyCounts& from = other.counts_[p];
    for (const auto& [key, c] : from.groups) AddCounts(to.groups[key], c);
    to.unmapped_grades.insert(from.unmapped_grades.begin(),
                              from.unmapped_grades.end());
    to.grade_changes_left_out += from.grade_changes_left_out;
  }
  for (const auto& [key, leads] : other.combinations_) {
    combinations_[key] += leads;
  }
  return absl::OkStatus();
}

std::string BacktestState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  const auto put_strings = [](std::string& out, const auto& strings) {
    PutInt(out, static_cast<int64_t>(strings.size()));
    for (const std::string& s : strings) PutString(out, s);
  };
  std::string out;
  put_strings(out, names_);
  put_strings(out, by_);
  PutInt(out, grade_names_.empty() ? 0 : 1);
  for (const std::vector<std::string>& grades : grade_names_) {
    put_strings(out, grades);
  }
  for (const BacktestPolicyCounts& policy : counts_) {
    put_strings(out, policy.unmapped_grades);
    PutInt(out, policy.grade_changes_left_out);
    PutInt(out, static_cast<int64_t>(policy.groups.size()));
    for (const auto& [key, c] : policy.groups) {
      state_internal::PutKey(out, key);
      for (const KpiField& field : KpiFields()) {
        if (field.count != nullptr) PutInt(out, c.kpis.*field.count);
      }
      PutInt(out, static_cast<int64_t>(c.kpis.first_contact_minutes.size()));
      int64_t previous = 0;
      for (const auto& [minutes, leads] : c.kpis.first_contact_minutes) {
        PutInt(out, minutes - previous);
        PutInt(out, leads);
        previous = minutes;
      }
      for (const GradeOutcome& g : c.grades) {
        PutInt(out, g.leads);
        PutInt(out, g.won);
        PutInt(out, g.lost);
      }
      PutInt(out, static_cast<int64_t>(c.tasks.size()));
      for (const auto& [who, days] : c.tasks) {
        PutString(out, who);
        PutInt(out, static_cast<int64_t>(days.size()));
        int64_t day_before = 0;
        for (const auto& [day, tasks] : days) {
          PutInt(out, day - day_before);
          PutInt(out, tasks);
          day_before = day;
        }
      }
      PutInt(out, c.tasks_without_consultant);
    }
  }
  PutInt(out, static_cast<int64_t>(combinations_.size()));
  for (const auto& [key, leads] : combinations_) {
    for (const int g : key) PutInt(out, g);
    PutInt(out, leads);
  }
  return state_internal::Frame(backtest_internal::kMagic, out);
}

absl::StatusOr<BacktestState> BacktestState::Deserialize(
    absl::string_view bytes) {
  using backtest_internal::kWhat;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, backtest_internal::kMagic, kWhat));
  state_internal::Reader in(payload, kWhat);
  const auto bad = [](std::string what) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", what));
  };
  // Names, each given once and (unless `empty_too`: values of the touches)
  // not empty.
  const auto names = [&](absl::string_view what, bool empty_too = false)
      -> absl::StatusOr<std::vector<std::string>> {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Count());
    std::vector<std::string> out;
    for (int64_t i = 0; i < count; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
      if (name.empty() && !empty_too) {
        return bad(absl::StrCat("a ", what, " without a name"));
      }
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        return bad(absl::StrCat(what, " \"", name, "\" is named twice"));
      }
      out.push_back(std::move(name));
    }
    return out;
  };
  LEADKIT_ASSIGN_OR_RETURN(std::vector<std::string> policies, names("policy"));
  LEADKIT_ASSIGN_OR_RETURN(std::vector<std::string> by, names("group column"));
  for (const std::string& name : by) {
    if (const LeadFieldInfo* field = FindLeadField(name);
        field != nullptr && field->personal) {
      return bad(absl::StrCat("group column \"", name,
                              "\" is personal data, never a group"));
    }
  }
  BacktestState state(std::move(policies), std::move(by));
  const size_t num_policies = state.names_.size();
  LEADKIT_ASSIGN_OR_RETURN(const int64_t graded, in.Int());
  if (graded != 0 && graded != 1) {
    return bad(absl::StrCat("the grades' flag is ", graded));
  }
  if (graded == 1) {
    for (size_t p = 0; p < num_policies; ++p) {
      LEADKIT_ASSIGN_OR_RETURN(std::vector<std::string> grades, names("grade"));
      if (grades.empty()) {
        return bad(absl::StrCat("policy \"", state.names_[p],
                                "\" has no grades"));
      }
      state.grade_names_.push_back(std::move(grades));
    }
  }
  state_internal::CountTotal total(kWhat);
  const auto count = [&](absl::string_view what) -> absl::StatusOr<int64_t> {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t value, in.Int());
    if (value < 0) {
      return bad(absl::StrCat(what, " is ", value, ", a negative count"));
    }
    return value;
  };
  for (size_t p = 0; p < num_policies; ++p) {
    BacktestPolicyCounts& policy = state.counts_[p];
    LEADKIT_ASSIGN_OR_RETURN(std::vector<std::string> unmapped,
                             names("unmapped grade", true));
    policy.unmapped_grades.insert(unmapped.begin(), unmapped.end());
    LEADKIT_ASSIGN_OR_RETURN(policy.grade_changes_left_out,
                             count("grade_changes_left_out"));
    if ((policy.grade_changes_left_out > 0) != !unmapped.empty()) {
      return bad("grade changes left out without the grades behind them");
    }
    LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
    if (groups > 0 && graded == 0) {
      return bad("counts without the policies' grades");
    }
    for (int64_t g = 0; g < groups; ++g) {
      KpiRow row;
      LEADKIT_ASSIGN_OR_RETURN(
          row.key, in.Key(static_cast<int64_t>(state.by_.size())));
      KpiCounts& kpis = row.counts;
      for (const KpiField& field : KpiFields()) {
        if (field.count == nullptr) continue;
        LEADKIT_ASSIGN_OR_RETURN(kpis.*field.count, in.Int());
      }
      LEADKIT_ASSIGN_OR_RETURN(const int64_t bins, in.Count());
      int64_t minutes = 0;
      for (int64_t b = 0; b < bins; ++b) {
        LEADKIT_ASSIGN_OR_RETURN(const int64_t step, in.Int());
        if (__builtin_add_overflow(minutes, step, &minutes) ||
            (b > 0 && step <= 0)) {
          return bad("the first-contact histogram's minutes are out of order");
        }
        LEADKIT_ASSIGN_OR_RETURN(const int64_t leads, in.Int());
        kpis.first_contact_minutes.emplace(minutes, leads);
      }
      LEADKIT_RETURN_IF_ERROR(kpi_internal::CheckCounts(row, kWhat));
      BacktestCounts c;
      c.kpis = row.counts;
      // Every counted lead that is not invalid has a grade: the grades add up
      // to the group's leads, won and lost.
      c.grades.resize(state.grade_names_[p].size());
      GradeOutcome sum;
      for (GradeOutcome& outcome : c.grades) {
        LEADKIT_ASSIGN_OR_RETURN(outcome.leads, count("a grade's leads"));
        LEADKIT_ASSIGN_OR_RETURN(outcome.won, count("a grade's won"));
        LEADKIT_ASSIGN_OR_RETURN(outcome.lost, count("a grade's lost"));
        if (outcome.won > outcome.leads - outcome.lost) {
          return bad("a grade's won and lost are more than its leads");
        }
        if (__builtin_add_overflow(sum.leads, outcome.leads, &sum.leads) ||
            __builtin_add_overflow(sum.won, outcome.won, &sum.won) ||
            __builtin_add_overflow(sum.lost, outcome.lost, &sum.lost)) {
          return bad("the grades' counts overflow");
        }
      }
      if (sum.leads != kpis.leads || sum.won != kpis.won ||
          sum.lost != kpis.lost) {
        return bad(absl::StrCat("policy \"", state.names_[p],
                                "\": the grades' leads, won and lost differ "
                                "from the group's"));
      }
      LEADKIT_ASSIGN_OR_RETURN(const int64_t consultants, in.Count());
      for (int64_t i = 0; i < consultants; ++i) {
        LEADKIT_ASSIGN_OR_RETURN(std::string who, in.String());
        if (!c.tasks.empty() && who <= c.tasks.rbegin()->first) {
          return bad("the task load's consultants are out of order");
        }
        std::map<int64_t, int64_t>& by_day = c.tasks[std::move(who)];
        LEADKIT_ASSIGN_OR_RETURN(const int64_t days, in.Count());
        if (days == 0) return bad("a consultant without a task");
        int64_t day = 0;
        for (int64_t d = 0; d < days; ++d) {
          LEADKIT_ASSIGN_OR_RETURN(const int64_t step, in.Int());
          // Days of instants lie far inside +-2^40 (and so do their
          // differences, which Serialize writes).
          constexpr int64_t kFar = int64_t{1} << 40;
          if (step < -2 * kFar || step > 2 * kFar || (d > 0 && step <= 0) ||
              day + step < -kFar || day + step > kFar) {
            return bad("the task load's days are out of order or range");
          }
          day += step;
          LEADKIT_ASSIGN_OR_RETURN(const int64_t tasks, in.Int());
          if (tasks < 1) return bad(absl::StrCat("a day holds ", tasks, " tasks"));
          by_day[day] = tasks;
        }
      }
      LEADKIT_ASSIGN_OR_RETURN(c.tasks_without_consultant,
                               count("tasks_without_consultant"));
      if (!policy.groups.empty() &&
          !BacktestKeyLess()(policy.groups.rbegin()->first, row.key)) {
        return bad("the groups are out of order or given twice");
      }
      backtest_internal::Total(total, c);
      policy.groups.emplace(std::move(row.key), std::move(c));
    }
    total.Add("grade_changes_left_out", policy.grade_changes_left_out);
  }
  LEADKIT_ASSIGN_OR_RETURN(const int64_t combinations, in.Count());
  if (combinations > 0 && graded == 0) {
    return bad("combinations without the policies' grades");
  }
  for (int64_t i = 0; i < combinations; ++i) {
    std::vector<int> key;
    for (size_t p = 0; p < num_policies; ++p) {
      LEADKIT_ASSIGN_OR_RETURN(const int64_t g, in.Int());
      if (g < 0 || g >= static_cast<int64_t>(state.grade_names_[p].size())) {
        return bad(absl::StrCat("a combination names grade ", g, " of policy \"",
                                state.names_[p], "\""));
      }
      key.push_back(static_cast<int>(g));
    }
    LEADKIT_ASSIGN_OR_RETURN(const int64_t leads, in.Int());
    if (leads < 1) return bad(absl::StrCat("a combination holds ", leads, " leads"));
    if (!state.combinations_.empty() &&
        key <= state.combinations_.rbegin()->first) {
      return bad("the combinations are out of order or given twice");
    }
    total.Add("combinations", leads);
    state.combinations_.emplace(std::move(key), leads);
  }
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

BacktestResult BacktestState::Finalize() const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BacktestResult out;
  out.policies = names_;
  out.grade_names = grade_names_;
  if (out.grade_names.empty()) out.grade_names.resize(names_.size());
  // The groups, each with one row per policy that has it; without `by` the
  // one group, for every policy.
  std::map<BacktestKey, std::vector<const BacktestCounts*>, BacktestKeyLess>
      rows;
  std::vector<BacktestCounts> empty(names_.size());
  for (size_t p = 0; p < names_.size(); ++p) {
    empty[p].grades.resize(out.grade_names[p].size());
    if (by_.empty() && counts_[p].groups.empty()) {
      rows[{}].resize(names_.size(), nullptr);
      rows[{}][p] = &empty[p];
    }
    for (const auto& [key, c] : counts_[p].groups) {
      std::vector<const BacktestCounts*>& of = rows[key];
      of.resize(names_.size(), nullptr);
      of[p] = &c;
    }
  }
  for (const auto& [key, of] : rows) {
    for (size_t p = 0; p < names_.size(); ++p) {
      if (of[p] == nullptr) continue;
      const BacktestCounts& c = *of[p];
      BacktestRow row;
      row.policy = names_[p];
      row.kpis.key = key;
      row.kpis.counts = c.kpis;

      // The task load over consultants × days.
      std::set<int64_t> days;
      MinuteHistogram cells;  // tasks on a consultant's day -> such days
      int64_t busy = 0;
      for (const auto& [who, by_day] : c.tasks) {
        for (const auto& [day, tasks] : by_day) {
          days.insert(day);
          ++cells[tasks];
          ++busy;
          row.tasks += tasks;
        }
      }
      row.consultant_days = static_cast<int64_t>(days.size()) *
                            static_cast<int64_t>(c.tasks.size());
      if (row.consultant_days > busy) cells[0] += row.consultant_days - busy;
      if (row.consultant_days == 0) {
        row.tasks_per_consultant_day_mean = nan;
        row.tasks_per_consultant_day_p90 = nan;
        row.tasks_per_consultant_day_max = nan;
      } else {
        row.tasks_per_consultant_day_mean =
            static_cast<double>(row.tasks) /
            static_cast<double>(row.consultant_days);
        row.tasks_per_consultant_day_p90 = NearestRank(cells, 0.9);
        row.tasks_per_consultant_day_max =
            static_cast<double>(cells.rbegin()->first);
      }

      row.grade_auc = GradeAuc(c.grades);
      int64_t won = 0, lost = 0;
      for (const GradeOutcome& g : c.grades) {
        won += g.won;
        lost += g.lost;
      }
      row.top_grade_lift =
          c.grades.empty()
              ? nan
              : c.grades.front().conversion_rate() / Rate(won, won + lost);

      const BacktestPolicyCounts& policy = counts_[p];
      if (policy.grade_changes_left_out > 0) {
        std::vector<std::string> quoted;
        for (const std::string& g : policy.unmapped_grades) {
          quoted.push_back(batch_internal::Quote(g));
        }
        row.notes.push_back(absl::StrCat(
            policy.grade_changes_left_out,
            " grade changes left out: grade_after ",
            absl::StrJoin(quoted, ", "),
            " not among the policy's grades and no grade_map given"));
      }
      if (c.tasks_without_consultant > 0) {
        row.notes.push_back(absl::StrCat(
            c.tasks_without_consultant,
            " tasks of leads without consultant_id not in the task load"));
      }
      out.summary.push_back(std::move(row));
    }
  }
  // Conversion by grade: over every group.
  for (size_t p = 0; p < names_.size(); ++p) {
    std::vector<GradeOutcome> grades(out.grade_names[p].size());
    for (const auto& [key, c] : counts_[p].groups) {
      for (size_t g = 0; g < grades.size() && g < c.grades.size(); ++g) {
        grades[g].leads += c.grades[g].leads;
        grades[g].won += c.grades[g].won;
        grades[g].lost += c.grades[g].lost;
      }
    }
    for (size_t g = 0; g < grades.size(); ++g) {
      out.grades.push_back({.policy = names_[p],
                            .grade = out.grade_names[p][g],
                            .outcome = grades[g]});
    }
  }
  out.combinations.assign(combinations_.begin(), combinations_.end());
  return out;
}

}  // namespace leadkit
