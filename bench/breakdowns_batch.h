// A batch of leads for the lost-sales and profile benchmarks: a million leads
// (LEADKIT_BENCH_LEADS) as the Python converter hands them over, ids as
// strings (offsets into one buffer), texts as codes.
#ifndef LEADKIT_BENCH_BREAKDOWNS_BATCH_H_
#define LEADKIT_BENCH_BREAKDOWNS_BATCH_H_

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "leadkit/columns.h"

namespace leadkit::bench {

struct LeadBatch {
  int64_t n =
      std::getenv("LEADKIT_BENCH_LEADS") != nullptr
          ? std::max<int64_t>(1, std::atoll(std::getenv("LEADKIT_BENCH_LEADS")))
          : 1'000'000;
  std::string chars;
  std::vector<int64_t> offsets{0};
  std::vector<std::string> statuses = {"open", "won", "lost", "invalid"},
                           reviews = {"pending", "approved", "rejected"},
                           reasons = {"price", "competitor", "no_contact",
                                      "bought_elsewhere", "postponed"},
                           dealers, genders = {"female", "male"},
                           channels = {"website", "showroom", "phone",
                                       "social"};
  std::vector<int32_t> status, review, reason, dealer, gender, channel;
  std::vector<int64_t> created, won_at, lost_at;
  std::vector<uint8_t> won_valid, lost_valid;
  std::vector<double> age;
  Columns leads{0};

  LeadBatch() {
    std::mt19937_64 rng(7);
    for (int d = 0; d < 50; ++d) dealers.push_back("D" + std::to_string(d));
    const int64_t from = 1704157200;  // 2024-01-02 01:00 UTC
    for (int64_t i = 0; i < n; ++i) {
      chars += "L" + std::to_string(i);
      offsets.push_back(static_cast<int64_t>(chars.size()));
      const auto s = static_cast<int32_t>(rng() % 10 < 5 ? 0 : rng() % 4);
      status.push_back(s);
      review.push_back(s == 2 ? static_cast<int32_t>(rng() % 4) - 1 : -1);
      reason.push_back(s == 2 ? static_cast<int32_t>(rng() % 6) - 1 : -1);
      dealer.push_back(static_cast<int32_t>(rng() % dealers.size()));
      gender.push_back(static_cast<int32_t>(rng() % 3) - 1);
      channel.push_back(static_cast<int32_t>(rng() % channels.size()));
      const int64_t c = from + static_cast<int64_t>(rng() % (300 * 86400));
      created.push_back(c);
      const int64_t close = c + static_cast<int64_t>(rng() % (60 * 86400));
      won_at.push_back(close);
      lost_at.push_back(close);
      won_valid.push_back(s == 1);
      lost_valid.push_back(s == 2 && rng() % 20 != 0);
      age.push_back(rng() % 15 == 0 ? NAN
                                    : static_cast<double>(18 + rng() % 60));
    }
    leads = Columns(n);
    Check(leads.Add("lead_id", Column::Strings(offsets, chars.data())));
    Check(leads.Add("created_at", Column::Instants(created)));
    Check(leads.Add("status", Column::Codes(status, statuses)));
    Check(leads.Add("lost_review", Column::Codes(review, reviews)));
    Check(leads.Add("lost_reason", Column::Codes(reason, reasons)));
    Check(leads.Add("dealer_id", Column::Codes(dealer, dealers)));
    Check(leads.Add("gender", Column::Codes(gender, genders)));
    Check(leads.Add("channel", Column::Codes(channel, channels)));
    Check(leads.Add("won_at", Column::Instants(won_at, won_valid.data())));
    Check(leads.Add("lost_at", Column::Instants(lost_at, lost_valid.data())));
    Check(leads.Add("age", Column::Doubles(age)));
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) std::abort();
  }
};

}  // namespace leadkit::bench

#endif  // LEADKIT_BENCH_BREAKDOWNS_BATCH_H_
