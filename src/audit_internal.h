// What the audit and the backtest read of the KPI engine: one lead of a batch evaluated as
// LeadKpis evaluates it, so that the audit's deadlines are the KPIs', and the
// KPIs' counting and groups, so that the backtest's KPIs are kpis()'s. Not part
// of the API.
#ifndef LEADKIT_SRC_AUDIT_INTERNAL_H_
#define LEADKIT_SRC_AUDIT_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lead_batch.h"
#include "state_bytes.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"

namespace leadkit::kpi_internal {

// Lead `row` of `batch` at as_of, as KpiState::Add and LeadKpis count it
// (its survey read from `survey`, per lead row, when given; else -1). `counted` is false for a row left out or
// created after as_of. The lead's facts are left in `facts` and its touches
// by as_of, in the cadence's order, in `touches`. Errors name the row and its
// lead_id. With `follow_up_dues`, the deadline of each follow-up counted in
// LeadKpi::follow_ups_due is appended to it, in the touches' order (the
// backtest's task load).
absl::StatusOr<LeadKpi> EvaluateBatchLead(
    const Cadence& cadence, const batch_internal::LeadBatch& batch,
    Instant as_of, int64_t row, LeadFacts& facts,
    std::vector<TouchFacts>& touches,
    std::vector<Instant>* follow_up_dues = nullptr,
    std::span<const int8_t> survey = {});

// What a counted lead adds to its group's counts (KpiState::Add): its
// first-contact minutes gathered in `minutes`, for FoldMinutes.
void CountLead(const LeadKpi& lead, KpiCounts& counts,
               std::vector<int64_t>& minutes);

// Puts gathered minutes into a histogram, and lets their memory go.
void FoldMinutes(std::vector<int64_t>& minutes, MinuteHistogram& histogram);

// Reads each lead's latest survey by as_of into `survey` (1 satisfied, 0 not,
// -1 none; per lead row) while the batch's ids are known: ReadLeadBatch's
// `with_ids`. `surveys` may be null.
batch_internal::WithIds SurveysInto(std::vector<int8_t>& survey,
                                    const Columns* surveys, Instant as_of);

// The group keys of KpiState (kpi.h): a string column of the leads, or one
// derived from the lead: its grade at creation, its grade in force at as_of,
// the month or the ISO week of created_at in the cadence's zone.
enum class KeyKind { kColumn, kGrade, kCurrentGrade, kMonth, kWeek };

struct KeyPart {
  KeyKind kind = KeyKind::kColumn;
  const Column* column = nullptr;  // kColumn: the leads' column, or null
};

// The parts of `by` over `leads`. InvalidArgument for a personal field (name,
// phone, WeChat, e-mail) or a column that does not hold strings.
absl::StatusOr<std::vector<KeyPart>> KeyParts(const std::vector<std::string>& by,
                                              const Columns& leads);

// The code of one key part of a lead: a dictionary code, a grade, a month
// (year * 12 + month - 1) or a week (ISO year * 100 + week); -1 null.
int64_t PartCode(const KeyPart& part, const Cadence& cadence,
                 const LeadFacts& lead, int current_grade, int64_t row);

// The text of a part's code ("2024-06", "2024-W23", a grade, a column's value
// scrubbed of personal data); nullopt for -1.
std::optional<std::string> PartText(const KeyPart& part, const Policy& policy,
                                    int64_t code);

// Every count of `c` (each minute of its histogram too) into `total`.
void Total(state_internal::CountTotal& total, const KpiCounts& c);

// What every group of counts Add builds satisfies: InvalidArgument beginning
// with `what` ("KPI state bytes") naming the group and the counts otherwise.
absl::Status CheckCounts(const KpiRow& row, absl::string_view what);

}  // namespace leadkit::kpi_internal

#endif  // LEADKIT_SRC_AUDIT_INTERNAL_H_
