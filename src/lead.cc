#include "leadkit/lead.h"

#include <algorithm>
#include <vector>

namespace leadkit {
namespace {

// The value sets of docs/data.md, table `leads`.
constexpr absl::string_view kChannels[] = {
    "website",         "social",   "vertical_media", "ecommerce",
    "showroom",        "phone",    "auto_show",      "test_drive_event",
    "marketing_event", "referral"};
constexpr absl::string_view kFunnelStages[] = {"tofu", "mofu", "bofu"};
constexpr absl::string_view kSalesStages[] = {
    "first_contact",      "needs_analysis", "presentation",
    "objection_handling", "negotiation",    "won",
    "lost"};
constexpr absl::string_view kStatuses[] = {"open", "won", "lost", "invalid"};
constexpr absl::string_view kLostReviews[] = {"pending", "approved",
                                              "rejected"};

constexpr LeadFieldInfo kFields[] = {
    {"lead_id", FieldType::kString, false, true},
    {"created_at", FieldType::kInstant, false, true},
    {"entered_at", FieldType::kInstant, false, false},
    {"channel", FieldType::kString, false, true, kChannels},
    {"dealer_id", FieldType::kString, false, false},
    {"consultant_id", FieldType::kString, false, false},
    {"assigned_at", FieldType::kInstant, false, false},
    {"model", FieldType::kString, false, false},
    {"models_considered", FieldType::kNumber, false, false},
    {"asked_price", FieldType::kBool, false, false},
    {"asked_config", FieldType::kBool, false, false},
    {"purchase_within_days", FieldType::kNumber, false, false},
    {"deposit_paid", FieldType::kBool, false, false},
    {"test_drive", FieldType::kBool, false, false},
    {"store_visits", FieldType::kNumber, false, false},
    {"budget", FieldType::kNumber, false, false},
    {"name", FieldType::kString, true, false},
    {"phone", FieldType::kString, true, false},
    {"wechat", FieldType::kString, true, false},
    {"email", FieldType::kString, true, false},
    {"city", FieldType::kString, false, false},
    {"lat", FieldType::kNumber, false, false},
    {"lon", FieldType::kNumber, false, false},
    {"birthday", FieldType::kDate, false, false},
    {"age", FieldType::kNumber, false, false},
    {"gender", FieldType::kString, false, false},
    {"occupation", FieldType::kString, false, false},
    {"purpose", FieldType::kString, false, false},
    {"grade", FieldType::kString, false, false},
    {"funnel_stage", FieldType::kString, false, false, kFunnelStages},
    {"sales_stage", FieldType::kString, false, false, kSalesStages},
    {"web_minutes", FieldType::kNumber, false, false},
    {"configs_viewed", FieldType::kNumber, false, false},
    {"status", FieldType::kString, false, false, kStatuses},
    {"won_at", FieldType::kInstant, false, false},
    {"delivered_at", FieldType::kInstant, false, false},
    {"lost_at", FieldType::kInstant, false, false},
    {"lost_reason", FieldType::kString, false, false},
    {"lost_review", FieldType::kString, false, false, kLostReviews},
    {"reassignments", FieldType::kNumber, false, false},
};

constexpr absl::string_view kTaskNames[] = {
    "first_contact",   "callback",         "thank_you",  "follow_up",
    "order_follow_up", "post_sale",        "owner_care", "nurture",
    "birthday",        "holiday_greeting", "campaign",   "lost_review",
    "downgrade_review"};

constexpr LeadFieldInfo kTaskFields[] = {
    {"task", FieldType::kString, false, false, kTaskNames},
    {"grade_now", FieldType::kString, false, false},
    {"touches", FieldType::kNumber, false, false},
};

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

absl::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kInstant:
      return "instant";
    case FieldType::kDate:
      return "date";
  }
  return "unknown";
}

std::span<const LeadFieldInfo> LeadFields() { return kFields; }

const LeadFieldInfo* FindLeadField(absl::string_view name) {
  for (const LeadFieldInfo& f : kFields) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string NearestName(absl::string_view name,
                        std::span<const absl::string_view> candidates) {
  return NearestName(name, candidates, std::max<size_t>(2, name.size() / 3));
}

std::string NearestName(absl::string_view name,
                        std::span<const absl::string_view> candidates,
                        size_t max_distance) {
  std::string best;
  size_t best_distance = max_distance + 1;
  for (absl::string_view c : candidates) {
    const size_t d = EditDistance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string NearestLeadField(absl::string_view name) {
  std::vector<absl::string_view> names;
  names.reserve(std::size(kFields));
  for (const LeadFieldInfo& f : kFields) names.emplace_back(f.name);
  return NearestName(name, names);
}

std::span<const absl::string_view> TaskNames() { return kTaskNames; }

std::span<const LeadFieldInfo> TaskFields() { return kTaskFields; }

const LeadFieldInfo* FindPlaybookField(absl::string_view name) {
  if (const LeadFieldInfo* f = FindLeadField(name)) return f;
  for (const LeadFieldInfo& f : kTaskFields) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string NearestPlaybookField(absl::string_view name) {
  std::vector<absl::string_view> names;
  for (const LeadFieldInfo& f : kFields) names.emplace_back(f.name);
  for (const LeadFieldInfo& f : kTaskFields) names.emplace_back(f.name);
  return NearestName(name, names);
}

}  // namespace leadkit
