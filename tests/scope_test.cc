// Scopes (003 §I): which rows headquarters, a region and a dealer see.
#include "leadkit/scope.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace leadkit {
namespace {

using ::leadkit::testing::IsOk;
using ::leadkit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Dealers: D1 and D2 in region "east", D3 in "west"; rows name D1, D3, none, D2,
// D9 (a dealer the table does not have).
struct Tables {
  std::vector<std::string> dealer_ids = {"D1", "D2", "D3"};
  std::vector<int32_t> dealer_codes = {0, 1, 2};
  std::vector<std::string> region_names = {"east", "west"};
  std::vector<int32_t> region_codes = {0, 0, 1};
  std::vector<std::string> row_names = {"D1", "D3", "D2", "D9"};
  std::vector<int32_t> row_codes = {0, 1, -1, 2, 3};

  Columns Dealers() const {
    Columns c(3);
    EXPECT_THAT(c.Add("dealer_id", Column::Codes(dealer_codes, dealer_ids)),
                IsOk());
    EXPECT_THAT(c.Add("region_id", Column::Codes(region_codes, region_names)),
                IsOk());
    return c;
  }
  Columns Rows() const {
    Columns c(5);
    EXPECT_THAT(c.Add("dealer_id", Column::Codes(row_codes, row_names)), IsOk());
    return c;
  }
};

TEST(Scope, EachKindSeesItsRows) {
  const Tables t;
  const Columns dealers = t.Dealers();
  const Columns rows = t.Rows();
  struct Case {
    Scope scope;
    std::vector<uint8_t> mask;
  };
  const Case cases[] = {
      {Scope::Hq(), {1, 1, 1, 1, 1}},
      {Scope::Region("east"), {1, 0, 0, 1, 0}},
      {Scope::Region("west"), {0, 1, 0, 0, 0}},
      {Scope::Dealer("D2"), {0, 0, 0, 1, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(ScopeKindName(c.scope.kind));
    absl::StatusOr<std::vector<uint8_t>> mask = ScopeMask(c.scope, rows, &dealers);
    ASSERT_THAT(mask, IsOk());
    EXPECT_EQ(*mask, c.mask);
  }
  // Without the dealers table a dealer scope knows the dealers the rows name.
  absl::StatusOr<std::vector<uint8_t>> d9 =
      ScopeMask(Scope::Dealer("D9"), rows, nullptr);
  ASSERT_THAT(d9, IsOk());
  EXPECT_THAT(*d9, ElementsAre(0, 0, 0, 0, 1));
}

TEST(Scope, UnknownIdsAndMissingTablesAreErrors) {
  const Tables t;
  const Columns dealers = t.Dealers();
  const Columns rows = t.Rows();
  EXPECT_THAT(ScopeMask(Scope::Dealer("D9"), rows, &dealers),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("scope: unknown dealer 'D9'")));
  EXPECT_THAT(ScopeMask(Scope::Region("north"), rows, &dealers),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("scope: unknown region 'north'")));
  EXPECT_THAT(ScopeMask(Scope::Region("east"), rows, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs the dealers table")));
  Columns no_region(3);
  ASSERT_THAT(no_region.Add("dealer_id",
                            Column::Codes(t.dealer_codes, t.dealer_ids)),
              IsOk());
  EXPECT_THAT(ScopeMask(Scope::Region("east"), rows, &no_region),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dealers: missing required column \"region_id\"")));
  // Rows without a dealer_id column are seen at headquarters only.
  const Columns bare(2);
  absl::StatusOr<std::vector<uint8_t>> none =
      ScopeMask(Scope::Region("east"), bare, &dealers);
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, ElementsAre(0, 0));
}

// Rows D1, D3, none, D2, D9: east, west, none, east, none (D9 is no dealer
// of the table); regions numbered as the dealers table first names them.
TEST(Scope, RegionsOfRowsAreTheirDealers) {
  const Tables t;
  absl::StatusOr<RowRegions> regions = RegionsOf(t.Rows(), t.Dealers());
  ASSERT_THAT(regions, IsOk());
  EXPECT_THAT(regions->regions, ElementsAre("east", "west"));
  EXPECT_THAT(regions->codes, ElementsAre(0, 1, -1, 0, -1));
  // A table without dealer ids: no row has a region.
  EXPECT_THAT(RegionsOf(Columns(2), t.Dealers())->codes, ElementsAre(-1, -1));
  EXPECT_THAT(
      RegionsOf(t.Rows(), Columns(0)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("dealers: missing required column \"dealer_id\"")));
}

}  // namespace
}  // namespace leadkit
