// The KPI engine (docs/kpis.md): per-lead outcomes on the cadence's deadline
// rules, summed per group into a mergeable state.
#include "leadkit/kpi.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "date/date.h"
#include "date/iso_week.h"
#include "audit_internal.h"
#include "lead_batch.h"
#include "state_bytes.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"

namespace leadkit {
namespace kpi_internal {

void CountLead(const LeadKpi& lead, KpiCounts& c,
               std::vector<int64_t>& minutes) {
  if (lead.invalid) {
    ++c.invalid;
    return;
  }
  ++c.leads;
  c.won += lead.won;
  c.lost += lead.lost;
  c.entered_on_time += lead.entered_on_time;
  c.first_contacts_due += lead.first_contact_due;
  c.first_contact_on_time += lead.first_contact_on_time;
  c.follow_ups_due += lead.follow_ups_due;
  c.follow_ups_on_time += lead.follow_ups_on_time;
  c.timely_leads += lead.timely;
  c.estimated += lead.estimated;
  if (lead.first_contact_minutes) {
    minutes.push_back(*lead.first_contact_minutes);
  }
  if (lead.survey >= 0) {
    ++c.surveyed;
    c.satisfied += lead.survey;
  }
}

void FoldMinutes(std::vector<int64_t>& minutes, MinuteHistogram& histogram) {
  std::sort(minutes.begin(), minutes.end());
  for (size_t i = 0; i < minutes.size();) {
    size_t j = i;
    while (j < minutes.size() && minutes[j] == minutes[i]) ++j;
    histogram.emplace_hint(histogram.end(), minutes[i], 0)->second +=
        static_cast<int64_t>(j - i);
    i = j;
  }
  batch_internal::FreeMemory(minutes);
}

namespace {

using batch_internal::LeadBatch;

// Bad rows stop the KPIs: the error names the table and row.
absl::Status RejectRow(absl::string_view table, int64_t row, absl::string_view,
                       std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, " row ", row, ": ", message));
}

// An estimated deadline past the calendar's coverage cannot have passed while
// as_of lies inside the coverage: not missed (docs/kpis.md).
bool NotYetPassed(const Cadence& cadence, bool estimated, Instant due,
                  Instant as_of) {
  if (!estimated) return false;  // the common case: no calendar lookup
  const Calendar& calendar = cadence.calendar();
  const std::optional<CoverageRange> coverage = calendar.coverage();
  const auto day = [&](Instant t) {
    return date::floor<date::days>(calendar.ToLocal(t));
  };
  return coverage && day(as_of) <= coverage->to && day(due) > coverage->to;
}

// Fills `out` (its `counted` already set) with what the lead adds to its
// group at as_of.
absl::Status EvaluateLead(const Cadence& cadence, const LeadFacts& lead,
                          std::optional<Instant> entered,
                          std::span<const TouchFacts> touches, Instant as_of,
                          LeadKpi& out,
                          std::vector<Instant>* follow_up_dues = nullptr) {
  out.grade = lead.grade;
  out.current_grade = GradeAt(lead, touches, as_of);
  if (lead.status == LeadStatus::kInvalid) {
    out.invalid = true;
    return absl::OkStatus();
  }
  const LeadStatus status = StatusAt(lead, as_of);
  const bool won = status == LeadStatus::kWon;
  const bool lost_at_as_of = status == LeadStatus::kLost;
  out.won = won;
  out.lost = lost_at_as_of && (lead.lost_review == LostReview::kApproved ||
                               lead.lost_review == LostReview::kNone);
  // The follow-up end E of the lead's life (docs/cadence.md).
  Instant end = as_of;
  if (won && lead.won_at) end = *lead.won_at;
  if (lost_at_as_of && lead.lost_review != LostReview::kRejected &&
      lead.lost_at) {
    end = *lead.lost_at;
  }

  bool entry_estimated = false;
  LEADKIT_ASSIGN_OR_RETURN(
      out.entry_due, cadence.EntryDeadline(lead.created_at, &entry_estimated));
  out.entered_on_time =
      entered.value_or(lead.created_at) <= out.entry_due ||
      NotYetPassed(cadence, entry_estimated, out.entry_due, as_of);

  out.first_contact_start = lead.assigned_at.value_or(lead.created_at);
  bool first_contact_estimated = false;
  LEADKIT_ASSIGN_OR_RETURN(
      out.first_contact_due_at,
      cadence.FirstContactDeadline(out.first_contact_start,
                                   &first_contact_estimated));
  out.estimated = entry_estimated || first_contact_estimated;
  if (!touches.empty()) {
    const Instant first = touches.front().at;
    out.first_contact_at = first;
    out.first_contact_method = touches.front().method;
    out.first_contact_due = true;
    out.first_contact_on_time =
        first <= out.first_contact_due_at ||
        NotYetPassed(cadence, first_contact_estimated, out.first_contact_due_at,
                     as_of);
    out.first_contact_minutes =
        std::max<int64_t>(0, (first - out.first_contact_start).count() / 60);
  } else {
    out.first_contact_due = out.first_contact_due_at <= as_of;
  }

  int grade = lead.grade;
  bool all_on_time = true;
  for (size_t i = 0; i < touches.size(); ++i) {
    if (touches[i].grade_after >= 0) grade = touches[i].grade_after;
    LEADKIT_ASSIGN_OR_RETURN(
        std::optional<Instant> due,
        cadence.FollowUpDueBy(touches[i].at, grade, end, &out.estimated));
    if (!due) continue;
    ++out.follow_ups_due;
    if (follow_up_dues != nullptr) follow_up_dues->push_back(*due);
    const bool on_time = i + 1 < touches.size() && touches[i + 1].at <= *due;
    out.follow_ups_on_time += on_time;
    all_on_time &= on_time;
  }
  out.timely = out.entered_on_time &&
               (!out.first_contact_due || out.first_contact_on_time) &&
               all_on_time;
  return absl::OkStatus();
}

// Scratch space for evaluating leads one after another.
struct LeadScratch {
  LeadFacts facts;
  std::vector<TouchFacts> touches;
};

// Evaluates lead row `row` of the batch at as_of, its facts left in `scratch`;
// errors name the row.
absl::StatusOr<LeadKpi> LeadRow(const Cadence& cadence, const LeadBatch& batch,
                                std::span<const int8_t> survey,
                                Instant as_of, int64_t row,
                                LeadScratch& scratch,
                                std::vector<Instant>* follow_up_dues = nullptr) {
  LeadKpi out;
  const auto r = static_cast<size_t>(row);
  if (batch.rejected[r]) return out;
  scratch.facts = LeadFacts();
  batch.reader.Lead(row, scratch.facts);
  const LeadFacts& lead = scratch.facts;
  if (lead.created_at > as_of) return out;
  out.counted = true;
  out.survey = survey.empty() ? -1 : survey[r];
  std::optional<Instant> entered;
  if (batch.entered != nullptr && !batch.entered->IsNull(row)) {
    entered =
        Instant(std::chrono::seconds(batch.entered->data<int64_t>()[row]));
  }
  batch.TouchesOf(row, scratch.touches);
  // Its deadlines on its dealer's calendar (Cadence::WithDealers).
  const absl::Status status =
      EvaluateLead(batch_internal::LeadCadence(cadence, batch, row), lead,
                   entered, scratch.touches, as_of, out, follow_up_dues);
  if (!status.ok()) {
    return absl::Status(
        status.code(),
        absl::StrCat("leads row ", row, " (lead_id \"", batch.ids->ViewAt(row),
                     "\"): ", status.message()));
  }
  return out;
}

// Each lead's latest survey by as_of: 1 satisfied, 0 not (at equal times, not
// satisfied wins), -1 none.
absl::StatusOr<std::vector<int8_t>> LatestSurveys(const LeadBatch& batch,
                                                  const Columns* surveys,
                                                  Instant as_of) {
  const int64_t n = static_cast<int64_t>(batch.rejected.size());
  std::vector<int8_t> survey(static_cast<size_t>(n), -1);
  if (surveys != nullptr && surveys->num_rows() > 0) {
    const Column* ids = surveys->Find("lead_id");
    const Column* at = surveys->Find("at");
    const Column* satisfied = surveys->Find("satisfied");
    if (ids == nullptr || at == nullptr || satisfied == nullptr ||
        (ids->type() != ColumnType::kCode &&
         ids->type() != ColumnType::kString) ||
        at->type() != ColumnType::kInstant) {
      return absl::InvalidArgumentError(
          "surveys: needs lead_id (strings), at (instants) and satisfied "
          "(booleans)");
    }
    const batch_internal::LeadRows lead_of(batch, *ids);
    std::vector<int64_t> latest(static_cast<size_t>(n),
                                std::numeric_limits<int64_t>::min());
    absl::Status status;
    const auto fetch = [&](int64_t lead) {
      __builtin_prefetch(&latest[static_cast<size_t>(lead)]);
    };
    lead_of.Walk(
        0, surveys->num_rows(), fetch,
        [&](int64_t s, batch_internal::IdIndex::Entry entry) {
          const int64_t lead = entry.row;
          if (ids->IsNull(s) || at->IsNull(s) || satisfied->IsNull(s)) {
            const char* column = ids->IsNull(s)  ? "lead_id"
                                 : at->IsNull(s) ? "at"
                                                 : "satisfied";
            status = absl::InvalidArgumentError(absl::StrCat(
                "surveys.", column, ": row ", s,
                ids->IsNull(s)
                    ? ""
                    : absl::StrCat(" (lead_id \"", ids->ViewAt(s), "\")"),
                " is null; lead_id, at and satisfied are required"));
            return false;
          }
          if (lead < 0) {
            status = absl::InvalidArgumentError(
                absl::StrCat("surveys row ", s, ": lead_id \"", ids->ViewAt(s),
                             "\" is not in the leads"));
            return false;
          }
          const auto r = static_cast<size_t>(lead);
          if (batch.rejected[r]) return true;  // out of scope
          const int64_t when = at->data<int64_t>()[s];
          if (when > as_of.time_since_epoch().count()) return true;
          const int8_t value = satisfied->NumberAt(s) != 0 ? 1 : 0;
          if (when > latest[r]) {
            latest[r] = when;
            survey[r] = value;
          } else if (when == latest[r]) {
            survey[r] = std::min(survey[r], value);
          }
          return true;
        });
    LEADKIT_RETURN_IF_ERROR(status);
  }

  return survey;
}

}  // namespace

// Reads the surveys into `survey` (LatestSurveys) while the batch's ids are
// known.
batch_internal::WithIds SurveysInto(std::vector<int8_t>& survey,
                                      const Columns* surveys, Instant as_of) {
  return [&survey, surveys, as_of](const LeadBatch& batch,
                                   std::span<const int32_t>) -> absl::Status {
    LEADKIT_ASSIGN_OR_RETURN(survey, LatestSurveys(batch, surveys, as_of));
    return absl::OkStatus();
  };
}

namespace {

// A group key as one string: each part "N" (null) or "S<length>:<text>".
std::string EncodeKey(const std::vector<std::optional<std::string>>& key) {
  std::string out;
  for (const auto& part : key) {
    if (part) {
      absl::StrAppend(&out, "S", part->size(), ":", *part);
    } else {
      out += "N";
    }
  }
  return out;
}

using Codes = absl::InlinedVector<int64_t, 4>;

// A group's counts while rows are added: first-contact minutes are gathered in
// a list and put into the histogram once, sorted (a tree insert per lead costs
// a cache miss per level).
struct Tally {
  KpiCounts counts;
  std::vector<int64_t> minutes;

  // Puts the gathered minutes into counts.first_contact_minutes.
  void Fold() { FoldMinutes(minutes, counts.first_contact_minutes); }
};

// Adds the counts of lead rows [begin, end) into `local` groups keyed by their
// codes (minutes not yet folded).
absl::Status AddRows(const Cadence& cadence, const LeadBatch& batch,
                     const std::vector<KeyPart>& parts,
                     const std::vector<int8_t>& survey, Instant as_of,
                     int64_t begin, int64_t end,
                     absl::flat_hash_map<Codes, Tally>& local) {
  Codes codes(parts.size());
  LeadScratch scratch;
  for (int64_t row = begin; row < end; ++row) {
    LEADKIT_ASSIGN_OR_RETURN(const LeadKpi lead, LeadRow(cadence, batch, survey,
                                                         as_of, row, scratch));
    if (!lead.counted) continue;  // out of scope, or does not exist yet
    for (size_t k = 0; k < parts.size(); ++k) {
      codes[k] =
          PartCode(parts[k], cadence, scratch.facts, lead.current_grade, row);
    }
    Tally& tally = local[codes];
    CountLead(lead, tally.counts, tally.minutes);
  }
  return absl::OkStatus();
}

// The format's versions: 3, framed (src/state_bytes.h) with
// KpiCounts::estimated; 2, varints and length-prefixed strings, a histogram's
// minutes as differences from the one before, unframed; 1, numbers as 8 bytes
// little-endian, minutes as they are. Every version is read.
constexpr absl::string_view kWhat = "KPI state bytes";
constexpr absl::string_view kMagic = "LKKPI3";
constexpr absl::string_view kVarintMagic = "LKKPI2";
constexpr absl::string_view kFixedMagic = "LKKPI1";

}  // namespace

absl::StatusOr<LeadKpi> EvaluateBatchLead(const Cadence& cadence,
                                          const LeadBatch& batch, Instant as_of,
                                          int64_t row, LeadFacts& facts,
                                          std::vector<TouchFacts>& touches,
                                          std::vector<Instant>* follow_up_dues,
                                          std::span<const int8_t> survey) {
  LeadScratch scratch;
  std::swap(scratch.touches, touches);  // keeps the caller's capacity
  absl::StatusOr<LeadKpi> out =
      LeadRow(cadence, batch, survey, as_of, row, scratch, follow_up_dues);
  facts = std::move(scratch.facts);
  std::swap(scratch.touches, touches);
  return out;
}

int64_t PartCode(const KeyPart& part, const Cadence& cadence,
                 const LeadFacts& lead, int current_grade, int64_t row) {
  switch (part.kind) {
    case KeyKind::kColumn:
      return part.column == nullptr || part.column->IsNull(row)
                 ? -1
                 : part.column->data<int32_t>()[row];
    case KeyKind::kGrade:
      return lead.grade;
    case KeyKind::kCurrentGrade:
      return current_grade;
    case KeyKind::kMonth:
    case KeyKind::kWeek: {
      const date::local_days day =
          date::floor<date::days>(cadence.calendar().ToLocal(lead.created_at));
      if (part.kind == KeyKind::kMonth) {
        const date::year_month_day ymd{day};
        return static_cast<int>(ymd.year()) * 12 +
               static_cast<int>(unsigned(ymd.month())) - 1;
      }
      const iso_week::year_weeknum_weekday w{day};
      return static_cast<int>(w.year()) * 100 +
             static_cast<int>(unsigned(w.weeknum()));
    }
  }
  return -1;
}

std::optional<std::string> PartText(const KeyPart& part, const Policy& policy,
                                    int64_t code) {
  if (code < 0) return std::nullopt;
  switch (part.kind) {
    case KeyKind::kColumn:  // a typed value: scrubbed of personal data
      return ScrubText(part.column->dictionary()[static_cast<size_t>(code)]);
    case KeyKind::kGrade:
    case KeyKind::kCurrentGrade:
      return policy.grades()[static_cast<size_t>(code)];
    case KeyKind::kMonth:
      return absl::StrFormat("%04d-%02d", code / 12, code % 12 + 1);
    case KeyKind::kWeek:
      return absl::StrFormat("%04d-W%02d", code / 100, code % 100);
  }
  return std::nullopt;
}


absl::StatusOr<std::vector<KeyPart>> KeyParts(const std::vector<std::string>& by,
                                              const Columns& leads) {
  std::vector<KeyPart> parts;
  for (const std::string& name : by) {
    KeyPart part;
    if (name == "grade") {
      part.kind = KeyKind::kGrade;
    } else if (name == "current_grade") {
      part.kind = KeyKind::kCurrentGrade;
    } else if (name == "month") {
      part.kind = KeyKind::kMonth;
    } else if (name == "week") {
      part.kind = KeyKind::kWeek;
    } else {
      // Never a group: its values would be the table's keys.
      if (const LeadFieldInfo* field = FindLeadField(name);
          field != nullptr && field->personal) {
        return absl::InvalidArgumentError(absl::StrCat(
            "by: group column \"", name, "\" is personal data, never a group"));
      }
      part.column = leads.Find(name);
      if (part.column != nullptr && (part.column->type() != ColumnType::kCode ||
                                     part.column->validity_only())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "leads.", name, ": a group key column holds strings, not ",
            ColumnTypeName(part.column->type())));
      }
    }
    parts.push_back(part);
  }
  return parts;
}

// Every count of `c` into `total`, each minute of the histogram too
// (CountTotal: the state's counts add up within int64, so no sum of them
// overflows).
void Total(state_internal::CountTotal& total, const KpiCounts& c) {
  for (const KpiField& field : KpiFields()) {
    if (field.count != nullptr) total.Add(field.name, c.*field.count);
  }
  for (const auto& [minutes, n] : c.first_contact_minutes) {
    total.Add("first_contact_minutes", n);
  }
}

}  // namespace kpi_internal

std::span<const KpiField> KpiFields() {
  static constexpr KpiField kFields[] = {
      {"leads", &KpiCounts::leads},
      {"invalid", &KpiCounts::invalid},
      {"won", &KpiCounts::won},
      {"lost", &KpiCounts::lost},
      {"conversion_rate", nullptr, &KpiRow::conversion_rate},
      {"entered_on_time", &KpiCounts::entered_on_time},
      {"entry_timeliness_rate", nullptr, &KpiRow::entry_timeliness_rate},
      {"first_contacts_due", &KpiCounts::first_contacts_due},
      {"first_contact_on_time", &KpiCounts::first_contact_on_time},
      {"first_contact_timeliness_rate", nullptr,
       &KpiRow::first_contact_timeliness_rate},
      {"follow_ups_due", &KpiCounts::follow_ups_due},
      {"follow_ups_on_time", &KpiCounts::follow_ups_on_time},
      {"follow_up_timeliness_rate", nullptr,
       &KpiRow::follow_up_timeliness_rate},
      {"timely_leads", &KpiCounts::timely_leads},
      {"timeliness_rate", nullptr, &KpiRow::timeliness_rate},
      {"surveyed", &KpiCounts::surveyed},
      {"satisfied", &KpiCounts::satisfied},
      {"satisfaction_rate", nullptr, &KpiRow::satisfaction_rate},
      {"first_contact_minutes_p50", nullptr,
       &KpiRow::first_contact_minutes_p50},
      {"first_contact_minutes_p90", nullptr,
       &KpiRow::first_contact_minutes_p90},
      {"estimated", &KpiCounts::estimated, nullptr, false, 3},
  };
  return kFields;
}

void KpiCounts::Merge(const KpiCounts& o) {
  for (const KpiField& field : KpiFields()) {
    if (field.count != nullptr) this->*field.count += o.*field.count;
  }
  // In order, each insert hinted just past the one before: constant time
  // where the histograms do not interleave, a tree search where they do.
  auto hint = first_contact_minutes.begin();
  for (const auto& [minutes, n] : o.first_contact_minutes) {
    hint = first_contact_minutes.emplace_hint(hint, minutes, 0);
    hint->second += n;
    ++hint;
  }
}

MinuteHistogram MinuteHistogramOf(std::span<const int64_t> values) {
  std::vector<int64_t> minutes(values.begin(), values.end());
  MinuteHistogram histogram;
  kpi_internal::FoldMinutes(minutes, histogram);
  return histogram;
}

std::vector<int64_t> BinCounts(const MinuteHistogram& histogram,
                               std::span<const int64_t> edges) {
  std::vector<int64_t> counts(edges.size() + 1, 0);
  // Both in ascending order: one walk of the histogram, the bin moving up.
  size_t bin = 0;
  for (const auto& [value, n] : histogram) {
    while (bin < edges.size() && value > edges[bin]) ++bin;
    counts[bin] += n;
  }
  return counts;
}

double NearestRank(const MinuteHistogram& histogram, double q) {
  int64_t total = 0;
  for (const auto& [value, n] : histogram) total += n;
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  // The smallest value with at least q * total values at or below it.
  const auto rank =
      static_cast<int64_t>(std::ceil(q * static_cast<double>(total)));
  int64_t seen = 0;
  for (const auto& [value, n] : histogram) {
    seen += n;
    if (seen >= std::max<int64_t>(rank, 1)) return static_cast<double>(value);
  }
  return static_cast<double>(histogram.rbegin()->first);
}

KpiState::KpiState(std::vector<std::string> by) : by_(std::move(by)) {}

KpiCounts& KpiState::Group(const std::vector<std::optional<std::string>>& key) {
  auto [it, inserted] = groups_.try_emplace(kpi_internal::EncodeKey(key));
  if (inserted) it->second.key = key;
  return it->second.counts;
}

absl::Status KpiState::Add(const Cadence& cadence, const Columns& leads,
                           const Columns& touches, const Columns* surveys,
                           Instant as_of, std::span<const uint8_t> include,
                           int threads) {
  using kpi_internal::KeyPart;
  const int64_t n = leads.num_rows();
  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " leads"));
  }
  std::vector<int8_t> survey;
  LEADKIT_ASSIGN_OR_RETURN(
      batch_internal::LeadBatch batch,
      batch_internal::ReadLeadBatch(
          cadence.policy(), leads, touches, as_of, kpi_internal::RejectRow,
          include, threads, kpi_internal::SurveysInto(survey, surveys, as_of)));

  LEADKIT_ASSIGN_OR_RETURN(const std::vector<KeyPart> parts,
                           kpi_internal::KeyParts(by_, leads));

  // Rows split over threads, each into groups of its own, merged in row order.
  std::vector<absl::flat_hash_map<kpi_internal::Codes, kpi_internal::Tally>>
      locals(static_cast<size_t>(threads));
  std::vector<absl::Status> statuses(static_cast<size_t>(threads));
  batch_internal::RunChunks(
      n, threads, [&](int k, int64_t begin, int64_t end) {
        statuses[static_cast<size_t>(k)] =
            kpi_internal::AddRows(cadence, batch, parts, survey, as_of, begin,
                                  end, locals[static_cast<size_t>(k)]);
        for (auto& [codes, tally] : locals[static_cast<size_t>(k)]) {
          tally.Fold();
        }
      });
  for (const absl::Status& s : statuses) LEADKIT_RETURN_IF_ERROR(s);
  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("KPI state");
  for (const auto& [encoded, row] : groups_) {
    kpi_internal::Total(total, row.counts);
  }
  for (const auto& local : locals) {
    for (const auto& [codes, tally] : local) {
      kpi_internal::Total(total, tally.counts);
    }
  }
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the leads"));
  std::vector<std::optional<std::string>> key(parts.size());
  for (const auto& local : locals) {
    for (const auto& [codes, tally] : local) {
      for (size_t p = 0; p < parts.size(); ++p) {
        key[p] = kpi_internal::PartText(parts[p], cadence.policy(), codes[p]);
      }
      Group(key).Merge(tally.counts);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LeadKpi>> LeadKpis(const Cadence& cadence,
                                              const Columns& leads,
                                              const Columns& touches,
                                              const Columns* surveys,
                                              Instant as_of) {
  std::vector<int8_t> survey;
  LEADKIT_ASSIGN_OR_RETURN(
      const batch_internal::LeadBatch batch,
      batch_internal::ReadLeadBatch(
          cadence.policy(), leads, touches, as_of, kpi_internal::RejectRow, {},
          1, kpi_internal::SurveysInto(survey, surveys, as_of)));
  std::vector<LeadKpi> out;
  out.reserve(static_cast<size_t>(leads.num_rows()));
  kpi_internal::LeadScratch scratch;
  for (int64_t row = 0; row < leads.num_rows(); ++row) {
    LEADKIT_ASSIGN_OR_RETURN(
        LeadKpi lead,
        kpi_internal::LeadRow(cadence, batch, survey, as_of, row, scratch));
    if (lead.first_contact_at && !lead.invalid) {
      // On the clock of the lead's own calendar.
      const Calendar& calendar =
          batch_internal::LeadCadence(cadence, batch, row).calendar();
      const Instant start = lead.first_contact_start;
      LEADKIT_ASSIGN_OR_RETURN(
          lead.first_contact_business,
          calendar.BusinessBetween(start,
                                   std::max(start, *lead.first_contact_at)));
      LEADKIT_ASSIGN_OR_RETURN(
          lead.first_contact_allowed,
          calendar.BusinessBetween(start, lead.first_contact_due_at));
    }
    out.push_back(lead);
  }
  return out;
}

absl::Status KpiState::Merge(const KpiState& other) {
  if (other.by_ != by_) {
    return absl::FailedPreconditionError(
        "KPI states grouped by different columns cannot be merged");
  }
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "KPI state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        kpi_internal::Total(total, entry.second.counts);
      }));
  for (const auto& [encoded, row] : other.groups_)
    Group(row.key).Merge(row.counts);
  return absl::OkStatus();
}

std::string KpiState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(by_.size()));
  for (const std::string& name : by_) PutString(out, name);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [encoded, row] : groups_) {
    state_internal::PutKey(out, row.key);
    const KpiCounts& c = row.counts;
    for (const KpiField& field : KpiFields()) {
      if (field.count != nullptr) PutInt(out, c.*field.count);
    }
    PutInt(out, static_cast<int64_t>(c.first_contact_minutes.size()));
    int64_t previous = 0;
    for (const auto& [minutes, n] : c.first_contact_minutes) {
      PutInt(out, minutes - previous);
      PutInt(out, n);
      previous = minutes;
    }
  }
  return state_internal::Frame(kpi_internal::kMagic, out);
}

namespace kpi_internal {

// What every state Add builds satisfies, and so every state read back must:
// no count negative; the per-lead counts (won, lost, entered on time, first
// contact due, timely, surveyed, estimated) at most `leads`; the on-time
// counts at most their due counts; satisfied at most surveyed; the
// first-contact histogram's minutes not negative, each bin holding a lead and
// all of them at most first_contacts_due (a lead has minutes only when it was
// contacted, which makes its first contact due). InvalidArgument naming the
// group and the counts.
absl::Status CheckCounts(const KpiRow& row, absl::string_view what) {
  const KpiCounts& c = row.counts;
  const auto group = [&row] {
    std::string text = "group (";
    for (size_t p = 0; p < row.key.size(); ++p) {
      absl::StrAppend(&text, p == 0 ? "" : ", ",
                      row.key[p] ? absl::StrCat("\"", *row.key[p], "\"")
                                 : std::string("null"));
    }
    return absl::StrCat(text, ")");
  };
  const auto bad = [&](std::string problem) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", group(), ": ", problem));
  };
  for (const KpiField& field : KpiFields()) {
    if (field.count != nullptr && c.*field.count < 0) {
      return bad(absl::StrCat(field.name, " is ", c.*field.count,
                              ", a negative count"));
    }
  }
  const struct {
    absl::string_view part;
    int64_t part_count;
    absl::string_view whole;
    int64_t whole_count;
  } kBounds[] = {
      {"won", c.won, "leads", c.leads},
      {"lost", c.lost, "leads", c.leads},
      {"entered_on_time", c.entered_on_time, "leads", c.leads},
      {"first_contacts_due", c.first_contacts_due, "leads", c.leads},
      {"timely_leads", c.timely_leads, "leads", c.leads},
      {"surveyed", c.surveyed, "leads", c.leads},
      {"estimated", c.estimated, "leads", c.leads},
      {"first_contact_on_time", c.first_contact_on_time, "first_contacts_due",
       c.first_contacts_due},
      {"follow_ups_on_time", c.follow_ups_on_time, "follow_ups_due",
       c.follow_ups_due},
      {"satisfied", c.satisfied, "surveyed", c.surveyed},
  };
  for (const auto& b : kBounds) {
    if (b.part_count > b.whole_count) {
      return bad(absl::StrCat(b.part, " ", b.part_count, " is more than ",
                              b.whole, " ", b.whole_count));
    }
  }
  int64_t contacted = 0;
  for (const auto& [minutes, n] : c.first_contact_minutes) {
    if (minutes < 0 || n < 1) {
      return bad(absl::StrCat("the first-contact histogram holds ", n,
                              " lead(s) at ", minutes, " minutes"));
    }
    if (n > c.first_contacts_due - contacted) {
      return bad(absl::StrCat(
          "the first-contact histogram holds more leads than "
          "first_contacts_due ",
          c.first_contacts_due));
    }
    contacted += n;
  }
  return absl::OkStatus();
}

}  // namespace kpi_internal

absl::StatusOr<KpiState> KpiState::Deserialize(absl::string_view bytes) {
  const absl::string_view magic = bytes.substr(0, kpi_internal::kMagic.size());
  const bool current = magic == kpi_internal::kMagic;
  const int version = current ? 3 : magic == kpi_internal::kVarintMagic ? 2 : 1;
  // Fewer bytes than a magic are a bad header below, not an out-of-range
  // substr (which throws).
  absl::string_view payload =
      bytes.substr(std::min(bytes.size(), kpi_internal::kMagic.size()));
  if (current) {
    LEADKIT_ASSIGN_OR_RETURN(
        payload, state_internal::Unframe(bytes, kpi_internal::kMagic,
                                         kpi_internal::kWhat));
  } else if (magic != kpi_internal::kVarintMagic &&
             magic != kpi_internal::kFixedMagic) {
    return absl::InvalidArgumentError(
        "KPI state bytes: not a leadkit KPI state (bad header)");
  }
  state_internal::Reader in(payload, kpi_internal::kWhat,
                            magic != kpi_internal::kFixedMagic);
  const auto bad = [](std::string what) {
    return absl::InvalidArgumentError(
        absl::StrCat(kpi_internal::kWhat, ": ", what));
  };
  LEADKIT_ASSIGN_OR_RETURN(int64_t columns, in.Count());
  std::vector<std::string> by;
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    // A group column is a named, non-personal column, named once.
    if (name.empty()) return bad("a group column without a name");
    if (const LeadFieldInfo* field = FindLeadField(name);
        field != nullptr && field->personal) {
      return bad(absl::StrCat("group column \"", name,
                              "\" is personal data, never a group"));
    }
    if (std::find(by.begin(), by.end(), name) != by.end()) {
      return bad(absl::StrCat("group column \"", name, "\" is named twice"));
    }
    by.push_back(std::move(name));
  }
  KpiState state(std::move(by));
  LEADKIT_ASSIGN_OR_RETURN(int64_t groups, in.Count());
  state_internal::CountTotal total(kpi_internal::kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    LEADKIT_ASSIGN_OR_RETURN(auto key, in.Key(columns));
    KpiRow row{.key = std::move(key)};
    KpiCounts& c = row.counts;
    for (const KpiField& field : KpiFields()) {
      if (field.count == nullptr || field.since > version) continue;
      LEADKIT_ASSIGN_OR_RETURN(c.*field.count, in.Int());
    }
    LEADKIT_ASSIGN_OR_RETURN(int64_t bins, in.Count());
    int64_t minutes = 0;
    for (int64_t b = 0; b < bins; ++b) {
      LEADKIT_ASSIGN_OR_RETURN(int64_t value, in.Int());
      // Differences that add up past int64 are damage, not minutes.
      if (!in.varints()) {
        minutes = value;
      } else if (__builtin_add_overflow(minutes, value, &minutes)) {
        return bad("the first-contact histogram's minutes overflow");
      }
      LEADKIT_ASSIGN_OR_RETURN(int64_t n, in.Int());
      if (!c.first_contact_minutes.emplace(minutes, n).second) {
        return bad(absl::StrCat("the first-contact histogram holds ", minutes,
                                " minutes twice"));
      }
    }
    LEADKIT_RETURN_IF_ERROR(kpi_internal::CheckCounts(row, kpi_internal::kWhat));
    if (state.groups_.count(kpi_internal::EncodeKey(row.key)) != 0) {
      return bad("a group is given twice");
    }
    kpi_internal::Total(total, c);
    state.Group(row.key).Merge(c);
  }
  // No state counting leads holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<KpiRow> KpiState::Finalize() const {
  std::vector<KpiRow> rows;
  for (const auto& [encoded, row] : groups_) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const KpiRow& a, const KpiRow& b) {
    for (size_t p = 0; p < a.key.size(); ++p) {
      const auto& x = a.key[p];
      const auto& y = b.key[p];
      if (x == y) continue;
      if (!x) return false;  // null last
      if (!y) return true;
      return *x < *y;
    }
    return false;
  });
  if (rows.empty() && by_.empty())
    rows.push_back(KpiRow{});  // one row when not grouped
  return rows;
}

bool KpiState::operator==(const KpiState& other) const {
  if (by_ != other.by_ || groups_.size() != other.groups_.size()) return false;
  for (const auto& [encoded, row] : groups_) {
    auto it = other.groups_.find(encoded);
    if (it == other.groups_.end() || !(it->second.counts == row.counts))
      return false;
  }
  return true;
}

}  // namespace leadkit
