"""Every KPI and report of leadkit (docs/kpis.md), each computed by the C++ engine: a function
that returns the report's table, and for each report family a mergeable state class
(``add`` batches, ``merge`` or ``+``, ``to_bytes`` / ``from_bytes``, ``finalize``).

Everything here is also at the top of the package (``leadkit.kpis`` is
``leadkit.reports.kpis``).
"""

from ._kpis import KPI_COLUMNS, LEAD_KPI_COLUMNS, KpiState, kpis, lead_kpis
from ._backtest import BACKTEST_COLUMNS, Backtest, BacktestState, backtest
from ._audit import FINDINGS as AUDIT_FINDINGS, AuditState, audit
from ._effectiveness import (EffectivenessState, effectiveness, effectiveness_finalize,
                             effectiveness_merge, effectiveness_state)
from ._pipeline import (PipelineState, funnel, grade_migration, monthly, pipeline,
                        touches_per_won_lead)
from ._traffic import (ActivityState, ShowroomState, activity, activity_finalize,
                       activity_merge, activity_state, showroom, showroom_finalize,
                       showroom_merge, showroom_state)
from ._breakdowns import (LostAnalysisState, ProfileState, lost_analysis,
                          lost_analysis_finalize, lost_analysis_merge, lost_analysis_state,
                          profile, profile_finalize, profile_merge, profile_state, scorecard)

__all__ = [
    "KPI_COLUMNS", "LEAD_KPI_COLUMNS", "KpiState", "kpis", "lead_kpis",
    "BACKTEST_COLUMNS", "Backtest", "BacktestState", "backtest",
    "AUDIT_FINDINGS", "AuditState", "audit",
    "EffectivenessState", "effectiveness", "effectiveness_finalize", "effectiveness_merge",
    "effectiveness_state",
    "PipelineState", "funnel", "grade_migration", "monthly", "pipeline", "touches_per_won_lead",
    "ActivityState", "ShowroomState", "activity", "activity_finalize", "activity_merge",
    "activity_state", "showroom", "showroom_finalize", "showroom_merge", "showroom_state",
    "LostAnalysisState", "ProfileState", "lost_analysis", "lost_analysis_finalize",
    "lost_analysis_merge", "lost_analysis_state", "profile", "profile_finalize",
    "profile_merge", "profile_state", "scorecard",
]
