// Not part of the API: what every entry point of the C ABI (leadkit.h) shares
// — the handles' definitions, the thread's last error, and the guard that
// keeps exceptions from crossing the boundary.
#ifndef LEADKIT_C_API_C_API_INTERNAL_H_
#define LEADKIT_C_API_C_API_INTERNAL_H_

#include <exception>
#include <new>
#include <span>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/calendar.h"
#include "leadkit/issue.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"
#include "nlohmann/json.hpp"

struct lk_policy {
  leadkit::Policy policy;
};

struct lk_calendar {
  leadkit::Calendar calendar;
};

struct lk_cadence {
  leadkit::Cadence cadence;
};

namespace leadkit::c_api_internal {

// Sets the thread's last error to the status's message ("" when OK) and
// returns its lk_status: the codes of leadkit.h keep their numbers, every
// other code is LK_INTERNAL.
lk_status Report(const absl::Status& status) noexcept;

// LK_INTERNAL with a fixed message, for when memory has run out (nothing is
// allocated).
lk_status ReportOutOfMemory() noexcept;

// A string leadkit hands out through a `char**`: malloc'ed, NUL-terminated,
// freed by lk_string_free. nullptr when memory runs out.
char* CopyOut(absl::string_view text);

// Bytes leadkit hands out through a `uint8_t**`: malloc'ed (at least one
// byte, so never NULL), freed by lk_bytes_free.
uint8_t* CopyBytesOut(absl::string_view bytes);

// A JSON document leadkit hands out, as text. Text from the caller inside it
// (a key or value quoted in a message, an id of an Arrow column, which nothing
// checks to be UTF-8) may hold bytes that are not UTF-8: each is written as
// U+FFFD, where dump() would throw (and the call answer LK_INTERNAL).
template <typename Json>
std::string JsonText(const Json& doc) {
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The issues of a document as leadkit.h's JSON array of {"severity", "path",
// "rule", "message"}.
std::string IssuesJson(std::span<const Issue> issues);

// Runs `body` (returning absl::Status) and reports its status. An exception
// thrown inside is caught here and becomes LK_INTERNAL with its message.
template <typename Body>
lk_status Guarded(absl::string_view function, Body&& body) noexcept {
  try {
    return Report(std::forward<Body>(body)());
  } catch (const std::bad_alloc&) {
    return ReportOutOfMemory();
  } catch (const std::exception& e) {
    try {
      return Report(
          absl::InternalError(absl::StrCat(function, ": ", e.what())));
    } catch (...) {
      return ReportOutOfMemory();
    }
  } catch (...) {
    try {
      return Report(
          absl::InternalError(absl::StrCat(function, ": unknown exception")));
    } catch (...) {
      return ReportOutOfMemory();
    }
  }
}

// InvalidArgument "<function>: <argument> is NULL".
absl::Status NullArgument(absl::string_view function,
                          absl::string_view argument);

}  // namespace leadkit::c_api_internal

#endif  // LEADKIT_C_API_C_API_INTERNAL_H_
