// Scopes over the C ABI (leadkit.h): who sees what (scope.h), with the
// dealers table read once; the states' _add_scoped calls apply one as the
// rows enter (AddTable::scope).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
    auto made = std::make_unique<lk_scope>();
    if (k == "region" || k == "dealer") {
      if (id == nullptr || id[0] == '\0') {
        return absl::InvalidArgumentError(absl::StrCat(
            kFunction, ": a ", k, " scope needs its ", k, "'s id (id is ",
            id == nullptr ? "NULL" : "empty", ")"));
      }
      made->scope = k == "region" ? leadkit::Scope::Region(id)
                                  : leadkit::Scope::Dealer(id);
    } else if (k != "hq") {
      return absl::InvalidArgumentError(
          absl::StrCat(kFunction, ": unknown kind \"", leadkit::ScrubText(k),
                       "\" (hq, region, dealer)"));
    }
    if (dealers != nullptr) {
      static const std::vector<leadkit::c_api_internal::ColumnSpec> kDealers =
          {{"region_id", leadkit::FieldType::kString}};
      LEADKIT_ASSIGN_OR_RETURN(made->dealers,
                               leadkit::c_api_internal::StreamTable::Read(
                                   dealers, "dealers", kDealers, "dealer_id"));
    } else if (made->scope.kind == leadkit::Scope::Kind::kRegion) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFunction, ": a region scope needs the dealers table (dealer_id, "
                     "region_id): dealers is NULL"));
    }
    if (made->dealers != nullptr) {
      // An unknown dealer or region is found now rather than at each add.
      LEADKIT_RETURN_IF_ERROR(leadkit::ScopeMask(made->scope,
                                                 leadkit::Columns(0),
                                                 &made->dealers->columns())
                                  .status());
    }
    *scope = made.release();
    return absl::OkStatus();
  });
}

void lk_scope_free(lk_scope* scope) { delete scope; }

}  // extern "C"
