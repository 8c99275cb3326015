// Calendar::FromJson over arbitrary text. A calendar that loads must give a
// canonical document that loads to an equal calendar with the same text, and
// its business-time arithmetic must answer every instant a pandas timestamp
// can hold with a result or a clean error, keeping the documented equations:
//   IsOpen(NextOpen(t)),  NextOpen(t) >= t,
//   BusinessBetween(t, AddBusiness(t, d)) == d.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/calendar.h"

namespace leadkit {
namespace {

using std::chrono::seconds;

// Instants around the presets' data and DST nights, the epoch, and the ends
// of what a pandas timestamp holds (1677-09-21 .. 2262-04-11).
constexpr int64_t kInstants[] = {
    1715333400,   // Friday 2024-05-10 17:30 in Shanghai
    1740964500,   // 2025-03-03 09:15 in Shanghai
    1546300800,   // 2019-01-01T00:00Z
    1798709400,   // 2026-12-31 17:30 in Shanghai
    1710063000,   // 2024-03-10, a spring-forward day in America
    1730615400,   // 2024-11-03, a fall-back day in America
    0,
    -9223372036,  // the earliest pandas timestamp, in seconds
    9223372036,   // the latest
};

constexpr int64_t kDurations[] = {0, 1, 3600, 3 * 86400, 400 * 86400};

void CheckArithmetic(const Calendar& calendar, Instant t) {
  bool estimated = false;
  absl::StatusOr<bool> open = calendar.IsOpen(t, &estimated);
  LEADKIT_FUZZ_CHECK_CLEAN(open.status());
  absl::StatusOr<Instant> next = calendar.NextOpen(t, &estimated);
  LEADKIT_FUZZ_CHECK_CLEAN(next.status());
  if (next.ok()) {
    LEADKIT_FUZZ_CHECK(*next >= t);
    if (open.ok() && *open) LEADKIT_FUZZ_CHECK(*next == t);
    absl::StatusOr<bool> open_then = calendar.IsOpen(*next, &estimated);
    LEADKIT_FUZZ_CHECK_CLEAN(open_then.status());
    if (open_then.ok()) LEADKIT_FUZZ_CHECK(*open_then);
  }
  absl::StatusOr<Instant> rolled = calendar.RollToOpen(t, &estimated);
  LEADKIT_FUZZ_CHECK_CLEAN(rolled.status());
  if (rolled.ok() && next.ok()) LEADKIT_FUZZ_CHECK(*rolled == *next);
  const auto day = date::floor<date::days>(calendar.ToLocal(t));
  LEADKIT_FUZZ_CHECK_CLEAN(calendar.IsWorkday(day, &estimated).status());
  for (const int64_t d : kDurations) {
    absl::StatusOr<Instant> end = calendar.AddBusiness(t, seconds(d), &estimated);
    LEADKIT_FUZZ_CHECK_CLEAN(end.status());
    if (!end.ok()) continue;
    LEADKIT_FUZZ_CHECK(*end >= t);
    absl::StatusOr<seconds> between =
        calendar.BusinessBetween(t, *end, &estimated);
    LEADKIT_FUZZ_CHECK_CLEAN(between.status());
    if (between.ok()) LEADKIT_FUZZ_CHECK(between->count() == d);
  }
  LEADKIT_FUZZ_CHECK_CLEAN(
      calendar.AddBusiness(t, seconds(-1), &estimated).status());
  for (const int n : {-400, -1, 1, 31, 1200}) {
    LEADKIT_FUZZ_CHECK_CLEAN(calendar.AddDays(t, n).status());
    LEADKIT_FUZZ_CHECK_CLEAN(calendar.AddMonths(t, n).status());
  }
}

}  // namespace
}  // namespace leadkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadkit;  // NOLINT: a fuzz entry point, not a header
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // Every file the document names stands for a preset.
  CalendarLoadOptions options;
  static const Calendar* const showroom =
      new Calendar(*Calendar::Preset("cn_showroom"));
  for (const std::string& file : Calendar::FileReferences(text)) {
    options.files.emplace(file, *showroom);
  }
  absl::StatusOr<CalendarLoad> load = Calendar::FromJson(text, options);
  LEADKIT_FUZZ_CHECK_CLEAN(load.status());
  if (!load.ok()) return 0;
  absl::StatusOr<Calendar> calendar = load->calendar();
  LEADKIT_FUZZ_CHECK(calendar.ok() == !load->has_errors());
  if (!calendar.ok()) {
    LEADKIT_FUZZ_CHECK_CLEAN(calendar.status());
    return 0;
  }

  const std::string canonical = calendar->ToJson();
  absl::StatusOr<CalendarLoad> again = Calendar::FromJson(canonical, options);
  LEADKIT_FUZZ_CHECK(again.ok());
  LEADKIT_FUZZ_CHECK(!again->has_errors());
  LEADKIT_FUZZ_CHECK(*again->calendar() == *calendar);
  LEADKIT_FUZZ_CHECK(again->calendar()->ToJson() == canonical);

  std::vector<Instant> instants;
  for (const int64_t s : kInstants) instants.emplace_back(seconds(s));
  if (calendar->has_coverage()) {
    // Both ends of the data, and the day past the end.
    instants.push_back(calendar->FromLocal(calendar->coverage_from()));
    instants.push_back(calendar->FromLocal(calendar->coverage_to()));
    instants.push_back(
        calendar->FromLocal(calendar->coverage_to() + date::days(1)));
  }
  for (const Instant t : instants) CheckArithmetic(*calendar, t);
  return 0;
}
