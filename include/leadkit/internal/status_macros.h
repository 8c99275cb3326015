// Status propagation helpers. Debian's Abseil (20220623) does not ship public versions of
// these, so leadkit defines them once here.
//
//   LEADKIT_RETURN_IF_ERROR(DoThing());
//   LEADKIT_ASSIGN_OR_RETURN(Policy policy, LoadPolicy(text));
#ifndef LEADKIT_INTERNAL_STATUS_MACROS_H_
#define LEADKIT_INTERNAL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LEADKIT_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    const ::absl::Status leadkit_status_ = (expr);     \
    if (!leadkit_status_.ok()) return leadkit_status_; \
  } while (false)

#define LEADKIT_STATUS_CONCAT_INNER_(a, b) a##b
#define LEADKIT_STATUS_CONCAT_(a, b) LEADKIT_STATUS_CONCAT_INNER_(a, b)

#define LEADKIT_ASSIGN_OR_RETURN(lhs, rexpr) \
  LEADKIT_ASSIGN_OR_RETURN_IMPL_(            \
      LEADKIT_STATUS_CONCAT_(leadkit_statusor_, __LINE__), lhs, rexpr)

#define LEADKIT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // LEADKIT_INTERNAL_STATUS_MACROS_H_
