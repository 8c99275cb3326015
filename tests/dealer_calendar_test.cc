// Calendars in policies (docs/policy.md#calendar): a preset by name, an inline
// document, a file the caller supplies; named dealer calendars, and every
// engine judging a lead on its dealer's calendar. Expected instants are
// worked out by hand in the comments.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/cadence.h"
#include "leadkit/kpi.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "nlohmann/json.hpp"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Mon-Fri 09:00-18:00 in Berlin, no dated entries.
constexpr char kBerlin[] = R"({
  "name": "berlin_office",
  "time_zone": "Europe/Berlin",
  "weekly": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]],
             "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]],
             "fri": [["09:00", "18:00"]]}
})";

// The abcd preset's document with `calendar` and `calendars` replaced.
std::string AbcdWith(const nlohmann::json& calendar,
                     const nlohmann::json& calendars) {
  absl::StatusOr<Policy> abcd = Policy::Preset("abcd");
  EXPECT_THAT(abcd, IsOk());
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(abcd->ToJson());
  if (!calendar.is_null()) doc["calendar"] = calendar;
  if (!calendars.is_null()) doc["calendars"] = calendars;
  return doc.dump();
}

Policy Load(const std::string& text, const PolicyLoadOptions& options = {}) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text, options);
  EXPECT_THAT(load, IsOk());
  for (const Issue& issue : load->issues()) ADD_FAILURE() << issue.message;
  absl::StatusOr<Policy> policy = load->policy();
  EXPECT_THAT(policy, IsOk());
  return *policy;
}

// "path: message" of each error issue.
std::vector<std::string> Errors(const std::string& text,
                                const PolicyLoadOptions& options = {}) {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text, options);
  EXPECT_THAT(load, IsOk());
  std::vector<std::string> out;
  for (const Issue& issue : load->issues()) {
    if (issue.severity == Severity::kError) {
      out.push_back(absl::StrCat(issue.path, ": ", issue.message));
    }
  }
  return out;
}

Calendar BerlinCalendar() {
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(kBerlin);
  EXPECT_THAT(load, IsOk());
  return *load->calendar();
}

TEST(PolicyCalendar, EachFormResolvesAndRoundTrips) {
  PolicyLoadOptions files;
  files.calendar_files.emplace("calendars/berlin.json", BerlinCalendar());
  struct Case {
    const char* what;
    nlohmann::json calendar;
    std::string name, zone;
  };
  const Case cases[] = {
      {"left out", nullptr, "cn_showroom", "Asia/Shanghai"},
      {"a preset's name", "cn_office", "cn_office", "Asia/Shanghai"},
      {"a preset in another zone",
       {{"name", "cn_office"}, {"time_zone", "Asia/Tokyo"}},
       "cn_office",
       "Asia/Tokyo"},
      {"an inline document", nlohmann::json::parse(kBerlin), "berlin_office",
       "Europe/Berlin"},
      {"a file", {{"file", "calendars/berlin.json"}}, "berlin_office",
       "Europe/Berlin"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string text = AbcdWith(c.calendar, nullptr);
    const Policy policy = Load(text, files);
    EXPECT_EQ(policy.calendar().name, c.name);
    EXPECT_EQ(policy.calendar().time_zone, c.zone);
    EXPECT_EQ(policy.business_calendar().time_zone(), c.zone);
    // ToJson writes what it read: the file reference, not the file.
    const nlohmann::json written = nlohmann::json::parse(policy.ToJson());
    if (!c.calendar.is_null() && !c.calendar.contains("name")) {
      EXPECT_EQ(written.at("calendar"), c.calendar);
    }
    const Policy again = Load(policy.ToJson(), files);
    EXPECT_EQ(again.ToJson(), policy.ToJson());
    EXPECT_TRUE(again == policy);
  }
}

TEST(PolicyCalendar, APresetInAnotherZoneKeepsItsWallTimes) {
  // cn_office read in Tokyo: Monday 2024-05-13 09:00 Tokyo is an opening.
  const Policy policy = Load(
      AbcdWith({{"name", "cn_office"}, {"time_zone", "Asia/Tokyo"}}, nullptr));
  const Calendar& tokyo = policy.business_calendar();
  const Instant nine = tokyo.FromLocal(date::local_days{
      date::year{2024} / 5 / 13} + std::chrono::hours(9));
  EXPECT_EQ(date::format("%FT%TZ", nine), "2024-05-13T00:00:00Z");
  EXPECT_THAT(tokyo.IsOpen(nine), IsOk());
  EXPECT_TRUE(*tokyo.IsOpen(nine));
  EXPECT_FALSE(*tokyo.IsOpen(nine - std::chrono::seconds(1)));
}

TEST(PolicyCalendar, BadCalendarsAreIssuesAtTheirPaths) {
  nlohmann::json bad_inline = nlohmann::json::parse(kBerlin);
  bad_inline["weekly"]["mon"] =
      nlohmann::json::array({nlohmann::json::array({"18:00", "09:00"})});
  struct Case {
    const char* what;
    nlohmann::json calendar, calendars;
    std::string expected;  // "path: start of the message"
  };
  const Case cases[] = {
      {"a file not supplied",
       {{"file", "calendars/missing.json"}},
       nullptr,
       "/calendar/file: no calendar was loaded for the file reference "
       "\"calendars/missing.json\""},
      {"an unknown preset", "cn_ofice", nullptr,
       "/calendar/name: unknown calendar \"cn_ofice\"; did you mean "
       "\"cn_office\"? A calendar is a preset's name"},
      {"an error inside an inline document", bad_inline, nullptr,
       "/calendar/weekly/mon/0: an opening interval must open before it "
       "closes"},
      {"a named calendar's file not supplied", nullptr,
       {{"berlin", {{"file", "berlin.json"}}}},
       "/calendars/berlin/file: no calendar was loaded for the file "
       "reference \"berlin.json\""},
      {"calendars not an object", nullptr, {"berlin"},
       "/calendars: expected an object"},
      {"a file reference with another key",
       {{"file", "b.json"}, {"zone", "x"}},
       nullptr,
       "/calendar/zone: unknown key \"zone\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::vector<std::string> errors =
        Errors(AbcdWith(c.calendar, c.calendars));
    ASSERT_FALSE(errors.empty());
    EXPECT_THAT(errors[0], HasSubstr(c.expected));
  }
}

TEST(PolicyCalendar, AnInlineCalendarExtendsASuppliedFile) {
  // Berlin with a made-up closed day (not a real holiday), on top of the file.
  const nlohmann::json inline_doc = {
      {"extends", {{"file", "calendars/berlin.json"}}},
      {"coverage", {{"from", "2024-05-01"}, {"to", "2024-05-31"}}},
      {"closed", {{{"date", "2024-05-14"}, {"note", "made up for this test"}}}}};
  const std::string text = AbcdWith(inline_doc, nullptr);
  EXPECT_THAT(Policy::FileReferences(text), ElementsAre("calendars/berlin.json"));
  EXPECT_THAT(Errors(text),
              ElementsAre(HasSubstr("/calendar/extends/file: no calendar was "
                                    "loaded for the file reference")));
  PolicyLoadOptions files;
  files.calendar_files.emplace("calendars/berlin.json", BerlinCalendar());
  const Policy policy = Load(text, files);
  const Calendar& calendar = policy.business_calendar();
  EXPECT_EQ(calendar.time_zone(), "Europe/Berlin");
  const date::local_days tuesday{date::year{2024} / 5 / 14};
  EXPECT_FALSE(*calendar.IsWorkday(tuesday));
  EXPECT_TRUE(*calendar.IsWorkday(tuesday + date::days(1)));
  // Written as read: the inline document with its reference.
  EXPECT_EQ(nlohmann::json::parse(policy.ToJson()).at("calendar"), inline_doc);
  EXPECT_EQ(Load(policy.ToJson(), files).ToJson(), policy.ToJson());
}

TEST(PolicyCalendar, FileReferencesListsEachReferenceOnce) {
  const std::string text = AbcdWith(
      {{"file", "sh_2027.json"}},
      {{"berlin", {{"file", "berlin.json"}}},
       {"again", {{"file", "sh_2027.json"}}},
       {"office", "cn_office"},
       {"extended", {{"extends", {{"file", "base.json"}}}}}});
  // `calendar` first, then `calendars` by name (JSON objects are read in key
  // order): again, berlin, extended, office.
  EXPECT_THAT(Policy::FileReferences(text),
              ElementsAre("sh_2027.json", "berlin.json", "base.json"));
  EXPECT_THAT(Policy::FileReferences("not json"), IsEmpty());
}

// Instants as UTC text.
std::string Utc(Instant t) { return date::format("%FT%TZ", t); }

Instant Parse(const std::string& utc) {
  std::istringstream in(utc);
  date::sys_seconds t;
  in >> date::parse("%FT%TZ", t);
  EXPECT_FALSE(in.fail()) << utc;
  return t;
}

// A policy whose default calendar is cn_showroom (every day 09:00-18:00,
// Shanghai), with the dealer calendars "sh_office" (cn_office: Mon-Fri
// 09:00-12:00, 13:30-18:00, Shanghai) and "berlin" (Mon-Fri 09:00-18:00,
// Berlin).
Policy GroupPolicy() {
  return Load(AbcdWith(nullptr, {{"sh_office", "cn_office"},
                                 {"berlin", nlohmann::json::parse(kBerlin)}}));
}

// The leads of three dealers, each created at 17:30 local time:
//   L_SH  dealer SH (sh_office) Monday 2024-05-13 17:30 Shanghai = 09:30Z
//   L_BER dealer BER (berlin)   Monday 2024-05-13 17:30 Berlin   = 15:30Z
//   L_DEF dealer DEF (no calendar: cn_showroom) Saturday 2024-05-18 17:30
//         Shanghai = 09:30Z
// Grade A (3 days), each touched once by phone 30 minutes after creation.
constexpr char kLeads[] = R"([
  {"lead_id": "L_SH", "dealer_id": "SH", "channel": "website", "grade": "A",
   "created_at": "2024-05-13T09:30:00Z"},
  {"lead_id": "L_BER", "dealer_id": "BER", "channel": "website", "grade": "A",
   "created_at": "2024-05-13T15:30:00Z"},
  {"lead_id": "L_DEF", "dealer_id": "DEF", "channel": "website", "grade": "A",
   "created_at": "2024-05-18T09:30:00Z"}
])";

struct Dealers {
  std::vector<std::string> ids = {"SH", "BER", "DEF"};
  std::vector<int32_t> id_codes = {0, 1, 2};
  std::vector<std::string> names = {"sh_office", "berlin"};
  std::vector<int32_t> calendar_codes = {0, 1, -1};
  Columns Table() const {
    Columns c(3);
    EXPECT_THAT(c.Add("dealer_id", Column::Codes(id_codes, ids)), IsOk());
    EXPECT_THAT(c.Add("calendar", Column::Codes(calendar_codes, names)),
                IsOk());
    return c;
  }
};

struct Touches {
  std::vector<std::string> ids = {"L_SH", "L_BER", "L_DEF"};
  std::vector<int32_t> id_codes = {0, 1, 2};
  std::vector<int64_t> at;
  std::vector<std::string> methods = {"phone"};
  std::vector<int32_t> method_codes;
  // Those of `keep` (lead_ids), 30 minutes after each lead's creation.
  explicit Touches(const std::vector<std::string>& keep) {
    const std::vector<std::string> created = {
        "2024-05-13T10:00:00Z", "2024-05-13T16:00:00Z", "2024-05-18T10:00:00Z"};
    std::vector<int32_t> codes;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (std::find(keep.begin(), keep.end(), ids[i]) == keep.end()) continue;
      codes.push_back(static_cast<int32_t>(i));
      at.push_back(Parse(created[i]).time_since_epoch().count());
      method_codes.push_back(0);
    }
    id_codes = codes;
  }
  Columns Table() const {
    Columns c(static_cast<int64_t>(at.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method_codes, methods)),
                IsOk());
    return c;
  }
};

// The one lead `id` of kLeads.
LeadTable OneLead(const std::string& id) {
  nlohmann::json all = nlohmann::json::parse(kLeads);
  nlohmann::json one = nlohmann::json::array();
  for (const auto& lead : all) {
    if (lead.at("lead_id") == id) one.push_back(lead);
  }
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(one.dump());
  EXPECT_THAT(table, IsOk());
  return std::move(*table);
}

// "lead task due overdue" per task, leads named by `names` (row -> lead_id).
std::vector<std::string> Lines(const ScheduleResult& result,
                               const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const ScheduledTask& t : result.tasks) {
    out.push_back(absl::StrCat(names[static_cast<size_t>(t.lead_row)], " ",
                               TaskName(t.task.kind), " ", Utc(t.task.due),
                               t.task.overdue ? " overdue" : " pending"));
  }
  return out;
}

TEST(DealerCalendars, EachLeadIsJudgedOnItsDealersCalendar) {
  const Policy policy = GroupPolicy();
  absl::StatusOr<Cadence> plain = Cadence::ForPolicy(policy);
  ASSERT_THAT(plain, IsOk());
  const Dealers dealers;
  absl::StatusOr<Cadence> cadence = plain->WithDealers(dealers.Table());
  ASSERT_THAT(cadence, IsOk());
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(kLeads);
  ASSERT_THAT(leads, IsOk());
  const Touches none({});
  // At creation + 10 minutes, each first contact (1 business hour) is due:
  //   L_SH  Mon 17:30 + 30 min to 18:00, then Tue 09:00 + 30 min
  //         = Tue 2024-05-14 09:30 Shanghai = 01:30Z
  //   L_BER Mon 17:30 + 30 min, then Tue 09:30 Berlin (CEST, +2) = 07:30Z
  //   L_DEF Sat 17:30 + 30 min, then Sun 09:30 Shanghai (cn_showroom opens
  //         every day) = 2024-05-19T01:30Z
  const std::vector<std::string> names = {"L_SH", "L_BER", "L_DEF"};
  absl::StatusOr<ScheduleResult> at_sh = cadence->Schedule(
      leads->columns(), none.Table(), Parse("2024-05-18T09:40:00Z"));
  ASSERT_THAT(at_sh, IsOk());
  std::vector<std::string> first_contacts;
  for (const std::string& line : Lines(*at_sh, names)) {
    if (line.find("first_contact") != std::string::npos) {
      first_contacts.push_back(line);
    }
  }
  EXPECT_THAT(first_contacts,
              ElementsAre("L_SH first_contact 2024-05-14T01:30:00Z overdue",
                          "L_BER first_contact 2024-05-14T07:30:00Z overdue",
                          "L_DEF first_contact 2024-05-19T01:30:00Z pending"));
  // Without the dealers table, every lead is on cn_showroom: L_SH's first
  // contact is the same, L_BER's Mon 23:30 Shanghai -> Tue 09:00 + 1 h =
  // Tue 10:00 Shanghai = 02:00Z.
  absl::StatusOr<ScheduleResult> alone = plain->Schedule(
      leads->columns(), none.Table(), Parse("2024-05-18T09:40:00Z"));
  ASSERT_THAT(alone, IsOk());
  EXPECT_THAT(Lines(*alone, names),
              ::testing::Contains(
                  "L_BER first_contact 2024-05-14T02:00:00Z overdue"));
}

// The batch of three dealers in two zones agrees, lead by lead, with each
// lead computed alone on its dealer's calendar: schedule, agenda and KPIs.
TEST(DealerCalendars, TheBatchAgreesWithEachDealerComputedAlone) {
  const Policy policy = GroupPolicy();
  absl::StatusOr<Cadence> plain = Cadence::ForPolicy(policy);
  ASSERT_THAT(plain, IsOk());
  const Dealers dealers;
  absl::StatusOr<Cadence> cadence = plain->WithDealers(dealers.Table());
  ASSERT_THAT(cadence, IsOk());
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(kLeads);
  ASSERT_THAT(leads, IsOk());
  const std::vector<std::string> names = {"L_SH", "L_BER", "L_DEF"};
  const Touches touches(names);
  const Cadence alone[] = {*plain->OnCalendar("sh_office"),
                           *plain->OnCalendar("berlin"), *plain};
  ASSERT_EQ(alone[1].calendar().time_zone(), "Europe/Berlin");
  const Instant as_of = Parse("2024-05-20T12:00:00Z");
  const date::local_days day{date::year{2024} / 5 / 16};
  absl::StatusOr<ScheduleResult> batch =
      cadence->Schedule(leads->columns(), touches.Table(), as_of);
  absl::StatusOr<ScheduleResult> agenda =
      cadence->Agenda(leads->columns(), touches.Table(), day);
  absl::StatusOr<std::vector<LeadKpi>> kpis = LeadKpis(
      *cadence, leads->columns(), touches.Table(), nullptr, as_of);
  ASSERT_THAT(batch, IsOk());
  ASSERT_THAT(agenda, IsOk());
  ASSERT_THAT(kpis, IsOk());
  const auto of_lead = [&](const std::vector<std::string>& lines,
                           const std::string& id) {
    std::vector<std::string> out;
    for (const std::string& line : lines) {
      if (line.rfind(id + " ", 0) == 0) out.push_back(line);
    }
    return out;
  };
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    const LeadTable one = OneLead(names[i]);
    const Touches its({names[i]});
    const std::vector<std::string> name = {names[i]};
    absl::StatusOr<ScheduleResult> s =
        alone[i].Schedule(one.columns(), its.Table(), as_of);
    absl::StatusOr<ScheduleResult> a =
        alone[i].Agenda(one.columns(), its.Table(), day);
    absl::StatusOr<std::vector<LeadKpi>> k =
        LeadKpis(alone[i], one.columns(), its.Table(), nullptr, as_of);
    ASSERT_THAT(s, IsOk());
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(k, IsOk());
    EXPECT_FALSE(s->tasks.empty());
    EXPECT_EQ(of_lead(Lines(*batch, names), names[i]), Lines(*s, name));
    EXPECT_EQ(of_lead(Lines(*agenda, names), names[i]), Lines(*a, name));
    const LeadKpi& mine = (*kpis)[i];
    EXPECT_EQ(mine.entry_due, (*k)[0].entry_due);
    EXPECT_EQ(mine.first_contact_due_at, (*k)[0].first_contact_due_at);
    EXPECT_EQ(mine.first_contact_on_time, (*k)[0].first_contact_on_time);
    EXPECT_EQ(mine.follow_ups_due, (*k)[0].follow_ups_due);
    EXPECT_EQ(mine.follow_ups_on_time, (*k)[0].follow_ups_on_time);
  }
  // By hand, the follow-ups after the touches (grade A, 3 days, due at the
  // close of the day):
  //   L_SH  touched Mon 05-13 18:00 Shanghai: Thu 05-16, closes 18:00
  //         Shanghai = 10:00Z
  //   L_BER touched Mon 05-13 18:00 Berlin: Thu 05-16 18:00 Berlin = 16:00Z
  //   L_DEF touched Sat 05-18 18:00 Shanghai: Tue 05-21 18:00 = 10:00Z
  std::vector<std::string> follow_ups;
  for (const std::string& line : Lines(*batch, names)) {
    if (line.find("follow_up") != std::string::npos) follow_ups.push_back(line);
  }
  EXPECT_THAT(follow_ups,
              ElementsAre("L_SH follow_up 2024-05-16T10:00:00Z overdue",
                          "L_BER follow_up 2024-05-16T16:00:00Z overdue",
                          "L_DEF follow_up 2024-05-21T10:00:00Z pending"));
  // On the agenda of 16 May each is due that day, in its own zone: pending.
  EXPECT_THAT(of_lead(Lines(*agenda, names), "L_BER"),
              ::testing::Contains(
                  "L_BER follow_up 2024-05-16T16:00:00Z pending"));
}

TEST(DealerCalendars, BadDealersTablesAreErrorsNamingTheDealer) {
  absl::StatusOr<Cadence> plain = Cadence::ForPolicy(GroupPolicy());
  ASSERT_THAT(plain, IsOk());
  Dealers unknown;
  unknown.names = {"sh_office", "berln"};
  EXPECT_THAT(plain->WithDealers(unknown.Table()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dealers row 1: dealer_id \"BER\": unknown "
                                 "calendar \"berln\"; did you mean "
                                 "\"berlin\"? The policy's calendars: "
                                 "\"berlin\", \"sh_office\"")));
  Dealers twice;
  twice.ids = {"SH", "BER"};
  twice.id_codes = {0, 0, 1};
  twice.calendar_codes = {0, 1, -1};
  EXPECT_THAT(plain->WithDealers(twice.Table()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dealers row 1: dealer_id \"SH\" is given "
                                 "calendar \"berlin\" and, at row 0, another")));
  // A policy without named calendars: any name is unknown.
  absl::StatusOr<Cadence> abcd = Cadence::ForPolicy(*Policy::Preset("abcd"));
  ASSERT_THAT(abcd, IsOk());
  EXPECT_THAT(abcd->WithDealers(Dealers().Table()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the policy names no calendars")));
  // Without a calendar column, nothing changes.
  Columns ids_only(3);
  const Dealers d;
  ASSERT_THAT(ids_only.Add("dealer_id", Column::Codes(d.id_codes, d.ids)),
              IsOk());
  absl::StatusOr<Cadence> same = plain->WithDealers(ids_only);
  ASSERT_THAT(same, IsOk());
  EXPECT_FALSE(same->has_dealer_calendars());
}

}  // namespace
}  // namespace leadkit
