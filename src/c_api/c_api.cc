// The C ABI's library, policy and single-lead entry points (leadkit.h). Each
// converts its arguments, calls the C++ API and reports the status; the
// domain stays in the C++ engines.
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "c_api/c_api_internal.h"
#include "json_reader.h"
#include "leadkit/classify.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/issue.h"
#include "leadkit/lead_json.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"
#include "leadkit/tz.h"
#include "nlohmann/json.hpp"

#ifndef LEADKIT_VERSION_STRING
#error "LEADKIT_VERSION_STRING is set by CMake (the project's version)"
#endif

namespace leadkit::c_api_internal {
namespace {

// Written in the order leadkit.h documents.
using Json = nlohmann::ordered_json;

// The thread's last message. `out_of_memory` stands in for it when even the
// message could not be stored.
thread_local std::string last_error;
thread_local const char* last_error_fixed = nullptr;

lk_status CodeOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return LK_OK;
    case absl::StatusCode::kInvalidArgument:
      return LK_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return LK_NOT_FOUND;
    case absl::StatusCode::kFailedPrecondition:
      return LK_FAILED_PRECONDITION;
    case absl::StatusCode::kOutOfRange:
      return LK_OUT_OF_RANGE;
    default:
      return LK_INTERNAL;
  }
}


Json OptionalNumber(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// The classification of leadkit.h's lk_classify_json: the C++ Explanation,
// field by field.
std::string ExplanationJson(const nlohmann::json& lead_id,
                            const Explanation& e) {
  Json trace = Json::array();
  for (const TraceEntry& t : e.trace) {
    trace.push_back({{"rule", t.rule},
                     {"fired", t.fired},
                     {"condition", t.condition},
                     {"value", t.value},
                     {"points", OptionalNumber(t.points)}});
  }
  Json out = Json::object();
  out["lead_id"] = lead_id;
  out["grade"] = e.grade_name;
  out["rule"] = e.rule_id;
  out["reasons"] = e.reasons;
  out["trace"] = std::move(trace);
  out["score"] = OptionalNumber(e.score);
  return JsonText(out);
}

}  // namespace

std::string IssuesJson(std::span<const Issue> issues) {
  Json out = Json::array();
  for (const Issue& issue : issues) {
    out.push_back({{"severity", std::string(SeverityName(issue.severity))},
                   {"path", issue.path},
                   {"rule", issue.rule},
                   {"message", issue.message}});
  }
  return JsonText(out);
}

lk_status Report(const absl::Status& status) noexcept {
  try {
    last_error_fixed = nullptr;
    last_error.assign(status.message().data(), status.message().size());
  } catch (...) {
    return ReportOutOfMemory();
  }
  return CodeOf(status.code());
}

lk_status ReportOutOfMemory() noexcept {
  last_error_fixed = "leadkit: out of memory";
  return LK_INTERNAL;
}

char* CopyOut(absl::string_view text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

uint8_t* CopyBytesOut(absl::string_view bytes) {
  auto* out = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
  if (out == nullptr) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return out;
}

absl::Status NullArgument(absl::string_view function,
                          absl::string_view argument) {
  return absl::InvalidArgumentError(
      absl::StrCat(function, ": ", argument, " is NULL"));
}

}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::CopyOut;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

const char* lk_version(void) { return LEADKIT_VERSION_STRING; }

int lk_abi_version(void) { return LK_ABI_VERSION; }

const char* lk_last_error(void) {
  using namespace leadkit::c_api_internal;  // NOLINT: the two thread locals
  return last_error_fixed != nullptr ? last_error_fixed : last_error.c_str();
}

void lk_string_free(char* text) { std::free(text); }

lk_status lk_set_tz_dir(const char* directory) {
  return Guarded("lk_set_tz_dir", [&]() -> absl::Status {
    return leadkit::SetTimeZoneDirectory(directory == nullptr ? "" : directory);
  });
}

lk_status lk_tz_dir(char** directory) {
  if (directory != nullptr) *directory = nullptr;
  return Guarded("lk_tz_dir", [&]() -> absl::Status {
    if (directory == nullptr) return NullArgument("lk_tz_dir", "directory");
    *directory = CopyOut(leadkit::TimeZoneDirectory());
    return absl::OkStatus();
  });
}

lk_status lk_policy_from_json(const char* json, size_t json_len,
                              lk_policy** policy, char** issues) {
  if (policy != nullptr) *policy = nullptr;
  if (issues != nullptr) *issues = nullptr;
  return Guarded("lk_policy_from_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_policy_from_json";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (json == nullptr) return NullArgument(kFunction, "json");
    LEADKIT_ASSIGN_OR_RETURN(
        const leadkit::PolicyLoad load,
        leadkit::Policy::FromJson(absl::string_view(json, json_len)));
    if (issues != nullptr) {
      *issues =
          CopyOut(leadkit::c_api_internal::IssuesJson(load.issues()));
    }
    absl::StatusOr<leadkit::Policy> loaded = load.policy();
    if (!loaded.ok()) return loaded.status();
    *policy = new lk_policy{*std::move(loaded)};
    return absl::OkStatus();
  });
}

lk_status lk_policy_from_preset(const char* name, lk_policy** policy) {
  if (policy != nullptr) *policy = nullptr;
  return Guarded("lk_policy_from_preset", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_policy_from_preset";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (name == nullptr) return NullArgument(kFunction, "name");
    LEADKIT_ASSIGN_OR_RETURN(leadkit::Policy loaded,
                             leadkit::Policy::Preset(name));
    *policy = new lk_policy{std::move(loaded)};
    return absl::OkStatus();
  });
}

lk_status lk_policy_to_json(const lk_policy* policy, char** json) {
  if (json != nullptr) *json = nullptr;
  return Guarded("lk_policy_to_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_policy_to_json";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (json == nullptr) return NullArgument(kFunction, "json");
    *json = CopyOut(policy->policy.ToJson());
    return absl::OkStatus();
  });
}

void lk_policy_free(lk_policy* policy) { delete policy; }

void lk_bytes_free(uint8_t* bytes) { std::free(bytes); }

lk_status lk_cadence_from_policy(const lk_policy* policy,
                                 lk_cadence** cadence) {
  if (cadence != nullptr) *cadence = nullptr;
  return Guarded("lk_cadence_from_policy", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_cadence_from_policy";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (cadence == nullptr) return NullArgument(kFunction, "cadence");
    LEADKIT_ASSIGN_OR_RETURN(leadkit::Cadence made,
                             leadkit::Cadence::ForPolicy(policy->policy));
    *cadence = new lk_cadence{std::move(made)};
    return absl::OkStatus();
  });
}

void lk_cadence_free(lk_cadence* cadence) { delete cadence; }

lk_status lk_classify_json(const lk_policy* policy, const char* lead_json,
                           size_t lead_json_len, char** result) {
  if (result != nullptr) *result = nullptr;
  return Guarded("lk_classify_json", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_classify_json";
    if (policy == nullptr) return NullArgument(kFunction, "policy");
    if (lead_json == nullptr) return NullArgument(kFunction, "lead_json");
    if (result == nullptr) return NullArgument(kFunction, "result");
    // The documents' one reader first, so that malformed JSON is reported
    // where the caller wrote it; then the leads reader over the one lead.
    LEADKIT_ASSIGN_OR_RETURN(
        const nlohmann::json lead,
        leadkit::json_internal::ParseOrError(
            absl::string_view(lead_json, lead_json_len), "lead"));
    if (!lead.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lead: expected a JSON object of lead fields, got ",
          leadkit::json_internal::JsonKind(lead)));
    }
    LEADKIT_ASSIGN_OR_RETURN(
        const leadkit::LeadTable table,
        leadkit::LeadTable::FromJson(nlohmann::json::array({lead}).dump()));
    LEADKIT_ASSIGN_OR_RETURN(
        const leadkit::Explanation explanation,
        leadkit::Explain(policy->policy, table.columns(), 0));
    const auto id = lead.find("lead_id");
    *result = CopyOut(leadkit::c_api_internal::ExplanationJson(
        id != lead.end() ? *id : nlohmann::json(nullptr), explanation));
    return absl::OkStatus();
  });
}

}  // extern "C"
