// Lead routing (000 §5.1): duplicates first, then the dealer nearest the
// customer, then a consultant who knows the model and has the experience the
// lead needs, keeping the shares fair — deterministically, and saying why
// (docs/routing.md).
//
//   dealer     = kept (the lead names one) | nearest active dealer selling the
//                model within max_distance_km (ties: smaller dealer_id) |
//                the city's least-loaded dealer; with overflow "next_dealer",
//                a nearest dealer that cannot serve the lead gives way to the
//                next nearest within max_distance_km
//   consultant = argmin over the eligible of (open_leads + routed) / weight
//                (ties: the smaller Hash64(lead_id, consultant_id))
//
// Example:
//   absl::StatusOr<Network> network = Network::Create(dealers, consultants);
//   Router router(*network, policy);
//   absl::StatusOr<Assignment> a = router.Route(lead);
//   // a->status == RouteStatus::kAssigned, a->consultant_id == "C07",
//   a->file_number ==
//   // "A07-26-0001", a->reason == "nearest_dealer"
#ifndef LEADKIT_ROUTING_H_
#define LEADKIT_ROUTING_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leadkit/calendar.h"
#include "leadkit/columns.h"
#include "leadkit/policy.h"
#include "leadkit/tz.h"

namespace leadkit {

struct Dealer {
  std::string dealer_id;
  std::string region_id;
  double lat = 0;
  double lon = 0;
  std::string city;
  std::vector<std::string> models;  // empty: sells every model
  bool active = true;
};

struct Consultant {
  std::string consultant_id;
  std::string dealer_id;
  std::vector<std::string> models;  // empty: knows every model
  double experience_years = 0;
  bool active = true;
  std::optional<int64_t> max_open_leads;  // nullopt: unlimited
  int64_t open_leads = 0;
  double weight = 1;
  std::string code;  // for file numbers; "" = consultant_id
};

// The dealers and consultants routing works on, validated and indexed.
class Network {
 public:
  // InvalidArgument naming the table, the row's id, the column and the value
  // for a location CheckLocation refuses, a
  // consultant at an unknown dealer, a duplicate id, a negative capacity or
  // weight, or a zero weight of an active consultant.
  static absl::StatusOr<Network> Create(std::vector<Dealer> dealers,
                                        std::vector<Consultant> consultants);

  const std::vector<Dealer>& dealers() const { return dealers_; }
  const std::vector<Consultant>& consultants() const { return consultants_; }
  // Index of a dealer / consultant by id, or -1.
  int DealerIndex(absl::string_view id) const;
  int ConsultantIndex(absl::string_view id) const;
  // The consultants of a dealer, by index.
  const std::vector<int>& ConsultantsOf(int dealer) const {
    return by_dealer_[static_cast<size_t>(dealer)];
  }
  // Active dealers selling `model` ("" = any) by distance from (lat, lon): the
  // nearest within max_km, ties by dealer_id; -1 when none. `distance_km`
  // receives its distance.
  int Nearest(double lat, double lon, absl::string_view model, double max_km,
              double* distance_km) const;
  // Every active dealer selling `model` ("" = any) within max_km of (lat, lon),
  // as (distance_km, index) in distance order, ties by dealer_id: the order in
  // which overflow tries them. Its first is Nearest's, at the same distance.
  // Example: with dealers D1 in Shanghai (31.23, 121.47) and D2 in Suzhou
  // (31.30, 120.62), InRange(31.2, 121.4, "", 100) gives
  //   {{7.45, index of D1}, {74.98, index of D2}}
  std::vector<std::pair<double, int>> InRange(double lat, double lon,
                                              absl::string_view model,
                                              double max_km) const;

 private:
  // Calls visit(index, km) for active dealers selling `model` within max_km
  // of (lat, lon), ring of cells by ring, skipping those farther than `bound`
  // (read at each dealer: Nearest lowers it as it finds closer ones) and
  // stopping once no unvisited cell can hold a dealer within it.
  template <typename Visit>
  void Walk(double lat, double lon, absl::string_view model, double max_km,
            const double& bound, Visit visit) const;

  std::vector<Dealer> dealers_;
  std::vector<Consultant> consultants_;
  absl::flat_hash_map<std::string, int> dealer_index_;
  absl::flat_hash_map<std::string, int> consultant_index_;
  std::vector<std::vector<int>> by_dealer_;
  // A grid of 1-degree cells over active dealers: a nearest-dealer query visits
  // rings of cells outward and stops once no unvisited cell can hold a closer
  // dealer. Cells hold what the query reads, packed, so that it does not walk
  // the dealers' strings.
  struct CellDealer {
    double lat;      // degrees
    double lon;      // degrees
    double lat_rad;  // radians
    double lon_rad;
    double cos_lat;  // cos(lat), for the haversine
    int index;
    bool all_models;
  };
  // Cells in one array, 180 rows of 360 one-degree cells from (-90, -180); cell
  // k's dealers are cell_dealers_[cell_start_[k] .. cell_start_[k + 1]).
  std::vector<int32_t> cell_start_;
  std::vector<CellDealer> cell_dealers_;

 public:
  // What choosing a consultant reads, packed (see Consultant).
  struct ConsultantFacts {
    bool active;
    bool all_models;
    int64_t capacity;  // -1: unlimited
    int64_t open_leads;
    double weight;
    double experience_years;
    uint64_t id_hash;  // Mix(Fnv(consultant_id)), for Hash64
  };
  const std::vector<ConsultantFacts>& consultant_facts() const {
    return facts_;
  }

 private:
  std::vector<ConsultantFacts> facts_;
};

// The one check of a location (WGS84 degrees), used wherever lat and lon are
// read (dealers, and leads routed one by one or in a batch, with or without a
// dealer of their own): each of `lat` and `lon` that is present (not nullopt)
// must lie in [-90, 90] and [-180, 180], NaN never, whether or not the other is
// given. Else InvalidArgument naming the table, the column, the row's id and
// the value.
// Example: CheckLocation("leads", "lead_id", "L1", std::nullopt, -500) gives
//   InvalidArgument(
//       "leads.lon: lead_id \"L1\": longitude -500 is outside [-180, 180]")
absl::Status CheckLocation(absl::string_view table, absl::string_view id_column,
                           absl::string_view id, std::optional<double> lat,
                           std::optional<double> lon);

// Great-circle distance on the WGS84 mean sphere (radius 6371.0088 km).
double HaversineKm(double lat1, double lon1, double lat2, double lon2);

// The stable 64-bit hash that breaks ties between consultants, the same on
// every platform and version:
//   Hash64(lead, consultant) = Mix(Fnv(lead) ^ Mix(Fnv(consultant)))
// where Fnv is FNV-1a 64 over the string's bytes and Mix is SplitMix64's
// finalizer (x ^= x >> 30; x *= 0xbf58476d1ce4e5b9; x ^= x >> 27; x *=
// 0x94d049bb133111eb; x ^= x >> 31). The consultant's part is computed once per
// network.
uint64_t Hash64(absl::string_view lead_id, absl::string_view consultant_id);

enum class RouteStatus { kAssigned, kDuplicate, kUnassigned };
absl::string_view RouteStatusName(RouteStatus status);

// A lead as routing sees it.
struct RouteLead {
  std::string lead_id;
  Instant created_at;
  std::string phone;  // raw; normalised for duplicate detection
  std::optional<std::string> dealer_id;  // the lead names its dealer
  std::string model;                     // "" = none
  std::string city;
  std::optional<double> lat;
  std::optional<double> lon;
  int grade = -1;  // index into the policy's grades; -1 = unknown
};

// A dealer that overflow passed over (policy routing.overflow "next_dealer"):
// a nearer dealer than the one a lead went to, and why it could not serve it.
struct PassedOver {
  std::string dealer_id;
  // "no_model_at_nearest": no active consultant there knows the lead's model;
  // "nearest_full": those who do are all at capacity.
  std::string reason;
  double distance_km = 0;

  bool operator==(const PassedOver&) const = default;
};

// The dealers passed over as one text, in order, each "dealer_id:reason",
// joined by ";" ("" when none): Python's leadkit.route column passed_over.
// Example:
//   PassedOverText({{"D1", "nearest_full", 2.5}, {"D2", "no_model_at_nearest", 4}})
//   // "D1:nearest_full;D2:no_model_at_nearest"
std::string PassedOverText(std::span<const PassedOver> passed);

struct Assignment {
  RouteStatus status = RouteStatus::kUnassigned;
  std::string dealer_id;      // "" = none
  std::string consultant_id;  // "" = none
  std::optional<double> distance_km;
  std::string file_number;           // newly assigned leads only
  std::string duplicate_of;          // duplicates: the first lead of the chain
  std::string reason;                // the deciding reason code
  std::vector<std::string> reasons;  // every step's reason code with details
  // Dealers nearer than dealer_id that could not serve the lead, in distance
  // order; empty for a lead served by its nearest dealer (and with overflow
  // "none"). A lead that no dealer in range could serve keeps its nearest
  // dealer's id, with reason "no_eligible_consultant", and lists them all.
  std::vector<PassedOver> passed_over;
};

// A move of an open lead to another consultant (docs/routing.md, "Hand-over
// and reclaim").
enum class MoveStatus { kMoved, kReclaimed, kEscalated, kUnassigned };
// Returns "moved", "reclaimed", "escalated" or "unassigned".
absl::string_view MoveStatusName(MoveStatus status);

struct Move {
  std::string lead_id;
  std::string from_consultant_id;  // "" = none
  std::string to_consultant_id;    // "" = none
  MoveStatus status = MoveStatus::kUnassigned;
  // "handover", "first_contact_overdue", "reclaim_limit", "no_dealer", or,
  // for a lead nobody can take, routing's reason ("no_eligible_consultant").
  std::string reason;
  int64_t reassignments = 0;  // Reclaim: the lead's count after the move

  bool operator==(const Move&) const = default;
};

// How a router keeps what duplicate detection needs (docs/routing.md, "Saved
// state").
struct RouterOptions {
  // The secret key of the keyed hash (SipHash-2-4) that stands for each
  // normalised phone number in the router's memory and saved state: the state
  // holds no phone number, and without the key nobody can test a number
  // against it. Keep it outside the state (a secret store); a state restores
  // only under the key it was saved with. nullopt (the default): phones are
  // hashed under a fixed key in memory only, and a router that has seen a
  // phone cannot be saved (Save is FailedPrecondition).
  std::optional<std::array<uint8_t, 16>> phone_key;
};

// Routes leads one by one, keeping loads and file-number counters. Thread-safe:
// concurrent Route calls are serialized, so every lead gets exactly one result
// and no capacity is exceeded; the order in which concurrent calls are served
// decides ties between them.
class Router {
 public:
  Router(const Network& network, const Policy& policy,
         const RouterOptions& options = {});

  // Registers an open lead held before this batch (for duplicates and loads are
  // in the consultants' open_leads already).
  void AddOpenLead(const RouteLead& lead, absl::string_view dealer_id,
                   absl::string_view consultant_id);

  absl::StatusOr<Assignment> Route(const RouteLead& lead);

  // Routes a batch in input order; one Assignment per row. `leads` needs
  // lead_id (strings) and created_at (instants); phone, dealer_id, model, city
  // (strings) and lat, lon (numbers) are read when present. `grades` holds each
  // lead's grade index (-1 unknown). Duplicates are found in created_at order
  // (ties: input order), so an input order that is not the time order does not
  // change which lead is the original.
  absl::StatusOr<std::vector<Assignment>> RouteBatch(
      const Columns& leads, std::span<const int32_t> grades);

  // Hand-over (002 §2.3): consultants leave or go on leave, and their open
  // leads are spread over their dealer's remaining eligible consultants by the
  // routing rule (models, experience, capacity, fair shares; loads rising as
  // leads move). `open_leads` needs lead_id and consultant_id (strings) and
  // created_at; dealer_id and model are read when present (a lead naming no
  // dealer stays with its consultant's). `grades`: each row's grade index.
  // One Move per lead of a leaving consultant, in row order: "moved"
  // ("handover") or "unassigned" (routing's reason). NotFound naming a leaving
  // consultant the network does not have.
  absl::StatusOr<std::vector<Move>> Handover(
      const Columns& open_leads, std::span<const int32_t> grades,
      std::span<const std::string> leaving);

  // Reclaim: each lead with `late` set (its first contact overdue; the
  // cadence's rule) goes to another eligible consultant of its dealer
  // ("reclaimed", "first_contact_overdue", reassignments + 1), loads moving
  // with it; a lead already reassigned the policy's reclaim_limit times is
  // "escalated" to the dealer's manager ("reclaim_limit"); a lead without a
  // dealer, or whom nobody can take, is "unassigned". `leads` needs lead_id
  // and created_at; consultant_id, dealer_id, model and reassignments (a
  // count) are read when present. One Move per late lead, in row order.
  absl::StatusOr<std::vector<Move>> Reclaim(const Columns& leads,
                                            std::span<const int32_t> grades,
                                            std::span<const uint8_t> late);

  // The router's state as bytes: loads, file-number counters, and per phone
  // chain seen for duplicates the keyed hash of the phone, the chain's first
  // lead and its assignment and its latest time (docs/routing.md, "Saved
  // state"), framed as report states are (magic "LKRTR2", length, FNV-1a
  // checksum). FailedPrecondition when the router has seen a phone and has no
  // phone_key.
  absl::StatusOr<std::string> Save() const;
  // Replaces the state by `bytes` from Save, or leaves it unchanged and
  // returns InvalidArgument saying what is wrong: not a router state (or one
  // of format 1, which must be saved anew), cut, extended or changed bytes, a
  // count that is negative or impossible, a file-number serial that is not
  // positive or a year outside 00-99, a consultant or dealer this network does
  // not have, an id given twice, or phones hashed under another phone_key.
  absl::Status Restore(absl::string_view bytes);

 private:
  struct Seen {
    Instant created_at;
    std::string lead_id;
    std::string dealer_id;
    std::string consultant_id;
  };
  absl::StatusOr<Assignment> RouteLocked(const RouteLead& lead,
                                         bool with_reasons);
  // The consultant of `dealer` who gets `lead`, or -1 when nobody there is
  // eligible. `step` receives "least_loaded" or "experience_fallback"; `full`
  // whether someone who knows the model was passed only for capacity.
  int ChooseConsultant(int dealer, const RouteLead& lead, bool high,
                       std::string* step, bool* full);

  const Network* network_;
  Policy policy_;
  mutable std::mutex mu_;
  std::vector<int64_t> routed_;  // per consultant: leads routed by this router
  std::vector<int64_t> dealer_routed_;  // per dealer
  TimeZone zone_;  // the calendar's zone (UTC if unknown), for file-number years
  // (consultant, two-digit year) -> the last serial given (per consultant, so
  // per code).
  absl::flat_hash_map<std::pair<int, int>, int64_t> serials_;
  // The keyed hash of a normalised phone (RouterOptions::phone_key).
  uint64_t PhoneDigest(absl::string_view normalised) const;
  std::array<uint8_t, 16> phone_key_{};
  bool has_phone_key_ = false;
  // Phone digest -> the chain's first lead, latest time.
  absl::flat_hash_map<uint64_t, Seen> phones_;
  absl::flat_hash_map<uint64_t, std::vector<Seen>>
      open_by_phone_;  // AddOpenLead's leads
  // The lead of a hand-over or reclaim routed within its dealer, no
  // duplicates looked for.
  absl::StatusOr<Assignment> Reassign(const RouteLead& lead);

  // Per consultant: not to be given leads now (leaving, or the lead's own).
  std::vector<uint8_t> excluded_;
  std::vector<int> eligible_;     // scratch of RouteLocked
  std::vector<int> experienced_;  // scratch of RouteLocked
};

// Parses "A01-26-0001": (code, two-digit year, serial). InvalidArgument naming
// the text.
struct FileNumber {
  std::string code;
  int year = 0;
  int serial = 0;
};
absl::StatusOr<FileNumber> ParseFileNumber(absl::string_view text);

}  // namespace leadkit

#endif  // LEADKIT_ROUTING_H_
