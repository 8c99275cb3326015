// Follow-up effectiveness on the hand-worked example of docs/kpis.md, the
// state's merge, threads and bytes, and bad input.
#include "leadkit/effectiveness.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

// Seconds of a Shanghai (UTC+8) wall time "YYYY-MM-DD HH:MM".
int64_t Shanghai(const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  return t.time_since_epoch().count() - 8 * 3600;
}

Instant At(const std::string& local) {
  return Instant(std::chrono::seconds(Shanghai(local)));
}

// The eight leads of docs/kpis.md.
constexpr char kLeads[] = R"([
  {"lead_id": "E1", "created_at": "2024-06-01T09:00:00+08:00", "dealer_id": "D1",
   "status": "won", "won_at": "2024-06-10T10:00:00+08:00"},
  {"lead_id": "E2", "created_at": "2024-06-02T09:00:00+08:00", "dealer_id": "D1",
   "status": "open"},
  {"lead_id": "E3", "created_at": "2024-06-03T09:00:00+08:00", "dealer_id": "D2",
   "status": "won", "won_at": "2024-06-25T10:00:00+08:00"},
  {"lead_id": "E4", "created_at": "2024-06-05T09:00:00+08:00", "dealer_id": "D2",
   "status": "lost"},
  {"lead_id": "E5", "created_at": "2024-06-06T09:00:00+08:00"},
  {"lead_id": "E6", "created_at": "2024-06-07T09:00:00+08:00", "dealer_id": "D1",
   "status": "invalid"},
  {"lead_id": "E7", "created_at": "2024-06-08T09:00:00+08:00", "dealer_id": "D3",
   "status": "won"},
  {"lead_id": "E8", "created_at": "2024-06-21T09:00:00+08:00", "dealer_id": "D1"}
])";

// A small owned touches table.
struct Touches {
  std::vector<std::string> ids_dictionary;
  std::vector<int32_t> ids;
  std::vector<int64_t> at;
  std::vector<uint8_t> at_valid;
  std::vector<std::string> methods;
  std::vector<int32_t> method_codes;
  // The optional `content` column: written when a touch gives one.
  std::vector<std::string> contents;
  std::vector<int32_t> content_codes;
  bool with_content = false;
  // The optional `grade_after` column: written when a touch records one.
  std::vector<std::string> grades;
  std::vector<int32_t> grade_codes;

  Touches& Add(const std::string& id, const std::string& local,
               const std::string& method, const std::string& content = "") {
    ids.push_back(Code(ids_dictionary, id));
    at.push_back(Shanghai(local));
    at_valid.push_back(1);
    method_codes.push_back(Code(methods, method));
    content_codes.push_back(content.empty() ? -1 : Code(contents, content));
    with_content |= !content.empty();
    grade_codes.push_back(-1);
    return *this;
  }

  // The last touch added records `grade` after it.
  Touches& GradeAfter(const std::string& grade) {
    grade_codes.back() = Code(grades, grade);
    return *this;
  }

  static int32_t Code(std::vector<std::string>& dictionary,
                      const std::string& value) {
    auto it = std::find(dictionary.begin(), dictionary.end(), value);
    if (it == dictionary.end()) {
      dictionary.push_back(value);
      it = dictionary.end() - 1;
    }
    return static_cast<int32_t>(it - dictionary.begin());
  }

  Columns Table() const {
    Columns c(static_cast<int64_t>(ids.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(ids, ids_dictionary)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at, at_valid.data())), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method_codes, methods)), IsOk());
    if (with_content) {
      EXPECT_THAT(c.Add("content", Column::Codes(content_codes, contents)),
                  IsOk());
    }
    if (!grades.empty()) {
      EXPECT_THAT(c.Add("grade_after", Column::Codes(grade_codes, grades)),
                  IsOk());
    }
    return c;
  }
};

Touches ExampleTouches() {
  Touches t;
  t.Add("E1", "2024-06-01 10:00", "phone")
      .Add("E1", "2024-06-03 10:00", "wechat")
      .Add("E1", "2024-06-05 10:00", "phone")
      .Add("E2", "2024-06-02 10:00", "phone")
      .Add("E2", "2024-06-12 10:00", "phone")
      .Add("E3", "2024-06-03 11:00", "wechat")
      .Add("E3", "2024-06-04 11:00", "phone")
      .Add("E4", "2024-06-06 10:00", "visit")
      .Add("E6", "2024-06-07 10:00", "phone")
      .Add("E7", "2024-06-08 10:00", "phone")
      .Add("E7", "2024-06-08 22:00", "phone")
      .Add("E7", "2024-06-21 10:00", "phone");
  return t;
}

const Instant kAsOf = At("2024-06-20 12:00");

struct Expected {
  std::string group;
  int64_t leads, won, touches;
};

void ExpectRows(const std::vector<EffectivenessRow>& rows,
                const std::vector<Expected>& expected) {
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("row ", i, " (", expected[i].group, ")"));
    EXPECT_EQ(rows[i].group, expected[i].group);
    EXPECT_EQ(rows[i].leads, expected[i].leads);
    EXPECT_EQ(rows[i].won, expected[i].won);
    EXPECT_EQ(rows[i].touches, expected[i].touches);
  }
}

// The example's touches, each with the content it brought (E3's phone call
// without one).
Touches ActionTouches() {
  Touches t;
  t.Add("E1", "2024-06-01 10:00", "phone", "needs_questions")
      .Add("E1", "2024-06-03 10:00", "wechat", "brochure")
      .Add("E1", "2024-06-05 10:00", "phone", "offer")
      .Add("E2", "2024-06-02 10:00", "phone", "needs_questions")
      .Add("E2", "2024-06-12 10:00", "phone", "needs_questions")
      .Add("E3", "2024-06-03 11:00", "wechat", "brochure")
      .Add("E3", "2024-06-04 11:00", "phone")
      .Add("E4", "2024-06-06 10:00", "visit", "demonstration")
      .Add("E6", "2024-06-07 10:00", "phone", "needs_questions")
      .Add("E7", "2024-06-08 10:00", "phone", "needs_questions")
      .Add("E7", "2024-06-08 22:00", "phone", "offer")
      .Add("E7", "2024-06-21 10:00", "phone", "offer");
  return t;
}

const EffectivenessOptions kAction{.view = EffectivenessView::kAction};

EffectivenessState Count(EffectivenessOptions options,
                       std::span<const uint8_t> include = {}, int threads = 1,
                       Instant as_of = kAsOf) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  // The columns view the table's vectors.
  const Touches table = options.view == EffectivenessView::kAction
                            ? ActionTouches()
                            : ExampleTouches();
  const Columns touches = table.Table();
  EffectivenessState state(std::move(options));
  EXPECT_THAT(state.Add(leads.columns(), touches, as_of, include, threads),
              IsOk());
  return state;
}

const EffectivenessOptions kInterval{.view = EffectivenessView::kInterval};

TEST(Effectiveness, MethodMixByHand) {
  // E6 invalid, E8 created after as_of: six leads. E5 untouched: none. E2 and
  // E7 phone only (E7's 06-21 touch is after as_of; its won_at is unknown:
  // won): 2 leads, 1 won, 2 + 2 touches. E1 (won 06-10) and E3 (won 06-25,
  // after as_of): phone+wechat, 1 won, 3 + 2 touches. E4: one visit.
  const std::vector<EffectivenessRow> rows = Count({}).Finalize();
  ExpectRows(rows, {{"none", 1, 0, 0},
                    {"phone", 2, 1, 4},
                    {"phone+wechat", 2, 1, 5},
                    {"visit", 1, 0, 1}});
  EXPECT_DOUBLE_EQ(rows[1].conversion_rate(), 0.5);
  EXPECT_DOUBLE_EQ(rows[2].touches_per_lead(), 2.5);
  EXPECT_DOUBLE_EQ(rows[0].touches_per_lead(), 0.0);
}

TEST(Effectiveness, IntervalByHand) {
  // E1: 4 days over 2 gaps = 2 d; E3: exactly 1 d (a bucket holds its lower
  // bound); E7: 12 h = 0.5 d; E2: 10 d; E4 single; E5 none.
  const std::vector<EffectivenessRow> rows = Count(kInterval).Finalize();
  ExpectRows(rows, {{"no_touch", 1, 0, 0},
                    {"single_touch", 1, 0, 1},
                    {"<1d", 1, 1, 2},
                    {"1-3d", 2, 1, 5},
                    {"3-7d", 0, 0, 0},
                    {"7-14d", 1, 0, 2},
                    {"14-30d", 0, 0, 0},
                    {"30d+", 0, 0, 0}});
  EXPECT_TRUE(std::isnan(rows[4].conversion_rate()));
  EXPECT_TRUE(std::isnan(rows[4].touches_per_lead()));
}

// Expected rows of the action view: method, content ("" for none), counts.
struct ExpectedAction {
  std::string method, content;
  int64_t leads, won, touches;
};

void ExpectActions(const std::vector<EffectivenessRow>& rows,
                   const std::vector<ExpectedAction>& expected) {
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("row ", i, " (", expected[i].method, " ",
                              expected[i].content, ")"));
    EXPECT_EQ(rows[i].group, expected[i].method);
    EXPECT_EQ(rows[i].content.value_or(""), expected[i].content);
    EXPECT_EQ(rows[i].content.has_value(), !expected[i].content.empty());
    EXPECT_EQ(rows[i].leads, expected[i].leads);
    EXPECT_EQ(rows[i].won, expected[i].won);
    EXPECT_EQ(rows[i].touches, expected[i].touches);
  }
}

TEST(Effectiveness, ActionByHand) {
  // Counted: E1 (won), E2, E3 (won after as_of: not won), E4, E5 (untouched),
  // E7 (won). A lead counts once per action it received: phone/needs_questions reached
  // E1 (1 touch), E2 (2) and E7 (1); phone/offer E1 and E7 (E7's 06-21 touch
  // is after as_of); wechat/brochure E1 and E3; E3's phone call without
  // content is its own row; E4 one visit with a test drive.
  const std::vector<EffectivenessRow> rows = Count(kAction).Finalize();
  ExpectActions(rows, {{"none", "", 1, 0, 0},
                       {"phone", "", 1, 0, 1},
                       {"phone", "needs_questions", 3, 2, 4},
                       {"phone", "offer", 2, 2, 2},
                       {"visit", "demonstration", 1, 0, 1},
                       {"wechat", "brochure", 2, 1, 2}});
  EXPECT_DOUBLE_EQ(rows[2].conversion_rate(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(rows[2].touches_per_lead(), 4.0 / 3.0);
  // Every touch by as_of of a counted lead is in exactly one row.
  int64_t touches = 0;
  for (const EffectivenessRow& row : rows) touches += row.touches;
  EXPECT_EQ(touches, 10);
}

TEST(Effectiveness, ActionWithoutContentIsTheMethod) {
  // The touches of the method-mix example, no content column: an action per
  // method. phone reached E1 (2 touches), E2 (2), E3 (1) and E7 (2).
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = ExampleTouches();
  EffectivenessState state(kAction);
  ASSERT_THAT(state.Add(leads.columns(), table.Table(), kAsOf), IsOk());
  ExpectActions(state.Finalize(), {{"none", "", 1, 0, 0},
                                   {"phone", "", 4, 2, 7},
                                   {"visit", "", 1, 0, 1},
                                   {"wechat", "", 2, 1, 2}});
}

TEST(Effectiveness, ActionNamesRepeatedUnderOtherCodesAreOneAction) {
  // Dictionaries may hold a value twice (two batches' dictionaries joined):
  // one action, one row.
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const std::vector<std::string> ids = {"E1", "E2"};
  const std::vector<int32_t> id_codes = {0, 1, 1};
  const std::vector<int64_t> at = {Shanghai("2024-06-01 10:00"),
                                   Shanghai("2024-06-02 10:00"),
                                   Shanghai("2024-06-03 10:00")};
  const std::vector<std::string> methods = {"phone", "phone"};
  const std::vector<int32_t> method_codes = {0, 1, 0};
  const std::vector<std::string> contents = {"offer", "needs_questions",
                                            "offer"};
  const std::vector<int32_t> content_codes = {0, 2, 1};
  Columns touches(3);
  ASSERT_THAT(touches.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
  ASSERT_THAT(touches.Add("at", Column::Instants(at)), IsOk());
  ASSERT_THAT(touches.Add("method", Column::Codes(method_codes, methods)),
              IsOk());
  ASSERT_THAT(touches.Add("content", Column::Codes(content_codes, contents)),
              IsOk());
  EffectivenessState state(kAction);
  ASSERT_THAT(state.Add(leads.columns(), touches, kAsOf), IsOk());
  // E1: phone/offer; E2: phone/offer (codes 1 and 2) and phone/needs_questions.
  ExpectActions(state.Finalize(), {{"none", "", 4, 1, 0},
                                   {"phone", "needs_questions", 1, 0, 1},
                                   {"phone", "offer", 2, 1, 2}});
}

TEST(Effectiveness, ActionContentMustBeText) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = ExampleTouches();
  Columns touches = table.Table();
  const std::vector<double> numbers(touches.num_rows(), 1.0);
  ASSERT_THAT(touches.Add("content", Column::Doubles(numbers)), IsOk());
  EffectivenessState state(kAction);
  EXPECT_THAT(state.Add(leads.columns(), touches, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches.content: expected strings")));
  // The other views do not read it.
  EffectivenessState mix;
  EXPECT_THAT(mix.Add(leads.columns(), touches, kAsOf), IsOk());
}

// Found by batch_fuzz: a method column known only by its null flags (no
// values) was read for its codes by the action view.
TEST(Effectiveness, ActionMethodOfNullFlagsOnlyIsNamed) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = ActionTouches();
  const Columns given = table.Table();
  Columns touches(given.num_rows());
  for (const auto& [name, column] : given.columns()) {
    if (name != "method") ASSERT_THAT(touches.Add(name, column), IsOk());
  }
  ASSERT_THAT(touches.Add("method", Column::ValidityOnly(given.num_rows(),
                                                         nullptr)),
              IsOk());
  EffectivenessState state(kAction);
  EXPECT_THAT(state.Add(leads.columns(), touches, kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches.method: expected string codes "
                                 "values, got only null flags")));
}

TEST(Effectiveness, ActionContentCannotHoldTheSeparator) {
  // The byte that separates an action's method from its content in the
  // state's groups: named with the touch's row and lead.
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  Touches table = ActionTouches();
  table.contents[static_cast<size_t>(table.content_codes[3])] = "needs\x1fquestions";
  EffectivenessState state(kAction);
  EXPECT_THAT(state.Add(leads.columns(), table.Table(), kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches row 0: lead_id \"E1\": content holds "
                                 "the control character")));
}

// A policy grading the leads of dealer D1 hot and the others cold, whose
// playbook asks for needs questions by phone at first contact, an offer by
// phone for a hot lead touched before, and updates by phone otherwise.
Policy HotColdPlaybook() {
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(R"({
    "grades": ["hot", "cold"],
    "rules": [
      {"id": "d1", "when": [{"field": "dealer_id", "op": "==", "value": "D1"}],
       "grade": "hot"},
      {"id": "default", "grade": "cold"}],
    "cadence": {"follow_up_days": {"hot": 3, "cold": 14}},
    "playbook": {"rules": [
      {"id": "first", "when": [{"field": "task", "op": "==", "value": "first_contact"}],
       "action": {"method": "phone", "content": "needs_questions",
                  "goal": "discover_needs"}},
      {"id": "hot_offer", "when": [{"field": "grade_now", "op": "==", "value": "hot"},
                                   {"field": "touches", "op": ">=", "value": 1}],
       "action": {"method": "phone", "content": "offer", "goal": "close_deal"}},
      {"id": "rest", "action": {"method": "phone", "content": "updates",
                                "goal": "keep_interest"}}]}})");
  EXPECT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = load->policy();
  EXPECT_THAT(policy, IsOk());
  return *policy;
}

const EffectivenessOptions kActionPlaybook{.view = EffectivenessView::kAction,
                                           .playbook = true};

// The action example's touches, E7's first call recording it hot.
Touches PlaybookTouches() {
  Touches t = ActionTouches();
  t.grade_codes[9] = Touches::Code(t.grades, "hot");  // E7 06-08 10:00
  return t;
}

struct ExpectedAdvice {
  std::string method, content;
  int64_t leads, won, touches;
  int64_t recommended, as_recommended, leads_as_recommended,
      won_as_recommended;
};

void ExpectAdvice(const std::vector<EffectivenessRow>& rows,
                  const std::vector<ExpectedAdvice>& expected) {
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const ExpectedAdvice& e = expected[i];
    SCOPED_TRACE(absl::StrCat("row ", i, " (", e.method, " ", e.content, ")"));
    EXPECT_EQ(rows[i].group, e.method);
    EXPECT_EQ(rows[i].content.value_or(""), e.content);
    EXPECT_EQ(rows[i].leads, e.leads);
    EXPECT_EQ(rows[i].won, e.won);
    EXPECT_EQ(rows[i].touches, e.touches);
    EXPECT_EQ(rows[i].recommended_touches, e.recommended);
    EXPECT_EQ(rows[i].touches_as_recommended, e.as_recommended);
    EXPECT_EQ(rows[i].leads_as_recommended, e.leads_as_recommended);
    EXPECT_EQ(rows[i].won_as_recommended, e.won_as_recommended);
  }
}

EffectivenessState CountWithPlaybook(int threads = 1) {
  const Policy policy = HotColdPlaybook();
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = PlaybookTouches();
  EffectivenessState state(kActionPlaybook);
  EXPECT_THAT(state.Add(policy, leads.columns(), table.Table(), kAsOf, {},
                        threads),
              IsOk());
  return state;
}

TEST(Effectiveness, ActionNextToThePlaybookByHand) {
  // Graded at creation: E1, E2 hot (D1); E3, E4, E5, E7 cold. Each touch by
  // as_of of a counted lead, the task it answered and the playbook's action:
  //   E1 (won)  06-01 phone/needs_questions  first contact -> needs_q  yes
  //             06-03 wechat/brochure        hot, 1 before -> offer    no
  //             06-05 phone/offer            hot, 2 before -> offer    yes
  //   E2        06-02 phone/needs_questions  first contact -> needs_q  yes
  //             06-12 phone/needs_questions  hot, 1 before -> offer    no
  //   E3        06-03 wechat/brochure        first contact -> needs_q  no
  //             06-04 phone (no content)     cold          -> updates  yes
  //                                          (the method; no content to
  //                                          compare)
  //   E4        06-06 visit/demonstration    first contact -> needs_q  no
  //   E7 (won)  06-08 phone/needs_questions  first contact -> needs_q  yes
  //                                          (records hot)
  //             22:00 phone/offer            hot since, 1  -> offer    yes
  // Recommended: needs_questions 5, offer 4, updates 1 (only recommended: a
  // row with no lead).
  ExpectAdvice(CountWithPlaybook().Finalize(),
               {{"none", "", 1, 0, 0, 0, 0, 0, 0},
                {"phone", "", 1, 0, 1, 0, 1, 1, 0},
                {"phone", "needs_questions", 3, 2, 4, 5, 3, 3, 2},
                {"phone", "offer", 2, 2, 2, 4, 2, 2, 2},
                {"phone", "updates", 0, 0, 0, 1, 0, 0, 0},
                {"visit", "demonstration", 1, 0, 1, 0, 0, 0, 0},
                {"wechat", "brochure", 2, 1, 2, 0, 0, 0, 0}});
  const std::vector<EffectivenessRow> rows = CountWithPlaybook().Finalize();
  EXPECT_DOUBLE_EQ(rows[2].conversion_rate_as_recommended(), 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(rows[4].conversion_rate_as_recommended()));
  EXPECT_TRUE(std::isnan(rows[4].conversion_rate()));
}

TEST(Effectiveness, ActionNextToThePlaybookReadsTheGradeHistory) {
  // Without E7's grade_after its second call (cold, 1 before) was owed
  // updates, not the offer it brought.
  const Policy policy = HotColdPlaybook();
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = ActionTouches();
  EffectivenessState state(kActionPlaybook);
  ASSERT_THAT(state.Add(policy, leads.columns(), table.Table(), kAsOf),
              IsOk());
  const std::vector<EffectivenessRow> rows = state.Finalize();
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[3].content, "offer");
  EXPECT_EQ(rows[3].recommended_touches, 3);
  EXPECT_EQ(rows[3].touches_as_recommended, 1);
  EXPECT_EQ(rows[3].leads_as_recommended, 1);
  EXPECT_EQ(rows[4].content, "updates");
  EXPECT_EQ(rows[4].recommended_touches, 2);
}

TEST(Effectiveness, ActionNextToThePlaybookMergesAndKeepsItsBytes) {
  const EffectivenessState whole = CountWithPlaybook();
  EXPECT_EQ(CountWithPlaybook(3), whole);
  // Split by lead: E1-E4 and E5-E8, each with its touches.
  const Policy policy = HotColdPlaybook();
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = PlaybookTouches();
  const std::vector<uint8_t> first = {1, 1, 1, 1, 0, 0, 0, 0};
  const std::vector<uint8_t> second = {0, 0, 0, 0, 1, 1, 1, 1};
  EffectivenessState a(kActionPlaybook), b(kActionPlaybook);
  ASSERT_THAT(a.Add(policy, leads.columns(), table.Table(), kAsOf, first),
              IsOk());
  ASSERT_THAT(b.Add(policy, leads.columns(), table.Table(), kAsOf, second),
              IsOk());
  ASSERT_THAT(b.Merge(a), IsOk());
  EXPECT_EQ(b, whole);
  const std::string bytes = whole.Serialize();
  absl::StatusOr<EffectivenessState> back =
      EffectivenessState::Deserialize(bytes);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, whole);
  EXPECT_TRUE(back->options().playbook);
  // With and without the playbook do not merge.
  EffectivenessState plain(kAction);
  EXPECT_THAT(plain.Merge(whole),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("next to the playbook")));
}

TEST(Effectiveness, ActionNextToThePlaybookNeedsThePolicyAndTheActionView) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = PlaybookTouches();
  EffectivenessState state(kActionPlaybook);
  EXPECT_THAT(state.Add(leads.columns(), table.Table(), kAsOf),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs the policy")));
  EXPECT_THAT(
      ValidateEffectivenessOptions(
          {.view = EffectivenessView::kInterval, .playbook = true}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("playbook: only the action view")));
  // A grade_after that is not the policy's is named with its row.
  Touches bad = PlaybookTouches();
  bad.grades[0] = "warm";
  EXPECT_THAT(state.Add(HotColdPlaybook(), leads.columns(), bad.Table(),
                        kAsOf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grade_after \"warm\"")));
}

TEST(Effectiveness, StateBytesWithoutThePlaybookCountsAreRead) {
  // "LKEFF1": view, bounds, then per group its name and three counts.
  std::string payload;
  state_internal::PutInt(payload, 2);  // the action view
  state_internal::PutInt(payload, 1);
  state_internal::PutInt(payload, std::bit_cast<int64_t>(4.0));
  state_internal::PutInt(payload, 1);
  state_internal::PutString(payload, "phone");
  for (const int64_t count : {3, 1, 5}) state_internal::PutInt(payload, count);
  absl::StatusOr<EffectivenessState> old =
      EffectivenessState::Deserialize(state_internal::Frame("LKEFF1", payload));
  ASSERT_THAT(old, IsOk());
  EXPECT_FALSE(old->options().playbook);
  const std::vector<EffectivenessRow> rows = old->Finalize();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].group, "phone");
  EXPECT_EQ(rows[0].leads, 3);
  EXPECT_EQ(rows[0].touches, 5);
  EXPECT_EQ(rows[0].recommended_touches, 0);
}

TEST(Effectiveness, CustomIntervalBuckets) {
  // E7's 0.5 d is in 0.5-5d with E1 (2 d) and E3 (1 d); E2's 10 d is 5d+.
  ExpectRows(Count({.view = EffectivenessView::kInterval,
                  .interval_buckets = {0.5, 5}})
                 .Finalize(),
             {{"no_touch", 1, 0, 0},
              {"single_touch", 1, 0, 1},
              {"<0.5d", 0, 0, 0},
              {"0.5-5d", 3, 2, 7},
              {"5d+", 1, 0, 2}});
}

TEST(Effectiveness, LaterAsOfCountsLaterWinsAndTouches) {
  // As of 06-25 10:00 (E3's win): E3 won, E8 (no touch) and E7's 06-21 touch
  // come in. E7: 3 touches over 13 days = 6.5 d a gap.
  const EffectivenessState mix = Count({}, {}, 1, At("2024-06-25 10:00"));
  ExpectRows(mix.Finalize(), {{"none", 2, 0, 0},
                              {"phone", 2, 1, 5},
                              {"phone+wechat", 2, 2, 5},
                              {"visit", 1, 0, 1}});
}

TEST(Effectiveness, IncludeIsTheScope) {
  // Dealer D2: E3 and E4 only.
  const std::vector<uint8_t> d2 = {0, 0, 1, 1, 0, 0, 0, 0};
  ExpectRows(Count({}, d2).Finalize(),
             {{"phone+wechat", 1, 0, 2}, {"visit", 1, 0, 1}});
  const std::vector<uint8_t> none(8, 0);
  EXPECT_TRUE(Count({}, none).Finalize().empty());
  const std::vector<uint8_t> short_mask(3, 1);
  EffectivenessState state;
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  EXPECT_THAT(state.Add(leads.columns(), ExampleTouches().Table(), kAsOf,
                        short_mask),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("include holds 3 flags for 8 leads")));
}

TEST(Effectiveness, AnyThreadCountGivesTheSameState) {
  for (const EffectivenessOptions& options :
       {EffectivenessOptions{}, kInterval, kAction}) {
    const EffectivenessState one = Count(options);
    for (int threads : {2, 3, 8, 64}) {
      EXPECT_EQ(Count(options, {}, threads), one) << threads << " threads";
    }
  }
}

TEST(Effectiveness, SplitsMergedInAnyOrderEqualTheWhole) {
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches all = ExampleTouches();
  for (const EffectivenessOptions& options :
       {EffectivenessOptions{}, kInterval, kAction}) {
    const EffectivenessState whole = Count(options);
    // Two batches by include: E1-E4 and E5-E8 (each with all of its touches).
    const std::vector<uint8_t> first = {1, 1, 1, 1, 0, 0, 0, 0};
    const std::vector<uint8_t> rest = {0, 0, 0, 0, 1, 1, 1, 1};
    const EffectivenessState a = Count(options, first);
    const EffectivenessState b = Count(options, rest);
    EffectivenessState ab = a;
    ASSERT_THAT(ab.Merge(b), IsOk());
    EffectivenessState ba = b;
    ASSERT_THAT(ba.Merge(a), IsOk());
    EXPECT_EQ(ab, whole);
    EXPECT_EQ(ba, whole);
    EXPECT_NE(a, whole);
  }
}

TEST(Effectiveness, StatesOfOtherOptionsDoNotMerge) {
  EffectivenessState mix = Count({});
  EXPECT_THAT(mix.Merge(Count(kInterval)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("a interval state cannot merge with a "
                                 "method_mix state")));
  EffectivenessState interval = Count(kInterval);
  EXPECT_THAT(
      interval.Merge(Count({.view = EffectivenessView::kInterval,
                          .interval_buckets = {2}})),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("interval buckets [no_touch, single_touch, <2d, "
                         "2d+] differ")));
}

TEST(Effectiveness, BytesRoundTrip) {
  for (const EffectivenessOptions& options :
       {EffectivenessOptions{}, kInterval, kAction,
        EffectivenessOptions{.view = EffectivenessView::kInterval,
                             .interval_buckets = {0.1, 2.5}},
        EffectivenessOptions{.interval_buckets = {4}}}) {
    const EffectivenessState state = Count(options);
    const std::string bytes = state.Serialize();
    EXPECT_EQ(bytes.substr(0, 6), "LKEFF2");
    absl::StatusOr<EffectivenessState> back =
        EffectivenessState::Deserialize(bytes);
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(*back, state);
    EXPECT_EQ(back->options(), options);
  }
  // An empty state, too.
  const EffectivenessState empty(kInterval);
  EXPECT_EQ(*EffectivenessState::Deserialize(empty.Serialize()), empty);
  EXPECT_EQ(empty.Finalize().size(), 8u);
}

TEST(Effectiveness, BadBytesAreAnError) {
  EXPECT_THAT(
      EffectivenessState::Deserialize("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  EXPECT_THAT(
      EffectivenessState::Deserialize(Count({}).Serialize().replace(0, 6,
                                                                   "LKKPI3")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  for (const EffectivenessOptions& options :
       {EffectivenessOptions{}, kInterval, kAction}) {
    const std::string bytes = Count(options).Serialize();
    EXPECT_THAT(
        EffectivenessState::Deserialize(bytes.substr(0, bytes.size() - 3)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
    EXPECT_THAT(
        EffectivenessState::Deserialize(bytes + "x"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
    // Every single changed byte is caught: the header, the framing or the
    // checksum — never a wrong state.
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
        std::string changed = bytes;
        changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^
                                       flip);
        EXPECT_THAT(EffectivenessState::Deserialize(changed),
                    StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("effectiveness state bytes")))
            << "byte " << i;
      }
    }
  }
}

struct BadCase {
  std::string name;
  std::string leads;  // replaces kLeads when not empty
  Touches touches;
  std::string message;
};

TEST(Effectiveness, BadInputNamesTableRowIdAndValue) {
  Touches plus = ExampleTouches();
  plus.methods[plus.method_codes[7]] = "phone+visit";  // E4's visit
  Touches none = ExampleTouches();
  none.methods[none.method_codes[7]] = "none";
  Touches unknown = ExampleTouches();
  unknown.Add("E9", "2024-06-10 10:00", "phone");
  Touches early = ExampleTouches();
  early.Add("E2", "2024-06-02 08:00", "phone");
  Touches no_time = ExampleTouches();
  no_time.at_valid[3] = 0;
  Touches no_method = ExampleTouches();
  no_method.method_codes[4] = -1;
  std::string wonn = kLeads;
  const std::string won7 = "\"status\": \"won\"}";  // E7's
  wonn.replace(wonn.find(won7), won7.size(), "\"status\": \"wonn\"}");
  std::string twice = kLeads;
  twice.replace(twice.find("\"E8\""), 4, "\"E2\"");
  std::string no_created = kLeads;
  no_created.replace(no_created.find("\"2024-06-05T09:00:00+08:00\""), 27,
                     "null");
  const std::vector<BadCase> cases = {
      {"reserved +", "", plus,
       "touches row 7: lead_id \"E4\": method \"phone+visit\" cannot name a "
       "method (\"none\" and \"+\" spell method mixes)"},
      {"reserved none", "", none,
       "touches row 7: lead_id \"E4\": method \"none\" cannot name a method"},
      {"unknown lead", "", unknown,
       "touches row 12: lead_id \"E9\" is not in the leads"},
      {"before creation", "", early,
       "touches row 12: lead_id \"E2\": at 2024-06-02T00:00:00Z is before the "
       "lead's created_at 2024-06-02T01:00:00Z"},
      {"null at", "", no_time, "touches row 3: lead_id \"E2\": at is null"},
      {"null method", "", no_method,
       "touches row 4: lead_id \"E2\": method is null"},
      {"unknown status", wonn, ExampleTouches(),
       "leads row 6: lead_id \"E7\": unknown status \"wonn\" (open, won, lost, "
       "invalid)"},
      {"duplicate id", twice, ExampleTouches(),
       "leads row 7: lead_id \"E2\" is given twice (first at row 1)"},
      {"null created_at", no_created, ExampleTouches(),
       "leads row 3: lead_id \"E4\": created_at is null"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<LeadTable> leads =
        LeadTable::FromJson(c.leads.empty() ? kLeads : c.leads);
    ASSERT_THAT(leads, IsOk());
    const Columns touches = c.touches.Table();
    for (const EffectivenessOptions& options :
         {EffectivenessOptions{}, kInterval, kAction}) {
      EffectivenessState state(options);
      EXPECT_THAT(state.Add(leads->columns(), touches, kAsOf),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr(c.message)));
      EXPECT_EQ(state, EffectivenessState(options));  // nothing added
    }
  }
}

TEST(Effectiveness, ReservedMethodOfALeadOutOfScopeIsNotRead) {
  // The scope is applied as rows enter: E4 left out, so its touch's method is
  // never read.
  Touches plus = ExampleTouches();
  plus.methods[plus.method_codes[7]] = "phone+visit";
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const std::vector<uint8_t> without_e4 = {1, 1, 1, 0, 1, 1, 1, 1};
  EffectivenessState state;
  ASSERT_THAT(state.Add(leads.columns(), plus.Table(), kAsOf, without_e4),
              IsOk());
  ExpectRows(state.Finalize(), {{"none", 1, 0, 0},
                                {"phone", 2, 1, 4},
                                {"phone+wechat", 2, 1, 5}});
}

TEST(Effectiveness, GradesAreNotRead) {
  // Without a policy, a grade or grade_after no policy declares is no error.
  const LeadTable leads = *LeadTable::FromJson(R"([
    {"lead_id": "G1", "created_at": "2024-06-01T09:00:00+08:00", "grade": "Z"}])");
  Touches t;
  t.Add("G1", "2024-06-01 10:00", "sms");
  Columns touches = t.Table();
  const std::vector<int32_t> grade_codes = {0};
  const std::vector<std::string> grades = {"Q"};
  ASSERT_THAT(touches.Add("grade_after", Column::Codes(grade_codes, grades)),
              IsOk());
  EffectivenessState state;
  ASSERT_THAT(state.Add(leads.columns(), touches, kAsOf), IsOk());
  ExpectRows(state.Finalize(), {{"sms", 1, 0, 1}});
}

TEST(Effectiveness, MoreThan64MethodsAndRepeatedNames) {
  // 70 method names m00..m69: the mix of a lead touched by m69 then m00 is
  // still alphabetical. Codes 70 and 71 both name "phone": one method.
  Touches t;
  for (int i = 0; i < 70; ++i) {
    t.methods.push_back(absl::StrFormat("m%02d", i));
  }
  t.methods.push_back("phone");
  t.methods.push_back("phone");
  const auto add = [&](const std::string& id, const std::string& local,
                       int32_t code) {
    t.ids.push_back(Touches::Code(t.ids_dictionary, id));
    t.at.push_back(Shanghai(local));
    t.at_valid.push_back(1);
    t.method_codes.push_back(code);
  };
  add("M1", "2024-06-01 10:00", 69);
  add("M1", "2024-06-02 10:00", 0);
  add("M1", "2024-06-03 10:00", 69);
  add("M2", "2024-06-01 10:00", 70);
  add("M2", "2024-06-01 11:00", 71);
  const LeadTable leads = *LeadTable::FromJson(R"([
    {"lead_id": "M1", "created_at": "2024-06-01T09:00:00+08:00"},
    {"lead_id": "M2", "created_at": "2024-06-01T09:00:00+08:00", "status": "won"}])");
  EffectivenessState state;
  ASSERT_THAT(state.Add(leads.columns(), t.Table(), kAsOf), IsOk());
  ExpectRows(state.Finalize(), {{"m00+m69", 1, 0, 3}, {"phone", 1, 1, 2}});

  // The same names in a dictionary of two: the same mixes (the narrow path).
  Touches few;
  few.Add("M1", "2024-06-01 10:00", "m69")
      .Add("M1", "2024-06-02 10:00", "m00")
      .Add("M1", "2024-06-03 10:00", "m69")
      .Add("M2", "2024-06-01 10:00", "phone")
      .Add("M2", "2024-06-01 11:00", "phone");
  EffectivenessState narrow;
  ASSERT_THAT(narrow.Add(leads.columns(), few.Table(), kAsOf), IsOk());
  EXPECT_EQ(narrow, state);
}

TEST(Effectiveness, OptionsAreChecked) {
  struct Case {
    std::vector<double> bounds;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "interval_buckets: expected at least one bound in days, got none"},
      {{3, 1}, "interval_buckets: bounds must increase, but 1 follows 3"},
      {{0, 1}, "interval_buckets: 0 is not a positive number of days"},
      {{-2}, "interval_buckets: -2 is not a positive number of days"},
      {{1, NAN}, "interval_buckets: nan is not a positive number of days"},
      {{1, INFINITY}, "interval_buckets: inf is not a positive number of days"},
      {{1, 1.0000001},
       "interval_buckets: 1 and 1.0000001 are the same bound to 6 significant "
       "digits (both \"1\")"},
  };
  const LeadTable leads = *LeadTable::FromJson(kLeads);
  const Touches table = ExampleTouches();
  const Columns touches = table.Table();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    const EffectivenessOptions options{.view = EffectivenessView::kInterval,
                                       .interval_buckets = c.bounds};
    EXPECT_THAT(ValidateEffectivenessOptions(options),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)));
    EffectivenessState state(options);
    EXPECT_THAT(state.Add(leads.columns(), touches, kAsOf),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)));
  }
  EXPECT_THAT(ValidateEffectivenessOptions({}), IsOk());
}

TEST(Effectiveness, IntervalLabels) {
  const std::vector<double> defaults = {1, 3, 7, 14, 30};
  EXPECT_THAT(IntervalLabels(defaults),
              ::testing::ElementsAre("no_touch", "single_touch", "<1d", "1-3d",
                                     "3-7d", "7-14d", "14-30d", "30d+"));
  const std::vector<double> fine = {0.25, 1, 1234567};
  EXPECT_THAT(IntervalLabels(fine),
              ::testing::ElementsAre("no_touch", "single_touch", "<0.25d",
                                     "0.25-1d", "1-1.23457e+06d",
                                     "1.23457e+06d+"));
  EXPECT_EQ(EffectivenessViewName(EffectivenessView::kMethodMix),
            "method_mix");
  EXPECT_EQ(EffectivenessViewName(EffectivenessView::kInterval), "interval");
}

}  // namespace
}  // namespace leadkit
