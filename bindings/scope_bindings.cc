#include <optional>
#include <string>

#include "bindings.h"
#include "leadkit/scope.h"

namespace leadkit::python {

Scope ScopeOf(const std::string& kind, const std::string& id) {
  if (kind == "region") return Scope::Region(id);
  if (kind == "dealer") return Scope::Dealer(id);
  if (kind != "hq") {
    throw py::value_error("scope: unknown kind '" + kind +
                          "' (hq, region, dealer)");
  }
  return Scope::Hq();
}

void RegisterScope(py::module_& m) {
  m.def(
      "scope_mask",
      [](const std::string& kind, const std::string& id, int64_t num_rows,
         const py::list& row_specs, std::optional<int64_t> num_dealers,
         const py::list& dealer_specs) {
        const Scope scope = ScopeOf(kind, id);
        BatchColumns rows(num_rows, row_specs);
        std::optional<BatchColumns> dealers;
        if (num_dealers) dealers.emplace(*num_dealers, dealer_specs);
        std::vector<uint8_t> mask = ValueOrThrow(ScopeMask(
            scope, rows.columns(), dealers ? &dealers->columns() : nullptr));
        return py::array_t<uint8_t>(static_cast<py::ssize_t>(mask.size()),
                                    mask.data());
      },
      py::arg("kind"), py::arg("id"), py::arg("num_rows"), py::arg("rows"),
      py::arg("num_dealers"), py::arg("dealers"),
      "Per row (its dealer_id), 1 when in the scope (ScopeMask); num_dealers "
      "None without the dealers table.");
  m.def(
      "regions_of",
      [](int64_t num_rows, const py::list& row_specs, int64_t num_dealers,
         const py::list& dealer_specs) {
        BatchColumns rows(num_rows, row_specs);
        BatchColumns dealers(num_dealers, dealer_specs);
        RowRegions out =
            ValueOrThrow(RegionsOf(rows.columns(), dealers.columns()));
        return py::make_tuple(
            py::array_t<int32_t>(static_cast<py::ssize_t>(out.codes.size()),
                                 out.codes.data()),
            out.regions);
      },
      py::arg("num_rows"), py::arg("rows"), py::arg("num_dealers"),
      py::arg("dealers"),
      "Each row's region (RegionsOf): its dealer's region_id in the dealers "
      "table, as (codes, regions), -1 for none.");
}

}  // namespace leadkit::python
