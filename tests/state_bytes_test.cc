// What every report state's bytes share (src/state_bytes.h): the count total.
// Saved report states whose counts lie near the end of int64: bytes framed
// correctly but written by hand, as a forger would. A
// state's counts must add up within int64 (state_internal::CountTotal), so
// merging such a state with its copy is OutOfRange naming the state and the
// count, the state left as it was; bytes whose counts add up past int64 do
// not restore. Found by tests/fuzz/state_fuzz (a ShowroomState merged with
// its copy overflowed).
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/activity.h"
#include "leadkit/backtest.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/profile.h"
#include "leadkit/showroom.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using state_internal::PutInt;
using state_internal::PutString;

// Near the end: one such count fits, two do not.
constexpr int64_t kNearMax = std::numeric_limits<int64_t>::max() - 5;

// A state of `bytes` restores; merged with its copy it is OutOfRange naming
// `what` and `field`, and is unchanged.
template <typename State>
void ExpectMergeWithCopyOverflows(const std::string& bytes,
                                  const std::string& what,
                                  const std::string& field) {
  absl::StatusOr<State> state = State::Deserialize(bytes);
  ASSERT_THAT(state, IsOk());
  State merged = *state;
  EXPECT_THAT(merged.Merge(*state),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr(what + ": merging overflows " + field),
                             HasSubstr("9223372036854775807"))));
  EXPECT_TRUE(merged == *state);
  // What was restored can still be finalized and written back.
  (void)merged.Finalize();
  EXPECT_EQ(merged.Serialize(), state->Serialize());
}

// Bytes of `groups` groups, each made by `group` (given its index), after
// `head`, framed with `magic`.
std::string Bytes(const std::string& magic, const std::string& head,
                  int groups, void (*group)(std::string&, int)) {
  std::string p = head;
  PutInt(p, groups);
  for (int g = 0; g < groups; ++g) group(p, g);
  return state_internal::Frame(magic, p);
}

// --- ShowroomState: grouped by nothing, the model the group's last part ---

std::string ShowroomHead() {
  std::string p;
  PutInt(p, 0);  // no group columns
  PutString(p, "UTC");
  PutInt(p, 0);  // no won visits counted
  return p;
}

void ShowroomGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "Model A" : "Model B");
  // visits, with_contact, effective, stayed, stay_seconds, won
  for (const int64_t v : {kNearMax, int64_t{0}, int64_t{0}, int64_t{0},
                          int64_t{0}, int64_t{0}}) {
    PutInt(p, v);
  }
}

TEST(ShowroomStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<ShowroomState>(
      Bytes("LKSHW1", ShowroomHead(), 1, ShowroomGroup), "showroom state",
      "visits");
}

TEST(ShowroomStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  // Finalize's total row would add them.
  EXPECT_THAT(ShowroomState::Deserialize(
                  Bytes("LKSHW1", ShowroomHead(), 2, ShowroomGroup)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("showroom state bytes: restoring overflows "
                                 "visits")));
}

// --- KpiState: by channel, leads near the end ---

std::string KpiHead() {
  std::string p;
  PutInt(p, 1);
  PutString(p, "channel");
  return p;
}

void KpiGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "web" : "phone");
  for (const KpiField& field : KpiFields()) {
    if (field.count == nullptr) continue;
    PutInt(p, field.name == "leads" ? kNearMax : 0);
  }
  PutInt(p, 0);  // an empty first-contact histogram
}

TEST(KpiStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<KpiState>(
      Bytes("LKKPI3", KpiHead(), 1, KpiGroup), "KPI state", "leads");
}

TEST(KpiStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  EXPECT_THAT(
      KpiState::Deserialize(Bytes("LKKPI3", KpiHead(), 2, KpiGroup)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("KPI state bytes: restoring overflows leads")));
}

// --- ActivityState: by consultant, one method ---

std::string ActivityHead() {
  std::string p;
  PutInt(p, 1);
  PutString(p, "consultant_id");
  PutString(p, "UTC");
  PutInt(p, 0);  // no new leads
  PutInt(p, 0);  // no other methods
  return p;
}

// Contacts are counted twice (in all and by method): half of the end each.
constexpr int64_t kHalf = kNearMax / 2;

void ActivityGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "C1" : "C2");
  for (const int64_t v : {kHalf, int64_t{0}, int64_t{0}}) PutInt(p, v);
  PutInt(p, 1);  // contacts by one method
  PutString(p, "phone");
  PutInt(p, kHalf);
}

TEST(ActivityStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<ActivityState>(
      Bytes("LKACT2", ActivityHead(), 1, ActivityGroup), "activity state",
      "contacts");
}

TEST(ActivityStateNearInt64, MethodCountsPastInt64DoNotRestore) {
  std::string p = ActivityHead();
  PutInt(p, 1);  // one group
  PutInt(p, 1);
  PutString(p, "C1");
  for (const int64_t v : {int64_t{5}, int64_t{0}, int64_t{0}}) PutInt(p, v);
  PutInt(p, 2);  // two methods whose contacts add up past int64
  PutString(p, "phone");
  PutInt(p, kNearMax);
  PutString(p, "wechat");
  PutInt(p, kNearMax);
  EXPECT_THAT(
      ActivityState::Deserialize(state_internal::Frame("LKACT2", p)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("activity state bytes: the contacts by method add "
                         "up to more than 9223372036854775807")));
}

TEST(ActivityStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  EXPECT_THAT(ActivityState::Deserialize(
                  Bytes("LKACT2", ActivityHead(), 2, ActivityGroup)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("activity state bytes: restoring overflows")));
}

// --- EffectivenessState: by method mix ---

void EffectivenessGroup(std::string& p, int g) {
  PutString(p, g == 0 ? "phone" : "wechat");
  // leads, won, touches, then the playbook's four (0: no playbook)
  for (const int64_t v : {kNearMax, int64_t{0}, int64_t{0}, int64_t{0},
                          int64_t{0}, int64_t{0}, int64_t{0}}) {
    PutInt(p, v);
  }
}

std::string EffectivenessHead() {
  std::string p;
  PutInt(p, 0);  // method mix
  PutInt(p, 5);
  for (const double bound : {1.0, 3.0, 7.0, 14.0, 30.0}) {
    PutInt(p, std::bit_cast<int64_t>(bound));
  }
  PutInt(p, 0);  // no playbook
  return p;
}

TEST(EffectivenessStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<EffectivenessState>(
      Bytes("LKEFF2", EffectivenessHead(), 1, EffectivenessGroup),
      "effectiveness state", "leads");
}

TEST(EffectivenessStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  EXPECT_THAT(
      EffectivenessState::Deserialize(
          Bytes("LKEFF2", EffectivenessHead(), 2, EffectivenessGroup)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("effectiveness state bytes: restoring overflows "
                         "leads")));
}

// --- LostAnalysisState: by nothing, the reason the group's last part ---

void LostGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "price" : "stock");
  // lost, approved, rejected, pending, review null
  for (const int64_t v :
       {kNearMax, kNearMax, int64_t{0}, int64_t{0}, int64_t{0}}) {
    PutInt(p, v);
  }
}

std::string LostHead() {
  std::string p;
  PutInt(p, 0);  // no group columns
  PutString(p, "UTC");
  return p;
}

TEST(LostAnalysisStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  // lost and approved together already pass int64: restoring one group is
  // refused, so the state merged holds half of each.
  std::string p = LostHead();
  PutInt(p, 1);
  PutInt(p, 1);
  PutString(p, "price");
  for (const int64_t v :
       {kHalf, kHalf, int64_t{0}, int64_t{0}, int64_t{0}}) {
    PutInt(p, v);
  }
  ExpectMergeWithCopyOverflows<LostAnalysisState>(
      state_internal::Frame("LKLST1", p), "lost analysis state", "lost");
}

TEST(LostAnalysisStateNearInt64, CountsPastInt64DoNotRestore) {
  EXPECT_THAT(LostAnalysisState::Deserialize(
                  Bytes("LKLST1", LostHead(), 1, LostGroup)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lost analysis state bytes: restoring "
                                 "overflows approved")));
}

// --- ProfileState: by channel ---

std::string ProfileHead() {
  std::string p;
  PutInt(p, 1);
  PutString(p, "channel");
  PutInt(p, 1);  // one age edge
  PutInt(p, 30);
  return p;
}

void ProfileGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "web" : "phone");
  for (const int64_t v : {kNearMax, int64_t{0}, int64_t{0}}) PutInt(p, v);
}

TEST(ProfileStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<ProfileState>(
      Bytes("LKPRF1", ProfileHead(), 1, ProfileGroup), "profile state",
      "leads");
}

TEST(ProfileStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  EXPECT_THAT(ProfileState::Deserialize(
                  Bytes("LKPRF1", ProfileHead(), 2, ProfileGroup)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profile state bytes: restoring overflows "
                                 "leads")));
}

// --- PipelineState: touches per won lead, ungrouped ---

std::string PipelineBytes(int64_t won_leads, int64_t touches) {
  std::string p;
  PutInt(p, static_cast<int64_t>(PipelineReport::kTouchesPerWonLead));
  PutInt(p, 0);  // by
  PutInt(p, 0);  // grades
  for (int i = 0; i < 4; ++i) PutInt(p, 0);  // at, start, end, as_of
  PutInt(p, 0);  // months
  PutString(p, "UTC");
  PutInt(p, 1);  // the one group, no key parts
  PutInt(p, won_leads);
  PutInt(p, touches);
  return state_internal::Frame("LKPIP1", p);
}

TEST(PipelineStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<PipelineState>(
      PipelineBytes(0, kNearMax), "pipeline state",
      "touches_per_won_lead count 1");
}

TEST(PipelineStateNearInt64, CountsPastInt64DoNotRestore) {
  EXPECT_THAT(
      PipelineState::Deserialize(PipelineBytes(kNearMax, kNearMax)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("pipeline state bytes: restoring overflows "
                         "touches_per_won_lead count 1")));
}

// --- BacktestState: one policy with one grade, by dealer_id ---

std::string BacktestHead() {
  std::string p;
  PutInt(p, 1);
  PutString(p, "current");
  PutInt(p, 1);
  PutString(p, "dealer_id");
  PutInt(p, 1);  // the policies' grades follow
  PutInt(p, 1);
  PutString(p, "A");
  PutInt(p, 0);  // no grade_after value left unread
  PutInt(p, 0);  // no grade change left out
  return p;
}

// A group of kNearMax leads, all of grade A, none closed, no tasks.
void BacktestGroup(std::string& p, int g) {
  PutInt(p, 1);
  PutString(p, g == 0 ? "D1" : "D2");
  for (const KpiField& field : KpiFields()) {
    if (field.count == nullptr) continue;
    PutInt(p, field.name == "leads" ? kNearMax : 0);
  }
  PutInt(p, 0);  // an empty first-contact histogram
  for (const int64_t v : {kNearMax, int64_t{0}, int64_t{0}}) PutInt(p, v);
  PutInt(p, 0);  // no consultant with a task
  PutInt(p, 0);  // no task without one
}

std::string BacktestBytes(int groups) {
  std::string p = BacktestHead();
  PutInt(p, groups);
  for (int g = 0; g < groups; ++g) BacktestGroup(p, g);
  PutInt(p, 0);  // no combination
  return state_internal::Frame("LKBKT1", p);
}

TEST(BacktestStateNearInt64, MergedWithItsCopyIsOutOfRange) {
  ExpectMergeWithCopyOverflows<BacktestState>(BacktestBytes(1),
                                              "backtest state", "leads");
}

TEST(BacktestStateNearInt64, TwoGroupsPastInt64DoNotRestore) {
  EXPECT_THAT(
      BacktestState::Deserialize(BacktestBytes(2)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("backtest state bytes: restoring overflows leads")));
}

}  // namespace
}  // namespace leadkit
