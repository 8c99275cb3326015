// The batch reader's grouping of touch rows by lead (src/lead_batch.h).
#include "lead_batch.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace leadkit::cadence_internal {
namespace {

// Lead r's rows in row order, rows of lead -1 left out: the grouping written
// the plain way.
std::vector<std::vector<uint32_t>> RowsByLead(const std::vector<int32_t>& lead,
                                              int64_t n) {
  std::vector<std::vector<uint32_t>> rows(static_cast<size_t>(n));
  for (size_t t = 0; t < lead.size(); ++t) {
    if (lead[t] >= 0) rows[static_cast<size_t>(lead[t])].push_back(t);
  }
  return rows;
}

void ExpectGrouped(const std::vector<int32_t>& lead, int64_t n, int threads) {
  std::vector<uint32_t> order;
  std::vector<int64_t> offsets;
  GroupByLead(lead, n, threads, order, offsets);
  const auto expected = RowsByLead(lead, n);
  ASSERT_EQ(offsets.size(), static_cast<size_t>(n) + 1);
  EXPECT_EQ(offsets.front(), 0);
  EXPECT_EQ(static_cast<size_t>(offsets.back()), order.size());
  for (int64_t r = 0; r < n; ++r) {
    const std::vector<uint32_t> got(
        order.begin() + offsets[static_cast<size_t>(r)],
        order.begin() + offsets[static_cast<size_t>(r) + 1]);
    ASSERT_EQ(got, expected[static_cast<size_t>(r)])
        << "lead " << r << " of " << n << ", " << threads << " threads";
  }
}

TEST(GroupByLead, EveryLeadsRowsInRowOrder) {
  std::mt19937_64 rng(7);
  // Sizes around the bucket width (2048 buckets at most): one bucket, exactly
  // full, one lead over, many leads per bucket.
  for (int64_t n : {1, 2, 5, 2047, 2048, 2049, 5000, 70000}) {
    for (int64_t per_lead : {0, 1, 4}) {
      std::vector<int32_t> lead(static_cast<size_t>(n * per_lead + 3));
      for (int32_t& l : lead) {
        // About one row in ten left out.
        l = rng() % 10 == 0 ? -1 : static_cast<int32_t>(rng() % n);
      }
      for (int threads : {1, 2, 3}) ExpectGrouped(lead, n, threads);
    }
  }
}

TEST(GroupByLead, NoLeadsNoRows) {
  ExpectGrouped({}, 0, 1);
  ExpectGrouped({-1, -1}, 0, 2);
  ExpectGrouped({-1, -1}, 3, 2);
}

TEST(GroupByLead, RowsAlreadyGroupedStayAsTheyAre) {
  std::vector<int32_t> lead;
  for (int32_t r = 0; r < 3000; ++r) {
    for (int k = 0; k < 3; ++k) lead.push_back(r);
  }
  std::vector<uint32_t> order;
  std::vector<int64_t> offsets;
  GroupByLead(lead, 3000, 2, order, offsets);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
}

}  // namespace
}  // namespace leadkit::cadence_internal
