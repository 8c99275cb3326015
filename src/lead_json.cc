#include "leadkit/lead_json.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
// date::parse trips gcc's -Wmaybe-uninitialized inside date.h (a false
// positive). clang has no such warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "date/date.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include "json_reader.h"
#include "leadkit/internal/status_macros.h"
#include "leadkit/lead.h"
#include "leadkit/phone.h"
#include "lead_json_internal.h"
#include "nlohmann/json.hpp"

namespace leadkit {
namespace lead_json_internal {
namespace {

using Json = nlohmann::json;

std::string Shown(const LeadFieldInfo& field, const Json& v) {
  if (field.personal && !v.is_string()) return MaskValue(field.name, v.dump());
  if (v.is_string()) {
    return absl::StrCat("the string \"",
                        MaskValue(field.name, v.get<std::string>()), "\"");
  }
  if (v.is_boolean()) return absl::StrCat("the boolean ", v.dump());
  if (v.is_number()) return absl::StrCat("the number ", v.dump());
  return v.is_array() ? "an array" : "an object";
}

// True when `text` begins "YYYY-MM-DDTHH:MM:SS" (or with a space for the T),
// digits where digits belong. date::parse reads "%T"'s seconds into a long
// double it leaves uninitialized when the hour or the minute fails to parse,
// and converts it to an integer all the same: undefined behaviour that
// UndefinedBehaviorSanitizer reports for "2024-06-01T-9:00:00+08:00". Only
// text of this shape reaches it.
bool HasDateAndTimeOfDay(absl::string_view text) {
  constexpr absl::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const char c = text[i];
    switch (kShape[i]) {
      case 'd':
        if (c < '0' || c > '9') return false;
        break;
      case 'T':
        if (c != 'T' && c != ' ') return false;
        break;
      default:
        if (c != kShape[i]) return false;
    }
  }
  return true;
}

}  // namespace

// Parses "2026-03-02T09:15:00+08:00", "2026-03-02 09:15:00Z" and fractional
// seconds.
bool ParseInstant(const std::string& text, int64_t& seconds) {
  if (!HasDateAndTimeOfDay(text)) return false;
  for (const char* format : {"%FT%T%Ez", "%F %T%Ez", "%FT%T%z", "%F %T%z"}) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      seconds = std::chrono::floor<std::chrono::seconds>(t)
                    .time_since_epoch()
                    .count();
      return true;
    }
  }
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    return ParseInstant(text.substr(0, text.size() - 1) + "+00:00", seconds);
  }
  return false;
}

bool ParseDate(const std::string& text, int64_t& days) {
  std::istringstream in(text);
  date::sys_days d;
  in >> date::parse("%F", d);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return false;
  days = d.time_since_epoch().count();
  return true;
}

}  // namespace lead_json_internal

struct LeadTable::Storage {
  std::deque<std::vector<uint8_t>> bytes;
  std::deque<std::vector<double>> doubles;
  std::deque<std::vector<int64_t>> integers;
  std::deque<std::vector<int32_t>> codes;
  std::deque<std::vector<std::string>> dictionaries;
};

LeadTable::LeadTable(int64_t num_rows)
    : storage_(std::make_unique<Storage>()),
      columns_(std::make_unique<Columns>(num_rows)) {}

LeadTable::LeadTable(LeadTable&&) = default;
LeadTable& LeadTable::operator=(LeadTable&&) = default;
LeadTable::~LeadTable() = default;

absl::StatusOr<LeadTable> LeadTable::FromJson(absl::string_view text) {
  using lead_json_internal::Json;
  // The documents' one reader: malformed JSON, a repeated key or nesting past
  // json_internal::kMaxDepth is an InvalidArgument naming where.
  LEADKIT_ASSIGN_OR_RETURN(const Json rows,
                           json_internal::ParseOrError(text, "leads"));
  if (!rows.is_array()) {
    return absl::InvalidArgumentError(
        "leads: expected a JSON array of lead objects");
  }
  // Fields in the order of the data contract, whatever order the objects use.
  std::map<size_t, const LeadFieldInfo*> present;
  const auto fields = LeadFields();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("leads[", i, "]: expected a lead object"));
    }
    for (const auto& [key, value] : rows[i].items()) {
      const LeadFieldInfo* f = FindLeadField(key);
      if (f == nullptr) {
        const std::string nearest = NearestLeadField(key);
        const std::string id =
            rows[i].contains("lead_id") && rows[i].at("lead_id").is_string()
                ? absl::StrCat(" (lead_id \"",
                               rows[i].at("lead_id").get<std::string>(), "\")")
                : "";
        return absl::InvalidArgumentError(absl::StrCat(
            "leads[", i, "]", id, ": unknown field \"", key, "\"",
            nearest.empty()
                ? ""
                : absl::StrCat("; did you mean \"", nearest, "\"?")));
      }
      present[static_cast<size_t>(f - fields.data())] = f;
    }
  }
  const auto n = static_cast<int64_t>(rows.size());
  LeadTable table(n);
  Storage& s = *table.storage_;
  for (const auto& [index, field] : present) {
    std::vector<uint8_t>& valid = s.bytes.emplace_back(rows.size(), 0);
    std::vector<double>* doubles = nullptr;
    std::vector<uint8_t>* bools = nullptr;
    std::vector<int64_t>* integers = nullptr;
    std::vector<int32_t>* codes = nullptr;
    std::vector<std::string>* dictionary = nullptr;
    switch (field->type) {
      case FieldType::kNumber:
        doubles = &s.doubles.emplace_back(rows.size(), NAN);
        break;
      case FieldType::kBool:
        bools = &s.bytes.emplace_back(rows.size(), 0);
        break;
      case FieldType::kString:
        codes = &s.codes.emplace_back(rows.size(), -1);
        dictionary = &s.dictionaries.emplace_back();
        break;
      default:
        integers = &s.integers.emplace_back(rows.size(), 0);
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      const Json& row = rows[i];
      if (!row.contains(field->name) || row.at(field->name).is_null()) continue;
      const Json& v = row.at(field->name);
      bool ok = false;
      std::string expected;
      switch (field->type) {
        case FieldType::kNumber:
          expected = "a number";
          if ((ok = v.is_number())) (*doubles)[i] = v.get<double>();
          break;
        case FieldType::kBool:
          expected = "true or false";
          if ((ok = v.is_boolean())) (*bools)[i] = v.get<bool>() ? 1 : 0;
          break;
        case FieldType::kString: {
          expected = "a string";
          if ((ok = v.is_string())) {
            const std::string str = v.get<std::string>();
            auto it = std::find(dictionary->begin(), dictionary->end(), str);
            (*codes)[i] = static_cast<int32_t>(it - dictionary->begin());
            if (it == dictionary->end()) dictionary->push_back(str);
          }
          break;
        }
        case FieldType::kInstant:
          expected = "an ISO 8601 time with an offset, or epoch seconds";
          if (v.is_number_integer() &&
              !(v.is_number_unsigned() &&
                v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
            (*integers)[i] = v.get<int64_t>();
            ok = true;
          } else if (v.is_string()) {
            ok = lead_json_internal::ParseInstant(v.get<std::string>(),
                                                  (*integers)[i]);
          }
          break;
        case FieldType::kDate:
          expected = "a date YYYY-MM-DD";
          ok = v.is_string() && lead_json_internal::ParseDate(
                                    v.get<std::string>(), (*integers)[i]);
          break;
      }
      if (!ok) {
        std::string id;
        if (row.contains("lead_id") && row.at("lead_id").is_string()) {
          id = absl::StrCat(" (lead_id \"",
                            row.at("lead_id").get<std::string>(), "\")");
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "leads[", i, "]", id, ".", field->name, ": expected ", expected,
            ", got ", lead_json_internal::Shown(*field, v)));
      }
      valid[i] = 1;
    }
    Column column = Column::ValidityOnly(n, valid.data());
    switch (field->type) {
      case FieldType::kNumber:
        column = Column::Doubles(*doubles, valid.data());
        break;
      case FieldType::kBool:
        column = Column::Bools(*bools, valid.data());
        break;
      case FieldType::kString:
        column = Column::Codes(*codes, *dictionary, valid.data());
        break;
      case FieldType::kInstant:
        column = Column::Instants(*integers, valid.data());
        break;
      case FieldType::kDate:
        column = Column::Dates(*integers, valid.data());
        break;
    }
    LEADKIT_RETURN_IF_ERROR(table.columns_->Add(field->name, column));
  }
  return table;
}

}  // namespace leadkit
