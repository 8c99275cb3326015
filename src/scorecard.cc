// The scorecard (docs/kpis.md, `scorecard`): weighted KPI rates per row.
#include "leadkit/scorecard.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "breakdowns_internal.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"

namespace leadkit {
namespace scorecard_internal {
namespace {

// "row 1 (consultant_id='C2')": the row and the values of the table's string
// columns.
std::string RowName(const Columns& kpis, int64_t row) {
  std::string keys;
  for (const auto& [name, column] : kpis.columns()) {
    if (column.type() != ColumnType::kCode || column.validity_only()) continue;
    absl::StrAppend(&keys, keys.empty() ? "" : ", ", name, "=",
                    column.IsNull(row)
                        ? std::string("None")
                        : breakdowns_internal::Shown(name, column, row));
  }
  return keys.empty() ? absl::StrCat("row ", row)
                      : absl::StrCat("row ", row, " (", keys, ")");
}

// The rate of a KPI row called `name`.
double RateOf(const KpiRow& row, absl::string_view name) {
  if (name == "conversion_rate") return row.conversion_rate();
  if (name == "entry_timeliness_rate") return row.entry_timeliness_rate();
  if (name == "first_contact_timeliness_rate") {
    return row.first_contact_timeliness_rate();
  }
  if (name == "follow_up_timeliness_rate") {
    return row.follow_up_timeliness_rate();
  }
  if (name == "timeliness_rate") return row.timeliness_rate();
  return row.satisfaction_rate();
}

}  // namespace
}  // namespace scorecard_internal

absl::StatusOr<std::vector<ScoreWeight>> CheckScoreWeights(
    std::span<const ScoreWeight> weights) {
  const std::span<const absl::string_view> rates = ScorecardRates();
  if (weights.empty()) {
    return absl::InvalidArgumentError("weights: no rate is weighted");
  }
  std::vector<ScoreWeight> out;
  for (const auto& [rate, weight] : weights) {
    if (std::find(rates.begin(), rates.end(), rate) == rates.end()) {
      const std::string nearest = NearestName(rate, rates);
      return absl::InvalidArgumentError(absl::StrCat(
          "weights: ", breakdowns_internal::Quoted(rate),
          " is not a rate of leadkit.kpis",
          nearest.empty() ? ""
                          : absl::StrCat("; did you mean \"", nearest, "\"?")));
    }
    if (!std::isfinite(weight)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weights: ", rate, " has weight ",
          breakdowns_internal::FloatText(weight),
          "; expected a finite number"));
    }
    if (weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weights: ", rate, " has weight ",
                       breakdowns_internal::FloatText(weight),
                       "; weights must be 0 or more"));
    }
    for (const ScoreWeight& seen : out) {
      if (seen.first == rate) {
        return absl::InvalidArgumentError(
            absl::StrCat("weights: ", rate, " is weighted twice"));
      }
    }
    out.emplace_back(rate, weight);
  }
  // In the order of the rates.
  std::sort(out.begin(), out.end(),
            [&](const ScoreWeight& a, const ScoreWeight& b) {
              return std::find(rates.begin(), rates.end(), a.first) <
                     std::find(rates.begin(), rates.end(), b.first);
            });
  return out;
}

namespace {

// Scores n rows whose rate k is rate(row, k), with the checked weights.
template <typename RateAt>
std::vector<ScoreRow> Score(int64_t n, const std::vector<ScoreWeight>& weights,
                            const RateAt& rate) {
  std::vector<ScoreRow> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ScoreRow& out = rows[static_cast<size_t>(i)];
    out.row = i;
    out.points.reserve(weights.size());
    for (size_t k = 0; k < weights.size(); ++k) {
      const double value = rate(i, k);
      const double points = weights[k].second * value;
      out.points.push_back(points);
      if (std::isnan(value)) {
        absl::StrAppend(&out.missing, out.missing.empty() ? "" : ";",
                        weights[k].first);
      } else {
        out.score += points;
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ScoreRow& a, const ScoreRow& b) {
                     return a.score > b.score;
                   });
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].rank = i > 0 && rows[i].score == rows[i - 1].score
                       ? rows[i - 1].rank
                       : static_cast<int64_t>(i) + 1;
  }
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<ScoreRow>> Scorecard(
    const Columns& kpis, std::span<const ScoreWeight> weights,
    absl::string_view table) {
  LEADKIT_ASSIGN_OR_RETURN(const std::vector<ScoreWeight> checked,
                           CheckScoreWeights(weights));
  std::vector<const Column*> columns;
  for (const auto& [rate, weight] : checked) {
    const Column* c = kpis.Find(rate);
    if (c == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ": missing required column \"", rate, "\""));
    }
    if (c->type() != ColumnType::kDouble || c->validity_only()) {
      return absl::InvalidArgumentError(absl::StrCat(
          table, ".", rate, ": expected rates (double), got ",
          c->validity_only() ? "only null flags" : ColumnTypeName(c->type())));
    }
    for (int64_t row = 0; row < kpis.num_rows(); ++row) {
      if (c->IsNull(row)) continue;
      const double value = c->NumberAt(row);
      if (value < 0 || value > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".", rate, ": ", scorecard_internal::RowName(kpis, row),
            " has ", breakdowns_internal::FloatText(value),
            "; expected a rate from 0 to 1"));
      }
    }
    columns.push_back(c);
  }
  return Score(kpis.num_rows(), checked, [&](int64_t row, size_t k) {
    return columns[k]->IsNull(row) ? std::nan("") : columns[k]->NumberAt(row);
  });
}

absl::StatusOr<std::vector<ScoreRow>> Scorecard(
    std::span<const KpiRow> rows, std::span<const ScoreWeight> weights) {
  LEADKIT_ASSIGN_OR_RETURN(const std::vector<ScoreWeight> checked,
                           CheckScoreWeights(weights));
  return Score(static_cast<int64_t>(rows.size()), checked,
               [&](int64_t row, size_t k) {
                 return scorecard_internal::RateOf(
                     rows[static_cast<size_t>(row)], checked[k].first);
               });
}

absl::StatusOr<std::vector<ScoreRow>> Scorecard(std::span<const KpiRow> rows,
                                                const Policy& policy) {
  const auto& weights = policy.scorecard().weights;
  if (weights.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "weights: policy \"", policy.name(), "\" has no scorecard section"));
  }
  return Scorecard(rows, weights);
}

}  // namespace leadkit
