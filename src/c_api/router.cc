// The router over the C ABI (leadkit.h): dealers and consultants as Arrow
// streams into a Network, one lead as JSON or a batch as an Arrow stream
// routed by the C++ Router (routing.h); hand-over and reclaim of open leads
// (Router::Handover, Router::Reclaim, the late leads by the cadence); the
// router's state saved and restored as bytes.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "json_reader.h"
#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/columns.h"
#include "leadkit/internal/dictionary.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/lead_json.h"
#include "leadkit/leadkit.h"
#include "leadkit/routing.h"
#include "nlohmann/json.hpp"

struct lk_router {
  std::unique_ptr<leadkit::Policy> policy;  // grades of leads without one
  std::unique_ptr<leadkit::Network> network;
  std::unique_ptr<leadkit::Router> router;
};

namespace leadkit::c_api_internal {
namespace {

using Json = nlohmann::ordered_json;

// One row's values of a table read from Arrow, by column name, with the
// defaults and messages of docs/data.md ("<table>.<column>: <id column>
// \"<id>\" has ...").
class Row {
 public:
  Row(const StreamTable& table, absl::string_view name,
      absl::string_view id_column, int64_t row)
      : table_(table.columns()),
        models_(table.lists("models")),
        name_(name),
        id_column_(id_column),
        row_(row) {}

  std::string Id() const { return std::string(table_.Find(id_column_)->ViewAt(row_)); }

  // A string, or `fallback` when the column is absent or null.
  std::string Text(absl::string_view column, absl::string_view fallback = "") const {
    const Column* c = table_.Find(column);
    if (c == nullptr || c->IsNull(row_)) return std::string(fallback);
    return std::string(c->ViewAt(row_));
  }

  // A required string: InvalidArgument when absent or null.
  absl::StatusOr<std::string> RequiredText(absl::string_view column) const {
    const Column* c = table_.Find(column);
    if (c == nullptr || c->IsNull(row_)) return Missing(column);
    return std::string(c->ViewAt(row_));
  }

  std::optional<double> Number(absl::string_view column) const {
    const Column* c = table_.Find(column);
    if (c == nullptr || c->IsNull(row_)) return std::nullopt;
    return c->NumberAt(row_);
  }

  // A whole number >= 0, or nullopt when absent or null.
  absl::StatusOr<std::optional<int64_t>> Count(absl::string_view column) const {
    const std::optional<double> v = Number(column);
    if (!v) return std::nullopt;
    if (*v < 0 || std::floor(*v) != *v || *v > 9.0e15) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ".", column, ": ", Who(), " has ", *v,
                       "; expected a whole number of 0 or more"));
    }
    return static_cast<int64_t>(*v);
  }

  bool Flag(absl::string_view column) const {
    const Column* c = table_.Find(column);
    if (c == nullptr || c->IsNull(row_)) return true;  // default: active
    return c->data<uint8_t>()[row_] != 0;
  }

  // Model names: a list of strings, or text separated by ';' or ',', each
  // trimmed, empty ones dropped; null or empty: every model.
  std::vector<std::string> Models() const {
    if (models_ != nullptr) return (*models_)[static_cast<size_t>(row_)];
    std::vector<std::string> out;
    for (absl::string_view name :
         absl::StrSplit(Text("models"), absl::ByAnyChar(";,"))) {
      name = absl::StripAsciiWhitespace(name);
      if (!name.empty()) out.emplace_back(name);
    }
    return out;
  }

  absl::Status Missing(absl::string_view column) const {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ".", column, ": ", Who(), " has no value; the column is required"));
  }

 private:
  std::string Who() const { return absl::StrCat(id_column_, " \"", Id(), "\""); }

  const Columns& table_;
  const StringLists* models_;  // a list column's rows, else nullptr
  absl::string_view name_;
  absl::string_view id_column_;
  int64_t row_;
};

absl::StatusOr<std::unique_ptr<Network>> ReadNetwork(
    ArrowArrayStream* dealers_stream, ArrowArrayStream* consultants_stream) {
  static const std::vector<ColumnSpec> kDealers = {
      {"region_id", FieldType::kString}, {"lat", FieldType::kNumber},
      {"lon", FieldType::kNumber},       {"city", FieldType::kString},
      {"models", FieldType::kString, true},
      {"active", FieldType::kBool}};
  static const std::vector<ColumnSpec> kConsultants = {
      {"dealer_id", FieldType::kString},
      {"models", FieldType::kString, true},
      {"experience_years", FieldType::kNumber},
      {"active", FieldType::kBool},
      {"max_open_leads", FieldType::kNumber},
      {"open_leads", FieldType::kNumber},
      {"weight", FieldType::kNumber},
      {"code", FieldType::kString}};
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> dealer_table,
      StreamTable::Read(dealers_stream, "dealers", kDealers, "dealer_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> consultant_table,
      StreamTable::Read(consultants_stream, "consultants", kConsultants,
                        "consultant_id"));
  std::vector<Dealer> dealers;
  for (int64_t i = 0; i < dealer_table->num_rows(); ++i) {
    const Row row(*dealer_table, "dealers", "dealer_id", i);
    LEADKIT_ASSIGN_OR_RETURN(std::string region, row.RequiredText("region_id"));
    const std::optional<double> lat = row.Number("lat");
    const std::optional<double> lon = row.Number("lon");
    dealers.push_back({.dealer_id = row.Id(),
                       .region_id = std::move(region),
                       .lat = lat.value_or(NAN),
                       .lon = lon.value_or(NAN),
                       .city = row.Text("city"),
                       .models = row.Models(),
                       .active = row.Flag("active")});
  }
  std::vector<Consultant> consultants;
  for (int64_t i = 0; i < consultant_table->num_rows(); ++i) {
    const Row row(*consultant_table, "consultants", "consultant_id", i);
    LEADKIT_ASSIGN_OR_RETURN(std::string dealer, row.RequiredText("dealer_id"));
    LEADKIT_ASSIGN_OR_RETURN(const std::optional<int64_t> capacity,
                             row.Count("max_open_leads"));
    LEADKIT_ASSIGN_OR_RETURN(const std::optional<int64_t> open,
                             row.Count("open_leads"));
    consultants.push_back(
        {.consultant_id = row.Id(),
         .dealer_id = std::move(dealer),
         .models = row.Models(),
         .experience_years = row.Number("experience_years").value_or(0),
         .active = row.Flag("active"),
         .max_open_leads = capacity,
         .open_leads = open.value_or(0),
         .weight = row.Number("weight").value_or(1),
         .code = row.Text("code")});
  }
  LEADKIT_ASSIGN_OR_RETURN(
      Network network, Network::Create(std::move(dealers), std::move(consultants)));
  return std::make_unique<Network>(std::move(network));
}

// One lead of the routing: read with LeadTable::FromJson (so values and
// messages are those of every JSON lead); its grade is its `grade` when
// given, else the policy's classification.
absl::StatusOr<RouteLead> ReadRouteLead(const Policy& policy,
                                        absl::string_view text) {
  LEADKIT_ASSIGN_OR_RETURN(const nlohmann::json lead,
                           json_internal::ParseOrError(text, "lead"));
  if (!lead.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lead: expected a JSON object of lead fields, got ",
                     json_internal::JsonKind(lead)));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const LeadTable table,
      LeadTable::FromJson(nlohmann::json::array({lead}).dump()));
  const Columns& c = table.columns();
  const Column* id = c.Find("lead_id");
  const Column* created = c.Find("created_at");
  if (id == nullptr || id->IsNull(0)) {
    return absl::InvalidArgumentError("lead.lead_id: the lead's id is required");
  }
  if (created == nullptr || created->IsNull(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lead.created_at: lead_id \"", id->ViewAt(0), "\" has no created_at"));
  }
  const auto text_of = [&](absl::string_view name) -> std::optional<std::string> {
    const Column* col = c.Find(name);
    if (col == nullptr || col->IsNull(0)) return std::nullopt;
    return std::string(col->ViewAt(0));
  };
  const auto number_of = [&](absl::string_view name) -> std::optional<double> {
    const Column* col = c.Find(name);
    if (col == nullptr || col->IsNull(0)) return std::nullopt;
    return col->NumberAt(0);
  };
  RouteLead out{.lead_id = std::string(id->ViewAt(0)),
                .created_at = Instant(std::chrono::seconds(created->data<int64_t>()[0])),
                .phone = text_of("phone").value_or(""),
                .dealer_id = text_of("dealer_id"),
                .model = text_of("model").value_or(""),
                .city = text_of("city").value_or(""),
                .lat = number_of("lat"),
                .lon = number_of("lon")};
  if (const std::optional<std::string> grade = text_of("grade")) {
    const auto& grades = policy.grades();
    const auto it = std::find(grades.begin(), grades.end(), *grade);
    if (it == grades.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lead.grade: lead_id \"", out.lead_id, "\" has \"", *grade,
          "\", not one of the policy's grades"));
    }
    out.grade = static_cast<int>(it - grades.begin());
  } else {
    std::vector<int32_t> grades(1), rules(1);
    LEADKIT_RETURN_IF_ERROR(ClassifyBatch(policy, c, grades, rules));
    out.grade = grades[0];
  }
  return out;
}

std::string AssignmentJson(absl::string_view lead_id, const Assignment& a) {
  const auto text = [](const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
  };
  Json passed = Json::array();
  for (const PassedOver& p : a.passed_over) {
    passed.push_back({{"dealer_id", p.dealer_id},
                      {"reason", p.reason},
                      {"distance_km", p.distance_km}});
  }
  Json out = Json::object();
  out["lead_id"] = std::string(lead_id);
  out["status"] = std::string(RouteStatusName(a.status));
  out["dealer_id"] = text(a.dealer_id);
  out["consultant_id"] = text(a.consultant_id);
  out["distance_km"] = a.distance_km ? Json(*a.distance_km) : Json(nullptr);
  out["file_number"] = text(a.file_number);
  out["duplicate_of"] = text(a.duplicate_of);
  out["reason"] = a.reason;
  out["reasons"] = a.reasons;
  out["passed_over"] = std::move(passed);
  return JsonText(out);
}

// Each lead's grade index: its `grade` when given (one of the policy's, else
// InvalidArgument naming the table, row and lead_id), else the policy's
// classification.
absl::StatusOr<std::vector<int32_t>> LeadGrades(const Policy& policy,
                                                const Columns& c,
                                                absl::string_view table) {
  const int64_t n = c.num_rows();
  std::vector<int32_t> grades(static_cast<size_t>(n)), rules(static_cast<size_t>(n));
  LEADKIT_RETURN_IF_ERROR(ClassifyBatch(policy, c, grades, rules));
  const Column* ids = c.Find("lead_id");
  if (const Column* given = c.Find("grade")) {
    const auto& names_of = policy.grades();
    for (int64_t row = 0; row < n; ++row) {
      if (given->IsNull(row)) continue;
      const absl::string_view grade = given->ViewAt(row);
      const auto it = std::find(names_of.begin(), names_of.end(), grade);
      if (it == names_of.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            table, ".grade: row ", row, " (lead_id \"", ids->ViewAt(row),
            "\") has \"", grade, "\", not one of the policy's grades"));
      }
      grades[static_cast<size_t>(row)] = static_cast<int32_t>(it - names_of.begin());
    }
  }
  return grades;
}

}  // namespace

absl::Status RouteArrow(Router& router, const Policy& policy,
                        ArrowArrayStream* leads, ArrowArrayStream* result,
                        bool passed_over_text) {
  std::vector<std::string> names = {"lead_id", "created_at", "phone",
                                    "dealer_id", "model", "city", "lat", "lon",
                                    "grade"};
  for (const std::string& f : policy.fields()) names.push_back(f);
  const std::vector<ColumnSpec> specs = LeadColumnSpecs(names);
  LEADKIT_ASSIGN_OR_RETURN(const std::unique_ptr<StreamTable> table,
                           StreamTable::Read(leads, "leads", specs, "lead_id"));
  const Columns& c = table->columns();
  const int64_t n = table->num_rows();
  LEADKIT_ASSIGN_OR_RETURN(const std::vector<int32_t> grades,
                           LeadGrades(policy, c, "leads"));
  const Column* ids = c.Find("lead_id");
  // RouteBatch reads lead_id as string codes: the ids as a dictionary.
  std::vector<std::string> id_texts;
  std::vector<int32_t> id_codes(static_cast<size_t>(n));
  {
    report_internal::Dictionary dictionary;
    for (int64_t row = 0; row < n; ++row) {
      id_codes[static_cast<size_t>(row)] = dictionary.Code(ids->ViewAt(row));
    }
    id_texts.assign(dictionary.texts().begin(), dictionary.texts().end());
  }
  Columns route_columns(n);
  for (const auto& [name, column] : c.columns()) {
    if (name != "lead_id") {
      LEADKIT_RETURN_IF_ERROR(route_columns.Add(name, column));
    }
  }
  LEADKIT_RETURN_IF_ERROR(
      route_columns.Add("lead_id", Column::Codes(id_codes, id_texts)));
  LEADKIT_ASSIGN_OR_RETURN(const std::vector<Assignment> routed,
                           router.RouteBatch(route_columns, grades));
  std::vector<std::string> lead_id, status, reason;
  std::vector<std::optional<std::string>> dealer, consultant, file_number,
      duplicate_of, passed_over;
  std::vector<double> distance;
  const auto text = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  for (int64_t row = 0; row < n; ++row) {
    const Assignment& a = routed[static_cast<size_t>(row)];
    lead_id.emplace_back(ids->ViewAt(row));
    status.emplace_back(RouteStatusName(a.status));
    dealer.push_back(text(a.dealer_id));
    consultant.push_back(text(a.consultant_id));
    distance.push_back(a.distance_km.value_or(NAN));
    file_number.push_back(text(a.file_number));
    duplicate_of.push_back(text(a.duplicate_of));
    reason.push_back(a.reason);
    if (a.passed_over.empty()) {
      passed_over.push_back(std::nullopt);
    } else if (passed_over_text) {
      passed_over.push_back(PassedOverText(a.passed_over));
    } else {
      Json list = Json::array();
      for (const PassedOver& p : a.passed_over) {
        list.push_back({{"dealer_id", p.dealer_id},
                        {"reason", p.reason},
                        {"distance_km", p.distance_km}});
      }
      passed_over.push_back(JsonText(list));
    }
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStrings(lead_id, table->large_ids()));
  columns.push_back(ExportStrings(status, false));
  columns.push_back(ExportOptionalStrings(dealer));
  columns.push_back(ExportOptionalStrings(consultant));
  columns.push_back(ExportDoubles(distance));
  columns.push_back(ExportOptionalStrings(file_number));
  columns.push_back(ExportOptionalStrings(duplicate_of));
  columns.push_back(ExportStrings(reason, false));
  columns.push_back(ExportOptionalStrings(passed_over));
  std::vector<ArrowArray> batches;
  batches.push_back(ExportStruct(n, std::move(columns)));
  const bool large = table->large_ids();
  ExportStream(
      [large] {
        std::vector<ArrowSchema> f;
        f.push_back(ExportSchema(large ? "U" : "u", "lead_id", 0));
        f.push_back(ExportSchema("u", "status", 0));
        f.push_back(ExportSchema("u", "dealer_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "consultant_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("g", "distance_km", 0));
        f.push_back(ExportSchema("u", "file_number", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "duplicate_of", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "reason", 0));
        f.push_back(ExportSchema("u", "passed_over", ARROW_FLAG_NULLABLE));
        return ExportSchema("+s", "", 0, std::move(f));
      },
      std::move(batches), result);
  return absl::OkStatus();
}

namespace {

// The moves of a hand-over or reclaim as an Arrow stream: Python's
// leadkit.handover columns, and with `counts` its reclaim's reassignments.
void ExportMoves(const std::vector<Move>& moves, bool large_ids, bool counts,
                 ArrowArrayStream* result) {
  const auto text = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  std::vector<std::string> lead_id, status, reason;
  std::vector<std::optional<std::string>> from, to;
  std::vector<int64_t> reassignments;
  for (const Move& m : moves) {
    lead_id.push_back(m.lead_id);
    from.push_back(text(m.from_consultant_id));
    to.push_back(text(m.to_consultant_id));
    status.emplace_back(MoveStatusName(m.status));
    reason.push_back(m.reason);
    reassignments.push_back(m.reassignments);
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStrings(lead_id, large_ids));
  columns.push_back(ExportOptionalStrings(from));
  columns.push_back(ExportOptionalStrings(to));
  columns.push_back(ExportStrings(status, false));
  columns.push_back(ExportStrings(reason, false));
  if (counts) columns.push_back(ExportInt64s(reassignments));
  std::vector<ArrowArray> batches;
  batches.push_back(
      ExportStruct(static_cast<int64_t>(moves.size()), std::move(columns)));
  ExportStream(
      [large_ids, counts] {
        std::vector<ArrowSchema> f;
        f.push_back(ExportSchema(large_ids ? "U" : "u", "lead_id", 0));
        f.push_back(
            ExportSchema("u", "from_consultant_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "to_consultant_id", ARROW_FLAG_NULLABLE));
        f.push_back(ExportSchema("u", "status", 0));
        f.push_back(ExportSchema("u", "reason", 0));
        if (counts) f.push_back(ExportSchema("l", "reassignments", 0));
        return ExportSchema("+s", "", 0, std::move(f));
      },
      std::move(batches), result);
}

// lk_router_add_open_leads_arrow: the open leads read whole and checked (a
// time on every row), then each held by Router::AddOpenLead — none when a
// row is bad.
absl::Status AddOpenLeadsArrow(Router& router, ArrowArrayStream* open_leads) {
  const std::vector<std::string> names = {"lead_id", "created_at", "phone",
                                          "dealer_id", "consultant_id"};
  const std::vector<ColumnSpec> specs = LeadColumnSpecs(names);
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> table,
      StreamTable::Read(open_leads, "open_leads", specs, "lead_id"));
  const Columns& c = table->columns();
  const Column* ids = c.Find("lead_id");
  const Column* created = c.Find("created_at");
  if (created == nullptr) {
    return absl::InvalidArgumentError(
        "open_leads: missing required column \"created_at\"");
  }
  const int64_t n = table->num_rows();
  for (int64_t row = 0; row < n; ++row) {
    if (created->IsNull(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "open_leads.created_at: row ", row, " (lead_id \"", ids->ViewAt(row),
          "\") has no time"));
    }
  }
  const Column* phones = c.Find("phone");
  const Column* dealers = c.Find("dealer_id");
  const Column* consultants = c.Find("consultant_id");
  // A null or absent string column reads as "".
  const auto text = [](const Column* column, int64_t row) {
    return column == nullptr || column->IsNull(row)
               ? std::string()
               : std::string(column->ViewAt(row));
  };
  for (int64_t row = 0; row < n; ++row) {
    const RouteLead lead{
        .lead_id = std::string(ids->ViewAt(row)),
        .created_at =
            Instant(std::chrono::seconds(created->data<int64_t>()[row])),
        .phone = text(phones, row)};
    router.AddOpenLead(lead, text(dealers, row), text(consultants, row));
  }
  return absl::OkStatus();
}

// lk_router_handover_arrow: the open leads read whole and graded,
// Router::Handover, the moves out.
absl::Status HandoverArrow(Router& router, const Policy& policy,
                           ArrowArrayStream* open_leads,
                           std::span<const std::string> leaving,
                           ArrowArrayStream* result) {
  std::vector<std::string> names = {"lead_id",   "created_at", "consultant_id",
                                    "dealer_id", "model",      "grade"};
  for (const std::string& f : policy.fields()) names.push_back(f);
  const std::vector<ColumnSpec> specs = LeadColumnSpecs(names);
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> table,
      StreamTable::Read(open_leads, "open_leads", specs, "lead_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::vector<int32_t> grades,
      LeadGrades(policy, table->columns(), "open_leads"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::vector<Move> moves,
      router.Handover(table->columns(), grades, leaving));
  ExportMoves(moves, table->large_ids(), false, result);
  return absl::OkStatus();
}

// lk_router_reclaim_arrow: the leads and touches read whole, the late ones
// by Cadence::FirstContactOverdue, Router::Reclaim, the moves out.
absl::Status ReclaimArrow(Router& router, const Policy& policy,
                          const Cadence& cadence, ArrowArrayStream* leads,
                          ArrowArrayStream* touches, int64_t as_of,
                          ArrowArrayStream* result) {
  std::vector<std::string> extra(policy.fields().begin(),
                                 policy.fields().end());
  extra.emplace_back("consultant_id");
  extra.emplace_back("reassignments");
  const Cadence* cadences[] = {&cadence};
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> lead_table,
      StreamTable::Read(leads, "leads", CadenceLeadSpecs(cadences, {}, extra),
                        "lead_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::unique_ptr<StreamTable> touch_table,
      StreamTable::Read(touches, "touches", CadenceTouchSpecs(), "lead_id"));
  if (as_of == LK_AS_OF_DATA) {
    const Columns* tables[] = {&lead_table->columns(), &touch_table->columns()};
    LEADKIT_ASSIGN_OR_RETURN(as_of, DefaultAsOfSeconds(tables));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const std::vector<uint8_t> late,
      cadence.FirstContactOverdue(lead_table->columns(), touch_table->columns(),
                                  Instant(std::chrono::seconds(as_of))));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::vector<int32_t> grades,
      LeadGrades(policy, lead_table->columns(), "leads"));
  LEADKIT_ASSIGN_OR_RETURN(
      const std::vector<Move> moves,
      router.Reclaim(lead_table->columns(), grades, late));
  ExportMoves(moves, lead_table->large_ids(), true, result);
  return absl::OkStatus();
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::CopyOut;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_router_create(const lk_policy* policy,
                           struct ArrowArrayStream* dealers,
                           struct ArrowArrayStream* consultants,
                           const uint8_t* phone_key, lk_router** router) {
  if (router != nullptr) *router = nullptr;
  return Guarded("lk_router_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_create";
    ConsumeStreams consume({dealers, consultants});
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (dealers == nullptr) return NullArgument(kFunction, "dealers");
    if (consultants == nullptr) return NullArgument(kFunction, "consultants");
    if (router == nullptr) return NullArgument(kFunction, "router");
    LEADKIT_ASSIGN_OR_RETURN(
        std::unique_ptr<leadkit::Network> network,
        leadkit::c_api_internal::ReadNetwork(dealers, consultants));
    leadkit::RouterOptions options;
    if (phone_key != nullptr) {
      std::array<uint8_t, 16> key;
      std::memcpy(key.data(), phone_key, key.size());
      options.phone_key = key;
    }
    auto made = std::make_unique<lk_router>();
    made->policy = std::make_unique<leadkit::Policy>(policy->policy);
    made->router =
        std::make_unique<leadkit::Router>(*network, *made->policy, options);
    made->network = std::move(network);
    *router = made.release();
    return absl::OkStatus();
  });
}

lk_status lk_router_route_json(lk_router* router, const char* lead_json,
                               size_t lead_json_len,
                               char** assignment) {
  if (assignment != nullptr) *assignment = nullptr;
  return Guarded("lk_router_route_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_route_json";
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (lead_json == nullptr) return NullArgument(kFunction, "lead_json");
    if (assignment == nullptr) return NullArgument(kFunction, "assignment");
    LEADKIT_ASSIGN_OR_RETURN(
        const leadkit::RouteLead lead,
        leadkit::c_api_internal::ReadRouteLead(
            *router->policy, absl::string_view(lead_json, lead_json_len)));
    LEADKIT_ASSIGN_OR_RETURN(const leadkit::Assignment routed,
                             router->router->Route(lead));
    *assignment =
        CopyOut(leadkit::c_api_internal::AssignmentJson(lead.lead_id, routed));
    return absl::OkStatus();
  });
}

lk_status lk_router_save(const lk_router* router, uint8_t** bytes,
                         size_t* size) {
  if (bytes != nullptr) *bytes = nullptr;
  if (size != nullptr) *size = 0;
  return Guarded("lk_router_save", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_save";
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (bytes == nullptr) return NullArgument(kFunction, "bytes");
    if (size == nullptr) return NullArgument(kFunction, "size");
    LEADKIT_ASSIGN_OR_RETURN(const std::string saved, router->router->Save());
    *bytes = leadkit::c_api_internal::CopyBytesOut(saved);
    *size = saved.size();
    return absl::OkStatus();
  });
}

lk_status lk_router_restore(lk_router* router, const uint8_t* bytes,
                            size_t size) {
  return Guarded("lk_router_restore", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_restore";
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (bytes == nullptr && size > 0) return NullArgument(kFunction, "bytes");
    return router->router->Restore(absl::string_view(
        reinterpret_cast<const char*>(bytes), bytes == nullptr ? 0 : size));
  });
}

lk_status lk_route_arrow(lk_router* router, struct ArrowArrayStream* leads,
                         struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded("lk_route_arrow", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_route_arrow";
    ConsumeStreams consume({leads});
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (result == nullptr) return NullArgument(kFunction, "result");
    return leadkit::c_api_internal::RouteArrow(*router->router, *router->policy,
                                               leads, result);
  });
}

lk_status lk_router_add_open_leads_arrow(lk_router* router,
                                         struct ArrowArrayStream* open_leads) {
  return Guarded("lk_router_add_open_leads_arrow", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_add_open_leads_arrow";
    ConsumeStreams consume({open_leads});
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (open_leads == nullptr) return NullArgument(kFunction, "open_leads");
    return leadkit::c_api_internal::AddOpenLeadsArrow(*router->router,
                                                      open_leads);
  });
}

lk_status lk_router_handover_arrow(lk_router* router,
                                   struct ArrowArrayStream* open_leads,
                                   const char* const* leaving,
                                   size_t leaving_count,
                                   struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded("lk_router_handover_arrow", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_handover_arrow";
    ConsumeStreams consume({open_leads});
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (open_leads == nullptr) return NullArgument(kFunction, "open_leads");
    if (leaving == nullptr && leaving_count > 0) {
      return NullArgument(kFunction, "leaving");
    }
    if (result == nullptr) return NullArgument(kFunction, "result");
    std::vector<std::string> ids;
    for (size_t i = 0; i < leaving_count; ++i) {
      if (leaving[i] == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(kFunction, ": leaving[", i, "] is NULL"));
      }
      ids.emplace_back(leaving[i]);
    }
    return leadkit::c_api_internal::HandoverArrow(
        *router->router, *router->policy, open_leads, ids, result);
  });
}

lk_status lk_router_reclaim_arrow(lk_router* router, const lk_cadence* cadence,
                                  struct ArrowArrayStream* leads,
                                  struct ArrowArrayStream* touches,
                                  int64_t as_of,
                                  struct ArrowArrayStream* result) {
  if (result != nullptr) result->release = nullptr;
  return Guarded("lk_router_reclaim_arrow", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_router_reclaim_arrow";
    ConsumeStreams consume({leads, touches});
    if (router == nullptr) return NullArgument(kFunction, "router");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    if (result == nullptr) return NullArgument(kFunction, "result");
    return leadkit::c_api_internal::ReclaimArrow(
        *router->router, *router->policy, cadence->cadence, leads, touches,
        as_of, result);
  });
}

void lk_router_free(lk_router* router) { delete router; }

}  // extern "C"
