// Writes the seed corpora of state_fuzz and router_restore_fuzz: the bytes of
// every report state and of a router, built from a small sample of leads,
// touches and visits, each in the two forms the targets read (the first
// bytes say which: the bytes as saved, or the payload to be framed); and
// c_api_fuzz's seeds of the states it reads apart from state_fuzz's order
// (the backtest, the audit restored with its key).
//
//   state_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "leadkit/activity.h"
#include "leadkit/audit.h"
#include "leadkit/backtest.h"
#include "leadkit/cadence.h"
#include "leadkit/effectiveness.h"
#include "leadkit/kpi.h"
#include "leadkit/lost_analysis.h"
#include "leadkit/pipeline.h"
#include "leadkit/policy.h"
#include "leadkit/profile.h"
#include "leadkit/routing.h"
#include "leadkit/showroom.h"
#include "report_tables.h"

namespace leadkit {
namespace {

using testing::Sh;
using testing::TestTable;

std::filesystem::path out_dir;

// The payload of framed bytes: past the magic and the length, before the
// checksum.
std::string Payload(absl::string_view framed) {
  size_t pos = 6;
  while (static_cast<unsigned char>(framed[pos]) & 0x80) ++pos;
  ++pos;
  return std::string(framed.substr(pos, framed.size() - pos - 8));
}

void Write(absl::string_view target, absl::string_view name,
           absl::string_view bytes) {
  const std::filesystem::path dir = out_dir / std::string(target);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / std::string(name), std::ios::binary)
      << bytes;
}

// state_fuzz: byte 0 picks the state (its index in state_fuzz.cc's kKinds),
// byte 1 is 0 for bytes as saved, 1 for a payload to frame.
void WriteState(int kind, absl::string_view name, const absl::Status& added,
                absl::string_view bytes) {
  if (!added.ok()) {
    std::fprintf(stderr, "%s: %s\n", std::string(name).c_str(),
                 added.ToString().c_str());
    std::exit(1);
  }
  const std::string head(1, static_cast<char>(kind));
  Write("state_fuzz", absl::StrCat(name, "_saved"),
        absl::StrCat(head, std::string(1, '\0'), bytes));
  Write("state_fuzz", absl::StrCat(name, "_payload"),
        absl::StrCat(head, std::string(1, '\1'), Payload(bytes)));
}

struct Sample {
  TestTable leads{6};
  TestTable touches{7};
  TestTable visits{4};
  TestTable surveys{2};
  Instant as_of = Sh("2024-06-20 12:00");

  Sample() {
    leads.Strings("lead_id", {"L1", "L2", "L3", "L4", "L5", "L6"})
        .Instants("created_at",
                  {Sh("2024-06-03 08:50"), Sh("2024-06-04 10:00"),
                   Sh("2024-05-28 19:00"), Sh("2024-06-10 11:00"),
                   Sh("2024-04-30 09:00"), Sh("2024-06-18 20:15")})
        .Instants("assigned_at", {Sh("2024-06-03 09:00"), std::nullopt,
                                  Sh("2024-05-29 09:00"),
                                  Sh("2024-06-10 11:30"),
                                  Sh("2024-04-30 10:00"), std::nullopt})
        .Strings("channel", {"website", "showroom", "phone", "website",
                             "referral", "auto_show"})
        .Strings("model", {"C200", "GLC", std::nullopt, "C200", "E300", "GLC"})
        .Strings("grade", {"high", "medium", "low", "high", std::nullopt,
                           "medium"})
        .Strings("status", {"open", "won", "lost", "open", "won", "invalid"})
        .Instants("won_at", {std::nullopt, Sh("2024-06-15 10:00"),
                             std::nullopt, std::nullopt,
                             Sh("2024-05-20 16:00"), std::nullopt})
        .Instants("lost_at", {std::nullopt, std::nullopt,
                              Sh("2024-06-12 10:00"), std::nullopt,
                              std::nullopt, std::nullopt})
        .Strings("lost_reason",
                 {std::nullopt, std::nullopt, "price", std::nullopt,
                  std::nullopt, std::nullopt})
        .Strings("lost_review", {std::nullopt, std::nullopt, "approved",
                                 std::nullopt, std::nullopt, std::nullopt})
        .Strings("consultant_id",
                 {"D1-C0", "D1-C1", "D2-C0", "D1-C0", "D2-C1", std::nullopt})
        .Strings("dealer_id", {"D1", "D1", "D2", "D1", "D2", std::nullopt})
        .Strings("gender", {"female", "male", std::nullopt, "male", "female",
                            std::nullopt});
    touches.Strings("lead_id", {"L1", "L1", "L2", "L3", "L4", "L5", "L1"})
        .Instants("at", {Sh("2024-06-03 09:30"), Sh("2024-06-06 15:00"),
                         Sh("2024-06-04 10:20"), Sh("2024-05-29 11:00"),
                         Sh("2024-06-11 09:00"), Sh("2024-05-02 10:00"),
                         Sh("2024-06-12 18:00")})
        .Strings("method", {"phone", "wechat", "visit", "phone", "sms",
                            "test_drive", "phone"})
        .Strings("consultant_id", {"D1-C0", "D1-C0", "D1-C1", "D2-C0",
                                   "D1-C0", "D2-C1", "D1-C0"})
        .Strings("grade_after", {std::nullopt, "medium", std::nullopt,
                                 "low", std::nullopt, std::nullopt, "high"})
        .Strings("content", {"greeting", std::nullopt, std::nullopt,
                             std::nullopt, std::nullopt, std::nullopt,
                             std::nullopt});
    surveys.Strings("lead_id", {"L2", "L5"})
        .Instants("at", {Sh("2024-06-16 10:00"), Sh("2024-05-22 10:00")})
        .Bools("satisfied", {true, false});
    visits.Strings("visit_id", {"V1", "V2", "V3", "V4"})
        .Strings("dealer_id", {"D1", "D1", "D2", "D1"})
        .Instants("arrived_at", {Sh("2024-06-04 10:00"), Sh("2024-06-08 14:10"),
                                 Sh("2024-06-08 15:00"), Sh("2024-06-09 11:00")})
        .Instants("left_at", {Sh("2024-06-04 11:20"), std::nullopt,
                              Sh("2024-06-08 15:40"), Sh("2024-06-09 11:05")})
        .Strings("lead_id", {"L2", std::nullopt, "L3", std::nullopt})
        .Strings("consultant_id", {"D1-C1", "D1-C0", "D2-C0", std::nullopt})
        .Strings("model", {"GLC", "C200", std::nullopt, "E300"})
        .Bools("effective", {true, true, false, std::nullopt});
  }
};

void WriteStates() {
  const Sample s;
  const Policy policy = *Policy::Preset("three_level");
  const Cadence cadence = *Cadence::ForPolicy(policy);
  const Columns& leads = s.leads.columns();
  const Columns& touches = s.touches.columns();
  {
    KpiState plain;
    WriteState(0, "kpi", plain.Add(cadence, leads, touches, nullptr, s.as_of),
               plain.Serialize());
    KpiState grouped({"channel", "month"});
    WriteState(0, "kpi_by_channel_month",
               grouped.Add(cadence, leads, touches, &s.surveys.columns(), s.as_of),
               grouped.Serialize());
  }
  {
    ActivityState state;
    WriteState(1, "activity", state.Add(touches, &leads, s.as_of),
               state.Serialize());
    ActivityState weekly(
        ActivityOptions{.by = {"week"}, .time_zone = "Asia/Shanghai"});
    WriteState(1, "activity_by_week", weekly.Add(touches, nullptr, s.as_of),
               weekly.Serialize());
  }
  {
    AuditState state;
    WriteState(2, "audit", state.Add(cadence, leads, touches, s.as_of),
               state.Serialize());
  }
  for (const auto view : {EffectivenessView::kMethodMix,
                          EffectivenessView::kInterval,
                          EffectivenessView::kAction}) {
    EffectivenessState state(EffectivenessOptions{.view = view});
    WriteState(3, absl::StrCat("effectiveness_", static_cast<int>(view)),
               state.Add(leads, touches, s.as_of), state.Serialize());
  }
  {
    // The history's grade_after values are three_level's: abcd leaves them
    // out (and its notes say so).
    const std::vector<BacktestPolicy> policies = {
        {.name = "current", .cadence = cadence},
        {.name = "proposed",
         .cadence = *Cadence::ForPolicy(*Policy::Preset("abcd"))}};
    BacktestState state({"current", "proposed"}, {"dealer_id"});
    WriteState(8, "backtest_by_dealer",
               state.Add(policies, leads, touches, &s.surveys.columns(),
                         s.as_of),
               state.Serialize());
  }
  {
    LostAnalysisState state;
    WriteState(4, "lost_analysis", state.Add(leads, s.as_of),
               state.Serialize());
    LostAnalysisState by(LostAnalysisOptions{.by = {"channel", "model"}});
    WriteState(4, "lost_analysis_by_channel_model", by.Add(leads, s.as_of),
               by.Serialize());
  }
  {
    const std::vector<std::string> grades(policy.grades().begin(),
                                          policy.grades().end());
    PipelineState pipeline(
        PipelineOptions{.by = {"dealer_id"}, .grades = grades, .at = s.as_of});
    WriteState(5, "pipeline", pipeline.Add(&policy, leads, touches),
               pipeline.Serialize());
    PipelineState migration(PipelineOptions{
        .report = PipelineReport::kGradeMigration,
        .grades = grades,
        .start = Sh("2024-06-01 00:00"),
        .end = s.as_of});
    WriteState(5, "pipeline_migration", migration.Add(&policy, leads, touches),
               migration.Serialize());
    PipelineState monthly(PipelineOptions{.report = PipelineReport::kMonthly,
                                          .grades = grades,
                                          .months = {"2024-05", "2024-06"},
                                          .zone = "Asia/Shanghai"});
    WriteState(5, "pipeline_monthly", monthly.Add(&policy, leads, touches),
               monthly.Serialize());
    PipelineState funnel(PipelineOptions{.report = PipelineReport::kFunnel,
                                         .grades = grades,
                                         .as_of = s.as_of});
    WriteState(5, "pipeline_funnel", funnel.Add(&policy, leads, touches),
               funnel.Serialize());
    PipelineState per_won(PipelineOptions{
        .report = PipelineReport::kTouchesPerWonLead, .as_of = s.as_of});
    WriteState(5, "pipeline_touches_per_won_lead",
               per_won.Add(&policy, leads, touches), per_won.Serialize());
  }
  {
    ProfileState state(ProfileOptions{.by = {"gender"}});
    WriteState(6, "profile", state.Add(leads, s.as_of), state.Serialize());
  }
  {
    ShowroomState state;
    WriteState(7, "showroom", state.Add(s.visits.columns(), &leads, s.as_of),
               state.Serialize());
    ShowroomState by(ShowroomOptions{.by = {"dealer_id"}});
    WriteState(7, "showroom_by_dealer",
               by.Add(s.visits.columns(), nullptr, s.as_of), by.Serialize());
  }
}

// c_api_fuzz: byte 0 picks the call (10 the backtest state, 11 the audit
// state restored with fuzz_internal::kCApiPhoneKey), byte 1 as state_fuzz's.
void WriteCApiState(int kind, absl::string_view name, const absl::Status& added,
                    absl::string_view bytes) {
  if (!added.ok()) {
    std::fprintf(stderr, "%s: %s\n", std::string(name).c_str(),
                 added.ToString().c_str());
    std::exit(1);
  }
  const std::string head(1, static_cast<char>(kind));
  Write("c_api_fuzz", absl::StrCat("state_", name, "_saved"),
        absl::StrCat(head, std::string(1, '\0'), bytes));
  Write("c_api_fuzz", absl::StrCat("state_", name, "_payload"),
        absl::StrCat(head, std::string(1, '\1'), Payload(bytes)));
}

void WriteCApiStates() {
  const Sample s;
  const Cadence cadence = *Cadence::ForPolicy(*Policy::Preset("three_level"));
  const std::vector<BacktestPolicy> policies = {
      {.name = "current", .cadence = cadence},
      {.name = "proposed",
       .cadence = *Cadence::ForPolicy(*Policy::Preset("abcd"))}};
  BacktestState backtest({"current", "proposed"}, {"dealer_id"});
  WriteCApiState(10, "backtest_by_dealer",
                 backtest.Add(policies, s.leads.columns(), s.touches.columns(),
                              &s.surveys.columns(), s.as_of),
                 backtest.Serialize());
  AuditState audit({.phone_key = fuzz_internal::kCApiPhoneKey});
  WriteCApiState(11, "audit_keyed",
                 audit.Add(cadence, s.leads.columns(), s.touches.columns(),
                           s.as_of),
                 audit.Serialize());
}

// router_restore_fuzz: byte 0 is 0 for bytes as saved, 1 for a payload.
void WriteRouter(absl::string_view name, const Router& router) {
  const std::string bytes = *router.Save();
  Write("router_restore_fuzz", absl::StrCat(name, "_saved"),
        absl::StrCat(std::string(1, '\0'), bytes));
  Write("router_restore_fuzz", absl::StrCat(name, "_payload"),
        absl::StrCat(std::string(1, '\1'), Payload(bytes)));
}

void WriteRouters() {
  const Policy policy = *Policy::Preset("three_level");
  Router router(fuzz_internal::FixedNetwork(), policy,
                fuzz_internal::FixedRouterOptions());
  WriteRouter("router_new", router);
  const char* const phones[] = {"13800138000", "+86 138-0013-8000",
                                "13912345678", ""};
  const double lats[] = {31.2, 31.3, 39.9, 31.25};
  const double lons[] = {121.4, 120.6, 116.4, 121.0};
  for (int i = 0; i < 8; ++i) {
    RouteLead lead;
    lead.lead_id = absl::StrCat("L", i);
    lead.created_at = Sh("2024-06-03 09:00") + std::chrono::hours(7 * i);
    lead.phone = phones[i % 4];
    lead.lat = lats[i % 4];
    lead.lon = lons[i % 4];
    lead.model = i % 3 == 0 ? "GLC" : "";
    lead.grade = i % 3;
    if (!router.Route(lead).ok()) std::exit(1);
    if (i == 2) WriteRouter("router_three_leads", router);
  }
  router.AddOpenLead(
      RouteLead{.lead_id = "OPEN1",
                .created_at = Sh("2024-05-01 10:00"),
                .phone = "13700000000"},
      "D3", "D3-C0");
  WriteRouter("router_eight_leads", router);
}

}  // namespace
}  // namespace leadkit

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  leadkit::out_dir = argv[1];
  leadkit::WriteStates();
  leadkit::WriteRouters();
  leadkit::WriteCApiStates();
  return 0;
}
