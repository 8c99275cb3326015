// The core KPIs (docs/kpis.md), as a mergeable state: add batches of leads,
// merge states computed apart (threads, processes, cluster workers), serialize
// to bytes and back, and finalize to one row per group. Any split of the leads
// (with each lead's touches and surveys beside it) and any merge order give the
// same numbers.
//
//   conversion_rate            = won / leads
//   entry_timeliness_rate      = entered_on_time / leads
//   first_contact_timeliness   = first_contact_on_time / first_contacts_due
//   follow_up_timeliness_rate  = follow_ups_on_time / follow_ups_due
//   timeliness_rate            = timely_leads / leads
//   satisfaction_rate          = satisfied / surveyed
// A rate whose denominator is 0 is NaN. Deadlines are the cadence's
// (cadence.h).
//
// Example:
//   KpiState state({"channel"});
//   LEADKIT_RETURN_IF_ERROR(state.Add(cadence, leads, touches, &surveys,
//   as_of)); for (const KpiRow& row : state.Finalize()) row.conversion_rate();
#ifndef LEADKIT_KPI_H_
#define LEADKIT_KPI_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"

namespace leadkit {

// Value -> how many times it occurs, in value order (a B-tree: tens of
// thousands of distinct minutes are walked and merged without a cache miss per
// entry).
using MinuteHistogram = absl::btree_map<int64_t, int64_t>;

// The counts behind the KPIs of one group. Merging adds them.
struct KpiCounts {
  int64_t leads = 0;    // created by as_of, not invalid
  int64_t invalid = 0;  // status invalid, created by as_of
  int64_t won = 0;
  int64_t lost = 0;  // lost at as_of with lost_review approved or null
  int64_t entered_on_time = 0;
  int64_t first_contacts_due = 0;
  int64_t first_contact_on_time = 0;
  int64_t follow_ups_due = 0;
  int64_t follow_ups_on_time = 0;
  int64_t timely_leads = 0;
  int64_t surveyed = 0;
  int64_t satisfied = 0;
  // Leads (counted, not invalid) with a deadline resting on the weekly hours
  // past their calendar's coverage (LeadKpi::estimated): for the caller to
  // say so, not a KPI.
  int64_t estimated = 0;
  // Whole minutes from the first-contact start to the earliest touch -> number
  // of leads: an exact histogram, so percentiles merge exactly.
  MinuteHistogram first_contact_minutes;

  void Merge(const KpiCounts& other);
  bool operator==(const KpiCounts&) const = default;
};

// a / b, NaN when b is 0.
inline double Rate(int64_t a, int64_t b) {
  return b == 0 ? std::numeric_limits<double>::quiet_NaN()
                : static_cast<double>(a) / static_cast<double>(b);
}

// The nearest-rank percentile of a histogram: the smallest value with at least
// q of the values at or below it. NaN for an empty histogram.
double NearestRank(const MinuteHistogram& histogram, double q);

// The histogram of `values`, in any order: each distinct value -> how many
// times it occurs. With NearestRank, the percentiles of per-lead minutes taken
// elsewhere (the business-clock minutes of LeadKpis' rows that the report
// charts) as the KPI table takes first_contact_minutes_p50 and _p90.
// Example: MinuteHistogramOf({30, 5, 12, 5}) == {{5, 2}, {12, 1}, {30, 1}};
// NearestRank of it at 0.5 == 5, at 0.9 == 30.
MinuteHistogram MinuteHistogramOf(std::span<const int64_t> values);

// The upper edges, in business minutes, of the bins of the report's
// first-contact histogram (docs/report.md): a quarter hour, half an hour, an
// hour, two, four and eight hours, a day; a last bin holds the minutes above a
// day.
inline constexpr std::array<int64_t, 7> kFirstContactBinEdges = {
    15, 30, 60, 120, 240, 480, 1440};

// How many values of `histogram` each bin of `edges` (strictly ascending)
// holds: bin 0 the values at or below edges[0], bin i the values above
// edges[i - 1] and at or below edges[i], the last bin the values above
// edges.back(); edges.size() + 1 counts, every value in exactly one bin.
//
//   counts[i] = #{ v : edges[i - 1] < v <= edges[i] }
//
// Example: BinCounts({{0, 2}, {15, 1}, {16, 1}, {2000, 1}}, {15, 30})
//   == {3, 1, 1}
std::vector<int64_t> BinCounts(const MinuteHistogram& histogram,
                               std::span<const int64_t> edges);

// One group: its key (one value per `by` column; nullopt = the null group) and
// its counts.
struct KpiRow {
  std::vector<std::optional<std::string>> key;
  KpiCounts counts;

  double conversion_rate() const { return Rate(counts.won, counts.leads); }
  double entry_timeliness_rate() const {
    return Rate(counts.entered_on_time, counts.leads);
  }
  double first_contact_timeliness_rate() const {
    return Rate(counts.first_contact_on_time, counts.first_contacts_due);
  }
  double follow_up_timeliness_rate() const {
    return Rate(counts.follow_ups_on_time, counts.follow_ups_due);
  }
  double timeliness_rate() const {
    return Rate(counts.timely_leads, counts.leads);
  }
  double satisfaction_rate() const {
    return Rate(counts.satisfied, counts.surveyed);
  }
  double first_contact_minutes_p50() const {
    return NearestRank(counts.first_contact_minutes, 0.5);
  }
  double first_contact_minutes_p90() const {
    return NearestRank(counts.first_contact_minutes, 0.9);
  }
};

// One field of a KPI group, by the name results give it: a count of
// KpiCounts, or a value computed from the row (a rate, a percentile). The
// fields are listed once (KpiFields); merging, the state's bytes, Finalize's
// rows as the bindings give them, and Python's leadkit.KPI_COLUMNS all walk
// that list.
struct KpiField {
  absl::string_view name;
  int64_t KpiCounts::*count = nullptr;        // a count, or
  double (KpiRow::*value)() const = nullptr;  // a computed value
  bool column = true;  // a column of the KPI table (leadkit.KPI_COLUMNS)
  int since = 1;       // the state bytes' version that first holds the count
};

// Every field, the columns in leadkit.KPI_COLUMNS's order; the counts in this
// order are the state bytes' order.
// Example: KpiFields()[0].name == "leads"; KpiFields()[4].name ==
// "conversion_rate" (won / leads).
std::span<const KpiField> KpiFields();

// One lead's part in the KPIs at as_of, with the deadlines behind it
// (docs/kpis.md, "Lead by lead"). Fields past `counted` hold only for a counted
// lead; past `invalid`, only for a counted lead that is not invalid.
struct LeadKpi {
  bool counted = false;    // created by as_of: in the KPIs
  bool invalid = false;    // status invalid (counted apart)
  int grade = -1;          // at creation (index into Policy::grades())
  int current_grade = -1;  // in force at as_of
  int survey = -1;  // latest survey by as_of: 1 satisfied, 0 not, -1 none
  bool won = false;
  bool lost = false;
  Instant entry_due{};
  bool entered_on_time = false;
  Instant first_contact_start{};   // assigned_at, else created_at
  Instant first_contact_due_at{};  // the cadence's first_contact deadline
  std::optional<Instant> first_contact_at;  // the earliest touch by as_of
  absl::string_view first_contact_method;   // views the touches' column
  bool first_contact_due = false;
  bool first_contact_on_time = false;
  std::optional<int64_t> first_contact_minutes;
  // LeadKpis only, for a lead contacted by as_of: open time of the lead's
  // calendar from first_contact_start to the first touch (0 when the touch
  // came first), and to first_contact_due_at (the deadline on that clock).
  std::chrono::seconds first_contact_business{0};
  std::chrono::seconds first_contact_allowed{0};
  int64_t follow_ups_due = 0;
  int64_t follow_ups_on_time = 0;
  bool timely = false;
  // Any of the deadlines above rests on the weekly hours of days past the
  // calendar's coverage ("outside": "estimate"). While as_of lies inside the
  // coverage no such deadline counts as missed (docs/kpis.md, "Past the
  // calendar's coverage").
  bool estimated = false;
};

// Every lead row's LeadKpi at as_of, in row order: what KpiState::Add counts,
// lead by lead. Bad input is InvalidArgument as in KpiState::Add.
absl::StatusOr<std::vector<LeadKpi>> LeadKpis(const Cadence& cadence,
                                              const Columns& leads,
                                              const Columns& touches,
                                              const Columns* surveys,
                                              Instant as_of);

// Group keys: a string column of the leads (channel, dealer_id, consultant_id,
// model, and a `region_id` column the caller derives through the dealers
// table), or a derived key: "grade" (at creation), "current_grade" (in force at
// as_of), "month" (YYYY-MM of created_at) or "week" (ISO YYYY-Www) in the
// policy's zone.
class KpiState {
 public:
  explicit KpiState(std::vector<std::string> by = {});

  const std::vector<std::string>& by() const { return by_; }

  // Adds the leads of a batch created by as_of, with their touches and surveys
  // (may be null). Rows with a zero in `include` (when given) are out of scope
  // and ignored, with their touches and surveys. Bad input is InvalidArgument
  // naming the table, row, lead_id and value. `threads` > 1 splits the leads
  // over threads, each with a state of its own, merged.
  absl::Status Add(const Cadence& cadence, const Columns& leads,
                   const Columns& touches, const Columns* surveys,
                   Instant as_of, std::span<const uint8_t> include = {},
                   int threads = 1);

  // Adds another state's groups. FailedPrecondition when its `by` differs.
  absl::Status Merge(const KpiState& other);

  // Bytes that Deserialize turns back into an equal state.
  std::string Serialize() const;
  static absl::StatusOr<KpiState> Deserialize(absl::string_view bytes);

  // One row per group, sorted by key (column by column; the null group last).
  std::vector<KpiRow> Finalize() const;

  bool operator==(const KpiState& other) const;

 private:
  KpiCounts& Group(const std::vector<std::optional<std::string>>& key);

  std::vector<std::string> by_;
  std::map<std::string, KpiRow> groups_;  // by encoded key
};

}  // namespace leadkit

#endif  // LEADKIT_KPI_H_
