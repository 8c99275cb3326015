#include <optional>
#include <string>

#include "bindings.h"
#include "leadkit/scope.h"

namespace leadkit::python {

void RegisterScope(py::module_& m) {
  m.def(
      "scope_mask",
      [](const std::string& kind, const std::string& id, int64_t num_rows,
         const py::list& row_specs, std::optional<int64_t> num_dealers,
         const py::list& dealer_specs) {
        Scope scope;
        if (kind == "region") {
          scope = Scope::Region(id);
        } else if (kind == "dealer") {
          scope = Scope::Dealer(id);
        } else if (kind != "hq") {
          throw py::value_error("scope: unknown kind '" + kind +
                                "' (hq, region, dealer)");
        }
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
}

}  // namespace leadkit::python
