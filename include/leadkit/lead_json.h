// Leads written as JSON objects, one per lead: what dealer systems exchange and
// what rule tests and golden files hold. A LeadTable owns the parsed values and
// exposes them as the Columns batch every engine reads.
//
// Values: numbers for number fields, true/false for bool fields, strings for
// string fields, instants as ISO 8601 text with an offset
// ("2026-03-02T09:15:00+08:00", "...Z") or as seconds since the epoch, dates as
// "YYYY-MM-DD". null or an absent key is a null value. A naive time
// ("2026-03-02T09:15:00") is an error: leadkit never guesses a zone.
//
// Example:
//   absl::StatusOr<LeadTable> t = LeadTable::FromJson(
//       R"([{"lead_id": "L1", "model": "C200", "purchase_within_days": 30}])");
//   ClassifyBatch(policy, t->columns(), grades, rules);
//   LeadTable::FromJson(R"([{"lead_id": "L2", "purchase_within_days":
//   "soon"}])").status();
//   // InvalidArgument: leads[0] (lead_id "L2").purchase_within_days: expected
//   a number,
//   //                  got the string "soon"
#ifndef LEADKIT_LEAD_JSON_H_
#define LEADKIT_LEAD_JSON_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/columns.h"

namespace leadkit {

class LeadTable {
 public:
  // Parses a JSON array of lead objects. InvalidArgument naming the lead's
  // index, its lead_id, the field and the value (personal data masked) for a
  // value of the wrong type, an unknown field (with the nearest field name) or
  // malformed JSON.
  static absl::StatusOr<LeadTable> FromJson(absl::string_view text);

  LeadTable(LeadTable&&);
  LeadTable& operator=(LeadTable&&);
  ~LeadTable();

  const Columns& columns() const { return *columns_; }
  int64_t num_rows() const { return columns_->num_rows(); }

 private:
  explicit LeadTable(int64_t num_rows);
  struct Storage;

  std::unique_ptr<Storage>
      storage_;  // stable addresses for the columns' buffers
  std::unique_ptr<Columns> columns_;
};

}  // namespace leadkit

#endif  // LEADKIT_LEAD_JSON_H_
