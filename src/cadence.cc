// The cadence engine: deadline rules, a lead's open tasks, and the batch
// schedule (docs/cadence.md).
#include "leadkit/cadence.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "date/date.h"
#include "json_reader.h"
#include "lead_batch.h"
#include "leadkit/classify.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"
#include "nlohmann/json.hpp"

namespace leadkit {
namespace cadence_internal {
namespace {

using std::chrono::seconds;




}  // namespace

// The state of one lead at as_of, and the tasks it has open.
class LeadSchedule {
 public:
  // With `task_errors`, a task whose deadline cannot be computed goes there
  // (its lead's other tasks are still computed); without, it is the error.
  LeadSchedule(const Cadence& cadence, const LeadFacts& lead,
               std::span<const TouchFacts> touches, Instant as_of,
               std::vector<absl::Status>* task_errors = nullptr)
      : cadence_(cadence),
        policy_(cadence.policy()),
        calendar_(cadence.calendar()),
        c_(cadence.policy().cadence()),
        lead_(lead),
        touches_(touches),
        as_of_(as_of),
        task_errors_(task_errors) {}

  absl::StatusOr<std::vector<Task>> Run() {
    if (lead_.created_at > as_of_ || lead_.status == LeadStatus::kInvalid)
      return tasks_;
    const LeadStatus status = StatusAt(lead_, as_of_);
    const bool sales =
        PipelineStatusAt(lead_, as_of_) == LeadStatus::kOpen;
    const bool delivered = status == LeadStatus::kWon && lead_.delivered_at &&
                           *lead_.delivered_at <= as_of_;
    if (sales) {
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kFirstContact, FirstContact()));
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kCallback, Callback()));
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kThankYou, ThankYou()));
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kFollowUp, FollowUps()));
    }
    if (status == LeadStatus::kWon && !delivered)
      LEADKIT_RETURN_IF_ERROR(
          Step(TaskKind::kOrderFollowUp, OrderFollowUp()));
    if (delivered) {
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kPostSale, PostSale()));
      LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kOwnerCare, OwnerCare()));
    }
    if (status == LeadStatus::kLost) {
      if (lead_.lost_review == LostReview::kPending)
        LEADKIT_RETURN_IF_ERROR(
            Step(TaskKind::kLostReview, LostReviewTask()));
      if (lead_.lost_review == LostReview::kApproved ||
          lead_.lost_review == LostReview::kNone) {
        LEADKIT_RETURN_IF_ERROR(Step(TaskKind::kNurture, Nurture()));
      }
    }
    if (sales || delivered) {
      LEADKIT_RETURN_IF_ERROR(SpecialDays(sales));
    }
    for (Task& t : tasks_) t.overdue = t.due < as_of_;
    std::stable_sort(
        tasks_.begin(), tasks_.end(),
        [](const Task& a, const Task& b) { return a.due < b.due; });
    return tasks_;
  }

  int GradeInForce() const { return GradeAt(lead_, touches_, as_of_); }

 private:
  // A task's failure, named after the task: the lead's error, or (collecting)
  // one of task_errors_ while the lead's other tasks go on.
  absl::Status Step(TaskKind kind, absl::Status status) {
    if (status.ok()) return status;
    absl::Status named(status.code(), absl::StrCat(TaskName(kind), ": ",
                                                   status.message()));
    if (task_errors_ == nullptr) return named;
    task_errors_->push_back(std::move(named));
    return absl::OkStatus();
  }

  void Add(TaskKind kind, Instant start, Instant due,
           std::optional<Instant> agenda = {}, std::string detail = "",
           bool estimated = false) {
    tasks_.push_back({.kind = kind,
                      .start = start,
                      .due = due,
                      .agenda = agenda,
                      .detail = std::move(detail),
                      .estimated = estimated});
  }

  // The last of `since` and the touches after it: where a repeating task
  // restarts.
  Instant LastEventSince(Instant since) const {
    Instant last = since;
    for (const TouchFacts& t : touches_) {
      if (t.at > since) last = t.at;
    }
    return last;
  }

  absl::StatusOr<Instant> RolledDays(Instant from, int days,
                                     bool* estimated) const {
    LEADKIT_ASSIGN_OR_RETURN(Instant moved, calendar_.AddDays(from, days));
    return calendar_.RollToOpen(moved, estimated);
  }

  absl::Status FirstContact() {
    const Instant start = lead_.assigned_at.value_or(lead_.created_at);
    if (!touches_.empty() || start > as_of_) return absl::OkStatus();
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(Instant due,
                             cadence_.FirstContactDeadline(start, &estimated));
    Add(TaskKind::kFirstContact, start, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  absl::Status Callback() {
    if (!lead_.callback_channel) return absl::OkStatus();
    for (const TouchFacts& t : touches_) {
      if (t.at > lead_.created_at && t.method != "visit")
        return absl::OkStatus();
    }
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(
        Instant due,
        cadence_.Deadline(lead_.created_at, c_.callback, &estimated));
    Add(TaskKind::kCallback, lead_.created_at, due, std::nullopt, "",
        estimated);
    return absl::OkStatus();
  }

  absl::Status ThankYou() {
    if (touches_.size() != 1)
      return absl::OkStatus();  // none yet, or closed by a later one
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(
        Instant due,
        cadence_.Deadline(touches_[0].at, c_.thank_you, &estimated));
    Add(TaskKind::kThankYou, touches_[0].at, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  // The open follow-up (from the last touch) and the downgrade review: a review
  // opens when N follow-up deadlines in a row pass without the next touch, and
  // closes with a touch that records a grade.
  absl::Status FollowUps() {
    if (touches_.empty()) return absl::OkStatus();
    int grade = lead_.grade;
    int streak = 0;
    std::optional<Instant> review;
    bool review_estimated = false;
    for (size_t i = 0; i < touches_.size(); ++i) {
      const TouchFacts& t = touches_[i];
      if (t.grade_after >= 0) {
        grade = t.grade_after;
        if (review && t.at >= *review) {
          review.reset();
          streak = 0;
        }
      }
      bool estimated = false;
      LEADKIT_ASSIGN_OR_RETURN(
          std::optional<FollowUpDue> due,
          cadence_.FollowUpDeadline(t.at, grade, &estimated));
      if (!due) continue;
      const bool last = i + 1 == touches_.size();
      if (last) {
        Add(TaskKind::kFollowUp, t.at, due->due, due->agenda, "", estimated);
      }
      const bool missed =
          last ? due->due < as_of_ : touches_[i + 1].at > due->due;
      if (!missed) {
        streak = 0;
        continue;
      }
      if (++streak >= c_.downgrade_after_missed && !review) {
        review = due->due;
        review_estimated = estimated;
      }
    }
    if (review) {
      LEADKIT_ASSIGN_OR_RETURN(
          Instant due,
          cadence_.Deadline(*review, c_.downgrade_review, &review_estimated));
      Add(TaskKind::kDowngradeReview, *review, due, std::nullopt, "",
          review_estimated);
    }
    return absl::OkStatus();
  }

  absl::Status OrderFollowUp() {
    const Instant start =
        LastEventSince(lead_.won_at.value_or(lead_.created_at));
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(
        Instant due, RolledDays(start, c_.order_follow_up_days, &estimated));
    Add(TaskKind::kOrderFollowUp, start, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  // Visit within 24 h, again within a week, the first-service reminder: each
  // step closed by the first touch after the previous step closed; the first
  // step still open is the task.
  absl::Status PostSale() {
    const Instant delivered = *lead_.delivered_at;
    bool week_estimated = false;
    bool service_estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(Instant week,
                             RolledDays(delivered, 7, &week_estimated));
    LEADKIT_ASSIGN_OR_RETURN(
        Instant months,
        calendar_.AddMonths(delivered, c_.first_service_months));
    LEADKIT_ASSIGN_OR_RETURN(Instant service,
                             calendar_.RollToOpen(months, &service_estimated));
    const std::tuple<const char*, Instant, bool> steps[] = {
        {"visit_24h", delivered + std::chrono::hours(24), false},
        {"visit_7d", week, week_estimated},
        {"first_service", service, service_estimated}};
    Instant closed = delivered;
    size_t next = 0;
    for (const auto& [name, due, estimated] : steps) {
      while (next < touches_.size() && touches_[next].at <= closed) ++next;
      if (next == touches_.size()) {
        Add(TaskKind::kPostSale, delivered, due, std::nullopt, name,
            estimated);  // every step starts at delivery
        return absl::OkStatus();
      }
      closed = touches_[next].at;
    }
    return absl::OkStatus();
  }

  absl::Status OwnerCare() {
    const Instant delivered = *lead_.delivered_at;
    const Instant start = LastEventSince(delivered);
    LEADKIT_ASSIGN_OR_RETURN(
        Instant early_end,
        calendar_.AddMonths(delivered, c_.owner_care_early_months));
    const int days =
        start < early_end ? c_.owner_care_early_days : c_.owner_care_later_days;
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(Instant due, RolledDays(start, days, &estimated));
    Add(TaskKind::kOwnerCare, start, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  absl::Status Nurture() {
    if (c_.lost_nurture_days <= 0) return absl::OkStatus();
    const Instant start =
        LastEventSince(lead_.lost_at.value_or(lead_.created_at));
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(
        Instant due, RolledDays(start, c_.lost_nurture_days, &estimated));
    Add(TaskKind::kNurture, start, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  absl::Status LostReviewTask() {
    const Instant start = lead_.lost_at.value_or(lead_.created_at);
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(
        Instant due, cadence_.Deadline(start, c_.lost_review, &estimated));
    Add(TaskKind::kLostReview, start, due, std::nullopt, "", estimated);
    return absl::OkStatus();
  }

  // A special day's task: from the day's opening to its closing (a day without
  // open hours: its whole local day), closed by any touch that local day. Only
  // the most recent day that has begun, on or after the lead's creation, is
  // considered.
  absl::Status SpecialDay(TaskKind kind, date::local_days day,
                          std::string detail) {
    const date::local_days created =
        date::floor<date::days>(calendar_.ToLocal(lead_.created_at));
    if (day < created) return absl::OkStatus();
    const Instant midnight = calendar_.FromLocal(date::local_seconds(day));
    const Instant next_midnight =
        calendar_.FromLocal(date::local_seconds(day + date::days(1)));
    Instant start = midnight;
    Instant due = next_midnight;
    bool estimated = false;
    LEADKIT_ASSIGN_OR_RETURN(bool workday,
                             calendar_.IsWorkday(day, &estimated));
    if (workday) {
      LEADKIT_ASSIGN_OR_RETURN(start, calendar_.NextOpen(midnight, &estimated));
      // The day's closing: its open time, counted from its opening.
      LEADKIT_ASSIGN_OR_RETURN(
          seconds open,
          calendar_.BusinessBetween(midnight, next_midnight, &estimated));
      LEADKIT_ASSIGN_OR_RETURN(due,
                               calendar_.AddBusiness(start, open, &estimated));
    }
    if (start > as_of_) return absl::OkStatus();
    for (const TouchFacts& t : touches_) {
      if (t.at >= midnight && t.at < next_midnight) return absl::OkStatus();
    }
    Add(kind, start, due, std::nullopt, std::move(detail), estimated);
    return absl::OkStatus();
  }

  absl::Status SpecialDays(bool sales) {
    const date::local_days today =
        date::floor<date::days>(calendar_.ToLocal(as_of_));
    if (lead_.birthday) {
      const date::year_month_day now{today};
      for (int back = 0; back <= 1; ++back) {
        const date::year y = now.year() - date::years(back);
        date::year_month_day day{y / lead_.birthday->month() /
                                 lead_.birthday->day()};
        if (!day.ok())
          day = y / lead_.birthday->month() / date::last;  // 29 Feb -> 28 Feb
        if (date::local_days(day) > today) continue;
        LEADKIT_RETURN_IF_ERROR(
            Step(TaskKind::kBirthday,
                 SpecialDay(TaskKind::kBirthday, date::local_days(day), "")));
        break;
      }
    }
    const Greeting* greeting = nullptr;
    for (const Greeting& g : c_.greetings) {
      if (g.day <= today) greeting = &g;
    }
    if (greeting != nullptr) {
      LEADKIT_RETURN_IF_ERROR(
          Step(TaskKind::kHolidayGreeting,
               SpecialDay(TaskKind::kHolidayGreeting, greeting->day,
                          greeting->name)));
    }
    if (!sales) return absl::OkStatus();
    const Campaign* campaign = nullptr;
    for (int index : lead_.campaigns) {
      const Campaign& c = c_.campaigns[static_cast<size_t>(index)];
      if (c.day <= today && (campaign == nullptr || c.day >= campaign->day))
        campaign = &c;
    }
    if (campaign != nullptr) {
      LEADKIT_RETURN_IF_ERROR(
          Step(TaskKind::kCampaign, SpecialDay(TaskKind::kCampaign,
                                               campaign->day, campaign->name)));
    }
    return absl::OkStatus();
  }

  const Cadence& cadence_;
  const Policy& policy_;
  const Calendar& calendar_;
  const CadenceSettings& c_;
  const LeadFacts& lead_;
  std::span<const TouchFacts> touches_;  // sorted, at or before as_of
  Instant as_of_;
  std::vector<absl::Status>* task_errors_;
  std::vector<Task> tasks_;
};

}  // namespace cadence_internal

bool TouchBefore(const TouchFacts& a, const TouchFacts& b) {
  if (a.at != b.at) return a.at < b.at;
  if (a.method != b.method) return a.method < b.method;
  return a.grade_after < b.grade_after;  // unchanged (-1) first
}

LeadStatus StatusAt(const LeadFacts& lead, Instant as_of) {
  if (lead.status == LeadStatus::kWon && lead.won_at && *lead.won_at > as_of) {
    return LeadStatus::kOpen;
  }
  if (lead.status == LeadStatus::kLost && lead.lost_at &&
      *lead.lost_at > as_of) {
    return LeadStatus::kOpen;
  }
  return lead.status;
}

LeadStatus PipelineStatusAt(const LeadFacts& lead, Instant as_of) {
  const LeadStatus status = StatusAt(lead, as_of);
  if (status == LeadStatus::kLost &&
      lead.lost_review == LostReview::kRejected) {
    return LeadStatus::kOpen;
  }
  return status;
}

std::optional<Instant> ClosedAt(const LeadFacts& lead) {
  std::optional<Instant> at;
  switch (lead.status) {
    case LeadStatus::kInvalid:
      return lead.created_at;
    case LeadStatus::kWon:
      at = lead.won_at;
      break;
    case LeadStatus::kLost:
      if (lead.lost_review == LostReview::kRejected) return std::nullopt;
      at = lead.lost_at;
      break;
    case LeadStatus::kOpen:
      return std::nullopt;
  }
  return std::max(at.value_or(lead.created_at), lead.created_at);
}

int GradeAt(const LeadFacts& lead, std::span<const TouchFacts> touches,
            Instant at) {
  int grade = lead.grade;
  for (const TouchFacts& t : touches) {
    if (t.at > at) break;
    if (t.grade_after >= 0) grade = t.grade_after;
  }
  return grade;
}

absl::string_view TaskName(TaskKind kind) {
  return TaskNames()[static_cast<size_t>(kind)];
}

absl::StatusOr<Calendar> CalendarForPolicy(const Policy& policy) {
  return policy.business_calendar();
}

namespace cadence_internal {
namespace {

// The closing time of the day of `open`, an open instant that is on local day
// `day` or later: the end of that day's last open interval (its open time from
// `open` on, used up). Most often `open` is on `day`, and no zone lookup is
// needed to find its day.
absl::StatusOr<Instant> ClosingOfDay(const Calendar& calendar, Instant open,
                                     date::local_days day,
                                     bool* estimated = nullptr) {
  Instant end = calendar.FromLocal(date::local_seconds(day + date::days(1)));
  if (open >= end) {
    const date::local_days on = date::floor<date::days>(calendar.ToLocal(open));
    end = calendar.FromLocal(date::local_seconds(on + date::days(1)));
  }
  LEADKIT_ASSIGN_OR_RETURN(std::chrono::seconds left,
                           calendar.BusinessBetween(open, end, estimated));
  return calendar.AddBusiness(open, left, estimated);
}

// The closing time of the first open day on or after local day `day`, whose
// first instant is `begin`.
absl::StatusOr<Instant> ClosingOfOpenDay(const Calendar& calendar,
                                         date::local_days day, Instant begin,
                                         bool* estimated = nullptr) {
  LEADKIT_ASSIGN_OR_RETURN(Instant open, calendar.NextOpen(begin, estimated));
  return ClosingOfDay(calendar, open, day, estimated);
}

// The local day `days` after the touch's.
date::local_days DueDay(const Calendar& calendar, Instant touch, int days) {
  return date::floor<date::days>(calendar.ToLocal(touch)) + date::days(days);
}

}  // namespace
}  // namespace cadence_internal

struct DealerCalendars {
  absl::flat_hash_map<std::string, const Cadence*> by_dealer;
};

absl::StatusOr<Cadence> Cadence::ForPolicy(const Policy& policy) {
  LEADKIT_ASSIGN_OR_RETURN(Calendar calendar, CalendarForPolicy(policy));
  return Cadence(policy, std::move(calendar));
}

Cadence::Cadence(Policy policy, Calendar calendar)
    : Cadence(std::move(policy), std::move(calendar), true) {}

Cadence::Cadence(Policy policy, Calendar calendar, bool with_dealer_calendars)
    : policy_(std::move(policy)), calendar_(std::move(calendar)) {
  if (with_dealer_calendars && !policy_.dealer_calendars().empty()) {
    auto named = std::make_shared<std::map<std::string, Cadence, std::less<>>>();
    for (const auto& [name, dealer_calendar] : policy_.dealer_calendars()) {
      named->emplace(name, Cadence(policy_, dealer_calendar, false));
    }
    on_calendar_ = std::move(named);
  }
  // Day deadlines are looked up, not searched for: one pass over the covered
  // days when a follow-up interval is due at the end of its day.
  bool by_day = false;
  for (const auto& interval : policy_.cadence().follow_up) {
    by_day |= interval && interval->due == IntervalDue::kEndOfDay;
  }
  if (!by_day || !calendar_.has_coverage()) return;
  const date::local_days from = calendar_.coverage_from();
  const date::local_days to = calendar_.coverage_to();
  auto closing = std::make_shared<std::vector<Instant>>(
      static_cast<size_t>((to - from).count() + 1), Instant::max());
  for (date::local_days day = to; day >= from; day -= date::days(1)) {
    const size_t k = static_cast<size_t>((day - from).count());
    absl::StatusOr<bool> workday = calendar_.IsWorkday(day);
    if (!workday.ok()) continue;
    if (!*workday) {  // the next day's answer, when there is one
      if (day < to) (*closing)[k] = (*closing)[k + 1];
      continue;
    }
    absl::StatusOr<Instant> at = cadence_internal::ClosingOfOpenDay(
        calendar_, day, calendar_.FromLocal(date::local_seconds(day)));
    if (at.ok()) (*closing)[k] = *at;
  }
  day_closing_ = std::move(closing);
}

absl::StatusOr<Instant> Cadence::DayDeadline(date::local_days day,
                                             bool* estimated) const {
  if (day_closing_ != nullptr) {
    const auto k = (day - calendar_.coverage_from()).count();
    if (k >= 0 && static_cast<size_t>(k) < day_closing_->size() &&
        (*day_closing_)[static_cast<size_t>(k)] != Instant::max()) {
      return (*day_closing_)[static_cast<size_t>(k)];
    }
  }
  // Past the table (outside the coverage): the calendar's own rule for it.
  return cadence_internal::ClosingOfOpenDay(
      calendar_, day, calendar_.FromLocal(date::local_seconds(day)), estimated);
}

absl::StatusOr<Instant> Cadence::Deadline(Instant start, const Sla& sla,
                                          bool* estimated) const {
  if (sla.clock == Clock::kBusiness) {
    return calendar_.AddBusiness(start, sla.duration, estimated);
  }
  const Instant at = start + sla.duration;
  if (sla.closed_deadline == ClosedDeadline::kKeep) return at;
  LEADKIT_ASSIGN_OR_RETURN(bool open, calendar_.IsOpen(at, estimated));
  if (open) return at;
  // At a closing time (open the second before) the deadline can be met.
  LEADKIT_ASSIGN_OR_RETURN(
      bool closing, calendar_.IsOpen(at - std::chrono::seconds(1), estimated));
  if (closing) return at;
  LEADKIT_ASSIGN_OR_RETURN(Instant next, calendar_.NextOpen(at, estimated));
  if (sla.closed_deadline == ClosedDeadline::kNextOpen) return next;
  return cadence_internal::ClosingOfDay(
      calendar_, next, date::floor<date::days>(calendar_.ToLocal(at)),
      estimated);
}

absl::StatusOr<Instant> Cadence::EntryDeadline(Instant created_at,
                                               bool* estimated) const {
  return Deadline(created_at, policy_.cadence().entry, estimated);
}

absl::StatusOr<Instant> Cadence::FirstContactDeadline(Instant start,
                                                      bool* estimated) const {
  return Deadline(start, policy_.cadence().first_contact, estimated);
}

absl::StatusOr<std::optional<FollowUpDue>> Cadence::FollowUpDeadline(
    Instant touch, int grade, bool* estimated) const {
  const auto& table = policy_.cadence().follow_up;
  if (grade < 0 || static_cast<size_t>(grade) >= table.size() ||
      !table[grade]) {
    return std::optional<FollowUpDue>();
  }
  const FollowUpInterval& interval = *table[static_cast<size_t>(grade)];
  FollowUpDue out;
  if (interval.due == IntervalDue::kEndOfDay) {
    LEADKIT_ASSIGN_OR_RETURN(
        out.due,
        DayDeadline(
            cadence_internal::DueDay(calendar_, touch, interval.max_days),
            estimated));
  } else {
    LEADKIT_ASSIGN_OR_RETURN(Instant upper,
                             calendar_.AddDays(touch, interval.max_days));
    LEADKIT_ASSIGN_OR_RETURN(out.due, calendar_.RollToOpen(upper, estimated));
  }
  if (interval.is_range()) {
    LEADKIT_ASSIGN_OR_RETURN(Instant lower,
                             calendar_.AddDays(touch, interval.min_days));
    LEADKIT_ASSIGN_OR_RETURN(out.agenda,
                             calendar_.RollToOpen(lower, estimated));
  }
  return std::optional<FollowUpDue>(out);
}

absl::StatusOr<std::optional<Instant>> Cadence::FollowUpDueBy(
    Instant touch, int grade, Instant end, bool* estimated) const {
  const auto& table = policy_.cadence().follow_up;
  if (grade < 0 || static_cast<size_t>(grade) >= table.size() ||
      !table[grade]) {
    return std::optional<Instant>();
  }
  const FollowUpInterval& interval = *table[static_cast<size_t>(grade)];
  // Either rule's deadline is at or after an instant found without the
  // calendar's open hours (the exact instant, or the midnight that starts the
  // due day): past `end` it is not due, and the calendar need not cover it.
  bool rolled_estimated = false;
  Instant due;
  if (interval.due == IntervalDue::kExact) {
    LEADKIT_ASSIGN_OR_RETURN(Instant upper,
                             calendar_.AddDays(touch, interval.max_days));
    if (upper > end) return std::optional<Instant>();
    LEADKIT_ASSIGN_OR_RETURN(due,
                             calendar_.RollToOpen(upper, &rolled_estimated));
  } else {
    const date::local_days day =
        cadence_internal::DueDay(calendar_, touch, interval.max_days);
    if (calendar_.FromLocal(date::local_seconds(day)) > end) {
      return std::optional<Instant>();
    }
    LEADKIT_ASSIGN_OR_RETURN(due, DayDeadline(day, &rolled_estimated));
  }
  if (due > end) return std::optional<Instant>();
  if (rolled_estimated && estimated != nullptr) *estimated = true;
  return std::optional<Instant>(due);
}

absl::StatusOr<std::vector<Task>> Cadence::LeadTasks(
    const LeadFacts& lead, std::span<const TouchFacts> touches,
    Instant as_of) const {
  std::vector<TouchFacts> sorted;
  for (const TouchFacts& t : touches) {
    if (t.at > as_of) continue;  // not happened yet at as_of
    if (t.at < lead.created_at) {
      return absl::InvalidArgumentError(
          absl::StrCat("a touch at ", batch_internal::InstantText(t.at),
                       " is before the lead's created_at ",
                       batch_internal::InstantText(lead.created_at)));
    }
    sorted.push_back(t);
  }
  std::stable_sort(sorted.begin(), sorted.end(), TouchBefore);
  return cadence_internal::LeadSchedule(*this, lead, sorted, as_of).Run();
}

AgendaStatus OnAgenda(const Task& task, const AgendaDay& day) {
  if (task.due <= day.begin) return AgendaStatus::kOverdue;
  if (task.due <= day.end) return AgendaStatus::kPending;  // due that day
  // A range follow-up is on the agenda from its agenda date on; any other task
  // on the day its window opens.
  const bool listed = task.agenda ? *task.agenda < day.end
                                  : task.start >= day.begin &&
                                        task.start < day.end;
  return listed ? AgendaStatus::kPending : AgendaStatus::kOff;
}

AgendaDay Cadence::Day(date::local_days day) const {
  // The calendar the deadlines are judged in; with per-dealer calendars, the
  // lead's.
  return {.day = day,
          .begin = calendar_.FromLocal(date::local_seconds(day)),
          .end = calendar_.FromLocal(date::local_seconds(day + date::days(1)))};
}

namespace cadence_internal {
namespace {

// Keeps the tasks on the agenda of `day`, each marked as it stands there.
template <typename T, typename TaskOf>
void KeepOnAgenda(std::vector<T>& tasks, const AgendaDay& day,
                  TaskOf task_of) {
  std::erase_if(tasks, [&](T& item) {
    Task& task = task_of(item);
    const AgendaStatus status = OnAgenda(task, day);
    task.overdue = status == AgendaStatus::kOverdue;
    return status == AgendaStatus::kOff;
  });
}

}  // namespace
}  // namespace cadence_internal

absl::StatusOr<std::vector<Task>> Cadence::LeadAgenda(
    const LeadFacts& lead, std::span<const TouchFacts> touches,
    date::local_days day) const {
  const AgendaDay bounds = Day(day);
  LEADKIT_ASSIGN_OR_RETURN(std::vector<Task> tasks,
                           LeadTasks(lead, touches, bounds.as_of()));
  cadence_internal::KeepOnAgenda(tasks, bounds,
                                 [](Task& t) -> Task& { return t; });
  return tasks;
}

}  // namespace leadkit

namespace leadkit {

const Cadence* Cadence::OnCalendar(absl::string_view name) const {
  if (on_calendar_ == nullptr) return nullptr;
  const auto it = on_calendar_->find(name);
  return it == on_calendar_->end() ? nullptr : &it->second;
}

absl::StatusOr<Cadence> Cadence::WithDealers(const Columns& dealers) const {
  using batch_internal::Quote;
  using batch_internal::ReadStrings;
  LEADKIT_ASSIGN_OR_RETURN(const Column* calendar,
                           ReadStrings(dealers, "dealers", "calendar", false));
  Cadence out = *this;
  out.dealers_ = nullptr;
  if (calendar == nullptr) return out;
  LEADKIT_ASSIGN_OR_RETURN(const Column* ids,
                           ReadStrings(dealers, "dealers", "dealer_id", true));
  std::vector<absl::string_view> names;
  if (on_calendar_ != nullptr) {
    for (const auto& [name, cadence] : *on_calendar_) names.push_back(name);
  }
  auto table = std::make_shared<DealerCalendars>();
  absl::flat_hash_map<std::string, int64_t> row_of;
  for (int64_t row = 0; row < dealers.num_rows(); ++row) {
    if (calendar->IsNull(row)) continue;  // the policy's calendar
    const absl::string_view name = calendar->ViewAt(row);
    const std::string where = absl::StrCat("dealers row ", row);
    if (ids->IsNull(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": dealer_id is null, but calendar is ", Quote(name)));
    }
    const absl::string_view dealer = ids->ViewAt(row);
    const Cadence* cadence = OnCalendar(name);
    if (cadence == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": dealer_id ", Quote(dealer), ": unknown calendar ",
          Quote(name),
          names.empty()
              ? std::string("; the policy names no calendars "
                            "(\"calendars\")")
              : absl::StrCat(json_internal::Suggestion(name, names),
                             " The policy's calendars: \"",
                             absl::StrJoin(names, "\", \""), "\"")));
    }
    const auto [it, inserted] =
        table->by_dealer.emplace(std::string(dealer), cadence);
    if (!inserted && it->second != cadence) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": dealer_id ", Quote(dealer), " is given calendar ",
          Quote(name), " and, at row ", row_of[dealer], ", another"));
    }
    row_of.emplace(std::string(dealer), row);
  }
  if (!table->by_dealer.empty()) out.dealers_ = std::move(table);
  return out;
}

const Cadence& Cadence::ForDealer(absl::string_view dealer_id) const {
  if (dealers_ == nullptr) return *this;
  const auto it = dealers_->by_dealer.find(dealer_id);
  return it == dealers_->by_dealer.end() ? *this : *it->second;
}

absl::StatusOr<ScheduleResult> Cadence::Schedule(
    const Columns& leads, const Columns& touches, Instant as_of,
    const ScheduleOptions& options) const {
  return Run(leads, touches, as_of, nullptr, options);
}

absl::StatusOr<std::vector<uint8_t>> Cadence::FirstContactOverdue(
    const Columns& leads, const Columns& touches, Instant as_of) const {
  LEADKIT_ASSIGN_OR_RETURN(const ScheduleResult result,
                           Schedule(leads, touches, as_of));
  std::vector<uint8_t> late(static_cast<size_t>(leads.num_rows()), 0);
  for (const ScheduledTask& t : result.tasks) {
    if (t.task.kind == TaskKind::kFirstContact && t.task.overdue) {
      late[static_cast<size_t>(t.lead_row)] = 1;
    }
  }
  return late;
}

absl::StatusOr<ScheduleResult> Cadence::Agenda(
    const Columns& leads, const Columns& touches, date::local_days day,
    const ScheduleOptions& options) const {
  // Touches are read up to the latest end of the day among the calendars.
  Instant as_of = Day(day).as_of();
  if (dealers_ != nullptr) {
    for (const auto& [dealer, cadence] : dealers_->by_dealer) {
      as_of = std::max(as_of, cadence->Day(day).as_of());
    }
  }
  return Run(leads, touches, as_of, &day, options);
}

absl::StatusOr<ScheduleResult> Cadence::Run(const Columns& leads,
                                            const Columns& touches,
                                            Instant as_of,
                                            const date::local_days* agenda_day,
                                            const ScheduleOptions& options) const {
  using batch_internal::Quote;
  ScheduleResult result;
  const int64_t n = leads.num_rows();
  result.grades.assign(static_cast<size_t>(n), -1);
  result.touch_counts.assign(static_cast<size_t>(n), 0);
  // A bad row: an error now, or a row of the errors table.
  const auto reject = [&](absl::string_view table, int64_t row,
                          absl::string_view column,
                          std::string message) -> absl::Status {
    if (!options.collect_errors) {
      return absl::InvalidArgumentError(
          absl::StrCat(table, " row ", row, ": ", message));
    }
    result.errors.push_back(
        {std::string(table), row, std::string(column), std::move(message)});
    return absl::OkStatus();
  };

  LEADKIT_ASSIGN_OR_RETURN(
      batch_internal::LeadBatch batch,
      batch_internal::ReadLeadBatch(policy_, leads, touches, as_of, reject));
  std::vector<TouchFacts> lead_touches;
  std::vector<absl::Status> task_errors;
  for (int64_t row = 0; row < n; ++row) {
    const auto r = static_cast<size_t>(row);
    if (batch.rejected[r]) continue;
    const Cadence& cadence = batch_internal::LeadCadence(*this, batch, row);
    const LeadFacts facts = batch.Facts(row);
    batch.TouchesOf(row, lead_touches);
    // The agenda: the end of the day in the lead's calendar.
    std::optional<AgendaDay> day;
    Instant lead_as_of = as_of;
    if (agenda_day != nullptr) {
      day = cadence.Day(*agenda_day);
      lead_as_of = day->as_of();
      while (!lead_touches.empty() && lead_touches.back().at > lead_as_of) {
        lead_touches.pop_back();
      }
    }
    task_errors.clear();
    // Collecting, a task that fails is a row of the errors and the lead's
    // other tasks stay.
    absl::StatusOr<std::vector<Task>> tasks =
        cadence_internal::LeadSchedule(
            cadence, facts, lead_touches, lead_as_of,
            options.collect_errors ? &task_errors : nullptr)
            .Run();
    const auto who = [&] {
      return absl::StrCat("lead_id ", Quote(batch.ids->ViewAt(row)), ": ");
    };
    for (const absl::Status& error : task_errors) {
      LEADKIT_RETURN_IF_ERROR(
          reject("leads", row, "", absl::StrCat(who(), error.message())));
    }
    if (!tasks.ok()) {
      LEADKIT_RETURN_IF_ERROR(reject(
          "leads", row, "", absl::StrCat(who(), tasks.status().message())));
      continue;
    }
    if (day) {
      cadence_internal::KeepOnAgenda(*tasks, *day,
                                     [](Task& t) -> Task& { return t; });
    }
    for (Task& task : *tasks) result.tasks.push_back({row, std::move(task)});
    result.grades[r] = GradeAt(facts, lead_touches, lead_as_of);
    result.touch_counts[r] = static_cast<int32_t>(lead_touches.size());
  }
  return result;
}

}  // namespace leadkit
