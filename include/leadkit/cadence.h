// The follow-up cadence: every task the sources ask for, its deadline on the
// dealer's calendar, and whether it is open at an instant `as_of`
// (docs/cadence.md).
//
// A task starts at an event (assignment, a touch, a deal, a delivery, a loss, a
// special day), has a deadline computed by the policy's rule for it, and is
// closed by a later event (usually a touch). At `as_of`, a task that has
// started and is not closed is open: `overdue` when its deadline is before
// `as_of`, else pending. The deadline rules are public so that the KPI engine
// judges timeliness by the same rules:
//
//   SLA deadline       = start + SLA                  (calendar clock; in
//                        closed time, moved by the SLA's closed_deadline:
//                        kept, next_open(t), or the closing of the day of
//                        next_open(t))
//                      = add_business(start, SLA)     (business clock)
//   follow_up deadline = closing of the first open day on or after
//                        local_date(touch) + max_days  (due "end_of_day")
//                      = roll_to_open(add_days(touch, max_days))  ("exact")
//   (max_days of the grade in force after the touch)
//
// The daily agenda of local day D [begin, end) is the schedule at D's last
// second, keeping each task overdue (due <= begin), due during D, opening
// during D, or with an agenda date before end (OnAgenda).
//
// Example:
//   absl::StatusOr<Cadence> cadence =
//   Cadence::ForPolicy(*Policy::Preset("abcd"));
//   cadence->FirstContactDeadline(assigned);   // 1 business hour later
//   // A touch on Thursday 2024-02-08 17:55, grade A (3 days): Sunday 02-11
//   // is closed for the Spring Festival, so {.agenda = nullopt, .due =
//   // Tuesday 2024-02-13 18:00}, the closing of the first open day.
//   cadence->FollowUpDeadline(touch, grade_a);
#ifndef LEADKIT_CADENCE_H_
#define LEADKIT_CADENCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "date/date.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"

namespace leadkit {

// Task kinds; their names (TaskName) are part of leadkit's contract.
enum class TaskKind {
  kFirstContact,     // "first_contact"
  kCallback,         // "callback"
  kThankYou,         // "thank_you"
  kFollowUp,         // "follow_up"
  kOrderFollowUp,    // "order_follow_up"
  kPostSale,         // "post_sale"
  kOwnerCare,        // "owner_care"
  kNurture,          // "nurture"
  kBirthday,         // "birthday"
  kHolidayGreeting,  // "holiday_greeting"
  kCampaign,         // "campaign"
  kLostReview,       // "lost_review"
  kDowngradeReview,  // "downgrade_review"
};
inline constexpr int kTaskKinds = 13;

absl::string_view TaskName(TaskKind kind);

enum class LeadStatus { kOpen, kWon, kLost, kInvalid };
enum class LostReview { kNone, kPending, kApproved, kRejected };

// One lead, as the cadence sees it. Instants are optional where the data may
// lack them.
struct LeadFacts {
  Instant created_at;
  std::optional<Instant> assigned_at;
  LeadStatus status = LeadStatus::kOpen;
  std::optional<Instant> won_at;
  std::optional<Instant> delivered_at;
  std::optional<Instant> lost_at;
  LostReview lost_review = LostReview::kNone;
  int grade = 0;  // grade at creation: index into Policy::grades()
  bool callback_channel = false;  // its channel is one the policy calls back
  std::optional<date::month_day> birthday;
  std::vector<int>
      campaigns;  // indices of the policy's campaigns for the lead's model
};

// One contact with the customer.
struct TouchFacts {
  Instant at;
  absl::string_view method;  // "phone", "wechat", "visit", ... (a visit does
                             // not close a callback)
  int grade_after = -1;      // grade recorded after the contact; -1 = unchanged
};

struct Task {
  TaskKind kind = TaskKind::kFirstContact;
  Instant start;  // when the task began
  Instant due;    // its deadline
  std::optional<Instant>
      agenda;  // range intervals: when it goes on the agenda (lower bound)
  bool overdue = false;  // due before as_of
  std::string detail;    // post_sale step, greeting or campaign name
  // Its due or agenda date rests on the weekly hours of days past the
  // calendar's coverage ("outside": "estimate"; Calendar, `estimated`).
  bool estimated = false;
};

// The grade history: the grade in force at `at` — the grade at creation,
// changed by each touch at or before `at` that records a grade_after, in the
// touch order (TouchBefore). `touches` are the lead's, in that order.
// Example: created B; touches 06-01 (grade_after A), 06-05 (unchanged):
//   GradeAt(lead, touches, 06-03) == A; GradeAt(lead, touches, 05-31) == B.
int GradeAt(const LeadFacts& lead, std::span<const TouchFacts> touches,
            Instant at);

// The lead's status at `as_of`: won or lost only when the close happened by
// then (a close without its time counts as by then); a close after as_of
// leaves the lead open at as_of. Invalid stays invalid. "Won by as_of"
// everywhere in leadkit is StatusAt(lead, as_of) == LeadStatus::kWon.
LeadStatus StatusAt(const LeadFacts& lead, Instant as_of);

// The lead's status as the sales pipeline sees it at `as_of` (docs/kpis.md,
// "The lead's history"): StatusAt, except that a lost lead whose lost_review is
// rejected is open — the supervisor sent it back and it is followed up by
// grade again (docs/cadence.md, "A lead's life"). The pipeline reports and the
// cadence's sales follow-ups both read it.
// Example: lost at 06-03 with review rejected -> kOpen at 06-05; with review
// pending -> kLost.
LeadStatus PipelineStatusAt(const LeadFacts& lead, Instant as_of);

// When the lead leaves the pipeline: from that instant on (at or after its
// creation) PipelineStatusAt is no longer kOpen. Invalid: created_at; won:
// won_at, lost (review not rejected): lost_at — a missing one, or one before
// created_at, counts as created_at. nullopt when it stays open.
// Example: won, won_at 05-01, created 05-03 -> 05-03.
std::optional<Instant> ClosedAt(const LeadFacts& lead);

// The order of a lead's touches everywhere in leadkit: by time, then method,
// then grade_after (unchanged first).
bool TouchBefore(const TouchFacts& a, const TouchFacts& b);

// A follow-up deadline: due at the interval's upper bound; a range also has an
// agenda date.
struct FollowUpDue {
  std::optional<Instant> agenda;
  Instant due;
};

// A row of a batch that could not be used, and why. The rest of the batch goes
// on.
struct RowError {
  std::string table;   // "leads" or "touches"
  int64_t row = 0;     // row position in that table
  std::string column;  // the column at fault
  std::string
      message;  // names the row's lead_id and the value, personal data masked
};

struct ScheduledTask {
  int64_t lead_row = 0;  // row of the lead in the leads table
  Task task;
};

struct ScheduleOptions {
  bool collect_errors =
      false;  // false: the first bad row is an InvalidArgument error;
              // true: bad rows go to ScheduleResult::errors
};

struct ScheduleResult {
  std::vector<ScheduledTask>
      tasks;                     // in lead order, each lead's tasks by due time
  std::vector<RowError> errors;  // rejected rows (collect_errors only)
  std::vector<int32_t>
      grades;  // per lead: the grade in force at as_of (-1 = rejected)
  // Per lead: its touches at or before as_of (the agenda: the end of its day),
  // what the playbook's field `touches` reads (playbook.h); 0 when rejected.
  std::vector<int32_t> touch_counts;
};

// The columns of the leads table the cadence reads (and so the KPIs, which
// judge deadlines with it), beside the fields the policy's rules read. Each
// needs its values, not only its null flags: a converter passes all of them
// in full (python/leadkit/_frames.py, `engine_fields`).
inline constexpr absl::string_view kCadenceLeadColumns[] = {
    "lead_id",  "created_at", "assigned_at", "won_at",  "delivered_at",
    "lost_at",  "status",     "lost_review", "grade",   "channel",
    "model",    "birthday",   "entered_at", "dealer_id"};

// A local day of the calendar the deadlines are judged in, as the daily agenda
// sees it (docs/cadence.md, "The daily agenda"): from its local midnight to
// the next one, each by the calendar's DST rule.
struct AgendaDay {
  date::local_days day;
  Instant begin;  // the day's first instant
  Instant end;    // the next day's first instant
  // The instant the agenda's schedule is evaluated at: the day's last second.
  Instant as_of() const { return end - std::chrono::seconds(1); }
};

// How a task stands on the agenda of a day.
enum class AgendaStatus {
  kOff,      // not on that day's agenda
  kPending,  // opens, is due, or is on the agenda that day
  kOverdue,  // its deadline was at or before the day's start
};

// Where `task`, open at day.as_of(), stands on the agenda of `day`:
//   overdue  when due <= begin;
//   pending  when begin < due <= end (due that day), when its window opens
//            that day (its agenda date when it has one, else its start, in
//            [begin, end)), or when its agenda date is before `end`;
//   off      otherwise.
// Example (a birthday task of 10 June, 09:00 to 18:00): on the agenda of
// 10 June it is pending; of 11 June, overdue; of 9 June, off.
AgendaStatus OnAgenda(const Task& task, const AgendaDay& day);

// The policy's calendar: Policy::business_calendar() (a preset read in the
// policy's calendar time zone, an inline document or a file).
absl::StatusOr<Calendar> CalendarForPolicy(const Policy& policy);

struct DealerCalendars;  // defined in src/

// A policy with its calendar: the deadline rules and the task engine.
//
// Per-dealer calendars (docs/policy.md#calendar): the policy may name
// calendars (`"calendars": {"sh_office": ..., "berlin": ...}`) and a dealers
// table give each dealer one (column `calendar`). WithDealers gives the
// cadence that judges each lead of a batch by its dealer's calendar, in that
// calendar's zone — Schedule, Agenda, and the KPIs (kpi.h) alike:
//   LEADKIT_ASSIGN_OR_RETURN(Cadence cadence, Cadence::ForPolicy(policy));
//   LEADKIT_ASSIGN_OR_RETURN(cadence, cadence.WithDealers(dealers));
//   cadence.Schedule(leads, touches, as_of);  // each lead on its dealer's
class Cadence {
 public:
  // The policy with CalendarForPolicy(policy), and a cadence for each of its
  // dealer calendars.
  static absl::StatusOr<Cadence> ForPolicy(const Policy& policy);
  // The policy judged on `calendar` (its dealer calendars as ForPolicy's).
  Cadence(Policy policy, Calendar calendar);

  const Policy& policy() const { return policy_; }
  // The calendar the deadlines are judged on when no dealer says otherwise
  // (and the zone of month and week keys).
  const Calendar& calendar() const { return calendar_; }

  // The cadence judging on the policy's dealer calendar `name`; nullptr for a
  // name the policy's `calendars` does not give.
  const Cadence* OnCalendar(absl::string_view name) const;

  // This cadence with the dealers table's calendars: `dealers` needs
  // dealer_id, and its `calendar` column (strings; null = the policy's
  // calendar) names one of the policy's `calendars`. A lead (column
  // dealer_id) of a dealer the table gives a calendar is judged on it; any
  // other lead on calendar(). InvalidArgument naming the row, the dealer_id
  // and the name for an unknown calendar, and for a dealer given two
  // calendars. Without a `calendar` column, *this.
  absl::StatusOr<Cadence> WithDealers(const Columns& dealers) const;
  // The cadence a lead of dealer `dealer_id` is judged by (WithDealers): its
  // dealer's calendar's, else *this.
  const Cadence& ForDealer(absl::string_view dealer_id) const;
  // True when WithDealers gave some dealer a calendar of its own.
  bool has_dealer_calendars() const { return dealers_ != nullptr; }

  // The deadline rules take an optional `estimated`, set to true (never reset)
  // when the deadline rests on the weekly hours of days outside the calendar's
  // coverage under "outside": "estimate" (Calendar, `estimated`).
  //
  // start + the SLA on its clock; on the calendar clock, a deadline in closed
  // time moved by sla.closed_deadline (docs/cadence.md).
  // Example (cn_showroom, 24 h): from 2024-02-08 10:00, Chinese New Year's Eve
  // 10:00 under kKeep, 2024-02-13 09:00 under kNextOpen, 2024-02-13 18:00
  // under kEndOfNextOpenDay.
  absl::StatusOr<Instant> Deadline(Instant start, const Sla& sla,
                                   bool* estimated = nullptr) const;
  absl::StatusOr<Instant> EntryDeadline(Instant created_at,
                                        bool* estimated = nullptr) const;
  absl::StatusOr<Instant> FirstContactDeadline(Instant start,
                                               bool* estimated = nullptr) const;
  // The follow-up deadline after a touch when it is at or before `end`; nullopt
  // when the grade has no follow-up or the deadline is later (then the calendar
  // need not cover it).
  absl::StatusOr<std::optional<Instant>> FollowUpDueBy(
      Instant touch, int grade, Instant end, bool* estimated = nullptr) const;
  // The follow-up after a touch at `touch` under `grade`, by the interval's
  // `due` rule; nullopt when the grade has none.
  absl::StatusOr<std::optional<FollowUpDue>> FollowUpDeadline(
      Instant touch, int grade, bool* estimated = nullptr) const;

  // The tasks of one lead open at as_of. `touches` are the lead's contacts in
  // any order (ordered here by time, then method, then grade_after with
  // unchanged first).
  absl::StatusOr<std::vector<Task>> LeadTasks(
      const LeadFacts& lead, std::span<const TouchFacts> touches,
      Instant as_of) const;

  // Every open task of a batch. `leads` needs lead_id and created_at; the other
  // columns of docs/data.md are read when present. `touches` needs lead_id, at
  // and method. A task whose deadline cannot be computed (a date outside the
  // calendar's coverage under "outside": "error") is an InvalidArgument naming
  // the lead, the task and the date; with collect_errors, a row of `errors`
  // (table "leads"), and the lead's other tasks are kept.
  absl::StatusOr<ScheduleResult> Schedule(
      const Columns& leads, const Columns& touches, Instant as_of,
      const ScheduleOptions& options = {}) const;

  // Per row of `leads`, 1 when the lead's first contact is overdue at `as_of`
  // (Schedule lists its first_contact task as overdue), else 0: the leads
  // Router::Reclaim takes back (routing.h). Errors as Schedule's.
  absl::StatusOr<std::vector<uint8_t>> FirstContactOverdue(
      const Columns& leads, const Columns& touches, Instant as_of) const;

  // Local day `day` of the calendar the deadlines are judged in (the policy's
  // calendar; the day's midnights by its DST rule).
  AgendaDay Day(date::local_days day) const;

  // The daily agenda of one lead: the tasks open at the end of local `day`
  // (LeadTasks at Day(day).as_of()) that OnAgenda lists, each task's `overdue`
  // as it stands on that day (due at or before the day's start).
  absl::StatusOr<std::vector<Task>> LeadAgenda(
      const LeadFacts& lead, std::span<const TouchFacts> touches,
      date::local_days day) const;

  // The daily agenda of a batch: Schedule at Day(day).as_of(), keeping the
  // tasks OnAgenda lists, each `overdue` as it stands on that day. `grades`
  // and `errors` are the schedule's. With dealer calendars, each lead's day
  // is local day `day` of its dealer's calendar (ForDealer(...).Day(day)).
  absl::StatusOr<ScheduleResult> Agenda(
      const Columns& leads, const Columns& touches, date::local_days day,
      const ScheduleOptions& options = {}) const;

 private:
  // The closing time of the first open day on or after local `day`.
  absl::StatusOr<Instant> DayDeadline(date::local_days day,
                                      bool* estimated = nullptr) const;

  Cadence(Policy policy, Calendar calendar, bool with_dealer_calendars);

  // Schedule and Agenda: with `agenda_day`, each lead at the end of that
  // local day of its calendar, keeping its tasks on that day's agenda.
  absl::StatusOr<ScheduleResult> Run(const Columns& leads,
                                     const Columns& touches, Instant as_of,
                                     const date::local_days* agenda_day,
                                     const ScheduleOptions& options) const;

  Policy policy_;
  Calendar calendar_;
  // The policy's dealer calendars' cadences, by name (each without dealer
  // calendars of its own), and after WithDealers the cadence of each dealer
  // that has one. Copies share them.
  std::shared_ptr<const std::map<std::string, Cadence, std::less<>>>
      on_calendar_;
  std::shared_ptr<const DealerCalendars> dealers_;
  // Per local day of the calendar's coverage (index: day - coverage_from()),
  // the closing time of the first open day on or after it, when the policy has
  // an "end_of_day" interval and the calendar can tell (Instant::max() where
  // not). Copies share it.
  std::shared_ptr<const std::vector<Instant>> day_closing_;
};

}  // namespace leadkit

#endif  // LEADKIT_CADENCE_H_
