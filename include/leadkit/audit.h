// The supervisor's audit of lead records and follow-up (000 §8.1.1,
// docs/kpis.md), as a mergeable state: one finding per lead and code, each
// with a detail in which personal data is masked.
//
//   audited         = leads created by as_of, in scope
//   record findings = missing_name, missing_phone, missing_model,
//                     missing_grade, invalid_phone (every audited lead)
//   other findings  = entered_late, entered_next_day, first_contact_late,
//                     first_contact_not_phone, duplicate_phone,
//                     touch_by_other_consultant (audited leads not invalid)
//
// The deadlines are the cadence's, read through the KPI engine's lead by lead
// evaluation (LeadKpi): entered_late is "not entered_on_time",
// first_contact_late is "first_contact_due and not first_contact_on_time".
// Phone validity is PhoneIsValid (phone.h). Times in details are wall times in
// the policy's zone ("2024-06-12 18:30").
//
// What the state keeps. Every finding but duplicate_phone depends on one lead
// and its touches only (a batch holds each lead with its touches), so Add
// turns it into its row at once and the state keeps the rows. duplicate_phone
// spans leads that may arrive in different batches: the state keeps, for each
// audited lead that is not invalid and has a valid phone, its normalised
// number and lead_id, and Finalize groups them. The state's bytes therefore
// hold those normalised numbers (personal data, to be kept as the leads are);
// no finding, error or log shows them unmasked.
//
// Example:
//   AuditState state;
//   LEADKIT_RETURN_IF_ERROR(state.Add(cadence, leads, touches, as_of));
//   for (const AuditRow& row : state.Finalize()) {
//     // row.lead_id, AuditFindingName(row.finding), row.detail:
//     // "A1", "duplicate_phone", "same phone (138****8000) as A2"
//   }
#ifndef LEADKIT_AUDIT_H_
#define LEADKIT_AUDIT_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"

namespace leadkit {

// The finding codes, in the order findings of one lead are listed (part of the
// contract: leadkit.AUDIT_FINDINGS).
enum class AuditFinding : int8_t {
  kMissingName,
  kMissingPhone,
  kMissingModel,
  kMissingGrade,
  kInvalidPhone,
  kEnteredLate,
  kEnteredNextDay,
  kFirstContactLate,
  kFirstContactNotPhone,
  kDuplicatePhone,
  kTouchByOtherConsultant,
};
inline constexpr int kAuditFindingCount = 11;

// The code's name: "missing_name", ..., "touch_by_other_consultant".
absl::string_view AuditFindingName(AuditFinding finding);

// One finding; the fields are the Python result's columns.
struct AuditRow {
  std::string lead_id;
  AuditFinding finding = AuditFinding::kMissingName;
  std::string detail;  // personal data masked

  bool operator==(const AuditRow&) const = default;
};

class AuditState {
 public:
  AuditState() = default;

  // Audits the leads of a batch created by as_of, with their touches (read
  // through the cadence's lead-batch reader: each lead's deadlines on its
  // dealer's calendar after Cadence::WithDealers). Rows with a zero in
  // `include` (when given) are out of scope and ignored, with their touches;
  // duplicates are found only among the leads a state was given. Reads leads'
  // name, phone, model, grade, consultant_id (strings, optional) beside the
  // cadence's columns, and touches' consultant_id. Bad input is
  // InvalidArgument naming the table, row, lead_id and value (personal data
  // masked). `threads` > 1 splits the leads over threads; the state is the
  // same for any number.
  absl::Status Add(const Cadence& cadence, const Columns& leads,
                   const Columns& touches, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's findings. An audit has no options, so any two
  // states merge.
  absl::Status Merge(const AuditState& other);

  // Bytes ("LKAUD1", src/state_bytes.h) that Deserialize turns back into an
  // equal state.
  std::string Serialize() const;
  static absl::StatusOr<AuditState> Deserialize(absl::string_view bytes);

  // The findings, sorted by lead_id (byte order) and then by code.
  std::vector<AuditRow> Finalize() const;

  // Audited leads, not invalid, whose deadlines rest on a calendar's weekly
  // hours past its coverage (LeadKpi::estimated): for the caller to warn.
  int64_t estimated() const { return estimated_; }

  bool operator==(const AuditState& other) const = default;

  // A lead that can be another's duplicate: its normalised valid phone, the
  // digits d (10 to 12 of them) kept as size(d) * 10^12 + d.
  struct Phone {
    int64_t number = 0;
    std::string lead_id;
    auto operator<=>(const Phone&) const = default;
  };

 private:
  // Every finding but duplicate_phone, sorted by (lead_id, finding, detail).
  std::vector<AuditRow> rows_;
  // Sorted by (number, lead_id).
  std::vector<Phone> phones_;
  int64_t estimated_ = 0;
};

}  // namespace leadkit

#endif  // LEADKIT_AUDIT_H_
