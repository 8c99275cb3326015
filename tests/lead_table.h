// Test support: builds a Columns batch, with storage it owns, from leads written as JSON
// objects (the form golden files use). Absent keys and JSON null are null values.
#ifndef LEADKIT_TESTS_LEAD_TABLE_H_
#define LEADKIT_TESTS_LEAD_TABLE_H_

#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "leadkit/columns.h"
#include "leadkit/lead.h"
#include "nlohmann/json.hpp"

namespace leadkit::testing {

inline nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

class LeadTable {
 public:
  explicit LeadTable(const nlohmann::json& rows) : columns_(static_cast<int64_t>(rows.size())) {
    std::map<std::string, bool> names;
    for (const auto& row : rows) {
      for (const auto& [key, value] : row.items()) names[key] = true;
    }
    for (const auto& [name, unused] : names) {
      const LeadFieldInfo* field = FindLeadField(name);
      EXPECT_NE(field, nullptr) << name;
      if (field == nullptr) continue;
      std::vector<uint8_t>& valid = valid_.emplace_back();
      for (const auto& row : rows) valid.push_back(row.contains(name) && !row[name].is_null());
      switch (field->type) {
        case FieldType::kNumber: {
          std::vector<double>& v = doubles_.emplace_back();
          for (const auto& row : rows) v.push_back(valid[v.size()] ? row[name].get<double>() : NAN);
          EXPECT_TRUE(columns_.Add(name, Column::Doubles(v, valid.data())).ok());
          break;
        }
        case FieldType::kBool: {
          std::vector<uint8_t>& v = bytes_.emplace_back();
          for (const auto& row : rows) v.push_back(valid[v.size()] && row[name].get<bool>());
          EXPECT_TRUE(columns_.Add(name, Column::Bools(v, valid.data())).ok());
          break;
        }
        default: {
          std::vector<std::string>& dictionary = dictionaries_.emplace_back();
          std::vector<int32_t>& codes = codes_.emplace_back();
          for (const auto& row : rows) {
            if (!valid[codes.size()]) {
              codes.push_back(-1);
              continue;
            }
            const std::string s = row[name].get<std::string>();
            auto it = std::find(dictionary.begin(), dictionary.end(), s);
            codes.push_back(static_cast<int32_t>(it - dictionary.begin()));
            if (it == dictionary.end()) dictionary.push_back(s);
          }
          EXPECT_TRUE(columns_.Add(name, Column::Codes(codes, dictionary)).ok());
        }
      }
    }
  }

  const Columns& columns() const { return columns_; }

 private:
  Columns columns_;
  // Deques keep element addresses stable as columns are added.
  std::deque<std::vector<uint8_t>> valid_;
  std::deque<std::vector<double>> doubles_;
  std::deque<std::vector<uint8_t>> bytes_;
  std::deque<std::vector<int32_t>> codes_;
  std::deque<std::vector<std::string>> dictionaries_;
};

}  // namespace leadkit::testing

#endif  // LEADKIT_TESTS_LEAD_TABLE_H_
