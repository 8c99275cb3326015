#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "leadkit/phone.h"
#include "leadkit/routing.h"

namespace leadkit::python {

// Moves as columns: lists of ids (None for none), status names, reasons,
// reassignments.
py::dict MovesToDict(const std::vector<Move>& moves) {
  py::list lead, from, to, status, reason, count;
  const auto text = [](const std::string& s) -> py::object {
    return s.empty() ? py::none() : py::object(py::str(s));
  };
  for (const Move& m : moves) {
    lead.append(py::str(m.lead_id));
    from.append(text(m.from_consultant_id));
    to.append(text(m.to_consultant_id));
    status.append(py::str(std::string(MoveStatusName(m.status))));
    reason.append(text(m.reason));
    count.append(m.reassignments);
  }
  py::dict out;
  out["lead_id"] = lead;
  out["from_consultant_id"] = from;
  out["to_consultant_id"] = to;
  out["status"] = status;
  out["reason"] = reason;
  out["reassignments"] = count;
  return out;
}

void RegisterRouting(py::module_& m) {
  py::class_<Network, std::shared_ptr<Network>>(m, "Network")
      .def_static(
          "create",
          [](const py::list& dealers, const py::list& consultants) {
            // Rows as prepared by leadkit/_routing.py.
            std::vector<Dealer> ds;
            for (const py::handle row : dealers) {
              const auto t = row.cast<py::tuple>();
              ds.push_back({.dealer_id = t[0].cast<std::string>(),
                            .region_id = t[1].cast<std::string>(),
                            .lat = t[2].cast<double>(),
                            .lon = t[3].cast<double>(),
                            .city = t[4].cast<std::string>(),
                            .models = t[5].cast<std::vector<std::string>>(),
                            .active = t[6].cast<bool>()});
            }
            std::vector<Consultant> cs;
            for (const py::handle row : consultants) {
              const auto t = row.cast<py::tuple>();
              cs.push_back(
                  {.consultant_id = t[0].cast<std::string>(),
                   .dealer_id = t[1].cast<std::string>(),
                   .models = t[2].cast<std::vector<std::string>>(),
                   .experience_years = t[3].cast<double>(),
                   .active = t[4].cast<bool>(),
                   .max_open_leads = t[5].cast<std::optional<int64_t>>(),
                   .open_leads = t[6].cast<int64_t>(),
                   .weight = t[7].cast<double>(),
                   .code = t[8].cast<std::string>()});
            }
            return std::make_shared<Network>(
                ValueOrThrow(Network::Create(std::move(ds), std::move(cs))));
          },
          py::arg("dealers"), py::arg("consultants"));

  py::class_<Assignment>(m, "Assignment", "Where a lead was routed, and why.")
      .def_property_readonly("status",
                             [](const Assignment& a) {
                               return std::string(RouteStatusName(a.status));
                             })
      .def_property_readonly("dealer_id",
                             [](const Assignment& a) -> py::object {
                               return a.dealer_id.empty()
                                          ? py::none()
                                          : py::object(py::str(a.dealer_id));
                             })
      .def_property_readonly(
          "consultant_id",
          [](const Assignment& a) -> py::object {
            return a.consultant_id.empty()
                       ? py::none()
                       : py::object(py::str(a.consultant_id));
          })
      .def_readonly("distance_km", &Assignment::distance_km)
      .def_property_readonly("file_number",
                             [](const Assignment& a) -> py::object {
                               return a.file_number.empty()
                                          ? py::none()
                                          : py::object(py::str(a.file_number));
                             })
      .def_property_readonly("duplicate_of",
                             [](const Assignment& a) -> py::object {
                               return a.duplicate_of.empty()
                                          ? py::none()
                                          : py::object(py::str(a.duplicate_of));
                             })
      .def_readonly("reason", &Assignment::reason)
      .def_readonly("reasons", &Assignment::reasons)
      .def_property_readonly(
          "passed_over",
          [](const Assignment& a) {
            py::list out;
            for (const PassedOver& p : a.passed_over) {
              out.append(py::make_tuple(p.dealer_id, p.reason, p.distance_km));
            }
            return out;
          },
          "Nearer dealers that could not serve the lead, in distance order: "
          "(dealer_id, reason, distance_km).")
      .def("__repr__", [](const Assignment& a) {
        return "Assignment(status='" + std::string(RouteStatusName(a.status)) +
               "', dealer_id='" + a.dealer_id + "', consultant_id='" +
               a.consultant_id + "', reason='" + a.reason + "')";
      });

  // The router keeps its network alive.
  struct PyRouter {
    std::shared_ptr<Network> network;
    std::unique_ptr<Router> router;
  };
  py::class_<PyRouter>(m, "Router")
      .def(py::init([](std::shared_ptr<Network> network, const Policy& policy,
                       const std::optional<py::bytes>& phone_key) {
             RouterOptions options;
             options.phone_key = PhoneKeyOf(phone_key);
             auto r = std::make_unique<Router>(*network, policy, options);
             return PyRouter{std::move(network), std::move(r)};
           }),
           py::arg("network"), py::arg("policy"),
           py::arg("phone_key") = py::none())
      .def(
          "route",
          [](PyRouter& self, const std::string& lead_id, int64_t created_at,
             const std::string& phone,
             const std::optional<std::string>& dealer_id,
             const std::string& model, const std::string& city,
             std::optional<double> lat, std::optional<double> lon, int grade) {
            RouteLead lead{
                .lead_id = lead_id,
                .created_at = Instant(std::chrono::seconds(created_at)),
                .phone = phone,
                .dealer_id = dealer_id,
                .model = model,
                .city = city,
                .lat = lat,
                .lon = lon,
                .grade = grade};
            absl::StatusOr<Assignment> out;
            {
              py::gil_scoped_release release;
              out = self.router->Route(lead);
            }
            return ValueOrThrow(std::move(out));
          },
          py::arg("lead_id"), py::arg("created_at"), py::arg("phone"),
          py::arg("dealer_id"), py::arg("model"), py::arg("city"),
          py::arg("lat"), py::arg("lon"), py::arg("grade"))
      .def("add_open_lead",
           [](PyRouter& self, const std::string& lead_id, int64_t created_at,
              const std::string& phone, const std::string& dealer_id,
              const std::string& consultant_id) {
             RouteLead lead{
                 .lead_id = lead_id,
                 .created_at = Instant(std::chrono::seconds(created_at)),
                 .phone = phone};
             self.router->AddOpenLead(lead, dealer_id, consultant_id);
           })
      .def(
          "route_batch",
          [](PyRouter& self, int64_t num_rows, const py::list& specs,
             const py::array_t<int32_t, py::array::c_style>& grades) {
            BatchColumns leads(num_rows, specs);
            absl::StatusOr<std::vector<Assignment>> result;
            {
              py::gil_scoped_release release;
              result = self.router->RouteBatch(
                  leads.columns(),
                  {grades.data(), static_cast<size_t>(grades.size())});
            }
            ThrowIfError(result.status());
            const auto n = static_cast<py::ssize_t>(result->size());
            py::array_t<int8_t> status(n);
            py::array_t<double> distance(n);
            py::list dealer, consultant, file_number, duplicate_of, reason,
                passed_over;
            for (py::ssize_t i = 0; i < n; ++i) {
              const Assignment& a = (*result)[static_cast<size_t>(i)];
              status.mutable_at(i) = static_cast<int8_t>(a.status);
              distance.mutable_at(i) = a.distance_km.value_or(std::nan(""));
              const auto text = [](const std::string& s) -> py::object {
                return s.empty() ? py::none() : py::object(py::str(s));
              };
              dealer.append(text(a.dealer_id));
              consultant.append(text(a.consultant_id));
              file_number.append(text(a.file_number));
              duplicate_of.append(text(a.duplicate_of));
              reason.append(py::str(a.reason));
              // "D1:nearest_full;D2:no_model_at_nearest"; None when none.
              passed_over.append(text(PassedOverText(a.passed_over)));
            }
            py::dict out;
            out["status"] = status;
            out["distance_km"] = distance;
            out["dealer_id"] = dealer;
            out["consultant_id"] = consultant;
            out["file_number"] = file_number;
            out["duplicate_of"] = duplicate_of;
            out["reason"] = reason;
            out["passed_over"] = passed_over;
            return out;
          },
          py::arg("num_rows"), py::arg("leads"), py::arg("grades"))
      .def(
          "route_arrow",
          [](PyRouter& self, const Policy& policy, const py::handle leads) {
            return RouteArrowCapsule(*self.router, policy, leads);
          },
          py::arg("policy"), py::arg("leads"),
          "Routes the leads of an Arrow stream (lk_route_arrow's code), "
          "passed_over as route_batch's text: an \"arrow_array_stream\" "
          "capsule.")
      .def(
          "handover",
          [](PyRouter& self, int64_t num_rows, const py::list& specs,
             const py::array_t<int32_t, py::array::c_style>& grades,
             const std::vector<std::string>& leaving) {
            BatchColumns leads(num_rows, specs);
            absl::StatusOr<std::vector<Move>> result;
            {
              py::gil_scoped_release release;
              result = self.router->Handover(
                  leads.columns(),
                  {grades.data(), static_cast<size_t>(grades.size())},
                  leaving);
            }
            return MovesToDict(ValueOrThrow(std::move(result)));
          },
          py::arg("num_rows"), py::arg("open_leads"), py::arg("grades"),
          py::arg("leaving"))
      .def(
          "reclaim",
          [](PyRouter& self, int64_t num_rows, const py::list& specs,
             const py::array_t<int32_t, py::array::c_style>& grades,
             const py::array_t<uint8_t, py::array::c_style>& late) {
            BatchColumns leads(num_rows, specs);
            absl::StatusOr<std::vector<Move>> result;
            {
              py::gil_scoped_release release;
              result = self.router->Reclaim(
                  leads.columns(),
                  {grades.data(), static_cast<size_t>(grades.size())},
                  {late.data(), static_cast<size_t>(late.size())});
            }
            return MovesToDict(ValueOrThrow(std::move(result)));
          },
          py::arg("num_rows"), py::arg("leads"), py::arg("grades"),
          py::arg("late"))
      .def("save",
           [](const PyRouter& self) {
             return py::bytes(ValueOrThrow(self.router->Save()));
           })
      .def("restore", [](PyRouter& self, const py::bytes& b) {
        ThrowIfError(self.router->Restore(std::string(b)));
      });

  m.def("normalize_phone",
        [](const std::string& p) { return NormalizePhone(p); });
  m.def(
      "parse_file_number",
      [](const std::string& text) {
        FileNumber f = ValueOrThrow(ParseFileNumber(text));
        return py::make_tuple(f.code, f.year, f.serial);
      },
      py::arg("text"));
}

}  // namespace leadkit::python
