#include "leadkit/playbook.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/cadence.h"
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

Policy Preset(const std::string& name) {
  absl::StatusOr<Policy> p = Policy::Preset(name);
  EXPECT_THAT(p, IsOk());
  return *p;
}

int Grade(const Policy& p, const std::string& name) {
  return p.GradeIndex(name).value_or(-1);
}

// --- Hand-worked cases, one from each source --------------------------------

TEST(ActionFor, AnAGradeLeadAfterATestDriveGetsACallResolvingObjections) {
  // abcd (001 §3.1 A, §3.2 phone): the first follow-up rule that holds is
  // a_after_test_drive (task follow_up, grade_now A, test_drive true).
  const Policy abcd = Preset("abcd");
  LeadRecord lead;
  lead.SetBool("test_drive", true).SetString("name", "王小明");
  absl::StatusOr<NextAction> a = ActionFor(
      abcd, lead.AsColumns(), 0,
      {.task = TaskKind::kFollowUp, .grade_now = Grade(abcd, "A"),
       .touches = 2});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->rule_id, "a_after_test_drive");
  EXPECT_EQ(a->action,
            (PlaybookAction{"phone", "objection_answers", "resolve_objection"}));
  EXPECT_THAT(a->reasons,
              ElementsAre("task == \"follow_up\" (value: \"follow_up\")",
                          "grade_now == \"A\" (value: \"A\")",
                          "test_drive == true (value: true)"));
}

TEST(ActionFor, ATofuLeadGetsEducationalContent) {
  // funnel (003 §II TOFU).
  const Policy funnel = Preset("funnel");
  LeadRecord lead;
  absl::StatusOr<NextAction> a = ActionFor(
      funnel, lead.AsColumns(), 0,
      {.task = TaskKind::kFollowUp, .grade_now = Grade(funnel, "tofu")});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->rule_id, "tofu");
  EXPECT_EQ(a->action, (PlaybookAction{"wechat", "educational", "educate"}));
}

TEST(ActionFor, AnEnvironmentMindedLeadHearsAboutTheNewEnergyModels) {
  // three_level (000 §5.2.2), the preference read from `purpose`.
  const Policy three = Preset("three_level");
  LeadRecord lead;
  lead.SetString("purpose", "environment");
  absl::StatusOr<NextAction> a = ActionFor(
      three, lead.AsColumns(), 0,
      {.task = TaskKind::kFollowUp, .grade_now = Grade(three, "medium")});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->rule_id, "environment");
  EXPECT_EQ(a->action,
            (PlaybookAction{"phone", "nev_models", "strengthen_intent"}));
  EXPECT_THAT(a->reasons,
              ElementsAre("task == \"follow_up\" (value: \"follow_up\")",
                          "purpose == \"environment\" (value: \"environment\")"));
  // A driving-minded one is invited to an in-depth test drive.
  LeadRecord driver;
  driver.SetString("purpose", "driving");
  a = ActionFor(three, driver.AsColumns(), 0,
                {.task = TaskKind::kFollowUp, .grade_now = 0});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->action, (PlaybookAction{"test_drive", "test_drive_invitation",
                                       "book_test_drive"}));
}

TEST(ActionFor, ALostLeadGetsAPoliteReasonCall) {
  // abcd (001 §3.3.7): the loss under review, and a lead whose sales stage
  // is lost while a follow-up is still open.
  const Policy abcd = Preset("abcd");
  LeadRecord lead;
  lead.SetString("sales_stage", "lost");
  for (const TaskKind task : {TaskKind::kLostReview, TaskKind::kFollowUp}) {
    absl::StatusOr<NextAction> a =
        ActionFor(abcd, lead.AsColumns(), 0,
                  {.task = task, .grade_now = Grade(abcd, "B")});
    ASSERT_THAT(a, IsOk());
    EXPECT_EQ(a->rule_id,
              task == TaskKind::kLostReview ? "lost" : "lost_stage");
    EXPECT_EQ(a->action,
              (PlaybookAction{"phone", "loss_reason", "learn_loss_reason"}));
  }
}

TEST(ActionFor, TheDefaultPlaybookGoesByTaskKind) {
  absl::StatusOr<Policy> p = Policy::FromJson(R"({
    "grades": ["hot", "cold"],
    "rules": [{"id": "default", "grade": "cold"}],
    "cadence": {"follow_up_days": {"hot": 3, "cold": 14}}})")->policy();
  ASSERT_THAT(p, IsOk());
  LeadRecord lead;
  const auto action = [&](TaskKind task) {
    absl::StatusOr<NextAction> a =
        ActionFor(*p, lead.AsColumns(), 0, {.task = task});
    EXPECT_THAT(a, IsOk());
    return a.ok() ? absl::StrCat(a->rule_id, " ", a->action.method, " ",
                                 a->action.content, " ", a->action.goal)
                  : "";
  };
  EXPECT_EQ(action(TaskKind::kFirstContact),
            "first_contact phone introduction make_contact");
  EXPECT_EQ(action(TaskKind::kThankYou),
            "thank_you sms thanks agree_next_contact");
  EXPECT_EQ(action(TaskKind::kNurture), "nurture wechat updates keep_in_touch");
  EXPECT_EQ(action(TaskKind::kDowngradeReview),
            "downgrade_review phone needs_questions confirm_grade");
}

// A policy whose playbook reads personal data, the number of touches and a
// rule without conditions.
constexpr char kPersonal[] = R"({
  "grades": ["hot", "cold"],
  "rules": [{"id": "default", "grade": "cold"}],
  "cadence": {"follow_up_days": {"hot": 3, "cold": 14}},
  "playbook": {"rules": [
    {"id": "known", "when": [{"field": "phone", "op": "==", "value": "+86 138-0013-8000"},
                             {"field": "name", "op": "not_null"},
                             {"field": "touches", "op": ">=", "value": 2}],
     "action": {"method": "phone", "content": "offer", "goal": "close_deal"}},
    {"id": "rest", "action": {"method": "sms", "content": "updates", "goal": "keep_interest"}}
  ]}})";

TEST(ActionFor, PersonalDataNeverEntersAnExplanation) {
  absl::StatusOr<Policy> p = Policy::FromJson(kPersonal)->policy();
  ASSERT_THAT(p, IsOk());
  LeadRecord lead;
  lead.SetString("phone", "13800138000")
      .SetString("name", "王小明")
      .SetString("wechat", "wx_lilei")
      .SetString("email", "li.lei@example.com");
  absl::StatusOr<NextAction> a =
      ActionFor(*p, lead.AsColumns(), 0,
                {.task = TaskKind::kFollowUp, .touches = 2});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->rule_id, "known");
  EXPECT_THAT(a->reasons,
              ElementsAre("phone == \"138****8000\" (value: \"138****8000\")",
                          "name not_null (value: \"王**\")",
                          "touches >= 2 (value: 2)"));
  const std::string all = absl::StrJoin(a->reasons, " ");
  for (const char* secret : {"13800138000", "王小明", "wx_lilei", "li.lei"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret;
  }
  // One touch fewer: the rule without conditions.
  a = ActionFor(*p, lead.AsColumns(), 0,
                {.task = TaskKind::kFollowUp, .touches = 1});
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->rule_id, "rest");
  EXPECT_THAT(a->reasons,
              ElementsAre("no earlier rule held; this rule has no conditions"));
}

TEST(ActionFor, BadCallsAreErrors) {
  const Policy abcd = Preset("abcd");
  LeadRecord lead;
  EXPECT_THAT(ActionFor(abcd, lead.AsColumns(), 1, {}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("row 1")));
  EXPECT_THAT(ActionFor(abcd, lead.AsColumns(), 0, {.grade_now = 4}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grade_now 4 is not a grade")));
  // A column whose type does not fit its field.
  LeadRecord wrong;
  wrong.SetNumber("sales_stage", 3);
  EXPECT_THAT(ActionFor(abcd, wrong.AsColumns(), 0, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.sales_stage")));
}

// --- The batch form over a schedule -----------------------------------------

// A schedule built by hand: one task per row of `tasks`.
struct HandTask {
  int64_t lead_row;
  TaskKind task;
};

TEST(PlaybookBatch, ReadsEachTasksLeadAndTaskFields) {
  const Policy abcd = Preset("abcd");
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "L1", "test_drive": true, "phone": "13800138000"},
    {"lead_id": "L2", "sales_stage": "negotiation"}
  ])");
  ASSERT_THAT(leads, IsOk());
  ScheduleResult schedule;
  schedule.grades = {0, 2};        // A, C
  schedule.touch_counts = {3, 1};
  for (const HandTask& t : std::vector<HandTask>{
           {0, TaskKind::kFollowUp},
           {0, TaskKind::kBirthday},
           {1, TaskKind::kFollowUp},
           {1, TaskKind::kOwnerCare},
           {0, TaskKind::kThankYou}}) {
    schedule.tasks.push_back({t.lead_row, Task{.kind = t.task}});
  }
  absl::StatusOr<std::vector<int32_t>> rules =
      PlaybookRules(abcd, leads->columns(), schedule);
  ASSERT_THAT(rules, IsOk());
  std::vector<std::string> ids;
  for (int32_t r : *rules) {
    ids.push_back(abcd.playbook().rules[static_cast<size_t>(r)].id);
  }
  EXPECT_THAT(ids, ElementsAre("a_after_test_drive", "birthday", "negotiation",
                               "owner_events", "thank_you"));
  absl::StatusOr<NextAction> third =
      ExplainTask(abcd, leads->columns(), schedule, 2);
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->rule_id, "negotiation");
  EXPECT_THAT(third->reasons,
              ElementsAre("task == \"follow_up\" (value: \"follow_up\")",
                          "sales_stage == \"negotiation\" (value: "
                          "\"negotiation\")"));
  EXPECT_THAT(ExplainTask(abcd, leads->columns(), schedule, 5),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("task 5")));
  // A schedule of another table.
  schedule.grades.pop_back();
  EXPECT_THAT(PlaybookRules(abcd, leads->columns(), schedule),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not this table's")));
}

TEST(PlaybookFor, TasksGivenByLeadRowAndTaskFields) {
  // The same tasks as above, given as (row, context) pairs, the form for
  // tasks that are not a schedule's.
  const Policy abcd = Preset("abcd");
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "L1", "test_drive": true},
    {"lead_id": "L2", "sales_stage": "negotiation"}
  ])");
  ASSERT_THAT(leads, IsOk());
  const std::vector<int64_t> rows = {0, 1, 0, 1};
  const std::vector<TaskContext> contexts = {
      {.task = TaskKind::kFollowUp, .grade_now = 0, .touches = 3},
      {.task = TaskKind::kFollowUp, .grade_now = 2, .touches = 1},
      {.task = TaskKind::kFirstContact, .grade_now = 0, .touches = 0},
      {.task = TaskKind::kOwnerCare, .grade_now = 2, .touches = 1}};
  std::vector<int32_t> rules(4, -1);
  ASSERT_THAT(PlaybookFor(abcd, leads->columns(), rows, contexts, rules),
              IsOk());
  for (size_t k = 0; k < rules.size(); ++k) {
    absl::StatusOr<NextAction> one =
        ActionFor(abcd, leads->columns(), rows[k], contexts[k]);
    ASSERT_THAT(one, IsOk());
    EXPECT_EQ(rules[k], one->rule) << "task " << k;
  }
  EXPECT_EQ(abcd.playbook().rules[static_cast<size_t>(rules[0])].id,
            "a_after_test_drive");
  EXPECT_EQ(abcd.playbook().rules[static_cast<size_t>(rules[1])].id,
            "negotiation");
  // Spans of other lengths, and a row outside the table.
  EXPECT_THAT(PlaybookFor(abcd, leads->columns(), rows, contexts,
                          std::span<int32_t>(rules).first(3)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("one of each per task")));
  const std::vector<int64_t> outside = {0, 1, 2, 0};
  EXPECT_THAT(PlaybookFor(abcd, leads->columns(), outside, contexts, rules),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task 2: lead row 2 is outside")));
  // No task at all is fine.
  EXPECT_THAT(PlaybookFor(abcd, leads->columns(), {}, {}, {}), IsOk());
}

TEST(PlaybookBatch, ReadsTheGradeAndTouchesOfARealSchedule) {
  // abcd on cn_showroom. L1 (15 days: A), created Mon 2024-06-03 09:00,
  // touched by phone at 10:00 and graded B by a visit at 11:00; L2 (40 days:
  // C), touched once by phone at 10:00. At 2024-06-04 12:00, L1's open task
  // is its follow-up (grade_now B, touches 2: a second touch closed the
  // thank-you); L2's are the thank-you (due 06-04 10:00, overdue) and the
  // follow-up (grade_now C, touches 1). Under a playbook on grade_now B and
  // touches >= 2 only L1's follow-up gets "b_twice".
  absl::StatusOr<Policy> base = Policy::Preset("abcd");
  ASSERT_THAT(base, IsOk());
  nlohmann::json doc = nlohmann::json::parse(base->ToJson());
  doc["playbook"] = nlohmann::json::parse(R"({"rules": [
    {"id": "b_twice", "when": [{"field": "grade_now", "op": "==", "value": "B"},
                               {"field": "touches", "op": ">=", "value": 2},
                               {"field": "task", "op": "==", "value": "follow_up"}],
     "action": {"method": "phone", "content": "visit_invitation", "goal": "book_visit"}},
    {"id": "rest", "action": {"method": "sms", "content": "updates", "goal": "keep_interest"}}
  ]})");
  absl::StatusOr<Policy> policy = Policy::FromJson(doc.dump())->policy();
  ASSERT_THAT(policy, IsOk());
  absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(*policy);
  ASSERT_THAT(cadence, IsOk());
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(R"([
    {"lead_id": "L1", "created_at": "2024-06-03T09:00:00+08:00",
     "channel": "website", "purchase_within_days": 15,
     "assigned_at": "2024-06-03T09:00:00+08:00"},
    {"lead_id": "L2", "created_at": "2024-06-03T09:00:00+08:00",
     "channel": "website", "purchase_within_days": 40,
     "assigned_at": "2024-06-03T09:00:00+08:00"}
  ])");
  ASSERT_THAT(leads, IsOk());
  const std::vector<std::string> ids = {"L1", "L2"};
  const std::vector<int32_t> id_codes = {0, 0, 1};
  // 2024-06-03 10:00, 11:00 and 10:00 at +08:00.
  const std::vector<int64_t> at = {1717380000, 1717383600, 1717380000};
  const std::vector<std::string> methods = {"phone", "visit"};
  const std::vector<int32_t> method_codes = {0, 1, 0};
  const std::vector<std::string> grades = {"B"};
  const std::vector<int32_t> grade_codes = {-1, 0, -1};
  Columns touches(3);
  ASSERT_THAT(touches.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
  ASSERT_THAT(touches.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(touches.Add("method", Column::Codes(method_codes, methods)),
              IsOk());
  ASSERT_THAT(touches.Add("grade_after", Column::Codes(grade_codes, grades)),
              IsOk());
  // 2024-06-04 12:00 +08:00.
  const Instant as_of{std::chrono::seconds(1717473600)};
  absl::StatusOr<ScheduleResult> schedule =
      cadence->Schedule(leads->columns(), touches, as_of);
  ASSERT_THAT(schedule, IsOk());
  EXPECT_THAT(schedule->grades, ElementsAre(1, 2));
  EXPECT_THAT(schedule->touch_counts, ElementsAre(2, 1));
  std::vector<std::string> got;
  absl::StatusOr<std::vector<int32_t>> rules =
      PlaybookRules(*policy, leads->columns(), *schedule);
  ASSERT_THAT(rules, IsOk());
  for (size_t k = 0; k < rules->size(); ++k) {
    got.push_back(absl::StrCat(
        schedule->tasks[k].lead_row, " ",
        TaskName(schedule->tasks[k].task.kind), " ",
        policy->playbook().rules[static_cast<size_t>((*rules)[k])].id));
  }
  EXPECT_THAT(got, ElementsAre("0 follow_up b_twice", "1 thank_you rest",
                               "1 follow_up rest"));
}

// --- Golden files: the four presets' playbooks -------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PlaybookGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PlaybookGoldenTest, BatchAndSingleTaskMatchTheHandWorkedActions) {
  const nlohmann::json cases = nlohmann::json::parse(ReadFile(
      LEADKIT_TEST_DATA_DIR "/golden/playbook_expected.json"))[GetParam()];
  const Policy policy = Preset(GetParam());
  nlohmann::json lead_rows = nlohmann::json::array();
  ScheduleResult schedule;
  for (size_t k = 0; k < cases.size(); ++k) {
    const nlohmann::json& c = cases[k];
    lead_rows.push_back(c["lead"]);
    const std::string task = c["task"];
    int kind = -1;
    for (int t = 0; t < kTaskKinds; ++t) {
      if (TaskName(static_cast<TaskKind>(t)) == task) kind = t;
    }
    ASSERT_GE(kind, 0) << task;
    schedule.tasks.push_back({static_cast<int64_t>(k),
                              Task{.kind = static_cast<TaskKind>(kind)}});
    schedule.grades.push_back(c["grade_now"].is_null()
                                  ? -1
                                  : Grade(policy, c["grade_now"]));
    schedule.touch_counts.push_back(c["touches"]);
  }
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(lead_rows.dump());
  ASSERT_THAT(leads, IsOk());
  absl::StatusOr<std::vector<int32_t>> rules =
      PlaybookRules(policy, leads->columns(), schedule);
  ASSERT_THAT(rules, IsOk());
  std::string actual;  // printed on mismatch, ready to paste
  bool all_match = true;
  for (size_t k = 0; k < cases.size(); ++k) {
    const PlaybookRule& rule =
        policy.playbook().rules[static_cast<size_t>((*rules)[k])];
    const nlohmann::json got = {rule.id, rule.action.method,
                                rule.action.content, rule.action.goal};
    actual += absl::StrCat(cases[k]["id"].get<std::string>(), ": ",
                           got.dump(), "\n");
    all_match &= got == cases[k]["expect"];
    absl::StatusOr<NextAction> one =
        ExplainTask(policy, leads->columns(), schedule, k);
    ASSERT_THAT(one, IsOk());
    EXPECT_EQ(one->rule_id, rule.id) << cases[k]["id"];
    EXPECT_EQ(one->action, rule.action) << cases[k]["id"];
    EXPECT_FALSE(one->reasons.empty());
    // Personal data planted in the leads never shows.
    for (const std::string& reason : one->reasons) {
      for (const char* secret :
           {"王小明", "13800138000", "138-0013", "li.lei", "wx_lilei"}) {
        EXPECT_EQ(reason.find(secret), std::string::npos) << reason;
      }
    }
  }
  EXPECT_TRUE(all_match) << "actual:\n" << actual;
}

INSTANTIATE_TEST_SUITE_P(Presets, PlaybookGoldenTest,
                         ::testing::Values("three_level", "abcd", "oabc",
                                           "funnel"));

}  // namespace
}  // namespace leadkit
