#include "leadkit/routing.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/lead_json.h"
#include "state_bytes.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::HasSubstr;

Policy ThreeLevel() { return *Policy::Preset("three_level"); }

Instant Day(int d) {
  return Instant(std::chrono::seconds(1767225600 + 86400LL * d));
}  // 2026-01-01

RouteLead Lead(const std::string& id, double lat, double lon,
               const std::string& model = "") {
  RouteLead lead;
  lead.lead_id = id;
  lead.created_at = Day(0);
  lead.lat = lat;
  lead.lon = lon;
  lead.model = model;
  lead.grade = 2;  // low
  return lead;
}

// Shanghai (D1) and Suzhou (D2, ~85 km west), and Beijing (D3) far away.
std::vector<Dealer> Dealers() {
  return {{.dealer_id = "D1",
           .region_id = "R1",
           .lat = 31.23,
           .lon = 121.47,
           .city = "Shanghai"},
          {.dealer_id = "D2",
           .region_id = "R1",
           .lat = 31.30,
           .lon = 120.62,
           .city = "Suzhou",
           .models = {"GLC"}},
          {.dealer_id = "D3",
           .region_id = "R2",
           .lat = 39.90,
           .lon = 116.40,
           .city = "Beijing"}};
}

std::vector<Consultant> Staff(int per_dealer) {
  std::vector<Consultant> out;
  for (const char* d : {"D1", "D2", "D3"}) {
    for (int i = 0; i < per_dealer; ++i) {
      out.push_back({.consultant_id = absl::StrCat(d, "-C", i),
                     .dealer_id = d,
                     .experience_years = static_cast<double>(i)});
    }
  }
  return out;
}

TEST(Routing, PassedOverTextListsTheDealersInOrder) {
  EXPECT_EQ(PassedOverText({}), "");
  const std::vector<PassedOver> one = {{"D1", "nearest_full", 2.5}};
  EXPECT_EQ(PassedOverText(one), "D1:nearest_full");
  const std::vector<PassedOver> two = {{"D1", "nearest_full", 2.5},
                                       {"D2", "no_model_at_nearest", 4}};
  EXPECT_EQ(PassedOverText(two), "D1:nearest_full;D2:no_model_at_nearest");
}

TEST(Routing, NearestDealerAndReasons) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(2));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  absl::StatusOr<Assignment> a = router.Route(Lead("L1", 31.2, 121.4));
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->status, RouteStatus::kAssigned);
  EXPECT_EQ(a->dealer_id, "D1");
  EXPECT_EQ(a->reason, "nearest_dealer");
  EXPECT_NEAR(*a->distance_km, HaversineKm(31.2, 121.4, 31.23, 121.47), 1e-9);
  // Nearer to Suzhou, but Suzhou sells only the GLC: Shanghai.
  EXPECT_EQ(router.Route(Lead("L2", 31.30, 120.70, "C200"))->dealer_id, "D1");
  EXPECT_EQ(router.Route(Lead("L3", 31.30, 120.70, "GLC"))->dealer_id, "D2");
  // Out of range (100 km): no dealer.
  EXPECT_EQ(router.Route(Lead("L4", 25.0, 110.0))->reason,
            "no_dealer_in_range");
  // Within range of a dealer that lacks the model, of none that has it.
  absl::StatusOr<Network> suzhou_only = Network::Create({Dealers()[1]}, {});
  Router r2(*suzhou_only, ThreeLevel());
  EXPECT_EQ(r2.Route(Lead("L5", 31.30, 120.70, "C200"))->reason,
            "no_dealer_for_model");
}

TEST(Routing, KeptDealerCityDealerAndNoLocation) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  RouteLead kept = Lead("K", 31.2, 121.4);
  kept.dealer_id = "D3";
  EXPECT_EQ(router.Route(kept)->reason, "kept_dealer");
  RouteLead city;
  city.lead_id = "C";
  city.created_at = Day(0);
  city.city = "Beijing";
  absl::StatusOr<Assignment> a = router.Route(city);
  EXPECT_EQ(a->reason, "city_dealer");
  EXPECT_EQ(a->dealer_id, "D3");
  city.lead_id = "N";
  city.city = "Hangzhou";
  EXPECT_EQ(router.Route(city)->reason, "no_location");
  kept.dealer_id = "D9";
  EXPECT_THAT(router.Route(kept),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dealer_id \"D9\" is not in the dealers")));
}

TEST(Routing, FairSharesWithWeightsAndNoTableOrder) {
  std::vector<Dealer> one = {Dealers()[0]};
  std::vector<Consultant> ten;
  for (int i = 0; i < 10; ++i)
    ten.push_back({.consultant_id = absl::StrCat("C", i), .dealer_id = "D1"});
  absl::StatusOr<Network> net = Network::Create(one, ten);
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  std::map<std::string, int> count;
  for (int i = 0; i < 1000; ++i)
    ++count[router.Route(Lead(absl::StrCat("L", i), 31.2, 121.4))
                ->consultant_id];
  for (const auto& [c, n] : count) EXPECT_EQ(n, 100) << c;

  std::vector<Consultant> weighted = {
      {.consultant_id = "A", .dealer_id = "D1", .weight = 2},
      {.consultant_id = "B", .dealer_id = "D1"},
      {.consultant_id = "C", .dealer_id = "D1"}};
  std::map<std::string, int> before;
  for (int shuffle = 0; shuffle < 3; ++shuffle) {
    std::rotate(weighted.begin(), weighted.begin() + 1, weighted.end());
    absl::StatusOr<Network> w = Network::Create(one, weighted);
    Router r(*w, ThreeLevel());
    std::map<std::string, int> got;
    for (int i = 0; i < 1000; ++i)
      ++got[r.Route(Lead(absl::StrCat("L", i), 31.2, 121.4))->consultant_id];
    EXPECT_NEAR(got["A"], 500, 1);
    EXPECT_NEAR(got["B"], 250, 1);
    EXPECT_NEAR(got["C"], 250, 1);
    if (shuffle > 0)
      EXPECT_EQ(got, before);  // the consultant table's order changes nothing
    before = got;
  }
}

TEST(Routing, InactiveAndFullConsultantsNeverGetALead) {
  std::vector<Consultant> staff = {
      {.consultant_id = "off", .dealer_id = "D1", .active = false, .weight = 0},
      {.consultant_id = "full",
       .dealer_id = "D1",
       .max_open_leads = 3,
       .open_leads = 1},
      {.consultant_id = "free", .dealer_id = "D1", .open_leads = 50}};
  absl::StatusOr<Network> net = Network::Create({Dealers()[0]}, staff);
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  std::map<std::string, int> got;
  for (int i = 0; i < 30; ++i)
    ++got[router.Route(Lead(absl::StrCat("L", i), 31.2, 121.4))->consultant_id];
  EXPECT_EQ(got["off"], 0);
  EXPECT_EQ(got["full"], 2);  // up to its capacity of 3 with the 1 it held
  EXPECT_EQ(got["free"], 28);
  absl::StatusOr<Network> nobody = Network::Create({Dealers()[0]}, {staff[0]});
  Router r(*nobody, ThreeLevel());
  absl::StatusOr<Assignment> a = r.Route(Lead("X", 31.2, 121.4));
  EXPECT_EQ(a->status, RouteStatus::kUnassigned);
  EXPECT_EQ(a->dealer_id, "D1");
  EXPECT_EQ(a->reason, "no_eligible_consultant");
}

TEST(Routing, HighIntentLeadsNeedExperience) {
  absl::StatusOr<Network> net = Network::Create(
      {Dealers()[0]},
      {{.consultant_id = "new", .dealer_id = "D1", .experience_years = 0.5},
       {.consultant_id = "old",
        .dealer_id = "D1",
        .experience_years = 3,
        .open_leads = 40}});
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  RouteLead high = Lead("H", 31.2, 121.4);
  high.grade = 0;  // "high", a high-intent grade of the preset
  EXPECT_EQ(router.Route(high)->consultant_id, "old");
  absl::StatusOr<Network> juniors = Network::Create(
      {Dealers()[0]},
      {{.consultant_id = "a", .dealer_id = "D1", .experience_years = 0.5},
       {.consultant_id = "b",
        .dealer_id = "D1",
        .experience_years = 1.5,
        .open_leads = 9}});
  Router r(*juniors, ThreeLevel());
  absl::StatusOr<Assignment> a = r.Route(high);
  EXPECT_EQ(a->consultant_id, "b");
  EXPECT_EQ(a->reason, "experience_fallback");
}

TEST(Routing, DuplicatesKeepTheOriginalsAssignment) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(3));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  RouteLead first = Lead("L1", 31.2, 121.4);
  first.phone = "+86 138-0013-8000";
  absl::StatusOr<Assignment> a = router.Route(first);
  RouteLead again = Lead("L2", 39.9, 116.4);
  again.phone = "13800138000";
  again.created_at = Day(20);
  absl::StatusOr<Assignment> b = router.Route(again);
  EXPECT_EQ(b->status, RouteStatus::kDuplicate);
  EXPECT_EQ(b->duplicate_of, "L1");
  EXPECT_EQ(b->dealer_id, a->dealer_id);
  EXPECT_EQ(b->consultant_id, a->consultant_id);
  EXPECT_THAT(b->reasons[0], HasSubstr("138****8000"));
  // 31 days after the original but 11 after L2: the chain goes on.
  again.lead_id = "L3";
  again.created_at = Day(31);
  EXPECT_EQ(router.Route(again)->duplicate_of, "L1");
  again.lead_id = "L4";
  again.created_at = Day(62);  // more than 30 days after the chain's last lead
  EXPECT_EQ(router.Route(again)->status, RouteStatus::kAssigned);
}

TEST(Routing, FileNumbersPerConsultantAndYear) {
  absl::StatusOr<Network> net = Network::Create(
      {Dealers()[0]},
      {{.consultant_id = "C1", .dealer_id = "D1", .code = "A01"}});
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  EXPECT_EQ(router.Route(Lead("L1", 31.2, 121.4))->file_number, "A01-26-0001");
  EXPECT_EQ(router.Route(Lead("L2", 31.2, 121.4))->file_number, "A01-26-0002");
  RouteLead next_year = Lead("L3", 31.2, 121.4);
  next_year.created_at = Day(400);
  EXPECT_EQ(router.Route(next_year)->file_number, "A01-27-0001");
  // Saved and restored, the counters and loads go on.
  const std::string saved = router.Save().value();
  Router other(*net, ThreeLevel());
  ASSERT_THAT(other.Restore(saved), IsOk());
  EXPECT_EQ(other.Route(Lead("L4", 31.2, 121.4))->file_number, "A01-26-0003");
  EXPECT_EQ(other.Save()->substr(0, 6), "LKRTR2");
  absl::StatusOr<Network> elsewhere = Network::Create({Dealers()[2]}, {});
  Router stranger(*elsewhere, ThreeLevel());
  EXPECT_THAT(stranger.Restore(saved),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not in this network")));
}

TEST(Routing, FileNumberYearIsTheLocalYearAndCodesAreUnique) {
  absl::StatusOr<Network> net = Network::Create(
      {Dealers()[0]},
      {{.consultant_id = "C1", .dealer_id = "D1", .code = "A01"}});
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  // 2025-12-31 23:30 UTC is 2026-01-01 07:30 in Shanghai, the policy calendar's
  // zone.
  RouteLead new_year = Lead("L1", 31.2, 121.4);
  new_year.created_at = date::sys_days{date::year{2025} / 12 / 31} +
                        std::chrono::hours(23) + std::chrono::minutes(30);
  EXPECT_EQ(router.Route(new_year)->file_number, "A01-26-0001");
  EXPECT_THAT(
      Network::Create(
          {Dealers()[0]},
          {{.consultant_id = "C1", .dealer_id = "D1", .code = "A01"},
           {.consultant_id = "C2", .dealer_id = "D1", .code = "A01"}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(
                   "file-number code \"A01\" is already consultant \"C1\"'s")));
}

TEST(ParseFileNumber, ValidatesEveryPart) {
  absl::StatusOr<FileNumber> f = ParseFileNumber("A01-26-0001");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->code, "A01");
  EXPECT_EQ(f->year, 26);
  EXPECT_EQ(f->serial, 1);
  EXPECT_EQ(ParseFileNumber("C-7-26-12345")->code, "C-7");
  for (const char* bad : {"A01-2026-0001", "A01-26-01", "-26-0001",
                          "A01-26-00x1", "A01", "A-+1-0001", "A- 1-0001"}) {
    EXPECT_THAT(ParseFileNumber(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)));
  }
}

TEST(Network, BadRowsNameTableIdColumnAndValue) {
  std::vector<Dealer> dealers = Dealers();
  dealers[1].lat = 95;
  EXPECT_THAT(
      Network::Create(dealers, {}),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("dealers.lat: dealer_id \"D2\": latitude 95 is outside")));
  EXPECT_THAT(
      Network::Create(Dealers(), {{.consultant_id = "C", .dealer_id = "D9"}}),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "consultants.dealer_id: consultant_id \"C\": unknown dealer")));
  EXPECT_THAT(
      Network::Create(Dealers(),
                      {{.consultant_id = "C", .dealer_id = "D1", .weight = 0}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weight is 0")));
  EXPECT_THAT(
      Network::Create(
          Dealers(),
          {{.consultant_id = "C", .dealer_id = "D1", .max_open_leads = -1}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("negative capacity -1")));
  std::vector<Dealer> twice = Dealers();
  twice[2].dealer_id = "D1";
  EXPECT_THAT(
      Network::Create(twice, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
}

TEST(Network, NearestAndInRangeMatchBruteForceOnRandomNetworks) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> lat(18, 50), lon(75, 134),
      near(-1.5, 1.5);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<Dealer> dealers;
    for (int d = 0; d < 300; ++d) {
      dealers.push_back({.dealer_id = absl::StrCat("D", d),
                         .lat = lat(rng),
                         .lon = lon(rng),
                         .models = d % 3 == 0 ? std::vector<std::string>{"GLC"}
                                              : std::vector<std::string>{},
                         .active = d % 7 != 0});
    }
    absl::StatusOr<Network> net = Network::Create(dealers, {});
    ASSERT_THAT(net, IsOk());
    for (int q = 0; q < 50; ++q) {
      const Dealer& anchor = dealers[rng() % dealers.size()];
      const double qlat = std::clamp(anchor.lat + near(rng), -90.0, 90.0);
      const double qlon = anchor.lon + near(rng);
      const std::string model = q % 2 ? "C200" : "";
      int want = -1;
      double want_km = 1e18;
      for (size_t d = 0; d < dealers.size(); ++d) {
        if (!dealers[d].active) continue;
        if (!model.empty() && !dealers[d].models.empty()) continue;
        const double km =
            HaversineKm(qlat, qlon, dealers[d].lat, dealers[d].lon);
        if (km > 100) continue;
        if (km < want_km ||
            (km == want_km &&
             dealers[d].dealer_id <
                 dealers[static_cast<size_t>(want)].dealer_id)) {
          want = static_cast<int>(d);
          want_km = km;
        }
      }
      double km = 0;
      EXPECT_EQ(net->Nearest(qlat, qlon, model, 100, &km), want)
          << trial << "/" << q;
      // InRange: the same dealers as a scan of all within 100 km, nearest
      // first, in distance order.
      std::set<int> in_range;
      for (size_t d = 0; d < dealers.size(); ++d) {
        if (!dealers[d].active) continue;
        if (!model.empty() && !dealers[d].models.empty()) continue;
        if (HaversineKm(qlat, qlon, dealers[d].lat, dealers[d].lon) <= 100)
          in_range.insert(static_cast<int>(d));
      }
      const std::vector<std::pair<double, int>> all =
          net->InRange(qlat, qlon, model, 100);
      std::set<int> got;
      for (size_t i = 0; i < all.size(); ++i) {
        got.insert(all[i].second);
        if (i > 0) EXPECT_LE(all[i - 1].first, all[i].first);
      }
      EXPECT_EQ(got, in_range) << trial << "/" << q;
      if (want >= 0) {
        ASSERT_FALSE(all.empty());
        EXPECT_EQ(all.front().second, want);
        EXPECT_EQ(all.front().first, km);
      }
    }
  }
}


}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

// Routing from four threads at once: every lead gets exactly one result and no
// capacity is exceeded. Run also under ThreadSanitizer (scripts/test,
// LEADKIT_SANITIZE=thread).
TEST(RoutingThreads, FourThreadsShareOneRouter) {
  std::vector<Consultant> staff;
  for (int i = 0; i < 4; ++i) {
    staff.push_back({.consultant_id = absl::StrCat("C", i),
                     .dealer_id = "D1",
                     .max_open_leads = 240});
  }
  absl::StatusOr<Network> net = Network::Create(
      {{.dealer_id = "D1", .lat = 31.23, .lon = 121.47}}, staff);
  ASSERT_THAT(net, IsOk());
  Router router(*net, *Policy::Preset("three_level"));
  std::vector<std::vector<Assignment>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        RouteLead lead;
        lead.lead_id = absl::StrCat("T", t, "-", i);
        lead.created_at = Instant(std::chrono::seconds(1767225600));
        lead.lat = 31.2;
        lead.lon = 121.4;
        results[static_cast<size_t>(t)].push_back(*router.Route(lead));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::string, int> per_consultant;
  int assigned = 0, unassigned = 0;
  std::set<std::string> file_numbers;
  for (const auto& list : results) {
    for (const Assignment& a : list) {
      if (a.status == RouteStatus::kAssigned) {
        ++assigned;
        ++per_consultant[a.consultant_id];
        file_numbers.insert(a.file_number);
      } else {
        ++unassigned;
      }
    }
  }
  EXPECT_EQ(assigned + unassigned, 1000);
  EXPECT_EQ(assigned, 960);  // four capacities of 240
  for (const auto& [c, n] : per_consultant) EXPECT_EQ(n, 240) << c;
  EXPECT_EQ(file_numbers.size(), 960u);  // no number given twice
}

// --- Overflow: what the nearest dealer cannot serve --------------------------

// The three_level preset with routing.overflow set to `overflow`.
Policy WithOverflow(absl::string_view overflow) {
  std::string text = ThreeLevel().ToJson();
  const std::string from = "\"overflow\": \"next_dealer\"";
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, from.size(),
               absl::StrCat("\"overflow\": \"", overflow, "\""));
  absl::StatusOr<PolicyLoad> load = Policy::FromJson(text);
  EXPECT_THAT(load, IsOk());
  absl::StatusOr<Policy> policy = load->policy();
  EXPECT_THAT(policy, IsOk());
  EXPECT_EQ(policy->routing().overflow, overflow == "none"
                                            ? Overflow::kNone
                                            : Overflow::kNextDealer);
  return *policy;
}

// Dealers due north of the lead at (30, 120): along a meridian the distance is
// R * dlat in radians = 111.19508 km per degree (R = 6371.0088 km).
constexpr double kKmPerDegree = 6371.0088 * 3.14159265358979323846 / 180;
Dealer North(const std::string& id, double degrees, bool active = true,
             std::vector<std::string> models = {}) {
  return {.dealer_id = id,
          .region_id = "R1",
          .lat = 30 + degrees,
          .lon = 120,
          .models = std::move(models),
          .active = active};
}

Consultant Knows(const std::string& id, const std::string& dealer,
                 std::vector<std::string> models = {}) {
  return {
      .consultant_id = id, .dealer_id = dealer, .models = std::move(models)};
}

Consultant Full(const std::string& id, const std::string& dealer) {
  return {.consultant_id = id,
          .dealer_id = dealer,
          .max_open_leads = 2,
          .open_leads = 2};
}

TEST(RoutingOverflow, PassesOverTheNearerDealersThatCannotServeALead) {
  struct Case {
    std::string name;
    std::vector<Dealer> dealers;
    std::vector<Consultant> staff;
    std::string overflow = "next_dealer";
    std::optional<std::string> kept_dealer;  // the lead names its dealer
    int grade = 2;                           // low
    // Expected, worked out by hand.
    RouteStatus status;
    std::string dealer_id;
    std::string consultant_id;
    double degrees;  // the distance of dealer_id, in degrees of latitude
    std::string reason;
    std::vector<std::pair<std::string, std::string>> passed_over;
  };
  // A at 11.1 km, B at 33.4 km, C at 55.6 km, F at 111.2 km (beyond the
  // preset's 100 km); the lead wants the C200.
  const std::vector<Case> cases = {
      {.name = "served by the nearest: nothing passed over",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {Knows("a1", "A"), Knows("b1", "B")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "A",
       .consultant_id = "a1",
       .degrees = 0.1,
       .reason = "nearest_dealer"},
      {.name = "nobody at the nearest knows the model: the next dealer",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {Knows("a1", "A", {"GLC"}), Knows("b1", "B")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "B",
       .consultant_id = "b1",
       .degrees = 0.3,
       .reason = "no_model_at_nearest",
       .passed_over = {{"A", "no_model_at_nearest"}}},
      {.name = "the nearest's consultants for the model are full: the next",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {Full("a1", "A"), Knows("a2", "A", {"GLC"}), Knows("b1", "B")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "B",
       .consultant_id = "b1",
       .degrees = 0.3,
       .reason = "nearest_full",
       .passed_over = {{"A", "nearest_full"}}},
      {.name = "only inactive consultants at the nearest: no_model_at_nearest",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {{.consultant_id = "a1",
                  .dealer_id = "A",
                  .active = false,
                  .weight = 0},
                 Knows("b1", "B")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "B",
       .consultant_id = "b1",
       .degrees = 0.3,
       .reason = "no_model_at_nearest",
       .passed_over = {{"A", "no_model_at_nearest"}}},
      {.name = "the next able dealer is beyond max_distance_km: unassigned",
       .dealers = {North("A", 0.1), North("F", 1.0)},
       .staff = {Full("a1", "A"), Knows("f1", "F")},
       .status = RouteStatus::kUnassigned,
       .dealer_id = "A",
       .degrees = 0.1,
       .reason = "no_eligible_consultant",
       .passed_over = {{"A", "nearest_full"}}},
      {.name = "overflow none: unassigned at the nearest, as before",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {Knows("a1", "A", {"GLC"}), Knows("b1", "B")},
       .overflow = "none",
       .status = RouteStatus::kUnassigned,
       .dealer_id = "A",
       .degrees = 0.1,
       .reason = "no_eligible_consultant"},
      {.name = "inactive dealers are skipped",
       .dealers = {North("X", 0.05, /*active=*/false), North("A", 0.1),
                   North("B", 0.3)},
       .staff = {Knows("x1", "X"), Knows("a1", "A", {"GLC"}), Knows("b1", "B")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "B",
       .consultant_id = "b1",
       .degrees = 0.3,
       .reason = "no_model_at_nearest",
       .passed_over = {{"A", "no_model_at_nearest"}}},
      {.name = "three dealers passed in distance order, not table order",
       .dealers = {North("C", 0.5), North("D", 0.7), North("B", 0.3),
                   North("A", 0.1)},
       .staff = {Knows("d1", "D"), Knows("c1", "C", {"GLC", "EQE"}),
                 Full("b1", "B"), Full("a1", "A"), Knows("c2", "C", {"EQE"})},
       .status = RouteStatus::kAssigned,
       .dealer_id = "D",
       .consultant_id = "d1",
       .degrees = 0.7,
       .reason = "nearest_full",
       .passed_over = {{"A", "nearest_full"},
                       {"B", "nearest_full"},
                       {"C", "no_model_at_nearest"}}},
      {.name = "a dealer that does not sell the model is not tried",
       .dealers = {North("A", 0.1, true, {"GLC"}), North("B", 0.3),
                   North("C", 0.5)},
       .staff = {Knows("a1", "A"), Full("b1", "B"), Knows("c1", "C")},
       .status = RouteStatus::kAssigned,
       .dealer_id = "C",
       .consultant_id = "c1",
       .degrees = 0.5,
       .reason = "nearest_full",
       .passed_over = {{"B", "nearest_full"}}},
      {.name = "every dealer in range passed: all listed, the nearest kept",
       .dealers = {North("A", 0.1), North("B", 0.3), North("F", 1.0)},
       .staff = {Full("a1", "A"), Knows("b1", "B", {"GLC"}), Knows("f1", "F")},
       .status = RouteStatus::kUnassigned,
       .dealer_id = "A",
       .degrees = 0.1,
       .reason = "no_eligible_consultant",
       .passed_over = {{"A", "nearest_full"}, {"B", "no_model_at_nearest"}}},
      {.name = "a lead that names its dealer stays with it",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {Full("a1", "A"), Knows("b1", "B")},
       .kept_dealer = "A",
       .status = RouteStatus::kUnassigned,
       .dealer_id = "A",
       .degrees = -1,
       .reason = "no_eligible_consultant"},
      {.name = "a high-intent lead at the next dealer may fall back on "
               "experience",
       .dealers = {North("A", 0.1), North("B", 0.3)},
       .staff = {{.consultant_id = "a1",
                  .dealer_id = "A",
                  .models = {"GLC"},
                  .experience_years = 9},
                 {.consultant_id = "b1",
                  .dealer_id = "B",
                  .experience_years = 1}},
       .grade = 0,  // high: needs 2 years
       .status = RouteStatus::kAssigned,
       .dealer_id = "B",
       .consultant_id = "b1",
       .degrees = 0.3,
       .reason = "experience_fallback",
       .passed_over = {{"A", "no_model_at_nearest"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Network> net = Network::Create(c.dealers, c.staff);
    ASSERT_THAT(net, IsOk());
    const Policy policy = WithOverflow(c.overflow);
    // One by one (with reasons) and as a batch: the same answer.
    Router one(*net, policy);
    RouteLead lead = Lead("L1", 30, 120, "C200");
    lead.dealer_id = c.kept_dealer;
    lead.grade = c.grade;
    absl::StatusOr<Assignment> a = one.Route(lead);
    ASSERT_THAT(a, IsOk());
    EXPECT_EQ(a->status, c.status);
    EXPECT_EQ(a->dealer_id, c.dealer_id);
    EXPECT_EQ(a->consultant_id, c.consultant_id);
    EXPECT_EQ(a->reason, c.reason);
    if (c.degrees < 0) {
      EXPECT_FALSE(a->distance_km.has_value());
    } else {
      ASSERT_TRUE(a->distance_km.has_value());
      EXPECT_NEAR(*a->distance_km, c.degrees * kKmPerDegree, 1e-6);
    }
    std::vector<std::pair<std::string, std::string>> passed;
    for (const PassedOver& p : a->passed_over) {
      passed.emplace_back(p.dealer_id, p.reason);
      const double degrees = net->dealers()[static_cast<size_t>(
                                                net->DealerIndex(p.dealer_id))]
                                 .lat -
                             30;
      EXPECT_NEAR(p.distance_km, degrees * kKmPerDegree, 1e-6) << p.dealer_id;
    }
    EXPECT_EQ(passed, c.passed_over);

    Router batch(*net, policy);
    std::string json = absl::StrCat(
        R"([{"lead_id": "L1", "created_at": "2026-01-01T00:00:00Z", )",
        R"("channel": "website", "model": "C200", "lat": 30, "lon": 120)",
        c.kept_dealer
            ? absl::StrCat(R"(, "dealer_id": ")", *c.kept_dealer, "\"")
            : "",
        "}]");
    absl::StatusOr<LeadTable> rows = LeadTable::FromJson(json);
    ASSERT_THAT(rows, IsOk());
    const std::vector<int32_t> grades = {c.grade};
    absl::StatusOr<std::vector<Assignment>> b =
        batch.RouteBatch(rows->columns(), grades);
    ASSERT_THAT(b, IsOk());
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].dealer_id, a->dealer_id);
    EXPECT_EQ((*b)[0].consultant_id, a->consultant_id);
    EXPECT_EQ((*b)[0].reason, a->reason);
    EXPECT_EQ((*b)[0].passed_over, a->passed_over);
  }
}

TEST(RoutingOverflow, ReasonsNameEveryStepAndLoadsMoveWithTheLeads) {
  // A's only C200 consultant takes one lead more (capacity 2, holding 1), then
  // is full: the second lead goes to B.
  absl::StatusOr<Network> net = Network::Create(
      {North("A", 0.1), North("B", 0.3)},
      {{.consultant_id = "a1",
        .dealer_id = "A",
        .max_open_leads = 2,
        .open_leads = 1},
       Knows("b1", "B")});
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  absl::StatusOr<Assignment> first = router.Route(Lead("L1", 30, 120, "C200"));
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->consultant_id, "a1");
  EXPECT_THAT(first->reasons,
              ::testing::ElementsAre("nearest_dealer: A", "least_loaded: a1"));
  absl::StatusOr<Assignment> second = router.Route(Lead("L2", 30, 120, "C200"));
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->consultant_id, "b1");
  EXPECT_EQ(second->file_number, "b1-26-0001");
  EXPECT_THAT(second->reasons,
              ::testing::ElementsAre("nearest_dealer: A", "nearest_full: A",
                                     "next_dealer: B", "least_loaded: b1"));
  // A saved router goes on with the same loads: A is still full.
  Router again(*net, ThreeLevel());
  ASSERT_THAT(again.Restore(router.Save().value()), IsOk());
  EXPECT_EQ(again.Route(Lead("L3", 30, 120, "C200"))->reason, "nearest_full");
}

TEST(Network, InRangeListsDealersInDistanceOrderFromTheNearest) {
  absl::StatusOr<Network> net = Network::Create(
      {North("C", 0.5), North("B2", 0.3), North("A", 0.1), North("B1", 0.3),
       North("F", 1.0), North("X", 0.2, /*active=*/false),
       North("G", 0.4, true, {"GLC"})},
      {});
  ASSERT_THAT(net, IsOk());
  std::vector<std::string> ids;
  for (const auto& [km, index] : net->InRange(30, 120, "C200", 100)) {
    ids.push_back(net->dealers()[static_cast<size_t>(index)].dealer_id);
  }
  // Ties (B1 and B2 at 0.3 degrees) by dealer_id; X is inactive, G sells only
  // the GLC, F is 111 km away.
  EXPECT_THAT(ids, ::testing::ElementsAre("A", "B1", "B2", "C"));
  double km = 0;
  EXPECT_EQ(net->Nearest(30, 120, "C200", 100, &km), net->DealerIndex("A"));
  EXPECT_EQ(km, net->InRange(30, 120, "C200", 100).front().first);
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

// Shanghai's D1 with three consultants holding 3, 0 and 1 open leads, and
// Suzhou's D2 with one.
std::vector<Consultant> MoveStaff() {
  return {{.consultant_id = "D1-C0", .dealer_id = "D1", .open_leads = 3},
          {.consultant_id = "D1-C1", .dealer_id = "D1", .open_leads = 0},
          {.consultant_id = "D1-C2", .dealer_id = "D1", .open_leads = 1},
          {.consultant_id = "D2-C0", .dealer_id = "D2"}};
}

struct MoveTable {
  std::vector<std::string> ids, consultants, dealers;
  std::vector<int32_t> id_codes, consultant_codes, dealer_codes;
  std::vector<int64_t> created;
  std::vector<double> reassignments;
  Columns Table() const {
    Columns c(static_cast<int64_t>(ids.size()));
    EXPECT_THAT(c.Add("lead_id", Column::Codes(id_codes, ids)), IsOk());
    EXPECT_THAT(c.Add("created_at", Column::Instants(created)), IsOk());
    EXPECT_THAT(c.Add("consultant_id",
                      Column::Codes(consultant_codes, consultants)),
                IsOk());
    EXPECT_THAT(c.Add("dealer_id", Column::Codes(dealer_codes, dealers)),
                IsOk());
    if (!reassignments.empty()) {
      EXPECT_THAT(c.Add("reassignments", Column::Doubles(reassignments)),
                  IsOk());
    }
    return c;
  }
};

std::string Show(const Move& m) {
  return absl::StrCat(m.lead_id, " ", m.from_consultant_id, "->",
                      m.to_consultant_id, " ", MoveStatusName(m.status), " ",
                      m.reason, " ", m.reassignments);
}

TEST(Moves, HandoverSpreadsTheLeavingConsultantsLeads) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), MoveStaff());
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  // L1 and L2 (no dealer: its consultant's, D1) of D1-C1, who leaves; L3 of
  // D1-C0 stays; L5 of D2-C0, who leaves too — nobody is left at D2.
  // Loads: C0 3, C2 1 -> L1 to C2 (2), L2 to C2 (3 would tie C0: 2 < 3 first).
  const MoveTable t{.ids = {"L1", "L2", "L3", "L5"},
                    .consultants = {"D1-C0", "D1-C1", "D2-C0"},
                    .dealers = {"D1", "D2"},
                    .id_codes = {0, 1, 2, 3},
                    .consultant_codes = {1, 1, 0, 2},
                    .dealer_codes = {0, -1, 0, 1},
                    .created = {0, 0, 0, 0}};
  const std::vector<int32_t> grades = {2, 2, 2, 2};  // low: no experience needed
  const std::vector<std::string> leaving = {"D1-C1", "D2-C0"};
  absl::StatusOr<std::vector<Move>> moves =
      router.Handover(t.Table(), grades, leaving);
  ASSERT_THAT(moves, IsOk());
  std::vector<std::string> lines;
  for (const Move& m : *moves) lines.push_back(Show(m));
  EXPECT_THAT(lines, ::testing::ElementsAre(
                         "L1 D1-C1->D1-C2 moved handover 0",
                         "L2 D1-C1->D1-C2 moved handover 0",
                         "L5 D2-C0-> unassigned no_eligible_consultant 0"));
  const std::vector<std::string> stranger = {"X9"};
  EXPECT_THAT(router.Handover(t.Table(), grades, stranger),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("leaving: unknown consultant 'X9'")));
}

TEST(Moves, ReclaimMovesOverdueLeadsWithinTheLimit) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), MoveStaff());
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());  // reclaim_limit 2
  // R1 (C2's, never moved): C0 3, C1 0 -> C1; C2's load falls to 0.
  // R2 (C0's, moved twice): escalated. R3: no dealer. R4: not late.
  // R5 (C1's, moved once): C0 3, C2 0 -> C2, its second move.
  const MoveTable t{.ids = {"R1", "R2", "R3", "R4", "R5"},
                    .consultants = {"D1-C0", "D1-C1", "D1-C2"},
                    .dealers = {"D1"},
                    .id_codes = {0, 1, 2, 3, 4},
                    .consultant_codes = {2, 0, 1, 1, 1},
                    .dealer_codes = {0, 0, -1, 0, 0},
                    .created = {0, 0, 0, 0, 0},
                    .reassignments = {0, 2, 0, 0, 1}};
  const std::vector<int32_t> grades = {2, 2, 2, 2, 2};
  const std::vector<uint8_t> late = {1, 1, 1, 0, 1};
  absl::StatusOr<std::vector<Move>> moves =
      router.Reclaim(t.Table(), grades, late);
  ASSERT_THAT(moves, IsOk());
  std::vector<std::string> lines;
  for (const Move& m : *moves) lines.push_back(Show(m));
  EXPECT_THAT(lines,
              ::testing::ElementsAre(
                  "R1 D1-C2->D1-C1 reclaimed first_contact_overdue 1",
                  "R2 D1-C0-> escalated reclaim_limit 2",
                  "R3 D1-C1-> unassigned no_dealer 0",
                  "R5 D1-C1->D1-C2 reclaimed first_contact_overdue 2"));
  MoveTable bad = t;
  bad.reassignments = {0, -1, 0, 0, 0};
  EXPECT_THAT(router.Reclaim(bad.Table(), grades, late),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads row 1: lead_id \"R2\": reassignments "
                                 "must be a count, got -1")));
}

}  // namespace
}  // namespace leadkit

namespace leadkit {
namespace {

// Fault 6 of the hardening issue: the engines' rules agree.

TEST(InconsistentRules, ADuplicatedLeadIdIsRefusedByRouteAsByTheKpis) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  absl::StatusOr<LeadTable> rows = LeadTable::FromJson(R"([
    {"lead_id": "L1", "created_at": "2026-01-01T00:00:00Z", "lat": 31.2, "lon": 121.4},
    {"lead_id": "L2", "created_at": "2026-01-01T00:00:00Z", "lat": 31.2, "lon": 121.4},
    {"lead_id": "L1", "created_at": "2026-01-02T00:00:00Z", "lat": 31.2, "lon": 121.4}
  ])");
  ASSERT_THAT(rows, IsOk());
  const std::vector<int32_t> grades = {2, 2, 2};
  // The KPIs' words (kpi_test, lead_batch.cc GivenTwice).
  EXPECT_THAT(router.RouteBatch(rows->columns(), grades),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads row 2: lead_id \"L1\" is given twice (first at "
                       "row 0)"));
  // Nothing was routed: the first file number is still free.
  EXPECT_EQ(router.Route(Lead("L9", 31.2, 121.4))->file_number, "D1-C0-26-0001");
}

TEST(InconsistentRules, ADuplicatedLeadIdIsRefusedByHandoverAndReclaim) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), MoveStaff());
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  // Three rows (a row per dictionary entry), the third naming L1 again.
  const MoveTable t{.ids = {"L1", "L2", "L3"},
                    .consultants = {"D1-C1"},
                    .dealers = {"D1"},
                    .id_codes = {0, 1, 0},
                    .consultant_codes = {0, 0, 0},
                    .dealer_codes = {0, 0, 0},
                    .created = {0, 0, 0}};
  const std::vector<int32_t> grades = {2, 2, 2};
  const std::vector<std::string> leaving = {"D1-C1"};
  EXPECT_THAT(router.Handover(t.Table(), grades, leaving),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "open_leads row 2: lead_id \"L1\" is given twice (first "
                       "at row 0)"));
  const std::vector<uint8_t> late = {1, 1, 1};
  EXPECT_THAT(router.Reclaim(t.Table(), grades, late),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads row 2: lead_id \"L1\" is given twice (first at "
                       "row 0)"));
}

TEST(InconsistentRules, AnImpossibleCoordinateIsAnErrorWhereverItAppears) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  RouteLead lon_only;
  lon_only.lead_id = "N";
  lon_only.created_at = Day(0);
  lon_only.lon = -500;  // no lat: routing would not read it
  EXPECT_THAT(router.Route(lon_only),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads.lon: lead_id \"N\": longitude -500 is outside "
                       "[-180, 180]"));
  RouteLead lat_only = lon_only;
  lat_only.lon.reset();
  lat_only.lat = -91;
  EXPECT_THAT(router.Route(lat_only),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads.lat: lead_id \"N\": latitude -91 is outside "
                       "[-90, 90]"));
  // A lead that names its dealer is not routed by location, and still checked.
  RouteLead kept = Lead("K", 91, 121.4);
  kept.dealer_id = "D1";
  EXPECT_THAT(router.Route(kept),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("latitude 91 is outside [-90, 90]")));
  // A duplicate, whose location routing never reads, one by one and in a
  // batch.
  RouteLead first = Lead("F", 31.2, 121.4);
  first.phone = "13900139000";
  ASSERT_THAT(router.Route(first), IsOk());
  RouteLead again = lon_only;
  again.lead_id = "G";
  again.phone = "13900139000";
  EXPECT_THAT(router.Route(again),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leads.lon: lead_id \"G\": longitude -500")));
  absl::StatusOr<LeadTable> rows = LeadTable::FromJson(R"([
    {"lead_id": "A", "created_at": "2026-01-01T00:00:00Z", "phone": "13800138000",
     "lat": 31.2, "lon": 121.4},
    {"lead_id": "B", "created_at": "2026-01-02T00:00:00Z", "phone": "13800138000",
     "lon": -500}
  ])");
  ASSERT_THAT(rows, IsOk());
  const std::vector<int32_t> grades = {2, 2};
  EXPECT_THAT(router.RouteBatch(rows->columns(), grades),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "leads row 1: leads.lon: lead_id \"B\": longitude -500 "
                       "is outside [-180, 180]"));
}

TEST(InconsistentRules, CheckLocationIsTheOneCoordinateCheck) {
  EXPECT_THAT(CheckLocation("leads", "lead_id", "L", std::nullopt, std::nullopt),
              IsOk());
  EXPECT_THAT(CheckLocation("leads", "lead_id", "L", 90, -180), IsOk());
  EXPECT_THAT(CheckLocation("leads", "lead_id", "L", -90, 180), IsOk());
  EXPECT_THAT(CheckLocation("dealers", "dealer_id", "D", std::nan(""), 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "dealers.lat: dealer_id \"D\": latitude nan is outside "
                       "[-90, 90]"));
  EXPECT_THAT(CheckLocation("leads", "lead_id", "L", 0, 180.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("longitude 180.5 is outside [-180, 180]")));
}

// Faults 2 and 3 of the hardening issue: a saved router state cannot lie, and
// holds no phone number.

std::array<uint8_t, 16> Key(uint8_t seed) {
  std::array<uint8_t, 16> key;
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<uint8_t>(seed + 17 * i);
  }
  return key;
}

// A router with loads, serials over two years and two phone chains.
std::string SavedState(const Network& net, const RouterOptions& options) {
  Router router(net, ThreeLevel(), options);
  RouteLead a = Lead("L1", 31.2, 121.4);
  a.phone = "+86 138-0013-8000";
  RouteLead b = Lead("L2", 31.2, 121.4);
  b.phone = "139 0013 9000";
  RouteLead c = Lead("L3", 31.2, 121.4);
  c.created_at = Day(400);
  EXPECT_THAT(router.Route(a), IsOk());
  EXPECT_THAT(router.Route(b), IsOk());
  EXPECT_THAT(router.Route(c), IsOk());
  absl::StatusOr<std::string> saved = router.Save();
  EXPECT_THAT(saved, IsOk());
  return saved.value_or("");
}

TEST(SavedStateCanLie, EveryChangedCutOrExtendedStateIsRefused) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(2));
  ASSERT_THAT(net, IsOk());
  const RouterOptions options{.phone_key = Key(1)};
  const std::string good = SavedState(*net, options);
  Router router(*net, ThreeLevel(), options);
  ASSERT_THAT(router.Restore(good), IsOk());
  for (size_t i = 0; i < good.size(); ++i) {
    for (const int bit : {0, 3, 7}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_THAT(router.Restore(bad),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("router state")))
          << "byte " << i << " bit " << bit;
    }
    EXPECT_THAT(router.Restore(good.substr(0, i)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("router state")))
        << "cut at " << i;
  }
  EXPECT_THAT(router.Restore(good + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: trailing bytes after the state"));
  // Every refusal left the restored state as it was.
  EXPECT_EQ(router.Save().value(), good);
}

// Payloads written by hand in the documented layout (routing.cc), framed as
// Save frames them: what a checksum cannot catch, the checks on restore must.
std::string Framed(const std::string& payload) {
  return state_internal::Frame("LKRTR2", payload);
}

TEST(SavedStateCanLie, ImpossibleValuesAreRefusedNamingThem) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  using state_internal::PutInt;
  using state_internal::PutString;
  // key check 0, one consultant's load, no dealers, the given serials, no
  // phones.
  const auto state = [](int64_t load, const std::string& consultant,
                        int64_t year, int64_t serial) {
    std::string p;
    PutInt(p, 0);
    PutInt(p, 1);
    PutString(p, consultant);
    PutInt(p, load);
    PutInt(p, 0);
    PutInt(p, 1);
    PutString(p, consultant);
    PutInt(p, year);
    PutInt(p, serial);
    PutInt(p, 0);
    return Framed(p);
  };
  Router router(*net, ThreeLevel());
  EXPECT_THAT(router.Restore(state(3, "D1-C0", 26, 7)), IsOk());
  EXPECT_EQ(router.Route(Lead("L1", 31.2, 121.4))->file_number,
            "D1-C0-26-0008");
  EXPECT_THAT(router.Restore(state(0, "D1-C0", 25, -2)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: consultant \"D1-C0\": file-number "
                       "serial -2 of year 25 is not positive"));
  EXPECT_THAT(router.Restore(state(0, "D1-C0", 25, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("serial 0 of year 25 is not positive")));
  EXPECT_THAT(router.Restore(state(0, "D1-C0", 126, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("file-number year 126 is not two digits")));
  EXPECT_THAT(router.Restore(state(-1, "D1-C0", 26, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: consultant \"D1-C0\" has routed -1 "
                       "leads, a negative count"));
  EXPECT_THAT(router.Restore(state(0, "X9", 26, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: consultant \"X9\" is not in this "
                       "network (saved over another one?)"));
  // The refused states changed nothing: the serial goes on from 8.
  EXPECT_EQ(router.Route(Lead("L2", 31.2, 121.4))->file_number,
            "D1-C0-26-0009");

  // A phone chain naming a consultant the network does not have.
  const RouterOptions options{.phone_key = Key(1)};
  Router keyed(*net, ThreeLevel(), options);
  Router probe(*net, ThreeLevel(), options);
  RouteLead a = Lead("P1", 31.2, 121.4);
  a.phone = "13800138000";
  ASSERT_THAT(probe.Route(a), IsOk());
  const std::string real = probe.Save().value();
  ASSERT_THAT(keyed.Restore(real), IsOk());
  const std::string renamed = [&] {
    // The saved consultant ids are length-prefixed "D1-C0"; "D1-C9" has the
    // same length, so only the checksum must be made right again.
    std::string p(
        state_internal::Unframe(real, "LKRTR2", "router state bytes").value());
    size_t at = p.rfind("D1-C0");
    p.replace(at, 5, "D1-C9");
    return Framed(p);
  }();
  EXPECT_THAT(keyed.Restore(renamed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: consultant \"D1-C9\" is not in "
                       "this network (saved over another one?)"));
}

TEST(SavedStateCanLie, FormatOneMustBeSavedAnew) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  EXPECT_THAT(
      router.Restore("leadkit-router 1\nR\tD1-C0\t1\nS\tD1-C0\t25\t-2\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("router state bytes: this is a router state of "
                         "format 1")));
  EXPECT_THAT(router.Restore("something else"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a leadkit router state (bad header)")));
}

TEST(PersonalDataAtRest, TheSavedStateHoldsNoPhoneNumber) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(2));
  ASSERT_THAT(net, IsOk());
  const RouterOptions options{.phone_key = Key(1)};
  const std::string saved = SavedState(*net, options);
  for (const char* digits :
       {"13800138000", "13900139000", "138-0013", "139 0013", "0013"}) {
    EXPECT_EQ(saved.find(digits), std::string::npos) << digits;
  }
  // Restored under its key, the state still finds the duplicates.
  Router router(*net, ThreeLevel(), options);
  ASSERT_THAT(router.Restore(saved), IsOk());
  RouteLead again = Lead("L4", 39.9, 116.4);
  again.phone = "13800138000";
  again.created_at = Day(10);
  absl::StatusOr<Assignment> a = router.Route(again);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->status, RouteStatus::kDuplicate);
  EXPECT_EQ(a->duplicate_of, "L1");
}

TEST(PersonalDataAtRest, AStateRestoresOnlyUnderItsKey) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(2));
  ASSERT_THAT(net, IsOk());
  const std::string saved = SavedState(*net, {.phone_key = Key(1)});
  Router other_key(*net, ThreeLevel(), {.phone_key = Key(2)});
  EXPECT_THAT(other_key.Restore(saved),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "router state bytes: its 2 phone chain(s) were hashed "
                       "under another phone_key: restore with the key the "
                       "state was saved with"));
  Router no_key(*net, ThreeLevel());
  EXPECT_THAT(no_key.Restore(saved),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("(this router has none)")));
}

TEST(PersonalDataAtRest, WithoutAKeyPhonesAreNeverSaved) {
  absl::StatusOr<Network> net = Network::Create(Dealers(), Staff(1));
  ASSERT_THAT(net, IsOk());
  Router router(*net, ThreeLevel());
  ASSERT_THAT(router.Route(Lead("L1", 31.2, 121.4)), IsOk());
  // No phone seen yet: loads and serials save without a key.
  absl::StatusOr<std::string> saved = router.Save();
  ASSERT_THAT(saved, IsOk());
  Router copy(*net, ThreeLevel());
  ASSERT_THAT(copy.Restore(*saved), IsOk());
  EXPECT_EQ(copy.Route(Lead("L2", 31.2, 121.4))->file_number, "D1-C0-26-0002");
  RouteLead phoned = Lead("L3", 31.2, 121.4);
  phoned.phone = "13800138000";
  ASSERT_THAT(router.Route(phoned), IsOk());
  EXPECT_THAT(router.Save(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has seen 1 phone number(s) for duplicate "
                                 "detection and has no phone_key")));
}

}  // namespace
}  // namespace leadkit
