// Reads a JSON array of leads and prints "lead_id,grade,rule" per lead under a
// preset:
//   leadkit_consumer three_level leads.json
// Exit status 0 on success, 2 on bad input (the message on standard error).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "leadkit/classify.h"
#include "leadkit/lead_json.h"
#include "leadkit/policy.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: leadkit_consumer PRESET LEADS.json\n";
    return 2;
  }
  absl::StatusOr<leadkit::Policy> policy = leadkit::Policy::Preset(argv[1]);
  if (!policy.ok()) {
    std::cerr << policy.status() << "\n";
    return 2;
  }
  std::ifstream in(argv[2]);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<leadkit::LeadTable> leads =
      leadkit::LeadTable::FromJson(text.str());
  if (!leads.ok()) {
    std::cerr << leads.status() << "\n";
    return 2;
  }
  const auto n = static_cast<size_t>(leads->num_rows());
  std::vector<int32_t> grades(n), rules(n);
  if (absl::Status s =
          leadkit::ClassifyBatch(*policy, leads->columns(), grades, rules);
      !s.ok()) {
    std::cerr << s << "\n";
    return 2;
  }
  const leadkit::Column* ids = leads->columns().Find("lead_id");
  for (size_t i = 0; i < n; ++i) {
    const auto row = static_cast<int64_t>(i);
    std::cout << (ids == nullptr || ids->IsNull(row) ? "" : ids->StringAt(row))
              << "," << policy->grades()[static_cast<size_t>(grades[i])] << ","
              << policy->rules()[static_cast<size_t>(rules[i])].id << "\n";
  }
  return 0;
}
