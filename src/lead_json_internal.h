// Not part of the API: the readers of lead_json.cc's values, for the other
// readers of JSON lead data (the C ABI's single-lead calls).
#ifndef LEADKIT_SRC_LEAD_JSON_INTERNAL_H_
#define LEADKIT_SRC_LEAD_JSON_INTERNAL_H_

#include <cstdint>
#include <string>

namespace leadkit::lead_json_internal {

// An instant of ISO 8601 text with an offset ("2026-03-02T09:15:00+08:00",
// "...Z", fractional seconds allowed) as whole seconds since the epoch
// (rounded down); false for other text (a naive time among it).
bool ParseInstant(const std::string& text, int64_t& seconds);

// A date "YYYY-MM-DD" as days since 1970-01-01; false for other text.
bool ParseDate(const std::string& text, int64_t& days);

}  // namespace leadkit::lead_json_internal

#endif  // LEADKIT_SRC_LEAD_JSON_INTERNAL_H_
