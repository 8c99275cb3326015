"""The engine subcommands of the ``leadkit`` command: one table row per engine, one driver.

Each row names the Python function that runs the engine, the tables it takes in order (each
read from a file given by ``--<table>``; required), whether the policy is passed, the options
it passes on as keywords when given (a table given this way is optional), the options it
cannot do without, and one worked example for its ``--help``. The driver reads the tables,
calls the function and writes its table as CSV, JSON (a list of records, one per row) or
Parquet (docs/cli.md).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ._files import write_atomically

FORMATS = ("csv", "json", "parquet")
TABLES = ("leads", "touches", "surveys", "visits", "dealers", "consultants")


class UsageError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 2."""


@dataclass(frozen=True)
class Engine:
    name: str
    help: str
    function: Callable[..., Any]
    tables: tuple[str, ...]
    example: str
    policy: str = "positional"  # or "keyword" (optional), or "none"
    keywords: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    #: option -> the function's keyword, where the two differ
    rename: dict[str, str] = field(default_factory=dict)


def _scorecard(leads, touches, policy, *, by="consultant_id", weights=None, **keywords):
    from .reports import kpis, scorecard

    return scorecard(kpis(leads, touches, policy, by=by, **keywords),
                     policy if weights is None else weights)


def engines() -> list[Engine]:
    import leadkit as lk

    common = ("surveys", "dealers", "as_of", "tz", "scope")
    return [
        Engine("classify", "grade each lead (leadkit.classify)", lk.classify, ("leads",),
               "leadkit classify --leads leads.csv --policy abcd --format json"),
        Engine("route", "assign each lead to a dealer and consultant (leadkit.route)",
               lk.route, ("leads", "dealers", "consultants"),
               "leadkit route --leads leads.csv --dealers dealers.csv "
               "--consultants consultants.csv --policy abcd --out routed.csv"),
        Engine("schedule", "the open follow-up tasks (leadkit.schedule)", lk.schedule,
               ("leads", "touches"),
               "leadkit schedule --leads leads.csv --touches touches.csv --policy abcd "
               "--as-of 2025-12-31T18:00:00+08:00 --format json",
               keywords=("dealers", "as_of", "tz")),
        Engine("agenda", "one day's follow-up tasks (leadkit.agenda)", lk.agenda,
               ("leads", "touches"),
               "leadkit agenda --leads leads.csv --touches touches.csv --policy abcd "
               "--day 2025-12-30 --consultant C0001",
               keywords=("dealers", "tz", "day", "consultant", "dealer"), required=("day",),
               rename={"consultant": "consultant_id", "dealer": "dealer_id"}),
        Engine("next-actions", "each open lead's next action (leadkit.next_actions)",
               lk.next_actions, ("leads", "touches"),
               "leadkit next-actions --leads leads.csv --touches touches.csv --policy abcd "
               "--format json", keywords=("dealers", "as_of", "tz")),
        Engine("kpis", "the KPIs, overall or by a column (leadkit.kpis)", lk.kpis,
               ("leads", "touches"),
               "leadkit kpis --leads leads.csv --touches touches.csv --policy abcd "
               "--by channel --format json", keywords=(*common, "by")),
        Engine("lead-kpis", "the KPI facts of each lead (leadkit.lead_kpis)", lk.lead_kpis,
               ("leads", "touches"),
               "leadkit lead-kpis --leads leads.csv --touches touches.csv --policy abcd "
               "--out lead_kpis.parquet", keywords=("surveys", "dealers", "as_of", "tz")),
        Engine("scorecard", "consultants scored by the policy's weights (leadkit.scorecard)",
               _scorecard, ("leads", "touches"),
               "leadkit scorecard --leads leads.csv --touches touches.csv --policy abcd "
               "--weights conversion_rate=2,first_contact_timeliness_rate=1",
               keywords=(*common, "by", "weights")),
        Engine("funnel", "leads per grade ever in force and sales stage reached "
               "(leadkit.funnel)", lk.funnel, ("leads", "touches"),
               "leadkit funnel --leads leads.csv --touches touches.csv --policy abcd "
               "--format json", keywords=("dealers", "as_of", "tz", "scope", "by")),
        Engine("pipeline", "open leads per grade at an instant (leadkit.pipeline)",
               lk.pipeline, ("leads", "touches"),
               "leadkit pipeline --leads leads.csv --touches touches.csv --policy abcd "
               "--as-of 2025-12-31T18:00:00+08:00",
               keywords=("dealers", "as_of", "tz", "scope", "by"), required=("as_of",),
               rename={"as_of": "at"}),
        Engine("grade-migration", "leads moving between grades in a period "
               "(leadkit.grade_migration)", lk.grade_migration, ("leads", "touches"),
               "leadkit grade-migration --leads leads.csv --touches touches.csv --policy abcd "
               "--start 2025-06-01T00:00:00+08:00 --end 2025-07-01T00:00:00+08:00",
               keywords=("dealers", "tz", "scope", "start", "end"), required=("start", "end")),
        Engine("monthly", "the pipeline month by month (leadkit.monthly)", lk.monthly,
               ("leads", "touches"),
               "leadkit monthly --leads leads.csv --touches touches.csv --policy abcd "
               "--months 2025-10,2025-11,2025-12",
               keywords=("dealers", "tz", "scope", "months"), required=("months",)),
        Engine("touches-per-won-lead", "touches before each win (leadkit.touches_per_won_lead)",
               lk.touches_per_won_lead, ("leads", "touches"),
               "leadkit touches-per-won-lead --leads leads.csv --touches touches.csv",
               policy="none", keywords=("dealers", "as_of", "tz", "scope", "by")),
        Engine("lost", "lost leads by reason and review (leadkit.lost_analysis)",
               lk.lost_analysis, ("leads",),
               "leadkit lost --leads leads.csv --by channel --format json",
               policy="keyword", keywords=("dealers", "as_of", "tz", "scope", "by")),
        Engine("profile", "leads by who they are (leadkit.profile)", lk.profile, ("leads",),
               "leadkit profile --leads leads.csv --by channel", policy="none",
               keywords=("dealers", "as_of", "tz", "scope", "by"), required=("by",)),
        Engine("effectiveness", "which follow-ups win leads (leadkit.effectiveness)",
               lk.effectiveness, ("leads", "touches"),
               "leadkit effectiveness --leads leads.csv --touches touches.csv --view interval",
               policy="keyword", keywords=("dealers", "as_of", "tz", "scope", "view")),
        Engine("activity", "touches per consultant and day (leadkit.activity)", lk.activity,
               ("touches",),
               "leadkit activity --touches touches.csv --leads leads.csv --by consultant_id",
               policy="none", keywords=("leads", "dealers", "as_of", "tz", "scope", "by")),
        Engine("showroom", "showroom visits (leadkit.showroom)", lk.showroom, ("visits",),
               "leadkit showroom --visits visits.csv --by dealer_id --format json",
               policy="none", keywords=("leads", "dealers", "as_of", "tz", "scope", "by")),
        Engine("audit", "records that break the rules (leadkit.audit)", lk.audit,
               ("leads", "touches"),
               "leadkit audit --leads leads.csv --touches touches.csv --policy abcd "
               "--out findings.csv", keywords=("dealers", "as_of", "tz", "scope")),
    ]


#: The options an engine may take beyond the tables: argparse's keywords for each.
OPTIONS: dict[str, dict[str, Any]] = {
    "as_of": dict(help="the instant to report at (ISO 8601; default: the latest in the data)"),
    "tz": dict(help="the zone of naive timestamps"),
    "scope": dict(help="hq, region:ID (needs --dealers) or dealer:ID"),
    "by": dict(help="group by these columns (comma-separated)"),
    "day": dict(help="the local day, YYYY-MM-DD"),
    "consultant": dict(help="only this consultant's tasks"),
    "dealer": dict(help="only this dealer's tasks"),
    "start": dict(help="the period's first instant (ISO 8601)"),
    "end": dict(help="the instant after the period (ISO 8601)"),
    "months": dict(help="months as YYYY-MM, comma-separated"),
    "view": dict(help="method_mix, interval or action"),
    "weights": dict(help="RATE=WEIGHT,... (default: the policy's scorecard section)"),
}


def add_engine_parsers(sub, read_table, resolve_policy, parse_scope) -> None:
    """One subparser per row of :func:`engines`, run by :func:`run_engine`."""
    for engine in engines():
        parser = sub.add_parser(
            engine.name, help=engine.help, description=engine.help,
            epilog=f"example:\n  {engine.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter)
        for table in engine.tables:
            parser.add_argument(f"--{table}", required=True,
                                help=f"{table} CSV or Parquet ('-': standard input)")
        for name in engine.keywords:
            if name in TABLES:
                parser.add_argument(f"--{name}", help=f"{name} CSV or Parquet")
            else:
                parser.add_argument(f"--{name.replace('_', '-')}", dest=name,
                                    required=name in engine.required, **OPTIONS[name])
        if engine.policy != "none":
            parser.add_argument("--policy", required=engine.policy == "positional",
                                help="a preset name or a policy JSON file")
        add_output_options(parser)
        parser.set_defaults(run=lambda args, engine=engine: run_engine(
            engine, args, read_table, resolve_policy, parse_scope))


def add_output_options(parser) -> None:
    parser.add_argument("--format", choices=FORMATS,
                        help="csv, json (a list of records) or parquet; default: by the "
                             "ending of --out, else csv")
    parser.add_argument("--out", help="the file to write ('-' or none: standard output)")


def group_columns(value: str) -> str | list[str]:
    """``--by``'s value as the functions take ``by``: one name, or the comma-separated names."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else parts


def _convert(name: str, value: str, parse_scope) -> Any:
    if name == "scope":
        return parse_scope(value)
    if name == "by":
        return group_columns(value)
    if name == "weights":
        weights = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            rate, _, number = part.partition("=")
            try:
                weights[rate.strip()] = float(number)
            except ValueError:
                raise UsageError(f"--weights: expected RATE=WEIGHT, got {part!r}") from None
        return weights
    if name == "months":
        return [p.strip() for p in value.split(",") if p.strip()]
    if name == "day":
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"--day: expected YYYY-MM-DD, got {value!r}") from None
    return value


def run_engine(engine: Engine, args, read_table, resolve_policy, parse_scope) -> int:
    if sum(getattr(args, t, None) == "-" for t in TABLES) > 1:
        raise UsageError("only one table can be read from standard input ('-')")
    policy = resolve_policy(args.policy) if getattr(args, "policy", None) else None
    positional: list[Any] = [read_table(getattr(args, t), t) for t in engine.tables]
    keywords: dict[str, Any] = {}
    if engine.policy == "positional":
        positional.append(policy)
    elif policy is not None:
        keywords["policy"] = policy
    for name in engine.keywords:
        value = getattr(args, name, None)
        if value is None:
            continue
        keyword = engine.rename.get(name, name)
        keywords[keyword] = (read_table(value, name) if name in TABLES
                             else _convert(name, value, parse_scope))
    result = engine.function(*positional, **keywords)
    if isinstance(result, tuple):  # (table, errors): the table is the answer
        result = result[0]
    write_table(result, args.format, args.out)
    return 0


def output_format(fmt: str | None, out: str | None) -> str:
    if fmt:
        return fmt
    if out and out != "-":
        ending = os.path.splitext(out)[1].lower()
        if ending in (".json", ".parquet", ".pq"):
            return "json" if ending == ".json" else "parquet"
    return "csv"


def plain(value: Any) -> Any:
    """A cell as JSON has it: instants as ISO 8601 text with their offset, missing values as
    null, numpy scalars and arrays as numbers and lists."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [str(c) for c in frame.columns]
    return [{c: plain(v) for c, v in zip(columns, row)}
            for row in frame.itertuples(index=False, name=None)]


def write_table(frame: pd.DataFrame, fmt: str | None, out: str | None) -> None:
    """`frame` as CSV, JSON records or Parquet, to `out` or standard output."""
    fmt = output_format(fmt, out)
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data: bytes | str = buffer.getvalue()
    elif fmt == "json":
        data = json.dumps(records(frame), ensure_ascii=False) + "\n"
    else:
        data = frame.to_csv(index=False)
    write_output(data, out)


def write_output(data: bytes | str, out: str | None) -> None:
    if out is None or out == "-":
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
        return
    write_atomically(out, data)
