// The one reader of lead batches (src/lead_batch.h): the cadence, the KPIs and
// the report engines read leads and touches through it.
#include "lead_batch.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "date/date.h"
#include "leadkit/classify.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"

namespace leadkit {
namespace batch_internal {

// A column of `table` that must have `type`: nullptr when absent,
// InvalidArgument when it holds another type.
absl::StatusOr<const Column*> Read(const Columns& table,
                                   absl::string_view table_name,
                                   absl::string_view name, ColumnType type,
                                   bool required) {
  const Column* c = table.Find(name);
  if (c == nullptr) {
    if (!required) return c;
    return absl::InvalidArgumentError(
        absl::StrCat(table_name, ": missing required column \"", name, "\""));
  }
  if (c->type() != type || c->validity_only()) {
    return absl::InvalidArgumentError(absl::StrCat(
        table_name, ".", name, ": expected ", ColumnTypeName(type),
        " values, got ",
        c->validity_only() ? "only null flags" : ColumnTypeName(c->type())));
  }
  return c;
}

// A column of strings, with or without a dictionary.
absl::StatusOr<const Column*> ReadStrings(const Columns& table,
                                          absl::string_view table_name,
                                          absl::string_view name,
                                          bool required) {
  const Column* c = table.Find(name);
  if (c != nullptr && c->type() == ColumnType::kString) return c;
  return Read(table, table_name, name, ColumnType::kCode, required);
}

// An id column: strings, with or without a dictionary.
absl::StatusOr<const Column*> ReadIds(const Columns& table,
                                      absl::string_view table_name) {
  return ReadStrings(table, table_name, "lead_id", true);
}

std::optional<Instant> InstantAt(const Column* c, int64_t row) {
  if (c == nullptr || c->IsNull(row)) return std::nullopt;
  return Instant(std::chrono::seconds(c->data<int64_t>()[row]));
}

// Per dictionary code of a string column: the index of its string in `names`,
// -1 for none.
std::vector<int> CodeIndex(const Column* c,
                           std::span<const absl::string_view> names) {
  std::vector<int> out;
  if (c == nullptr) return out;
  for (const std::string& s : c->dictionary()) {
    const auto it = std::find(names.begin(), names.end(), s);
    out.push_back(it == names.end() ? -1
                                    : static_cast<int>(it - names.begin()));
  }
  return out;
}

// Scrubbed (ScrubText): a quoted value may be text someone typed.
std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", ScrubText(s), "\"");
}

std::string GivenTwice(absl::string_view id, int64_t first_row) {
  return absl::StrCat("lead_id ", Quote(id), " is given twice (first at row ",
                      first_row, ")");
}

std::string InstantText(Instant t) { return date::format("%FT%TZ", t); }

int Mapped(const Column* c, const std::vector<int>& of, int64_t row) {
  if (c == nullptr || c->IsNull(row)) return kNotGiven;
  return of[static_cast<size_t>(c->data<int32_t>()[row])];
}

std::string Allowed(absl::string_view value,
                    std::span<const absl::string_view> names) {
  const std::string nearest = NearestName(value, names);
  return absl::StrCat(
      " (", absl::StrJoin(names, ", "), ")",
      nearest.empty() ? "" : absl::StrCat("; did you mean ", Quote(nearest), "?"));
}

std::string LeadRowReader::AllowedGrades(absl::string_view value) const {
  const std::vector<absl::string_view> names(grade_names_.begin(),
                                             grade_names_.end());
  return Allowed(value, names);
}

uint64_t IdIndex::HashOf(absl::string_view id) {
  return absl::Hash<absl::string_view>{}(id);
}

void IdIndex::Reset(int64_t capacity, const Column* ids, int threads) {
  // At most two thirds full: short probes, and a quarter of the memory that
  // "at most half full" rounded up to a power of two can cost.
  const auto wanted = static_cast<size_t>(std::max<int64_t>(capacity, 1));
  size_t size = 16;
  while (size < wanted + wanted / 2) size *= 2;
  slots_.reset(new Slot[size]);  // not cleared: the threads do that below
  RunChunks(static_cast<int64_t>(size), threads,
            [&](int, int64_t begin, int64_t end) {
              std::memset(static_cast<void*>(&slots_[begin]), 0xFF,
                          static_cast<size_t>(end - begin) * sizeof(Slot));
            });
  mask_ = size - 1;
  ids_ = ids;
}

int64_t IdIndex::Insert(absl::string_view id, uint64_t hash, int64_t row,
                        int64_t created) {
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[static_cast<size_t>(i)];
    if (slot.row < 0) {
      slot.tag = TagOf(hash);
      slot.row = static_cast<int32_t>(row);
      slot.created = created;
      slot.size = SizeOf(id);
      std::memcpy(slot.key, id.data(), std::min(id.size(), sizeof(slot.key)));
      return -1;
    }
    if (Holds(slot, id, hash)) return slot.row;
  }
}

std::pair<int64_t, int64_t> IndexIds(const Column& ids, int64_t n,
                                     const int64_t* created, int threads,
                                     IdIndex& index) {
  index.Reset(n, &ids, threads);
  std::vector<uint64_t> hashes(static_cast<size_t>(n));
  RunChunks(n, threads, [&](int, int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      hashes[static_cast<size_t>(row)] = IdIndex::HashOf(ids.ViewAt(row));
    }
  });
  // In row order, the slots of the rows a few ahead prefetched.
  constexpr int64_t kAhead = 8;
  for (int64_t row = 0; row < n; ++row) {
    if (row + kAhead < n) {
      index.Prefetch(hashes[static_cast<size_t>(row + kAhead)]);
    }
    const int64_t first =
        index.Insert(ids.ViewAt(row), hashes[static_cast<size_t>(row)], row,
                     created == nullptr ? 0 : created[row]);
    if (first >= 0) return {row, first};
  }
  return {-1, -1};
}

LeadRows::LeadRows(const IdIndex& index, const Column& ids)
    : index_(index), ids_(ids) {
  if (ids.type() != ColumnType::kCode) return;
  for (const std::string& id : ids.dictionary()) {
    of_code_.push_back(index.Lookup(id, IdIndex::HashOf(id)));
  }
}

void LeadRows::Find(int64_t begin, int64_t end, IdIndex::Entry* out) const {
  if (ids_.type() == ColumnType::kCode) {
    for (int64_t row = begin; row < end; ++row) {
      out[row - begin] =
          ids_.IsNull(row)
              ? IdIndex::Entry()
              : of_code_[static_cast<size_t>(ids_.data<int32_t>()[row])];
    }
    return;
  }
  // Every id of the block hashed and its slot requested first: the lookups
  // then find their slots in the cache, the misses taken side by side.
  std::array<uint64_t, kBlock> hashes;
  for (int64_t row = begin; row < end; ++row) {
    if (ids_.IsNull(row)) continue;
    const uint64_t hash = IdIndex::HashOf(ids_.ViewAt(row));
    hashes[static_cast<size_t>(row - begin)] = hash;
    index_.Prefetch(hash);
  }
  // A row with the id of the one before (a table grouped by lead) skips the
  // lookup.
  absl::string_view last_id;
  IdIndex::Entry last;
  for (int64_t row = begin; row < end; ++row) {
    IdIndex::Entry& lead = out[row - begin];
    if (ids_.IsNull(row)) {
      lead = IdIndex::Entry();
      continue;
    }
    const absl::string_view id = ids_.ViewAt(row);
    if (last.row >= 0 && IdIndex::Same(id, last_id)) {
      lead = last;
      continue;
    }
    lead = index_.Lookup(id, hashes[static_cast<size_t>(row - begin)]);
    if (lead.row >= 0) {
      last_id = id;
      last = lead;
    }
  }
}

absl::StatusOr<LeadRowReader> LeadRowReader::Make(const Policy* policy,
                                                  const Columns& leads,
                                                  const Columns& touches) {
  constexpr ColumnType kCode = ColumnType::kCode;
  constexpr ColumnType kTime = ColumnType::kInstant;
  LeadRowReader r;
  LEADKIT_ASSIGN_OR_RETURN(r.ids_, ReadIds(leads, "leads"));
  LEADKIT_ASSIGN_OR_RETURN(r.created_,
                           Read(leads, "leads", "created_at", kTime, true));
  LEADKIT_ASSIGN_OR_RETURN(r.assigned_,
                           Read(leads, "leads", "assigned_at", kTime, false));
  LEADKIT_ASSIGN_OR_RETURN(r.won_at_,
                           Read(leads, "leads", "won_at", kTime, false));
  LEADKIT_ASSIGN_OR_RETURN(r.delivered_,
                           Read(leads, "leads", "delivered_at", kTime, false));
  LEADKIT_ASSIGN_OR_RETURN(r.lost_at_,
                           Read(leads, "leads", "lost_at", kTime, false));
  LEADKIT_ASSIGN_OR_RETURN(r.status_,
                           Read(leads, "leads", "status", kCode, false));
  LEADKIT_ASSIGN_OR_RETURN(r.review_,
                           Read(leads, "leads", "lost_review", kCode, false));
  // Grades, the callback channels and the campaigns are the policy's: without
  // one, their columns are not read.
  if (policy != nullptr) {
    LEADKIT_ASSIGN_OR_RETURN(r.grade_,
                             Read(leads, "leads", "grade", kCode, false));
    LEADKIT_ASSIGN_OR_RETURN(r.channel_,
                             Read(leads, "leads", "channel", kCode, false));
    LEADKIT_ASSIGN_OR_RETURN(r.model_,
                             Read(leads, "leads", "model", kCode, false));
  }
  LEADKIT_ASSIGN_OR_RETURN(
      r.birthday_, Read(leads, "leads", "birthday", ColumnType::kDate, false));
  LEADKIT_ASSIGN_OR_RETURN(r.dealer_,
                           ReadStrings(leads, "leads", "dealer_id", false));
  LEADKIT_ASSIGN_OR_RETURN(r.touch_ids_, ReadIds(touches, "touches"));
  LEADKIT_ASSIGN_OR_RETURN(r.touch_at_,
                           Read(touches, "touches", "at", kTime, true));
  LEADKIT_ASSIGN_OR_RETURN(r.method_,
                           Read(touches, "touches", "method", kCode, true));
  if (policy != nullptr) {
    LEADKIT_ASSIGN_OR_RETURN(
        r.grade_after_, Read(touches, "touches", "grade_after", kCode, false));
  }

  // LeadStatus and LostReview (after kNone) follow the catalogue's order.
  r.status_of_ = CodeIndex(r.status_, FindLeadField("status")->values);
  r.review_of_ = CodeIndex(r.review_, FindLeadField("lost_review")->values);
  std::vector<absl::string_view> grade_names;
  if (policy != nullptr) {
    grade_names.assign(policy->grades().begin(), policy->grades().end());
    r.grade_names_.assign(policy->grades().begin(), policy->grades().end());
  }
  r.grade_of_ = CodeIndex(r.grade_, grade_names);
  r.grade_after_of_ = CodeIndex(r.grade_after_, grade_names);
  // Grouped touches keep method codes and grades in 16 bits.
  constexpr size_t kMost = std::numeric_limits<int16_t>::max();
  const std::span<const std::string> methods = r.method_->dictionary();
  if (methods.size() > kMost || grade_names.size() > kMost) {
    return absl::InvalidArgumentError(absl::StrCat(
        methods.size() > kMost ? "touches.method" : "policy grades", ": ",
        std::max(methods.size(), grade_names.size()),
        " distinct values; a batch takes at most ", kMost));
  }
  std::vector<int32_t> by_name(methods.size());
  for (size_t i = 0; i < by_name.size(); ++i) {
    by_name[i] = static_cast<int32_t>(i);
  }
  std::sort(by_name.begin(), by_name.end(),
            [&](int32_t a, int32_t b) { return methods[a] < methods[b]; });
  r.method_rank_.resize(methods.size());
  for (size_t place = 0; place < by_name.size(); ++place) {
    r.method_rank_[static_cast<size_t>(by_name[place])] =
        static_cast<int32_t>(place);
  }
  if (policy == nullptr) return r;  // no grades to classify
  const auto& callback_channels = policy->cadence().callback_channels;
  const std::vector<absl::string_view> callback_names(callback_channels.begin(),
                                                      callback_channels.end());
  r.callback_of_ = CodeIndex(r.channel_, callback_names);
  if (r.model_ != nullptr) {
    const auto& campaigns = policy->cadence().campaigns;
    for (const std::string& m : r.model_->dictionary()) {
      std::vector<int>& list = r.campaigns_of_.emplace_back();
      for (size_t k = 0; k < campaigns.size(); ++k) {
        if (campaigns[k].model == m) list.push_back(static_cast<int>(k));
      }
    }
  }
  // Grades at creation: the column where given, the policy's classification
  // otherwise.
  const auto n = static_cast<size_t>(leads.num_rows());
  r.classified_.resize(n);
  std::vector<int32_t> rules(n);
  LEADKIT_RETURN_IF_ERROR(ClassifyBatch(*policy, leads, r.classified_, rules));
  return r;
}

std::optional<Problem> LeadRowReader::Lead(int64_t row, LeadFacts& f) const {
  const auto r = static_cast<size_t>(row);
  // Built only for a message: most rows need none.
  const auto who = [&] {
    return absl::StrCat("lead_id ", Quote(ids_->ViewAt(row)));
  };
  std::optional<Instant> created_at = InstantAt(created_, row);
  if (!created_at) {
    return Problem{row, "created_at", who() + ": created_at is null"};
  }
  f.created_at = *created_at;
  f.assigned_at = InstantAt(assigned_, row);
  f.won_at = InstantAt(won_at_, row);
  f.delivered_at = InstantAt(delivered_, row);
  f.lost_at = InstantAt(lost_at_, row);
  // Code columns: null is absent; a value outside their names is the problem.
  const int status = Mapped(status_, status_of_, row);
  const int review = Mapped(review_, review_of_, row);
  const int grade = Mapped(grade_, grade_of_, row);
  const auto bad = [&](const Column* column, absl::string_view name,
                       absl::string_view before, absl::string_view after) {
    return Problem{
        row, name,
        absl::StrCat(who(), before, Quote(column->StringAt(row)), after)};
  };
  if (status == kUnknown) {
    return bad(status_, "status", ": unknown status ",
               Allowed(status_->StringAt(row), FindLeadField("status")->values));
  }
  if (review == kUnknown) {
    return bad(review_, "lost_review", ": unknown lost_review ",
               Allowed(review_->StringAt(row),
                       FindLeadField("lost_review")->values));
  }
  if (grade == kUnknown) {
    return bad(grade_, "grade", ": grade ",
               absl::StrCat(" is not one of the policy's grades",
                            AllowedGrades(grade_->StringAt(row))));
  }
  if (status >= 0) f.status = static_cast<LeadStatus>(status);
  if (review >= 0) f.lost_review = static_cast<LostReview>(review + 1);
  f.grade = grade >= 0 ? grade : classified_.empty() ? -1 : classified_[r];
  f.callback_channel = Mapped(channel_, callback_of_, row) >= 0;
  if (model_ != nullptr && !model_->IsNull(row)) {
    f.campaigns =
        campaigns_of_[static_cast<size_t>(model_->data<int32_t>()[row])];
  }
  if (birthday_ != nullptr && !birthday_->IsNull(row)) {
    const date::year_month_day ymd{
        date::sys_days(date::days(birthday_->data<int64_t>()[row]))};
    f.birthday = date::month_day(ymd.month(), ymd.day());
  }
  return std::nullopt;
}

LeadFacts LeadBatch::Facts(int64_t row) const {
  LeadFacts f;
  reader.Lead(row, f);
  return f;
}

void LeadBatch::TouchesOf(int64_t row, std::vector<TouchFacts>& out) const {
  const auto r = static_cast<size_t>(row);
  out.clear();
  const int64_t last = as_of.time_since_epoch().count();
  for (int64_t k = offsets[r]; k < offsets[r + 1]; ++k) {
    const GroupedTouch& g = touches[static_cast<size_t>(k)];
    if (g.at > last) break;  // in time order: the rest are later
    out.push_back(reader.Facts(g));
  }
}

namespace {

// ReadLeadBatch, with a policy or (nullptr) without.
absl::StatusOr<LeadBatch> ReadBatch(const Policy* policy, const Columns& leads,
                                    const Columns& touches, Instant as_of,
                                    const Reject& reject,
                                    std::span<const uint8_t> include,
                                    int threads, const WithIds& with_ids) {
  threads = std::max(threads, 1);
  const int64_t n = leads.num_rows();
  const int64_t m = touches.num_rows();
  if (n >= std::numeric_limits<int32_t>::max() ||
      m >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a batch holds at most 2^31 - 1 leads and 2^32 - 1 "
                     "touches; split it (got ",
                     n, " leads, ", m, " touches)"));
  }
  LeadBatch batch;
  LEADKIT_ASSIGN_OR_RETURN(batch.reader,
                           LeadRowReader::Make(policy, leads, touches));
  const LeadRowReader& reader = batch.reader;
  const Column* ids = reader.ids();
  std::vector<uint8_t>& rejected = batch.rejected;
  rejected.assign(static_cast<size_t>(n), 0);

  // Ids first, in row order (the first of a repeated id keeps it).
  std::vector<Problem> id_problems;
  IdIndex& row_of = batch.row_of;
  // Each id goes in with its created_at value (a null one is reported below).
  const int64_t* created_values = reader.created()->data<int64_t>();
  const auto created_at = [&](int64_t row) {
    return created_values == nullptr ? 0 : created_values[row];
  };
  row_of.Reset(n, ids, threads);
  // The ids' hashes on the call's threads; then the inserts, in row order, with
  // the slots of the rows a few ahead prefetched.
  std::vector<uint64_t> hashes(static_cast<size_t>(n));
  RunChunks(n, threads, [&](int, int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      if (!ids->IsNull(row)) {
        hashes[static_cast<size_t>(row)] = IdIndex::HashOf(ids->ViewAt(row));
      }
    }
  });
  constexpr int64_t kAhead = 8;
  std::vector<uint8_t> skip(static_cast<size_t>(n), 0);
  for (int64_t row = 0; row < n; ++row) {
    const auto r = static_cast<size_t>(row);
    if (row + kAhead < n) {
      row_of.Prefetch(hashes[static_cast<size_t>(row + kAhead)]);
    }
    if (!include.empty() && !include[r]) {
      // Out of scope: neither read nor reported, but known, so its touches are
      // not strays.
      if (!ids->IsNull(row)) {
        row_of.Insert(ids->ViewAt(row), hashes[r], row, created_at(row));
      }
      rejected[r] = 1;
      skip[r] = 1;
      continue;
    }
    if (ids->IsNull(row)) {
      id_problems.push_back({row, "lead_id", "lead_id is null"});
      skip[r] = 1;
      continue;
    }
    const absl::string_view id = ids->ViewAt(row);
    const int64_t first = row_of.Insert(id, hashes[r], row, created_at(row));
    if (first >= 0) {
      id_problems.push_back({row, "lead_id", GivenTwice(id, first)});
      skip[r] = 1;
    }
  }
  FreeMemory(hashes);

  // Each lead's values checked, rows split over threads; a row's first problem
  // only. Facts are built again where they are used: a batch holds no copy.
  std::vector<std::vector<Problem>> fact_problems(static_cast<size_t>(threads));
  RunChunks(n, threads, [&](int k, int64_t begin, int64_t end) {
    LeadFacts f;
    for (int64_t row = begin; row < end; ++row) {
      if (skip[static_cast<size_t>(row)]) continue;
      f.campaigns.clear();
      if (std::optional<Problem> p = reader.Lead(row, f)) {
        fact_problems[static_cast<size_t>(k)].push_back(std::move(*p));
      }
    }
  });
  // Reported in row order: each bad row once, its first problem.
  {
    std::vector<Problem> all = std::move(id_problems);
    for (std::vector<Problem>& part : fact_problems) {
      all.insert(all.end(), std::make_move_iterator(part.begin()),
                 std::make_move_iterator(part.end()));
    }
    std::sort(all.begin(), all.end(),
              [](const Problem& a, const Problem& b) { return a.row < b.row; });
    for (Problem& p : all) {
      LEADKIT_RETURN_IF_ERROR(
          reject("leads", p.row, p.column, std::move(p.message)));
      rejected[static_cast<size_t>(p.row)] = 1;
    }
  }

  // Each touch's lead, the touches split over threads; then the touches
  // grouped by lead.
  const Column* touch_ids = reader.touch_ids();
  const Column* touch_at = reader.touch_at();
  const Column* created = reader.created();
  const LeadRows lead_of(batch, *touch_ids);
  std::vector<int32_t> touch_lead(static_cast<size_t>(m), -1);
  std::vector<std::vector<Problem>> touch_problems(
      static_cast<size_t>(threads));
  // A touch before its lead's creation: (touch row, lead row).
  std::vector<std::vector<std::pair<int64_t, int64_t>>> early(
      static_cast<size_t>(threads));
  RunChunks(m, threads, [&](int k, int64_t begin, int64_t end) {
    std::vector<Problem>& problems = touch_problems[static_cast<size_t>(k)];
    // A lead's created_at comes with it from the id index; whether it was
    // left out is fetched for the whole block first.
    const auto fetch = [&](int64_t lead) {
      __builtin_prefetch(&rejected[static_cast<size_t>(lead)]);
    };
    lead_of.Walk(begin, end, fetch, [&](int64_t t, IdIndex::Entry entry) {
      const int64_t lead = entry.row;
      if (touch_ids->IsNull(t)) {
        problems.push_back({t, "lead_id", "lead_id is null"});
        return true;
      }
      const auto who = [&] {
        return absl::StrCat("lead_id ", Quote(touch_ids->ViewAt(t)));
      };
      if (lead < 0) {
        problems.push_back({t, "lead_id", who() + " is not in the leads"});
        return true;
      }
      if (rejected[static_cast<size_t>(lead)])
        return true;  // out of scope, or reported
      if (touch_at->IsNull(t)) {
        problems.push_back({t, "at", who() + ": at is null"});
        return true;
      }
      if (reader.method()->IsNull(t)) {
        problems.push_back({t, "method", who() + ": method is null"});
        return true;
      }
      if (reader.GradeAfter(t) == kUnknown) {
        problems.push_back(
            {t, "grade_after",
             absl::StrCat(who(), ": grade_after ",
                          Quote(reader.grade_after()->StringAt(t)),
                          " is not one of the policy's grades",
                          reader.AllowedGrades(
                              reader.grade_after()->StringAt(t)))});
        return true;
      }
      if (touch_at->data<int64_t>()[t] < entry.created) {
        early[static_cast<size_t>(k)].emplace_back(t, lead);
        return true;
      }
      touch_lead[static_cast<size_t>(t)] = static_cast<int32_t>(lead);
      return true;
    });
  });
  for (std::vector<Problem>& part : touch_problems) {
    for (Problem& p : part) {
      LEADKIT_RETURN_IF_ERROR(
          reject("touches", p.row, p.column, std::move(p.message)));
    }
  }
  for (const auto& part : early) {  // each part in row order, parts in order
    for (const auto& [t, lead] : part) {
      LEADKIT_RETURN_IF_ERROR(
          reject("touches", t, "at",
                 absl::StrCat("lead_id ", Quote(touch_ids->ViewAt(t)), ": at ",
                              InstantText(*InstantAt(touch_at, t)),
                              " is before the lead's created_at ",
                              InstantText(*InstantAt(created, lead)))));
    }
  }
  if (with_ids) LEADKIT_RETURN_IF_ERROR(with_ids(batch, touch_lead));
  batch.row_of.Release();  // the largest table here, not needed from now on

  GroupByLead(
      touch_lead, n, threads,
      [&](int64_t t, int64_t lead) { return reader.Grouped(t, lead); },
      [&](const GroupedTouch& a, const GroupedTouch& b) {
        return reader.Before(a, b);
      },
      batch.touches, batch.offsets);
  FreeMemory(touch_lead);

  batch.as_of = as_of;
  batch.ids = ids;
  LEADKIT_ASSIGN_OR_RETURN(batch.entered, Read(leads, "leads", "entered_at",
                                               ColumnType::kInstant, false));
  return batch;
}

}  // namespace

absl::StatusOr<LeadBatch> ReadLeadBatch(const Policy& policy,
                                        const Columns& leads,
                                        const Columns& touches, Instant as_of,
                                        const Reject& reject,
                                        std::span<const uint8_t> include,
                                        int threads, const WithIds& with_ids) {
  return ReadBatch(&policy, leads, touches, as_of, reject, include, threads,
                   with_ids);
}

absl::StatusOr<LeadBatch> ReadLeadBatch(const Columns& leads,
                                        const Columns& touches, Instant as_of,
                                        const Reject& reject,
                                        std::span<const uint8_t> include,
                                        int threads, const WithIds& with_ids) {
  return ReadBatch(nullptr, leads, touches, as_of, reject, include, threads,
                   with_ids);
}

}  // namespace batch_internal
}  // namespace leadkit
