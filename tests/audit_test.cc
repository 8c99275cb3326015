// The supervisor's audit on the hand-worked example of docs/kpis.md, its
// scopes and thread counts, the state's merge and bytes, and bad input.
#include "leadkit/audit.h"

#include <array>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "date/date.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// docs/kpis.md: seven leads under oabc (open 09:00-18:00 every day; entry
// within 24 hours, first contact within one business hour), Shanghai time.
constexpr char kLeads[] = R"([
  {"lead_id": "A1", "created_at": "2024-06-10T09:00:00+08:00",
   "entered_at": "2024-06-10T10:00:00+08:00", "channel": "website", "name": "王伟",
   "phone": "138 0013 8000", "model": "C200", "grade": "A", "dealer_id": "D1",
   "consultant_id": "C1"},
  {"lead_id": "A2", "created_at": "2024-06-10T20:00:00+08:00",
   "entered_at": "2024-06-12T18:30:00+08:00", "channel": "website",
   "phone": "+86 138-0013-8000", "dealer_id": "D1", "consultant_id": "C1"},
  {"lead_id": "A3", "created_at": "2024-06-18T09:00:00+08:00", "channel": "website",
   "name": "李娜", "phone": "010-6552 8888", "model": "GLC", "grade": "B",
   "dealer_id": "D2", "consultant_id": "C2"},
  {"lead_id": "A4", "created_at": "2024-06-19T23:30:00+08:00",
   "entered_at": "2024-06-20T00:10:00+08:00", "channel": "website", "name": "赵敏",
   "phone": "12345", "model": "EQE", "grade": "C", "dealer_id": "D2",
   "consultant_id": "C2"},
  {"lead_id": "A5", "created_at": "2024-06-12T09:00:00+08:00",
   "entered_at": "2024-06-14T09:00:00+08:00", "channel": "website",
   "phone": "13800138000", "model": "C200", "grade": "A", "status": "invalid",
   "dealer_id": "D1", "consultant_id": "C1"},
  {"lead_id": "A6", "created_at": "2024-06-21T09:00:00+08:00", "channel": "website",
   "model": "GLA", "dealer_id": "D1", "consultant_id": "C1"},
  {"lead_id": "A7", "created_at": "2024-06-15T10:00:00+08:00", "channel": "website",
   "name": "周平", "phone": "0755 2345 6789", "grade": "C", "consultant_id": "C3"}
])";

Instant Shanghai(const std::string& local) {
  std::istringstream in(local);
  date::local_seconds t;
  in >> date::parse("%F %R", t);
  return Instant(t.time_since_epoch() - std::chrono::hours(8));
}

// Touches: lead_id, at, method, consultant_id, each a column of its own.
struct Touches {
  std::vector<std::string> ids_dict, methods = {"phone", "sms", "wechat"},
                                     by_dict;
  std::vector<int32_t> ids, method, by;
  std::vector<int64_t> at;

  static int32_t Code(std::vector<std::string>& dict, const std::string& s) {
    auto it = std::find(dict.begin(), dict.end(), s);
    if (it == dict.end()) {
      dict.push_back(s);
      return static_cast<int32_t>(dict.size() - 1);
    }
    return static_cast<int32_t>(it - dict.begin());
  }
  void Add(const std::string& id, const std::string& local,
           const std::string& how, const std::string& who) {
    ids.push_back(Code(ids_dict, id));
    at.push_back(Shanghai(local).time_since_epoch().count());
    method.push_back(Code(methods, how));
    by.push_back(who.empty() ? -1 : Code(by_dict, who));
  }
  Columns Table() const {
    Columns c(static_cast<int64_t>(ids.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(ids, ids_dict)), IsOk());
    EXPECT_THAT(c.Add("at", Column::Instants(at)), IsOk());
    EXPECT_THAT(c.Add("method", Column::Codes(method, methods)), IsOk());
    EXPECT_THAT(c.Add("consultant_id", Column::Codes(by, by_dict)), IsOk());
    return c;
  }
};

struct Example {
  Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"));
  LeadTable leads = *LeadTable::FromJson(kLeads);
  Touches touches;
  Instant as_of = Shanghai("2024-06-20 12:00");

  Example() {
    touches.Add("A1", "2024-06-10 09:30", "phone", "C1");
    touches.Add("A2", "2024-06-11 09:30", "wechat", "C2");
    touches.Add("A4", "2024-06-20 09:05", "phone", "C2");
    touches.Add("A5", "2024-06-12 09:10", "phone", "C9");
    touches.Add("A7", "2024-06-15 10:30", "phone", "C3");
    touches.Add("A7", "2024-06-21 10:00", "phone", "C4");
  }

  AuditState Run(std::span<const uint8_t> include = {}, int threads = 1,
                 AuditOptions options = {}) const {
    AuditState state(options);
    EXPECT_THAT(state.Add(cadence, leads.columns(), touches.Table(), as_of,
                          include, threads),
                IsOk());
    return state;
  }
};

using Finding = std::tuple<std::string, std::string, std::string>;

std::vector<Finding> Rows(const AuditState& state) {
  std::vector<Finding> out;
  for (const AuditRow& r : state.Finalize()) {
    out.emplace_back(r.lead_id, std::string(AuditFindingName(r.finding)),
                     r.detail);
  }
  return out;
}

// Worked out by hand (docs/kpis.md, "By hand"):
// - A1 and A2 share 13800138000 once normalised.
// - A2 lacks name, model and grade (oabc classifies a lead without a purchase
//   date C); entry due 06-11 20:00, after closing, so by 06-12 18:00: entered
//   18:30, late and two days after collection; first contact due 06-11 10:00
//   (collected after hours), the 09:30 WeChat message is on time but no call,
//   and by C2, not A2's C1.
// - A3: no touch, due 06-18 10:00, passed by as_of.
// - A4: 12345 is no China number (masked ***45); entered 00:10 the next day.
// - A5 is invalid: only its missing name, not its late entry, its touch by C9
//   or its number (A1's).
// - A6 is created after as_of; A7 lacks a model, its 06-21 touch is later.
const std::vector<Finding> kExpected = {
    {"A1", "duplicate_phone", "same phone (138****8000) as A2"},
    {"A2", "missing_name", "name is empty"},
    {"A2", "missing_model", "model is empty"},
    {"A2", "missing_grade", "grade is empty (the policy classifies it C)"},
    {"A2", "entered_late", "entered 2024-06-12 18:30, due by 2024-06-12 18:00"},
    {"A2", "entered_next_day",
     "collected 2024-06-10 20:00, entered 2024-06-12 18:30"},
    {"A2", "first_contact_not_phone", "first touch by wechat at 2024-06-11 09:30"},
    {"A2", "duplicate_phone", "same phone (138****8000) as A1"},
    {"A2", "touch_by_other_consultant",
     "1 touch by C2 (the lead's consultant is C1); first at 2024-06-11 09:30"},
    {"A3", "first_contact_late",
     "no touch by 2024-06-20 12:00, due by 2024-06-18 10:00"},
    {"A4", "invalid_phone",
     "phone ***45 is not a China mobile or landline number"},
    {"A4", "entered_next_day",
     "collected 2024-06-19 23:30, entered 2024-06-20 00:10"},
    {"A5", "missing_name", "name is empty"},
    {"A7", "missing_model", "model is empty"},
};

TEST(Audit, HandWorkedExample) {
  EXPECT_EQ(Rows(Example().Run()), kExpected);
}

TEST(Audit, FindingNamesAreTheContract) {
  EXPECT_EQ(AuditFindingName(AuditFinding::kMissingName), "missing_name");
  EXPECT_EQ(AuditFindingName(AuditFinding::kInvalidPhone), "invalid_phone");
  EXPECT_EQ(AuditFindingName(AuditFinding::kDuplicatePhone), "duplicate_phone");
  EXPECT_EQ(AuditFindingName(AuditFinding::kTouchByOtherConsultant),
            "touch_by_other_consultant");
}

TEST(Audit, AnyThreadCountGivesTheSameState) {
  const Example ex;
  const AuditState one = ex.Run();
  for (int threads : {2, 3, 7, 16}) {
    EXPECT_EQ(ex.Run({}, threads), one) << threads << " threads";
  }
}

// The scope as the include mask: D2 (A3, A4) sees no duplicate; D1 (A1, A2,
// A5, A6) keeps A1 and A2's.
TEST(Audit, ScopeMaskLeavesOtherLeadsOut) {
  const Example ex;
  const std::vector<uint8_t> d2 = {0, 0, 1, 1, 0, 0, 0};
  std::vector<Finding> want;
  for (const Finding& f : kExpected) {
    if (std::get<0>(f) == "A3" || std::get<0>(f) == "A4") want.push_back(f);
  }
  EXPECT_EQ(Rows(ex.Run(d2)), want);
  // A2 alone: its record and follow-up findings, but no duplicate.
  const std::vector<uint8_t> a2 = {0, 1, 0, 0, 0, 0, 0};
  const std::vector<Finding> rows = Rows(ex.Run(a2));
  ASSERT_EQ(rows.size(), 7u);
  for (const Finding& f : rows) EXPECT_NE(std::get<1>(f), "duplicate_phone");
}

// Leads split over two states (A1 in one, A2 in the other) find their
// duplicate once merged, in either order.
TEST(Audit, MergedStatesEqualTheWhole) {
  const Example ex;
  const std::vector<uint8_t> first = {1, 0, 1, 0, 1, 0, 1};
  const std::vector<uint8_t> second = {0, 1, 0, 1, 0, 1, 0};
  AuditState a = ex.Run(first);
  AuditState b = ex.Run(second);
  for (const AuditRow& r : a.Finalize()) {
    EXPECT_NE(r.finding, AuditFinding::kDuplicatePhone) << r.lead_id;
  }
  AuditState ab = a, ba = b;
  ASSERT_THAT(ab.Merge(b), IsOk());
  ASSERT_THAT(ba.Merge(a), IsOk());
  EXPECT_EQ(ab, ba);
  EXPECT_EQ(ab, ex.Run());
  EXPECT_EQ(Rows(ab), kExpected);
}

TEST(Audit, BytesRoundTrip) {
  const AuditState state = Example().Run();
  absl::StatusOr<AuditState> back = AuditState::Deserialize(state.Serialize());
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, state);
  absl::StatusOr<AuditState> empty =
      AuditState::Deserialize(AuditState().Serialize());
  ASSERT_THAT(empty.status(), IsOk());
  EXPECT_EQ(*empty, AuditState());
}

TEST(Audit, BadBytesAreAnError) {
  EXPECT_THAT(
      AuditState::Deserialize("nonsense"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad header")));
  const std::string bytes = Example().Run().Serialize();
  EXPECT_THAT(
      AuditState::Deserialize(bytes.substr(0, bytes.size() - 3)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(
      AuditState::Deserialize(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string changed = bytes;
      changed[i] =
          static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
      EXPECT_THAT(AuditState::Deserialize(changed),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("audit state bytes")))
          << "byte " << i;
    }
  }
}

constexpr std::array<uint8_t, 16> kKey = {1, 2,  3,  4,  5,  6,  7,  8,
                                          9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::array<uint8_t, 16> kOtherKey = {16, 15, 14, 13, 12, 11, 10, 9,
                                               8,  7,  6,  5,  4,  3,  2,  1};

TEST(Audit, StateBytesHoldNoPhoneNumber) {
  // A1 and A2 share 13800138000; A3 has the landline 01065528888, A6
  // 075523456789. Under a key or the fixed one, the bytes hold the masked
  // numbers the details show, never the numbers (nor their hidden digits).
  const Example ex;
  for (const AuditOptions& options :
       {AuditOptions{}, AuditOptions{.phone_key = kKey}}) {
    const AuditState state = ex.Run({}, 1, options);
    EXPECT_EQ(Rows(state), kExpected);
    const std::string bytes = state.Serialize();
    EXPECT_EQ(bytes.substr(0, 6), "LKAUD2");
    for (const char* number :
         {"13800138000", "01065528888", "075523456789", "0013", "6552",
          "552345"}) {
      EXPECT_EQ(bytes.find(number), std::string::npos) << number;
    }
    EXPECT_NE(bytes.find("138****8000"), std::string::npos);
  }
}

TEST(Audit, StatesUnderOtherPhoneKeysDoNotMerge) {
  const Example ex;
  const std::vector<uint8_t> first = {1, 0, 1, 0, 1, 0, 1};
  const std::vector<uint8_t> second = {0, 1, 0, 1, 0, 1, 0};
  AuditState keyed = ex.Run(first, 1, {.phone_key = kKey});
  EXPECT_THAT(keyed.Merge(ex.Run(second, 1, {.phone_key = kOtherKey})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different phone_keys")));
  EXPECT_THAT(keyed.Merge(ex.Run(second)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different phone_keys")));
  // Under one key, A1 and A2 (in different states) are found duplicates.
  ASSERT_THAT(keyed.Merge(ex.Run(second, 1, {.phone_key = kKey})), IsOk());
  EXPECT_EQ(Rows(keyed), kExpected);
  EXPECT_EQ(keyed, ex.Run({}, 1, {.phone_key = kKey}));
  EXPECT_NE(keyed, ex.Run());
}

TEST(Audit, KeyedBytesRestoreWithOrWithoutTheirKey) {
  const Example ex;
  const std::vector<uint8_t> first = {1, 0, 1, 0, 1, 0, 1};
  const std::vector<uint8_t> second = {0, 1, 0, 1, 0, 1, 0};
  const std::string bytes = ex.Run(first, 1, {.phone_key = kKey}).Serialize();
  // Without the key: merges and finalizes, but cannot add.
  absl::StatusOr<AuditState> restored = AuditState::Deserialize(bytes);
  ASSERT_THAT(restored, IsOk());
  ASSERT_THAT(restored->Merge(ex.Run(second, 1, {.phone_key = kKey})), IsOk());
  EXPECT_EQ(Rows(*restored), kExpected);
  AuditState cannot = *AuditState::Deserialize(bytes);
  EXPECT_THAT(cannot.Add(ex.cadence, ex.leads.columns(), ex.touches.Table(),
                         ex.as_of, second),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("restore it with the key")));
  // With it: adds too. Under another key: refused.
  absl::StatusOr<AuditState> with_key = AuditState::Deserialize(bytes, kKey);
  ASSERT_THAT(with_key, IsOk());
  ASSERT_THAT(with_key->Add(ex.cadence, ex.leads.columns(), ex.touches.Table(),
                            ex.as_of, second),
              IsOk());
  EXPECT_EQ(Rows(*with_key), kExpected);
  EXPECT_THAT(AuditState::Deserialize(bytes, kOtherKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("another phone_key")));
  // Bytes of a state without a key add after a restore.
  AuditState plain = *AuditState::Deserialize(ex.Run(first).Serialize());
  ASSERT_THAT(plain.Add(ex.cadence, ex.leads.columns(), ex.touches.Table(),
                        ex.as_of, second),
              IsOk());
  EXPECT_EQ(plain, ex.Run());
}

TEST(Audit, BytesKeepEveryDetailExactly) {
  // The bytes take each wall time out of a detail and write it as a number:
  // text that only looks like one, or holds the byte that marks a time, must
  // come back as it was. The consultant ids land in A2's
  // touch_by_other_consultant detail.
  for (const std::string& who :
       {std::string("1999-12-31 23:59"), std::string("2024-02-30 10:00"),
        std::string("2024-13-01 10:00"), std::string("0000-01-01 00:00"),
        std::string("9999-12-31 23:59"), std::string("x\x01y"),
        std::string("2024-06-12 18:3"), std::string("\x01")}) {
    SCOPED_TRACE(who);
    Example ex;
    ex.touches.by[1] = Touches::Code(ex.touches.by_dict, who);
    const AuditState state = ex.Run();
    bool shown = false;
    for (const AuditRow& row : state.Finalize()) {
      shown |= row.detail.find(who) != std::string::npos;
    }
    EXPECT_TRUE(shown);
    absl::StatusOr<AuditState> back = AuditState::Deserialize(state.Serialize());
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(*back, state);
    EXPECT_EQ(Rows(*back), Rows(state));
  }
}

// A state of many Adds keeps its findings in blocks merged as they come: one
// lead at a time, in either order, it is the state of one Add, to the byte.
TEST(Audit, OneLeadAtATimeEqualsTheWhole) {
  const Example ex;
  const AuditState whole = ex.Run();
  for (const bool reversed : {false, true}) {
    SCOPED_TRACE(reversed ? "last lead first" : "first lead first");
    AuditState state;
    for (int i = 0; i < 7; ++i) {
      std::vector<uint8_t> one(7, 0);
      one[static_cast<size_t>(reversed ? 6 - i : i)] = 1;
      ASSERT_THAT(state.Add(ex.cadence, ex.leads.columns(), ex.touches.Table(),
                            ex.as_of, one),
                  IsOk());
    }
    EXPECT_EQ(Rows(state), kExpected);
    EXPECT_EQ(state, whole);
    EXPECT_EQ(state.Serialize(), whole.Serialize());
  }
}

// More states than a state keeps blocks (they are then written as one), with
// duplicates across them: the state of one Add.
TEST(Audit, ManyMergedStatesEqualTheWhole) {
  constexpr int kLeads = 150;
  std::string json = "[";
  Touches touches;
  for (int i = 0; i < kLeads; ++i) {
    const std::string id = absl::StrCat("N", 1000 + (i * 37) % kLeads);
    // Every third lead lacks a model; leads share a number in fives.
    absl::StrAppend(&json, i ? "," : "", R"({"lead_id": ")", id,
                    R"(", "created_at": "2024-06-10T09:00:00+08:00",
                    "channel": "website", "name": "张三", "grade": "C",)",
                    i % 3 == 0 ? "" : R"("model": "C200",)",
                    R"("phone": "1390000)", 1000 + i / 5, R"("})");
    touches.Add(id, "2024-06-10 09:10", "phone", "");
  }
  json += "]";
  const LeadTable leads = *LeadTable::FromJson(json);
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"));
  const Instant as_of = Shanghai("2024-06-20 12:00");
  AuditState whole;
  ASSERT_THAT(whole.Add(cadence, leads.columns(), touches.Table(), as_of),
              IsOk());
  AuditState merged;
  for (int i = 0; i < kLeads; ++i) {
    std::vector<uint8_t> one(kLeads, 0);
    one[static_cast<size_t>(i)] = 1;
    AuditState part;
    ASSERT_THAT(part.Add(cadence, leads.columns(), touches.Table(), as_of, one),
                IsOk());
    ASSERT_THAT(merged.Merge(part), IsOk());
  }
  const std::vector<AuditRow> rows = whole.Finalize();
  // 50 missing models and 150 duplicates.
  ASSERT_EQ(rows.size(), 200u);
  EXPECT_EQ(merged.Finalize(), rows);
  EXPECT_EQ(merged, whole);
  EXPECT_EQ(merged.Serialize(), whole.Serialize());
}

// Leads are meant to be added once; a state merged with itself holds each
// finding twice (a lead is never its own duplicate: A1 and A2 still list
// only each other), and its bytes restore it.
TEST(Audit, StateMergedWithItselfHoldsEachFindingTwice) {
  const Example ex;
  AuditState twice = ex.Run();
  ASSERT_THAT(twice.Merge(twice), IsOk());
  std::vector<Finding> want;
  for (const Finding& f : kExpected) {
    want.push_back(f);
    want.push_back(f);
  }
  EXPECT_EQ(Rows(twice), want);
  absl::StatusOr<AuditState> back = AuditState::Deserialize(twice.Serialize());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, twice);
  EXPECT_EQ(Rows(*back), Rows(twice));
}

// Forged bytes whose count lies near int64's end: a merge that would pass it
// is OutOfRange, not a signed overflow.
TEST(Audit, ForgedCountNearInt64EndDoesNotOverflowOnMerge) {
  std::string payload;
  state_internal::PutInt(payload, static_cast<int64_t>(AuditState().key_check()));
  state_internal::PutInt(payload, std::numeric_limits<int64_t>::max() - 1);
  for (int i = 0; i < 3; ++i) state_internal::PutInt(payload, 0);
  absl::StatusOr<AuditState> forged =
      AuditState::Deserialize(state_internal::Frame("LKAUD2", payload));
  ASSERT_THAT(forged, IsOk());
  AuditState copy = *forged;
  EXPECT_THAT(copy.Merge(*forged),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("estimated")));
  EXPECT_EQ(copy, *forged);  // unchanged
}

// Blank text is missing: spaces, tabs and the ideographic space (U+3000)
// Chinese input methods type. (A grade must be one of the policy's or null.)
TEST(Audit, BlankTextIsMissing) {
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("oabc"));
  const LeadTable leads = *LeadTable::FromJson(R"([
    {"lead_id": "B1", "created_at": "2024-06-10T09:00:00+08:00", "channel": "website",
     "name": "  ", "phone": "13900000000", "model": "\u3000 \t",
     "entered_at": "2024-06-10T09:00:00+08:00"},
    {"lead_id": "B2", "created_at": "2024-06-10T09:00:00+08:00", "channel": "website",
     "name": " 张 ", "phone": "", "model": "C200", "grade": "B",
     "entered_at": "2024-06-10T09:00:00+08:00"}
  ])");
  Touches touches;
  touches.Add("B1", "2024-06-10 09:10", "phone", "");
  touches.Add("B2", "2024-06-10 09:10", "phone", "");
  AuditState state;
  ASSERT_THAT(state.Add(cadence, leads.columns(), touches.Table(),
                        Shanghai("2024-06-11 09:00")),
              IsOk());
  // B1: no purchase date, so oabc's default grade C.
  const std::vector<Finding> want = {
      {"B1", "missing_name", "name is empty"},
      {"B1", "missing_model", "model is empty"},
      {"B1", "missing_grade", "grade is empty (the policy classifies it C)"},
      {"B2", "missing_phone", "phone is empty"},
  };
  EXPECT_EQ(Rows(state), want);
}

// Eleven-plus leads on one number list ten others, then how many more.
TEST(Audit, ManyDuplicatesListTenThenACount) {
  std::string json = "[";
  for (int i = 0; i < 13; ++i) {
    absl::StrAppend(&json, i ? "," : "", R"({"lead_id": "M)", i < 10 ? "0" : "",
                    i, R"(", "created_at": "2024-06-10T09:00:00+08:00",
                    "channel": "website", "name": "张三", "model": "C200",
                    "grade": "C", "phone": "139-0000-0000"})");
  }
  json += "]";
  const LeadTable leads = *LeadTable::FromJson(json);
  Touches touches;
  for (int i = 0; i < 13; ++i) {
    touches.Add(absl::StrCat("M", i < 10 ? "0" : "", i), "2024-06-10 09:10",
                "phone", "");
  }
  AuditState state;
  ASSERT_THAT(state.Add(*Cadence::ForPolicy(*Policy::Preset("oabc")),
                        leads.columns(), touches.Table(),
                        Shanghai("2024-06-20 12:00")),
              IsOk());
  const std::vector<AuditRow> rows = state.Finalize();
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_EQ(rows[0].detail,
            "same phone (139****0000) as M01, M02, M03, M04, M05, M06, M07, "
            "M08, M09, M10 and 2 more");
  EXPECT_EQ(rows[5].detail,
            "same phone (139****0000) as M00, M01, M02, M03, M04, M06, M07, "
            "M08, M09, M10 and 2 more");
  EXPECT_EQ(rows[12].detail,
            "same phone (139****0000) as M00, M01, M02, M03, M04, M05, M06, "
            "M07, M08, M09 and 2 more");
}

// Two numbers, each one's group listed apart: eleven leads on 139 list the
// ten others and no count; two on 137 list each other. Merged with itself,
// the state has each finding twice and the same details (a lead given twice
// is one lead of its group).
TEST(Audit, DuplicateGroupsAreListedApart) {
  std::string json = "[";
  Touches touches;
  for (int i = 0; i < 13; ++i) {
    const std::string id = absl::StrCat(i < 11 ? "N" : "P", i < 10 ? "0" : "", i);
    absl::StrAppend(&json, i ? "," : "", R"({"lead_id": ")", id,
                    R"(", "created_at": "2024-06-10T09:00:00+08:00",
                    "channel": "website", "name": "张三", "model": "C200",
                    "grade": "C", "phone": ")",
                    i < 11 ? "13900000000" : "+86 137 0000 1111", R"("})");
    touches.Add(id, "2024-06-10 09:10", "phone", "");
  }
  json += "]";
  const LeadTable leads = *LeadTable::FromJson(json);
  AuditState state;
  ASSERT_THAT(state.Add(*Cadence::ForPolicy(*Policy::Preset("oabc")),
                        leads.columns(), touches.Table(),
                        Shanghai("2024-06-20 12:00")),
              IsOk());
  const std::vector<Finding> want = {
      {"N00", "duplicate_phone",
       "same phone (139****0000) as N01, N02, N03, N04, N05, N06, N07, N08, "
       "N09, N10"},
      {"N01", "duplicate_phone",
       "same phone (139****0000) as N00, N02, N03, N04, N05, N06, N07, N08, "
       "N09, N10"},
      {"N02", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N03, N04, N05, N06, N07, N08, "
       "N09, N10"},
      {"N03", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N04, N05, N06, N07, N08, "
       "N09, N10"},
      {"N04", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N05, N06, N07, N08, "
       "N09, N10"},
      {"N05", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N06, N07, N08, "
       "N09, N10"},
      {"N06", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N05, N07, N08, "
       "N09, N10"},
      {"N07", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N05, N06, N08, "
       "N09, N10"},
      {"N08", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N05, N06, N07, "
       "N09, N10"},
      {"N09", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N05, N06, N07, "
       "N08, N10"},
      {"N10", "duplicate_phone",
       "same phone (139****0000) as N00, N01, N02, N03, N04, N05, N06, N07, "
       "N08, N09"},
      {"P11", "duplicate_phone", "same phone (137****1111) as P12"},
      {"P12", "duplicate_phone", "same phone (137****1111) as P11"},
  };
  EXPECT_EQ(Rows(state), want);
  ASSERT_THAT(state.Merge(state), IsOk());
  std::vector<Finding> twice;
  for (const Finding& f : want) {
    twice.push_back(f);
    twice.push_back(f);
  }
  EXPECT_EQ(Rows(state), twice);
}

TEST(Audit, BadInputNamesTableRowAndId) {
  const Example ex;
  Touches orphan = ex.touches;
  orphan.Add("A9", "2024-06-15 10:30", "phone", "C1");
  AuditState state;
  EXPECT_THAT(state.Add(ex.cadence, ex.leads.columns(), orphan.Table(),
                        ex.as_of),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("touches row 6: lead_id \"A9\" is not in "
                                 "the leads")));
  // A text column of numbers.
  Columns leads = ex.leads.columns();
  const std::vector<int64_t> numbers(7, 13800138000);
  Columns with_numbers(7);
  for (const auto& [name, column] : leads.columns()) {
    if (name != "phone") ASSERT_THAT(with_numbers.Add(name, column), IsOk());
  }
  ASSERT_THAT(with_numbers.Add("phone", Column::Int64s(numbers)), IsOk());
  const absl::Status status =
      state.Add(ex.cadence, with_numbers, ex.touches.Table(), ex.as_of);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("leads.phone")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("13800138000")));
  const std::vector<uint8_t> short_mask = {1, 1};
  EXPECT_THAT(state.Add(ex.cadence, ex.leads.columns(), ex.touches.Table(),
                        ex.as_of, short_mask),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("include holds 2 flags for 7 leads")));
}

}  // namespace
}  // namespace leadkit
