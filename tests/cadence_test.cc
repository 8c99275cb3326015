// Every task of docs/cadence.md on the oabc and abcd presets (calendar
// cn_showroom: every day 09:00-18:00 in Shanghai, closed Chinese New Year's Eve
// to day 3). Expected deadlines are worked out by hand in the comments.
#include "leadkit/cadence.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Cadence Make(const std::string& preset) {
  absl::StatusOr<Policy> policy = Policy::Preset(preset);
  EXPECT_THAT(policy, IsOk());
  absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(*policy);
  EXPECT_THAT(cadence, IsOk());
  return *cadence;
}

Instant At(const Cadence& c, const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  EXPECT_FALSE(in.fail()) << local;
  return c.calendar().FromLocal(t);
}

std::string Show(const Cadence& c, Instant t) {
  return date::format("%F %R", c.calendar().ToLocal(t));
}

// "task due [agenda] status detail" per open task.
std::vector<std::string> Tasks(const Cadence& c, const LeadFacts& lead,
                               const std::vector<TouchFacts>& touches,
                               const std::string& as_of) {
  absl::StatusOr<std::vector<Task>> tasks =
      c.LeadTasks(lead, touches, At(c, as_of));
  EXPECT_THAT(tasks, IsOk());
  std::vector<std::string> out;
  if (!tasks.ok()) return out;
  for (const Task& t : *tasks) {
    std::string line = absl::StrCat(TaskName(t.kind), " ", Show(c, t.due));
    if (t.agenda) absl::StrAppend(&line, " agenda ", Show(c, *t.agenda));
    absl::StrAppend(&line, t.overdue ? " overdue" : " pending");
    if (!t.detail.empty()) absl::StrAppend(&line, " ", t.detail);
    out.push_back(line);
  }
  return out;
}

LeadFacts Lead(const Cadence& c, const std::string& created, int grade) {
  LeadFacts lead;
  lead.created_at = At(c, created);
  lead.grade = grade;
  return lead;
}

TouchFacts Touch(const Cadence& c, const std::string& at,
                 const char* method = "phone", int grade_after = -1) {
  return {.at = At(c, at), .method = method, .grade_after = grade_after};
}

constexpr int kO = 0, kA = 1, kB = 2, kC = 3;  // oabc grades

TEST(Cadence, FirstContactOnTheBusinessClock) {
  const Cadence c = Make("oabc");
  // Created Monday 22:00: one business hour from the next opening, 09:00, is
  // 10:00.
  LeadFacts lead = Lead(c, "2024-05-13 22:00", kC);
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-13 23:00"),
              ElementsAre("first_contact 2024-05-14 10:00 pending"));
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-14 11:00"),
              ElementsAre("first_contact 2024-05-14 10:00 overdue"));
  // Assigned 17:30: half an hour that day, half an hour the next morning.
  lead.assigned_at = At(c, "2024-05-14 17:30");
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-14 17:45"),
              ElementsAre("first_contact 2024-05-15 09:30 pending"));
  // Not yet assigned at as_of: the task has not started.
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-14 12:00"), ElementsAre());
}

TEST(Cadence, ThePolicysCalendarZoneHoldsTheWallTimes) {
  absl::StatusOr<Policy> base = Policy::Preset("oabc");
  ASSERT_THAT(base, IsOk());
  std::string text = base->ToJson();
  const std::string from = "\"Asia/Shanghai\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"Europe/Berlin\"");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  ASSERT_THAT(load, IsOk());
  absl::StatusOr<Cadence> made = Cadence::ForPolicy(*load->policy());
  ASSERT_THAT(made, IsOk());
  const Cadence& c = *made;
  EXPECT_EQ(c.calendar().time_zone(), "Europe/Berlin");
  // Created Monday 22:00 in Berlin: due 10:00 Berlin the next day, not 10:00 in
  // Shanghai.
  EXPECT_THAT(Tasks(c, Lead(c, "2024-05-13 22:00", kC), {}, "2024-05-13 23:00"),
              ElementsAre("first_contact 2024-05-14 10:00 pending"));
  EXPECT_EQ(
      date::format("%F %R",
                   date::floor<std::chrono::minutes>(
                       *c.FirstContactDeadline(At(c, "2024-05-13 22:00")))),
      "2024-05-14 08:00");  // 10:00 CEST is 08:00 UTC
}

TEST(Cadence, CallbackThankYouAndTheFirstFollowUp) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 10:00", kC);
  lead.callback_channel = true;  // a showroom walk-in who left details
  // A visit does not close the callback; the first touch opens the thank-you
  // (24 h) and the follow-up (grade C: 14 days, due at the closing of 05-27).
  EXPECT_THAT(Tasks(c, lead, {Touch(c, "2024-05-13 10:30", "visit")},
                    "2024-05-13 12:00"),
              ElementsAre("callback 2024-05-14 10:00 pending",
                          "thank_you 2024-05-14 10:30 pending",
                          "follow_up 2024-05-27 18:00 pending"));
  // A phone call the next day closes both the callback and the thank-you.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-13 10:30", "visit"),
                     Touch(c, "2024-05-14 09:15")},
                    "2024-05-14 12:00"),
              ElementsAre("follow_up 2024-05-28 18:00 pending"));
}

TEST(Cadence, FollowUpsFollowTheGradeInForceAndRollToOpenHours) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kC);
  // grade_after A then B: the open follow-up is B's, due on the day 7 days
  // after the last touch, by its closing at 18:00.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-13 10:00", "phone", kA),
                     Touch(c, "2024-05-14 10:00", "wechat", kB)},
                    "2024-05-15 12:00"),
              ElementsAre("follow_up 2024-05-21 18:00 pending"));
  // A touch at 19:00 under grade O (7 days) falls due on Chinese New Year's
  // Eve 2024, closed (to 02-12): the first open day after it is 02-13, due at
  // its closing, 18:00.
  LeadFacts cny = Lead(c, "2024-02-01 09:00", kO);
  // (The thank-you, on the calendar clock, lands 24 hours after the touch, at
  // 02-03 19:00, after closing: the closing of the next open day, 02-04.)
  EXPECT_THAT(Tasks(c, cny, {Touch(c, "2024-02-02 19:00")}, "2024-02-03 12:00"),
              ElementsAre("thank_you 2024-02-04 18:00 pending",
                          "follow_up 2024-02-13 18:00 pending"));
  // Touches are ordered by time whatever the input order.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-14 10:00", "wechat", kB),
                     Touch(c, "2024-05-13 10:00", "phone", kA)},
                    "2024-05-15 12:00"),
              ElementsAre("follow_up 2024-05-21 18:00 pending"));
}

TEST(Cadence, RangeIntervalsHaveAnAgendaDate) {
  const Cadence c = Make("abcd");  // C: every 2 weeks to 1 month
  LeadFacts lead = Lead(c, "2024-05-13 09:00", 2);
  EXPECT_THAT(
      Tasks(c, lead,
            {Touch(c, "2024-05-13 10:00"), Touch(c, "2024-05-13 11:00")},
            "2024-05-14 12:00"),
      ElementsAre(
          "follow_up 2024-06-12 18:00 agenda 2024-05-27 11:00 pending"));
}

TEST(Cadence, DowngradeReviewAfterTwoMissedFollowUpsInARow) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-01 09:00", kA);  // grade A: every 2 days
  // 05-01 -> due 05-03 18:00, next touch 05-04: missed; 05-04 -> due 05-06
  // 18:00, next 05-07: missed again. The review starts 05-06 18:00, a closing,
  // and is due 48 business hours later: 9 h a day Tuesday 05-07 to Saturday
  // 05-11 (45 h), 3 h on Sunday: 2024-05-12 12:00.
  const std::vector<TouchFacts> touches = {Touch(c, "2024-05-01 10:00"),
                                           Touch(c, "2024-05-04 10:00"),
                                           Touch(c, "2024-05-07 10:00")};
  EXPECT_THAT(Tasks(c, lead, touches, "2024-05-08 09:00"),
              ElementsAre("follow_up 2024-05-09 18:00 pending",
                          "downgrade_review 2024-05-12 12:00 pending"));
  // A touch that records a grade closes the review.
  std::vector<TouchFacts> reviewed = touches;
  reviewed.push_back(Touch(c, "2024-05-08 09:30", "phone", kB));
  EXPECT_THAT(Tasks(c, lead, reviewed, "2024-05-08 12:00"),
              ElementsAre("follow_up 2024-05-15 18:00 pending"));
}

TEST(Cadence, WonLeadsGetOrderFollowUpsThenAfterSale) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kO);
  lead.status = LeadStatus::kWon;
  lead.won_at = At(c, "2024-05-20 10:00");
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-22 11:00")}, "2024-05-23 12:00"),
      ElementsAre("order_follow_up 2024-05-29 11:00 pending"));
  // Won after as_of: still open at as_of, so sales follow-ups run.
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-14 11:00")}, "2024-05-15 12:00"),
      ElementsAre("thank_you 2024-05-15 11:00 overdue",
                  "follow_up 2024-05-21 18:00 pending"));
  // Delivered 06-01 10:00: visit within 24 h, owner care every 14 days.
  lead.delivered_at = At(c, "2024-06-01 10:00");
  EXPECT_THAT(Tasks(c, lead, {}, "2024-06-01 12:00"),
              ElementsAre("post_sale 2024-06-02 10:00 pending visit_24h",
                          "owner_care 2024-06-15 10:00 pending"));
  // A visit that afternoon closes the first step; the week's visit is next.
  EXPECT_THAT(Tasks(c, lead, {Touch(c, "2024-06-01 15:00", "visit")},
                    "2024-06-02 12:00"),
              ElementsAre("post_sale 2024-06-08 10:00 pending visit_7d",
                          "owner_care 2024-06-15 15:00 pending"));
  // Two more touches: the first-service reminder 3 months after delivery; after
  // 3 months, owner care every 90 days.
  EXPECT_THAT(
      Tasks(c, lead,
            {Touch(c, "2024-06-01 15:00", "visit"),
             Touch(c, "2024-06-05 10:00"), Touch(c, "2024-09-02 10:00")},
            "2024-09-03 12:00"),
      ElementsAre("owner_care 2024-12-01 10:00 pending"));
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-06-01 15:00", "visit"),
                     Touch(c, "2024-06-05 10:00")},
                    "2024-06-06 12:00"),
              ElementsAre("owner_care 2024-06-19 10:00 pending",
                          "post_sale 2024-09-01 10:00 pending first_service"));
}

TEST(Cadence, LostLeads) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kB);
  lead.status = LeadStatus::kLost;
  lead.lost_at = At(c, "2024-05-20 10:00");
  lead.lost_review = LostReview::kPending;
  // 48 business hours from Monday 10:00 (see the downgrade review): Saturday
  // 13:00.
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-14 10:00")}, "2024-05-21 12:00"),
      ElementsAre("lost_review 2024-05-25 13:00 pending"));
  lead.lost_review = LostReview::kApproved;
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-14 10:00")}, "2024-05-21 12:00"),
      ElementsAre("nurture 2024-08-18 10:00 pending"));
  lead.lost_review = LostReview::kNone;
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-21 12:00"),
              ElementsAre("nurture 2024-08-18 10:00 pending"));
  // Rejected: sales follow-ups by grade again, from the last touch (B: 7 days,
  // due 05-21 by 18:00, so still pending at 12:00).
  lead.lost_review = LostReview::kRejected;
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-14 10:00")}, "2024-05-21 12:00"),
      ElementsAre("thank_you 2024-05-15 10:00 overdue",
                  "follow_up 2024-05-21 18:00 pending"));
}

TEST(Cadence, InvalidAndNotYetCreatedLeadsHaveNoTasks) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kB);
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-13 08:00"), ElementsAre());
  lead.status = LeadStatus::kInvalid;
  EXPECT_THAT(Tasks(c, lead, {}, "2024-05-14 08:00"), ElementsAre());
}

TEST(Cadence, TouchesAfterAsOfAreIgnoredAndBeforeCreationRejected) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kB);
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-20 10:00")}, "2024-05-13 09:30"),
      ElementsAre("first_contact 2024-05-13 10:00 pending"));
  EXPECT_THAT(
      c.LeadTasks(lead, std::vector<TouchFacts>{Touch(c, "2024-05-12 10:00")},
                  At(c, "2024-05-14 09:00")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("is before the lead's created_at")));
}

TEST(Cadence, SpecialDays) {
  absl::StatusOr<Policy> base = Policy::Preset("oabc");
  ASSERT_THAT(base, IsOk());
  std::string text = base->ToJson();
  const std::string from = "\"greetings\": []";
  text.replace(
      text.find(from), from.size(),
      R"("greetings": [{"date": "2024-06-10", "name": "Dragon Boat Festival"}])");
  const std::string from2 = "\"campaigns\": []";
  text.replace(
      text.find(from2), from2.size(),
      R"("campaigns": [{"model": "C200", "date": "2024-06-05", "name": "C200 launch"}])");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  ASSERT_THAT(load, IsOk());
  absl::StatusOr<Cadence> made = Cadence::ForPolicy(*load->policy());
  ASSERT_THAT(made, IsOk());
  const Cadence& c = *made;
  LeadFacts lead = Lead(c, "2024-05-01 09:00", kB);
  lead.birthday = date::month_day(date::May, date::day(13));
  const std::vector<TouchFacts> touches = {Touch(c, "2024-05-01 10:00")};
  // The birthday runs from the day's opening to its closing.
  EXPECT_THAT(Tasks(c, lead, touches, "2024-05-13 12:00"),
              ElementsAre("thank_you 2024-05-02 10:00 overdue",
                          "follow_up 2024-05-08 18:00 overdue",
                          "birthday 2024-05-13 18:00 pending"));
  // A touch that day closes it; missed, it stays overdue until the next
  // birthday.
  std::vector<TouchFacts> greeted = touches;
  greeted.push_back(Touch(c, "2024-05-13 16:00", "wechat"));
  EXPECT_THAT(Tasks(c, lead, greeted, "2024-05-13 17:00"),
              ElementsAre("follow_up 2024-05-20 18:00 pending"));
  EXPECT_THAT(Tasks(c, lead, touches, "2024-05-14 12:00"),
              ElementsAre("thank_you 2024-05-02 10:00 overdue",
                          "follow_up 2024-05-08 18:00 overdue",
                          "birthday 2024-05-13 18:00 overdue"));
  // The greeting, and the campaign of the model of interest.
  lead.birthday.reset();
  lead.campaigns = {0};
  // Two follow-ups missed in a row (due 05-08 and 05-20 18:00): a downgrade
  // review from 05-20 18:00, a closing, 48 business hours: 9 h a day Tuesday
  // 05-21 to Saturday 05-25 (45 h), 3 h Sunday.
  EXPECT_THAT(
      Tasks(c, lead, greeted, "2024-06-10 12:00"),
      ElementsAre(
          "follow_up 2024-05-20 18:00 overdue",
          "downgrade_review 2024-05-26 12:00 overdue",
          "campaign 2024-06-05 18:00 overdue C200 launch",
          "holiday_greeting 2024-06-10 18:00 pending Dragon Boat Festival"));
}

TEST(Cadence, DeadlineRules) {
  const Cadence c = Make("abcd");
  // 24 h later is 22:00, after closing: the closing of the next open day.
  EXPECT_EQ(Show(c, *c.EntryDeadline(At(c, "2024-05-13 22:00"))),
            "2024-05-15 18:00");
  EXPECT_EQ(Show(c, *c.FirstContactDeadline(At(c, "2024-05-13 22:00"))),
            "2024-05-14 10:00");
  absl::StatusOr<std::optional<FollowUpDue>> d =
      c.FollowUpDeadline(At(c, "2024-05-13 22:00"), 3);
  ASSERT_THAT(d, IsOk());
  ASSERT_TRUE(d->has_value());
  // D: 30 to 90 days. Due on the 90th day, 08-11 (18 days to the end of May,
  // 30 in June, 31 in July, 11 in August), by its closing; the agenda date is
  // the 30th day's 22:00, after closing, rolled to the next morning.
  EXPECT_EQ(Show(c, (*d)->due), "2024-08-11 18:00");
  EXPECT_EQ(Show(c, *(*d)->agenda), "2024-06-13 09:00");
}

// oabc with the policy document's "greetings" and "campaigns" set to these
// JSON arrays.
Cadence WithSpecialDays(const std::string& greetings,
                        const std::string& campaigns) {
  absl::StatusOr<Policy> base = Policy::Preset("oabc");
  EXPECT_THAT(base, IsOk());
  std::string text = base->ToJson();
  for (const auto& [key, value] : {std::pair<std::string, std::string>{
                                       "\"greetings\": ", greetings},
                                   {"\"campaigns\": ", campaigns}}) {
    const std::string from = key + "[]";
    EXPECT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), key + value);
  }
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  absl::StatusOr<Cadence> made = Cadence::ForPolicy(*load->policy());
  EXPECT_THAT(made, IsOk());
  return *made;
}

date::local_days Day(const std::string& text) {
  std::istringstream in(text);
  date::local_days day;
  in >> date::parse("%F", day);
  EXPECT_FALSE(in.fail()) << text;
  return day;
}

// "task due status detail" per task on the agenda of local `day`.
std::vector<std::string> AgendaOf(const Cadence& c, const LeadFacts& lead,
                                  const std::vector<TouchFacts>& touches,
                                  const std::string& day) {
  absl::StatusOr<std::vector<Task>> tasks =
      c.LeadAgenda(lead, touches, Day(day));
  EXPECT_THAT(tasks, IsOk());
  std::vector<std::string> out;
  if (!tasks.ok()) return out;
  for (const Task& t : *tasks) {
    std::string line = absl::StrCat(TaskName(t.kind), " ", Show(c, t.due));
    absl::StrAppend(&line, t.overdue ? " overdue" : " pending");
    if (!t.detail.empty()) absl::StrAppend(&line, " ", t.detail);
    out.push_back(line);
  }
  return out;
}

// Regression: day tasks start at the day's opening, and the agenda judged its
// day at midnight, so a birthday was missing on its day and overdue the next.
TEST(CadenceAgenda, AgendaMissesDayTasksOnTheirDay) {
  const Cadence c = WithSpecialDays(
      R"([{"date": "2024-02-10", "name": "Spring Festival"},
          {"date": "2024-06-10", "name": "Dragon Boat Festival"}])",
      R"([{"model": "C200", "date": "2024-06-05", "name": "C200 launch"}])");

  // Birthday 12 June. Created and touched twice on 10 June (the greeting of
  // that day is done; the thank-you closed by the second touch); grade B: the
  // follow-up is due 7 days later, on 17 June by 18:00.
  LeadFacts born = Lead(c, "2024-06-10 09:00", kB);
  born.birthday = date::month_day(date::June, date::day(12));
  std::vector<TouchFacts> touches = {Touch(c, "2024-06-10 10:00"),
                                     Touch(c, "2024-06-10 11:00", "wechat")};
  // At midnight the birthday has not begun (it opens at 09:00).
  EXPECT_THAT(Tasks(c, born, touches, "2024-06-12 00:00"),
              ElementsAre("follow_up 2024-06-17 18:00 pending"));
  EXPECT_THAT(AgendaOf(c, born, touches, "2024-06-11"), ElementsAre());
  EXPECT_THAT(AgendaOf(c, born, touches, "2024-06-12"),
              ElementsAre("birthday 2024-06-12 18:00 pending"));
  // Closed at 18:00 on the 12th: overdue from the next day on.
  EXPECT_THAT(AgendaOf(c, born, touches, "2024-06-13"),
              ElementsAre("birthday 2024-06-12 18:00 overdue"));
  // Greeted at 15:00: done, so off the agenda; the touch opens the next
  // follow-up (due 7 days later), whose window opens that day.
  touches.push_back(Touch(c, "2024-06-12 15:00"));
  EXPECT_THAT(AgendaOf(c, born, touches, "2024-06-12"),
              ElementsAre("follow_up 2024-06-19 18:00 pending"));
  EXPECT_THAT(AgendaOf(c, born, touches, "2024-06-13"), ElementsAre());

  // A greeting on a closed day (Spring Festival, 9-12 February closed): open
  // from its midnight to the next, so due at midnight ending the 10th.
  const LeadFacts greeted = Lead(c, "2024-02-08 09:00", kB);
  const std::vector<TouchFacts> twice = {Touch(c, "2024-02-08 10:00"),
                                         Touch(c, "2024-02-08 11:00")};
  EXPECT_THAT(AgendaOf(c, greeted, twice, "2024-02-09"), ElementsAre());
  EXPECT_THAT(AgendaOf(c, greeted, twice, "2024-02-10"),
              ElementsAre("holiday_greeting 2024-02-11 00:00 pending "
                          "Spring Festival"));
  EXPECT_THAT(AgendaOf(c, greeted, twice, "2024-02-11"),
              ElementsAre("holiday_greeting 2024-02-11 00:00 overdue "
                          "Spring Festival"));

  // A campaign for the lead's model (C200), 5 June, 09:00 to 18:00.
  LeadFacts interested = Lead(c, "2024-06-03 09:00", kB);
  interested.campaigns = {0};
  const std::vector<TouchFacts> early = {Touch(c, "2024-06-03 10:00"),
                                         Touch(c, "2024-06-03 11:00")};
  EXPECT_THAT(AgendaOf(c, interested, early, "2024-06-04"), ElementsAre());
  EXPECT_THAT(AgendaOf(c, interested, early, "2024-06-05"),
              ElementsAre("campaign 2024-06-05 18:00 pending C200 launch"));
  EXPECT_THAT(AgendaOf(c, interested, early, "2024-06-06"),
              ElementsAre("campaign 2024-06-05 18:00 overdue C200 launch"));
}

TEST(CadenceAgenda, OnAgendaJudgesTheDayFromMidnightToMidnight) {
  const Cadence c = Make("oabc");
  const AgendaDay day = c.Day(Day("2024-06-10"));
  EXPECT_EQ(Show(c, day.begin), "2024-06-10 00:00");
  EXPECT_EQ(Show(c, day.end), "2024-06-11 00:00");
  EXPECT_EQ(date::format("%F %T", c.calendar().ToLocal(day.as_of())),
            "2024-06-10 23:59:59");
  struct Case {
    const char* start;
    const char* due;
    const char* agenda;  // "" = none
    AgendaStatus status;
  };
  const Case cases[] = {
      // Due before the day, or at its first instant: overdue.
      {"2024-06-01 10:00", "2024-06-09 18:00", "", AgendaStatus::kOverdue},
      {"2024-06-09 00:00", "2024-06-10 00:00", "", AgendaStatus::kOverdue},
      // Due during the day, up to the midnight that ends it.
      {"2024-06-01 10:00", "2024-06-10 00:01", "", AgendaStatus::kPending},
      {"2024-06-10 00:00", "2024-06-11 00:00", "", AgendaStatus::kPending},
      // Due later: listed the day it opens, not before or after.
      {"2024-06-10 15:00", "2024-06-12 15:00", "", AgendaStatus::kPending},
      {"2024-06-09 23:59", "2024-06-12 15:00", "", AgendaStatus::kOff},
      // A range: from its agenda date on, whenever it started.
      {"2024-05-27 10:00", "2024-06-25 10:00", "2024-06-10 17:00",
       AgendaStatus::kPending},
      {"2024-05-27 10:00", "2024-06-25 10:00", "2024-06-02 10:00",
       AgendaStatus::kPending},
      {"2024-06-10 10:00", "2024-07-09 10:00", "2024-06-24 10:00",
       AgendaStatus::kOff},
  };
  for (const Case& k : cases) {
    Task task{.start = At(c, k.start), .due = At(c, k.due)};
    if (*k.agenda) task.agenda = At(c, k.agenda);
    EXPECT_EQ(OnAgenda(task, day), k.status)
        << k.start << " " << k.due << " " << k.agenda;
  }
}

TEST(CadenceAgenda, TheBatchAgendaIsEachLeadsAgenda) {
  const Cadence c = Make("oabc");
  // A (20 days: grade B) touched twice on 3 June: follow-up due 10 June by
  // 18:00, as is its birthday (at equal due times the follow-up, scheduled
  // first, is listed first). B created 10 June 10:00: first contact by 11:00.
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "A", "created_at": "2024-06-03T09:00:00+08:00",
     "channel": "website", "purchase_within_days": 20,
     "birthday": "1990-06-10"},
    {"lead_id": "B", "created_at": "2024-06-10T10:00:00+08:00",
     "channel": "website"}
  ])");
  ASSERT_THAT(leads, IsOk());
  const std::vector<std::string> ids = {"A"};
  const std::vector<int32_t> id_codes = {0, 0};
  const std::vector<int64_t> at = {
      At(c, "2024-06-03 10:00").time_since_epoch().count(),
      At(c, "2024-06-03 11:00").time_since_epoch().count()};
  const std::vector<std::string> methods = {"phone"};
  const std::vector<int32_t> method_codes = {0, 0};
  Columns touches(2);
  ASSERT_THAT(touches.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
  ASSERT_THAT(touches.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(touches.Add("method", Column::Codes(method_codes, methods)),
              IsOk());
  const auto lines = [&](const std::string& day) {
    absl::StatusOr<ScheduleResult> result =
        c.Agenda(leads->columns(), touches, Day(day));
    EXPECT_THAT(result, IsOk());
    std::vector<std::string> out;
    if (!result.ok()) return out;
    for (const ScheduledTask& t : result->tasks) {
      out.push_back(absl::StrCat(t.lead_row, " ", TaskName(t.task.kind), " ",
                                 Show(c, t.task.due),
                                 t.task.overdue ? " overdue" : " pending"));
    }
    return out;
  };
  EXPECT_THAT(lines("2024-06-09"), ElementsAre());
  EXPECT_THAT(lines("2024-06-10"),
              ElementsAre("0 follow_up 2024-06-10 18:00 pending",
                          "0 birthday 2024-06-10 18:00 pending",
                          "1 first_contact 2024-06-10 11:00 pending"));
  EXPECT_THAT(lines("2024-06-11"),
              ElementsAre("0 follow_up 2024-06-10 18:00 overdue",
                          "0 birthday 2024-06-10 18:00 overdue",
                          "1 first_contact 2024-06-10 11:00 overdue"));
}

// The cn_office preset (covered to 2026-12-31) with `outside` set, under a
// policy preset.
Cadence OfficeCadence(const std::string& preset, const std::string& outside) {
  absl::StatusOr<Calendar> office = Calendar::Preset("cn_office");
  EXPECT_THAT(office, IsOk());
  std::string text = office->ToJson();
  const std::string mode = "\"outside\": \"estimate\"";
  text.replace(text.find(mode), mode.size(),
               absl::StrCat("\"outside\": \"", outside, "\""));
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(text);
  EXPECT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = Policy::Preset(preset);
  EXPECT_THAT(policy, IsOk());
  return Cadence(*policy, *load->calendar());
}

// The leads reclaim takes back: those whose first contact is overdue. On
// oabc (one business hour, opening at 09:00), at Tuesday 2024-05-14 11:00:
//   L1 created Mon 22:00, untouched       -> due Tue 10:00: overdue   -> 1
//   L2 created Mon 22:00, touched Tue 9:30 -> contacted, no task       -> 0
//   L3 created Tue 10:30, untouched       -> due Tue 11:30: pending   -> 0
TEST(Cadence, FirstContactOverdueFlagsTheLeadsReclaimTakes) {
  const Cadence cadence = Make("oabc");
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "L1", "created_at": "2024-05-13T22:00:00+08:00"},
    {"lead_id": "L2", "created_at": "2024-05-13T22:00:00+08:00"},
    {"lead_id": "L3", "created_at": "2024-05-14T10:30:00+08:00"}
  ])");
  ASSERT_THAT(leads, IsOk());
  const std::vector<std::string> ids = {"L2"};
  const std::vector<int32_t> id_codes = {0};
  const std::vector<int64_t> at = {
      At(cadence, "2024-05-14 09:30").time_since_epoch().count()};
  const std::vector<std::string> methods = {"phone"};
  const std::vector<int32_t> method_codes = {0};
  Columns touches(1);
  ASSERT_THAT(touches.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
  ASSERT_THAT(touches.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(touches.Add("method", Column::Codes(method_codes, methods)),
              IsOk());
  absl::StatusOr<std::vector<uint8_t>> late = cadence.FirstContactOverdue(
      leads->columns(), touches, At(cadence, "2024-05-14 11:00"));
  ASSERT_THAT(late, IsOk());
  EXPECT_THAT(*late, ElementsAre(1, 0, 0));
  // A touch of an unknown lead is the schedule's error.
  const std::vector<std::string> stranger = {"X9"};
  Columns bad(1);
  ASSERT_THAT(bad.Add("lead_id", Column::Codes(id_codes, stranger)), IsOk());
  ASSERT_THAT(bad.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(bad.Add("method", Column::Codes(method_codes, methods)), IsOk());
  EXPECT_THAT(cadence.FirstContactOverdue(leads->columns(), bad,
                                          At(cadence, "2024-05-14 11:00")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("X9")));
}

// The defect: on 6 December 2026 a D lead touched on 2 November 2026 (abcd: 30
// to 90 days) has its follow-up due on 31 January 2027, past cn_office's
// coverage, and the whole batch failed. L2 (grade A, 3 days) lies inside the
// coverage. Worked by hand on cn_office's weekly hours (Mon-Fri 09:00-12:00,
// 13:30-18:00):
//   L1 thank_you  2026-11-02 10:00 + 24 h             = 2026-11-03 10:00
//   L1 follow_up  2026-11-02 10:00 + 90 days           = Sun 2027-01-31 10:00
//                 -> next opening                      = Mon 2027-02-01 09:00
//                 agenda + 30 days = Wed 2026-12-02 10:00 (open, covered)
//   L2 thank_you  2026-12-01 10:00 + 24 h             = 2026-12-02 10:00
//   L2 follow_up  2026-12-01 10:00 + 3 days           = Fri 2026-12-04 10:00
TEST(Cadence, ScheduleNeverFailsBatchPastCoverage) {
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "L1", "created_at": "2026-11-02T09:00:00+08:00", "grade": "D"},
    {"lead_id": "L2", "created_at": "2026-12-01T09:00:00+08:00", "grade": "A"}
  ])");
  ASSERT_THAT(leads, IsOk());
  const Cadence probe = OfficeCadence("abcd", "error");
  const std::vector<std::string> ids = {"L1", "L2"};
  const std::vector<int32_t> id_codes = {0, 1};
  const std::vector<int64_t> at = {
      At(probe, "2026-11-02 10:00").time_since_epoch().count(),
      At(probe, "2026-12-01 10:00").time_since_epoch().count()};
  const std::vector<std::string> methods = {"phone"};
  const std::vector<int32_t> method_codes = {0, 0};
  Columns touches(2);
  ASSERT_THAT(touches.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
  ASSERT_THAT(touches.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(touches.Add("method", Column::Codes(method_codes, methods)),
              IsOk());
  const std::string past_coverage =
      "2027-01-31 is outside the dates calendar \"cn_office\" covers "
      "(2019-01-01 to 2026-12-31";
  struct Case {
    std::string outside;
    bool collect;
    std::string error;                // the call's error; empty: none
    std::vector<std::string> tasks;   // "row task due [agenda] [estimated]"
    std::vector<std::string> errors;  // "table row: message"
  };
  // Follow-ups are due at the end of their day (the presets' `due`): L2's
  // (A, 3 days) on Friday 2026-12-04 at 18:00; L1's (D, at most 90 days) on
  // Sunday 2027-01-31, so at the close of Monday 2027-02-01.
  const std::vector<std::string> computed = {
      "0 thank_you 2026-11-03 10:00", "1 thank_you 2026-12-02 10:00",
      "1 follow_up 2026-12-04 18:00"};
  const Case cases[] = {
      {.outside = "error",
       .collect = false,
       .error = "leads row 0: lead_id \"L1\": follow_up: " + past_coverage},
      {.outside = "error",
       .collect = true,
       .tasks = computed,
       .errors = {"leads 0: lead_id \"L1\": follow_up: " + past_coverage +
                  "; coverage.outside is \"error\")"}},
      {.outside = "weekly",
       .collect = false,
       .tasks = {"0 thank_you 2026-11-03 10:00",
                 "0 follow_up 2027-02-01 18:00 agenda 2026-12-02 10:00",
                 "1 thank_you 2026-12-02 10:00",
                 "1 follow_up 2026-12-04 18:00"}},
      {.outside = "estimate",
       .collect = false,
       .tasks = {"0 thank_you 2026-11-03 10:00",
                 "0 follow_up 2027-02-01 18:00 agenda 2026-12-02 10:00 "
                 "estimated",
                 "1 thank_you 2026-12-02 10:00",
                 "1 follow_up 2026-12-04 18:00"}},
  };
  for (const Case& c : cases) {
    const std::string name =
        absl::StrCat(c.outside, c.collect ? " collecting" : "");
    const Cadence cadence = OfficeCadence("abcd", c.outside);
    absl::StatusOr<ScheduleResult> result =
        cadence.Schedule(leads->columns(), touches,
                         At(cadence, "2026-12-06 12:00"),
                         ScheduleOptions{.collect_errors = c.collect});
    if (!c.error.empty()) {
      EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr(c.error)))
          << name;
      continue;
    }
    ASSERT_THAT(result, IsOk()) << name;
    std::vector<std::string> tasks, errors;
    for (const ScheduledTask& t : result->tasks) {
      std::string line = absl::StrCat(t.lead_row, " ", TaskName(t.task.kind),
                                      " ", Show(cadence, t.task.due));
      if (t.task.agenda) {
        absl::StrAppend(&line, " agenda ", Show(cadence, *t.task.agenda));
      }
      if (t.task.estimated) absl::StrAppend(&line, " estimated");
      tasks.push_back(line);
    }
    for (const RowError& e : result->errors) {
      errors.push_back(absl::StrCat(e.table, " ", e.row, ": ", e.message));
    }
    EXPECT_EQ(tasks, c.tasks) << name;
    EXPECT_EQ(errors, c.errors) << name;
    // Both leads' grades in force are known, the failing one's too.
    EXPECT_EQ(result->grades, (std::vector<int32_t>{3, 0})) << name;
  }
}

// Every task kind that reads the calendar marks an estimate past the
// coverage: the deadline rules report it through `estimated`.
TEST(Cadence, DeadlineRulesReportEstimates) {
  const Cadence c = OfficeCadence("abcd", "estimate");
  // Thursday 2026-12-31 17:30 + 1 business hour: 30 min to 18:00, then Friday
  // 2027-01-01 (New Year's Day, unknown to the weekly hours) 09:00-09:30.
  bool estimated = false;
  absl::StatusOr<Instant> due =
      c.FirstContactDeadline(At(c, "2026-12-31 17:30"), &estimated);
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(Show(c, *due), "2027-01-01 09:30");
  EXPECT_TRUE(estimated);
  estimated = false;
  due = c.FirstContactDeadline(At(c, "2026-12-31 16:30"), &estimated);
  EXPECT_EQ(Show(c, *due), "2026-12-31 17:30");
  EXPECT_FALSE(estimated);
  // The entry SLA runs on the calendar clock: 24 h later, Friday 2027-01-01
  // 17:30; whether that instant is open (closed_deadline) is read from the
  // weekly hours past the coverage, so it is an estimate.
  estimated = false;
  due = c.EntryDeadline(At(c, "2026-12-31 17:30"), &estimated);
  EXPECT_EQ(Show(c, *due), "2027-01-01 17:30");
  EXPECT_TRUE(estimated);
  // A follow-up (A: 3 days, due at the end of the day) from Tuesday 2026-12-29
  // 10:00: Friday 2027-01-01, closing at 18:00 on the weekly hours.
  estimated = false;
  absl::StatusOr<std::optional<FollowUpDue>> follow =
      c.FollowUpDeadline(At(c, "2026-12-29 10:00"), 0, &estimated);
  ASSERT_THAT(follow, IsOk());
  EXPECT_EQ(Show(c, (*follow)->due), "2027-01-01 18:00");
  EXPECT_TRUE(estimated);
  // Due by a later end, it is estimated; past the end it is not due at all.
  estimated = false;
  absl::StatusOr<std::optional<Instant>> by = c.FollowUpDueBy(
      At(c, "2026-12-29 10:00"), 0, At(c, "2027-01-02 00:00"), &estimated);
  ASSERT_THAT(by, IsOk());
  EXPECT_TRUE(by->has_value());
  EXPECT_TRUE(estimated);
  estimated = false;
  by = c.FollowUpDueBy(At(c, "2026-12-29 10:00"), 0, At(c, "2026-12-31 23:00"),
                       &estimated);
  ASSERT_THAT(by, IsOk());
  EXPECT_FALSE(by->has_value());
  EXPECT_FALSE(estimated);
}

// A one-grade policy on `calendar` whose thank-you, callback and entry SLAs
// (24 h, calendar clock) use `closed` and whose 3-day follow-up uses `due`.
Cadence WithDeadlineRules(const std::string& calendar,
                          const std::string& closed, const std::string& due) {
  const std::string sla =
      absl::StrCat(R"({"hours": 24, "clock": "calendar", "closed_deadline": ")",
                   closed, R"("})");
  const std::string text = absl::StrCat(
      R"({"grades": ["hot"], "rules": [{"id": "default", "grade": "hot"}],
          "calendar": {"name": ")",
      calendar, R"("}, "cadence": {"entry_sla": )", sla,
      R"(, "thank_you": )", sla, R"(, "callback": {"within": )", sla,
      R"(}, "follow_up_days": {"hot": {"days": 3, "due": ")", due,
      R"("}}}})");
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  EXPECT_TRUE(load->issues().empty()) << FormatIssue(load->issues().front());
  absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(*load->policy());
  EXPECT_THAT(cadence, IsOk());
  return *cadence;
}

// cn_showroom: every day 09:00-18:00, closed Chinese New Year's Eve to day 3
// (2024-02-09 to 02-12, 2025-01-28 to 01-31). cn_office: Monday to Friday
// 09:00-12:00 and 13:30-18:00, closed on the public holidays, open on the
// make-up days with Friday's hours (Spring Festival 2024: closed 02-10 to
// 02-17, Sunday 02-18 worked; 2025: closed 01-28 to 02-04; National Day 2024:
// closed 10-01 to 10-07, Sunday 09-29 worked; 2025: closed 10-01 to 10-08,
// Sunday 09-28 worked).
TEST(CadenceDeadlines, ClosedDeadlineOfEachCalendarClockSla) {
  struct Case {
    const char* name;
    const char* calendar;
    const char* start;  // the SLA starts; it ends 24 h later
    const char* keep;
    const char* next_open;
    const char* end_of_next_open_day;
  };
  const Case cases[] = {
      {"Spring Festival 2024, showroom: lands on New Year's Eve 02-09 10:00",
       "cn_showroom", "2024-02-08 10:00", "2024-02-09 10:00",
       "2024-02-13 09:00", "2024-02-13 18:00"},
      {"Spring Festival 2025, showroom: lands on New Year's Eve 01-28 10:00",
       "cn_showroom", "2025-01-27 10:00", "2025-01-28 10:00",
       "2025-02-01 09:00", "2025-02-01 18:00"},
      {"Spring Festival 2024, office: lands on Saturday 02-10, the make-up "
       "Sunday 02-18 is the next open day",
       "cn_office", "2024-02-09 10:00", "2024-02-10 10:00", "2024-02-18 09:00",
       "2024-02-18 18:00"},
      {"Spring Festival 2025, office: lands on 01-28, open again Wednesday "
       "02-05",
       "cn_office", "2025-01-27 10:00", "2025-01-28 10:00", "2025-02-05 09:00",
       "2025-02-05 18:00"},
      {"National Day 2024, office: lands on 10-01, open again Tuesday 10-08",
       "cn_office", "2024-09-30 10:00", "2024-10-01 10:00", "2024-10-08 09:00",
       "2024-10-08 18:00"},
      {"National Day 2025, office: lands on 10-01, open again Thursday 10-09",
       "cn_office", "2025-09-30 10:00", "2025-10-01 10:00", "2025-10-09 09:00",
       "2025-10-09 18:00"},
      {"National Day 2024, showroom: open on 10-01, nothing moves",
       "cn_showroom", "2024-09-30 10:00", "2024-10-01 10:00",
       "2024-10-01 10:00", "2024-10-01 10:00"},
      {"03:00: the same day's opening and closing", "cn_showroom",
       "2024-05-13 03:00", "2024-05-14 03:00", "2024-05-14 09:00",
       "2024-05-14 18:00"},
      {"20:00, after closing: the next day", "cn_showroom", "2024-05-13 20:00",
       "2024-05-14 20:00", "2024-05-15 09:00", "2024-05-15 18:00"},
      {"the lunch break: the afternoon opening, the day's closing", "cn_office",
       "2024-05-13 12:30", "2024-05-14 12:30", "2024-05-14 13:30",
       "2024-05-14 18:00"},
      {"a closing time can be met: it stays", "cn_showroom", "2024-05-13 18:00",
       "2024-05-14 18:00", "2024-05-14 18:00", "2024-05-14 18:00"},
      {"open time: it stays", "cn_office", "2024-05-13 10:00",
       "2024-05-14 10:00", "2024-05-14 10:00", "2024-05-14 10:00"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const auto& [mode, expected] :
         {std::pair<const char*, const char*>{"keep", c.keep},
          {"next_open", c.next_open},
          {"end_of_next_open_day", c.end_of_next_open_day}}) {
      SCOPED_TRACE(mode);
      const Cadence cadence = WithDeadlineRules(c.calendar, mode, "end_of_day");
      const Instant start = At(cadence, c.start);
      const CadenceSettings& s = cadence.policy().cadence();
      for (const Sla* sla : {&s.thank_you, &s.callback, &s.entry}) {
        absl::StatusOr<Instant> due = cadence.Deadline(start, *sla);
        ASSERT_THAT(due, IsOk());
        EXPECT_EQ(Show(cadence, *due), expected);
      }
      EXPECT_EQ(Show(cadence, *cadence.EntryDeadline(start)), expected);
      // The thank-you task of a lead touched first at `start`.
      LeadFacts lead = Lead(cadence, c.start, 0);
      EXPECT_THAT(Tasks(cadence, lead, {Touch(cadence, c.start)}, c.start),
                  ::testing::Contains(absl::StrCat("thank_you ", expected,
                                                   " pending")));
    }
  }
}

TEST(CadenceDeadlines, BusinessClockSlasIgnoreTheClosedDeadlineRule) {
  // 1 business hour from Monday 17:30 on cn_office: 30 min Monday, 30 min
  // Tuesday morning; a deadline that ends at a closing stays there.
  const Cadence c = WithDeadlineRules("cn_office", "next_open", "end_of_day");
  EXPECT_EQ(Show(c, *c.FirstContactDeadline(At(c, "2024-05-13 17:30"))),
            "2024-05-14 09:30");
  EXPECT_EQ(Show(c, *c.FirstContactDeadline(At(c, "2024-05-13 17:00"))),
            "2024-05-13 18:00");
}

TEST(CadenceDeadlines, FollowUpDueOnItsDay) {
  struct Case {
    const char* name;
    const char* calendar;
    const char* touch;       // the last touch; the interval is 3 days
    const char* end_of_day;  // due "end_of_day"
    const char* exact;       // due "exact"
  };
  const Case cases[] = {
      {"Thursday 17:55 before the Spring Festival 2024, showroom: Sunday "
       "02-11 is closed, Tuesday 02-13 the first open day",
       "cn_showroom", "2024-02-08 17:55", "2024-02-13 18:00",
       "2024-02-13 09:00"},
      {"Thursday 17:55 before the Mid-Autumn Festival 2024, office: Sunday "
       "09-15 to Tuesday 09-17 closed, Wednesday 09-18 the first open day",
       "cn_office", "2024-09-12 17:55", "2024-09-18 18:00", "2024-09-18 09:00"},
      {"Thursday 17:55 before National Day 2024, office: Sunday 09-29 is a "
       "make-up workday",
       "cn_office", "2024-09-26 17:55", "2024-09-29 18:00", "2024-09-29 17:55"},
      {"National Day 2024, office: Thursday 10-03 closed, Tuesday 10-08 open",
       "cn_office", "2024-09-30 10:00", "2024-10-08 18:00", "2024-10-08 09:00"},
      {"Thursday 17:55 before National Day 2025, office: Sunday 09-28 is a "
       "make-up workday",
       "cn_office", "2025-09-25 17:55", "2025-09-28 18:00", "2025-09-28 17:55"},
      {"National Day 2025, office: Friday 10-03 closed, Thursday 10-09 open",
       "cn_office", "2025-09-30 17:55", "2025-10-09 18:00", "2025-10-09 09:00"},
      {"Spring Festival 2024, office: Saturday 02-10 closed to 02-17, the "
       "make-up Sunday 02-18 open",
       "cn_office", "2024-02-07 10:00", "2024-02-18 18:00", "2024-02-18 09:00"},
      {"Spring Festival 2025, showroom: Tuesday 01-28 closed to 01-31, "
       "Saturday 02-01 open",
       "cn_showroom", "2025-01-25 17:55", "2025-02-01 18:00",
       "2025-02-01 09:00"},
      {"Spring Festival 2025, office: Thursday 01-30 closed to 02-04, "
       "Wednesday 02-05 open",
       "cn_office", "2025-01-27 10:00", "2025-02-05 18:00", "2025-02-05 09:00"},
      {"a touch at 03:00: Thursday's closing, or its opening", "cn_showroom",
       "2024-05-13 03:00", "2024-05-16 18:00", "2024-05-16 09:00"},
      {"a touch at 20:00: the day's closing comes before the exact instant",
       "cn_showroom", "2024-05-13 20:00", "2024-05-16 18:00",
       "2024-05-17 09:00"},
      {"due on the last covered day of cn_showroom", "cn_showroom",
       "2035-12-28 10:00", "2035-12-31 18:00", "2035-12-31 10:00"},
      {"due past cn_showroom's coverage (2035-12-31): its weekly hours",
       "cn_showroom", "2035-12-30 17:55", "2036-01-02 18:00",
       "2036-01-02 17:55"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const auto& [mode, expected] :
         {std::pair<const char*, const char*>{"end_of_day", c.end_of_day},
          {"exact", c.exact}}) {
      SCOPED_TRACE(mode);
      const Cadence cadence =
          WithDeadlineRules(c.calendar, "end_of_next_open_day", mode);
      const Instant touch = At(cadence, c.touch);
      absl::StatusOr<std::optional<FollowUpDue>> due =
          cadence.FollowUpDeadline(touch, 0);
      ASSERT_THAT(due, IsOk());
      ASSERT_TRUE(due->has_value());
      EXPECT_EQ(Show(cadence, (*due)->due), expected);
      EXPECT_FALSE((*due)->agenda.has_value());
      // The KPI engine's rule gives the same deadline, and none when the
      // lead's follow-ups ended before it.
      const Instant at = At(cadence, expected);
      absl::StatusOr<std::optional<Instant>> by =
          cadence.FollowUpDueBy(touch, 0, at);
      ASSERT_THAT(by, IsOk());
      ASSERT_TRUE(by->has_value());
      EXPECT_EQ(Show(cadence, **by), expected);
      by = cadence.FollowUpDueBy(touch, 0, at - std::chrono::seconds(1));
      ASSERT_THAT(by, IsOk());
      EXPECT_FALSE(by->has_value());
      // The task a lead has open after that touch.
      LeadFacts lead = Lead(cadence, c.touch, 0);
      EXPECT_THAT(Tasks(cadence, lead, {Touch(cadence, c.touch)}, c.touch),
                  ::testing::Contains(
                      absl::StrCat("follow_up ", expected, " pending")));
    }
  }
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

TEST(GradeHistory, TheGradeInForceAtAnInstant) {
  const Cadence c = Make("oabc");
  // Created 2024-06-01 with grade B; touched 06-03 (grade_after A), 06-05 by a
  // visit (unchanged), 06-05 by phone at the same minute (grade_after C: after
  // the unchanged one, methods in name order: "phone" < "visit").
  const LeadFacts lead = Lead(c, "2024-06-01 10:00", kB);
  std::vector<TouchFacts> touches = {
      Touch(c, "2024-06-05 10:00", "visit"),
      Touch(c, "2024-06-05 10:00", "phone", kC),
      Touch(c, "2024-06-03 10:00", "phone", kA)};
  std::stable_sort(touches.begin(), touches.end(), TouchBefore);
  EXPECT_EQ(touches[1].method, "phone");
  EXPECT_EQ(GradeAt(lead, touches, At(c, "2024-06-01 12:00")), kB);
  EXPECT_EQ(GradeAt(lead, touches, At(c, "2024-06-03 09:59")), kB);
  EXPECT_EQ(GradeAt(lead, touches, At(c, "2024-06-03 10:00")), kA);
  EXPECT_EQ(GradeAt(lead, touches, At(c, "2024-06-05 10:00")), kC);
  EXPECT_EQ(GradeAt(lead, {}, At(c, "2024-06-09 10:00")), kB);
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

TEST(LeadStatusAt, AClosesOnlyByItsTime) {
  const Cadence c = Make("oabc");
  LeadFacts won = Lead(c, "2024-06-01 10:00", kB);
  won.status = LeadStatus::kWon;
  won.won_at = At(c, "2024-06-10 10:00");
  EXPECT_EQ(StatusAt(won, At(c, "2024-06-10 09:59")), LeadStatus::kOpen);
  EXPECT_EQ(StatusAt(won, At(c, "2024-06-10 10:00")), LeadStatus::kWon);
  won.won_at.reset();  // no time: closed by any as_of
  EXPECT_EQ(StatusAt(won, At(c, "2024-06-02 10:00")), LeadStatus::kWon);
  LeadFacts lost = Lead(c, "2024-06-01 10:00", kB);
  lost.status = LeadStatus::kLost;
  lost.lost_at = At(c, "2024-06-05 10:00");
  EXPECT_EQ(StatusAt(lost, At(c, "2024-06-04 10:00")), LeadStatus::kOpen);
  EXPECT_EQ(StatusAt(lost, At(c, "2024-06-06 10:00")), LeadStatus::kLost);
  LeadFacts invalid = Lead(c, "2024-06-01 10:00", kB);
  invalid.status = LeadStatus::kInvalid;
  EXPECT_EQ(StatusAt(invalid, At(c, "2024-06-01 10:00")), LeadStatus::kInvalid);
}

}  // namespace
}  // namespace leadkit
