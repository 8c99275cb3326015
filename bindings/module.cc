#include "bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "leadkit's C++ core. Use the leadkit package, not this module.";
  leadkit::python::RegisterStatus(m);
  leadkit::python::RegisterColumns(m);
  leadkit::python::RegisterPolicy(m);
  leadkit::python::RegisterClassify(m);
  leadkit::python::RegisterCalendar(m);
  leadkit::python::RegisterCadence(m);
  leadkit::python::RegisterPlaybook(m);
  leadkit::python::RegisterKpi(m);
  leadkit::python::RegisterBacktest(m);
  leadkit::python::RegisterAudit(m);
  leadkit::python::RegisterShowroom(m);
  leadkit::python::RegisterActivity(m);
  leadkit::python::RegisterEffectiveness(m);
  leadkit::python::RegisterPipeline(m);
  leadkit::python::RegisterRouting(m);
  leadkit::python::RegisterScope(m);
  leadkit::python::RegisterLostAnalysis(m);
  leadkit::python::RegisterProfile(m);
  leadkit::python::RegisterScorecard(m);
  leadkit::python::RegisterScoreReport(m);
  leadkit::python::RegisterArrow(m);
}
