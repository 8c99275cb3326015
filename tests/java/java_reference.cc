// What tests/java/LeadkitExample.java computes through the C ABI, computed with the C++ API
// from the data the Java program wrote (leads.json, touches.json): each lead's grade and rule
// (classify.tsv in the same directory, written here as classify_cpp.tsv) and the summary the
// Java program prints, line for line. The data comes back as JSON, not Arrow, so the two
// paths share nothing but the engines.
// Usage: java_reference DIR
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "leadkit/cadence.h"
#include "leadkit/classify.h"
#include "leadkit/kpi.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"
#include "nlohmann/json.hpp"
#include "report_tables.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Fail(const std::string& what) {
  std::cerr << "java_reference: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace leadkit;
  if (argc != 2) return Fail("usage: java_reference DIR");
  const std::string dir = argv[1];
  const absl::StatusOr<Policy> policy = Policy::Preset("three_level");
  if (!policy.ok()) return Fail(std::string(policy.status().message()));
  const std::string leads_text = ReadFile(dir + "/leads.json");
  const absl::StatusOr<LeadTable> leads = LeadTable::FromJson(leads_text);
  if (!leads.ok()) return Fail(std::string(leads.status().message()));
  const nlohmann::json lead_docs = nlohmann::json::parse(leads_text);
  const int64_t n = leads->num_rows();

  std::vector<int32_t> grades(static_cast<size_t>(n)), rules(static_cast<size_t>(n));
  const absl::Status classified = ClassifyBatch(*policy, leads->columns(), grades, rules);
  if (!classified.ok()) return Fail(std::string(classified.message()));
  std::ofstream tsv(dir + "/classify_cpp.tsv");
  std::map<std::string, int> per_grade;
  for (int64_t i = 0; i < n; ++i) {
    const std::string& grade = policy->grades()[static_cast<size_t>(grades[static_cast<size_t>(i)])];
    const std::string& rule = policy->rule_ids()[static_cast<size_t>(rules[static_cast<size_t>(i)])];
    ++per_grade[grade];
    tsv << lead_docs[static_cast<size_t>(i)]["lead_id"].get<std::string>() << '\t' << grade
        << '\t' << rule << '\n';
  }
  std::cout << "classified " << n << " leads: {";
  bool first = true;
  for (const auto& [grade, count] : per_grade) {
    std::cout << (first ? "" : ", ") << grade << "=" << count;
    first = false;
  }
  std::cout << "}\n";

  const nlohmann::json touch_docs = nlohmann::json::parse(ReadFile(dir + "/touches.json"));
  std::vector<std::optional<std::string>> touch_ids, methods;
  std::vector<std::optional<Instant>> touch_at;
  for (const nlohmann::json& t : touch_docs) {
    touch_ids.push_back(t["lead_id"].get<std::string>());
    methods.push_back(t["method"].get<std::string>());
    touch_at.push_back(Instant(std::chrono::seconds(t["at"].get<int64_t>())));
  }
  testing::TestTable touches(static_cast<int64_t>(touch_ids.size()));
  touches.RawStrings("lead_id", touch_ids).Instants("at", touch_at).Strings("method", methods);
  const absl::StatusOr<Cadence> cadence = Cadence::ForPolicy(*policy);
  if (!cadence.ok()) return Fail(std::string(cadence.status().message()));
  KpiState state({"channel"});
  const absl::Status added =
      state.Add(*cadence, leads->columns(), touches.columns(), nullptr,
                Instant(std::chrono::seconds(1743465600)));  // 2025-04-01T00:00:00Z
  if (!added.ok()) return Fail(std::string(added.message()));
  std::cout << "KPIs by channel at 2025-04-01T00:00:00Z:\n";
  for (const KpiRow& row : state.Finalize()) {
    std::cout << "channel=" << row.key[0].value_or("null");
    for (const KpiField& field : KpiFields()) {
      if (!field.column) continue;
      std::cout << ' ' << field.name << '=';
      if (field.count != nullptr) {
        std::cout << row.counts.*field.count;
      } else {
        const double v = (row.*field.value)();
        char text[64];
        std::snprintf(text, sizeof text, "%.6f", v);
        std::cout << (std::isnan(v) ? "nan" : text);
      }
    }
    std::cout << '\n';
  }
  return 0;
}
