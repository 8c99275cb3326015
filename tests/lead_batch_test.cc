// The batch reader's grouping of touches by lead (src/lead_batch.h).
#include "lead_batch.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace leadkit::batch_internal {
namespace {

// Touch row t as its record: `at` from `times` (the row itself when empty).
GroupedTouch Record(int64_t t, int64_t lead,
                    const std::vector<int64_t>& times) {
  return {.at = times.empty() ? t : times[static_cast<size_t>(t)],
          .lead = static_cast<uint32_t>(lead),
          .method = static_cast<int16_t>(t % 3),
          .grade_after = -1};
}

bool Earlier(const GroupedTouch& a, const GroupedTouch& b) {
  return a.at < b.at;
}

struct Grouped {
  std::unique_ptr<GroupedTouch[]> touches;
  std::vector<int64_t> offsets;

  std::vector<GroupedTouch> Of(int64_t lead) const {
    return {&touches[static_cast<size_t>(offsets[lead])],
            &touches[static_cast<size_t>(offsets[lead + 1])]};
  }
};

Grouped Group(const std::vector<int32_t>& lead, int64_t n, int threads,
              const std::vector<int64_t>& times = {}) {
  Grouped g;
  GroupByLead(
      lead, n, threads,
      [&](int64_t t, int64_t l) { return Record(t, l, times); }, Earlier,
      g.touches, g.offsets);
  return g;
}

// Lead r's rows in row order, rows of lead -1 left out: the grouping written
// the plain way.
std::vector<std::vector<int64_t>> RowsByLead(const std::vector<int32_t>& lead,
                                             int64_t n) {
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(n));
  for (size_t t = 0; t < lead.size(); ++t) {
    if (lead[t] >= 0) {
      rows[static_cast<size_t>(lead[t])].push_back(static_cast<int64_t>(t));
    }
  }
  return rows;
}

std::vector<int32_t> RandomLeads(std::mt19937_64& rng, int64_t n,
                                 int64_t rows) {
  std::vector<int32_t> lead(static_cast<size_t>(rows));
  for (int32_t& l : lead) {
    // About one row in ten left out.
    l = rng() % 10 == 0 ? -1 : static_cast<int32_t>(rng() % n);
  }
  return lead;
}

TEST(GroupByLead, EveryLeadsRowsInRowOrder) {
  std::mt19937_64 rng(7);
  // Sizes around the bucket widths (512 buckets until a bucket would hold
  // more than 8192 leads): a lead per bucket, two, many, and past the cap.
  for (int64_t n : {1, 2, 5, 511, 512, 513, 5000, 70000, (1 << 22) + 5}) {
    const bool large = n > 70000;
    for (int64_t per_lead : {0, 1, 4}) {
      if (large && per_lead > 1) continue;
      const std::vector<int32_t> lead = RandomLeads(rng, n, n * per_lead + 3);
      const auto expected = RowsByLead(lead, n);
      for (int threads : {1, 2, 3}) {
        if (large && threads != 2) continue;
        const Grouped g = Group(lead, n, threads);
        ASSERT_EQ(g.offsets.size(), static_cast<size_t>(n) + 1);
        EXPECT_EQ(g.offsets.front(), 0);
        int64_t kept = 0;
        for (int64_t r = 0; r < n; ++r) {
          std::vector<int64_t> rows;
          for (const GroupedTouch& t : g.Of(r)) {
            EXPECT_EQ(t.lead, static_cast<uint32_t>(r));
            rows.push_back(t.at);  // the row, as Record made it
          }
          kept += static_cast<int64_t>(rows.size());
          ASSERT_EQ(rows, expected[static_cast<size_t>(r)])
              << "lead " << r << " of " << n << ", " << threads << " threads";
        }
        EXPECT_EQ(g.offsets.back(), kept);
      }
    }
  }
}

TEST(GroupByLead, EachLeadsTouchesInOrderWithTiesInRowOrder) {
  std::mt19937_64 rng(11);
  const int64_t n = 3000;
  const std::vector<int32_t> lead = RandomLeads(rng, n, 6 * n);
  std::vector<int64_t> times(lead.size());
  for (int64_t& t : times) t = static_cast<int64_t>(rng() % 50);  // many ties
  const auto rows = RowsByLead(lead, n);
  const Grouped g = Group(lead, n, 2, times);
  for (int64_t r = 0; r < n; ++r) {
    // The plain answer: the lead's rows stably sorted by time.
    std::vector<int64_t> expected = rows[static_cast<size_t>(r)];
    std::stable_sort(
        expected.begin(), expected.end(), [&](int64_t a, int64_t b) {
          return times[static_cast<size_t>(a)] < times[static_cast<size_t>(b)];
        });
    const std::vector<GroupedTouch> got = g.Of(r);
    ASSERT_EQ(got.size(), expected.size()) << "lead " << r;
    for (size_t i = 0; i < got.size(); ++i) {
      const auto row = static_cast<size_t>(expected[i]);
      EXPECT_EQ(got[i].at, times[row]) << "lead " << r << ", touch " << i;
      EXPECT_EQ(got[i].method, static_cast<int16_t>(row % 3))
          << "lead " << r << ", touch " << i;
    }
  }
}

TEST(GroupByLead, NoLeadsNoRows) {
  for (const auto& [lead, n] :
       std::vector<std::pair<std::vector<int32_t>, int64_t>>{
           {{}, 0}, {{-1, -1}, 0}, {{-1, -1}, 3}}) {
    const Grouped g = Group(lead, n, 2);
    EXPECT_EQ(g.offsets, std::vector<int64_t>(static_cast<size_t>(n) + 1, 0));
  }
}

// Ids of every length up to past the 15 bytes a slot holds, and very long
// ones: each found with its created_at, near misses not found, a repeat
// answered with the first row.
TEST(IdIndex, FindsIdsOfEveryLength) {
  std::vector<std::string> ids;
  for (size_t length = 0; length <= 40; ++length) {
    ids.push_back(std::string(length, 'x'));
    if (length > 0) ids.push_back(std::string(length - 1, 'x') + "y");
  }
  ids.push_back(std::string(300, 'z'));
  ids.push_back(std::string(299, 'z') + "q");
  std::string chars;
  std::vector<int64_t> offsets = {0};
  for (const std::string& id : ids) {
    chars += id;
    offsets.push_back(static_cast<int64_t>(chars.size()));
  }
  const Column column = Column::Strings(offsets, chars.data());
  IdIndex index;
  index.Reset(static_cast<int64_t>(ids.size()), &column);
  for (size_t row = 0; row < ids.size(); ++row) {
    const absl::string_view id = column.ViewAt(static_cast<int64_t>(row));
    ASSERT_EQ(index.Insert(id, IdIndex::HashOf(id), static_cast<int64_t>(row),
                           1000 + static_cast<int64_t>(row)),
              -1)
        << "row " << row;
  }
  for (size_t row = 0; row < ids.size(); ++row) {
    const IdIndex::Entry entry =
        index.Lookup(ids[row], IdIndex::HashOf(ids[row]));
    EXPECT_EQ(entry.row, static_cast<int64_t>(row))
        << "id of " << ids[row].size();
    EXPECT_EQ(entry.created, 1000 + static_cast<int64_t>(row));
    // The same id again keeps its first row.
    EXPECT_EQ(index.Insert(ids[row], IdIndex::HashOf(ids[row]), 9999, 0),
              static_cast<int64_t>(row));
  }
  for (const std::string& absent :
       {std::string(41, 'x'), std::string(15, 'x') + "q", std::string(300, 'q'),
        std::string("yx")}) {
    EXPECT_EQ(index.Find(absent), -1) << absent.size() << " bytes";
  }
}

}  // namespace
}  // namespace leadkit::batch_internal
