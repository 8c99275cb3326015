// lk_classify_arrow (the C ABI, libleadkit.so) against the C++ API on the
// same leads: the golden leads of every preset (whose grades were worked out
// by hand, tests/golden/classify_expected.json) and a larger generated table
// in every Arrow type leadkit.h accepts. The Arrow batches are built here,
// independently of leadkit's own Arrow code.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "arrow_batches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadkit/classify.h"
#include "leadkit/lead.h"
#include "leadkit/lead_json.h"
#include "leadkit/leadkit.h"
#include "leadkit/policy.h"
#include "nlohmann/json.hpp"

namespace leadkit {
namespace {

using testing::ColumnBuilder;
using testing::TestColumn;
using testing::TestStream;
using testing::LargeUtf8At;
using testing::Utf8At;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// (lead_id, grade, rule) per row of lk_classify_arrow's result.
struct Row {
  std::string lead_id, grade, rule;
  bool operator==(const Row&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << r.lead_id << ":" << r.grade << ":" << r.rule;
}


std::vector<Row> ClassifyThroughC(const lk_policy* policy, TestStream& leads,
                                  bool large_ids = false) {
  ArrowArrayStream in = leads.Stream();
  ArrowArrayStream out;
  const lk_status status = lk_classify_arrow(policy, &in, &out);
  EXPECT_EQ(status, LK_OK) << lk_last_error();
  EXPECT_TRUE(leads.released());
  std::vector<Row> rows;
  if (status != LK_OK) return rows;
  for (;;) {
    ArrowArray batch;
    EXPECT_EQ(out.get_next(&out, &batch), 0);
    if (batch.release == nullptr) break;
    const ArrowArray& ids = *batch.children[0];
    const ArrowArray& grades = *batch.children[1];
    const ArrowArray& rules = *batch.children[2];
    for (int64_t i = 0; i < batch.length; ++i) {
      rows.push_back(
          {large_ids ? LargeUtf8At(ids, i) : Utf8At(ids, i),
           Utf8At(*grades.dictionary, static_cast<const int32_t*>(grades.buffers[1])[i]),
           Utf8At(*rules.dictionary, static_cast<const int32_t*>(rules.buffers[1])[i])});
    }
    batch.release(&batch);
  }
  out.release(&out);
  return rows;
}

// The C++ API's answer for the same leads.
std::vector<Row> ClassifyThroughCpp(const Policy& policy, const LeadTable& leads) {
  const auto n = static_cast<size_t>(leads.num_rows());
  std::vector<int32_t> grades(n), rules(n);
  EXPECT_TRUE(ClassifyBatch(policy, leads.columns(), grades, rules).ok());
  const Column* ids = leads.columns().Find("lead_id");
  std::vector<Row> rows;
  for (size_t i = 0; i < n; ++i) {
    rows.push_back({std::string(ids->ViewAt(static_cast<int64_t>(i))),
                    policy.grades()[static_cast<size_t>(grades[i])],
                    policy.rule_ids()[static_cast<size_t>(rules[i])]});
  }
  return rows;
}

// The leads of `records` as Arrow columns by the type of each lead field:
// strings utf8, numbers float64, booleans bool.
std::vector<std::unique_ptr<TestColumn>> ArrowOf(const nlohmann::json& records,
                                                 size_t begin, size_t end) {
  std::vector<std::string> names;
  for (const auto& r : records) {
    for (const auto& [key, value] : r.items()) {
      if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
    }
  }
  std::vector<std::unique_ptr<TestColumn>> columns;
  for (const std::string& name : names) {
    const LeadFieldInfo* field = FindLeadField(name);
    const char* format = field->type == FieldType::kString   ? "u"
                         : field->type == FieldType::kNumber ? "g"
                                                             : "b";
    ColumnBuilder b(name, format);
    for (size_t i = begin; i < end; ++i) {
      const auto it = records[i].find(name);
      if (it == records[i].end() || it->is_null()) {
        b.Null();
      } else if (it->is_string()) {
        b.String(it->get<std::string>());
      } else if (it->is_boolean()) {
        b.Bool(it->get<bool>());
      } else {
        b.Value<double>(it->get<double>());
      }
    }
    columns.push_back(b.Build());
  }
  return columns;
}

TEST(ClassifyArrow, GoldenLeadsOfEveryPresetAsTheCppApiAndTheHandWorkedGrades) {
  const std::string text = ReadFile(LEADKIT_TEST_DATA_DIR "/golden/classify_leads.json");
  const nlohmann::json records = nlohmann::json::parse(text);
  const nlohmann::json expected =
      nlohmann::json::parse(ReadFile(LEADKIT_TEST_DATA_DIR "/golden/classify_expected.json"));
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(text);
  ASSERT_TRUE(table.ok()) << table.status();
  for (const std::string& preset : Policy::PresetNames()) {
    SCOPED_TRACE(preset);
    lk_policy* handle = nullptr;
    ASSERT_EQ(lk_policy_from_preset(preset.c_str(), &handle), LK_OK) << lk_last_error();
    absl::StatusOr<Policy> policy = Policy::Preset(preset);
    ASSERT_TRUE(policy.ok());
    // Two batches: the stream's rows in order across them.
    TestStream leads;
    leads.AddBatch(ArrowOf(records, 0, 7));
    leads.AddBatch(ArrowOf(records, 7, records.size()));
    const std::vector<Row> through_c = ClassifyThroughC(handle, leads);
    EXPECT_THAT(through_c, ::testing::ElementsAreArray(ClassifyThroughCpp(*policy, *table)));
    std::vector<Row> by_hand;
    for (const auto& r : records) {
      const std::string id = r["lead_id"].get<std::string>();
      by_hand.push_back({id, expected[preset][id][0].get<std::string>(),
                         expected[preset][id][1].get<std::string>()});
    }
    EXPECT_THAT(through_c, ::testing::ElementsAreArray(by_hand));
    lk_policy_free(handle);
  }
}

// The column `name` of `records` in the Arrow type `format` ("u", "b", "s",
// "i", "l", "f", "g"), its array starting `skip` rows into its buffers.
std::unique_ptr<TestColumn> Typed(const nlohmann::json& records,
                                  const std::string& name,
                                  const std::string& format, int64_t skip = 0) {
  ColumnBuilder b(name, format);
  b.Skip(skip);
  for (const auto& r : records) {
    const auto it = r.find(name);
    if (it == r.end() || it->is_null()) {
      b.Null();
    } else if (format == "u" || format == "vu") {
      b.String(it->get<std::string>());
    } else if (format == "b") {
      b.Bool(it->get<bool>());
    } else if (format == "s") {
      b.Value<int16_t>(it->get<int16_t>());
    } else if (format == "i") {
      b.Value<int32_t>(it->get<int32_t>());
    } else if (format == "l") {
      b.Value<int64_t>(it->get<int64_t>());
    } else if (format == "f") {
      b.Value<float>(it->get<float>());
    } else {
      b.Value<double>(it->get<double>());
    }
  }
  return b.Build();
}

// Under every preset, the leads of `make_batch()` (one batch, made anew for
// each preset) classified through the C ABI get the C++ API's grades of
// `table`, the same leads.
void ExpectEveryPresetAsTheCppApi(
    const LeadTable& table,
    const std::function<std::vector<std::unique_ptr<TestColumn>>()>& make_batch,
    bool large_ids = false) {
  for (const std::string& preset : Policy::PresetNames()) {
    SCOPED_TRACE(preset);
    lk_policy* handle = nullptr;
    ASSERT_EQ(lk_policy_from_preset(preset.c_str(), &handle), LK_OK)
        << lk_last_error();
    absl::StatusOr<Policy> policy = Policy::Preset(preset);
    ASSERT_TRUE(policy.ok());
    TestStream leads;
    leads.AddBatch(make_batch());
    EXPECT_THAT(ClassifyThroughC(handle, leads, large_ids),
                ::testing::ElementsAreArray(ClassifyThroughCpp(*policy, table)));
    lk_policy_free(handle);
  }
}

// 1,000 generated leads, the fields in other Arrow types than float64 and
// utf8 (int32, int16 and int64 numbers, float32, dictionary strings, a sliced
// column, nulls everywhere), classified by every preset: the same grades as
// the C++ API over the same values.
TEST(ClassifyArrow, EveryAcceptedArrowTypeAsTheCppApi) {
  constexpr int kLeads = 1000;
  const char* models[] = {"C200", "GLC", "E300", "A180"};
  nlohmann::json records = nlohmann::json::array();
  std::vector<std::optional<std::string>> model;
  uint32_t state = 12345;
  auto next = [&](uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 8) % n;
  };
  for (int i = 0; i < kLeads; ++i) {
    nlohmann::json r = {{"lead_id", "G" + std::to_string(i)}};
    if (next(5) == 0) {
      model.push_back(std::nullopt);
    } else {
      model.push_back(models[next(4)]);
      r["model"] = *model.back();
    }
    for (const auto& [name, range] :
         {std::pair<const char*, uint32_t>{"models_considered", 4},
          {"purchase_within_days", 200},
          {"store_visits", 5},
          {"budget", 500000}}) {
      if (next(6) != 0) r[name] = next(range);
    }
    for (const char* name :
         {"asked_price", "asked_config", "deposit_paid", "test_drive"}) {
      if (next(4) != 0) r[name] = next(2) == 1;
    }
    records.push_back(r);
  }
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(records.dump());
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectEveryPresetAsTheCppApi(*table, [&] {
    std::vector<std::unique_ptr<TestColumn>> batch;
    batch.push_back(Typed(records, "lead_id", "u", /*skip=*/3));
    batch.push_back(Typed(records, "models_considered", "i"));
    batch.push_back(Typed(records, "purchase_within_days", "f", /*skip=*/2));
    batch.push_back(Typed(records, "store_visits", "s"));
    batch.push_back(Typed(records, "budget", "l"));
    batch.push_back(Typed(records, "asked_price", "b", /*skip=*/5));
    batch.push_back(Typed(records, "asked_config", "b"));
    batch.push_back(Typed(records, "deposit_paid", "b"));
    batch.push_back(Typed(records, "test_drive", "b"));
    batch.push_back(ColumnBuilder::Dictionary("model", model));
    return batch;
  });
}

// Strings as Polars gives them, Arrow string views ("vu"): ids and a model
// both inline (up to 12 bytes) and in the data buffer, nulls, a sliced column;
// the same grades as the C++ API, the ids back as large_utf8.
TEST(ClassifyArrow, StringViewsAsTheCppApi) {
  const char* models[] = {"C200", "GLC 300 4MATIC Coupe", "E300", "A180 Limousine"};
  nlohmann::json records = nlohmann::json::array();
  for (int i = 0; i < 200; ++i) {
    nlohmann::json r = {
        {"lead_id", i % 2 == 0 ? "V" + std::to_string(i)
                               : "lead-with-a-long-id-" + std::to_string(i)},
        {"purchase_within_days", (i * 37) % 120},
        {"asked_price", i % 3 == 0}};
    if (i % 5 != 0) r["model"] = models[i % 4];
    records.push_back(r);
  }
  absl::StatusOr<LeadTable> table = LeadTable::FromJson(records.dump());
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectEveryPresetAsTheCppApi(
      *table,
      [&] {
        std::vector<std::unique_ptr<TestColumn>> batch;
        batch.push_back(Typed(records, "lead_id", "vu", /*skip=*/3));
        batch.push_back(Typed(records, "model", "vu"));
        batch.push_back(Typed(records, "purchase_within_days", "l"));
        batch.push_back(Typed(records, "asked_price", "b"));
        return batch;
      },
      /*large_ids=*/true);
}

// A dictionary-encoded column over `dictionary` with the index `index[i]` at
// row i (nullopt: null), the indices in the Arrow integer format `format`
// ("i" int32 or "s" int16), `skip` rows of padding before (a slice's offset).
std::unique_ptr<TestColumn> DictionaryOf(
    const std::string& name, const std::vector<std::optional<int32_t>>& index,
    const std::vector<std::string>& dictionary, const std::string& format,
    int64_t skip = 0) {
  ColumnBuilder indices(name, format);
  indices.Skip(skip);
  for (const std::optional<int32_t>& i : index) {
    if (!i) {
      indices.Null();
    } else if (format == "i") {
      indices.Value<int32_t>(*i);
    } else {
      indices.Value<int16_t>(static_cast<int16_t>(*i));
    }
  }
  ColumnBuilder values("", "u");
  for (const std::string& v : dictionary) values.String(v);
  std::unique_ptr<TestColumn> out = indices.Build();
  out->dictionary = values.Build();
  return out;
}

// The forms a dictionary-encoded model may come in, each read its own way
// (int32 indices without a null row read where they lie; others converted;
// a dictionary with a repeated value, or longer than the batch, coded value
// by value): every preset gives the C++ API's grades over the same models.
TEST(ClassifyArrow, EveryDictionaryFormAsTheCppApi) {
  constexpr int kLeads = 300;
  const std::vector<std::string> models = {"C200", "GLC", "E300", "A180"};
  struct Form {
    std::string what;
    std::string format;
    bool nulls;
    // The dictionary, and the index of models[k] in it.
    std::vector<std::string> dictionary;
    std::vector<int32_t> index_of;
    int64_t skip;
  };
  const std::vector<Form> forms = {
      {"int32, no null", "i", false, models, {0, 1, 2, 3}, 0},
      {"int32, no null, sliced", "i", false, models, {0, 1, 2, 3}, 7},
      {"int32, reversed dictionary", "i", false, {"A180", "E300", "GLC", "C200"},
       {3, 2, 1, 0}, 0},
      {"int32 with nulls", "i", true, models, {0, 1, 2, 3}, 0},
      {"int16 with nulls, sliced", "s", true, models, {0, 1, 2, 3}, 5},
      {"int32, a value twice and one unused", "i", false,
       {"C200", "GLC", "C200", "E300", "S500", "A180"}, {2, 1, 3, 5}, 0},
  };
  nlohmann::json records = nlohmann::json::array();
  std::vector<std::optional<int32_t>> model;  // into `models`
  for (int i = 0; i < kLeads; ++i) {
    nlohmann::json r = {{"lead_id", "D" + std::to_string(i)},
                        {"purchase_within_days", (i * 53) % 150},
                        {"asked_price", i % 3 == 0},
                        {"test_drive", i % 4 == 1}};
    model.push_back((i * 7) % 4);
    r["model"] = models[static_cast<size_t>(*model.back())];
    records.push_back(r);
  }
  for (const Form& form : forms) {
    SCOPED_TRACE(form.what);
    nlohmann::json rows = records;
    std::vector<std::optional<int32_t>> index;
    for (size_t i = 0; i < model.size(); ++i) {
      if (form.nulls && i % 6 == 2) {
        index.push_back(std::nullopt);
        rows[i].erase("model");
      } else {
        index.push_back(form.index_of[static_cast<size_t>(*model[i])]);
      }
    }
    absl::StatusOr<LeadTable> table = LeadTable::FromJson(rows.dump());
    ASSERT_TRUE(table.ok()) << table.status();
    ExpectEveryPresetAsTheCppApi(*table, [&] {
      std::vector<std::unique_ptr<TestColumn>> batch;
      batch.push_back(Typed(rows, "lead_id", "u", form.skip));
      batch.push_back(Typed(rows, "purchase_within_days", "l", form.skip));
      batch.push_back(Typed(rows, "asked_price", "b"));
      batch.push_back(Typed(rows, "test_drive", "b", form.skip));
      batch.push_back(
          DictionaryOf("model", index, form.dictionary, form.format, form.skip));
      return batch;
    });
  }
}

// The batches a stream handed out and that were released since.
int batches_released = 0;
void CountRelease(ArrowArray* a) {
  ++batches_released;
  a->release = nullptr;
}

// The result's ids read the input batch's own buffers: that batch stays
// unreleased while the result batch lives and is released with it; ids a
// dictionary holds are copied, their batch released when the call ends.
TEST(ClassifyArrow, ResultIdsKeepTheirBatchUntilReleased) {
  lk_policy* handle = nullptr;
  ASSERT_EQ(lk_policy_from_preset("three_level", &handle), LK_OK) << lk_last_error();
  for (const bool dictionary_ids : {false, true}) {
    SCOPED_TRACE(dictionary_ids ? "dictionary ids" : "utf8 ids, sliced");
    std::vector<std::optional<std::string>> id_values = {"K1", "K2", "K3"};
    std::vector<std::unique_ptr<TestColumn>> batch;
    if (dictionary_ids) {
      batch.push_back(ColumnBuilder::Dictionary("lead_id", id_values));
    } else {
      ColumnBuilder ids("lead_id", "u");
      ids.Skip(2);
      for (const auto& id : id_values) ids.String(*id);
      batch.push_back(ids.Build());
    }
    TestStream leads;
    leads.AddBatch(std::move(batch));
    // The test stream's batches, each released through CountRelease.
    struct Counting {
      ArrowArrayStream inner;
    } counting{leads.Stream()};
    ArrowArrayStream in = counting.inner;
    in.private_data = &counting;
    in.get_schema = [](ArrowArrayStream* s, ArrowSchema* out) {
      auto* c = static_cast<Counting*>(s->private_data);
      return c->inner.get_schema(&c->inner, out);
    };
    in.get_next = [](ArrowArrayStream* s, ArrowArray* out) {
      auto* c = static_cast<Counting*>(s->private_data);
      const int rc = c->inner.get_next(&c->inner, out);
      if (rc == 0 && out->release != nullptr) out->release = CountRelease;
      return rc;
    };
    in.release = [](ArrowArrayStream* s) {
      auto* c = static_cast<Counting*>(s->private_data);
      c->inner.release(&c->inner);
      s->release = nullptr;
    };
    batches_released = 0;
    ArrowArrayStream out;
    ASSERT_EQ(lk_classify_arrow(handle, &in, &out), LK_OK) << lk_last_error();
    EXPECT_EQ(batches_released, dictionary_ids ? 1 : 0);
    ArrowArray result;
    ASSERT_EQ(out.get_next(&out, &result), 0);
    ASSERT_NE(result.release, nullptr);
    ASSERT_EQ(result.length, 3);
    const ArrowArray& ids = *result.children[0];
    EXPECT_EQ(Utf8At(ids, 0), "K1");
    EXPECT_EQ(Utf8At(ids, 2), "K3");
    out.release(&out);
    EXPECT_EQ(batches_released, dictionary_ids ? 1 : 0);  // the batch outlives its stream
    result.release(&result);
    EXPECT_EQ(batches_released, 1);
  }
  lk_policy_free(handle);
}

// An index outside the dictionary is refused naming the column, the row and
// the index, whichever way the column would be read.
TEST(ClassifyArrow, DictionaryIndexOutsideIsRefusedInEveryForm) {
  const std::vector<std::string> models = {"C200", "GLC", "E300"};
  struct Form {
    std::string what, format;
    std::vector<std::optional<int32_t>> index;
    std::vector<std::string> dictionary;
    std::string row_and_index;
  };
  const std::vector<Form> forms = {
      {"int32, no null", "i", {0, 1, 2, 0, 3, 1}, models, "row 4 has the dictionary index 3"},
      {"int32, negative", "i", {0, 1, -1, 0, 1, 2}, models, "row 2 has the dictionary index -1"},
      {"int16 with a null", "s", {0, std::nullopt, 2, 9, 1, 0}, models,
       "row 3 has the dictionary index 9"},
      {"int32, a value twice", "i", {0, 1, 7, 0, 1, 2}, {"C200", "C200", "GLC"},
       "row 2 has the dictionary index 7"},
  };
  lk_policy* handle = nullptr;
  ASSERT_EQ(lk_policy_from_preset("three_level", &handle), LK_OK) << lk_last_error();
  for (const Form& form : forms) {
    SCOPED_TRACE(form.what);
    ColumnBuilder ids("lead_id", "u");
    for (size_t i = 0; i < form.index.size(); ++i) ids.String("E" + std::to_string(i));
    std::vector<std::unique_ptr<TestColumn>> batch;
    batch.push_back(ids.Build());
    batch.push_back(DictionaryOf("model", form.index, form.dictionary, form.format));
    TestStream leads;
    leads.AddBatch(std::move(batch));
    ArrowArrayStream in = leads.Stream(), out;
    EXPECT_EQ(lk_classify_arrow(handle, &in, &out), LK_INVALID_ARGUMENT);
    EXPECT_TRUE(leads.released());
    EXPECT_EQ(out.release, nullptr);
    EXPECT_THAT(std::string(lk_last_error()),
                ::testing::HasSubstr("leads.model: " + form.row_and_index +
                                     " outside the dictionary's " +
                                     std::to_string(form.dictionary.size()) +
                                     " values"));
  }
  // A dictionary array of a negative length is refused, not read; a uint64
  // index past INT64_MAX is named as it is.
  for (const bool negative_length : {true, false}) {
    ColumnBuilder ids("lead_id", "u");
    ids.String("E0");
    ids.String("E1");
    std::vector<std::unique_ptr<TestColumn>> batch;
    batch.push_back(ids.Build());
    if (negative_length) {
      batch.push_back(DictionaryOf("model", {0, 5}, models, "i"));
      batch.back()->dictionary->length = -1;
    } else {
      ColumnBuilder indices("model", "L");
      indices.Value<uint64_t>(0);
      indices.Value<uint64_t>(9223372036854775809ull);
      ColumnBuilder values("", "u");
      for (const std::string& v : models) values.String(v);
      batch.push_back(indices.Build());
      batch.back()->dictionary = values.Build();
    }
    TestStream leads;
    leads.AddBatch(std::move(batch));
    ArrowArrayStream in = leads.Stream(), out;
    EXPECT_EQ(lk_classify_arrow(handle, &in, &out), LK_INVALID_ARGUMENT);
    EXPECT_TRUE(leads.released());
    EXPECT_THAT(std::string(lk_last_error()),
                ::testing::HasSubstr(
                    negative_length
                        ? "leads.model: the Arrow dictionary array has length -1"
                        : "leads.model: row 1 has the dictionary index "
                          "9223372036854775809 outside the dictionary's 3 values"));
  }
  lk_policy_free(handle);
}

}  // namespace
}  // namespace leadkit
