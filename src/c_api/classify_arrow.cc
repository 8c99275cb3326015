// lk_classify_arrow (leadkit.h): Arrow batches of leads in, ClassifyBatch per
// batch, Arrow batches of (lead_id, grade, rule) out.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/arrow_engines.h"
#include "c_api/c_api_internal.h"
#include "leadkit/classify.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/leadkit.h"

namespace leadkit::c_api_internal {
namespace {

// Result batches not yet handed to a stream: released if the call fails.
struct Batches {
  std::vector<ArrowArray> arrays;
  ~Batches() {
    for (ArrowArray& a : arrays) Release(a);
  }
};

// The result's schema: lead_id, grade and rule (leadkit.h).
ArrowSchema ClassifySchema(bool large_ids) {
  std::vector<ArrowSchema> columns;
  columns.push_back(ExportSchema(large_ids ? "U" : "u", "lead_id", 0));
  columns.push_back(ExportSchema("i", "grade", 0, {}, ExportSchema("u", "", 0)));
  columns.push_back(ExportSchema("i", "rule", 0, {}, ExportSchema("u", "", 0)));
  return ExportSchema("+s", "", 0, std::move(columns));
}

}  // namespace

absl::Status ClassifyArrow(const Policy& policy, ArrowArrayStream* leads,
                           ArrowArrayStream* result) {
  Batches out;
  bool large_ids = false;
  int64_t rows = 0;
  LEADKIT_RETURN_IF_ERROR(ForEachBatchTaken(
      leads, "leads",
      [&](const ArrowSchema& schema) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(const ArrowSchema* ids,
                                 RequiredColumn(schema, "leads", "lead_id"));
        LEADKIT_ASSIGN_OR_RETURN(large_ids,
                                 StringsAreLarge(*ids, "leads", "lead_id"));
        return absl::OkStatus();
      },
      [&](const ArrowSchema& schema, ArrowArray& batch) -> absl::Status {
        LEADKIT_ASSIGN_OR_RETURN(
            const std::unique_ptr<ArrowTable> table,
            ArrowTable::Read(schema, batch, "leads", policy.fields(), "lead_id",
                             rows));
        const int64_t n = table->num_rows();
        std::vector<int32_t> grades(static_cast<size_t>(n));
        std::vector<int32_t> rules(static_cast<size_t>(n));
        LEADKIT_RETURN_IF_ERROR(
            ClassifyBatch(policy, table->columns(), grades, rules));
        // Released if an export below fails.
        Batches columns;
        columns.arrays.reserve(3);
        // The ids over the batch's own buffers when they are plain strings
        // (the result keeps the batch), else copied.
        std::optional<ArrowArray> ids =
            table->ids().ExportKeeping(n, large_ids, batch);
        columns.arrays.push_back(ids ? *ids : table->ids().Export(n, large_ids));
        columns.arrays.push_back(
            ExportDictionary(std::move(grades), policy.grades()));
        columns.arrays.push_back(
            ExportDictionary(std::move(rules), policy.rule_ids()));
        std::vector<ArrowArray> children = std::move(columns.arrays);
        columns.arrays.clear();
        out.arrays.push_back(ExportStruct(n, std::move(children)));
        rows += n;
        return absl::OkStatus();
      }));
  ExportStream([large_ids] { return ClassifySchema(large_ids); },
               std::move(out.arrays), result);
  out.arrays.clear();
  return absl::OkStatus();
}

}  // namespace leadkit::c_api_internal

extern "C" lk_status lk_classify_arrow(const lk_policy* policy,
                                       struct ArrowArrayStream* leads,
                                       struct ArrowArrayStream* result) {
  using leadkit::c_api_internal::NullArgument;
  if (result != nullptr) result->release = nullptr;
  return leadkit::c_api_internal::Guarded(
      "lk_classify_arrow", [&]() -> absl::Status {
        constexpr absl::string_view kFunction = "lk_classify_arrow";
        if (policy == nullptr || result == nullptr) {
          // The input is consumed whatever the outcome.
          if (leads != nullptr && leads->release != nullptr) {
            leads->release(leads);
          }
          return NullArgument(kFunction, policy == nullptr ? "policy" : "result");
        }
        if (leads == nullptr) return NullArgument(kFunction, "leads");
        return leadkit::c_api_internal::ClassifyArrow(policy->policy, leads,
                                                      result);
      });
}
