// The daily agenda (with the playbook's actions, filtered, bad rows collected),
// dealer calendars, hand-over and reclaim of the C ABI
// (libleadkit.so) against the C++ API on the same generated leads: the
// agenda of several days (Cadence::Agenda, with and without dealer
// calendars), Router::Handover and Cadence::FirstContactOverdue with
// Router::Reclaim on routers over the same network, the consultants' models
// given as text and as Arrow lists. The leads come in several batches, their
// arrays sliced (an offset into longer buffers) and the consultant ids
// dictionary-encoded; the Arrow batches are built by hand (arrow_batches.h).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "arrow_batches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/leadkit.h"
#include "leadkit/playbook.h"
#include "leadkit/policy.h"
#include "leadkit/routing.h"
#include "nlohmann/json.hpp"
#include "report_tables.h"

namespace leadkit {
namespace {

using testing::ColumnBuilder;
using testing::Sh;
using testing::TestColumn;
using testing::TestStream;
using testing::TestTable;

using Strings = std::vector<std::optional<std::string>>;
using Times = std::vector<std::optional<Instant>>;

// Dealers, consultants, leads and touches, drawn from a fixed sequence.
struct Data {
  std::vector<std::string> dealer_id, dealer_calendar;
  std::vector<double> lat, lon;
  std::vector<std::string> consultant_id, consultant_dealer;
  std::vector<std::vector<std::string>> consultant_models;
  std::vector<int64_t> open_leads;
  std::vector<std::optional<int64_t>> max_open_leads;
  Strings lead_id, consultant, dealer, model, grade, status;
  Times created_at, assigned_at;
  std::vector<std::optional<double>> reassignments;
  Strings touch_lead, method;
  Times touch_at;
  std::vector<size_t> touch_of;
};

Data Generate(int n) {
  uint64_t state = 20250303;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  const char* models[] = {"C200", "GLC", "E300"};
  const char* grades[] = {"high", "medium", "low"};
  const char* methods[] = {"phone", "wechat", "visit"};
  const char* calendars[] = {"", "sh_office", "berlin"};
  Data d;
  for (int k = 0; k < 4; ++k) {
    d.dealer_id.push_back("D" + std::to_string(k));
    d.dealer_calendar.push_back(calendars[k % 3]);
    d.lat.push_back(31.0 + 0.1 * k);
    d.lon.push_back(121.0 + 0.1 * k);
    for (int j = 0; j < 4; ++j) {
      d.consultant_id.push_back("D" + std::to_string(k) + "-C" + std::to_string(j));
      d.consultant_dealer.push_back(d.dealer_id.back());
      std::vector<std::string> knows;
      if (j % 2 == 1) knows = {models[next(3)], models[next(3)]};
      d.consultant_models.push_back(knows);
      d.open_leads.push_back(static_cast<int64_t>(next(5)));
      d.max_open_leads.push_back(j == 0 ? std::optional<int64_t>(6)
                                        : std::nullopt);
    }
  }
  const Instant base = Sh("2025-03-03 08:00");
  for (int i = 0; i < n; ++i) {
    d.lead_id.push_back("L" + std::to_string(i));
    const size_t k = next(d.consultant_id.size());
    d.consultant.push_back(next(10) == 0 ? std::nullopt
                                         : std::optional<std::string>(d.consultant_id[k]));
    d.dealer.push_back(next(12) == 0 ? std::nullopt
                                     : std::optional<std::string>(d.consultant_dealer[k]));
    d.model.push_back(next(5) == 0 ? std::nullopt
                                   : std::optional<std::string>(models[next(3)]));
    d.grade.push_back(grades[next(3)]);
    d.status.push_back(next(8) == 0 ? "won" : "open");
    const Instant created = base + std::chrono::minutes(53 * i + next(40));
    d.created_at.push_back(created);
    d.assigned_at.push_back(next(3) == 0 ? std::nullopt
                                         : std::optional<Instant>(
                                               created + std::chrono::minutes(next(90))));
    d.reassignments.push_back(next(3) == 0 ? std::nullopt
                                           : std::optional<double>(next(4)));
    Instant at = created;
    for (int t = static_cast<int>(next(4)); t > 0; --t) {
      at += std::chrono::minutes(5 + next(60 * 24 * 3));
      d.touch_lead.push_back(d.lead_id.back());
      d.method.push_back(methods[next(3)]);
      d.touch_at.push_back(at);
      d.touch_of.push_back(static_cast<size_t>(i));
    }
  }
  return d;
}

// The calendars a dealer may be given: the group's document (the three_level
// preset with sh_office and berlin).
Policy GroupPolicy() {
  const absl::StatusOr<Policy> preset = Policy::Preset("three_level");
  EXPECT_TRUE(preset.ok()) << preset.status();
  nlohmann::json doc = nlohmann::json::parse(preset->ToJson());
  nlohmann::json weekly;
  for (const char* day : {"mon", "tue", "wed", "thu", "fri"}) {
    weekly[day] = nlohmann::json::array({nlohmann::json::array({"09:00", "18:00"})});
  }
  doc["calendars"] = {{"sh_office", "cn_office"},
                      {"berlin",
                       {{"name", "berlin_office"},
                        {"time_zone", "Europe/Berlin"},
                        {"weekly", weekly}}}};
  const absl::StatusOr<PolicyLoad> load = Policy::FromJson(doc.dump());
  EXPECT_TRUE(load.ok()) << load.status();
  absl::StatusOr<Policy> policy = load->policy();
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

template <typename T>
std::vector<T> Pick(const std::vector<T>& values, size_t first, size_t last) {
  return std::vector<T>(values.begin() + static_cast<std::ptrdiff_t>(first),
                        values.begin() + static_cast<std::ptrdiff_t>(last));
}

// Arrow columns, each `skip` rows longer at the front (an offset, as a
// slice has).
std::unique_ptr<TestColumn> Utf8(const std::string& name, const Strings& v,
                                 int64_t skip) {
  ColumnBuilder b(name, "u");
  b.Skip(skip);
  for (const auto& s : v) s ? b.String(*s) : b.Null();
  return b.Build();
}
std::unique_ptr<TestColumn> Stamps(const std::string& name, const Times& v,
                                   int64_t skip) {
  ColumnBuilder b(name, "tsm:Asia/Shanghai");
  b.Skip(skip);
  for (const auto& t : v) t ? b.Value<int64_t>(testing::Seconds(*t) * 1000) : b.Null();
  return b.Build();
}
std::unique_ptr<TestColumn> Doubles(const std::string& name,
                                    const std::vector<std::optional<double>>& v,
                                    int64_t skip) {
  ColumnBuilder b(name, "g");
  b.Skip(skip);
  for (const auto& x : v) x ? b.Value<double>(*x) : b.Null();
  return b.Build();
}

// The leads in `batches` batches, sliced, the consultant ids
// dictionary-encoded; their touches in one batch.
void LeadStreams(const Data& d, int batches, TestStream& leads,
                 TestStream& touches) {
  const size_t n = d.lead_id.size();
  const size_t per = (n + static_cast<size_t>(batches) - 1) / static_cast<size_t>(batches);
  for (size_t first = 0; first < n; first += per) {
    const size_t last = std::min(n, first + per);
    std::vector<std::unique_ptr<TestColumn>> c;
    c.push_back(Utf8("lead_id", Pick(d.lead_id, first, last), 2));
    c.push_back(ColumnBuilder::Dictionary("consultant_id",
                                          Pick(d.consultant, first, last)));
    c.push_back(Utf8("dealer_id", Pick(d.dealer, first, last), 1));
    c.push_back(Utf8("model", Pick(d.model, first, last), 0));
    c.push_back(Utf8("grade", Pick(d.grade, first, last), 3));
    c.push_back(Utf8("status", Pick(d.status, first, last), 0));
    c.push_back(Stamps("created_at", Pick(d.created_at, first, last), 1));
    c.push_back(Stamps("assigned_at", Pick(d.assigned_at, first, last), 0));
    c.push_back(Doubles("reassignments", Pick(d.reassignments, first, last), 2));
    leads.AddBatch(std::move(c));
  }
  std::vector<std::unique_ptr<TestColumn>> t;
  t.push_back(Utf8("lead_id", d.touch_lead, 0));
  t.push_back(Stamps("at", d.touch_at, 1));
  t.push_back(Utf8("method", d.method, 0));
  touches.AddBatch(std::move(t));
}

// The same tables as the C++ API reads them.
struct CppTables {
  TestTable leads, touches;
  explicit CppTables(const Data& d)
      : leads(static_cast<int64_t>(d.lead_id.size())),
        touches(static_cast<int64_t>(d.touch_lead.size())) {
    leads.RawStrings("lead_id", d.lead_id)
        .Strings("consultant_id", d.consultant)
        .Strings("dealer_id", d.dealer)
        .Strings("model", d.model)
        .Strings("grade", d.grade)
        .Strings("status", d.status)
        .Instants("created_at", d.created_at)
        .Instants("assigned_at", d.assigned_at)
        .Doubles("reassignments", d.reassignments);
    touches.RawStrings("lead_id", d.touch_lead)
        .Instants("at", d.touch_at)
        .Strings("method", d.method);
  }
};

TestStream DealerStream(const Data& d, bool calendars) {
  TestStream s;
  std::vector<std::unique_ptr<TestColumn>> c;
  Strings ids(d.dealer_id.begin(), d.dealer_id.end());
  c.push_back(Utf8("dealer_id", ids, 0));
  c.push_back(Utf8("region_id", Strings(ids.size(), "R1"), 0));
  ColumnBuilder lat("lat", "g"), lon("lon", "g");
  for (size_t k = 0; k < ids.size(); ++k) {
    lat.Value<double>(d.lat[k]);
    lon.Value<double>(d.lon[k]);
  }
  c.push_back(lat.Build());
  c.push_back(lon.Build());
  if (calendars) {
    Strings names;
    for (const std::string& name : d.dealer_calendar) {
      names.push_back(name.empty() ? std::nullopt : std::optional<std::string>(name));
    }
    c.push_back(Utf8("calendar", names, 0));
  }
  s.AddBatch(std::move(c));
  return s;
}

// How the consultants' models come: text ("A; B"), a list<utf8> column, or
// a large_list<utf8> column sliced (its array two rows longer at the front).
// kNone: no models column (every consultant knows every model).
enum class Models { kText, kList, kLargeList, kNone };

TestStream ConsultantStream(const Data& d, Models form) {
  TestStream s;
  std::vector<std::unique_ptr<TestColumn>> c;
  c.push_back(Utf8("consultant_id", Strings(d.consultant_id.begin(), d.consultant_id.end()), 0));
  c.push_back(Utf8("dealer_id", Strings(d.consultant_dealer.begin(), d.consultant_dealer.end()), 0));
  if (form == Models::kNone) {
    // no column
  } else if (form != Models::kText) {
    std::vector<std::optional<std::vector<std::string>>> cells;
    for (const auto& m : d.consultant_models) {
      cells.push_back(m.empty() ? std::nullopt
                                : std::optional<std::vector<std::string>>(m));
    }
    const bool large = form == Models::kLargeList;
    c.push_back(ColumnBuilder::List("models", cells, large, large ? 2 : 0));
  } else {
    Strings text;
    for (const auto& m : d.consultant_models) {
      text.push_back(m.empty() ? std::nullopt
                               : std::optional<std::string>(m[0] + "; " + m[1]));
    }
    c.push_back(Utf8("models", text, 0));
  }
  ColumnBuilder open("open_leads", "l"), max("max_open_leads", "l");
  for (size_t k = 0; k < d.consultant_id.size(); ++k) {
    open.Value<int64_t>(d.open_leads[k]);
    d.max_open_leads[k] ? max.Value<int64_t>(*d.max_open_leads[k]) : max.Null();
  }
  c.push_back(open.Build());
  c.push_back(max.Build());
  s.AddBatch(std::move(c));
  return s;
}

Network CppNetwork(const Data& d) {
  std::vector<Dealer> dealers;
  for (size_t k = 0; k < d.dealer_id.size(); ++k) {
    dealers.push_back({.dealer_id = d.dealer_id[k], .region_id = "R1",
                       .lat = d.lat[k], .lon = d.lon[k]});
  }
  std::vector<Consultant> consultants;
  for (size_t k = 0; k < d.consultant_id.size(); ++k) {
    consultants.push_back({.consultant_id = d.consultant_id[k],
                           .dealer_id = d.consultant_dealer[k],
                           .models = d.consultant_models[k],
                           .max_open_leads = d.max_open_leads[k],
                           .open_leads = d.open_leads[k]});
  }
  absl::StatusOr<Network> network = Network::Create(dealers, consultants);
  EXPECT_TRUE(network.ok()) << network.status();
  return *std::move(network);
}

// A result stream's rows as text, one line per row, each column's value
// ("null" for a null; timestamps and counts as numbers).
std::vector<std::string> Rows(ArrowArrayStream& result) {
  std::vector<std::string> out;
  if (result.release == nullptr) return out;
  ArrowSchema schema;
  EXPECT_EQ(result.get_schema(&result, &schema), 0);
  std::vector<std::string> formats;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    formats.emplace_back(schema.children[i]->format);
  }
  schema.release(&schema);
  for (;;) {
    ArrowArray batch;
    EXPECT_EQ(result.get_next(&result, &batch), 0);
    if (batch.release == nullptr) break;
    for (int64_t row = 0; row < batch.length; ++row) {
      std::ostringstream line;
      for (int64_t i = 0; i < batch.n_children; ++i) {
        const ArrowArray& a = *batch.children[i];
        const int64_t at = a.offset + row;
        const bool valid =
            a.buffers[0] == nullptr ||
            ((static_cast<const uint8_t*>(a.buffers[0])[at / 8] >> (at % 8)) & 1) != 0;
        const std::string& f = formats[static_cast<size_t>(i)];
        line << (i == 0 ? "" : "|");
        if (!valid) {
          line << "null";
        } else if (f == "u") {
          line << testing::Utf8At(a, row);
        } else if (f == "i") {  // dictionary<int32, utf8>
          line << testing::Utf8At(*a.dictionary,
                                  static_cast<const int32_t*>(a.buffers[1])[at]);
        } else if (f == "+l") {  // list<utf8>, items joined by "; "
          const auto* offsets = static_cast<const int32_t*>(a.buffers[1]);
          for (int32_t k = offsets[at]; k < offsets[at + 1]; ++k) {
            line << (k == offsets[at] ? "" : "; ")
                 << testing::Utf8At(*a.children[0], k);
          }
        } else if (f == "b") {
          line << (((static_cast<const uint8_t*>(a.buffers[1])[at / 8] >> (at % 8)) & 1) != 0);
        } else {
          line << static_cast<const int64_t*>(a.buffers[1])[at];
        }
      }
      out.push_back(line.str());
    }
    batch.release(&batch);
  }
  result.release(&result);
  return out;
}

std::string Text(const std::string& s) { return s.empty() ? "null" : s; }

// The C++ agenda as Rows gives the C ABI's.
std::vector<std::string> CppAgendaRows(const ScheduleResult& r, const Data& d) {
  std::vector<std::string> out;
  for (const ScheduledTask& s : r.tasks) {
    const Task& t = s.task;
    const auto row = static_cast<size_t>(s.lead_row);
    std::ostringstream line;
    line << *d.lead_id[row] << "|" << d.consultant[row].value_or("null") << "|"
         << TaskName(t.kind) << "|" << testing::Seconds(t.due) << "|"
         << (t.agenda ? std::to_string(testing::Seconds(*t.agenda)) : "null")
         << "|" << (t.overdue ? "overdue" : "pending") << "|"
         << testing::Seconds(t.start) << "|" << Text(t.detail) << "|"
         << t.estimated;
    out.push_back(line.str());
  }
  return out;
}

std::vector<std::string> CppMoveRows(const std::vector<Move>& moves, bool counts) {
  std::vector<std::string> out;
  for (const Move& m : moves) {
    std::ostringstream line;
    line << m.lead_id << "|" << Text(m.from_consultant_id) << "|"
         << Text(m.to_consultant_id) << "|" << MoveStatusName(m.status) << "|"
         << m.reason;
    if (counts) line << "|" << m.reassignments;
    out.push_back(line.str());
  }
  return out;
}

// Each lead's grade as the C ABI takes it: its `grade`.
std::vector<int32_t> Grades(const Policy& policy, const Data& d) {
  std::vector<int32_t> out;
  for (const auto& g : d.grade) {
    const auto& names = policy.grades();
    out.push_back(static_cast<int32_t>(
        std::find(names.begin(), names.end(), *g) - names.begin()));
  }
  return out;
}

struct Handles {
  lk_policy* policy = nullptr;
  lk_cadence* cadence = nullptr;
  ~Handles() {
    lk_cadence_free(cadence);
    lk_policy_free(policy);
  }
};

void Load(const Policy& policy, Handles& h) {
  const std::string doc = policy.ToJson();
  ASSERT_EQ(lk_policy_from_json(doc.data(), doc.size(), &h.policy, nullptr), LK_OK)
      << lk_last_error();
  ASSERT_EQ(lk_cadence_from_policy(h.policy, &h.cadence), LK_OK) << lk_last_error();
}

TEST(AgendaArrow, MatchesCadenceAgenda) {
  const Data d = Generate(300);
  const Policy policy = GroupPolicy();
  Handles h;
  Load(policy, h);
  const absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(policy);
  ASSERT_TRUE(cadence.ok()) << cadence.status();
  CppTables tables(d);
  // The dealers' calendars (D1 sh_office, D2 berlin) through both APIs.
  TestStream dealers = DealerStream(d, true);
  ArrowArrayStream dealer_stream = dealers.Stream();
  lk_cadence* by_dealer = nullptr;
  ASSERT_EQ(lk_cadence_with_dealers(h.cadence, &dealer_stream, &by_dealer), LK_OK)
      << lk_last_error();
  EXPECT_TRUE(dealers.released());
  TestTable dealer_table(static_cast<int64_t>(d.dealer_id.size()));
  Strings calendar_names;
  for (const std::string& name : d.dealer_calendar) {
    calendar_names.push_back(name.empty() ? std::nullopt : std::optional<std::string>(name));
  }
  dealer_table.Strings("dealer_id", Strings(d.dealer_id.begin(), d.dealer_id.end()))
      .Strings("calendar", calendar_names);
  const absl::StatusOr<Cadence> cpp_by_dealer = cadence->WithDealers(dealer_table.columns());
  ASSERT_TRUE(cpp_by_dealer.ok()) << cpp_by_dealer.status();
  ASSERT_TRUE(cpp_by_dealer->has_dealer_calendars());

  const date::local_days first = date::local_days(date::year{2025} / 3 / 3);
  size_t rows = 0, differ = 0;
  for (int offset : {0, 1, 4, 9, 15}) {
    const date::local_days day = first + date::days(offset);
    const int32_t days = static_cast<int32_t>(day.time_since_epoch().count());
    for (const bool dealer_calendars : {false, true}) {
      TestStream leads, touches;
      LeadStreams(d, 3, leads, touches);
      ArrowArrayStream in_leads = leads.Stream(), in_touches = touches.Stream(), out;
      ASSERT_EQ(lk_agenda_arrow(dealer_calendars ? by_dealer : h.cadence, &in_leads,
                                &in_touches, days, &out),
                LK_OK)
          << lk_last_error();
      EXPECT_TRUE(leads.released() && touches.released());
      const absl::StatusOr<ScheduleResult> cpp =
          (dealer_calendars ? *cpp_by_dealer : *cadence)
              .Agenda(tables.leads.columns(), tables.touches.columns(), day);
      ASSERT_TRUE(cpp.ok()) << cpp.status();
      const std::vector<std::string> expected = CppAgendaRows(*cpp, d);
      EXPECT_EQ(Rows(out), expected) << "day +" << offset;
      rows += expected.size();
      if (dealer_calendars) {
        const absl::StatusOr<ScheduleResult> plain =
            cadence->Agenda(tables.leads.columns(), tables.touches.columns(), day);
        ASSERT_TRUE(plain.ok());
        differ += CppAgendaRows(*plain, d) != expected;
      }
    }
  }
  // The comparison is not empty, and the dealers' calendars change agendas.
  EXPECT_GT(rows, 100u);
  EXPECT_GT(differ, 0u);
  lk_cadence_free(by_dealer);
}

// The C++ schedule or agenda with the playbook's action of each task
// (PlaybookBatch; with `explain`, ExplainTask's reasons), as Rows gives
// lk_schedule_actions_arrow's, the tasks `keep` accepts by lead row.
template <typename Keep>
std::vector<std::string> CppActionRows(const Policy& policy, const Columns& leads,
                                       const ScheduleResult& r, const Data& d,
                                       bool explain, const Keep& keep) {
  const absl::StatusOr<std::vector<int32_t>> rules = PlaybookRules(policy, leads, r);
  EXPECT_TRUE(rules.ok()) << rules.status();
  const std::vector<std::string> tasks = CppAgendaRows(r, d);
  std::vector<std::string> out;
  for (size_t k = 0; k < r.tasks.size(); ++k) {
    if (!keep(static_cast<size_t>(r.tasks[k].lead_row))) continue;
    const PlaybookRule& rule = policy.playbook().rules[static_cast<size_t>((*rules)[k])];
    std::string line = tasks[k] + "|" + rule.action.method + "|" + rule.action.content +
                       "|" + rule.action.goal + "|" + rule.id;
    if (explain) {
      const absl::StatusOr<NextAction> why = ExplainTask(policy, leads, r, k);
      EXPECT_TRUE(why.ok()) << why.status();
      line += "|";
      for (size_t i = 0; i < why->reasons.size(); ++i) {
        line += (i == 0 ? "" : "; ") + why->reasons[i];
      }
    }
    out.push_back(line);
  }
  return out;
}

TEST(AgendaArrow, ActionsMatchThePlaybookAndFiltersKeepTheirLeads) {
  const Data d = Generate(300);
  const Policy policy = GroupPolicy();
  Handles h;
  Load(policy, h);
  const absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(policy);
  ASSERT_TRUE(cadence.ok()) << cadence.status();
  CppTables tables(d);
  const Instant as_of = Sh("2025-03-20 12:00");
  const auto all = [](size_t) { return true; };

  // The schedule with its actions and their reasons.
  {
    TestStream leads, touches;
    LeadStreams(d, 3, leads, touches);
    ArrowArrayStream in_leads = leads.Stream(), in_touches = touches.Stream(), out;
    ASSERT_EQ(lk_schedule_actions_arrow(h.cadence, &in_leads, &in_touches,
                                        testing::Seconds(as_of), LK_TASKS_EXPLAIN, &out,
                                        nullptr),
              LK_OK)
        << lk_last_error();
    EXPECT_TRUE(leads.released() && touches.released());
    const absl::StatusOr<ScheduleResult> cpp =
        cadence->Schedule(tables.leads.columns(), tables.touches.columns(), as_of);
    ASSERT_TRUE(cpp.ok()) << cpp.status();
    const std::vector<std::string> expected =
        CppActionRows(policy, tables.leads.columns(), *cpp, d, true, all);
    EXPECT_GT(expected.size(), 100u);
    EXPECT_EQ(Rows(out), expected);
  }

  // The agenda of a day for one consultant, and for one dealer.
  const date::local_days day = date::local_days(date::year{2025} / 3 / 7);
  const auto days = static_cast<int32_t>(day.time_since_epoch().count());
  const absl::StatusOr<ScheduleResult> agenda =
      cadence->Agenda(tables.leads.columns(), tables.touches.columns(), day);
  ASSERT_TRUE(agenda.ok()) << agenda.status();
  // The consultant of the first task's lead that has one.
  std::string consultant;
  for (const ScheduledTask& t : agenda->tasks) {
    if (d.consultant[static_cast<size_t>(t.lead_row)]) {
      consultant = *d.consultant[static_cast<size_t>(t.lead_row)];
      break;
    }
  }
  for (const bool by_dealer : {false, true}) {
    const std::string who = by_dealer ? "D1" : consultant;
    const Strings& column = by_dealer ? d.dealer : d.consultant;
    TestStream leads, touches;
    LeadStreams(d, 2, leads, touches);
    ArrowArrayStream in_leads = leads.Stream(), in_touches = touches.Stream(), out;
    ASSERT_EQ(lk_agenda_actions_arrow(h.cadence, &in_leads, &in_touches, days,
                                      by_dealer ? nullptr : who.c_str(),
                                      by_dealer ? who.c_str() : nullptr, 0, &out, nullptr),
              LK_OK)
        << lk_last_error();
    const std::vector<std::string> expected =
        CppActionRows(policy, tables.leads.columns(), *agenda, d, false,
                      [&](size_t row) { return column[row] == who; });
    EXPECT_GT(expected.size(), 0u) << who;
    EXPECT_LT(expected.size(), agenda->tasks.size()) << who;
    EXPECT_EQ(Rows(out), expected) << who;
  }

  // Collected: touches of a lead the batch lacks are rows of the errors, as
  // Cadence::Schedule collects them, and every lead keeps its tasks.
  {
    Data bad = d;
    for (int k = 0; k < 2; ++k) {
      bad.touch_lead.push_back("NOT-A-LEAD");
      bad.method.push_back("phone");
      bad.touch_at.push_back(as_of - std::chrono::hours(k + 1));
    }
    TestStream leads, touches;
    LeadStreams(bad, 1, leads, touches);
    ArrowArrayStream in_leads = leads.Stream(), in_touches = touches.Stream(), out, errors;
    ASSERT_EQ(lk_schedule_actions_arrow(h.cadence, &in_leads, &in_touches,
                                        testing::Seconds(as_of), LK_TASKS_COLLECT_ERRORS,
                                        &out, &errors),
              LK_OK)
        << lk_last_error();
    CppTables bad_tables(bad);
    const absl::StatusOr<ScheduleResult> cpp = cadence->Schedule(
        bad_tables.leads.columns(), bad_tables.touches.columns(), as_of,
        {.collect_errors = true});
    ASSERT_TRUE(cpp.ok()) << cpp.status();
    ASSERT_EQ(cpp->errors.size(), 2u);
    std::vector<std::string> expected_errors;
    for (const RowError& e : cpp->errors) {
      expected_errors.push_back(e.table + "|" + std::to_string(e.row) + "|NOT-A-LEAD|" +
                                Text(e.column) + "|" + e.message);
    }
    EXPECT_EQ(Rows(out), CppActionRows(policy, bad_tables.leads.columns(), *cpp, bad,
                                       false, all));
    EXPECT_EQ(Rows(errors), expected_errors);
  }
}

TEST(HandoverArrow, MatchesRouterHandover) {
  const Data d = Generate(300);
  const absl::StatusOr<Policy> policy = Policy::Preset("three_level");
  ASSERT_TRUE(policy.ok());
  Handles h;
  Load(*policy, h);
  CppTables tables(d);
  const Network network = CppNetwork(d);
  const std::vector<std::string> leaving = {"D0-C1", "D1-C0", "D2-C3", "D3-C2"};
  const std::vector<const char*> leaving_c = {"D0-C1", "D1-C0", "D2-C3", "D3-C2"};
  Router cpp(network, *policy);
  const absl::StatusOr<std::vector<Move>> moves =
      cpp.Handover(tables.leads.columns(), Grades(*policy, d), leaving);
  ASSERT_TRUE(moves.ok()) << moves.status();
  const std::vector<std::string> expected = CppMoveRows(*moves, false);
  EXPECT_GT(expected.size(), 30u);
  // Models as text and as Arrow lists route alike.
  for (const Models form : {Models::kText, Models::kList, Models::kLargeList}) {
    TestStream dealers = DealerStream(d, false), consultants = ConsultantStream(d, form);
    ArrowArrayStream ds = dealers.Stream(), cs = consultants.Stream();
    lk_router* router = nullptr;
    ASSERT_EQ(lk_router_create(h.policy, &ds, &cs, nullptr, &router), LK_OK)
        << lk_last_error();
    TestStream leads, touches;
    LeadStreams(d, 4, leads, touches);
    ArrowArrayStream in = leads.Stream(), out;
    ASSERT_EQ(lk_router_handover_arrow(router, &in, leaving_c.data(), leaving_c.size(), &out),
              LK_OK)
        << lk_last_error();
    EXPECT_TRUE(leads.released());
    EXPECT_EQ(Rows(out), expected) << "models form " << static_cast<int>(form);
    lk_router_free(router);
  }
  // The models decide some moves: without them the moves differ.
  TestStream dealers = DealerStream(d, false),
             consultants = ConsultantStream(d, Models::kNone);
  ArrowArrayStream ds = dealers.Stream(), cs = consultants.Stream();
  lk_router* router = nullptr;
  ASSERT_EQ(lk_router_create(h.policy, &ds, &cs, nullptr, &router), LK_OK)
      << lk_last_error();
  TestStream leads, touches;
  LeadStreams(d, 4, leads, touches);
  ArrowArrayStream in = leads.Stream(), out;
  ASSERT_EQ(lk_router_handover_arrow(router, &in, leaving_c.data(), leaving_c.size(), &out),
            LK_OK)
      << lk_last_error();
  EXPECT_NE(Rows(out), expected);
  lk_router_free(router);
}

TEST(ReclaimArrow, MatchesFirstContactOverdueAndReclaim) {
  const Data d = Generate(300);
  const Policy policy = GroupPolicy();
  Handles h;
  Load(policy, h);
  CppTables tables(d);
  const Network network = CppNetwork(d);
  const absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(policy);
  ASSERT_TRUE(cadence.ok());
  const Instant as_of = Sh("2025-03-10 12:00");
  const absl::StatusOr<std::vector<uint8_t>> late = cadence->FirstContactOverdue(
      tables.leads.columns(), tables.touches.columns(), as_of);
  ASSERT_TRUE(late.ok()) << late.status();
  Router cpp(network, policy);
  const absl::StatusOr<std::vector<Move>> moves =
      cpp.Reclaim(tables.leads.columns(), Grades(policy, d), *late);
  ASSERT_TRUE(moves.ok()) << moves.status();
  const std::vector<std::string> expected = CppMoveRows(*moves, true);
  EXPECT_GT(expected.size(), 20u);
  size_t escalated = 0;
  for (const Move& m : *moves) escalated += m.status == MoveStatus::kEscalated;
  EXPECT_GT(escalated, 0u);

  TestStream dealers = DealerStream(d, false), consultants = ConsultantStream(d, Models::kLargeList);
  ArrowArrayStream ds = dealers.Stream(), cs = consultants.Stream();
  lk_router* router = nullptr;
  ASSERT_EQ(lk_router_create(h.policy, &ds, &cs, nullptr, &router), LK_OK)
      << lk_last_error();
  TestStream leads, touches;
  LeadStreams(d, 2, leads, touches);
  ArrowArrayStream in_leads = leads.Stream(), in_touches = touches.Stream(), out;
  ASSERT_EQ(lk_router_reclaim_arrow(router, h.cadence, &in_leads, &in_touches,
                                    testing::Seconds(as_of), &out),
            LK_OK)
      << lk_last_error();
  EXPECT_TRUE(leads.released() && touches.released());
  EXPECT_EQ(Rows(out), expected);
  lk_router_free(router);
}

}  // namespace
}  // namespace leadkit
