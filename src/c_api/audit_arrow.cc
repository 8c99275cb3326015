// The audit state over the C ABI (leadkit.h): Arrow streams of leads and
// touches read into Columns, AuditState (audit.h) does the rest, its findings
// go out as an Arrow stream of lead_id, finding and detail.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/audit.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/leadkit.h"

struct lk_audit_state {
  leadkit::AuditState state;
};

namespace leadkit::c_api_internal {
namespace {

// The leads columns the audit reads: the cadence's, the policy's fields, and
// the record's (audit.h).
std::vector<ColumnSpec> AuditLeadSpecs(const Cadence& cadence) {
  std::vector<std::string> names(std::begin(kCadenceLeadColumns),
                                 std::end(kCadenceLeadColumns));
  for (const std::string& f : cadence.policy().fields()) names.push_back(f);
  for (const char* f : {"name", "phone", "consultant_id"}) names.emplace_back(f);
  return LeadColumnSpecs(names);
}

}  // namespace

absl::Status AddToState(AuditState& state, const Cadence& cadence,
                        ArrowArrayStream* leads, ArrowArrayStream* touches,
                        int64_t as_of, int threads, const lk_scope* scope) {
  static const std::vector<ColumnSpec> kTouches = {
      {"at", FieldType::kInstant},
      {"method", FieldType::kString},
      {"grade_after", FieldType::kString},
      {"consultant_id", FieldType::kString}};
  const std::vector<ColumnSpec> lead_specs = AuditLeadSpecs(cadence);
  // The copy AddTables adds to shares the state's blocks.
  return AddTables(
      state,
      {{leads, "leads", lead_specs, "lead_id", scope},
       {touches, "touches", kTouches}},
      as_of,
      [&](AuditState& s, std::span<const Columns* const> t, Instant at,
          std::span<const uint8_t> include) {
        return s.Add(cadence, *t[0], *t[1], at, include, threads);
      });
}

namespace {

// leadkit.h's `phone_key`: NULL, or 16 bytes copied.
std::optional<std::array<uint8_t, 16>> PhoneKey(const uint8_t* phone_key) {
  if (phone_key == nullptr) return std::nullopt;
  std::array<uint8_t, 16> key;
  std::memcpy(key.data(), phone_key, key.size());
  return key;
}

// leadkit.h's lk_audit_state_finalize: lead_id and detail as utf8, finding as
// a dictionary over every code (leadkit.AUDIT_FINDINGS' order), written from
// the state's rows one at a time.
void ExportAudit(const AuditState& state, ArrowArrayStream* result) {
  std::string ids, details;
  std::vector<int64_t> id_offsets = {0}, detail_offsets = {0};
  std::vector<int32_t> codes;
  state.Finalize([&](absl::string_view lead_id, AuditFinding finding,
                     absl::string_view detail) {
    ids.append(lead_id.data(), lead_id.size());
    id_offsets.push_back(static_cast<int64_t>(ids.size()));
    details.append(detail.data(), detail.size());
    detail_offsets.push_back(static_cast<int64_t>(details.size()));
    codes.push_back(static_cast<int32_t>(finding));
  });
  const auto n = static_cast<int64_t>(codes.size());
  std::vector<std::string> names;
  for (int k = 0; k < kAuditFindingCount; ++k) {
    names.emplace_back(AuditFindingName(static_cast<AuditFinding>(k)));
  }
  std::vector<ArrowArray> columns;
  columns.push_back(ExportStringBuffers(
      n, false, [&](int64_t i) { return id_offsets[i]; }, ids.data(),
      static_cast<int64_t>(ids.size())));
  columns.push_back(ExportDictionary(std::move(codes), names));
  columns.push_back(ExportStringBuffers(
      n, false, [&](int64_t i) { return detail_offsets[i]; }, details.data(),
      static_cast<int64_t>(details.size())));
  std::vector<ArrowArray> batches;
  batches.push_back(ExportStruct(n, std::move(columns)));
  ExportStream(
      [] {
        std::vector<ArrowSchema> fields;
        fields.push_back(ExportSchema("u", "lead_id", 0));
        fields.push_back(ExportSchema("i", "finding", 0, {},
                                      ExportSchema("u", "", 0)));
        fields.push_back(ExportSchema("u", "detail", 0));
        return ExportSchema("+s", "", 0, std::move(fields));
      },
      std::move(batches), result);
}

}  // namespace
}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_audit_state_create(const uint8_t* phone_key,
                                lk_audit_state** state) {
  if (state != nullptr) *state = nullptr;
  return Guarded("lk_audit_state_create", [&]() -> absl::Status {
    if (state == nullptr) return NullArgument("lk_audit_state_create", "state");
    *state = new lk_audit_state{leadkit::AuditState(
        {.phone_key = leadkit::c_api_internal::PhoneKey(phone_key)})};
    return absl::OkStatus();
  });
}

lk_status lk_audit_state_add(lk_audit_state* state, const lk_cadence* cadence,
                             struct ArrowArrayStream* leads,
                             struct ArrowArrayStream* touches, int64_t as_of) {
  return Guarded("lk_audit_state_add", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_audit_state_add";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(state->state, cadence->cadence,
                                               leads, touches, as_of);
  });
}

lk_status lk_audit_state_add_scoped(lk_audit_state* state,
                                    const lk_cadence* cadence,
                                    struct ArrowArrayStream* leads,
                                    struct ArrowArrayStream* touches,
                                    const lk_scope* scope, int64_t as_of) {
  return Guarded("lk_audit_state_add_scoped", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_audit_state_add_scoped";
    ConsumeStreams consume({leads, touches});
    if (state == nullptr) return NullArgument(kFunction, "state");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    if (leads == nullptr) return NullArgument(kFunction, "leads");
    if (touches == nullptr) return NullArgument(kFunction, "touches");
    return leadkit::c_api_internal::AddToState(state->state, cadence->cadence,
                                               leads, touches, as_of, 1, scope);
  });
}

lk_status lk_audit_state_merge(lk_audit_state* state,
                               const lk_audit_state* other) {
  return leadkit::c_api_internal::MergeState("lk_audit_state_merge", state,
                                             other);
}

lk_status lk_audit_state_serialize(const lk_audit_state* state,
                                   uint8_t** bytes, size_t* size) {
  return leadkit::c_api_internal::SerializeState("lk_audit_state_serialize",
                                                 state, bytes, size);
}

lk_status lk_audit_state_deserialize(const uint8_t* bytes, size_t size,
                                     lk_audit_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_audit_state,
                                                   leadkit::AuditState>(
      "lk_audit_state_deserialize", bytes, size, state);
}

lk_status lk_audit_state_deserialize_keyed(const uint8_t* bytes, size_t size,
                                           const uint8_t* phone_key,
                                           lk_audit_state** state) {
  return leadkit::c_api_internal::DeserializeState<lk_audit_state,
                                                   leadkit::AuditState>(
      "lk_audit_state_deserialize_keyed", bytes, size, state,
      leadkit::c_api_internal::PhoneKey(phone_key));
}

lk_status lk_audit_state_finalize(const lk_audit_state* state,
                                  struct ArrowArrayStream* result) {
  return leadkit::c_api_internal::FinalizeState(
      "lk_audit_state_finalize", state, result,
      [](const auto& s, ArrowArrayStream* out) {
        leadkit::c_api_internal::ExportAudit(s, out);
      });
}

void lk_audit_state_free(lk_audit_state* state) { delete state; }

}  // extern "C"
