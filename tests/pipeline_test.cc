// The pipeline reports on the hand-worked example of docs/kpis.md ("Pipeline
// reports"), the close rules, the state's merge, threads and bytes, and bad
// input.
#include "leadkit/pipeline.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/cadence.h"
#include "leadkit/lead_json.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

// A Shanghai (UTC+8) wall time "YYYY-MM-DD HH:MM".
Instant At(const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  return Instant(t.time_since_epoch() - std::chrono::hours(8));
}

// The eight leads of docs/kpis.md under oabc (grades O, A, B, C).
constexpr char kLeads[] = R"([
  {"lead_id": "P1", "created_at": "2024-05-10T10:00:00+08:00", "channel": "website",
   "dealer_id": "D1", "grade": "B", "deposit_paid": false, "status": "open",
   "sales_stage": "negotiation"},
  {"lead_id": "P2", "created_at": "2024-05-15T10:00:00+08:00", "channel": "website",
   "dealer_id": "D1", "grade": "C", "deposit_paid": false, "status": "won",
   "won_at": "2024-06-10T15:00:00+08:00", "sales_stage": "won"},
  {"lead_id": "P3", "created_at": "2024-05-20T10:00:00+08:00", "channel": "website",
   "dealer_id": "D2", "grade": "B", "deposit_paid": false, "status": "lost",
   "lost_at": "2024-06-03T10:00:00+08:00", "lost_review": "approved",
   "sales_stage": "lost"},
  {"lead_id": "P4", "created_at": "2024-05-25T10:00:00+08:00", "channel": "website",
   "dealer_id": "D2", "grade": "C", "deposit_paid": false, "status": "lost",
   "lost_at": "2024-06-08T10:00:00+08:00", "lost_review": "pending",
   "sales_stage": "presentation"},
  {"lead_id": "P5", "created_at": "2024-06-02T10:00:00+08:00", "channel": "website",
   "dealer_id": "D1", "grade": "A", "deposit_paid": false, "status": "lost",
   "lost_at": "2024-06-06T10:00:00+08:00", "lost_review": "rejected",
   "sales_stage": "needs_analysis"},
  {"lead_id": "P6", "created_at": "2024-06-04T10:00:00+08:00", "channel": "website",
   "deposit_paid": true},
  {"lead_id": "P7", "created_at": "2024-06-07T10:00:00+08:00", "channel": "website",
   "dealer_id": "D1", "grade": "C", "deposit_paid": false, "status": "invalid"},
  {"lead_id": "P8", "created_at": "2024-06-25T10:00:00+08:00", "channel": "website",
   "dealer_id": "D2", "grade": "C", "deposit_paid": false, "status": "open"}
])";

// A small owned touches table.
struct Touches {
  std::vector<std::string> ids_dictionary, methods, grades;
  std::vector<int32_t> ids, method_codes, grade_codes;
  std::vector<int64_t> at;

  Touches& Add(const std::string& id, const std::string& local,
               const std::string& method, const std::string& grade = "") {
    ids.push_back(Code(ids_dictionary, id));
    at.push_back(At(local).time_since_epoch().count());
    method_codes.push_back(Code(methods, method));
    grade_codes.push_back(grade.empty() ? -1 : Code(grades, grade));
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
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method_codes, methods)), IsOk());
    EXPECT_THAT(c.Add("grade_after", Column::Codes(grade_codes, grades)),
                IsOk());
    return c;
  }
};

Touches ExampleTouches() {
  Touches t;
  t.Add("P1", "2024-05-20 10:00", "phone", "A")
      .Add("P1", "2024-06-05 10:00", "phone", "O")
      .Add("P2", "2024-05-16 10:00", "phone", "B")
      .Add("P2", "2024-06-01 10:00", "visit", "A")
      .Add("P2", "2024-06-10 09:00", "phone")
      .Add("P2", "2024-06-12 10:00", "wechat")
      .Add("P3", "2024-05-21 10:00", "phone")
      .Add("P5", "2024-06-02 11:00", "phone");
  return t;
}

const Instant kAt = At("2024-06-20 12:00");
const std::vector<std::string> kGrades = {"O", "A", "B", "C"};
const Policy& Oabc() {
  static const Policy* policy = new Policy(*Policy::Preset("oabc"));
  return *policy;
}

PipelineOptions Pipeline(std::vector<std::string> by = {}) {
  return {.report = PipelineReport::kPipeline,
          .by = std::move(by),
          .grades = kGrades,
          .at = kAt};
}
PipelineOptions Migration() {
  return {.report = PipelineReport::kGradeMigration,
          .grades = kGrades,
          .start = At("2024-06-01 00:00"),
          .end = kAt};
}
PipelineOptions Monthly() {
  return {.report = PipelineReport::kMonthly,
          .grades = kGrades,
          .months = {"2024-05", "2024-06"},
          .zone = "Asia/Shanghai"};
}
PipelineOptions Funnel(std::vector<std::string> by = {}) {
  return {.report = PipelineReport::kFunnel,
          .by = std::move(by),
          .grades = kGrades,
          .as_of = kAt};
}
PipelineOptions TouchesPerWonLead(std::vector<std::string> by = {}) {
  return {.report = PipelineReport::kTouchesPerWonLead,
          .by = std::move(by),
          .as_of = kAt};
}

// Every report, each with its groups where it has some.
std::vector<PipelineOptions> EveryReport() {
  return {Pipeline(), Pipeline({"dealer_id"}), Migration(), Monthly(),
          Funnel(),   Funnel({"dealer_id"}),   TouchesPerWonLead(),
          TouchesPerWonLead({"dealer_id", "channel"})};
}

const Policy* PolicyOf(const PipelineOptions& options) {
  return options.report == PipelineReport::kTouchesPerWonLead ? nullptr
                                                              : &Oabc();
}

PipelineState Count(const PipelineOptions& options,
                    std::span<const uint8_t> include = {}, int threads = 1) {
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(kLeads);
  EXPECT_THAT(leads, IsOk());
  const Touches example = ExampleTouches();  // the columns view it
  const Columns touches = example.Table();
  PipelineState state(options);
  EXPECT_THAT(state.Add(PolicyOf(options), leads->columns(), touches, include,
                        threads),
              IsOk());
  return state;
}

using Key = std::vector<std::optional<std::string>>;
const Key kD1 = {"D1"}, kD2 = {"D2"}, kNull = {std::nullopt};

TEST(Pipeline, OpenLeadsByGradeAt) {
  // By hand (docs/kpis.md), at 06-20 12:00: P1 B -> A (05-20) -> O (06-05),
  // open: O. P2 won, P3 lost (approved), P4 lost (pending): closed. P5 lost
  // but the review was rejected: open, A. P6 classified O (deposit paid). P7
  // invalid, P8 created later. O 2, A 1: shares 2/3, 1/3.
  const std::vector<PipelineRow> rows = Count(Pipeline()).Finalize().pipeline;
  ASSERT_EQ(rows.size(), 4u);
  const int64_t open[] = {2, 1, 0, 0};
  const double share[] = {2.0 / 3, 1.0 / 3, 0, 0};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(rows[i].key, Key());
    EXPECT_EQ(rows[i].grade, kGrades[i]);
    EXPECT_EQ(rows[i].open_leads, open[i]);
    EXPECT_DOUBLE_EQ(rows[i].share, share[i]);
  }
}

TEST(Pipeline, ByDealerHasEveryGradeAndTheNullGroupLast) {
  // D1: P1 O, P5 A (P2 won, P7 invalid); D2: P3, P4 closed (P8 later): every
  // grade 0, shares NaN; no dealer: P6 O.
  const std::vector<PipelineRow> rows =
      Count(Pipeline({"dealer_id"})).Finalize().pipeline;
  ASSERT_EQ(rows.size(), 12u);
  const Key keys[] = {kD1, kD2, kNull};
  const int64_t open[3][4] = {{1, 1, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}};
  const double share[3][4] = {{0.5, 0.5, 0, 0}, {NAN, NAN, NAN, NAN}, {1, 0, 0, 0}};
  for (size_t i = 0; i < 12; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i].key, keys[i / 4]);
    EXPECT_EQ(rows[i].grade, kGrades[i % 4]);
    EXPECT_EQ(rows[i].open_leads, open[i / 4][i % 4]);
    if (std::isnan(share[i / 4][i % 4])) {
      EXPECT_TRUE(std::isnan(rows[i].share));
    } else {
      EXPECT_DOUBLE_EQ(rows[i].share, share[i / 4][i % 4]);
    }
  }
}

TEST(Pipeline, GradeMigrationBetweenTwoInstants) {
  // 06-01 00:00 -> 06-20 12:00: P1 A -> O (its change to O on 06-05); P2 B
  // (its change to A came at 10:00 on 06-01) -> won; P3 B -> lost; P4 C ->
  // lost (pending); new: P5 -> A (rejected), P6 -> O, P7 -> invalid.
  const std::vector<MigrationRow> rows =
      Count(Migration()).Finalize().grade_migration;
  ASSERT_EQ(rows.size(), 5u * 7u);
  const std::vector<std::string> from = {"O", "A", "B", "C", "new"};
  const std::vector<std::string> to = {"O",   "A",    "B",      "C",
                                       "won", "lost", "invalid"};
  const int64_t expected[5][7] = {{0, 0, 0, 0, 0, 0, 0},
                                  {1, 0, 0, 0, 0, 0, 0},
                                  {0, 0, 0, 0, 1, 1, 0},
                                  {0, 0, 0, 0, 0, 1, 0},
                                  {1, 1, 0, 0, 0, 0, 1}};
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i].from, from[i / 7]);
    EXPECT_EQ(rows[i].to, to[i % 7]);
    EXPECT_EQ(rows[i].leads, expected[i / 7][i % 7]);
  }
}

TEST(Pipeline, MonthlyRollOver) {
  // May receives P1-P4 and closes none: 4 roll over. June receives P5, P6,
  // P8 (P7 invalid), wins P2, loses P3 and P4 (P5's loss was rejected):
  // 4 + 3 - 1 - 2 = 4 open at the end. Conversion 1/7, loss 2/7.
  const std::vector<MonthlyRow> rows = Count(Monthly()).Finalize().monthly;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].month, "2024-05");
  EXPECT_EQ(rows[0].carried_over, 0);
  EXPECT_EQ(rows[0].new_leads, 4);
  EXPECT_EQ(rows[0].invalid, 0);
  EXPECT_EQ(rows[0].won, 0);
  EXPECT_EQ(rows[0].lost, 0);
  EXPECT_EQ(rows[0].open_at_end, 4);
  EXPECT_DOUBLE_EQ(rows[0].conversion_rate, 0);
  EXPECT_EQ(rows[1].month, "2024-06");
  EXPECT_EQ(rows[1].carried_over, 4);
  EXPECT_EQ(rows[1].new_leads, 3);
  EXPECT_EQ(rows[1].invalid, 1);
  EXPECT_EQ(rows[1].won, 1);
  EXPECT_EQ(rows[1].lost, 2);
  EXPECT_EQ(rows[1].open_at_end, 4);
  EXPECT_DOUBLE_EQ(rows[1].conversion_rate, 1.0 / 7);
  EXPECT_DOUBLE_EQ(rows[1].loss_rate, 2.0 / 7);
}

TEST(Pipeline, MonthsAreLocalToTheZone) {
  // 2024-06-30 20:00 UTC is 2024-07-01 04:00 in Shanghai: a July lead; in
  // UTC a June one.
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(
      R"([{"lead_id": "X", "created_at": "2024-06-30T20:00:00Z"}])");
  ASSERT_THAT(leads, IsOk());
  const Touches none;
  const Columns touches = none.Table();
  for (const auto& [zone, june, july] :
       {std::tuple{"Asia/Shanghai", 0, 1}, std::tuple{"UTC", 1, 0}}) {
    PipelineOptions options = Monthly();
    options.months = {"2024-06", "2024-07"};
    options.zone = zone;
    PipelineState state(options);
    ASSERT_THAT(state.Add(&Oabc(), leads->columns(), touches), IsOk());
    const std::vector<MonthlyRow> rows = state.Finalize().monthly;
    EXPECT_EQ(rows[0].new_leads, june) << zone;
    EXPECT_EQ(rows[1].new_leads, july) << zone;
    EXPECT_EQ(rows[1].open_at_end, 1) << zone;
  }
}

TEST(Pipeline, FunnelReachedGradesAndStages) {
  // P1-P6 counted (P7 invalid, P8 later). Grades ever in force: P1 B, A, O;
  // P2 C, B, A; P3 B; P4 C; P5 A; P6 O: O 2, A 3, B 3, C 2. Stages: P1
  // negotiation (5), P2 won (6), P4 presentation (3), P5 needs analysis
  // (2); P3 lost and P6 none: 4, 4, 3, 2, 2, 1.
  const std::vector<FunnelRow> rows = Count(Funnel()).Finalize().funnel;
  ASSERT_EQ(rows.size(), 10u);
  const int64_t reached[] = {2, 3, 3, 2, 4, 4, 3, 2, 2, 1};
  const double previous[] = {NAN, 1.5, 1, 2.0 / 3, NAN, 1, 0.75, 2.0 / 3, 1, 0.5};
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i].kind, i < 4 ? "grade" : "sales_stage");
    EXPECT_EQ(rows[i].stage,
              i < 4 ? kGrades[i] : std::string(SalesStages()[i - 4]));
    EXPECT_EQ(rows[i].leads, 6);
    EXPECT_EQ(rows[i].reached, reached[i]);
    EXPECT_DOUBLE_EQ(rows[i].share_of_leads, reached[i] / 6.0);
    if (std::isnan(previous[i])) {
      EXPECT_TRUE(std::isnan(rows[i].conversion_from_previous));
    } else {
      EXPECT_DOUBLE_EQ(rows[i].conversion_from_previous, previous[i]);
    }
  }
}

TEST(Pipeline, FunnelWonFollowsThePointInTimeRule) {
  // Before P2's win (06-10 15:00) its recorded stage "won" is negotiation.
  PipelineOptions options = Funnel();
  options.as_of = At("2024-06-10 14:00");
  const std::vector<FunnelRow> rows = Count(options).Finalize().funnel;
  EXPECT_EQ(rows[9].stage, "won");
  EXPECT_EQ(rows[9].reached, 0);
  EXPECT_EQ(rows[8].reached, 2);  // negotiation: P1, P2
}

TEST(Pipeline, TouchesPerWonLead) {
  // Only P2 is won (06-10 15:00): its touches on 05-16, 06-01 and 06-10 09:00
  // count, the one on 06-12 comes after the sale.
  const std::vector<TouchesPerWonLeadRow> rows =
      Count(TouchesPerWonLead()).Finalize().touches_per_won_lead;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].won_leads, 1);
  EXPECT_EQ(rows[0].touches, 3);
  EXPECT_DOUBLE_EQ(rows[0].touches_per_won_lead, 3);
  // By dealer and channel: D1 has P2; D2 and no dealer none (NaN).
  const std::vector<TouchesPerWonLeadRow> by =
      Count(TouchesPerWonLead({"dealer_id", "channel"}))
          .Finalize()
          .touches_per_won_lead;
  ASSERT_EQ(by.size(), 3u);
  EXPECT_EQ(by[0].key, (Key{"D1", "website"}));
  EXPECT_EQ(by[0].touches, 3);
  EXPECT_EQ(by[2].key, (Key{std::nullopt, "website"}));
  EXPECT_TRUE(std::isnan(by[2].touches_per_won_lead));
}

TEST(Pipeline, CloseRules) {
  // docs/kpis.md, "Closing"; created 06-01 10:00, looked at 06-10.
  const Instant created = At("2024-06-01 10:00");
  const Instant t = At("2024-06-10 00:00");
  struct Case {
    const char* name;
    LeadStatus status;
    std::optional<Instant> won_at, lost_at;
    LostReview review;
    LeadStatus at_t;
    std::optional<Instant> closed;
  };
  const Case cases[] = {
      {"won", LeadStatus::kWon, At("2024-06-05 00:00"), {}, LostReview::kNone,
       LeadStatus::kWon, At("2024-06-05 00:00")},
      {"won later", LeadStatus::kWon, At("2024-06-11 00:00"), {},
       LostReview::kNone, LeadStatus::kOpen, At("2024-06-11 00:00")},
      {"won, no time", LeadStatus::kWon, {}, {}, LostReview::kNone,
       LeadStatus::kWon, created},
      {"won before created", LeadStatus::kWon, At("2024-05-01 00:00"), {},
       LostReview::kNone, LeadStatus::kWon, created},
      {"lost, pending", LeadStatus::kLost, {}, At("2024-06-03 00:00"),
       LostReview::kPending, LeadStatus::kLost, At("2024-06-03 00:00")},
      {"lost, rejected", LeadStatus::kLost, {}, At("2024-06-03 00:00"),
       LostReview::kRejected, LeadStatus::kOpen, std::nullopt},
      {"lost, no time", LeadStatus::kLost, {}, {}, LostReview::kNone,
       LeadStatus::kLost, created},
      {"invalid", LeadStatus::kInvalid, {}, {}, LostReview::kNone,
       LeadStatus::kInvalid, created},
      {"open", LeadStatus::kOpen, {}, {}, LostReview::kNone, LeadStatus::kOpen,
       std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LeadFacts lead{.created_at = created,
                   .status = c.status,
                   .won_at = c.won_at,
                   .lost_at = c.lost_at,
                   .lost_review = c.review};
    EXPECT_EQ(PipelineStatusAt(lead, t), c.at_t);
    EXPECT_EQ(ClosedAt(lead), c.closed);
    // The two agree from creation on: closed at an instant iff not open then.
    for (const Instant u : {created, At("2024-06-03 00:00"), t,
                            At("2024-06-11 00:00")}) {
      EXPECT_EQ(ClosedAt(lead).has_value() && *ClosedAt(lead) <= u,
                PipelineStatusAt(lead, u) != LeadStatus::kOpen);
    }
  }
}

TEST(Pipeline, AnySplitMergedAndAnyThreadsGiveTheWhole) {
  for (const PipelineOptions& options : EveryReport()) {
    SCOPED_TRACE(PipelineReportName(options.report));
    const PipelineState whole = Count(options);
    for (int threads : {2, 3, 8}) {
      EXPECT_EQ(Count(options, {}, threads), whole) << threads;
    }
    for (size_t cut = 0; cut <= 8; ++cut) {
      std::vector<uint8_t> first(8, 0), rest(8, 1);
      for (size_t i = 0; i < cut; ++i) first[i] = 1, rest[i] = 0;
      PipelineState merged = Count(options, rest);
      ASSERT_THAT(merged.Merge(Count(options, first)), IsOk());
      EXPECT_EQ(merged, whole) << "cut at " << cut;
      // A state of no leads changes nothing.
      ASSERT_THAT(merged.Merge(PipelineState(options)), IsOk());
      EXPECT_EQ(merged, whole);
    }
  }
}

TEST(Pipeline, StatesOfOtherParametersDoNotMerge) {
  PipelineState a = Count(Pipeline());
  PipelineOptions later = Pipeline();
  later.at = At("2024-06-21 00:00");
  for (const PipelineOptions& other :
       {later, Pipeline({"dealer_id"}), Funnel(), Migration()}) {
    EXPECT_THAT(a.Merge(PipelineState(other)),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("cannot merge")));
  }
  EXPECT_EQ(a, Count(Pipeline()));  // unchanged
}

TEST(Pipeline, BytesRoundTrip) {
  for (const PipelineOptions& options : EveryReport()) {
    SCOPED_TRACE(PipelineReportName(options.report));
    for (const PipelineState& state : {Count(options), PipelineState(options)}) {
      absl::StatusOr<PipelineState> back =
          PipelineState::Deserialize(state.Serialize());
      ASSERT_THAT(back, IsOk());
      EXPECT_EQ(*back, state);
    }
  }
}

TEST(Pipeline, BadBytesAreAnError) {
  EXPECT_THAT(
      PipelineState::Deserialize("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  for (const PipelineOptions& options : EveryReport()) {
    SCOPED_TRACE(PipelineReportName(options.report));
    const std::string bytes = Count(options).Serialize();
    EXPECT_THAT(
        PipelineState::Deserialize(bytes.substr(0, bytes.size() - 3)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
    EXPECT_THAT(
        PipelineState::Deserialize(bytes + "x"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
    // Every byte changed, the header's too: never a state.
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
        std::string changed = bytes;
        changed[i] =
            static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
        EXPECT_THAT(PipelineState::Deserialize(changed),
                    StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("")))
            << "byte " << i;
      }
    }
  }
}

TEST(Pipeline, BadOptionsNameTheOption) {
  struct Case {
    PipelineOptions options;
    std::string message;
  };
  PipelineOptions backwards = Migration();
  backwards.start = backwards.end;
  PipelineOptions bad_month = Monthly();
  bad_month.months = {"2024-13"};
  PipelineOptions unordered = Monthly();
  unordered.months = {"2024-06", "2024-05"};
  PipelineOptions twice = Pipeline({"dealer_id", "dealer_id"});
  PipelineOptions personal = Funnel({"phone"});
  PipelineOptions grouped = Migration();
  grouped.by = {"dealer_id"};
  PipelineOptions graded = TouchesPerWonLead();
  graded.grades = kGrades;
  const Case cases[] = {
      {backwards,
       "start: 2024-06-20T04:00:00Z is not before end 2024-06-20T04:00:00Z"},
      {bad_month, "months[0]: expected 'YYYY-MM', got '2024-13'"},
      {unordered, "months: '2024-05' does not follow '2024-06'"},
      {twice, "by: dealer_id is named twice"},
      {personal, "by: phone is personal data and cannot name a group"},
      {grouped, "by: grade_migration has no groups"},
      {graded, "grades: touches_per_won_lead reads no grades"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ValidatePipelineOptions(c.options),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
  PipelineOptions zone = Monthly();
  zone.zone = "Asia/Shangai";
  EXPECT_THAT(ValidatePipelineOptions(zone),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Asia/Shangai")));
  // A state's grades must be the policy's.
  PipelineOptions other = Pipeline();
  other.grades = {"A", "B", "C", "O"};
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(kLeads);
  ASSERT_THAT(leads, IsOk());
  PipelineState state(other);
  EXPECT_THAT(state.Add(&Oabc(), leads->columns(), ExampleTouches().Table()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grades: the state counts grades [A, B, C, "
                                 "O], the policy has [O, A, B, C]")));
}

TEST(Pipeline, BadInputNamesTableRowLeadAndValue) {
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(kLeads);
  ASSERT_THAT(leads, IsOk());
  std::string stage = kLeads;
  stage.replace(stage.find("\"negotiation\""), 13, "\"negociation\"");
  std::string status = kLeads;
  status.replace(status.find("\"open\""), 6, "\"opne\"");
  std::string grade = kLeads;
  grade.replace(grade.find("\"grade\": \"B\""), 12, "\"grade\": \"hot\"");
  Touches bad_grade = ExampleTouches();
  bad_grade.Add("P3", "2024-05-22 10:00", "phone", "Q");
  Touches unknown = ExampleTouches();
  unknown.Add("P9", "2024-05-22 10:00", "phone");
  Touches early = ExampleTouches();
  early.Add("P1", "2024-05-01 10:00", "phone");
  struct Case {
    std::string leads;
    Touches touches;
    PipelineOptions options;
    std::string message;
  };
  const Case cases[] = {
      {stage, ExampleTouches(), Funnel(),
       "leads row 0: lead_id \"P1\": unknown sales_stage \"negociation\" "
       "(first_contact, needs_analysis, presentation, objection_handling, "
       "negotiation, won, lost); did you mean \"negotiation\"?"},
      {status, ExampleTouches(), Pipeline(),
       "leads row 0: lead_id \"P1\": unknown status \"opne\" (open, won, lost, "
       "invalid); did you mean \"open\"?"},
      {grade, ExampleTouches(), Monthly(),
       "leads row 0: lead_id \"P1\": grade \"hot\" is not one of the "
       "policy's grades (O, A, B, C)"},
      {kLeads, bad_grade, Migration(),
       "touches row 8: lead_id \"P3\": grade_after \"Q\" is not one of the "
       "policy's grades (O, A, B, C)"},
      {kLeads, unknown, TouchesPerWonLead(),
       "touches row 8: lead_id \"P9\" is not in the leads"},
      {kLeads, early, Funnel(),
       "touches row 8: lead_id \"P1\": at 2024-05-01T02:00:00Z is before the "
       "lead's created_at 2024-05-10T02:00:00Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<LeadTable> table = LeadTable::FromJson(c.leads);
    ASSERT_THAT(table, IsOk());
    PipelineState state(c.options);
    EXPECT_THAT(state.Add(PolicyOf(c.options), table->columns(),
                          c.touches.Table()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)));
    EXPECT_EQ(state, PipelineState(c.options));  // nothing added
  }
}

TEST(Pipeline, LeadsOutOfScopeAreNotRead) {
  // P1 out of scope: its bad sales stage is not read, and it is not counted.
  std::string stage = kLeads;
  stage.replace(stage.find("\"negotiation\""), 13, "\"negociation\"");
  absl::StatusOr<LeadTable> leads = LeadTable::FromJson(stage);
  ASSERT_THAT(leads, IsOk());
  const std::vector<uint8_t> include = {0, 1, 1, 1, 1, 1, 1, 1};
  PipelineState state(Funnel());
  ASSERT_THAT(state.Add(&Oabc(), leads->columns(), ExampleTouches().Table(),
                        include),
              IsOk());
  EXPECT_EQ(state.Finalize().funnel[0].leads, 5);
}

}  // namespace
}  // namespace leadkit
