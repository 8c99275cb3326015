// What the libFuzzer targets of tests/fuzz share: a check that stops the run
// on a broken property (a crash the fuzzer records), and the fixed data the
// targets read beside the fuzzed input.
#ifndef LEADKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define LEADKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdio>
#include <cstdlib>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "leadkit/cadence.h"
#include "leadkit/policy.h"
#include "leadkit/routing.h"

// Stops the run when `cond` does not hold: a property the API documents is
// broken for this input.
#define LEADKIT_FUZZ_CHECK(cond)                                            \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__,        \
                   __LINE__, #cond);                                        \
      std::abort();                                                         \
    }                                                                       \
  } while (false)

namespace leadkit::fuzz_internal {

// The phone key c_api_fuzz restores audit states with
// (lk_audit_state_deserialize_keyed); state_seeds writes a state under it.
inline constexpr std::array<uint8_t, 16> kCApiPhoneKey = {
    7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// A preset with its cadence.
struct Preset {
  Policy policy;
  Cadence cadence;
};

// Every preset, each with its cadence (built once: building one computes its
// calendar's table).
inline const std::vector<Preset>& Presets() {
  static const std::vector<Preset>* const presets = [] {
    auto* out = new std::vector<Preset>;
    for (const std::string& name : Policy::PresetNames()) {
      Policy policy = *Policy::Preset(name);
      Cadence cadence = *Cadence::ForPolicy(policy);
      out->push_back({std::move(policy), std::move(cadence)});
    }
    return out;
  }();
  return *presets;
}

// A status the API may answer a caller's bad input with. An internal or
// unknown error is a defect: it says the library lost track of the input.
inline bool IsCleanError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return !status.message().empty();
    default:
      return false;
  }
}

// OK, or an error a caller can act on.
#define LEADKIT_FUZZ_CHECK_CLEAN(status_expr)                                \
  do {                                                                       \
    const absl::Status _leadkit_fuzz_status = (status_expr);                 \
    if (!_leadkit_fuzz_status.ok() &&                                        \
        !::leadkit::fuzz_internal::IsCleanError(_leadkit_fuzz_status)) {     \
      std::fprintf(stderr, "%s:%d: unexpected status: %s\n", __FILE__,       \
                   __LINE__, _leadkit_fuzz_status.ToString().c_str());       \
      std::abort();                                                          \
    }                                                                        \
  } while (false)

// A few leads of the classification golden file, with the fields the presets
// read, and with created_at and the touches' times the cadence reads.
inline constexpr char kFixedLeads[] = R"([
  {"lead_id": "L01", "model": "C200", "asked_price": true,
   "purchase_within_days": 30, "created_at": "2025-03-03T09:15:00+08:00",
   "channel": "website", "status": "open", "grade": "high"},
  {"lead_id": "L02", "model": "GLC", "asked_config": true,
   "purchase_within_days": 90, "created_at": "2025-03-01T20:00:00+08:00"},
  {"lead_id": "L03", "test_drive": true, "deposit_paid": true,
   "purchase_within_days": 5, "store_visits": 2, "models_considered": 1,
   "created_at": "2025-02-28T23:59:59Z", "status": "won",
   "won_at": "2025-03-10T11:00:00+08:00"},
  {"lead_id": "L04", "name": "张三", "phone": "13800138000",
   "created_at": "2025-03-02T10:00:00+08:00", "status": "lost",
   "lost_at": "2025-03-05T10:00:00+08:00", "lost_reason": "price"},
  {"lead_id": "L05"}
])";

// Shanghai and Suzhou with two consultants each, Beijing with one: the
// network the router targets and the router seeds (state_seeds.cc) share.
inline const Network& FixedNetwork() {
  static const Network* const network = [] {
    std::vector<Dealer> dealers = {
        {.dealer_id = "D1", .region_id = "R1", .lat = 31.23, .lon = 121.47,
         .city = "Shanghai"},
        {.dealer_id = "D2", .region_id = "R1", .lat = 31.30, .lon = 120.62,
         .city = "Suzhou", .models = {"GLC"}},
        {.dealer_id = "D3", .region_id = "R2", .lat = 39.90, .lon = 116.40,
         .city = "Beijing"}};
    std::vector<Consultant> consultants = {
        {.consultant_id = "D1-C0", .dealer_id = "D1"},
        {.consultant_id = "D1-C1", .dealer_id = "D1", .experience_years = 3,
         .max_open_leads = 5},
        {.consultant_id = "D2-C0", .dealer_id = "D2", .models = {"GLC"}},
        {.consultant_id = "D2-C1", .dealer_id = "D2", .code = "S21"},
        {.consultant_id = "D3-C0", .dealer_id = "D3", .weight = 2}};
    return new Network(*Network::Create(dealers, consultants));
  }();
  return *network;
}

// The phone key of the router seeds: bytes 0, 1, ..., 15.
inline RouterOptions FixedRouterOptions() {
  RouterOptions options;
  std::array<uint8_t, 16> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  options.phone_key = key;
  return options;
}

}  // namespace leadkit::fuzz_internal

#endif  // LEADKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_
