"""leadkit: sales-lead rules for car dealers — classify, route, follow-up cadence and KPIs.

    >>> import leadkit
    >>> policy = leadkit.Policy.preset("three_level")
    >>> policy.classify({"model": "C200", "asked_price": True, "purchase_within_days": 30}).grade
    'high'
"""

from ._calendar import Calendar, CalendarError, CalendarZoneError, CoverageWarning
from ._classify import classify
from ._policy import Classification, Explanation, Issue, Policy, PolicyError, TraceEntry
from ._kpis import KPI_COLUMNS, LEAD_KPI_COLUMNS, Scope, kpis, lead_kpis
from ._routing import Assignment, Router, handover, parse_file_number, reclaim, route
from ._schedule import agenda, schedule
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
from . import testing

__version__ = "0.1.0"

__all__ = [
    "Calendar", "CalendarError", "CalendarZoneError", "Classification", "CoverageWarning",
    "Explanation", "Issue",
    "Assignment", "KPI_COLUMNS", "LEAD_KPI_COLUMNS", "Policy", "PolicyError", "Router", "Scope",
    "TraceEntry", "agenda", "classify", "handover", "kpis", "lead_kpis", "parse_file_number",
    "reclaim", "route",
    "schedule", "testing",
    "AUDIT_FINDINGS", "AuditState", "audit",
    "EffectivenessState", "effectiveness", "effectiveness_finalize", "effectiveness_merge",
    "effectiveness_state",
    "PipelineState", "funnel", "grade_migration", "monthly", "pipeline", "touches_per_won_lead",
    "ActivityState", "ShowroomState", "activity", "activity_finalize", "activity_merge",
    "activity_state", "showroom",
    "showroom_finalize", "showroom_merge", "showroom_state", "LostAnalysisState", "lost_analysis",
    "lost_analysis_finalize", "lost_analysis_merge", "lost_analysis_state", "ProfileState",
    "profile",
    "profile_finalize", "profile_merge", "profile_state", "scorecard",
    "__version__",
]
