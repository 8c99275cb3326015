// The pipeline reports (docs/kpis.md, "Pipeline reports"): each lead's state
// at an instant, its month of creation and close, the grades and stages it
// reached, counted per group into one mergeable state. Leads and touches are
// read by the cadence's batch reader (lead_batch.h); the lead's history is the
// cadence's: GradeAt, PipelineStatusAt and ClosedAt (cadence.h).
#include "leadkit/pipeline.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "leadkit/cadence.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"
#include "lead_batch.h"
#include "report_internal.h"
#include "state_bytes.h"

namespace leadkit {
namespace pipeline_internal {
namespace {

using batch_internal::GroupedTouch;
using batch_internal::LeadBatch;
using report_internal::Codes;

constexpr absl::string_view kMagic = "LKPIP1";
constexpr absl::string_view kWhat = "pipeline state bytes";
constexpr std::array<absl::string_view, 5> kReports = {
    "pipeline", "grade_migration", "monthly", "funnel",
    "touches_per_won_lead"};
// The closed states, after the grades, in the order reports list them.
constexpr std::array<absl::string_view, 3> kClosed = {"won", "lost",
                                                      "invalid"};
// The from-state of a lead created between start and end (grade_migration).
constexpr absl::string_view kNew = "new";
// The sales stages (leads.sales_stage's values but "lost").
constexpr std::array<absl::string_view, 6> kStages = {
    "first_contact", "needs_analysis", "presentation",
    "objection_handling", "negotiation", "won"};
constexpr int kWonStage = static_cast<int>(kStages.size()) - 1;
// The counts of a month: carried_over, new, invalid, won, lost, open_at_end.
constexpr int kPerMonth = 6;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t Seconds(Instant t) { return t.time_since_epoch().count(); }

// Bad rows stop the report: the error names the table and row.
absl::Status RejectRow(absl::string_view table, int64_t row, absl::string_view,
                       std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, " row ", row, ": ", message));
}

bool Grouped(PipelineReport report) {
  return report == PipelineReport::kPipeline ||
         report == PipelineReport::kFunnel ||
         report == PipelineReport::kTouchesPerWonLead;
}

// "YYYY-MM" as a month number (year * 12 + month - 1, as
// report_internal::Period::kMonth counts); nullopt when it is not one.
std::optional<int64_t> MonthNumber(absl::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int64_t year = 0;
  for (int i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    year = year * 10 + (text[i] - '0');
  }
  if (text[5] < '0' || text[5] > '1' || text[6] < '0' || text[6] > '9') {
    return std::nullopt;
  }
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

// What one thread counts: per group (codes of the `by` columns) the counts;
// for the monthly report, how many leads start (carried) or stop (end) being
// open at each month's boundary (differences, summed up at the end).
struct Local {
  absl::flat_hash_map<Codes, std::vector<int64_t>> groups;
  std::vector<int64_t> carried, open_at_end;  // monthly: size months + 1
};

// What every thread reads.
struct Inputs {
  const LeadBatch* batch = nullptr;
  const PipelineOptions* options = nullptr;
  size_t width = 0;
  int grades = 0;
  std::vector<const Column*> keys;  // per `by` column; nullptr: all null
  const Column* stage = nullptr;    // funnel: leads.sales_stage
  std::vector<int> stage_of;        // per code: index in kStages, -1 none
  std::vector<int64_t> months;      // monthly: month numbers, increasing
  TimeZone zone;
};

// The lead's state at t as a count index: -1 not created yet; the grade in
// force while open; grades + 0, 1, 2 for won, lost, invalid.
int StateAt(const LeadFacts& lead, std::span<const TouchFacts> touches,
            Instant t, int grades) {
  if (lead.created_at > t) return -1;
  switch (PipelineStatusAt(lead, t)) {
    case LeadStatus::kOpen:
      return GradeAt(lead, touches, t);
    case LeadStatus::kWon:
      return grades;
    case LeadStatus::kLost:
      return grades + 1;
    case LeadStatus::kInvalid:
      return grades + 2;
  }
  return -1;
}

// Index of `month` in the increasing `months`, -1 when not there.
int MonthIndex(const std::vector<int64_t>& months, int64_t month) {
  const auto it = std::lower_bound(months.begin(), months.end(), month);
  return it != months.end() && *it == month
             ? static_cast<int>(it - months.begin())
             : -1;
}

// Counts lead rows [begin, end) of the batch into `local`.
void CountRows(const Inputs& in, int64_t begin, int64_t end, Local& local) {
  const LeadBatch& batch = *in.batch;
  const PipelineOptions& options = *in.options;
  const int g = in.grades;
  report_internal::LocalClock clock(in.zone);
  std::vector<TouchFacts> touches;
  std::vector<uint8_t> reached(static_cast<size_t>(std::max(g, 0)));
  LeadFacts facts;
  Codes codes(in.keys.size());
  const auto group = [&](int64_t row) -> std::vector<int64_t>& {
    for (size_t k = 0; k < in.keys.size(); ++k) {
      codes[k] = report_internal::CodeAt(in.keys[k], row);
    }
    std::vector<int64_t>& counts = local.groups[codes];
    if (counts.empty()) counts.assign(in.width, 0);
    return counts;
  };
  for (int64_t row = begin; row < end; ++row) {
    const auto r = static_cast<size_t>(row);
    if (batch.rejected[r]) continue;  // out of scope, or reported
    facts = LeadFacts();
    batch.reader.Lead(row, facts);
    const std::span<const GroupedTouch> grouped(
        batch.touches.get() + batch.offsets[r],
        static_cast<size_t>(batch.offsets[r + 1] - batch.offsets[r]));
    switch (options.report) {
      case PipelineReport::kPipeline: {
        if (facts.created_at > options.at) break;
        batch.TouchesOf(row, touches);
        ++group(row)[static_cast<size_t>(
            StateAt(facts, touches, options.at, g))];
        break;
      }
      case PipelineReport::kGradeMigration: {
        if (facts.created_at > options.end) break;
        batch.TouchesOf(row, touches);
        const int before = StateAt(facts, touches, options.start, g);
        const int after = StateAt(facts, touches, options.end, g);
        const bool created_between = facts.created_at > options.start;
        if (!created_between && (before < 0 || before >= g)) break;
        const int from = created_between ? g : before;
        ++group(row)[static_cast<size_t>(from * (g + 3) + after)];
        break;
      }
      case PipelineReport::kMonthly: {
        const std::vector<int64_t>& months = in.months;
        std::vector<int64_t>& counts = group(row);
        const int64_t created =
            clock.PeriodOf(Seconds(facts.created_at),
                           report_internal::Period::kMonth);
        const int at = MonthIndex(months, created);
        if (facts.status == LeadStatus::kInvalid) {
          if (at >= 0) ++counts[static_cast<size_t>(at * kPerMonth + 2)];
          break;
        }
        if (at >= 0) ++counts[static_cast<size_t>(at * kPerMonth + 1)];
        const std::optional<Instant> closed_at = ClosedAt(facts);
        const int64_t closed =
            closed_at ? clock.PeriodOf(Seconds(*closed_at),
                                       report_internal::Period::kMonth)
                      : kNever;
        if (closed_at) {
          const int in_month = MonthIndex(months, closed);
          if (in_month >= 0) {
            const int column = facts.status == LeadStatus::kWon ? 3 : 4;
            ++counts[static_cast<size_t>(in_month * kPerMonth + column)];
          }
        }
        // Open as month m starts: created < m <= closed; as it ends:
        // created <= m < closed, with each instant's local month (LocalClock;
        // where clocks go back across a 1st's midnight, an instant of the
        // repeated hour counts in the month its wall time shows).
        const auto first_after = [&](int64_t month) {
          return static_cast<size_t>(
              std::upper_bound(months.begin(), months.end(), month) -
              months.begin());
        };
        const auto first_from = [&](int64_t month) {
          return static_cast<size_t>(
              std::lower_bound(months.begin(), months.end(), month) -
              months.begin());
        };
        ++local.carried[first_after(created)];
        --local.carried[first_after(closed)];
        ++local.open_at_end[first_from(created)];
        --local.open_at_end[first_from(closed)];
        break;
      }
      case PipelineReport::kFunnel: {
        const Instant as_of = options.as_of;
        if (facts.created_at > as_of) break;
        std::vector<int64_t>& counts = group(row);
        if (facts.status == LeadStatus::kInvalid) break;
        ++counts[0];
        std::fill(reached.begin(), reached.end(), 0);
        if (facts.grade >= 0) reached[static_cast<size_t>(facts.grade)] = 1;
        for (const GroupedTouch& t : grouped) {
          if (t.at > Seconds(as_of)) break;  // in time order
          if (t.grade_after >= 0) reached[static_cast<size_t>(t.grade_after)] = 1;
        }
        for (int k = 0; k < g; ++k) {
          counts[static_cast<size_t>(1 + k)] += reached[static_cast<size_t>(k)];
        }
        const bool won = PipelineStatusAt(facts, as_of) == LeadStatus::kWon;
        int stage = -1;
        if (in.stage != nullptr && !in.stage->IsNull(row)) {
          stage = in.stage_of[static_cast<size_t>(
              in.stage->data<int32_t>()[row])];
        }
        // Recorded won but not won at as_of: negotiation; won at as_of:
        // every stage.
        if (stage == kWonStage && !won) stage = kWonStage - 1;
        if (won) stage = kWonStage;
        for (int s = 0; s <= stage; ++s) {
          ++counts[static_cast<size_t>(1 + g + s)];
        }
        break;
      }
      case PipelineReport::kTouchesPerWonLead: {
        const Instant as_of = options.as_of;
        if (facts.created_at > as_of) break;
        std::vector<int64_t>& counts = group(row);
        if (PipelineStatusAt(facts, as_of) != LeadStatus::kWon) break;
        ++counts[0];
        // Touches up to the win; an unknown won_at: up to as_of.
        const int64_t until =
            Seconds(facts.won_at ? *ClosedAt(facts) : as_of);
        for (const GroupedTouch& t : grouped) {
          if (t.at > until) break;
          ++counts[1];
        }
        break;
      }
    }
  }
}

// Checks leads.sales_stage of the rows read: InvalidArgument naming the first
// bad one.
absl::Status CheckStages(const LeadBatch& batch, const Inputs& in) {
  if (in.stage == nullptr) return absl::OkStatus();
  const std::span<const absl::string_view> values =
      FindLeadField("sales_stage")->values;
  std::vector<uint8_t> known(in.stage->dictionary().size(), 0);
  for (size_t c = 0; c < known.size(); ++c) {
    known[c] = std::find(values.begin(), values.end(),
                         in.stage->dictionary()[c]) != values.end();
  }
  for (int64_t row = 0; row < in.stage->size(); ++row) {
    if (batch.rejected[static_cast<size_t>(row)] || in.stage->IsNull(row) ||
        known[static_cast<size_t>(in.stage->data<int32_t>()[row])]) {
      continue;
    }
    const std::string& value = in.stage->StringAt(row);
    return absl::InvalidArgumentError(absl::StrCat(
        "leads row ", row, ": lead_id ", batch_internal::Quote(batch.ids->ViewAt(row)),
        ": unknown sales_stage ", batch_internal::Quote(value),
        batch_internal::Allowed(value, values)));
  }
  return absl::OkStatus();
}

std::string KeyText(const std::vector<std::optional<std::string>>& key) {
  std::vector<std::string> parts;
  for (const auto& part : key) {
    parts.push_back(part ? batch_internal::Quote(*part) : "null");
  }
  return absl::StrCat("(", absl::StrJoin(parts, ", "), ")");
}

}  // namespace
}  // namespace pipeline_internal

absl::string_view PipelineReportName(PipelineReport report) {
  return pipeline_internal::kReports[static_cast<size_t>(report)];
}

std::span<const absl::string_view> SalesStages() {
  return pipeline_internal::kStages;
}

absl::Status ValidatePipelineOptions(const PipelineOptions& o) {
  namespace internal = pipeline_internal;
  const auto report = static_cast<size_t>(o.report);
  if (report >= internal::kReports.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("report: unknown pipeline report ", report));
  }
  const absl::string_view name = internal::kReports[report];
  if (!o.by.empty() && !internal::Grouped(o.report)) {
    return absl::InvalidArgumentError(
        absl::StrCat("by: ", name, " has no groups"));
  }
  for (size_t i = 0; i < o.by.size(); ++i) {
    if (o.by[i].empty()) {
      return absl::InvalidArgumentError("by: an empty column name");
    }
    if (const LeadFieldInfo* field = FindLeadField(o.by[i]);
        field != nullptr && field->personal) {
      return absl::InvalidArgumentError(absl::StrCat(
          "by: ", o.by[i], " is personal data and cannot name a group"));
    }
    if (std::find(o.by.begin(), o.by.begin() + static_cast<int64_t>(i),
                  o.by[i]) != o.by.begin() + static_cast<int64_t>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: ", o.by[i], " is named twice"));
    }
  }
  if (o.report == PipelineReport::kTouchesPerWonLead) {
    if (!o.grades.empty()) {
      return absl::InvalidArgumentError(
          "grades: touches_per_won_lead reads no grades");
    }
  } else {
    if (o.grades.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("grades: ", name, " needs the policy's grades"));
    }
    for (size_t i = 0; i < o.grades.size(); ++i) {
      if (std::find(o.grades.begin(),
                    o.grades.begin() + static_cast<int64_t>(i),
                    o.grades[i]) != o.grades.begin() + static_cast<int64_t>(i)) {
        return absl::InvalidArgumentError(
            absl::StrCat("grades: ", o.grades[i], " is named twice"));
      }
    }
  }
  if (o.report == PipelineReport::kGradeMigration && o.start >= o.end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "start: ", batch_internal::InstantText(o.start), " is not before end ",
        batch_internal::InstantText(o.end)));
  }
  if (o.report == PipelineReport::kMonthly) {
    if (o.months.empty()) {
      return absl::InvalidArgumentError("months: none given");
    }
    std::optional<int64_t> previous;
    for (size_t i = 0; i < o.months.size(); ++i) {
      const std::optional<int64_t> month =
          internal::MonthNumber(o.months[i]);
      if (!month) {
        return absl::InvalidArgumentError(
            absl::StrCat("months[", i, "]: expected 'YYYY-MM', got ",
                         report_internal::Quoted(o.months[i])));
      }
      if (previous && *month <= *previous) {
        return absl::InvalidArgumentError(absl::StrCat(
            "months: ", report_internal::Quoted(o.months[i]),
            " does not follow ", report_internal::Quoted(o.months[i - 1])));
      }
      previous = month;
    }
    LEADKIT_RETURN_IF_ERROR(report_internal::Zone(o.zone).status());
  }
  return absl::OkStatus();
}

bool PipelineState::KeyOrder::operator()(const Key& a, const Key& b) const {
  static const std::vector<bool> kText;
  return report_internal::KeyLess(a, b, kText);
}

namespace pipeline_internal {

// Every count of a group into `total`, each named by the report and its place
// in the group's counts (CountTotal: the state's counts add up within int64,
// so no sum of them overflows).
void Total(state_internal::CountTotal& total, PipelineReport report,
           const std::vector<int64_t>& counts) {
  for (size_t i = 0; i < counts.size(); ++i) {
    total.Add(PipelineReportName(report), i, counts[i]);
  }
}

}  // namespace pipeline_internal

size_t PipelineState::Width() const {
  const auto g = options_.grades.size();
  switch (options_.report) {
    case PipelineReport::kPipeline:
      return g + 3;
    case PipelineReport::kGradeMigration:
      return (g + 1) * (g + 3);
    case PipelineReport::kMonthly:
      return pipeline_internal::kPerMonth * options_.months.size();
    case PipelineReport::kFunnel:
      return 1 + g + pipeline_internal::kStages.size();
    case PipelineReport::kTouchesPerWonLead:
      return 2;
  }
  return 0;
}

PipelineState::PipelineState(PipelineOptions options)
    : options_(std::move(options)) {
  // Without groups, one row even over no leads.
  if (options_.by.empty()) groups_.emplace(Key(), std::vector<int64_t>(Width()));
}

absl::Status PipelineState::Add(const Policy* policy, const Columns& leads,
                                const Columns& touches,
                                std::span<const uint8_t> include,
                                int threads) {
  namespace internal = pipeline_internal;
  LEADKIT_RETURN_IF_ERROR(ValidatePipelineOptions(options_));
  const PipelineReport report = options_.report;
  const bool graded = report != PipelineReport::kTouchesPerWonLead;
  if (graded) {
    if (policy == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy: ", PipelineReportName(report), " needs the policy"));
    }
    if (!std::equal(options_.grades.begin(), options_.grades.end(),
                    policy->grades().begin(), policy->grades().end())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grades: the state counts grades [",
          absl::StrJoin(options_.grades, ", "), "], the policy has [",
          absl::StrJoin(policy->grades(), ", "), "]"));
    }
  }
  const int64_t n = leads.num_rows();
  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " leads"));
  }
  internal::Inputs in;
  in.options = &options_;
  in.width = Width();
  in.grades = static_cast<int>(options_.grades.size());
  for (const std::string& name : options_.by) {
    LEADKIT_ASSIGN_OR_RETURN(const Column* c,
                             report_internal::KeyColumn(leads, "leads", name));
    in.keys.push_back(c);
  }
  if (report == PipelineReport::kFunnel) {
    LEADKIT_ASSIGN_OR_RETURN(
        in.stage, report_internal::KeyColumn(leads, "leads", "sales_stage"));
    if (in.stage != nullptr) {
      in.stage_of = batch_internal::CodeIndex(in.stage, internal::kStages);
    }
  }
  if (report == PipelineReport::kMonthly) {
    LEADKIT_ASSIGN_OR_RETURN(in.zone, report_internal::Zone(options_.zone));
    for (const std::string& m : options_.months) {
      in.months.push_back(*internal::MonthNumber(m));
    }
  }
  // Touches are read up to the instant the report looks at.
  Instant last = Instant::max();
  if (report == PipelineReport::kPipeline) last = options_.at;
  if (report == PipelineReport::kGradeMigration) last = options_.end;
  if (report == PipelineReport::kFunnel ||
      report == PipelineReport::kTouchesPerWonLead) {
    last = options_.as_of;
  }
  absl::StatusOr<batch_internal::LeadBatch> read =
      graded ? batch_internal::ReadLeadBatch(*policy, leads, touches, last,
                                             internal::RejectRow, include,
                                             threads)
             : batch_internal::ReadLeadBatch(leads, touches, last,
                                             internal::RejectRow, include,
                                             threads);
  LEADKIT_RETURN_IF_ERROR(read.status());
  const batch_internal::LeadBatch& batch = *read;
  in.batch = &batch;
  LEADKIT_RETURN_IF_ERROR(internal::CheckStages(batch, in));

  std::vector<internal::Local> locals(static_cast<size_t>(threads));
  for (internal::Local& local : locals) {
    local.carried.assign(in.months.size() + 1, 0);
    local.open_at_end.assign(in.months.size() + 1, 0);
  }
  batch_internal::RunChunks(n, threads,
                            [&](int k, int64_t begin, int64_t end) {
                              internal::CountRows(
                                  in, begin, end,
                                  locals[static_cast<size_t>(k)]);
                            });

  // The threads' groups by code, then spelled and added (counts add up).
  absl::flat_hash_map<report_internal::Codes, std::vector<int64_t>> all;
  for (internal::Local& local : locals) {
    for (auto& [codes, counts] : local.groups) {
      std::vector<int64_t>& sum = all[codes];
      if (sum.empty()) {
        sum = std::move(counts);
        continue;
      }
      for (size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
    }
  }
  if (report == PipelineReport::kMonthly) {
    // The boundaries' differences summed: leads open as each month starts
    // and ends.
    const report_internal::Codes none;
    std::vector<int64_t>& counts = all[none];
    if (counts.empty()) counts.assign(in.width, 0);
    int64_t carried = 0, open = 0;
    for (size_t m = 0; m < in.months.size(); ++m) {
      for (const internal::Local& local : locals) {
        carried += local.carried[m];
        open += local.open_at_end[m];
      }
      counts[m * internal::kPerMonth] += carried;
      counts[m * internal::kPerMonth + 5] += open;
    }
  }
  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("pipeline state");
  for (const auto& [key, counts] : groups_) {
    internal::Total(total, report, counts);
  }
  for (const auto& [codes, counts] : all) {
    internal::Total(total, report, counts);
  }
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the leads"));
  for (auto& [codes, counts] : all) {
    Key key(codes.size());
    for (size_t k = 0; k < codes.size(); ++k) {
      if (codes[k] >= 0) {
        // A typed value: scrubbed of personal data (ScrubText).
        key[k] = ScrubText(
            in.keys[k]->dictionary()[static_cast<size_t>(codes[k])]);
      }
    }
    std::vector<int64_t>& sum = groups_[std::move(key)];
    if (sum.empty()) sum.assign(in.width, 0);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
  }
  return absl::OkStatus();
}

absl::Status PipelineState::Merge(const PipelineState& other) {
  if (other.options_ != options_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pipeline states: a ", PipelineReportName(other.options_.report),
        " state cannot merge with a ", PipelineReportName(options_.report),
        " state of other parameters (report, by, grades, instants, months "
        "and zone must all be equal)"));
  }
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "pipeline state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        pipeline_internal::Total(total, options_.report, entry.second);
      }));
  for (const auto& [key, counts] : other.groups_) {
    std::vector<int64_t>& sum = groups_[key];
    if (sum.empty()) sum.assign(counts.size(), 0);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
  }
  return absl::OkStatus();
}

std::string PipelineState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  const PipelineOptions& o = options_;
  PutInt(out, static_cast<int64_t>(o.report));
  const auto strings = [&](const std::vector<std::string>& list) {
    PutInt(out, static_cast<int64_t>(list.size()));
    for (const std::string& s : list) PutString(out, s);
  };
  strings(o.by);
  strings(o.grades);
  for (const Instant t : {o.at, o.start, o.end, o.as_of}) {
    PutInt(out, pipeline_internal::Seconds(t));
  }
  strings(o.months);
  PutString(out, o.zone);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [key, counts] : groups_) {
    state_internal::PutKey(out, key);
    for (const int64_t c : counts) PutInt(out, c);
  }
  return state_internal::Frame(pipeline_internal::kMagic, out);
}

absl::StatusOr<PipelineState> PipelineState::Deserialize(
    absl::string_view bytes) {
  namespace internal = pipeline_internal;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, internal::kMagic, internal::kWhat));
  state_internal::Reader in(payload, internal::kWhat);
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(internal::kWhat, ": ", what));
  };
  PipelineOptions o;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t report, in.Int());
  if (report < 0 || report >= static_cast<int64_t>(internal::kReports.size())) {
    return bad(absl::StrCat("unknown report ", report));
  }
  o.report = static_cast<PipelineReport>(report);
  const auto strings =
      [&](std::vector<std::string>& list) -> absl::Status {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Count());
    for (int64_t i = 0; i < count; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(std::string s, in.String());
      list.push_back(std::move(s));
    }
    return absl::OkStatus();
  };
  LEADKIT_RETURN_IF_ERROR(strings(o.by));
  LEADKIT_RETURN_IF_ERROR(strings(o.grades));
  for (Instant* t : {&o.at, &o.start, &o.end, &o.as_of}) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t seconds, in.Int());
    *t = Instant(std::chrono::seconds(seconds));
  }
  LEADKIT_RETURN_IF_ERROR(strings(o.months));
  LEADKIT_ASSIGN_OR_RETURN(o.zone, in.String());
  if (const absl::Status s = ValidatePipelineOptions(o); !s.ok()) {
    return bad(s.message());
  }
  PipelineState state(std::move(o));
  const size_t width = state.Width();
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  if (state.options_.by.empty() && groups != 1) {
    return bad(absl::StrCat("an ungrouped state holds ", groups, " groups"));
  }
  state.groups_.clear();
  const Key* previous = nullptr;
  state_internal::CountTotal total(internal::kWhat);
  for (int64_t i = 0; i < groups; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(
        Key key, in.Key(static_cast<int64_t>(state.options_.by.size())));
    std::vector<int64_t> counts(width);
    for (int64_t& c : counts) {
      LEADKIT_ASSIGN_OR_RETURN(c, in.Int());
      if (c < 0) return bad("a count is negative");
    }
    if (previous != nullptr && !KeyOrder()(*previous, key)) {
      return bad(absl::StrCat("group ", internal::KeyText(key),
                              " is out of order"));
    }
    internal::Total(total, state.options_.report, counts);
    const auto it = state.groups_.emplace(std::move(key), std::move(counts));
    previous = &it.first->first;
  }
  // No state counting leads holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

PipelineTables PipelineState::Finalize() const {
  namespace internal = pipeline_internal;
  using report_internal::Ratio;
  PipelineTables out;
  const std::vector<std::string>& grades = options_.grades;
  const size_t g = grades.size();
  const auto ratio = [](int64_t a, int64_t b) {
    return Ratio(static_cast<double>(a), static_cast<double>(b));
  };
  switch (options_.report) {
    case PipelineReport::kPipeline:
      for (const auto& [key, counts] : groups_) {
        int64_t open = 0;
        for (size_t k = 0; k < g; ++k) open += counts[k];
        for (size_t k = 0; k < g; ++k) {
          out.pipeline.push_back({.key = key,
                                  .grade = grades[k],
                                  .open_leads = counts[k],
                                  .share = ratio(counts[k], open)});
        }
      }
      break;
    case PipelineReport::kGradeMigration: {
      const std::vector<int64_t>& counts = groups_.begin()->second;
      for (size_t from = 0; from <= g; ++from) {
        for (size_t to = 0; to < g + 3; ++to) {
          out.grade_migration.push_back(
              {.from = from < g ? grades[from] : std::string(internal::kNew),
               .to = to < g ? grades[to]
                            : std::string(internal::kClosed[to - g]),
               .leads = counts[from * (g + 3) + to]});
        }
      }
      break;
    }
    case PipelineReport::kMonthly: {
      const std::vector<int64_t>& counts = groups_.begin()->second;
      for (size_t m = 0; m < options_.months.size(); ++m) {
        const int64_t* c = &counts[m * internal::kPerMonth];
        out.monthly.push_back({.month = options_.months[m],
                               .carried_over = c[0],
                               .new_leads = c[1],
                               .invalid = c[2],
                               .won = c[3],
                               .lost = c[4],
                               .open_at_end = c[5],
                               .conversion_rate = ratio(c[3], c[0] + c[1]),
                               .loss_rate = ratio(c[4], c[0] + c[1])});
      }
      break;
    }
    case PipelineReport::kFunnel:
      for (const auto& [key, counts] : groups_) {
        const int64_t leads = counts[0];
        const size_t rows = g + internal::kStages.size();
        for (size_t k = 0; k < rows; ++k) {
          const int64_t reached = counts[1 + k];
          const bool first = k == 0 || k == g;  // each kind's first row
          out.funnel.push_back(
              {.key = key,
               .kind = k < g ? "grade" : "sales_stage",
               .stage = k < g ? grades[k]
                              : std::string(internal::kStages[k - g]),
               .leads = leads,
               .reached = reached,
               .share_of_leads = ratio(reached, leads),
               .conversion_from_previous =
                   first ? std::numeric_limits<double>::quiet_NaN()
                         : ratio(reached, counts[k])});
        }
      }
      break;
    case PipelineReport::kTouchesPerWonLead:
      for (const auto& [key, counts] : groups_) {
        out.touches_per_won_lead.push_back(
            {.key = key,
             .won_leads = counts[0],
             .touches = counts[1],
             .touches_per_won_lead = ratio(counts[1], counts[0])});
      }
      break;
  }
  return out;
}

}  // namespace leadkit
