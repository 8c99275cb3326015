// GoogleTest matchers for absl::Status and absl::StatusOr, which Debian's Abseil lacks.
//
//   EXPECT_THAT(LoadThing(), IsOk());
//   EXPECT_THAT(FindZone("Asia/Shangai"),
//               StatusIs(absl::StatusCode::kNotFound, HasSubstr("Asia/Shangai")));
#ifndef LEADKIT_TESTS_STATUS_MATCHERS_H_
#define LEADKIT_TESTS_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace leadkit::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

}  // namespace leadkit::testing

#endif  // LEADKIT_TESTS_STATUS_MATCHERS_H_
