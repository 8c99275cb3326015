// The supervisor's audit (docs/kpis.md): each lead's findings from its record,
// its KPI evaluation (the cadence's deadlines) and its touches; duplicates by
// normalised phone once every lead of the state is known.
#include "leadkit/audit.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "audit_internal.h"
#include "date/date.h"
#include "lead_batch.h"
#include "leadkit/internal/siphash.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/kpi.h"
#include "leadkit/phone.h"
#include "leadkit/tz.h"
#include "state_bytes.h"

namespace leadkit {
namespace audit_internal {
namespace {

using batch_internal::LeadBatch;

constexpr std::array<absl::string_view, kAuditFindingCount> kNames = {
    "missing_name",
    "missing_phone",
    "missing_model",
    "missing_grade",
    "invalid_phone",
    "entered_late",
    "entered_next_day",
    "first_contact_late",
    "first_contact_not_phone",
    "duplicate_phone",
    "touch_by_other_consultant",
};

constexpr absl::string_view kWhat = "audit state bytes";
constexpr absl::string_view kMagic = "LKAUD2";
// What the key check hashes (AuditState::key_check_).
constexpr absl::string_view kKeyCheckText = "leadkit audit phone key check";
// The key without a phone_key: fixed (and so no protection for bytes that
// leave the process).
constexpr siphash_internal::SipKey kFixedKey = {};

uint64_t KeyCheck(const siphash_internal::SipKey& key) {
  return siphash_internal::SipHash24(key, kKeyCheckText);
}
// At most this many other lead ids are listed in a duplicate_phone detail.
constexpr size_t kMaxListed = 10;

// Bad rows stop the audit: the error names the table and row.
absl::Status RejectRow(absl::string_view table, int64_t row, absl::string_view,
                       std::string message) {
  return absl::InvalidArgumentError(
      absl::StrCat(table, " row ", row, ": ", message));
}

// Length of the whitespace character (Python's str.isspace) at the start of
// `s`, 0 when it starts with something else.
size_t SpaceLength(absl::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) return 1;
  if (c == 0xc2 && s.size() >= 2 && (b(1) == 0x85 || b(1) == 0xa0)) return 2;
  if (s.size() < 3) return 0;
  if (c == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && b(1) == 0x80 &&
      (b(2) <= 0x8a || b(2) == 0xa8 || b(2) == 0xa9 || b(2) == 0xaf)) {
    return 3;  // U+2000-200A, U+2028, U+2029, U+202F
  }
  if (c == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  return 0;
}

// Null, empty or only whitespace (an absent column is null throughout).
bool Blank(const Column* c, int64_t row) {
  if (c == nullptr || c->IsNull(row)) return true;
  absl::string_view s = c->ViewAt(row);
  while (!s.empty()) {
    const size_t n = SpaceLength(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

constexpr size_t kWallTextSize = 16;  // "2024-06-12 18:30"

// A wall time as the details write it: "2024-06-12 18:30" (years 0-9999).
std::string WallText(date::local_seconds local) {
  const date::local_days day = date::floor<date::days>(local);
  const date::year_month_day ymd(day);
  const auto minutes =
      std::chrono::duration_cast<std::chrono::minutes>(local - day).count();
  std::string out(kWallTextSize, ' ');
  const auto put = [&](size_t at, int width, int64_t v) {
    for (size_t i = at + static_cast<size_t>(width); i > at; v /= 10) {
      out[--i] = static_cast<char>('0' + v % 10);
    }
  };
  put(0, 4, static_cast<int>(ymd.year()));
  out[4] = '-';
  put(5, 2, static_cast<unsigned>(ymd.month()));
  out[7] = '-';
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, minutes / 60);
  out[13] = ':';
  put(14, 2, minutes % 60);
  return out;
}

// The wall time `text` writes (WallText's form), in minutes since
// 1970-01-01 00:00; nullopt for anything else.
std::optional<int64_t> WallMinutes(absl::string_view text) {
  if (text.size() != kWallTextSize) return std::nullopt;
  int64_t fields[5] = {0, 0, 0, 0, 0};
  constexpr size_t kAt[5] = {0, 5, 8, 11, 14};
  constexpr size_t kWidth[5] = {4, 2, 2, 2, 2};
  for (int f = 0; f < 5; ++f) {
    for (size_t i = kAt[f]; i < kAt[f] + kWidth[f]; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (text[i] - '0');
    }
  }
  if (text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':') {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year(static_cast<int>(fields[0])),
                                 date::month(static_cast<unsigned>(fields[1])),
                                 date::day(static_cast<unsigned>(fields[2]))};
  if (!ymd.ok() || fields[3] > 23 || fields[4] > 59) return std::nullopt;
  return static_cast<int64_t>(date::sys_days(ymd).time_since_epoch().count()) *
             1440 +
         fields[3] * 60 + fields[4];
}

// A detail as the state's bytes write it: its text with each wall time
// (WallText) replaced by kTimeMark — the pattern, shared by many details —
// and those times in minutes. A text that holds kTimeMark itself is its own
// pattern with no time (kLiteral first).
constexpr char kTimeMark = '\x01';
constexpr char kWithTimes = 'T';
constexpr char kLiteral = 'L';

void SplitTimes(absl::string_view detail, std::string& pattern,
                std::vector<int64_t>& minutes) {
  minutes.clear();
  pattern.clear();
  if (absl::StrContains(detail, kTimeMark)) {
    pattern.push_back(kLiteral);
    pattern.append(detail.data(), detail.size());
    return;
  }
  pattern.push_back(kWithTimes);
  for (size_t i = 0; i < detail.size();) {
    if (i + kWallTextSize <= detail.size() && detail[i] >= '0' &&
        detail[i] <= '9') {
      if (const std::optional<int64_t> m =
              WallMinutes(detail.substr(i, kWallTextSize))) {
        minutes.push_back(*m);
        pattern.push_back(kTimeMark);
        i += kWallTextSize;
        continue;
      }
    }
    pattern.push_back(detail[i++]);
  }
}

// The number of times `pattern` takes; -1 for a pattern SplitTimes does not
// write.
int64_t TimesIn(absl::string_view pattern) {
  if (pattern.empty()) return -1;
  if (pattern[0] == kLiteral) return 0;
  if (pattern[0] != kWithTimes) return -1;
  return static_cast<int64_t>(std::count(pattern.begin(), pattern.end(),
                                         kTimeMark));
}

// The detail SplitTimes took apart (`minutes` holds TimesIn(pattern)
// values).
std::string JoinTimes(absl::string_view pattern,
                      std::span<const int64_t> minutes) {
  if (pattern[0] == kLiteral) return std::string(pattern.substr(1));
  std::string out;
  size_t next = 0;
  for (const char c : pattern.substr(1)) {
    if (c != kTimeMark) {
      out.push_back(c);
      continue;
    }
    out += WallText(date::local_seconds(
        std::chrono::minutes(minutes[next++])));
  }
  return out;
}

// The length of the prefix `a` and `b` share.
size_t SharedPrefix(absl::string_view a, absl::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// Wall time in the policy's zone. The zone's offset is looked up once per
// span of time it holds for (TimeZone::Span), not per call: one Clock per thread.
class Clock {
 public:
  explicit Clock(TimeZone zone) : zone_(std::move(zone)) {}

  date::local_seconds Local(Instant t) {
    const int64_t utc = t.time_since_epoch().count();
    if (!span_.Holds(utc)) span_ = zone_.SpanAt(utc);
    return date::local_seconds(std::chrono::seconds(utc + span_.offset));
  }
  date::local_days Day(Instant t) { return date::floor<date::days>(Local(t)); }
  // "2024-06-12 18:30".
  std::string Text(Instant t) { return WallText(Local(t)); }

 private:
  TimeZone zone_;
  TimeZone::Span span_;  // empty until the first lookup
};

// A touch by someone other than its lead's consultant, by as_of.
struct OtherTouch {
  int64_t lead;
  int64_t at;
  int64_t row;  // touch row
  auto operator<=>(const OtherTouch&) const = default;
};

// The columns the audit reads beside the batch's.
struct Text {
  const Column* name = nullptr;
  const Column* phone = nullptr;
  const Column* model = nullptr;
  const Column* grade = nullptr;
  const Column* consultant = nullptr;        // leads.consultant_id
  const Column* touch_consultant = nullptr;  // touches.consultant_id
};

absl::StatusOr<const Column*> ReadText(const Columns& table,
                                       absl::string_view table_name,
                                       absl::string_view name) {
  LEADKIT_ASSIGN_OR_RETURN(
      const Column* c,
      batch_internal::ReadStrings(table, table_name, name, false));
  if (c != nullptr && c->validity_only()) {
    return absl::InvalidArgumentError(
        absl::StrCat(table_name, ".", name,
                     ": the audit reads its values, not only its nulls"));
  }
  return c;
}

bool RowLess(const AuditRow& a, const AuditRow& b) {
  if (a.lead_id != b.lead_id) return a.lead_id < b.lead_id;
  if (a.finding != b.finding) return a.finding < b.finding;
  return a.detail < b.detail;
}

// The first eight bytes of `s`, big-endian, zero-padded: compares as `s`
// does, up to ties.
uint64_t Prefix(absl::string_view s) {
  uint64_t out = 0;
  for (size_t i = 0; i < 8; ++i) {
    out = (out << 8) | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0u);
  }
  return out;
}

// Rows come lead by lead, each lead's in finding order: sorts the leads'
// runs by lead_id (an 8-byte prefix first), keeping each run's order. Ids
// already in order (as many systems number them) cost one pass.
void SortByLead(std::vector<AuditRow>& rows) {
  struct Run {
    uint64_t prefix;
    size_t begin;
    size_t size;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j].lead_id == rows[i].lead_id) ++j;
    runs.push_back({Prefix(rows[i].lead_id), i, j - i});
    i = j;
  }
  const auto less = [&](const Run& a, const Run& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return rows[a.begin].lead_id < rows[b.begin].lead_id;
  };
  if (std::is_sorted(runs.begin(), runs.end(), less)) return;
  std::sort(runs.begin(), runs.end(), less);
  std::vector<AuditRow> out;
  out.reserve(rows.size());
  for (const Run& run : runs) {
    for (size_t k = 0; k < run.size; ++k) {
      out.push_back(std::move(rows[run.begin + k]));
    }
  }
  rows = std::move(out);
}

// What one chunk of lead rows adds.
struct Part {
  std::vector<AuditRow> rows;
  std::vector<AuditState::Phone> phones;
  std::vector<std::shared_ptr<const Block>> blocks;  // rows and phones, encoded
  int64_t estimated = 0;
  absl::Status status;
};

// Audits lead rows [begin, end) of the batch into `part`. `others` holds the
// touches by other consultants, sorted by lead row.
absl::Status AuditRows(const Cadence& cadence, const LeadBatch& batch,
                       const Text& text, Clock clock, Instant as_of,
                       const siphash_internal::SipKey& key,
                       std::span<const OtherTouch> others, int64_t begin,
                       int64_t end, Part& part) {
  const std::span<const std::string> grades = cadence.policy().grades();
  const Column* ids = batch.reader.ids();
  LeadFacts facts;
  std::vector<TouchFacts> touches;
  auto other = std::lower_bound(
      others.begin(), others.end(), begin,
      [](const OtherTouch& o, int64_t row) { return o.lead < row; });
  std::vector<absl::string_view> by;
  for (int64_t row = begin; row < end; ++row) {
    LEADKIT_ASSIGN_OR_RETURN(
        const LeadKpi lead, kpi_internal::EvaluateBatchLead(
                                cadence, batch, as_of, row, facts, touches));
    while (other != others.end() && other->lead < row) ++other;
    if (!lead.counted) continue;  // out of scope, or does not exist yet
    const absl::string_view id = ids->ViewAt(row);
    const auto add = [&](AuditFinding finding, std::string detail) {
      part.rows.push_back({std::string(id), finding, std::move(detail)});
    };
    // The record.
    if (Blank(text.name, row)) add(AuditFinding::kMissingName, "name is empty");
    const bool has_phone = !Blank(text.phone, row);
    if (!has_phone) add(AuditFinding::kMissingPhone, "phone is empty");
    if (Blank(text.model, row)) {
      add(AuditFinding::kMissingModel, "model is empty");
    }
    if (Blank(text.grade, row)) {
      add(AuditFinding::kMissingGrade,
          lead.grade >= 0 && static_cast<size_t>(lead.grade) < grades.size()
              ? absl::StrCat("grade is empty (the policy classifies it ",
                             grades[static_cast<size_t>(lead.grade)], ")")
              : std::string("grade is empty"));
    }
    std::string digits;
    bool phone_ok = false;
    if (has_phone) {
      const absl::string_view phone = text.phone->ViewAt(row);
      digits = NormalizePhone(phone);
      phone_ok = NormalizedPhoneIsValid(digits);
      if (!phone_ok) {
        add(AuditFinding::kInvalidPhone,
            absl::StrCat("phone ", MaskValue("phone", phone),
                         " is not a China mobile or landline number"));
      }
    }
    if (lead.invalid) continue;  // only the record findings
    part.estimated += lead.estimated;

    // The entry.
    const std::optional<Instant> given =
        batch_internal::InstantAt(batch.entered, row);
    const Instant entered = given.value_or(facts.created_at);
    if (!lead.entered_on_time) {
      add(AuditFinding::kEnteredLate,
          absl::StrCat("entered ", clock.Text(entered), ", due by ",
                       clock.Text(lead.entry_due)));
    }
    if (given && clock.Day(*given) > clock.Day(facts.created_at)) {
      add(AuditFinding::kEnteredNextDay,
          absl::StrCat("collected ", clock.Text(facts.created_at), ", entered ",
                       clock.Text(*given)));
    }
    // The first contact.
    if (lead.first_contact_due && !lead.first_contact_on_time) {
      add(AuditFinding::kFirstContactLate,
          lead.first_contact_at
              ? absl::StrCat("first touch ", clock.Text(*lead.first_contact_at),
                             ", due by ", clock.Text(lead.first_contact_due_at))
              : absl::StrCat("no touch by ", clock.Text(as_of), ", due by ",
                             clock.Text(lead.first_contact_due_at)));
    }
    if (lead.first_contact_at && lead.first_contact_method != "phone") {
      add(AuditFinding::kFirstContactNotPhone,
          absl::StrCat("first touch by ", lead.first_contact_method, " at ",
                       clock.Text(*lead.first_contact_at)));
    }
    if (phone_ok) {
      part.phones.push_back({siphash_internal::SipHash24(key, digits),
                             MaskPhone(digits), std::string(id)});
    }
    // Touches by other consultants.
    if (other != others.end() && other->lead == row) {
      int64_t count = 0;
      int64_t first = other->at;
      by.clear();
      for (; other != others.end() && other->lead == row; ++other) {
        ++count;
        first = std::min(first, other->at);
        by.push_back(text.touch_consultant->ViewAt(other->row));
      }
      std::sort(by.begin(), by.end());
      by.erase(std::unique(by.begin(), by.end()), by.end());
      add(AuditFinding::kTouchByOtherConsultant,
          absl::StrCat(count, count > 1 ? " touches" : " touch", " by ",
                       absl::StrJoin(by, ", "), " (the lead's consultant is ",
                       text.consultant->ViewAt(row), "); first at ",
                       clock.Text(Instant(std::chrono::seconds(first)))));
    }
  }
  return absl::OkStatus();
}

// Reads what PutInt and PutString wrote, in bytes already checked (a
// block's, written by BlockWriter or checked by Deserialize).
int64_t TakeInt(absl::string_view& in) {
  uint64_t z = 0;
  size_t i = 0;
  for (int shift = 0; shift < 64 && i < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[i++]);
    z |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) break;
  }
  in.remove_prefix(i);
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

absl::string_view TakeString(absl::string_view& in) {
  const auto n = static_cast<size_t>(TakeInt(in));
  const absl::string_view s = in.substr(0, n);
  in.remove_prefix(s.size());
  return s;
}

}  // namespace

// Findings and phones in the form of the state's bytes (AuditState::
// Serialize): `findings` lead by lead, `phones` phone by phone, each sorted.
struct Block {
  std::vector<std::string> patterns;  // SplitTimes's
  std::vector<int64_t> times_in;      // TimesIn of each pattern
  int64_t leads = 0;
  std::string findings;
  int64_t phone_count = 0;
  std::string phones;

  size_t weight() const { return findings.size() + phones.size(); }
};

namespace {

using BlockList = std::span<const std::shared_ptr<const Block>>;

// One finding as a block holds it: the detail's pattern and its times.
struct RowView {
  AuditFinding code;
  absl::string_view pattern;
  std::span<const int64_t> times;
};

// The detail a RowView stands for, into `out`.
void DetailOf(const RowView& row, std::string& out) {
  out = JoinTimes(row.pattern, row.times);
}

// Reads a block's findings lead by lead.
class LeadCursor {
 public:
  explicit LeadCursor(const Block& block)
      : block_(&block), in_(block.findings), left_(block.leads) {}

  // Reads the next lead; false when there is none.
  bool Next() {
    if (left_ == 0) return false;
    --left_;
    id_.resize(static_cast<size_t>(TakeInt(in_)));
    const absl::string_view rest = TakeString(in_);
    id_.append(rest.data(), rest.size());
    const int64_t n = TakeInt(in_);
    items_.clear();
    times_.clear();
    for (int64_t i = 0; i < n; ++i) {
      Item item;
      item.code = static_cast<AuditFinding>(TakeInt(in_));
      item.pattern = static_cast<size_t>(TakeInt(in_));
      item.begin = times_.size();
      for (int64_t t = 0; t < block_->times_in[item.pattern]; ++t) {
        const int64_t step = TakeInt(in_);
        times_.push_back(t == 0 ? step : times_.back() + step);
      }
      items_.push_back(item);
    }
    return true;
  }

  const std::string& id() const { return id_; }

  // The lead's findings, in order.
  void AppendRows(std::vector<RowView>& out) const {
    const std::span<const int64_t> times(times_);
    for (size_t i = 0; i < items_.size(); ++i) {
      const size_t end = i + 1 < items_.size() ? items_[i + 1].begin
                                               : times_.size();
      out.push_back({items_[i].code, block_->patterns[items_[i].pattern],
                     times.subspan(items_[i].begin, end - items_[i].begin)});
    }
  }

 private:
  struct Item {
    AuditFinding code;
    size_t pattern;
    size_t begin;  // in times_
  };
  const Block* block_;
  absl::string_view in_;
  int64_t left_;
  std::string id_;
  std::vector<Item> items_;
  std::vector<int64_t> times_;
};

// Calls visit(lead_id, rows) for each lead of the blocks in lead_id order,
// with its findings in RowLess order (a lead in several blocks: all of its
// findings, sorted together).
template <typename Visit>
void ForEachLead(BlockList blocks, Visit&& visit) {
  std::vector<LeadCursor> cursors;
  cursors.reserve(blocks.size());
  for (const auto& block : blocks) cursors.emplace_back(*block);
  // Cursors holding a lead; the least lead_id on top.
  std::vector<size_t> heap;
  const auto later = [&](size_t a, size_t b) {
    return cursors[a].id() > cursors[b].id();
  };
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (cursors[i].Next()) heap.push_back(i);
  }
  std::make_heap(heap.begin(), heap.end(), later);
  std::vector<size_t> same;
  std::vector<RowView> rows;
  std::vector<std::pair<size_t, std::string>> details;
  std::vector<RowView> sorted;
  while (!heap.empty()) {
    same.clear();
    do {
      std::pop_heap(heap.begin(), heap.end(), later);
      same.push_back(heap.back());
      heap.pop_back();
    } while (!heap.empty() &&
             cursors[heap.front()].id() == cursors[same[0]].id());
    rows.clear();
    for (const size_t i : same) cursors[i].AppendRows(rows);
    if (same.size() > 1) {  // one lead in several blocks
      details.resize(rows.size());
      for (size_t k = 0; k < rows.size(); ++k) {
        details[k].first = k;
        DetailOf(rows[k], details[k].second);
      }
      std::stable_sort(details.begin(), details.end(),
                       [&](const auto& a, const auto& b) {
                         if (rows[a.first].code != rows[b.first].code) {
                           return rows[a.first].code < rows[b.first].code;
                         }
                         return a.second < b.second;
                       });
      sorted.clear();
      for (const auto& d : details) sorted.push_back(rows[d.first]);
      rows.swap(sorted);
    }
    visit(absl::string_view(cursors[same[0]].id()),
          std::span<const RowView>(rows));
    for (const size_t i : same) {
      if (cursors[i].Next()) {
        heap.push_back(i);
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
  }
}

// One phone of a block; the views point into the block.
struct PhoneView {
  uint64_t digest = 0;
  absl::string_view masked;
  absl::string_view lead_id;

  bool operator>(const PhoneView& o) const {
    if (digest != o.digest) return digest > o.digest;
    if (masked != o.masked) return masked > o.masked;
    return lead_id > o.lead_id;
  }
};

// Calls visit(phone) for each phone of the blocks in (digest, masked,
// lead_id) order.
template <typename Visit>
void ForEachPhone(BlockList blocks, Visit&& visit) {
  struct Cursor {
    absl::string_view in;
    int64_t left;
    PhoneView at;
    bool Next() {
      if (left == 0) return false;
      --left;
      at.digest += static_cast<uint64_t>(TakeInt(in));
      at.masked = TakeString(in);
      at.lead_id = TakeString(in);
      return true;
    }
  };
  std::vector<Cursor> cursors;
  std::vector<size_t> heap;
  for (const auto& block : blocks) {
    cursors.push_back({block->phones, block->phone_count, {}});
    if (cursors.back().Next()) heap.push_back(cursors.size() - 1);
  }
  const auto later = [&](size_t a, size_t b) {
    return cursors[a].at > cursors[b].at;
  };
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const size_t i = heap.back();
    visit(cursors[i].at);
    if (cursors[i].Next()) {
      std::push_heap(heap.begin(), heap.end(), later);
    } else {
      heap.pop_back();
    }
  }
}

// Writes a block lead by lead and phone by phone, in order; patterns are
// numbered as they first come.
class BlockWriter {
 public:
  void Lead(absl::string_view id, std::span<const RowView> rows) {
    using state_internal::PutInt;
    std::string& out = block_.findings;
    const size_t shared = SharedPrefix(previous_, id);
    PutInt(out, static_cast<int64_t>(shared));
    state_internal::PutString(out, id.substr(shared));
    previous_.assign(id.data(), id.size());
    PutInt(out, static_cast<int64_t>(rows.size()));
    for (const RowView& row : rows) {
      PutInt(out, static_cast<int64_t>(row.code));
      auto it = index_.find(row.pattern);
      if (it == index_.end()) {
        it = index_.emplace(std::string(row.pattern),
                            static_cast<int64_t>(block_.patterns.size()))
                 .first;
        block_.patterns.emplace_back(row.pattern);
        block_.times_in.push_back(static_cast<int64_t>(row.times.size()));
      }
      PutInt(out, it->second);
      for (size_t t = 0; t < row.times.size(); ++t) {
        PutInt(out, t == 0 ? row.times[t] : row.times[t] - row.times[t - 1]);
      }
    }
    ++block_.leads;
  }

  void Phone(const PhoneView& phone) {
    state_internal::PutInt(block_.phones,
                           static_cast<int64_t>(phone.digest - digest_));
    digest_ = phone.digest;
    state_internal::PutString(block_.phones, phone.masked);
    state_internal::PutString(block_.phones, phone.lead_id);
    ++block_.phone_count;
  }

  std::shared_ptr<const Block> Take() {
    return std::make_shared<const Block>(std::move(block_));
  }

 private:
  Block block_;
  absl::flat_hash_map<std::string, int64_t> index_;
  std::string previous_;
  uint64_t digest_ = 0;
};

// The blocks as one.
std::shared_ptr<const Block> MergeBlocks(BlockList blocks) {
  BlockWriter writer;
  ForEachLead(blocks, [&](absl::string_view id, std::span<const RowView> rows) {
    writer.Lead(id, rows);
  });
  ForEachPhone(blocks, [&](const PhoneView& phone) { writer.Phone(phone); });
  return writer.Take();
}

// The block of rows sorted by RowLess and phones sorted by (digest, masked,
// lead_id).
std::shared_ptr<const Block> Encode(std::span<const AuditRow> rows,
                                    std::span<const AuditState::Phone> phones) {
  BlockWriter writer;
  std::string patterns;           // the lead's, one after another
  std::vector<size_t> ends;       // each pattern's end in `patterns`
  std::vector<int64_t> times;     // the lead's, one after another
  std::vector<size_t> time_ends;  // each row's end in `times`
  std::vector<RowView> views;
  std::string pattern;
  std::vector<int64_t> minutes;
  for (size_t i = 0; i < rows.size();) {
    patterns.clear();
    ends.clear();
    times.clear();
    time_ends.clear();
    size_t j = i;
    for (; j < rows.size() && rows[j].lead_id == rows[i].lead_id; ++j) {
      SplitTimes(rows[j].detail, pattern, minutes);
      patterns += pattern;
      ends.push_back(patterns.size());
      times.insert(times.end(), minutes.begin(), minutes.end());
      time_ends.push_back(times.size());
    }
    views.clear();
    const absl::string_view text(patterns);
    const std::span<const int64_t> all(times);
    for (size_t k = 0; k < j - i; ++k) {
      const size_t p = k == 0 ? 0 : ends[k - 1];
      const size_t t = k == 0 ? 0 : time_ends[k - 1];
      views.push_back({rows[i + k].finding, text.substr(p, ends[k] - p),
                       all.subspan(t, time_ends[k] - t)});
    }
    writer.Lead(rows[i].lead_id, views);
    i = j;
  }
  for (const AuditState::Phone& phone : phones) {
    writer.Phone({phone.digest, phone.masked, phone.lead_id});
  }
  return writer.Take();
}

// A state of more blocks than this merges its last ones (AuditState::Push).
constexpr size_t kSpareBlocks = 16;
// An Add writes the leads of each thread as about kChunks blocks of at least
// kChunkLeads leads.
constexpr int64_t kChunks = 8;
constexpr int64_t kChunkLeads = 65536;

// duplicate_phone's rows before their details are written: each lead of a
// number's group (the group in lead_id order), with the first leads of its
// group, which are all a detail can list (ten others at most, then how many
// more). The views point into the blocks' phones, so a row costs a view and
// an index, not its detail's text. A lead given twice (a state merged with
// itself) is one lead of its group, with its row twice.
class DuplicateRows {
 public:
  explicit DuplicateRows(BlockList blocks) {
    std::vector<PhoneView> group;
    absl::string_view last;
    const auto flush = [&] {
      Group g{.masked = group.empty() ? absl::string_view() : group[0].masked,
              .first = listed_.size()};
      for (const PhoneView& phone : group) {
        if (g.leads > 0 && phone.lead_id == last) continue;
        last = phone.lead_id;
        ++g.leads;
        if (g.leads <= kMaxListed + 1) listed_.push_back(phone.lead_id);
      }
      if (g.leads > 1) {
        for (const PhoneView& phone : group) {
          rows_.push_back({phone.lead_id, groups_.size()});
        }
        groups_.push_back(g);
      } else {
        listed_.resize(g.first);
      }
      group.clear();
    };
    ForEachPhone(blocks, [&](const PhoneView& phone) {
      if (!group.empty() && group[0].digest != phone.digest) flush();
      group.push_back(phone);
    });
    flush();
    std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
      return a.lead_id < b.lead_id;
    });
  }

  size_t size() const { return rows_.size(); }
  absl::string_view lead_id(size_t row) const { return rows_[row].lead_id; }

  // Row `row`'s detail: the other leads of its group, ten at most, then how
  // many more.
  void Detail(size_t row, std::string& out) const {
    const Group& g = groups_[rows_[row].group];
    const absl::string_view self = rows_[row].lead_id;
    out.clear();
    absl::StrAppend(&out, "same phone (", g.masked, ") as ");
    size_t listed = 0;
    const size_t kept = std::min(g.leads, kMaxListed + 1);
    for (size_t k = 0; k < kept && listed < kMaxListed; ++k) {
      const absl::string_view lead = listed_[g.first + k];
      if (lead == self) continue;
      if (listed++ > 0) out += ", ";
      out.append(lead.data(), lead.size());
    }
    if (const size_t more = g.leads - 1 - listed; more > 0) {
      absl::StrAppend(&out, " and ", more, " more");
    }
  }

 private:
  struct Group {
    absl::string_view masked;  // its first phone's
    size_t first = 0;          // its first lead in listed_
    size_t leads = 0;          // its leads, each once
  };
  struct Row {
    absl::string_view lead_id;
    size_t group;
  };
  std::vector<Row> rows_;
  std::vector<Group> groups_;
  std::vector<absl::string_view> listed_;  // each group's first leads
};

}  // namespace
}  // namespace audit_internal

absl::string_view AuditFindingName(AuditFinding finding) {
  return audit_internal::kNames[static_cast<size_t>(finding)];
}

AuditState::AuditState(AuditOptions options)
    : key_check_(audit_internal::KeyCheck(
          options.phone_key.value_or(audit_internal::kFixedKey))),
      phone_key_(options.phone_key.value_or(audit_internal::kFixedKey)) {}

bool AuditState::operator==(const AuditState& other) const {
  if (key_check_ != other.key_check_ || estimated_ != other.estimated_) {
    return false;
  }
  // Each as one block written afresh: equal findings give equal bytes.
  const auto mine = audit_internal::MergeBlocks(blocks_);
  const auto theirs = audit_internal::MergeBlocks(other.blocks_);
  return mine->patterns == theirs->patterns && mine->leads == theirs->leads &&
         mine->findings == theirs->findings &&
         mine->phone_count == theirs->phone_count &&
         mine->phones == theirs->phones;
}

void AuditState::Push(
    std::vector<std::shared_ptr<const audit_internal::Block>> blocks) {
  for (auto& block : blocks) {
    if (block->leads > 0 || block->phone_count > 0) {
      blocks_.push_back(std::move(block));
    }
  }
  // Past kSpareBlocks, the last blocks are written as one: the longest run
  // at the end in which each block is at most twice the size of those after
  // it together (at least two), so that every block is rewritten a few
  // times however the state grew.
  while (blocks_.size() > audit_internal::kSpareBlocks) {
    size_t first = blocks_.size() - 1;
    size_t after = blocks_[first]->weight();
    while (first > 0 && (first + 1 == blocks_.size() ||
                         blocks_[first - 1]->weight() <= 2 * after)) {
      after += blocks_[--first]->weight();
    }
    auto merged = audit_internal::MergeBlocks(
        audit_internal::BlockList(blocks_).subspan(first));
    blocks_.resize(first);
    blocks_.push_back(std::move(merged));
  }
}

absl::Status AuditState::Add(const Cadence& cadence, const Columns& leads,
                             const Columns& touches, Instant as_of,
                             std::span<const uint8_t> include, int threads) {
  using audit_internal::OtherTouch;
  if (!phone_key_.has_value()) {
    return absl::FailedPreconditionError(
        "audit state: restored from bytes whose phones are hashed under a "
        "phone_key, without the key: restore it with the key to add to it");
  }
  const int64_t n = leads.num_rows();
  const int64_t m = touches.num_rows();
  threads = static_cast<int>(
      std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1)));
  if (!include.empty() && static_cast<int64_t>(include.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include holds ", include.size(), " flags for ", n, " leads"));
  }
  audit_internal::Text text;
  LEADKIT_ASSIGN_OR_RETURN(text.name,
                           audit_internal::ReadText(leads, "leads", "name"));
  LEADKIT_ASSIGN_OR_RETURN(text.phone,
                           audit_internal::ReadText(leads, "leads", "phone"));
  LEADKIT_ASSIGN_OR_RETURN(text.model,
                           audit_internal::ReadText(leads, "leads", "model"));
  LEADKIT_ASSIGN_OR_RETURN(text.grade,
                           audit_internal::ReadText(leads, "leads", "grade"));
  LEADKIT_ASSIGN_OR_RETURN(
      text.consultant,
      audit_internal::ReadText(leads, "leads", "consultant_id"));
  LEADKIT_ASSIGN_OR_RETURN(
      text.touch_consultant,
      audit_internal::ReadText(touches, "touches", "consultant_id"));
  LEADKIT_ASSIGN_OR_RETURN(const TimeZone zone,
                           FindZone(cadence.policy().calendar().time_zone));
  const audit_internal::Clock clock(zone);

  // Touches by as_of whose consultant is set and differs from their lead's
  // (set) one, found with each touch's lead as the reader found it.
  std::vector<std::vector<OtherTouch>> found(static_cast<size_t>(threads));
  const auto with_ids = [&](const batch_internal::LeadBatch& batch,
                            std::span<const int32_t> touch_lead) {
    if (text.consultant == nullptr || text.touch_consultant == nullptr) {
      return absl::OkStatus();
    }
    const Column* by = text.touch_consultant;
    const Column* owner = text.consultant;
    const int64_t* at = batch.reader.touch_at()->data<int64_t>();
    const int64_t limit = as_of.time_since_epoch().count();
    // Both as dictionary codes (as Python hands them over): each touch code's
    // lead code, -1 for a name no lead has, compared as numbers.
    std::vector<int32_t> owner_code;
    const bool codes = by->type() == ColumnType::kCode &&
                       owner->type() == ColumnType::kCode;
    if (codes) {
      absl::flat_hash_map<absl::string_view, int32_t> code_of;
      const std::span<const std::string> names = owner->dictionary();
      for (size_t k = 0; k < names.size(); ++k) {
        code_of.try_emplace(names[k], static_cast<int32_t>(k));
      }
      for (const std::string& name : by->dictionary()) {
        const auto it = code_of.find(name);
        owner_code.push_back(it == code_of.end() ? -1 : it->second);
      }
    }
    const auto differ = [&](int64_t t, int64_t lead) {
      if (!codes) return by->ViewAt(t) != owner->ViewAt(lead);
      return owner_code[static_cast<size_t>(by->data<int32_t>()[t])] !=
             owner->data<int32_t>()[lead];
    };
    // A touch's lead is -1 when the reader left it out (its lead out of
    // scope); bad touches stopped the audit before this.
    batch_internal::RunChunks(
        m, threads, [&](int k, int64_t begin, int64_t end) {
          std::vector<OtherTouch>& out = found[static_cast<size_t>(k)];
          for (int64_t t = begin; t < end; ++t) {
            const int64_t lead = touch_lead[static_cast<size_t>(t)];
            if (lead < 0 || by->IsNull(t) || owner->IsNull(lead) ||
                at[t] > limit) {
              continue;
            }
            if (differ(t, lead)) out.push_back({lead, at[t], t});
          }
        });
    return absl::OkStatus();
  };
  LEADKIT_ASSIGN_OR_RETURN(
      batch_internal::LeadBatch batch,
      batch_internal::ReadLeadBatch(cadence.policy(), leads, touches, as_of,
                                      audit_internal::RejectRow, include,
                                      threads, with_ids));
  std::vector<OtherTouch> others;
  for (std::vector<OtherTouch>& part : found) {
    others.insert(others.end(), part.begin(), part.end());
    batch_internal::FreeMemory(part);
  }
  std::sort(others.begin(), others.end());

  std::vector<audit_internal::Part> parts(static_cast<size_t>(threads));
  batch_internal::RunChunks(n, threads, [&](int k, int64_t begin,
                                              int64_t end) {
    // The leads in a few chunks, each written as a block at once: the rows
    // of one chunk at a time are all the state holds as strings.
    audit_internal::Part& part = parts[static_cast<size_t>(k)];
    const int64_t step = std::max(
        audit_internal::kChunkLeads,
        (end - begin + audit_internal::kChunks - 1) / audit_internal::kChunks);
    for (int64_t from = begin; from < end; from += step) {
      part.status = audit_internal::AuditRows(
          cadence, batch, text, clock, as_of, *phone_key_, others, from,
          std::min(end, from + step), part);
      if (!part.status.ok()) break;
      audit_internal::SortByLead(part.rows);
      std::sort(part.phones.begin(), part.phones.end());
      part.blocks.push_back(audit_internal::Encode(part.rows, part.phones));
      part.rows.clear();
      part.phones.clear();
    }
    batch_internal::FreeMemory(part.rows);
    batch_internal::FreeMemory(part.phones);
  });
  state_internal::CountTotal total("audit state");
  total.Add("estimated", estimated_);
  for (const audit_internal::Part& part : parts) {
    LEADKIT_RETURN_IF_ERROR(part.status);
    total.Add("estimated", part.estimated);
  }
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "adding"));
  estimated_ = total.total();
  for (audit_internal::Part& part : parts) Push(std::move(part.blocks));
  return absl::OkStatus();
}

absl::Status AuditState::Merge(const AuditState& other) {
  if (other.key_check_ != key_check_) {
    return absl::FailedPreconditionError(
        "audit states: their phones are hashed under different phone_keys "
        "(or one has a key and the other none); duplicates across them "
        "could not be found");
  }
  state_internal::CountTotal total("audit state");
  total.Add("estimated", estimated_);
  total.Add("estimated", other.estimated_);
  LEADKIT_RETURN_IF_ERROR(
      total.Status(absl::StatusCode::kOutOfRange, "merging"));
  estimated_ = total.total();
  Push(other.blocks_);  // a copy: `other` may be this state
  return absl::OkStatus();
}

// The bytes (LKAUD2):
//   key check   SipHash-2-4 of a fixed text under the phone key (fixed key
//               without one), its bits as a number
//   estimated   count
//   patterns    count, then each detail pattern (SplitTimes)
//   findings    count of leads, then per lead: its lead_id front-coded (the
//               length it shares with the one before, then the rest), the
//               count of its findings, then per finding: code, pattern
//               index, its times in minutes (the first as it is, each other
//               as the difference from the one before)
//   phones      count, then per phone (by digest): the digest's difference
//               from the one before, masked phone, lead_id
// The findings and phones are a block's (audit_internal::Block) as they are.
std::string AuditState::Serialize() const {
  using state_internal::PutInt;
  using state_internal::PutString;
  const std::shared_ptr<const audit_internal::Block> block =
      blocks_.size() == 1 ? blocks_[0] : audit_internal::MergeBlocks(blocks_);
  std::string payload;
  payload.reserve(block->weight() + 64);
  PutInt(payload, static_cast<int64_t>(key_check_));
  PutInt(payload, estimated_);
  PutInt(payload, static_cast<int64_t>(block->patterns.size()));
  for (const std::string& p : block->patterns) PutString(payload, p);
  PutInt(payload, block->leads);
  payload += block->findings;
  PutInt(payload, block->phone_count);
  payload += block->phones;
  return state_internal::Frame(audit_internal::kMagic, payload);
}

absl::StatusOr<AuditState> AuditState::Deserialize(
    absl::string_view bytes,
    std::optional<std::array<uint8_t, 16>> phone_key) {
  using audit_internal::kWhat;
  LEADKIT_ASSIGN_OR_RETURN(
      const absl::string_view payload,
      state_internal::Unframe(bytes, audit_internal::kMagic, kWhat));
  state_internal::Reader in(payload, kWhat);
  const auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", what));
  };
  AuditState state;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t check, in.Int());
  state.key_check_ = static_cast<uint64_t>(check);
  if (phone_key.has_value() &&
      audit_internal::KeyCheck(*phone_key) != state.key_check_) {
    return bad("its phones are hashed under another phone_key");
  }
  // A state without a key restores with the fixed one; one with a key keeps
  // none unless it is given.
  state.phone_key_ =
      phone_key.has_value() ? phone_key
      : state.key_check_ == audit_internal::KeyCheck(audit_internal::kFixedKey)
          ? std::optional(audit_internal::kFixedKey)
          : std::nullopt;
  LEADKIT_ASSIGN_OR_RETURN(state.estimated_, in.Int());
  if (state.estimated_ < 0) return bad("a negative count");
  audit_internal::Block block;
  LEADKIT_ASSIGN_OR_RETURN(const int64_t pattern_count, in.Count());
  for (int64_t p = 0; p < pattern_count; ++p) {
    LEADKIT_ASSIGN_OR_RETURN(std::string pattern, in.String());
    block.times_in.push_back(audit_internal::TimesIn(pattern));
    if (block.times_in.back() < 0) return bad("not a detail pattern");
    block.patterns.push_back(std::move(pattern));
  }
  // The findings and phones are checked here and kept as they are.
  LEADKIT_ASSIGN_OR_RETURN(block.leads, in.Count());
  const size_t findings_begin = in.position();
  AuditRow previous;
  AuditRow row;
  std::vector<int64_t> minutes;
  for (int64_t l = 0; l < block.leads; ++l) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t shared, in.Int());
    if (shared < 0 || static_cast<size_t>(shared) > row.lead_id.size()) {
      return bad("a lead_id shares more than the one before holds");
    }
    LEADKIT_ASSIGN_OR_RETURN(const std::string rest, in.String());
    row.lead_id.resize(static_cast<size_t>(shared));
    row.lead_id += rest;
    if (l > 0 && !(previous.lead_id < row.lead_id)) {
      return bad("lead_ids out of order");
    }
    LEADKIT_ASSIGN_OR_RETURN(const int64_t findings, in.Count());
    if (findings == 0) return bad("a lead without findings");
    for (int64_t i = 0; i < findings; ++i) {
      LEADKIT_ASSIGN_OR_RETURN(const int64_t code, in.Int());
      if (code < 0 || code >= kAuditFindingCount ||
          code == static_cast<int64_t>(AuditFinding::kDuplicatePhone)) {
        return bad(absl::StrCat("unknown finding code ", code));
      }
      row.finding = static_cast<AuditFinding>(code);
      LEADKIT_ASSIGN_OR_RETURN(const int64_t pattern, in.Int());
      if (pattern < 0 || pattern >= pattern_count) {
        return bad(absl::StrCat("unknown detail pattern ", pattern));
      }
      minutes.clear();
      for (int64_t t = 0; t < block.times_in[static_cast<size_t>(pattern)];
           ++t) {
        LEADKIT_ASSIGN_OR_RETURN(const int64_t m, in.Int());
        // Years 0-9999, as WallText writes them.
        constexpr int64_t kLast = 2932896LL * 1440;  // 9999-12-31, in minutes
        constexpr int64_t kFirst = -719528LL * 1440;  // 0000-01-01
        const int64_t value = t == 0 ? m : minutes.back() + m;
        if (m < kFirst - kLast || m > kLast - kFirst || value < kFirst ||
            value >= kLast + 1440) {
          return bad("a time out of range");
        }
        minutes.push_back(value);
      }
      row.detail = audit_internal::JoinTimes(
          block.patterns[static_cast<size_t>(pattern)], minutes);
      // Equal findings may repeat (a state merged with itself).
      if (i > 0 && audit_internal::RowLess(row, previous)) {
        return bad("findings out of order");
      }
      previous.lead_id = row.lead_id;
      previous.finding = row.finding;
      previous.detail.swap(row.detail);
    }
  }
  block.findings =
      std::string(payload.substr(findings_begin,
                                 in.position() - findings_begin));
  LEADKIT_ASSIGN_OR_RETURN(block.phone_count, in.Count());
  const size_t phones_begin = in.position();
  Phone last;
  Phone phone;
  for (int64_t i = 0; i < block.phone_count; ++i) {
    LEADKIT_ASSIGN_OR_RETURN(const int64_t step, in.Int());
    phone.digest += static_cast<uint64_t>(step);
    LEADKIT_ASSIGN_OR_RETURN(phone.masked, in.String());
    LEADKIT_ASSIGN_OR_RETURN(phone.lead_id, in.String());
    if (i > 0 && phone < last) return bad("phones out of order");
    last = phone;
  }
  block.phones =
      std::string(payload.substr(phones_begin, in.position() - phones_begin));
  LEADKIT_RETURN_IF_ERROR(in.Done());
  state.Push({std::make_shared<const audit_internal::Block>(std::move(block))});
  return state;
}

void AuditState::Finalize(
    absl::FunctionRef<void(absl::string_view, AuditFinding, absl::string_view)>
        emit) const {
  using audit_internal::RowView;
  // duplicate_phone's rows, in lead_id order: their details are written as
  // they are emitted.
  const audit_internal::DuplicateRows duplicates(blocks_);
  size_t d = 0;
  std::string detail;
  const auto emit_duplicates = [&](auto before) {
    for (; d < duplicates.size() && before(duplicates.lead_id(d)); ++d) {
      duplicates.Detail(d, detail);
      emit(duplicates.lead_id(d), AuditFinding::kDuplicatePhone, detail);
    }
  };
  audit_internal::ForEachLead(
      blocks_, [&](absl::string_view id, std::span<const RowView> rows) {
        emit_duplicates([&](absl::string_view lead) { return lead < id; });
        size_t r = 0;
        const auto emit_rows = [&](auto keep) {
          for (; r < rows.size() && keep(rows[r].code); ++r) {
            audit_internal::DetailOf(rows[r], detail);
            emit(id, rows[r].code, detail);
          }
        };
        emit_rows([](AuditFinding code) {
          return code < AuditFinding::kDuplicatePhone;
        });
        emit_duplicates([&](absl::string_view lead) { return lead == id; });
        emit_rows([](AuditFinding) { return true; });
      });
  emit_duplicates([](absl::string_view) { return true; });
}

std::vector<AuditRow> AuditState::Finalize() const {
  std::vector<AuditRow> out;
  Finalize([&](absl::string_view lead_id, AuditFinding finding,
               absl::string_view detail) {
    out.push_back({std::string(lead_id), finding, std::string(detail)});
  });
  return out;
}

}  // namespace leadkit
