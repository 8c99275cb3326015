// The policy backtest (docs/backtest.md): per policy, one read of the batch
// (the leads without their recorded grade, the touches with grade_after read
// through the policy's map) and each lead evaluated and counted by the KPI
// engine's own per-lead code (audit_internal.h): its KPIs, grade, outcome and
// the deadlines of its tasks.
#include "leadkit/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "audit_internal.h"
#include "lead_batch.h"
#include "report_internal.h"
#include "leadkit/internal/status_macros.h"

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
  std::set<std::string> unmapped;  // values left out for want of a map
  int64_t left_out = 0;            // touches whose grade change was left out
};

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
    const std::span<const std::string> names = grade_after->dictionary();
    out.dictionary.assign(names.begin(), names.end());
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
        out.unmapped.insert(names[c]);
        drop = true;
      }
    }
  }
  if (drop) {
    const int32_t* data = grade_after->data<int32_t>();
    for (int64_t t = 0; t < grade_after->size(); ++t) {
      out.left_out += !grade_after->IsNull(t) && data[t] >= 0;
    }
  }
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

// What one thread gathers of one policy.
struct Local {
  KpiCounts kpis;
  std::vector<int64_t> minutes;  // first-contact minutes, not yet folded
  std::vector<GradeOutcome> grades;
  absl::flat_hash_map<std::pair<absl::string_view, int64_t>, int64_t> tasks;
  int64_t tasks_without_consultant = 0;
};

// Lead rows [begin, end): their grades into `grade_of` (-1 when not counted
// or invalid), outcomes and tasks into `local`.
absl::Status AddRows(const Cadence& cadence,
                     const batch_internal::LeadBatch& batch,
                     std::span<const int8_t> survey, const Column* consultant,
                     Instant as_of, int64_t begin, int64_t end,
                     std::span<int32_t> grade_of, Local& local) {
  LeadFacts facts;
  std::vector<TouchFacts> touches;
  std::vector<Instant> dues;
  for (int64_t row = begin; row < end; ++row) {
    dues.clear();
    LEADKIT_ASSIGN_OR_RETURN(
        const LeadKpi lead,
        kpi_internal::EvaluateBatchLead(cadence, batch, as_of, row, facts,
                                        touches, &dues, survey));
    if (!lead.counted) continue;
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

BacktestState::BacktestState(std::vector<std::string> policies)
    : names_(std::move(policies)), counts_(names_.size()) {}

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

  // Everything is computed before the state changes: a failing batch adds
  // nothing.
  std::vector<BacktestCounts> added(policies.size());
  std::vector<std::vector<int32_t>> grade_of(policies.size());
  for (size_t p = 0; p < policies.size(); ++p) {
    const BacktestPolicy& policy = policies[p];
    LEADKIT_ASSIGN_OR_RETURN(PolicyTouches policy_touches,
                             TouchesFor(policy, touches));
    BacktestCounts& counts = added[p];
    counts.unmapped_grades = policy_touches.unmapped;
    counts.grade_changes_left_out = policy_touches.left_out;

    // One read of the batch per policy, as KpiState::Add reads it; each lead
    // evaluated and counted as the KPIs do (src/audit_internal.h).
    std::vector<int8_t> survey;
    LEADKIT_ASSIGN_OR_RETURN(
        const batch_internal::LeadBatch batch,
        batch_internal::ReadLeadBatch(
            policy.cadence.policy(), regraded, policy_touches.columns, as_of,
            RejectRow, include, threads,
            kpi_internal::SurveysInto(survey, surveys, as_of)));
    grade_of[p].assign(static_cast<size_t>(n), -1);
    const size_t num_grades = grade_names[p].size();
    std::vector<Local> locals(static_cast<size_t>(threads));
    for (Local& local : locals) local.grades.resize(num_grades);
    std::vector<absl::Status> statuses(static_cast<size_t>(threads));
    batch_internal::RunChunks(n, threads, [&](int k, int64_t begin,
                                              int64_t end) {
      statuses[static_cast<size_t>(k)] =
          AddRows(policy.cadence, batch, survey, consultant, as_of, begin,
                  end, grade_of[p], locals[static_cast<size_t>(k)]);
    });
    for (const absl::Status& status : statuses) LEADKIT_RETURN_IF_ERROR(status);
    counts.grades.resize(num_grades);
    for (Local& local : locals) {
      kpi_internal::FoldMinutes(local.minutes, local.kpis.first_contact_minutes);
      counts.kpis.Merge(local.kpis);
      for (size_t g = 0; g < num_grades; ++g) {
        counts.grades[g].leads += local.grades[g].leads;
        counts.grades[g].won += local.grades[g].won;
        counts.grades[g].lost += local.grades[g].lost;
      }
      counts.tasks_without_consultant += local.tasks_without_consultant;
      for (const auto& [key, tasks] : local.tasks) {
        auto it = counts.tasks.find(key.first);
        if (it == counts.tasks.end()) {
          it = counts.tasks.emplace(std::string(key.first),
                                    std::map<int64_t, int64_t>())
                   .first;
        }
        it->second[key.second] += tasks;
      }
    }
  }

  // The grades' combinations: leads counted under every policy alike.
  std::map<std::vector<int>, int64_t> combinations;
  std::vector<int> key(policies.size());
  for (int64_t row = 0; row < n; ++row) {
    bool counted = true;
    for (size_t p = 0; p < policies.size(); ++p) {
      key[p] = grade_of[p][static_cast<size_t>(row)];
      counted &= key[p] >= 0;
    }
    if (counted) ++combinations[key];
  }

  // The batch holds: into the state.
  if (grade_names_.empty()) {
    grade_names_ = std::move(grade_names);
    for (size_t p = 0; p < counts_.size(); ++p) {
      counts_[p].grades.resize(grade_names_[p].size());
    }
  }
  BacktestState batch_state(names_);
  batch_state.grade_names_ = grade_names_;
  batch_state.counts_ = std::move(added);
  batch_state.combinations_ = std::move(combinations);
  return Merge(batch_state);
}

absl::Status BacktestState::Merge(const BacktestState& other) {
  if (other.names_ != names_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "merge: a backtest of (", absl::StrJoin(other.names_, ", "),
        ") cannot merge into one of (", absl::StrJoin(names_, ", "), ")"));
  }
  if (other.grade_names_.empty()) return absl::OkStatus();
  if (grade_names_.empty()) {
    grade_names_ = other.grade_names_;
    for (size_t p = 0; p < counts_.size(); ++p) {
      counts_[p].grades.resize(grade_names_[p].size());
    }
  } else if (other.grade_names_ != grade_names_) {
    return absl::FailedPreconditionError(
        "merge: the policies' grades differ between the two backtests");
  }
  for (size_t p = 0; p < counts_.size(); ++p) {
    BacktestCounts& to = counts_[p];
    const BacktestCounts& from = other.counts_[p];
    to.kpis.Merge(from.kpis);
    for (size_t g = 0; g < to.grades.size(); ++g) {
      to.grades[g].leads += from.grades[g].leads;
      to.grades[g].won += from.grades[g].won;
      to.grades[g].lost += from.grades[g].lost;
    }
    for (const auto& [who, days] : from.tasks) {
      std::map<int64_t, int64_t>& into = to.tasks[who];
      for (const auto& [day, tasks] : days) into[day] += tasks;
    }
    to.tasks_without_consultant += from.tasks_without_consultant;
    to.unmapped_grades.insert(from.unmapped_grades.begin(),
                              from.unmapped_grades.end());
    to.grade_changes_left_out += from.grade_changes_left_out;
  }
  for (const auto& [key, leads] : other.combinations_) {
    combinations_[key] += leads;
  }
  return absl::OkStatus();
}

BacktestResult BacktestState::Finalize() const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BacktestResult out;
  out.policies = names_;
  out.grade_names = grade_names_;
  if (out.grade_names.empty()) out.grade_names.resize(names_.size());
  for (size_t p = 0; p < names_.size(); ++p) {
    const BacktestCounts& c = counts_[p];
    BacktestRow row;
    row.policy = names_[p];
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
    row.consultant_days =
        static_cast<int64_t>(days.size()) * static_cast<int64_t>(c.tasks.size());
    if (row.consultant_days > busy) cells[0] += row.consultant_days - busy;
    if (row.consultant_days == 0) {
      row.tasks_per_consultant_day_mean = nan;
      row.tasks_per_consultant_day_p90 = nan;
      row.tasks_per_consultant_day_max = nan;
    } else {
      row.tasks_per_consultant_day_mean =
          static_cast<double>(row.tasks) / static_cast<double>(row.consultant_days);
      row.tasks_per_consultant_day_p90 = NearestRank(cells, 0.9);
      row.tasks_per_consultant_day_max = static_cast<double>(cells.rbegin()->first);
    }

    row.grade_auc = GradeAuc(c.grades);
    int64_t won = 0, lost = 0;
    for (const GradeOutcome& g : c.grades) {
      won += g.won;
      lost += g.lost;
    }
    row.top_grade_lift =
        c.grades.empty() ? nan
                         : c.grades.front().conversion_rate() / Rate(won, won + lost);

    if (c.grade_changes_left_out > 0) {
      std::vector<std::string> quoted;
      for (const std::string& g : c.unmapped_grades) {
        quoted.push_back(batch_internal::Quote(g));
      }
      row.notes.push_back(absl::StrCat(
          c.grade_changes_left_out, " grade changes left out: grade_after ",
          absl::StrJoin(quoted, ", "),
          " not among the policy's grades and no grade_map given"));
    }
    if (c.tasks_without_consultant > 0) {
      row.notes.push_back(absl::StrCat(
          c.tasks_without_consultant,
          " tasks of leads without consultant_id not in the task load"));
    }
    out.summary.push_back(std::move(row));
    for (size_t g = 0; g < c.grades.size(); ++g) {
      out.grades.push_back({.policy = names_[p],
                            .grade = grade_names_[p][g],
                            .outcome = c.grades[g]});
    }
  }
  out.combinations.assign(combinations_.begin(), combinations_.end());
  return out;
}

}  // namespace leadkit
