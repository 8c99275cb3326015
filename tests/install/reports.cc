// Computes every report of docs/kpis.md from JSON files, through leadkit's
// public headers only — the whole program a dealer system writes around the
// library:
//
//   leadkit_reports POLICY DIR AS_OF
//
// POLICY is a preset name (three_level, abcd, oabc, funnel) or the path of a
// policy document (a name ending in ".json"). DIR holds leads.json,
// touches.json, visits.json, surveys.json and dealers.json: JSON arrays of
// objects, one per row, with the columns of docs/data.md (instants as ISO 8601
// text with an offset or epoch seconds, null for a missing value). AS_OF is
// the instant every report is judged at, ISO 8601 text or epoch seconds.
//
// Output: one line per report, `report,rows,name=value`: the report's name,
// how many rows its table has, and one named total over those rows; on
// tests/install/sample (its README works the numbers out), e.g.
//   kpis,3,leads=3
//   schedule,4,overdue=2
// A reader splits a line at its first two commas and the total at its "=".
// Every report is judged at AS_OF; grade_migration covers the 30 days up to
// it and monthly its month (in the policy's time zone) and the two before.
// Exit status 0 on success; 2 on bad input (the message on standard error,
// nothing on standard output).
#include <cstdint>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
// date::parse trips gcc's -Wmaybe-uninitialized inside date.h (a false
// positive, silenced the same way in leadkit's own sources).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "date/date.h"
#pragma GCC diagnostic pop
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/lead_json.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"
#include "leadkit/profile.h"
#include "leadkit/scorecard.h"
#include "leadkit/showroom.h"
#include "nlohmann/json.hpp"

namespace {

using Json = nlohmann::json;
using leadkit::Column;
using leadkit::Columns;
using leadkit::ColumnType;
using leadkit::Instant;

// ---------------------------------------------------------------------------
// Reading the input. leadkit reads every table as Columns: views over memory
// the caller owns. The leads have a reader of their own (LeadTable); the other
// tables are read here into buffers a JsonTable keeps alive.

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": cannot read"));
  return text.str();
}

// An instant as leadkit's JSON takes it: ISO 8601 text with an offset
// ("2025-03-02T09:15:00+08:00", "...Z"). A time without an offset is refused:
// which zone it meant is not ours to guess.
std::optional<int64_t> ParseIsoInstant(std::string text) {
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    text.back() = '+';
    text += "00:00";
  }
  for (const char* format : {"%FT%T%Ez", "%F %T%Ez"}) {
    std::istringstream in(text);
    date::sys_time<std::chrono::microseconds> t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      return std::chrono::floor<std::chrono::seconds>(t)
          .time_since_epoch()
          .count();
    }
  }
  return std::nullopt;
}

// An instant from a JSON value: ISO text or whole epoch seconds.
std::optional<int64_t> InstantOf(const Json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return value.get<int64_t>();
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() <= INT64_MAX) {
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  if (value.is_string()) return ParseIsoInstant(value.get<std::string>());
  return std::nullopt;
}

// The columns a table may have, with the type leadkit reads them as
// (docs/data.md). Strings become dictionary codes, as LeadTable reads them.
struct ColumnSpec {
  absl::string_view name;
  ColumnType type;  // kCode, kDouble, kBool or kInstant
};

struct TableSpec {
  absl::string_view name;       // "touches": names the table in messages
  absl::string_view id_column;  // names a row in messages
  std::vector<ColumnSpec> columns;
};

const TableSpec& TouchesSpec() {
  static const TableSpec spec{"touches",
                              "lead_id",
                              {{"lead_id", ColumnType::kCode},
                               {"at", ColumnType::kInstant},
                               {"method", ColumnType::kCode},
                               {"consultant_id", ColumnType::kCode},
                               {"grade_after", ColumnType::kCode},
                               {"content", ColumnType::kCode}}};
  return spec;
}

const TableSpec& VisitsSpec() {
  static const TableSpec spec{"visits",
                              "visit_id",
                              {{"visit_id", ColumnType::kCode},
                               {"dealer_id", ColumnType::kCode},
                               {"arrived_at", ColumnType::kInstant},
                               {"left_at", ColumnType::kInstant},
                               {"lead_id", ColumnType::kCode},
                               {"consultant_id", ColumnType::kCode},
                               {"effective", ColumnType::kBool},
                               {"model", ColumnType::kCode}}};
  return spec;
}

const TableSpec& SurveysSpec() {
  static const TableSpec spec{"surveys",
                              "lead_id",
                              {{"lead_id", ColumnType::kCode},
                               {"at", ColumnType::kInstant},
                               {"satisfied", ColumnType::kBool}}};
  return spec;
}

// `calendar` gives a dealer its own business calendar (docs/policy.md).
const TableSpec& DealersSpec() {
  static const TableSpec spec{"dealers",
                              "dealer_id",
                              {{"dealer_id", ColumnType::kCode},
                               {"region_id", ColumnType::kCode},
                               {"lat", ColumnType::kDouble},
                               {"lon", ColumnType::kDouble},
                               {"city", ColumnType::kCode},
                               {"models", ColumnType::kCode},
                               {"active", ColumnType::kBool},
                               {"calendar", ColumnType::kCode}}};
  return spec;
}

// One column's values while they are read: a null is a 0 validity byte.
struct ColumnBuffer {
  std::vector<uint8_t> valid;
  std::vector<double> doubles;
  std::vector<uint8_t> bools;
  std::vector<int64_t> instants;
  std::vector<int32_t> codes;
  std::vector<std::string> dictionary;
  absl::flat_hash_map<std::string, int32_t> code_of;  // dictionary's inverse
};

// A table read from a JSON array of objects. It owns the buffers; columns()
// views them, so a JsonTable is not copied or moved once read (held by
// unique_ptr).
class JsonTable {
 public:
  static absl::StatusOr<std::unique_ptr<JsonTable>> Read(
      const TableSpec& spec, const std::string& path);

  const Columns& columns() const { return columns_; }

 private:
  explicit JsonTable(int64_t rows) : columns_(rows) {}

  std::deque<ColumnBuffer> buffers_;  // a deque: growing never moves them
  Columns columns_;
};

// "touches[3] (lead_id "L1")": where a bad value is. The ids of these tables
// are not personal data, so they may be shown.
std::string RowName(const TableSpec& spec, const Json& row, size_t index) {
  std::string name = absl::StrCat(spec.name, "[", index, "]");
  auto id = row.find(std::string(spec.id_column));
  if (id != row.end() && id->is_string()) {
    absl::StrAppend(&name, " (", spec.id_column, " \"", id->get<std::string>(),
                    "\")");
  }
  return name;
}

// Stores `value` at `row` of `buffer`; false when its JSON type does not fit.
bool Store(ColumnType type, const Json& value, size_t row,
           ColumnBuffer& buffer) {
  switch (type) {
    case ColumnType::kDouble:
      if (!value.is_number()) return false;
      buffer.doubles[row] = value.get<double>();
      return true;
    case ColumnType::kBool:
      if (!value.is_boolean()) return false;
      buffer.bools[row] = value.get<bool>() ? 1 : 0;
      return true;
    case ColumnType::kInstant: {
      std::optional<int64_t> seconds = InstantOf(value);
      if (!seconds) return false;
      buffer.instants[row] = *seconds;
      return true;
    }
    default: {  // kCode
      if (!value.is_string()) return false;
      auto [it, added] = buffer.code_of.try_emplace(
          value.get<std::string>(),
          static_cast<int32_t>(buffer.dictionary.size()));
      if (added) buffer.dictionary.push_back(it->first);
      buffer.codes[row] = it->second;
      return true;
    }
  }
}

absl::string_view Expected(ColumnType type) {
  switch (type) {
    case ColumnType::kDouble:
      return "a number";
    case ColumnType::kBool:
      return "true or false";
    case ColumnType::kInstant:
      return "an ISO 8601 time with an offset, or epoch seconds";
    default:
      return "a string";
  }
}

absl::StatusOr<std::unique_ptr<JsonTable>> JsonTable::Read(
    const TableSpec& spec, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  Json rows = Json::parse(*text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (rows.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.name, " (", path, "): malformed JSON"));
  }
  if (!rows.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " (", path, "): expected a JSON array of objects"));
  }
  const size_t n = rows.size();
  std::unique_ptr<JsonTable> table(new JsonTable(static_cast<int64_t>(n)));
  // Every column of the spec gets a buffer; one no row mentions stays all
  // null, which leadkit reads as an absent column does.
  std::vector<ColumnBuffer*> buffers;
  for (const ColumnSpec& column : spec.columns) {
    ColumnBuffer& b = table->buffers_.emplace_back();
    b.valid.assign(n, 0);
    if (column.type == ColumnType::kDouble) b.doubles.assign(n, 0.0);
    if (column.type == ColumnType::kBool) b.bools.assign(n, 0);
    if (column.type == ColumnType::kInstant) b.instants.assign(n, 0);
    if (column.type == ColumnType::kCode) b.codes.assign(n, -1);
    buffers.push_back(&b);
  }
  for (size_t i = 0; i < n; ++i) {
    const Json& row = rows[i];
    if (!row.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec.name, "[", i, "]: expected an object"));
    }
    for (const auto& [key, value] : row.items()) {
      size_t c = 0;
      while (c < spec.columns.size() && spec.columns[c].name != key) ++c;
      // A misspelt column would otherwise read as an all-null one.
      if (c == spec.columns.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            RowName(spec, row, i), ": unknown column \"", key, "\""));
      }
      if (value.is_null()) continue;
      const ColumnType type = spec.columns[c].type;
      if (!Store(type, value, i, *buffers[c])) {
        return absl::InvalidArgumentError(
            absl::StrCat(RowName(spec, row, i), ".", key, ": expected ",
                         Expected(type), ", got ", value.dump()));
      }
      buffers[c]->valid[i] = 1;
    }
  }
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const ColumnBuffer& b = *buffers[c];
    const uint8_t* valid = b.valid.data();
    Column column = Column::ValidityOnly(static_cast<int64_t>(n), valid);
    switch (spec.columns[c].type) {
      case ColumnType::kDouble:
        column = Column::Doubles(b.doubles, valid);
        break;
      case ColumnType::kBool:
        column = Column::Bools(b.bools, valid);
        break;
      case ColumnType::kInstant:
        column = Column::Instants(b.instants, valid);
        break;
      default:
        column = Column::Codes(b.codes, b.dictionary, valid);
    }
    if (absl::Status s = table->columns_.Add(spec.columns[c].name, column);
        !s.ok()) {
      return s;
    }
  }
  return table;
}

absl::StatusOr<leadkit::Policy> LoadPolicy(const std::string& name) {
  if (!absl::EndsWith(name, ".json")) return leadkit::Policy::Preset(name);
  absl::StatusOr<std::string> text = ReadFile(name);
  if (!text.ok()) return text.status();
  absl::StatusOr<leadkit::PolicyLoad> load = leadkit::Policy::FromJson(*text);
  if (!load.ok()) return load.status();
  return load->policy();  // FailedPrecondition naming the document's errors
}

absl::StatusOr<Instant> ParseAsOf(const std::string& text) {
  int64_t epoch = 0;
  std::optional<int64_t> seconds = absl::SimpleAtoi(text, &epoch)
                                       ? std::optional<int64_t>(epoch)
                                       : ParseIsoInstant(text);
  if (!seconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AS_OF: expected an ISO 8601 time with an offset or epoch seconds, "
        "got \"",
        text, "\""));
  }
  return Instant(std::chrono::seconds(*seconds));
}

// Everything the reports read, loaded once.
struct Inputs {
  leadkit::Policy policy;
  // The policy's deadline rules, each lead judged on its dealer's calendar
  // when the dealers table gives one (Cadence::WithDealers).
  leadkit::Cadence cadence;
  leadkit::LeadTable leads;
  std::unique_ptr<JsonTable> touches, visits, surveys, dealers;
  Instant as_of;

  // Local times (days, hours, months) are the policy's zone's, as a dealer's
  // own reports would show them.
  const std::string& zone() const { return policy.calendar().time_zone; }
};

absl::StatusOr<Inputs> LoadInputs(const std::string& policy_name,
                                  const std::string& dir,
                                  const std::string& as_of_text) {
  absl::StatusOr<leadkit::Policy> policy = LoadPolicy(policy_name);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<Instant> as_of = ParseAsOf(as_of_text);
  if (!as_of.ok()) return as_of.status();

  absl::StatusOr<std::string> leads_text = ReadFile(dir + "/leads.json");
  if (!leads_text.ok()) return leads_text.status();
  absl::StatusOr<leadkit::LeadTable> leads =
      leadkit::LeadTable::FromJson(*leads_text);
  if (!leads.ok()) return leads.status();

  absl::StatusOr<std::unique_ptr<JsonTable>> touches =
      JsonTable::Read(TouchesSpec(), dir + "/touches.json");
  if (!touches.ok()) return touches.status();
  absl::StatusOr<std::unique_ptr<JsonTable>> visits =
      JsonTable::Read(VisitsSpec(), dir + "/visits.json");
  if (!visits.ok()) return visits.status();
  absl::StatusOr<std::unique_ptr<JsonTable>> surveys =
      JsonTable::Read(SurveysSpec(), dir + "/surveys.json");
  if (!surveys.ok()) return surveys.status();
  absl::StatusOr<std::unique_ptr<JsonTable>> dealers =
      JsonTable::Read(DealersSpec(), dir + "/dealers.json");
  if (!dealers.ok()) return dealers.status();

  absl::StatusOr<leadkit::Cadence> cadence =
      leadkit::Cadence::ForPolicy(*policy);
  if (!cadence.ok()) return cadence.status();
  absl::StatusOr<leadkit::Cadence> with_dealers =
      cadence->WithDealers((*dealers)->columns());
  if (!with_dealers.ok()) return with_dealers.status();

  return Inputs{.policy = *std::move(policy),
                .cadence = *std::move(with_dealers),
                .leads = *std::move(leads),
                .touches = *std::move(touches),
                .visits = *std::move(visits),
                .surveys = *std::move(surveys),
                .dealers = *std::move(dealers),
                .as_of = *as_of};
}

// ---------------------------------------------------------------------------
// The reports. Each function computes one report's table through its state
// (or function) and returns the line that sums it up. Grouping is fixed here,
// one sensible choice per report; the Python functions of the same names take
// the same choices in python/tests/test_agreement.py.

struct ReportLine {
  std::string report;  // the Python function's name (and view)
  int64_t rows = 0;    // rows of its table
  std::string total;   // "name=value", summed over the rows
};

std::string Total(absl::string_view name, int64_t value) {
  return absl::StrCat(name, "=", value);
}

// Core KPIs by channel. The scorecard scores these same rows.
absl::StatusOr<std::vector<leadkit::KpiRow>> KpiRows(const Inputs& in) {
  leadkit::KpiState state({"channel"});
  if (absl::Status s =
          state.Add(in.cadence, in.leads.columns(), in.touches->columns(),
                    &in.surveys->columns(), in.as_of);
      !s.ok()) {
    return s;
  }
  return state.Finalize();
}

absl::StatusOr<ReportLine> KpisReport(const Inputs& in) {
  absl::StatusOr<std::vector<leadkit::KpiRow>> rows = KpiRows(in);
  if (!rows.ok()) return rows.status();
  int64_t leads = 0;
  for (const leadkit::KpiRow& row : *rows) leads += row.counts.leads;
  return ReportLine{"kpis", static_cast<int64_t>(rows->size()),
                    Total("leads", leads)};
}

// The appraisal score of each KPI row under the policy's weights. A policy
// without a scorecard section (the presets have none) has nothing to score:
// the line says so with weights=0 rather than inventing weights.
absl::StatusOr<ReportLine> ScorecardReport(const Inputs& in) {
  if (in.policy.scorecard().weights.empty()) {
    return ReportLine{"scorecard", 0, Total("weights", 0)};
  }
  absl::StatusOr<std::vector<leadkit::KpiRow>> rows = KpiRows(in);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<leadkit::ScoreRow>> card =
      leadkit::Scorecard(*rows, in.policy);
  if (!card.ok()) return card.status();
  // Scores are fractions; the rows that share the best rank are a whole
  // number that compares exactly.
  int64_t best = 0;
  for (const leadkit::ScoreRow& row : *card) best += row.rank == 1 ? 1 : 0;
  return ReportLine{"scorecard", static_cast<int64_t>(card->size()),
                    Total("rank_1", best)};
}

// The open follow-up tasks at as_of (docs/cadence.md).
absl::StatusOr<ReportLine> ScheduleReport(const Inputs& in) {
  absl::StatusOr<leadkit::ScheduleResult> result = in.cadence.Schedule(
      in.leads.columns(), in.touches->columns(), in.as_of);
  if (!result.ok()) return result.status();
  int64_t overdue = 0;
  for (const leadkit::ScheduledTask& t : result->tasks) {
    overdue += t.task.overdue ? 1 : 0;
  }
  return ReportLine{"schedule", static_cast<int64_t>(result->tasks.size()),
                    Total("overdue", overdue)};
}

// Showroom traffic per dealer.
absl::StatusOr<ReportLine> ShowroomReport(const Inputs& in) {
  leadkit::ShowroomState state(
      {.by = {"dealer_id"}, .time_zone = in.zone()});
  if (absl::Status s =
          state.Add(in.visits->columns(), &in.leads.columns(), in.as_of);
      !s.ok()) {
    return s;
  }
  const std::vector<leadkit::ShowroomRow> rows = state.Finalize();
  int64_t visits = 0;
  for (const leadkit::ShowroomRow& row : rows) visits += row.visits;
  return ReportLine{"showroom", static_cast<int64_t>(rows.size()),
                    Total("visits", visits)};
}

// Each consultant's contacts per local day (the report's default grouping).
absl::StatusOr<ReportLine> ActivityReport(const Inputs& in) {
  leadkit::ActivityState state(
      {.by = {"consultant_id", "day"}, .time_zone = in.zone()});
  if (absl::Status s =
          state.Add(in.touches->columns(), &in.leads.columns(), in.as_of);
      !s.ok()) {
    return s;
  }
  const std::vector<leadkit::ActivityRow> rows = state.Finalize();
  int64_t contacts = 0;
  for (const leadkit::ActivityRow& row : rows) contacts += row.contacts;
  return ReportLine{"activity", static_cast<int64_t>(rows.size()),
                    Total("contacts", contacts)};
}

// Conversion by how leads were followed up, in one of the two views.
absl::StatusOr<ReportLine> EffectivenessReport(
    const Inputs& in, leadkit::EffectivenessView view) {
  leadkit::EffectivenessState state({.view = view});
  if (absl::Status s = state.Add(in.leads.columns(), in.touches->columns(),
                                 in.as_of);
      !s.ok()) {
    return s;
  }
  const std::vector<leadkit::EffectivenessRow> rows = state.Finalize();
  int64_t leads = 0;
  for (const leadkit::EffectivenessRow& row : rows) leads += row.leads;
  return ReportLine{
      absl::StrCat("effectiveness_", leadkit::EffectivenessViewName(view)),
      static_cast<int64_t>(rows.size()), Total("leads", leads)};
}

// Lost sales by month of loss (in the policy's zone) and reason.
absl::StatusOr<ReportLine> LostAnalysisReport(const Inputs& in) {
  leadkit::LostAnalysisState state(
      {.by = {"month"}, .time_zone = in.zone()});
  if (absl::Status s = state.Add(in.leads.columns(), in.as_of); !s.ok()) {
    return s;
  }
  const std::vector<leadkit::LostAnalysisRow> rows = state.Finalize();
  int64_t lost = 0;
  for (const leadkit::LostAnalysisRow& row : rows) lost += row.counts.lost;
  return ReportLine{"lost_analysis", static_cast<int64_t>(rows.size()),
                    Total("lost", lost)};
}

// The customer profile by age band (the default bands).
absl::StatusOr<ReportLine> ProfileReport(const Inputs& in) {
  leadkit::ProfileState state({.by = {"age_band"}});
  if (absl::Status s = state.Add(in.leads.columns(), in.as_of); !s.ok()) {
    return s;
  }
  const std::vector<leadkit::ProfileRow> rows = state.Finalize();
  int64_t leads = 0;
  for (const leadkit::ProfileRow& row : rows) leads += row.counts.leads;
  return ReportLine{"profile", static_cast<int64_t>(rows.size()),
                    Total("leads", leads)};
}

// The supervisor's audit: one row per finding; the total counts the leads
// with a finding (a row count would only repeat `rows`).
absl::StatusOr<ReportLine> AuditReport(const Inputs& in) {
  leadkit::AuditState state;
  if (absl::Status s = state.Add(in.cadence, in.leads.columns(),
                                 in.touches->columns(), in.as_of);
      !s.ok()) {
    return s;
  }
  const std::vector<leadkit::AuditRow> rows = state.Finalize();
  std::set<std::string> leads;
  for (const leadkit::AuditRow& row : rows) leads.insert(row.lead_id);
  return ReportLine{"audit", static_cast<int64_t>(rows.size()),
                    Total("leads", static_cast<int64_t>(leads.size()))};
}

// ---- The pipeline family (leadkit/pipeline.h): one PipelineState per
// report, its options naming the report and its instants. Every report but
// touches_per_won_lead reads grades: the policy's, in its order.

std::vector<std::string> Grades(const Inputs& in) {
  return {in.policy.grades().begin(), in.policy.grades().end()};
}

// Adds the leads and touches to a state of `options` and returns its tables.
absl::StatusOr<leadkit::PipelineTables> ComputePipeline(
    const Inputs& in, leadkit::PipelineOptions options) {
  leadkit::PipelineState state(std::move(options));
  if (absl::Status s =
          state.Add(&in.policy, in.leads.columns(), in.touches->columns());
      !s.ok()) {
    return s;
  }
  return state.Finalize();
}

// The open leads at as_of by dealer and grade (the prospect control table).
absl::StatusOr<ReportLine> PipelineReport(const Inputs& in) {
  absl::StatusOr<leadkit::PipelineTables> tables =
      ComputePipeline(in, {.report = leadkit::PipelineReport::kPipeline,
                           .by = {"dealer_id"},
                           .grades = Grades(in),
                           .at = in.as_of});
  if (!tables.ok()) return tables.status();
  int64_t open = 0;
  for (const leadkit::PipelineRow& row : tables->pipeline) {
    open += row.open_leads;
  }
  return ReportLine{"pipeline", static_cast<int64_t>(tables->pipeline.size()),
                    Total("open_leads", open)};
}

// Grade changes over the 30 days up to as_of: the leads open 30 days before
// plus those created since (every from -> to pair is a row, the long form).
absl::StatusOr<ReportLine> GradeMigrationReport(const Inputs& in) {
  absl::StatusOr<leadkit::PipelineTables> tables =
      ComputePipeline(in, {.report = leadkit::PipelineReport::kGradeMigration,
                           .grades = Grades(in),
                           .start = in.as_of - std::chrono::days(30),
                           .end = in.as_of});
  if (!tables.ok()) return tables.status();
  int64_t leads = 0;
  for (const leadkit::MigrationRow& row : tables->grade_migration) {
    leads += row.leads;
  }
  return ReportLine{"grade_migration",
                    static_cast<int64_t>(tables->grade_migration.size()),
                    Total("leads", leads)};
}

// The month of as_of in the policy's zone (its calendar's, Inputs::zone) and
// the two before it, "YYYY-MM".
absl::StatusOr<std::vector<std::string>> LastThreeMonths(const Inputs& in) {
  absl::StatusOr<leadkit::Calendar> calendar =
      leadkit::CalendarForPolicy(in.policy);
  if (!calendar.ok()) return calendar.status();
  const date::year_month_day day{
      std::chrono::floor<date::days>(calendar->ToLocal(in.as_of))};
  const date::year_month month = day.year() / day.month();
  std::vector<std::string> months;
  for (int back = 2; back >= 0; --back) {
    const date::year_month m = month - date::months(back);
    const unsigned number = static_cast<unsigned>(m.month());
    months.push_back(absl::StrCat(static_cast<int>(m.year()), "-",
                                  number < 10 ? "0" : "", number));
  }
  return months;
}

// The month-end roll-over of the last three months (LastThreeMonths).
absl::StatusOr<ReportLine> MonthlyReport(const Inputs& in) {
  absl::StatusOr<std::vector<std::string>> months = LastThreeMonths(in);
  if (!months.ok()) return months.status();
  absl::StatusOr<leadkit::PipelineTables> tables =
      ComputePipeline(in, {.report = leadkit::PipelineReport::kMonthly,
                           .grades = Grades(in),
                           .months = *std::move(months),
                           .zone = in.zone()});
  if (!tables.ok()) return tables.status();
  int64_t won = 0;
  for (const leadkit::MonthlyRow& row : tables->monthly) won += row.won;
  return ReportLine{"monthly", static_cast<int64_t>(tables->monthly.size()),
                    Total("won", won)};
}

// How far the leads got by as_of: the grades, then the sales stages. The
// total is the funnel's bottom, the leads that reached the stage "won".
absl::StatusOr<ReportLine> FunnelReport(const Inputs& in) {
  absl::StatusOr<leadkit::PipelineTables> tables =
      ComputePipeline(in, {.report = leadkit::PipelineReport::kFunnel,
                           .grades = Grades(in),
                           .as_of = in.as_of});
  if (!tables.ok()) return tables.status();
  int64_t won = 0;
  for (const leadkit::FunnelRow& row : tables->funnel) {
    if (row.kind == "sales_stage" && row.stage == "won") won += row.reached;
  }
  return ReportLine{"funnel", static_cast<int64_t>(tables->funnel.size()),
                    Total("won", won)};
}

// Touches per won lead by channel. It reads no grades, so no policy.
absl::StatusOr<ReportLine> TouchesPerWonLeadReport(const Inputs& in) {
  leadkit::PipelineState state(
      {.report = leadkit::PipelineReport::kTouchesPerWonLead,
       .by = {"channel"},
       .as_of = in.as_of});
  if (absl::Status s = state.Add(/*policy=*/nullptr, in.leads.columns(),
                                 in.touches->columns());
      !s.ok()) {
    return s;
  }
  const std::vector<leadkit::TouchesPerWonLeadRow> rows =
      state.Finalize().touches_per_won_lead;
  int64_t won_leads = 0;
  for (const leadkit::TouchesPerWonLeadRow& row : rows) {
    won_leads += row.won_leads;
  }
  return ReportLine{"touches_per_won_lead", static_cast<int64_t>(rows.size()),
                    Total("won_leads", won_leads)};
}

// Every report, in output order. All are computed before anything is
// printed, so a failing report leaves no partial output behind.
absl::StatusOr<std::vector<ReportLine>> AllReports(const Inputs& in) {
  std::vector<absl::StatusOr<ReportLine>> lines;
  lines.push_back(KpisReport(in));
  lines.push_back(ScorecardReport(in));
  lines.push_back(ScheduleReport(in));
  lines.push_back(ShowroomReport(in));
  lines.push_back(ActivityReport(in));
  lines.push_back(
      EffectivenessReport(in, leadkit::EffectivenessView::kMethodMix));
  lines.push_back(
      EffectivenessReport(in, leadkit::EffectivenessView::kInterval));
  lines.push_back(LostAnalysisReport(in));
  lines.push_back(ProfileReport(in));
  lines.push_back(AuditReport(in));
  lines.push_back(PipelineReport(in));
  lines.push_back(GradeMigrationReport(in));
  lines.push_back(MonthlyReport(in));
  lines.push_back(FunnelReport(in));
  lines.push_back(TouchesPerWonLeadReport(in));
  std::vector<ReportLine> out;
  for (absl::StatusOr<ReportLine>& line : lines) {
    if (!line.ok()) return line.status();
    out.push_back(*std::move(line));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: leadkit_reports POLICY DIR AS_OF\n"
                 "  POLICY  a preset name or a policy document (.json)\n"
                 "  DIR     holds leads.json, touches.json, visits.json, "
                 "surveys.json, dealers.json\n"
                 "  AS_OF   ISO 8601 time with an offset, or epoch seconds;\n"
                 "          grade_migration covers the 30 days up to it,\n"
                 "          monthly its month and the two before\n";
    return 2;
  }
  absl::StatusOr<Inputs> inputs = LoadInputs(argv[1], argv[2], argv[3]);
  if (!inputs.ok()) {
    std::cerr << inputs.status() << "\n";
    return 2;
  }
  absl::StatusOr<std::vector<ReportLine>> lines = AllReports(*inputs);
  if (!lines.ok()) {
    std::cerr << lines.status() << "\n";
    return 2;
  }
  for (const ReportLine& line : *lines) {
    std::cout << line.report << "," << line.rows << "," << line.total << "\n";
  }
  return 0;
}
