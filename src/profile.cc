// The customer profile (docs/kpis.md, `profile`): leads, wins and invalid
// leads counted per group into a mergeable state.
#include "leadkit/profile.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "breakdowns_internal.h"
#include "lead_batch.h"
#include "report_internal.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "state_bytes.h"

namespace leadkit {
namespace profile_internal {
namespace {

using breakdowns_internal::Codes;

constexpr absl::string_view kWhat = "profile state bytes";
constexpr absl::string_view kMagic = "LKPRF1";
constexpr absl::string_view kAgeBand = "age_band";

// The names a profile may group by: age_band, then the non-personal string
// fields of the leads but the id.
std::vector<absl::string_view> Keys() {
  std::vector<absl::string_view> out = {kAgeBand};
  for (const LeadFieldInfo& f : LeadFields()) {
    if (f.type == FieldType::kString && !f.personal &&
        absl::string_view(f.name) != "lead_id") {
      out.push_back(f.name);
    }
  }
  return out;
}

absl::Status CheckOptions(const ProfileOptions& options) {
  const std::vector<absl::string_view> keys = Keys();
  for (size_t i = 0; i < options.by.size(); ++i) {
    const std::string& name = options.by[i];
    const LeadFieldInfo* field = FindLeadField(name);
    if (field != nullptr && field->personal) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: ", breakdowns_internal::Quoted(name),
                       " is personal data and cannot be a group"));
    }
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      const std::string nearest = NearestName(name, keys);
      return absl::InvalidArgumentError(absl::StrCat(
          "by: cannot group by ", breakdowns_internal::Quoted(name),
          nearest.empty() ? "" : absl::StrCat("; did you mean \"", nearest,
                                              "\"?")));
    }
    if (std::find(options.by.begin(),
                  options.by.begin() + static_cast<int64_t>(i),
                  name) != options.by.begin() + static_cast<int64_t>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("by: ", name, " is named twice"));
    }
  }
  const std::vector<int64_t>& edges = options.age_bands;
  if (edges.empty()) {
    return absl::InvalidArgumentError(
        "age_bands: expected at least one edge");
  }
  for (size_t i = 0; i < edges.size(); ++i) {
    if (edges[i] < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "age_bands: edges must be 1 or more, got ", edges[i]));
    }
    if (i > 0 && edges[i] <= edges[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("age_bands: edges must increase strictly, got [",
                       absl::StrJoin(edges, ", "), "]"));
    }
  }
  return absl::OkStatus();
}

// The age column: numbers (or absent). InvalidArgument for another type.
absl::StatusOr<const Column*> AgeColumn(const Columns& leads) {
  const Column* c = leads.Find("age");
  if (c != nullptr && ((c->type() != ColumnType::kDouble &&
                        c->type() != ColumnType::kInt64) ||
                       c->validity_only())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leads.age: expected numbers, got ",
        c->validity_only() ? "only null flags" : ColumnTypeName(c->type())));
  }
  return c;
}

// The first row whose age is negative or not finite, as an error.
absl::Status CheckAges(const breakdowns_internal::LeadColumns& leads,
                       const Column* age) {
  if (age == nullptr) return absl::OkStatus();
  for (int64_t row = 0; row < age->size(); ++row) {
    if (age->IsNull(row)) continue;
    const double value = age->NumberAt(row);
    if (value >= 0 && std::isfinite(value)) continue;
    const std::string shown =
        age->type() == ColumnType::kInt64
            ? absl::StrCat(age->data<int64_t>()[row])
            : breakdowns_internal::FloatText(value);
    return absl::InvalidArgumentError(
        absl::StrCat("leads.age: ", leads.RowName(row), " has ", shown,
                     "; expected an age of 0 or more"));
  }
  return absl::OkStatus();
}

struct Part {
  bool age = false;
  const Column* column = nullptr;  // a string column; nullptr: all null
};

// Counts lead rows [begin, end) into `local`, keyed by their codes.
void AddRows(const breakdowns_internal::LeadColumns& leads,
             const std::vector<Part>& parts, const Column* age,
             const std::vector<double>& edges, int64_t as_of,
             std::span<const uint8_t> include, int64_t begin, int64_t end,
             absl::flat_hash_map<Codes, ProfileCounts>& local) {
  const Instant at{std::chrono::seconds(as_of)};
  LeadFacts facts;
  Codes codes(parts.size());
  for (int64_t row = begin; row < end; ++row) {
    if (!include.empty() && include[static_cast<size_t>(row)] == 0) continue;
    if (!leads.Exists(row, as_of)) continue;
    for (size_t k = 0; k < parts.size(); ++k) {
      const Part& part = parts[k];
      if (part.age) {
        // The band holding the age: how many edges lie at or below it.
        codes[k] = age == nullptr || age->IsNull(row)
                       ? -1
                       : std::upper_bound(edges.begin(), edges.end(),
                                          age->NumberAt(row)) -
                             edges.begin();
      } else {
        codes[k] = part.column == nullptr || part.column->IsNull(row)
                       ? -1
                       : part.column->data<int32_t>()[row];
      }
    }
    ProfileCounts& c = local[codes];
    const LeadStatus status = leads.Status(row);
    if (status == LeadStatus::kInvalid) {
      ++c.invalid;
      continue;
    }
    ++c.leads;
    c.won += status == LeadStatus::kWon &&
             leads.StatusAt(row, at, facts) == LeadStatus::kWon;
  }
}

}  // namespace

// Every count of `c` into `total` (CountTotal: the state's counts add up
// within int64, so no sum of them overflows).
void Total(state_internal::CountTotal& total, const ProfileCounts& c) {
  total.Add("leads", c.leads);
  total.Add("won", c.won);
  total.Add("invalid", c.invalid);
}

}  // namespace profile_internal

std::vector<std::string> AgeBandLabels(std::span<const int64_t> edges) {
  std::vector<std::string> out;
  if (edges.empty()) return out;
  out.push_back(absl::StrCat("<", edges.front()));
  for (size_t i = 1; i < edges.size(); ++i) {
    out.push_back(absl::StrCat(edges[i - 1], "-", edges[i] - 1));
  }
  out.push_back(absl::StrCat(edges.back(), "+"));
  return out;
}

void ProfileCounts::Merge(const ProfileCounts& o) {
  leads += o.leads;
  won += o.won;
  invalid += o.invalid;
}

ProfileState::ProfileState(ProfileOptions options)
    : options_(std::move(options)) {}

ProfileCounts& ProfileState::Group(
    const std::vector<std::optional<std::string>>& key) {
  auto [it, inserted] =
      groups_.try_emplace(breakdowns_internal::EncodeKey(key));
  if (inserted) it->second.first = key;
  return it->second.second;
}

absl::Status ProfileState::Add(const Columns& leads, Instant as_of,
                               std::span<const uint8_t> include,
                               int threads) {
  using profile_internal::Part;
  LEADKIT_RETURN_IF_ERROR(profile_internal::CheckOptions(options_));
  const int64_t n = leads.num_rows();
  LEADKIT_RETURN_IF_ERROR(breakdowns_internal::CheckInclude(include, n));
  LEADKIT_ASSIGN_OR_RETURN(
      const breakdowns_internal::LeadColumns lead_columns,
      breakdowns_internal::ReadLeads(leads, true, threads));
  std::vector<Part> parts;
  const Column* age = nullptr;
  for (const std::string& name : options_.by) {
    Part part;
    if (name == profile_internal::kAgeBand) {
      part.age = true;
      LEADKIT_ASSIGN_OR_RETURN(age, profile_internal::AgeColumn(leads));
      LEADKIT_RETURN_IF_ERROR(profile_internal::CheckAges(lead_columns, age));
    } else {
      LEADKIT_ASSIGN_OR_RETURN(part.column,
                               breakdowns_internal::KeyColumn(leads, name));
    }
    parts.push_back(part);
  }
  const std::vector<double> edges(options_.age_bands.begin(),
                                  options_.age_bands.end());
  const std::vector<std::string> labels = AgeBandLabels(options_.age_bands);

  const int64_t at = as_of.time_since_epoch().count();
  const report_internal::ChunkGroups<ProfileCounts> counted(
      n, breakdowns_internal::Threads(threads, n),
      [&](int, int64_t begin, int64_t end, auto& groups) {
        profile_internal::AddRows(lead_columns, parts, age, edges, at,
                                  include, begin, end, groups);
      });
  const auto text = [&](size_t p, int64_t code) -> std::string {
    return parts[p].age
               ? labels[static_cast<size_t>(code)]
               : parts[p].column->dictionary()[static_cast<size_t>(code)];
  };
  // The state's counts and the batch's add up within int64 (a state restored
  // from forged bytes may hold counts near its end).
  state_internal::CountTotal total("profile state");
  for (const auto& [encoded, group] : groups_) {
    profile_internal::Total(total, group.second);
  }
  counted.Each([&](const breakdowns_internal::Codes&, const ProfileCounts& c) {
    profile_internal::Total(total, c);
  });
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding the leads"));
  report_internal::GroupKey key;
  counted.Each([&](const breakdowns_internal::Codes& codes,
                   const ProfileCounts& counts) {
    report_internal::TextKey(codes, text, key);
    Group(key).Merge(counts);
  });
  return absl::OkStatus();
}

absl::Status ProfileState::Merge(const ProfileState& other) {
  if (!(other.options_ == options_)) {
    return absl::FailedPreconditionError(
        "profile states with different options (by, age bands) cannot be "
        "merged");
  }
  // Checked before anything changes (no group's sum overflows).
  LEADKIT_RETURN_IF_ERROR(state_internal::MergedCountsFit(
      "profile state", groups_, other.groups_,
      [&](state_internal::CountTotal& total, const auto& entry) {
        profile_internal::Total(total, entry.second.second);
      }));
  for (const auto& [encoded, group] : other.groups_) {
    Group(group.first).Merge(group.second);
  }
  return absl::OkStatus();
}

std::string ProfileState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  std::string out;
  PutInt(out, static_cast<int64_t>(options_.by.size()));
  for (const std::string& name : options_.by) PutString(out, name);
  PutInt(out, static_cast<int64_t>(options_.age_bands.size()));
  for (const int64_t edge : options_.age_bands) PutInt(out, edge);
  PutInt(out, static_cast<int64_t>(groups_.size()));
  for (const auto& [encoded, group] : groups_) {
    state_internal::PutKey(out, group.first);
    const ProfileCounts& c = group.second;
    for (int64_t v : {c.leads, c.won, c.invalid}) PutInt(out, v);
  }
  return state_internal::Frame(profile_internal::kMagic, out);
}

absl::StatusOr<ProfileState> ProfileState::Deserialize(
    absl::string_view bytes) {
  using profile_internal::kWhat;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, profile_internal::kMagic, kWhat));
  state_internal::Reader in(payload, kWhat);
  ProfileOptions options;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t columns, in.Count());
  for (int64_t i = 0; i < columns; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(std::string name, in.String());
    options.by.push_back(std::move(name));
  }
  LEADKIT_ASSIGN_OR_RETURN(const int64_t edges, in.Count());
  options.age_bands.clear();
  for (int64_t i = 0; i < edges; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t edge, in.Int());
    options.age_bands.push_back(edge);
  }
  const absl::Status options_ok = profile_internal::CheckOptions(options);
  if (!options_ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": ", options_ok.message()));
  }
  ProfileState state(std::move(options));
  LEADKIT_ASSIGN_OR_RETURN(const int64_t groups, in.Count());
  state_internal::CountTotal total(kWhat);
  for (int64_t g = 0; g < groups; ++g) {
    LEADKIT_ASSIGN_OR_RETURN(const auto key, in.Key(columns));
    ProfileCounts c;
    LEADKIT_RETURN_IF_ERROR(in.Counts({&c.leads, &c.won, &c.invalid}));
    // A won lead is one of the (valid) leads counted.
    if (c.won > c.leads) {
      return absl::InvalidArgumentError(absl::StrCat(
          kWhat, ": won ", c.won, " is more than leads ", c.leads));
    }
    profile_internal::Total(total, c);
    state.Group(key).Merge(c);
  }
  // No state counting leads holds more than int64 can sum.
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kInvalidArgument, "restoring"));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  return state;
}

std::vector<ProfileRow> ProfileState::Finalize() const {
  std::vector<ProfileRow> rows;
  rows.reserve(groups_.size());
  int64_t total = 0;
  for (const auto& [encoded, group] : groups_) {
    rows.push_back({.key = group.first, .counts = group.second});
    total += group.second.leads;
  }
  if (rows.empty() && options_.by.empty()) rows.emplace_back();
  const std::vector<std::string> labels = AgeBandLabels(options_.age_bands);
  // Age bands in their order (a label of another cut last); other texts by
  // their bytes.
  const auto rank = [&](size_t part, const std::string& text) -> int64_t {
    if (options_.by[part] != profile_internal::kAgeBand) return 0;
    return std::find(labels.begin(), labels.end(), text) - labels.begin();
  };
  std::sort(rows.begin(), rows.end(),
            [&](const ProfileRow& a, const ProfileRow& b) {
              return breakdowns_internal::KeyBefore(a.key, b.key, rank);
            });
  for (ProfileRow& row : rows) row.share = Rate(row.counts.leads, total);
  return rows;
}

bool ProfileState::operator==(const ProfileState& other) const {
  if (!(options_ == other.options_) || groups_.size() != other.groups_.size()) {
    return false;
  }
  for (const auto& [encoded, group] : groups_) {
    const auto it = other.groups_.find(encoded);
    if (it == other.groups_.end() || !(it->second.second == group.second)) {
      return false;
    }
  }
  return true;
}

}  // namespace leadkit
