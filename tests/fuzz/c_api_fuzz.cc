// The C ABI's entry points that read a caller's bytes (leadkit.h), over
// arbitrary bytes: every lk_*_state_deserialize (and
// lk_audit_state_deserialize_keyed), lk_policy_from_json and
// lk_classify_json. Byte 0 picks the call — 0 to 7 the report states in
// state_fuzz's order (so that its seeds serve here too), 8 the policy, 9 the
// classification, 10 the backtest state, 11 the audit state restored with a
// key — byte 1 says whether a state's bytes are read as they are or first
// framed with its magic, length and checksum; the rest is the input.
// Every call answers with a status a caller can act on (never
// LK_INTERNAL or another), a message on failure and NULL outputs; a restored
// state saves, restores again, merges with its copy and finalizes to a
// stream that reads to its end. Leaks are AddressSanitizer's findings.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/leadkit.h"
#include "state_bytes.h"

namespace leadkit {
namespace {

// A status leadkit.h lets a call answer bad input with, and a message with
// it.
void CheckStatus(lk_status status) {
  switch (status) {
    case LK_OK:
      LEADKIT_FUZZ_CHECK(lk_last_error()[0] == '\0');
      return;
    case LK_INVALID_ARGUMENT:
    case LK_NOT_FOUND:
    case LK_FAILED_PRECONDITION:
    case LK_OUT_OF_RANGE:
      LEADKIT_FUZZ_CHECK(lk_last_error()[0] != '\0');
      return;
    default:
      std::fprintf(stderr, "unexpected status %d: %s\n", static_cast<int>(status),
                   lk_last_error());
      std::abort();
  }
}

// Reads a result stream to its end and releases it and all it gave.
void Drain(ArrowArrayStream* stream) {
  LEADKIT_FUZZ_CHECK(stream->release != nullptr);
  ArrowSchema schema;
  LEADKIT_FUZZ_CHECK(stream->get_schema(stream, &schema) == 0);
  schema.release(&schema);
  for (;;) {
    ArrowArray batch;
    LEADKIT_FUZZ_CHECK(stream->get_next(stream, &batch) == 0);
    if (batch.release == nullptr) break;
    batch.release(&batch);
  }
  stream->release(stream);
}

// One report state's protocol over the C ABI.
template <typename Handle>
struct StateCalls {
  absl::string_view magic;  // the current format's (state_bytes.h)
  lk_status (*deserialize)(const uint8_t*, size_t, Handle**);
  lk_status (*serialize)(const Handle*, uint8_t**, size_t*);
  lk_status (*merge)(Handle*, const Handle*);
  lk_status (*finalize)(const Handle*, ArrowArrayStream*);
  void (*free)(Handle*);
};

template <typename Handle>
void RoundTrip(const StateCalls<Handle>& calls, absl::string_view bytes) {
  Handle* state = reinterpret_cast<Handle*>(&state);  // must become NULL
  const lk_status status = calls.deserialize(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &state);
  CheckStatus(status);
  if (status != LK_OK) {
    LEADKIT_FUZZ_CHECK(state == nullptr);
    return;
  }
  uint8_t* saved = nullptr;
  size_t size = 0;
  CheckStatus(calls.serialize(state, &saved, &size));
  LEADKIT_FUZZ_CHECK(saved != nullptr || size == 0);
  Handle* again = nullptr;
  LEADKIT_FUZZ_CHECK(calls.deserialize(saved, size, &again) == LK_OK);
  lk_bytes_free(saved);
  CheckStatus(calls.merge(again, state));
  ArrowArrayStream result;
  const lk_status finalized = calls.finalize(again, &result);
  CheckStatus(finalized);
  if (finalized == LK_OK) {
    Drain(&result);
  } else {
    LEADKIT_FUZZ_CHECK(result.release == nullptr);
  }
  calls.free(again);
  calls.free(state);
}

// lk_showroom_state_finalize with the top three models.
lk_status FinalizeShowroom(const lk_showroom_state* state,
                           ArrowArrayStream* result) {
  return lk_showroom_state_finalize(state, 3, result);
}

// lk_backtest_state_finalize of every table: the first three read here, the
// grades handed back.
lk_status FinalizeBacktest(const lk_backtest_state* state,
                           ArrowArrayStream* result) {
  for (const char* table : {"summary", "task_load", "conversion"}) {
    const lk_status status = lk_backtest_state_finalize(state, table, result);
    CheckStatus(status);
    if (status != LK_OK) return status;
    Drain(result);
  }
  return lk_backtest_state_finalize(state, "grades", result);
}

// lk_audit_state_deserialize_keyed under the key of state_seeds' seed.
lk_status DeserializeAuditKeyed(const uint8_t* bytes, size_t size,
                                lk_audit_state** state) {
  return lk_audit_state_deserialize_keyed(
      bytes, size, fuzz_internal::kCApiPhoneKey.data(), state);
}

void State(int kind, absl::string_view bytes, bool frame) {
  const auto run = [&](const auto& calls) {
    if (frame) {
      RoundTrip(calls, state_internal::Frame(calls.magic, bytes));
    } else {
      RoundTrip(calls, bytes);
    }
  };
  switch (kind) {
    case 0:
      return run(StateCalls<lk_kpi_state>{
          "LKKPI3", lk_kpi_state_deserialize, lk_kpi_state_serialize,
          lk_kpi_state_merge, lk_kpi_state_finalize, lk_kpi_state_free});
    case 1:
      return run(StateCalls<lk_activity_state>{
          "LKACT2", lk_activity_state_deserialize, lk_activity_state_serialize,
          lk_activity_state_merge, lk_activity_state_finalize,
          lk_activity_state_free});
    case 2:
      return run(StateCalls<lk_audit_state>{
          "LKAUD2", lk_audit_state_deserialize, lk_audit_state_serialize,
          lk_audit_state_merge, lk_audit_state_finalize,
          lk_audit_state_free});
    case 3:
      return run(StateCalls<lk_effectiveness_state>{
          "LKEFF2", lk_effectiveness_state_deserialize,
          lk_effectiveness_state_serialize, lk_effectiveness_state_merge,
          lk_effectiveness_state_finalize, lk_effectiveness_state_free});
    case 4:
      return run(StateCalls<lk_lost_analysis_state>{
          "LKLST1", lk_lost_analysis_state_deserialize,
          lk_lost_analysis_state_serialize, lk_lost_analysis_state_merge,
          lk_lost_analysis_state_finalize, lk_lost_analysis_state_free});
    case 5:
      return run(StateCalls<lk_pipeline_state>{
          "LKPIP1", lk_pipeline_state_deserialize,
          lk_pipeline_state_serialize, lk_pipeline_state_merge,
          lk_pipeline_state_finalize, lk_pipeline_state_free});
    case 6:
      return run(StateCalls<lk_profile_state>{
          "LKPRF1", lk_profile_state_deserialize, lk_profile_state_serialize,
          lk_profile_state_merge, lk_profile_state_finalize,
          lk_profile_state_free});
    case 8:
      return run(StateCalls<lk_backtest_state>{
          "LKBKT1", lk_backtest_state_deserialize,
          lk_backtest_state_serialize, lk_backtest_state_merge,
          FinalizeBacktest, lk_backtest_state_free});
    case 9:
      return run(StateCalls<lk_audit_state>{
          "LKAUD2", DeserializeAuditKeyed, lk_audit_state_serialize,
          lk_audit_state_merge, lk_audit_state_finalize,
          lk_audit_state_free});
    case 7:
      return run(StateCalls<lk_showroom_state>{
          "LKSHW1", lk_showroom_state_deserialize,
          lk_showroom_state_serialize, lk_showroom_state_merge,
          FinalizeShowroom, lk_showroom_state_free});
  }
}

// A policy document: loaded, its canonical document loads again, and it
// classifies a fixed lead.
void PolicyFromJson(absl::string_view json) {
  lk_policy* policy = nullptr;
  char* issues = nullptr;
  const lk_status status =
      lk_policy_from_json(json.data(), json.size(), &policy, &issues);
  CheckStatus(status);
  if (status != LK_OK && status != LK_FAILED_PRECONDITION) {
    LEADKIT_FUZZ_CHECK(issues == nullptr);
  }
  lk_string_free(issues);
  if (status != LK_OK) {
    LEADKIT_FUZZ_CHECK(policy == nullptr);
    return;
  }
  char* canonical = nullptr;
  LEADKIT_FUZZ_CHECK(lk_policy_to_json(policy, &canonical) == LK_OK);
  lk_policy* again = nullptr;
  LEADKIT_FUZZ_CHECK(lk_policy_from_json(canonical, std::strlen(canonical),
                                         &again, nullptr) == LK_OK);
  lk_string_free(canonical);
  static constexpr absl::string_view kLead =
      R"({"lead_id": "F1", "created_at": "2025-03-01T10:00:00+08:00",
          "model": "C200", "asked_price": true, "purchase_within_days": 30})";
  char* result = nullptr;
  const lk_status classified =
      lk_classify_json(again, kLead.data(), kLead.size(), &result);
  CheckStatus(classified);
  LEADKIT_FUZZ_CHECK((classified == LK_OK) == (result != nullptr));
  lk_string_free(result);
  lk_policy_free(again);
  lk_policy_free(policy);
}

// A lead as JSON, classified under every preset.
void ClassifyJson(absl::string_view lead) {
  static lk_policy* const* const policies = [] {
    static lk_policy* loaded[4] = {};
    const char* names[] = {"three_level", "abcd", "oabc", "funnel"};
    for (int i = 0; i < 4; ++i) {
      LEADKIT_FUZZ_CHECK(lk_policy_from_preset(names[i], &loaded[i]) == LK_OK);
    }
    return loaded;
  }();
  for (int i = 0; i < 4; ++i) {
    char* result = reinterpret_cast<char*>(&result);  // must become NULL
    const lk_status status =
        lk_classify_json(policies[i], lead.data(), lead.size(), &result);
    CheckStatus(status);
    LEADKIT_FUZZ_CHECK((status == LK_OK) == (result != nullptr));
    lk_string_free(result);
  }
}

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int kind = data[0] % 12;
  const bool frame = (data[1] & 1) != 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 2,
                               size - 2);
  if (kind < 8) {
    leadkit::State(kind, rest, frame);
  } else if (kind == 8) {
    leadkit::PolicyFromJson(rest);
  } else if (kind == 9) {
    leadkit::ClassifyJson(rest);
  } else {
    leadkit::State(kind - 2, rest, frame);
  }
  return 0;
}
