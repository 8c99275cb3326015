// Lead routing: the network's checks and spatial index, the router's steps,
// file numbers and saved state (docs/routing.md).
#include "leadkit/routing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "date/date.h"
#include "lead_batch.h"
#include "leadkit/columns.h"
#include "leadkit/internal/siphash.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/phone.h"
#include "leadkit/tz.h"
#include "state_bytes.h"

namespace leadkit {
namespace routing_internal {
namespace {

constexpr double kEarthKm = 6371.0088;
constexpr double kPi = 3.14159265358979323846;

// Index of the one-degree cell at (lat_cell, lon_cell), lat_cell in [-90, 89].
int CellIndex(int lat_cell, int lon_cell) {
  return (lat_cell + 90) * 360 + (lon_cell + 180);
}

int LatCell(double lat) {
  return std::min(89, static_cast<int>(std::floor(lat)));
}
int LonCell(double lon) {
  int c = static_cast<int>(std::floor(lon));
  return ((c % 360) + 360 + 180) % 360 - 180;  // wrap to [-180, 180)
}

bool Sells(const std::vector<std::string>& models, absl::string_view model) {
  return models.empty() || model.empty() ||
         std::find(models.begin(), models.end(), model) != models.end();
}

absl::Status Bad(absl::string_view table, absl::string_view id,
                 absl::string_view column, std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, ".", column, ": ",
                   table == "dealers" ? "dealer_id" : "consultant_id", " \"",
                   id, "\": ", message));
}

}  // namespace
}  // namespace routing_internal

double HaversineKm(double lat1, double lon1, double lat2, double lon2) {
  using routing_internal::kPi;
  const double p1 = lat1 * kPi / 180, p2 = lat2 * kPi / 180;
  const double dp = p2 - p1, dl = (lon2 - lon1) * kPi / 180;
  const double a =
      std::sin(dp / 2) * std::sin(dp / 2) +
      std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * routing_internal::kEarthKm *
         std::asin(std::min(1.0, std::sqrt(a)));
}

namespace routing_internal {

// FNV-1a 64 over `bytes`, from state `h`.
uint64_t Fnv(uint64_t h, absl::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return h;
}

constexpr uint64_t kFnvBasis =
    14695981039346656037ull;  // FNV-1a 64 offset basis

}  // namespace routing_internal

namespace routing_internal {

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace routing_internal

uint64_t Hash64(absl::string_view lead_id, absl::string_view consultant_id) {
  using routing_internal::Fnv;
  using routing_internal::kFnvBasis;
  using routing_internal::Mix;
  return Mix(Fnv(kFnvBasis, lead_id) ^ Mix(Fnv(kFnvBasis, consultant_id)));
}

absl::string_view RouteStatusName(RouteStatus status) {
  switch (status) {
    case RouteStatus::kAssigned:
      return "assigned";
    case RouteStatus::kDuplicate:
      return "duplicate";
    case RouteStatus::kUnassigned:
      return "unassigned";
  }
  return "unassigned";
}

std::string PassedOverText(std::span<const PassedOver> passed) {
  std::string out;
  for (const PassedOver& p : passed) {
    absl::StrAppend(&out, out.empty() ? "" : ";", p.dealer_id, ":", p.reason);
  }
  return out;
}

absl::Status CheckLocation(absl::string_view table, absl::string_view id_column,
                           absl::string_view id, std::optional<double> lat,
                           std::optional<double> lon) {
  const auto bad = [&](absl::string_view column, absl::string_view what,
                       double value, absl::string_view range) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, ".", column, ": ", id_column, " \"", id, "\": ",
                     what, " ", value, " is outside ", range));
  };
  if (lat && !(*lat >= -90 && *lat <= 90)) {
    return bad("lat", "latitude", *lat, "[-90, 90]");
  }
  if (lon && !(*lon >= -180 && *lon <= 180)) {
    return bad("lon", "longitude", *lon, "[-180, 180]");
  }
  return absl::OkStatus();
}

absl::StatusOr<Network> Network::Create(std::vector<Dealer> dealers,
                                        std::vector<Consultant> consultants) {
  using routing_internal::Bad;
  Network n;
  for (size_t i = 0; i < dealers.size(); ++i) {
    const Dealer& d = dealers[i];
    if (!n.dealer_index_.emplace(d.dealer_id, static_cast<int>(i)).second) {
      return Bad("dealers", d.dealer_id, "dealer_id", "given twice");
    }
    LEADKIT_RETURN_IF_ERROR(
        CheckLocation("dealers", "dealer_id", d.dealer_id, d.lat, d.lon));
  }
  n.by_dealer_.resize(dealers.size());
  // File numbers are <code>-<yy>-<serial>: two consultants with one code would
  // share numbers.
  absl::flat_hash_map<std::string, std::string> code_owner;
  for (size_t i = 0; i < consultants.size(); ++i) {
    const Consultant& c = consultants[i];
    if (!n.consultant_index_.emplace(c.consultant_id, static_cast<int>(i))
             .second) {
      return Bad("consultants", c.consultant_id, "consultant_id",
                 "given twice");
    }
    const std::string& code = c.code.empty() ? c.consultant_id : c.code;
    if (auto [it, fresh] = code_owner.emplace(code, c.consultant_id); !fresh) {
      return Bad(
          "consultants", c.consultant_id, "code",
          absl::StrCat("file-number code \"", code,
                       "\" is already consultant \"", it->second, "\"'s"));
    }
    auto dealer = n.dealer_index_.find(c.dealer_id);
    if (dealer == n.dealer_index_.end()) {
      return Bad("consultants", c.consultant_id, "dealer_id",
                 absl::StrCat("unknown dealer \"", c.dealer_id, "\""));
    }
    if (c.max_open_leads && *c.max_open_leads < 0) {
      return Bad("consultants", c.consultant_id, "max_open_leads",
                 absl::StrCat("negative capacity ", *c.max_open_leads));
    }
    if (c.open_leads < 0) {
      return Bad("consultants", c.consultant_id, "open_leads",
                 absl::StrCat("negative count ", c.open_leads));
    }
    if (!(c.weight >= 0) || std::isinf(c.weight)) {
      return Bad(
          "consultants", c.consultant_id, "weight",
          absl::StrCat("weight ", c.weight, " is not a non-negative number"));
    }
    if (c.active && c.weight == 0) {
      return Bad("consultants", c.consultant_id, "weight",
                 "an active consultant's weight is 0: give a positive weight "
                 "or make them "
                 "inactive");
    }
    n.by_dealer_[static_cast<size_t>(dealer->second)].push_back(
        static_cast<int>(i));
  }
  n.dealers_ = std::move(dealers);
  n.consultants_ = std::move(consultants);
  // A counting sort of the active dealers into their cells.
  std::vector<int> cell_of(n.dealers_.size(), -1);
  n.cell_start_.assign(180 * 360 + 1, 0);
  for (size_t i = 0; i < n.dealers_.size(); ++i) {
    const Dealer& d = n.dealers_[i];
    if (!d.active) continue;
    cell_of[i] = routing_internal::CellIndex(routing_internal::LatCell(d.lat),
                                             routing_internal::LonCell(d.lon));
    ++n.cell_start_[static_cast<size_t>(cell_of[i]) + 1];
  }
  for (size_t k = 0; k + 1 < n.cell_start_.size(); ++k)
    n.cell_start_[k + 1] += n.cell_start_[k];
  n.cell_dealers_.resize(static_cast<size_t>(n.cell_start_.back()));
  std::vector<int32_t> next(n.cell_start_.begin(), n.cell_start_.end() - 1);
  for (size_t i = 0; i < n.dealers_.size(); ++i) {
    if (cell_of[i] < 0) continue;
    const Dealer& d = n.dealers_[i];
    const double lat_rad = d.lat * routing_internal::kPi / 180;
    n.cell_dealers_[static_cast<size_t>(
        next[static_cast<size_t>(cell_of[i])]++)] = {
        d.lat,
        d.lon,
        lat_rad,
        d.lon * routing_internal::kPi / 180,
        std::cos(lat_rad),
        static_cast<int>(i),
        d.models.empty()};
  }
  for (const Consultant& c : n.consultants_) {
    n.facts_.push_back({c.active, c.models.empty(),
                        c.max_open_leads.value_or(-1), c.open_leads, c.weight,
                        c.experience_years,
                        routing_internal::Mix(routing_internal::Fnv(
                            routing_internal::kFnvBasis, c.consultant_id))});
  }
  return n;
}

int Network::DealerIndex(absl::string_view id) const {
  auto it = dealer_index_.find(id);
  return it == dealer_index_.end() ? -1 : it->second;
}

int Network::ConsultantIndex(absl::string_view id) const {
  auto it = consultant_index_.find(id);
  return it == consultant_index_.end() ? -1 : it->second;
}

template <typename Visit>
void Network::Walk(double lat, double lon, absl::string_view model,
                   double max_km, const double& bound, Visit visit) const {
  using namespace routing_internal;  // NOLINT: local helpers only
  const int lat0 = LatCell(lat), lon0 = LonCell(lon);
  // One degree of latitude is ~111.2 km; ring r (cells at Chebyshev distance r)
  // is at least (r - 1) degrees of latitude away, or (r - 1) degrees of
  // longitude at the cell's widest parallel. Stop when that lower bound passes
  // the bound or max_km.
  const double km_per_degree = kEarthKm * kPi / 180;
  // The haversine, with the query's part computed once and each dealer's
  // stored.
  const double qlat = lat * kPi / 180, qlon = lon * kPi / 180,
               qcos = std::cos(qlat);
  const auto km_to = [&](const CellDealer& c) {
    const double sp = std::sin((c.lat_rad - qlat) / 2),
                 sl = std::sin((c.lon_rad - qlon) / 2);
    const double a = sp * sp + qcos * c.cos_lat * sl * sl;
    return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(a)));
  };
  for (int r = 0; r <= 181; ++r) {
    if (r > 1) {
      const double cos_max = std::cos(
          std::max(0.0, std::min(89.0, std::fabs(lat) + r)) * kPi / 180);
      const double ring_km = (r - 1) * km_per_degree * std::max(cos_max, 0.0);
      if (ring_km > bound || ring_km > max_km) break;
    }
    for (int dl = -r; dl <= r; ++dl) {
      for (int dn = -r; dn <= r; ++dn) {
        if (std::max(std::abs(dl), std::abs(dn)) != r)
          continue;  // the ring only
        const int la = lat0 + dl;
        if (la < -90 || la > 89) continue;
        const auto k = static_cast<size_t>(CellIndex(la, LonCell(lon0 + dn)));
        for (int32_t p = cell_start_[k]; p < cell_start_[k + 1]; ++p) {
          const CellDealer& cell = cell_dealers_[static_cast<size_t>(p)];
          // A cheap lower bound first: the distance is at least the latitude
          // difference.
          const double lat_km = std::fabs(lat - cell.lat) * km_per_degree;
          if (lat_km > max_km || lat_km > bound) continue;
          if (!cell.all_models &&
              !Sells(dealers_[static_cast<size_t>(cell.index)].models, model)) {
            continue;
          }
          const double km = km_to(cell);
          if (km > max_km) continue;
          visit(cell.index, km);
        }
      }
    }
    if (2 * r + 1 >= 360) break;  // every longitude visited
  }
}

int Network::Nearest(double lat, double lon, absl::string_view model,
                     double max_km, double* distance_km) const {
  int best = -1;
  double best_km = std::numeric_limits<double>::infinity();
  Walk(lat, lon, model, max_km, best_km, [&](int index, double km) {
    if (km < best_km ||
        (km == best_km && dealers_[static_cast<size_t>(index)].dealer_id <
                              dealers_[static_cast<size_t>(best)].dealer_id)) {
      best = index;
      best_km = km;
    }
  });
  if (distance_km != nullptr) *distance_km = best_km;
  return best;
}

std::vector<std::pair<double, int>> Network::InRange(double lat, double lon,
                                                     absl::string_view model,
                                                     double max_km) const {
  std::vector<std::pair<double, int>> out;
  const double unbounded = std::numeric_limits<double>::infinity();
  Walk(lat, lon, model, max_km, unbounded,
       [&](int index, double km) { out.emplace_back(km, index); });
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return dealers_[static_cast<size_t>(a.second)].dealer_id <
           dealers_[static_cast<size_t>(b.second)].dealer_id;
  });
  return out;
}

Router::Router(const Network& network, const Policy& policy,
               const RouterOptions& options)
    : network_(&network),
      policy_(policy),
      routed_(network.consultants().size(), 0),
      dealer_routed_(network.dealers().size(), 0),
      excluded_(network.consultants().size(), 0) {
  // File-number years are local years of the policy's calendar zone (UTC if it
  // is unknown, which a loaded policy never is).
  absl::StatusOr<TimeZone> zone = FindZone(policy_.calendar().time_zone);
  if (zone.ok()) zone_ = *std::move(zone);
  if (options.phone_key) {
    phone_key_ = *options.phone_key;
    has_phone_key_ = true;
  }
}

uint64_t Router::PhoneDigest(absl::string_view normalised) const {
  return siphash_internal::SipHash24(phone_key_, normalised);
}

void Router::AddOpenLead(const RouteLead& lead, absl::string_view dealer_id,
                         absl::string_view consultant_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string phone = NormalizePhone(lead.phone);
  if (phone.empty()) return;
  // The open leads of a phone, in created order, form chains (each lead within
  // the window of the one before); the newest chain decides: its first lead's
  // id and assignment, and its latest lead's time, from which the window runs.
  std::vector<Seen>& all = open_by_phone_[PhoneDigest(phone)];
  all.push_back(Seen{lead.created_at, lead.lead_id, std::string(dealer_id),
                     std::string(consultant_id)});
  std::stable_sort(all.begin(), all.end(), [](const Seen& a, const Seen& b) {
    return a.created_at < b.created_at;
  });
  const auto window =
      std::chrono::hours(24 * policy_.routing().duplicate_window_days);
  Seen chain = all.front();
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].created_at - chain.created_at <= window) {
      chain.created_at = all[i].created_at;
    } else {
      chain = all[i];
    }
  }
  phones_[PhoneDigest(phone)] = std::move(chain);
}

absl::StatusOr<Assignment> Router::Route(const RouteLead& lead) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Assignment> a = RouteLocked(lead, /*with_reasons=*/true);
  // As in RouteBatch, a lead left unassigned still starts a chain: later leads
  // of its phone are its duplicates (with its dealer, if any, and no
  // consultant).
  if (a.ok() && a->status == RouteStatus::kUnassigned) {
    if (std::string phone = NormalizePhone(lead.phone); !phone.empty()) {
      phones_[PhoneDigest(phone)] =
          Seen{lead.created_at, lead.lead_id, a->dealer_id, a->consultant_id};
    }
  }
  return a;
}

absl::StatusOr<Assignment> Router::RouteLocked(const RouteLead& lead,
                                               bool with_reasons) {
  const Network& net = *network_;
  const RoutingSettings& settings = policy_.routing();
  Assignment out;
  // An impossible location is an error, even where routing does not read it (a
  // duplicate, a lead that names its dealer).
  LEADKIT_RETURN_IF_ERROR(
      CheckLocation("leads", "lead_id", lead.lead_id, lead.lat, lead.lon));
  // 1. Duplicates: the same normalised phone within the window of a lead seen
  // before.
  const std::string phone = NormalizePhone(lead.phone);
  if (!phone.empty()) {
    auto it = phones_.find(PhoneDigest(phone));
    const auto window = std::chrono::hours(24 * settings.duplicate_window_days);
    if (it != phones_.end() &&
        lead.created_at - it->second.created_at <= window &&
        lead.created_at >= it->second.created_at) {
      out.status = RouteStatus::kDuplicate;
      out.dealer_id = it->second.dealer_id;
      out.consultant_id = it->second.consultant_id;
      out.duplicate_of = it->second.lead_id;
      out.reason = "duplicate";
      out.reasons.push_back(absl::StrCat("duplicate: phone ", MaskPhone(phone),
                                         " as lead ", it->second.lead_id));
      it->second.created_at =
          lead.created_at;  // the chain goes on from its latest lead
      return out;
    }
  }
  // 2. Dealer.
  int dealer = -1;
  bool by_distance = false;  // the nearest dealer: overflow may pass it over
  if (lead.dealer_id) {
    dealer = net.DealerIndex(*lead.dealer_id);
    if (dealer < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("lead ", lead.lead_id, ": dealer_id \"", *lead.dealer_id,
                       "\" is not in the dealers"));
    }
    out.reason = "kept_dealer";
  } else if (lead.lat && lead.lon) {
    double km = 0;
    dealer = net.Nearest(*lead.lat, *lead.lon, lead.model,
                         settings.max_distance_km, &km);
    if (dealer < 0) {
      double any_km = 0;
      const bool for_model =
          !lead.model.empty() &&
          net.Nearest(*lead.lat, *lead.lon, "", settings.max_distance_km,
                      &any_km) >= 0;
      out.reason = for_model ? "no_dealer_for_model" : "no_dealer_in_range";
      out.reasons.push_back(out.reason);
      return out;
    }
    out.distance_km = km;
    out.reason = "nearest_dealer";
    by_distance = true;
  } else {
    int best = -1;
    for (size_t d = 0; d < net.dealers().size(); ++d) {
      const Dealer& candidate = net.dealers()[d];
      if (!candidate.active || lead.city.empty() || candidate.city != lead.city)
        continue;
      if (!routing_internal::Sells(candidate.models, lead.model)) continue;
      if (best < 0 ||
          dealer_routed_[d] < dealer_routed_[static_cast<size_t>(best)] ||
          (dealer_routed_[d] == dealer_routed_[static_cast<size_t>(best)] &&
           candidate.dealer_id <
               net.dealers()[static_cast<size_t>(best)].dealer_id)) {
        best = static_cast<int>(d);
      }
    }
    if (best < 0) {
      out.reason = "no_location";
      out.reasons.push_back(out.reason);
      return out;
    }
    dealer = best;
    out.reason = "city_dealer";
  }
  out.dealer_id = net.dealers()[static_cast<size_t>(dealer)].dealer_id;
  if (with_reasons)
    out.reasons.push_back(absl::StrCat(out.reason, ": ", out.dealer_id));

  // 3. Consultant: at the dealer or, when it cannot serve the lead and the
  // policy lets it overflow, at the next nearest dealer in range that can.
  const bool high = std::find(settings.high_intent_grades.begin(),
                              settings.high_intent_grades.end(),
                              lead.grade) != settings.high_intent_grades.end();
  std::string step;
  bool full = false;
  int chosen = ChooseConsultant(dealer, lead, high, &step, &full);
  if (chosen < 0 && by_distance &&
      settings.overflow == Overflow::kNextDealer) {
    const std::vector<std::pair<double, int>> next = net.InRange(
        *lead.lat, *lead.lon, lead.model, settings.max_distance_km);
    // The dealers after the nearest one, in the same order (it comes first).
    size_t i = 0;
    while (i < next.size() && next[i].second != dealer) ++i;
    i = i < next.size() ? i + 1 : 0;
    int at = dealer;
    double at_km = *out.distance_km;
    while (true) {
      PassedOver& passed = out.passed_over.emplace_back(PassedOver{
          .dealer_id = net.dealers()[static_cast<size_t>(at)].dealer_id,
          .reason = full ? "nearest_full" : "no_model_at_nearest",
          .distance_km = at_km});
      if (with_reasons)
        out.reasons.push_back(
            absl::StrCat(passed.reason, ": ", passed.dealer_id));
      if (i >= next.size()) break;
      at = next[i].second;
      at_km = next[i].first;
      ++i;
      full = false;
      chosen = ChooseConsultant(at, lead, high, &step, &full);
      if (chosen >= 0) {
        dealer = at;
        out.dealer_id = net.dealers()[static_cast<size_t>(dealer)].dealer_id;
        out.distance_km = at_km;
        // Why the lead is not at its nearest dealer.
        out.reason = out.passed_over.front().reason;
        if (with_reasons)
          out.reasons.push_back(absl::StrCat("next_dealer: ", out.dealer_id));
        break;
      }
    }
  }
  if (chosen < 0) {
    // The nearest dealer's (the lead's own, or the city's) id and distance
    // stay.
    out.status = RouteStatus::kUnassigned;
    out.reason = "no_eligible_consultant";
    out.reasons.push_back(out.reason);
    return out;
  }
  const Consultant& k = net.consultants()[static_cast<size_t>(chosen)];
  ++routed_[static_cast<size_t>(chosen)];
  ++dealer_routed_[static_cast<size_t>(dealer)];
  out.status = RouteStatus::kAssigned;
  out.consultant_id = k.consultant_id;
  if (with_reasons)
    out.reasons.push_back(absl::StrCat(step, ": ", k.consultant_id));
  if (step == "experience_fallback") out.reason = step;

  // File number: <code>-<yy>-<serial>, serial per consultant code and year.
  const date::year_month_day ymd{date::floor<date::days>(date::sys_seconds(
      std::chrono::seconds(zone_.ToLocal(lead.created_at.time_since_epoch() /
                                         std::chrono::seconds(1)))))};
  const int yy = static_cast<int>(ymd.year()) % 100;
  const std::string code = k.code.empty() ? k.consultant_id : k.code;
  const int64_t serial = ++serials_[{chosen, yy}];
  out.file_number = absl::StrCat(code, "-", absl::Dec(yy, absl::kZeroPad2), "-",
                                 absl::Dec(serial, absl::kZeroPad4));

  if (!phone.empty()) {
    phones_[PhoneDigest(phone)] =
        Seen{lead.created_at, lead.lead_id, out.dealer_id, out.consultant_id};
  }
  return out;
}

int Router::ChooseConsultant(int dealer, const RouteLead& lead, bool high,
                             std::string* step, bool* full) {
  const Network& net = *network_;
  const RoutingSettings& settings = policy_.routing();
  const auto& facts = net.consultant_facts();
  std::vector<int>& eligible =
      eligible_;  // scratch kept between calls (under mu_)
  eligible.clear();
  for (int c : net.ConsultantsOf(dealer)) {
    const Network::ConsultantFacts& k = facts[static_cast<size_t>(c)];
    if (!k.active || excluded_[static_cast<size_t>(c)]) continue;
    if (!k.all_models &&
        !routing_internal::Sells(
            net.consultants()[static_cast<size_t>(c)].models, lead.model)) {
      continue;
    }
    const int64_t load = k.open_leads + routed_[static_cast<size_t>(c)];
    if (k.capacity >= 0 && load >= k.capacity) {
      *full = true;
      continue;
    }
    eligible.push_back(c);
  }
  *step = "least_loaded";
  if (high && !eligible.empty()) {
    std::vector<int>& experienced = experienced_;  // scratch kept between calls
    experienced.clear();
    for (int c : eligible) {
      if (facts[static_cast<size_t>(c)].experience_years >=
          settings.experience_years) {
        experienced.push_back(c);
      }
    }
    if (experienced.empty()) {
      double most = -1;
      for (int c : eligible)
        most = std::max(most, facts[static_cast<size_t>(c)].experience_years);
      for (int c : eligible) {
        if (facts[static_cast<size_t>(c)].experience_years == most)
          experienced.push_back(c);
      }
      *step = "experience_fallback";
    }
    eligible.swap(experienced);
  }
  int chosen = -1;
  double chosen_share = 0;
  uint64_t chosen_hash = 0;  // computed only when a tie needs it
  uint64_t lead_state = 0;
  for (int c : eligible) {
    const Network::ConsultantFacts& f = facts[static_cast<size_t>(c)];
    const double share =
        static_cast<double>(f.open_leads + routed_[static_cast<size_t>(c)]) /
        f.weight;
    if (chosen >= 0 && share > chosen_share) continue;
    if (chosen >= 0 && share == chosen_share) {
      // Hash64(lead_id, consultant_id): the lead's part once, the consultant's
      // precomputed.
      if (lead_state == 0) {
        lead_state =
            routing_internal::Fnv(routing_internal::kFnvBasis, lead.lead_id);
      }
      if (chosen_hash == 0) {
        chosen_hash = routing_internal::Mix(
            lead_state ^ facts[static_cast<size_t>(chosen)].id_hash);
      }
      const uint64_t hash = routing_internal::Mix(lead_state ^ f.id_hash);
      if (hash >= chosen_hash) continue;
      chosen = c;
      chosen_hash = hash;
      continue;
    }
    chosen = c;
    chosen_share = share;
    chosen_hash = 0;
  }
  return chosen;
}

absl::StatusOr<std::vector<Assignment>> Router::RouteBatch(
    const Columns& leads, std::span<const int32_t> grades) {
  const int64_t n = leads.num_rows();
  if (static_cast<int64_t>(grades.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RouteBatch: ", grades.size(), " grades for ", n, " leads"));
  }
  const auto column = [&](absl::string_view name, ColumnType type,
                          bool required) -> absl::StatusOr<const Column*> {
    const Column* c = leads.Find(name);
    if (c == nullptr) {
      if (!required) return c;
      return absl::InvalidArgumentError(
          absl::StrCat("leads: missing required column \"", name, "\""));
    }
    if (c->type() != type || c->validity_only()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leads.", name, ": expected ", ColumnTypeName(type), " values"));
    }
    return c;
  };
  LEADKIT_ASSIGN_OR_RETURN(const Column* ids,
                           column("lead_id", ColumnType::kCode, true));
  LEADKIT_ASSIGN_OR_RETURN(const Column* created,
                           column("created_at", ColumnType::kInstant, true));
  LEADKIT_ASSIGN_OR_RETURN(const Column* phones,
                           column("phone", ColumnType::kCode, false));
  LEADKIT_ASSIGN_OR_RETURN(const Column* dealers,
                           column("dealer_id", ColumnType::kCode, false));
  LEADKIT_ASSIGN_OR_RETURN(const Column* models,
                           column("model", ColumnType::kCode, false));
  LEADKIT_ASSIGN_OR_RETURN(const Column* cities,
                           column("city", ColumnType::kCode, false));
  LEADKIT_ASSIGN_OR_RETURN(const Column* lats,
                           column("lat", ColumnType::kDouble, false));
  LEADKIT_ASSIGN_OR_RETURN(const Column* lons,
                           column("lon", ColumnType::kDouble, false));
  const auto text = [](const Column* c, int64_t row) -> std::string {
    return c == nullptr || c->IsNull(row) ? std::string() : c->StringAt(row);
  };
  // Every row checked before any is routed, duplicates (whose location routing
  // does not read) included.
  absl::flat_hash_map<absl::string_view, int64_t> first_row;
  for (int64_t row = 0; row < n; ++row) {
    if (ids->IsNull(row) || created->IsNull(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "leads row ", row, ": lead_id and created_at are required"));
    }
    const absl::string_view id = ids->ViewAt(row);
    if (auto [it, fresh] = first_row.emplace(id, row); !fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads row ", row, ": ",
                       batch_internal::GivenTwice(id, it->second)));
    }
    const auto number = [row](const Column* c) -> std::optional<double> {
      if (c == nullptr || c->IsNull(row)) return std::nullopt;
      return c->NumberAt(row);
    };
    if (absl::Status s =
            CheckLocation("leads", "lead_id", id, number(lats), number(lons));
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads row ", row, ": ", s.message()));
    }
  }
  // Normalised phones and their digests, once per distinct value.
  std::vector<std::string> normal;
  std::vector<uint64_t> digests;
  if (phones != nullptr) {
    for (const std::string& p : phones->dictionary()) {
      normal.push_back(NormalizePhone(p));
      digests.push_back(PhoneDigest(normal.back()));
    }
  }
  const auto code_of = [&](int64_t row) -> int {
    if (phones == nullptr || phones->IsNull(row)) return -1;
    const int code = phones->data<int32_t>()[row];
    return normal[static_cast<size_t>(code)].empty() ? -1 : code;
  };
  const auto phone_of = [&](int64_t row) -> const std::string* {
    const int code = code_of(row);
    return code < 0 ? nullptr : &normal[static_cast<size_t>(code)];
  };
  const auto digest_of = [&](int64_t row) -> std::optional<uint64_t> {
    const int code = code_of(row);
    if (code < 0) return std::nullopt;
    return digests[static_cast<size_t>(code)];
  };
  const auto at = [&](int64_t row) {
    return Instant(std::chrono::seconds(created->data<int64_t>()[row]));
  };

  std::lock_guard<std::mutex> lock(mu_);
  // Duplicates in created order: a chain goes on while each lead is within the
  // window of the chain's previous one.
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return at(a) < at(b); });
  struct Chain {
    int64_t root_row =
        -1;  // -1: an open lead or a lead of an earlier call (in phones_)
    Instant last;
  };
  absl::flat_hash_map<uint64_t, Chain> chains;
  std::vector<int64_t> root_of(static_cast<size_t>(n),
                               -2);  // -2: not a duplicate
  const auto window =
      std::chrono::hours(24 * policy_.routing().duplicate_window_days);
  for (int64_t i : order) {
    const std::optional<uint64_t> phone = digest_of(i);
    if (!phone) continue;
    auto it = chains.find(*phone);
    if (it == chains.end()) {
      auto seen = phones_.find(*phone);
      if (seen != phones_.end())
        it = chains.emplace(*phone, Chain{-1, seen->second.created_at}).first;
    }
    if (it != chains.end() && at(i) >= it->second.last &&
        at(i) - it->second.last <= window) {
      root_of[static_cast<size_t>(i)] = it->second.root_row;
      it->second.last = at(i);
    } else {
      chains[*phone] = Chain{i, at(i)};
    }
  }

  std::vector<Assignment> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (root_of[static_cast<size_t>(i)] != -2) continue;
    RouteLead lead{
        .lead_id = ids->StringAt(i),
        .created_at = at(i),
        .dealer_id = dealers == nullptr || dealers->IsNull(i)
                         ? std::nullopt
                         : std::optional<std::string>(dealers->StringAt(i)),
        .model = text(models, i),
        .city = text(cities, i),
        .lat = lats == nullptr || lats->IsNull(i)
                   ? std::nullopt
                   : std::optional<double>(lats->NumberAt(i)),
        .lon = lons == nullptr || lons->IsNull(i)
                   ? std::nullopt
                   : std::optional<double>(lons->NumberAt(i)),
        .grade = grades[static_cast<size_t>(i)]};
    // No phone: duplicates are settled. No reason texts: the codes say it for a
    // batch.
    absl::StatusOr<Assignment> a = RouteLocked(lead, /*with_reasons=*/false);
    if (!a.ok()) {
      return absl::Status(
          a.status().code(),
          absl::StrCat("leads row ", i, ": ", a.status().message()));
    }
    out[static_cast<size_t>(i)] = *std::move(a);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t root = root_of[static_cast<size_t>(i)];
    if (root == -2) continue;
    Assignment& a = out[static_cast<size_t>(i)];
    a.status = RouteStatus::kDuplicate;
    a.reason = "duplicate";
    if (root >= 0) {
      a.dealer_id = out[static_cast<size_t>(root)].dealer_id;
      a.consultant_id = out[static_cast<size_t>(root)].consultant_id;
      a.duplicate_of = ids->StringAt(root);
    } else {
      const Seen& seen = phones_.at(*digest_of(i));
      a.dealer_id = seen.dealer_id;
      a.consultant_id = seen.consultant_id;
      a.duplicate_of = seen.lead_id;
    }
    a.reasons.push_back(absl::StrCat("duplicate: phone ",
                                     MaskPhone(*phone_of(i)), " as lead ",
                                     a.duplicate_of));
  }
  // Later calls see this batch's phones.
  for (const auto& [phone, chain] : chains) {
    if (chain.root_row < 0) {
      phones_.at(phone).created_at = chain.last;
      continue;
    }
    const Assignment& a = out[static_cast<size_t>(chain.root_row)];
    phones_[phone] = Seen{chain.last, ids->StringAt(chain.root_row),
                          a.dealer_id, a.consultant_id};
  }
  return out;
}

namespace routing_internal {
namespace {

// The bytes of a router's state (docs/routing.md, "Saved state"), in the
// report states' framing (src/state_bytes.h):
//   key check      SipHash-2-4(phone_key, kKeyCheckText), 0 without a key
//   consultants    count, then per consultant: id, leads routed (>= 0)
//   dealers        count, then per dealer: id, leads routed (>= 0)
//   serials        count, then per (consultant, year): id, year 0-99, the
//                  last serial given (>= 1)
//   phone chains   count, then per chain: the phone's digest, the latest
//                  lead's created_at (seconds), the first lead's id, dealer
//                  and consultant ("" = none)
constexpr absl::string_view kMagic = "LKRTR2";
constexpr absl::string_view kWhat = "router state bytes";
// What the key check hashes: a fixed text, so that the check tells whether two
// keys are one without telling anything of the key or of a phone.
constexpr absl::string_view kKeyCheckText = "leadkit router phone key check";
// Instants a state may hold: the years 0001 to 9999.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

absl::Status Damaged(std::string what) {
  return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", what));
}

}  // namespace
}  // namespace routing_internal

absl::StatusOr<std::string> Router::Save() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::lock_guard<std::mutex> lock(mu_);
  if (!has_phone_key_ && !phones_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "router state: the router has seen ", phones_.size(),
        " phone number(s) for duplicate detection and has no phone_key; "
        "give RouterOptions::phone_key (Python: phone_key=) to save a keyed "
        "hash of each, never the number"));
  }
  const Network& net = *network_;
  std::string payload;
  PutInt(payload, has_phone_key_
                      ? static_cast<int64_t>(PhoneDigest(
                            routing_internal::kKeyCheckText))
                      : 0);
  PutInt(payload, static_cast<int64_t>(routed_.size()));
  for (size_t c = 0; c < routed_.size(); ++c) {
    PutString(payload, net.consultants()[c].consultant_id);
    PutInt(payload, routed_[c]);
  }
  PutInt(payload, static_cast<int64_t>(dealer_routed_.size()));
  for (size_t d = 0; d < dealer_routed_.size(); ++d) {
    PutString(payload, net.dealers()[d].dealer_id);
    PutInt(payload, dealer_routed_[d]);
  }
  // In a fixed order, so that one state gives one string of bytes.
  std::map<std::pair<std::string, int>, int64_t> serials;
  for (const auto& [key, serial] : serials_) {
    serials[{net.consultants()[static_cast<size_t>(key.first)].consultant_id,
             key.second}] = serial;
  }
  PutInt(payload, static_cast<int64_t>(serials.size()));
  for (const auto& [key, serial] : serials) {
    PutString(payload, key.first);
    PutInt(payload, key.second);
    PutInt(payload, serial);
  }
  std::map<uint64_t, const Seen*> phones;
  for (const auto& [digest, seen] : phones_) phones[digest] = &seen;
  PutInt(payload, static_cast<int64_t>(phones.size()));
  for (const auto& [digest, seen] : phones) {
    PutInt(payload, static_cast<int64_t>(digest));
    PutInt(payload, seen->created_at.time_since_epoch().count());
    PutString(payload, seen->lead_id);
    PutString(payload, seen->dealer_id);
    PutString(payload, seen->consultant_id);
  }
  return state_internal::Frame(routing_internal::kMagic, payload);
}

absl::Status Router::Restore(absl::string_view bytes) {
  using routing_internal::Damaged;
  using routing_internal::kWhat;
  if (absl::StartsWith(bytes, "leadkit-router 1")) {
    return Damaged(
        "this is a router state of format 1 (text holding raw phone numbers, "
        "without a checksum), which this version no longer reads: build the "
        "router anew from the open leads (open_leads) and save it again");
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, routing_internal::kMagic, kWhat));
  state_internal::Reader in(payload, kWhat);
  const Network& net = *network_;
  const auto known = [&](bool consultant, const std::string& id) -> int {
    return consultant ? net.ConsultantIndex(id) : net.DealerIndex(id);
  };
  const auto unknown = [&](bool consultant, const std::string& id) {
    return Damaged(absl::StrCat(consultant ? "consultant" : "dealer", " \"",
                                id,
                                "\" is not in this network (saved over "
                                "another one?)"));
  };
  LEADKIT_ASSIGN_OR_RETURN(const int64_t key_check, in.Int());

  // Loads, per consultant and per dealer.
  std::vector<int64_t> routed(routed_.size(), 0);
  std::vector<int64_t> dealer_routed(dealer_routed_.size(), 0);
  for (const bool consultant : {true, false}) {
    std::vector<int64_t>& loads = consultant ? routed : dealer_routed;
    std::vector<uint8_t> seen(loads.size(), 0);
    LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Count());
    for (int64_t i = 0; i < count; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(const std::string id, in.String());
      LEADKIT_ASSIGN_OR_RETURN(const int64_t load, in.Int());
      const int index = known(consultant, id);
      if (index < 0) return unknown(consultant, id);
      if (seen[static_cast<size_t>(index)]++) {
        return Damaged(absl::StrCat(consultant ? "consultant" : "dealer",
                                    " \"", id, "\" is given twice"));
      }
      if (load < 0) {
        return Damaged(absl::StrCat(consultant ? "consultant" : "dealer",
                                    " \"", id, "\" has routed ", load,
                                    " leads, a negative count"));
      }
      loads[static_cast<size_t>(index)] = load;
    }
  }

  // File-number serials.
  absl::flat_hash_map<std::pair<int, int>, int64_t> serials;
  {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Count());
    for (int64_t i = 0; i < count; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(const std::string id, in.String());
      LEADKIT_ASSIGN_OR_RETURN(const int64_t year, in.Int());
      LEADKIT_ASSIGN_OR_RETURN(const int64_t serial, in.Int());
      const int index = known(true, id);
      if (index < 0) return unknown(true, id);
      if (year < 0 || year > 99) {
        return Damaged(absl::StrCat("consultant \"", id,
                                    "\": file-number year ", year,
                                    " is not two digits (00-99)"));
      }
      if (serial < 1) {
        return Damaged(absl::StrCat("consultant \"", id,
                                    "\": file-number serial ", serial,
                                    " of year ", absl::Dec(year, absl::kZeroPad2),
                                    " is not positive"));
      }
      if (!serials.emplace(std::pair<int, int>(index, static_cast<int>(year)),
                           serial)
               .second) {
        return Damaged(absl::StrCat("consultant \"", id, "\": year ",
                                    absl::Dec(year, absl::kZeroPad2),
                                    " is given twice"));
      }
    }
  }

  // Phone chains.
  absl::flat_hash_map<uint64_t, Seen> phones;
  {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t count, in.Count());
    if (count > 0 &&
        (!has_phone_key_ ||
         key_check != static_cast<int64_t>(
                          PhoneDigest(routing_internal::kKeyCheckText)))) {
      return Damaged(absl::StrCat(
          "its ", count,
          " phone chain(s) were hashed under another phone_key",
          has_phone_key_ ? "" : " (this router has none)",
          ": restore with the key the state was saved with"));
    }
    for (int64_t i = 0; i < count; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(const int64_t digest, in.Int());
      LEADKIT_ASSIGN_OR_RETURN(const int64_t seconds, in.Int());
      Seen seen;
      LEADKIT_ASSIGN_OR_RETURN(seen.lead_id, in.String());
      LEADKIT_ASSIGN_OR_RETURN(seen.dealer_id, in.String());
      LEADKIT_ASSIGN_OR_RETURN(seen.consultant_id, in.String());
      const std::string where =
          absl::StrCat("the phone chain of lead \"", seen.lead_id, "\"");
      if (seen.lead_id.empty()) {
        return Damaged(absl::StrCat("phone chain ", i, " names no lead"));
      }
      if (seconds < routing_internal::kMinSeconds ||
          seconds > routing_internal::kMaxSeconds) {
        return Damaged(absl::StrCat(where, " has the time ", seconds,
                                    " s, outside the years 0001-9999"));
      }
      if (!seen.dealer_id.empty() && known(false, seen.dealer_id) < 0) {
        return unknown(false, seen.dealer_id);
      }
      if (!seen.consultant_id.empty() && known(true, seen.consultant_id) < 0) {
        return unknown(true, seen.consultant_id);
      }
      seen.created_at = Instant(std::chrono::seconds(seconds));
      if (!phones.emplace(static_cast<uint64_t>(digest), std::move(seen))
               .second) {
        return Damaged(absl::StrCat(where, ": its phone is given twice"));
      }
    }
  }
  LEADKIT_RETURN_IF_ERROR(in.Done());

  std::lock_guard<std::mutex> lock(mu_);
  routed_ = std::move(routed);
  dealer_routed_ = std::move(dealer_routed);
  serials_ = std::move(serials);
  phones_ = std::move(phones);
  return absl::OkStatus();
}

absl::StatusOr<FileNumber> ParseFileNumber(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  FileNumber out;
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file number \"", text, "\": ", why, " (expected like A01-26-0001)"));
  };
  if (parts.size() < 3)
    return bad("needs code, year and serial separated by '-'");
  const absl::string_view serial = parts.back();
  const absl::string_view year = parts[parts.size() - 2];
  const std::string code(
      text.substr(0, text.size() - serial.size() - year.size() - 2));
  if (code.empty()) return bad("the consultant code is empty");
  if (year.size() != 2 || !absl::ascii_isdigit(year[0]) ||
      !absl::ascii_isdigit(year[1]) || !absl::SimpleAtoi(year, &out.year)) {
    return bad("the year is not two digits");
  }
  if (serial.size() < 4 || !absl::SimpleAtoi(serial, &out.serial) ||
      out.serial < 1) {
    return bad("the serial is not a number of at least four digits from 0001");
  }
  for (char c : serial) {
    if (c < '0' || c > '9') return bad("the serial is not a number");
  }
  out.code = code;
  return out;
}

absl::string_view MoveStatusName(MoveStatus status) {
  switch (status) {
    case MoveStatus::kMoved:
      return "moved";
    case MoveStatus::kReclaimed:
      return "reclaimed";
    case MoveStatus::kEscalated:
      return "escalated";
    case MoveStatus::kUnassigned:
      break;
  }
  return "unassigned";
}

namespace routing_internal {
namespace {

// The columns a hand-over or reclaim reads of its table.
struct MoveColumns {
  const Column* ids = nullptr;
  const Column* created = nullptr;
  const Column* consultant = nullptr;
  const Column* dealer = nullptr;
  const Column* model = nullptr;
  const Column* reassignments = nullptr;

  static std::string Text(const Column* c, int64_t row) {
    return c == nullptr || c->IsNull(row) ? std::string()
                                          : std::string(c->ViewAt(row));
  }
};

absl::StatusOr<const Column*> MoveColumn(const Columns& table,
                                         absl::string_view table_name,
                                         absl::string_view name,
                                         bool strings, bool required) {
  const Column* c = table.Find(name);
  if (c == nullptr) {
    if (!required) return c;
    return absl::InvalidArgumentError(absl::StrCat(
        table_name, ": missing required column \"", name, "\""));
  }
  const bool fits =
      strings ? c->type() == ColumnType::kCode ||
                    c->type() == ColumnType::kString
              : c->type() == ColumnType::kInstant;
  if (!fits || c->validity_only()) {
    return absl::InvalidArgumentError(
        absl::StrCat(table_name, ".", name, ": expected ",
                     strings ? "strings" : "instants", ", got ",
                     ColumnTypeName(c->type())));
  }
  return c;
}

absl::StatusOr<MoveColumns> ReadMoveColumns(const Columns& table,
                                            absl::string_view table_name,
                                            bool consultant_required,
                                            std::span<const int32_t> grades) {
  if (static_cast<int64_t>(grades.size()) != table.num_rows()) {
    return absl::InvalidArgumentError(absl::StrCat(
        table_name, ": ", grades.size(), " grades for ", table.num_rows(),
        " rows"));
  }
  MoveColumns c;
  LEADKIT_ASSIGN_OR_RETURN(
      c.ids, MoveColumn(table, table_name, "lead_id", true, true));
  LEADKIT_ASSIGN_OR_RETURN(
      c.created, MoveColumn(table, table_name, "created_at", false, true));
  LEADKIT_ASSIGN_OR_RETURN(
      c.consultant, MoveColumn(table, table_name, "consultant_id", true,
                               consultant_required));
  LEADKIT_ASSIGN_OR_RETURN(
      c.dealer, MoveColumn(table, table_name, "dealer_id", true, false));
  LEADKIT_ASSIGN_OR_RETURN(
      c.model, MoveColumn(table, table_name, "model", true, false));
  c.reassignments = table.Find("reassignments");
  if (c.reassignments != nullptr &&
      (c.reassignments->type() == ColumnType::kCode ||
       c.reassignments->type() == ColumnType::kString ||
       c.reassignments->validity_only())) {
    return absl::InvalidArgumentError(absl::StrCat(
        table_name, ".reassignments: expected a count, got ",
        ColumnTypeName(c.reassignments->type())));
  }
  absl::flat_hash_map<absl::string_view, int64_t> first_row;
  for (int64_t row = 0; row < table.num_rows(); ++row) {
    if (c.ids->IsNull(row) || c.created->IsNull(row)) {
      return absl::InvalidArgumentError(absl::StrCat(
          table_name, " row ", row, ": lead_id and created_at are required"));
    }
    const absl::string_view id = c.ids->ViewAt(row);
    if (auto [it, fresh] = first_row.emplace(id, row); !fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(table_name, " row ", row, ": ",
                       batch_internal::GivenTwice(id, it->second)));
    }
  }
  return c;
}

}  // namespace
}  // namespace routing_internal

absl::StatusOr<Assignment> Router::Reassign(const RouteLead& lead) {
  // No phone: a lead already in the books is nobody's duplicate.
  RouteLead moved = lead;
  moved.phone.clear();
  moved.lat.reset();
  moved.lon.reset();
  return RouteLocked(moved, /*with_reasons=*/false);
}

absl::StatusOr<std::vector<Move>> Router::Handover(
    const Columns& open_leads, std::span<const int32_t> grades,
    std::span<const std::string> leaving) {
  using routing_internal::MoveColumns;
  const Network& net = *network_;
  LEADKIT_ASSIGN_OR_RETURN(
      const MoveColumns c,
      routing_internal::ReadMoveColumns(open_leads, "open_leads", true, grades));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint8_t> leaves(net.consultants().size(), 0);
  for (const std::string& id : leaving) {
    const int k = net.ConsultantIndex(id);
    if (k < 0) {
      return absl::NotFoundError(
          absl::StrCat("leaving: unknown consultant '", id, "'"));
    }
    leaves[static_cast<size_t>(k)] = 1;
  }
  // The leaving give no leads while their leads are handed over.
  for (size_t k = 0; k < leaves.size(); ++k) excluded_[k] |= leaves[k];
  std::vector<Move> out;
  absl::Status status;
  for (int64_t row = 0; row < open_leads.num_rows() && status.ok(); ++row) {
    const std::string from = MoveColumns::Text(c.consultant, row);
    const int k = from.empty() ? -1 : net.ConsultantIndex(from);
    if (k < 0 || !leaves[static_cast<size_t>(k)]) continue;
    std::string dealer = MoveColumns::Text(c.dealer, row);
    if (dealer.empty()) dealer = net.consultants()[static_cast<size_t>(k)].dealer_id;
    const RouteLead lead{
        .lead_id = std::string(c.ids->ViewAt(row)),
        .created_at =
            Instant(std::chrono::seconds(c.created->data<int64_t>()[row])),
        .dealer_id = dealer,
        .model = MoveColumns::Text(c.model, row),
        .grade = grades[static_cast<size_t>(row)]};
    absl::StatusOr<Assignment> a = Reassign(lead);
    if (!a.ok()) {
      status = a.status();
      break;
    }
    const bool moved = a->status == RouteStatus::kAssigned;
    out.push_back({.lead_id = lead.lead_id,
                   .from_consultant_id = from,
                   .to_consultant_id = a->consultant_id,
                   .status = moved ? MoveStatus::kMoved : MoveStatus::kUnassigned,
                   .reason = moved ? std::string("handover") : a->reason});
  }
  for (size_t k = 0; k < leaves.size(); ++k) {
    if (leaves[k]) excluded_[k] = 0;
  }
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<Move>> Router::Reclaim(
    const Columns& leads, std::span<const int32_t> grades,
    std::span<const uint8_t> late) {
  using routing_internal::MoveColumns;
  const Network& net = *network_;
  if (static_cast<int64_t>(late.size()) != leads.num_rows()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads: ", late.size(), " late flags for ", leads.num_rows(), " rows"));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      const MoveColumns c,
      routing_internal::ReadMoveColumns(leads, "leads", false, grades));
  const int64_t limit = policy_.routing().reclaim_limit;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Move> out;
  for (int64_t row = 0; row < leads.num_rows(); ++row) {
    if (!late[static_cast<size_t>(row)]) continue;
    Move move{.lead_id = std::string(c.ids->ViewAt(row)),
              .from_consultant_id = MoveColumns::Text(c.consultant, row)};
    int64_t count = 0;
    if (c.reassignments != nullptr && !c.reassignments->IsNull(row)) {
      const double n = c.reassignments->NumberAt(row);
      if (!(n >= 0) || n != std::floor(n)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "leads row ", row, ": lead_id \"", move.lead_id,
            "\": reassignments must be a count, got ", n));
      }
      count = static_cast<int64_t>(n);
    }
    move.reassignments = count;
    const std::string dealer = MoveColumns::Text(c.dealer, row);
    if (dealer.empty()) {
      move.status = MoveStatus::kUnassigned;
      move.reason = "no_dealer";
    } else if (count >= limit) {
      move.status = MoveStatus::kEscalated;
      move.reason = "reclaim_limit";
    } else {
      // Another consultant of the lead's dealer: not its own.
      const int own = move.from_consultant_id.empty()
                          ? -1
                          : net.ConsultantIndex(move.from_consultant_id);
      if (own >= 0) excluded_[static_cast<size_t>(own)] = 1;
      absl::StatusOr<Assignment> a = Reassign(RouteLead{
          .lead_id = move.lead_id,
          .created_at =
              Instant(std::chrono::seconds(c.created->data<int64_t>()[row])),
          .dealer_id = dealer,
          .model = MoveColumns::Text(c.model, row),
          .grade = grades[static_cast<size_t>(row)]});
      if (own >= 0) excluded_[static_cast<size_t>(own)] = 0;
      if (!a.ok()) return a.status();
      if (a->status == RouteStatus::kAssigned) {
        move.status = MoveStatus::kReclaimed;
        move.reason = "first_contact_overdue";
        move.to_consultant_id = a->consultant_id;
        move.reassignments = count + 1;
        // The lead leaves its consultant's load (never below nothing).
        if (own >= 0) {
          const auto k = static_cast<size_t>(own);
          if (net.consultant_facts()[k].open_leads + routed_[k] > 0) {
            --routed_[k];
          }
        }
      } else {
        move.status = MoveStatus::kUnassigned;
        move.reason = a->reason;
      }
    }
    out.push_back(std::move(move));
  }
  return out;
}

}  // namespace leadkit
