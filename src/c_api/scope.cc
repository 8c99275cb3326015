// Scopes over the C ABI (leadkit.h): who sees what (scope.h), with the
// dealers table read once; the states' _add_scoped calls apply one as the
// rows enter (AddTable::scope).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "c_api/arrow.h"
#include "c_api/c_api_internal.h"
#include "c_api/state.h"
#include "leadkit/columns.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/leadkit.h"
#include "leadkit/phone.h"
#include "leadkit/scope.h"

namespace leadkit::c_api_internal {

absl::StatusOr<std::unique_ptr<lk_scope>> MakeScope(Scope scope,
                                                    ArrowArrayStream* dealers) {
  ConsumeStreams consume({dealers});
  auto made = std::make_unique<lk_scope>();
  made->scope = std::move(scope);
  if (dealers != nullptr) {
    static const std::vector<ColumnSpec> kDealers = {
        {"region_id", FieldType::kString}};
    LEADKIT_ASSIGN_OR_RETURN(
        made->dealers,
        StreamTable::Read(dealers, "dealers", kDealers, "dealer_id"));
    LEADKIT_RETURN_IF_ERROR(
        ScopeMask(made->scope, Columns(0), &made->dealers->columns())
            .status());
  }
  return made;
}

}  // namespace leadkit::c_api_internal

using leadkit::c_api_internal::ConsumeStreams;
using leadkit::c_api_internal::Guarded;
using leadkit::c_api_internal::NullArgument;

extern "C" {

lk_status lk_scope_create(const char* kind, const char* id,
                          struct ArrowArrayStream* dealers, lk_scope** scope) {
  if (scope != nullptr) *scope = nullptr;
  return Guarded("lk_scope_create", [&]() -> absl::Status {
    constexpr absl::string_view kFunction = "lk_scope_create";
    ConsumeStreams consume({dealers});
    if (scope == nullptr) return NullArgument(kFunction, "scope");
    if (kind == nullptr) return NullArgument(kFunction, "kind");
    const absl::string_view k(kind);
    leadkit::Scope made;
    if (k == "region" || k == "dealer") {
      if (id == nullptr || id[0] == '\0') {
        return absl::InvalidArgumentError(absl::StrCat(
            kFunction, ": a ", k, " scope needs its ", k, "'s id (id is ",
            id == nullptr ? "NULL" : "empty", ")"));
      }
      made = k == "region" ? leadkit::Scope::Region(id)
                           : leadkit::Scope::Dealer(id);
    } else if (k != "hq") {
      return absl::InvalidArgumentError(
          absl::StrCat(kFunction, ": unknown kind \"", leadkit::ScrubText(k),
                       "\" (hq, region, dealer)"));
    }
    if (dealers == nullptr && made.kind == leadkit::Scope::Kind::kRegion) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": a region scope needs the dealers table (dealer_id, "
                     "region_id): dealers is NULL"));
    }
    LEADKIT_ASSIGN_OR_RETURN(
        std::unique_ptr<lk_scope> created,
        leadkit::c_api_internal::MakeScope(std::move(made), dealers));
    *scope = created.release();
    return absl::OkStatus();
  });
}

void lk_scope_free(lk_scope* scope) { delete scope; }

}  // extern "C"
