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
  // (24 h) and the follow-up (grade C: 14 days).
  EXPECT_THAT(Tasks(c, lead, {Touch(c, "2024-05-13 10:30", "visit")},
                    "2024-05-13 12:00"),
              ElementsAre("callback 2024-05-14 10:00 pending",
                          "thank_you 2024-05-14 10:30 pending",
                          "follow_up 2024-05-27 10:30 pending"));
  // A phone call the next day closes both the callback and the thank-you.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-13 10:30", "visit"),
                     Touch(c, "2024-05-14 09:15")},
                    "2024-05-14 12:00"),
              ElementsAre("follow_up 2024-05-28 09:15 pending"));
}

TEST(Cadence, FollowUpsFollowTheGradeInForceAndRollToOpenHours) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-13 09:00", kC);
  // grade_after A then B: the open follow-up is B's, 7 days after the last
  // touch.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-13 10:00", "phone", kA),
                     Touch(c, "2024-05-14 10:00", "wechat", kB)},
                    "2024-05-15 12:00"),
              ElementsAre("follow_up 2024-05-21 10:00 pending"));
  // A touch at 19:00 under grade O (7 days) lands on Chinese New Year's Eve
  // 2024 at 19:00: rolled to the next opening after the closed days, 2024-02-13
  // 09:00.
  LeadFacts cny = Lead(c, "2024-02-01 09:00", kO);
  // (The thank-you, on the calendar clock, is due 24 hours after the touch.)
  EXPECT_THAT(Tasks(c, cny, {Touch(c, "2024-02-02 19:00")}, "2024-02-03 12:00"),
              ElementsAre("thank_you 2024-02-03 19:00 pending",
                          "follow_up 2024-02-13 09:00 pending"));
  // Touches are ordered by time whatever the input order.
  EXPECT_THAT(Tasks(c, lead,
                    {Touch(c, "2024-05-14 10:00", "wechat", kB),
                     Touch(c, "2024-05-13 10:00", "phone", kA)},
                    "2024-05-15 12:00"),
              ElementsAre("follow_up 2024-05-21 10:00 pending"));
}

TEST(Cadence, RangeIntervalsHaveAnAgendaDate) {
  const Cadence c = Make("abcd");  // C: every 2 weeks to 1 month
  LeadFacts lead = Lead(c, "2024-05-13 09:00", 2);
  EXPECT_THAT(
      Tasks(c, lead,
            {Touch(c, "2024-05-13 10:00"), Touch(c, "2024-05-13 11:00")},
            "2024-05-14 12:00"),
      ElementsAre(
          "follow_up 2024-06-12 11:00 agenda 2024-05-27 11:00 pending"));
}

TEST(Cadence, DowngradeReviewAfterTwoMissedFollowUpsInARow) {
  const Cadence c = Make("oabc");
  LeadFacts lead = Lead(c, "2024-05-01 09:00", kA);  // grade A: every 2 days
  // 05-01 -> due 05-03 10:00, next touch 05-04: missed; 05-04 -> due 05-06
  // 10:00, next 05-07: missed again. The review starts 05-06 10:00 and is due
  // 48 business hours later: 8 h on Monday, 9 h Tuesday to Friday (36 h), 4 h
  // on Saturday: 2024-05-11 13:00.
  const std::vector<TouchFacts> touches = {Touch(c, "2024-05-01 10:00"),
                                           Touch(c, "2024-05-04 10:00"),
                                           Touch(c, "2024-05-07 10:00")};
  EXPECT_THAT(Tasks(c, lead, touches, "2024-05-08 09:00"),
              ElementsAre("follow_up 2024-05-09 10:00 pending",
                          "downgrade_review 2024-05-11 13:00 pending"));
  // A touch that records a grade closes the review.
  std::vector<TouchFacts> reviewed = touches;
  reviewed.push_back(Touch(c, "2024-05-08 09:30", "phone", kB));
  EXPECT_THAT(Tasks(c, lead, reviewed, "2024-05-08 12:00"),
              ElementsAre("follow_up 2024-05-15 09:30 pending"));
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
                  "follow_up 2024-05-21 11:00 pending"));
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
  // Rejected: sales follow-ups by grade again, from the last touch (B: 7 days).
  lead.lost_review = LostReview::kRejected;
  EXPECT_THAT(
      Tasks(c, lead, {Touch(c, "2024-05-14 10:00")}, "2024-05-21 12:00"),
      ElementsAre("thank_you 2024-05-15 10:00 overdue",
                  "follow_up 2024-05-21 10:00 overdue"));
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
                          "follow_up 2024-05-08 10:00 overdue",
                          "birthday 2024-05-13 18:00 pending"));
  // A touch that day closes it; missed, it stays overdue until the next
  // birthday.
  std::vector<TouchFacts> greeted = touches;
  greeted.push_back(Touch(c, "2024-05-13 16:00", "wechat"));
  EXPECT_THAT(Tasks(c, lead, greeted, "2024-05-13 17:00"),
              ElementsAre("follow_up 2024-05-20 16:00 pending"));
  EXPECT_THAT(Tasks(c, lead, touches, "2024-05-14 12:00"),
              ElementsAre("thank_you 2024-05-02 10:00 overdue",
                          "follow_up 2024-05-08 10:00 overdue",
                          "birthday 2024-05-13 18:00 overdue"));
  // The greeting, and the campaign of the model of interest.
  lead.birthday.reset();
  lead.campaigns = {0};
  // Two follow-ups missed in a row (due 05-08 and 05-20 16:00): a downgrade
  // review from 05-20 16:00, 48 business hours: 2 h Monday, 36 h to Friday, 9 h
  // Saturday, 1 h Sunday.
  EXPECT_THAT(
      Tasks(c, lead, greeted, "2024-06-10 12:00"),
      ElementsAre(
          "follow_up 2024-05-20 16:00 overdue",
          "downgrade_review 2024-05-26 10:00 overdue",
          "campaign 2024-06-05 18:00 overdue C200 launch",
          "holiday_greeting 2024-06-10 18:00 pending Dragon Boat Festival"));
}

TEST(Cadence, DeadlineRules) {
  const Cadence c = Make("abcd");
  EXPECT_EQ(Show(c, *c.EntryDeadline(At(c, "2024-05-13 22:00"))),
            "2024-05-14 22:00");
  EXPECT_EQ(Show(c, *c.FirstContactDeadline(At(c, "2024-05-13 22:00"))),
            "2024-05-14 10:00");
  absl::StatusOr<std::optional<FollowUpDue>> d =
      c.FollowUpDeadline(At(c, "2024-05-13 22:00"), 3);
  ASSERT_THAT(d, IsOk());
  ASSERT_TRUE(d->has_value());
  // D: 30 to 90 days; 22:00 is after closing, so both roll to the next morning.
  EXPECT_EQ(Show(c, (*d)->due), "2024-08-12 09:00");
  EXPECT_EQ(Show(c, *(*d)->agenda), "2024-06-13 09:00");
}

}  // namespace
}  // namespace leadkit
