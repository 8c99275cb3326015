#include "leadkit/scope.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "leadkit/internal/status_macros.h"

namespace leadkit {
namespace {

// A string column (with or without a dictionary) named `name` of `table`;
// nullptr when absent and not required.
absl::StatusOr<const Column*> Strings(const Columns& table,
                                      absl::string_view table_name,
                                      absl::string_view name, bool required) {
  const Column* c = table.Find(name);
  if (c == nullptr) {
    if (!required) return c;
    return absl::InvalidArgumentError(absl::StrCat(
        table_name, ": missing required column \"", name, "\""));
  }
  if ((c->type() != ColumnType::kCode && c->type() != ColumnType::kString) ||
      c->validity_only()) {
    return absl::InvalidArgumentError(
        absl::StrCat(table_name, ".", name, ": expected strings, got ",
                     c->validity_only() ? "only null flags"
                                        : ColumnTypeName(c->type())));
  }
  return c;
}

}  // namespace

absl::string_view ScopeKindName(Scope::Kind kind) {
  switch (kind) {
    case Scope::Kind::kRegion:
      return "region";
    case Scope::Kind::kDealer:
      return "dealer";
    case Scope::Kind::kHq:
      break;
  }
  return "hq";
}

absl::StatusOr<std::vector<uint8_t>> ScopeMask(const Scope& scope,
                                               const Columns& rows,
                                               const Columns* dealers) {
  const auto n = static_cast<size_t>(rows.num_rows());
  if (scope.kind == Scope::Kind::kHq) return std::vector<uint8_t>(n, 1);
  LEADKIT_ASSIGN_OR_RETURN(const Column* row_dealer,
                           Strings(rows, "rows", "dealer_id", false));
  // The dealers in scope.
  absl::flat_hash_set<std::string> mine;
  if (scope.kind == Scope::Kind::kDealer) {
    bool known = false;
    if (dealers != nullptr) {
      LEADKIT_ASSIGN_OR_RETURN(const Column* ids,
                               Strings(*dealers, "dealers", "dealer_id", true));
      for (int64_t r = 0; r < dealers->num_rows() && !known; ++r) {
        known = !ids->IsNull(r) && ids->ViewAt(r) == scope.id;
      }
    } else if (row_dealer != nullptr) {
      for (size_t r = 0; r < n && !known; ++r) {
        const auto row = static_cast<int64_t>(r);
        known = !row_dealer->IsNull(row) && row_dealer->ViewAt(row) == scope.id;
      }
    }
    if (!known) {
      return absl::NotFoundError(
          absl::StrCat("scope: unknown dealer '", scope.id, "'"));
    }
    mine.insert(scope.id);
  } else {
    if (dealers == nullptr) {
      return absl::InvalidArgumentError(
          "scope: Scope.region needs the dealers table (dealers=)");
    }
    LEADKIT_ASSIGN_OR_RETURN(const Column* ids,
                             Strings(*dealers, "dealers", "dealer_id", true));
    LEADKIT_ASSIGN_OR_RETURN(const Column* regions,
                             Strings(*dealers, "dealers", "region_id", true));
    bool known = false;
    for (int64_t r = 0; r < dealers->num_rows(); ++r) {
      if (regions->IsNull(r) || regions->ViewAt(r) != scope.id) continue;
      known = true;
      if (!ids->IsNull(r)) mine.insert(std::string(ids->ViewAt(r)));
    }
    if (!known) {
      return absl::NotFoundError(
          absl::StrCat("scope: unknown region '", scope.id, "'"));
    }
  }
  std::vector<uint8_t> mask(n, 0);
  if (row_dealer == nullptr) return mask;  // no row names a dealer
  for (size_t r = 0; r < n; ++r) {
    const auto row = static_cast<int64_t>(r);
    mask[r] = !row_dealer->IsNull(row) && mine.contains(row_dealer->ViewAt(row));
  }
  return mask;
}

absl::StatusOr<RowRegions> RegionsOf(const Columns& rows,
                                     const Columns& dealers) {
  LEADKIT_ASSIGN_OR_RETURN(const Column* dealer_ids,
                           Strings(dealers, "dealers", "dealer_id", true));
  LEADKIT_ASSIGN_OR_RETURN(const Column* region_ids,
                           Strings(dealers, "dealers", "region_id", true));
  LEADKIT_ASSIGN_OR_RETURN(const Column* row_dealers,
                           Strings(rows, "leads", "dealer_id", false));
  RowRegions out;
  absl::flat_hash_map<std::string, int32_t> region_of, index;
  for (int64_t row = 0; row < dealers.num_rows(); ++row) {
    if (dealer_ids->IsNull(row) || region_ids->IsNull(row)) continue;
    const std::string region(region_ids->ViewAt(row));
    const auto [at, added] =
        index.try_emplace(region, static_cast<int32_t>(out.regions.size()));
    if (added) out.regions.push_back(region);
    region_of.try_emplace(std::string(dealer_ids->ViewAt(row)), at->second);
  }
  out.codes.assign(static_cast<size_t>(rows.num_rows()), -1);
  for (int64_t row = 0; row_dealers != nullptr && row < rows.num_rows();
       ++row) {
    if (row_dealers->IsNull(row)) continue;
    const auto it = region_of.find(row_dealers->ViewAt(row));
    if (it != region_of.end()) out.codes[static_cast<size_t>(row)] = it->second;
  }
  return out;
}

}  // namespace leadkit
