"""leadkit: sales-lead rules for car dealers — classify, route, follow-up cadence and KPIs.

    >>> import leadkit
    >>> policy = leadkit.Policy.preset("three_level")
    >>> policy.classify({"model": "C200", "asked_price": True, "purchase_within_days": 30}).grade
    'high'

The documentation is installed with the package: a docstring's ``docs/kpis.md`` is the page
``docs/kpis.md`` in the directory of this package (``pathlib.Path(leadkit.__file__).parent /
"docs"``), the same pages as the source repository's ``docs/``.
"""

from ._calendar import (Calendar, CalendarError, CalendarZoneError, CoverageWarning, set_tz_dir,
                        tz_dir)
from ._classify import classify
from ._learn import LearnedScoring, learn_scoring
from ._policy import Classification, Explanation, Issue, Policy, PolicyError, TraceEntry
from ._routing import Assignment, Router, handover, parse_file_number, reclaim, route
from ._schedule import agenda, next_actions, schedule
from ._scope import Scope
from . import reports
from .reports import *  # noqa: F401,F403  (every report, also at the top)
from .reports import __all__ as _report_names
from . import testing

__version__ = "0.1.0"

__all__ = [
    "Calendar", "CalendarError", "CalendarZoneError", "Classification", "CoverageWarning",
    "Explanation", "Issue", "Assignment", "LearnedScoring", "Policy", "PolicyError", "Router",
    "Scope", "TraceEntry", "agenda", "classify", "handover", "learn_scoring", "next_actions",
    "parse_file_number", "reclaim", "reports", "route", "schedule", "set_tz_dir", "testing",
    "tz_dir", *_report_names,
    "__version__",
]
