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
// turns it into its row at once. duplicate_phone spans leads that may arrive
// in different batches: the state keeps, for each audited lead that is not
// invalid and has a valid phone, a keyed hash of its normalised number
// (SipHash-2-4, 64 bits, under AuditOptions::phone_key, as the router's saved
// state; docs/kpis.md), the number masked as the detail shows it and the
// lead_id, and Finalize groups equal hashes. No phone number is kept: without
// the key a hash cannot be tested against a guessed number. Without a key the
// hashes are under a fixed one, which anyone with leadkit can test guesses
// against: give a key when states leave the process. Two different numbers
// share a hash with a chance of about n^2 / 2^65 for n numbers.
//
// Both are held in the compact form of the state's bytes (each lead_id once
// for all of its findings, front-coded; each detail as a pattern shared by
// many details and its wall times as numbers; about 40 bytes a lead), in
// sorted blocks: an Add writes a few (a chunk of leads at a time, so that
// only one chunk's findings are ever held as strings), a Merge shares the
// other state's blocks (they never change), and past sixteen blocks the last
// ones are merged as streams; Serialize and Finalize read all blocks in one
// pass. A state of ten million leads takes some 400 MB, and merging states
// copies nothing.
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
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/cadence.h"
#include "leadkit/columns.h"

namespace leadkit {
namespace audit_internal {
struct Block;  // src/audit.cc
}  // namespace audit_internal

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

struct AuditOptions {
  // The secret key (16 bytes, e.g. from a CSPRNG) of the phones' keyed hash;
  // states merge only with states under the same key. nullopt: a fixed key.
  std::optional<std::array<uint8_t, 16>> phone_key;
};

class AuditState {
 public:
  explicit AuditState(AuditOptions options = {});

  // Audits the leads of a batch created by as_of, with their touches (read
  // through the cadence's lead-batch reader: each lead's deadlines on its
  // dealer's calendar after Cadence::WithDealers). Rows with a zero in
  // `include` (when given) are out of scope and ignored, with their touches;
  // duplicates are found only among the leads a state was given. Reads leads'
  // name, phone, model, grade, consultant_id (strings, optional) beside the
  // cadence's columns, and touches' consultant_id. Bad input is
  // InvalidArgument naming the table, row, lead_id and value (personal data
  // masked). `threads` > 1 splits the leads over threads; the state is the
  // same for any number. FailedPrecondition for a state restored from bytes
  // of a keyed state without its key (Deserialize with the key adds).
  absl::Status Add(const Cadence& cadence, const Columns& leads,
                   const Columns& touches, Instant as_of,
                   std::span<const uint8_t> include = {}, int threads = 1);

  // Adds another state's findings (sharing its blocks, not copying them).
  // FailedPrecondition when its phones are hashed under another phone_key;
  // OutOfRange when a count would pass int64's end (forged bytes).
  absl::Status Merge(const AuditState& other);

  // Bytes ("LKAUD2", src/state_bytes.h; they carry a check of the key, never
  // the key) that Deserialize turns back into an equal state. A state from
  // bytes merges and finalizes; with `phone_key` (checked against the bytes:
  // InvalidArgument for another key) it also adds.
  std::string Serialize() const;
  static absl::StatusOr<AuditState> Deserialize(
      absl::string_view bytes,
      std::optional<std::array<uint8_t, 16>> phone_key = std::nullopt);

  // The findings, sorted by lead_id (byte order) and then by code.
  std::vector<AuditRow> Finalize() const;
  // The same rows one at a time, without holding them all: `emit(lead_id,
  // finding, detail)`, the views valid during the call.
  void Finalize(absl::FunctionRef<void(absl::string_view, AuditFinding,
                                       absl::string_view)>
                    emit) const;

  // Audited leads, not invalid, whose deadlines rest on a calendar's weekly
  // hours past its coverage (LeadKpi::estimated): for the caller to warn.
  int64_t estimated() const { return estimated_; }

  // The check of the phone key the state's phones are hashed under (states
  // merge only with equal checks), and whether the state holds the key
  // itself and so can add (not so for one restored without its key).
  uint64_t key_check() const { return key_check_; }
  bool can_add() const { return phone_key_.has_value(); }

  // Equal findings, phones and key check (whether the key itself is held or
  // not).
  bool operator==(const AuditState& other) const;

  // A lead that can be another's duplicate: the keyed hash of its normalised
  // valid phone, the phone as MaskPhone shows it, and its lead_id.
  struct Phone {
    uint64_t digest = 0;
    std::string masked;
    std::string lead_id;
    auto operator<=>(const Phone&) const = default;
  };

 private:
  // Adds blocks; past a few, merges the last ones as one (so that a state of
  // many Adds or Merges keeps a few blocks, each rewritten a few times).
  void Push(std::vector<std::shared_ptr<const audit_internal::Block>> blocks);

  // The key's check (SipHash-2-4 of a fixed text under it), and the key
  // itself unless the state came from bytes without it.
  uint64_t key_check_ = 0;
  std::optional<std::array<uint8_t, 16>> phone_key_;
  // Blocks of findings and phones (audit_internal::Block), each sorted.
  std::vector<std::shared_ptr<const audit_internal::Block>> blocks_;
  int64_t estimated_ = 0;
};

}  // namespace leadkit

#endif  // LEADKIT_AUDIT_H_
