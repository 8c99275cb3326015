"""The ``leadkit`` command (also ``python -m leadkit``).

    leadkit demo                         classify the bundled sample under every preset, then
                                         generate data, route, schedule, KPIs, report
    leadkit classify|route|schedule|agenda|kpis|funnel|pipeline|lost|... --leads F ...
                                         one subcommand per engine (leadkit._commands):
                                         its table as CSV, JSON records or Parquet
    leadkit calendar show CAL --year Y   each day: open or closed, and the hours
    leadkit policy check POLICY          every issue of a policy document; exit 1 on errors
    leadkit policy show POLICY           the canonical document
    leadkit policy test POLICY CASES     golden cases; exit 0 all pass, 1 failures, 2 bad input
    leadkit policy diff OLD NEW LEADS    what changing OLD into NEW does to the leads' grades
    leadkit policy backtest --leads F --touches F POLICY... --out backtest.html [--json F]
                                         the history replayed under each policy
    leadkit synth --leads N --out DIR    realistic sample tables (CSV or Parquet)
    leadkit report --leads F --touches F --policy P --out report.html [--json F] ...
                                         KPIs, tables, overdue follow-ups and charts
    leadkit presets                      the preset names

A user mistake (a missing file, a bad column, a policy with errors) prints a message and exits
with status 2 (1 for ``policy check`` finding errors); it never prints a traceback. Ctrl-C
prints one line and exits with status 130 (128 + SIGINT, as shells report it). Files written
get the permissions the user's umask gives (0644 under umask 022).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections import Counter
from importlib import resources
from typing import Any

import pandas as pd

from . import _core, _frames, _messages, testing
from ._classify import classify
from ._policy import Policy, PolicyError


from ._commands import (UsageError, add_engine_parsers, add_output_options, group_columns,
                        write_table)


def sample_path(name: str = "sample_leads.csv") -> str:
    return str(resources.files("leadkit") / "data" / name)


#: Columns of docs/data.md's tables that hold text: a CSV's are read as text, never guessed as
#: numbers (a phone read as an integer loses its form; an id "007" its zeros).
TEXT_COLUMNS = frozenset(
    {name for name, spec in _frames.LEAD_FIELDS.items() if spec[0] == "string"}
    | {"region_id", "city", "calendar", "code", "visit_id", "method", "grade_after",
       "content", "models"})


def read_table(path: str, table: str) -> pd.DataFrame:
    """Reads CSV or Parquet by the file's ending; ``-`` is standard input (Parquet when it
    starts with Parquet's magic bytes, else CSV). CSV has no types: the text columns of
    docs/data.md (TEXT_COLUMNS) are read as text; number columns of the leads table that
    pandas read as text are parsed here, and the first value that is not a number is reported
    by its row's id."""
    source: Any = path
    if path == "-":
        data = sys.stdin.buffer.read()
        if data[:4] == b"PAR1":
            return pd.read_parquet(io.BytesIO(data))
        source, path = data, "standard input"
    elif not os.path.exists(path):
        raise UsageError(f"{table}: no such file: {path}")
    elif path.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    try:
        header = pd.read_csv(_stream(source), nrows=0).columns
        frame = pd.read_csv(_stream(source), keep_default_na=True,
                            dtype={c: str for c in header if c in TEXT_COLUMNS})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise UsageError(f"{table}: cannot read {path} as CSV: {str(e).splitlines()[0]}")
    if len(frame.columns) == 1 and any(sep in str(frame.columns[0]) for sep in ";\t|"):
        raise UsageError(f"{table}: {path} has one column {str(frame.columns[0])[:60]!r}; "
                         "expected comma-separated columns")
    labels = _frames.RowLabels(frame, "lead_id")
    for column in frame.columns:
        if _is_instant_column(column) and (frame[column].dtype == object
                                           or pd.api.types.is_string_dtype(frame[column])):
            frame[column] = _parse_instants(frame[column], path, table, column, labels)
        kind = _frames.LEAD_FIELDS.get(column, ("", False, False))[0]
        if kind != "number" or frame[column].dtype.kind in "iuf":
            continue
        parsed = pd.to_numeric(frame[column], errors="coerce")
        bad = (parsed.isna() & frame[column].notna()).to_numpy()
        if bad.any():
            position = int(bad.argmax())
            raise UsageError(
                f"{os.path.basename(path)}: {table}.{column}: {labels(position)} has "
                f"{_frames.show(column, frame[column].iloc[position])}; expected a number"
            )
        frame[column] = parsed
    return frame


def _stream(source):
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _is_instant_column(column: str) -> bool:
    kind = _frames.LEAD_FIELDS.get(column, ("", False, False))[0]
    return kind == "instant" or column == "at" or column.endswith("_at")


def _parse_instants(values: pd.Series, path: str, table: str, column: str, labels):
    """ISO timestamps from CSV text. All with an offset: instants (offsets may differ). All
    without: naive wall times (the engines then need --tz). A mix of both, or text that is no
    timestamp, is an error naming the row."""
    present = values.dropna().astype(str)
    if present.empty:
        return pd.to_datetime(values, utc=True)
    aware = present.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    name = os.path.basename(path)
    if aware.any() and not aware.all():
        # The first value whose kind (with or without an offset) differs from the first's.
        position = values.index.get_loc(aware.index[(aware != aware.iloc[0]).to_numpy()][0])
        raise UsageError(
            f"{name}: {table}.{column}: {labels(position)} has {values.iloc[position]!r}, but "
            f"{values.loc[present.index[0]]!r} came before: mixed time zones (give every "
            "timestamp an offset, or none and pass --tz)")
    parsed = pd.to_datetime(values, utc=bool(aware.all()), format="ISO8601", errors="coerce")
    bad = (parsed.isna() & values.notna()).to_numpy()
    if bad.any():
        position = int(bad.argmax())
        raise UsageError(f"{name}: {table}.{column}: {labels(position)} has "
                         f"{values.iloc[position]!r}; expected an ISO timestamp")
    return parsed


def resolve_policy(spec: str) -> Policy:
    """A preset name or a path to a policy document."""
    if spec in Policy.presets():
        return Policy.preset(spec)
    if not os.path.exists(spec):
        raise UsageError(
            f'policy: "{spec}" is neither a preset ({", ".join(Policy.presets())}) nor a file'
        )
    return Policy.load(spec)


def _masked(field: str, value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    return _core.mask_value(field, _frames.printable(str(value)))


def _lead_dict(row: pd.Series, fields) -> dict:
    out = {}
    for field in fields:
        if field in row.index and not pd.isna(row[field]):
            value = row[field]
            out[field] = value.item() if hasattr(value, "item") else value
    return out


def cmd_demo(args) -> int:
    path = args.data or sample_path()
    leads = read_table(path, "leads")
    out = sys.stdout
    out.write(f"leadkit {__import__('leadkit').__version__}: classifying {len(leads)} leads "
              f"from {os.path.basename(path)} under each preset\n")
    for name in Policy.presets():
        policy = Policy.preset(name)
        graded = classify(leads, policy)
        out.write(f"\n== {name}: {policy.description}\n")
        out.write(f"{'lead':<6} {'name':<6} {'phone':<12} {'grade':<7} {'rule':<8} reasons\n")
        for position, row in leads.iterrows():
            explained = policy.classify(_lead_dict(row, policy.fields))
            # The batch and single-lead paths are one engine; the demo shows both agree.
            assert explained.grade == graded["grade"].iloc[position]
            out.write(
                f"{row['lead_id']:<6} {_masked('name', row.get('name')):<6} "
                f"{_masked('phone', row.get('phone')):<12} {explained.grade:<7} "
                f"{explained.rule:<8} {'; '.join(explained.reasons)}\n"
            )
        counts = Counter(graded["grade"])
        summary = ", ".join(f"{g}: {counts.get(g, 0)}" for g in policy.grades)
        out.write(f"-- leads per grade: {summary}\n")
    if args.leads > 0:
        _demo_pipeline(args, out)
    return 0


def _demo_pipeline(args, out) -> None:
    """Generated data through every engine: classify, route, schedule, KPIs, report."""
    import leadkit
    from . import report, synth

    policy = Policy.preset("abcd")
    out.write(f"\n== the whole job on {args.leads:,} generated leads (policy abcd)\n")
    data = synth.generate(leads=args.leads, seed=args.seed)
    graded = classify(data.leads, policy)
    counts = Counter(graded["grade"])
    out.write("grades at creation: "
              + ", ".join(f"{g}: {counts.get(g, 0):,}" for g in policy.grades) + "\n")
    fresh = data.leads.drop(columns=["dealer_id", "consultant_id", "assigned_at"])
    routed = leadkit.route(fresh, data.dealers, data.consultants, policy)
    statuses = Counter(routed["status"])
    out.write("routing: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items())) + "\n")
    built = report.build(data.leads, data.touches, policy, surveys=data.surveys,
                         visits=data.visits, dealers=data.dealers, progress=sys.stderr,
                         lang=_messages.language())
    out.write(f"open follow-up tasks overdue at {built.as_of:%Y-%m-%d %H:%M}: "
              f"{built.overdue_total:,}\n\n")
    channel = built.tables["channel"]
    out.write(f"{'channel':<16}{'leads':>8}{'won':>7}{'conv':>8}{'1st contact':>13}"
              f"{'timely':>8}\n")
    for row in channel.itertuples(index=False):
        out.write(f"{str(row.channel):<16}{row.leads:>8,}{row.won:>7,}"
                  f"{row.conversion_rate:>8.1%}{row.first_contact_timeliness_rate:>13.1%}"
                  f"{row.timeliness_rate:>8.1%}\n")
    head = built.headline.iloc[0]
    out.write(f"{'all':<16}{int(head['leads']):>8,}{int(head['won']):>7,}{head['conversion_rate']:>8.1%}"
              f"{head['first_contact_timeliness_rate']:>13.1%}{head['timeliness_rate']:>8.1%}\n")
    folder = args.out
    built.write_html(os.path.join(folder, "report.html"))
    built.write_json(os.path.join(folder, "report.json"))
    out.write(f"\nwrote {os.path.join(folder, 'report.html')} and report.json\n")


def cmd_policy_check(args) -> int:
    try:
        policy = resolve_policy(args.policy)
        issues, status = list(policy.warnings), 0
    except PolicyError as e:
        issues, status = list(e.issues), 1
    if args.format == "json":
        rows = [{"severity": i.severity, "path": i.path, "rule": i.rule, "message": i.message}
                for i in issues]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return status
    for issue in issues:
        print(issue)
    errors = sum(1 for i in issues if i.severity == "error")
    print(f"{errors} error(s), {len(issues) - errors} warning(s)")
    return status


def calendar_days(calendar, year: int) -> pd.DataFrame:
    """A row per local day of `year` on `calendar` (a leadkit.Calendar): ``date``, ``open``
    (the day has open hours: the calendar's ``is_workday``), ``hours`` (its open spans as
    ``HH:MM-HH:MM``, ``;``-joined) and ``open_minutes``. The spans are the calendar's own
    answers: each starts at its ``next_open`` and ends where ``business_between`` stops
    counting every second as open."""
    import datetime as dt

    zone, utc = _frames.zone_info(calendar.time_zone), dt.timezone.utc
    rows = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        # Arithmetic on UTC times: the difference of two times in one zone is their wall
        # clocks', an hour off across a change of daylight saving time.
        start = dt.datetime.combine(day, dt.time(), zone).astimezone(utc)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(utc)
        # Every question stays inside the day (up to its last second), so the last day a
        # calendar covers is answered without asking about the day after.
        last = end - dt.timedelta(seconds=1)
        spans = []
        cursor = start
        while calendar.business_between(cursor, last) > dt.timedelta(0):
            opened = calendar.next_open(cursor).astimezone(utc)
            low, high = opened, last  # open through low
            if calendar.business_between(opened, last) == last - opened:
                low = high
            while (high - low).total_seconds() > 1:
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if calendar.business_between(opened, middle) == middle - opened:
                    low = middle
                else:
                    high = middle
            closed = end if low == last else low
            until = "24:00" if closed >= end else f"{closed.astimezone(zone):%H:%M}"
            spans.append(f"{opened.astimezone(zone):%H:%M}-{until}")
            if closed >= end:
                break
            cursor = closed
        seconds = calendar.business_between(start, last).total_seconds()
        minutes = int((seconds + calendar.is_open(last)) // 60)
        rows.append({"date": day.isoformat(), "open": calendar.is_workday(day),
                     "hours": ";".join(spans), "open_minutes": minutes})
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=["date", "open", "hours", "open_minutes"])


def cmd_calendar_show(args) -> int:
    from ._calendar import Calendar

    spec = args.calendar
    if spec in Calendar.presets():
        calendar = Calendar.preset(spec)
    elif os.path.exists(spec):
        calendar = Calendar.load(spec)
    else:
        raise UsageError(f'calendar: "{spec}" is neither a preset '
                         f'({", ".join(Calendar.presets())}) nor a file')
    try:
        days = calendar_days(calendar, args.year)
    except OverflowError as e:  # a year past the coverage of a calendar that refuses it
        raise UsageError(f"calendar {calendar.name}: {e}") from None
    if args.format is None and (args.out is None or args.out == "-"):
        for row in days.itertuples(index=False):
            state = "open" if row.open else "closed"
            sys.stdout.write(f"{row.date} {state:<6} {row.hours}\n".rstrip() + "\n")
        return 0
    write_table(days, args.format, args.out)
    return 0


def cmd_policy_show(args) -> int:
    sys.stdout.write(resolve_policy(args.policy).to_json())
    return 0


def cmd_policy_test(args) -> int:
    report = testing.run_cases(resolve_policy(args.policy), args.cases)
    print(report.format())
    return 0 if report.ok else 1


def cmd_policy_diff(args) -> int:
    old, new = resolve_policy(args.old), resolve_policy(args.new)
    print(testing.diff(old, new, read_table(args.leads, "leads")).format(args.examples))
    return 0


def _policy_name(spec: str) -> str:
    """A policy's name in a backtest: a preset's name, a file's name without its extension."""
    return spec if spec in Policy.presets() else os.path.splitext(os.path.basename(spec))[0]


def _grade_maps(specs: list[str], names: list[str]) -> dict | None:
    maps = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise UsageError(f'--grade-map: expected NAME=FILE.json, got "{spec}"')
        if name not in names:
            raise UsageError(f'--grade-map: "{name}" is not one of the policies '
                             f"({', '.join(names)})")
        with open(path, encoding="utf-8") as f:
            try:
                maps[name] = json.load(f)
            except json.JSONDecodeError as e:
                raise UsageError(f"--grade-map {path}: not JSON ({e})") from None
    return maps or None


def cmd_policy_backtest(args) -> int:
    from .reports import backtest

    if not args.out.endswith((".html", ".htm")):
        raise UsageError(f"--out: expected a .html file, got {args.out}")
    names = [_policy_name(spec) for spec in args.policies]
    twice = [name for name, n in Counter(names).items() if n > 1]
    if twice:
        raise UsageError(f'policies: two are named "{twice[0]}"; give files distinct names')
    policies = {name: resolve_policy(spec) for name, spec in zip(names, args.policies)}
    result = backtest(read_table(args.leads, "leads"), read_table(args.touches, "touches"),
                      policies, as_of=args.as_of, tz=args.tz,
                      grade_map=_grade_maps(args.grade_map, names),
                      by=group_columns(args.by) if args.by else None,
                      surveys=_read_optional(args.surveys, "surveys"),
                      dealers=_read_optional(args.dealers, "dealers"))
    from ._files import write_atomically

    write_atomically(args.out, result.to_html())
    if args.json:
        write_atomically(args.json, result.to_json(indent=2))
    print(f"wrote {args.out}" + (f" and {args.json}" if args.json else ""))
    return 0


def add_backtest_parser(pol_sub) -> None:
    """``leadkit policy backtest`` (docs/backtest.md)."""
    bt = pol_sub.add_parser(
        "backtest", help="the history replayed under each policy",
        **_example("leadkit policy backtest abcd oabc --leads leads.csv --touches touches.csv "
                   "--out backtest.html --json backtest.json"))
    bt.add_argument("policies", nargs="+", help="presets or policy files (first: current)")
    bt.add_argument("--leads", required=True, help="leads CSV or Parquet")
    bt.add_argument("--touches", required=True, help="touches CSV or Parquet")
    bt.add_argument("--surveys")
    bt.add_argument("--dealers", help="each dealer's calendar, when the policies name some")
    bt.add_argument("--grade-map", action="append", default=[], metavar="NAME=FILE",
                    help="a JSON object mapping the history's grades to policy NAME's")
    bt.add_argument("--as-of", help="the instant judged at (default: the latest in the data)")
    bt.add_argument("--tz", help="the zone of naive timestamps")
    bt.add_argument("--by", help="one summary row per group and policy: these columns "
                                 "(comma-separated), as leadkit kpis --by")
    bt.add_argument("--out", required=True, help="the HTML file to write")
    bt.add_argument("--json", help="also write the numbers as JSON here")
    bt.set_defaults(run=cmd_policy_backtest)


def cmd_policy_learn(args) -> int:
    from ._files import write_atomically
    from ._learn import learn_scoring

    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    result = learn_scoring(read_table(args.leads, "leads"), as_of=args.as_of, tz=args.tz,
                           base=resolve_policy(args.base), fields=fields,
                           min_outcomes=args.min_outcomes, holdout_months=args.holdout_months,
                           on_insufficient=args.on_insufficient)
    write_atomically(args.out, result.policy.to_json())
    if args.report:
        write_atomically(args.report, result.report_json())
    written = f"wrote {args.out}" + (f" and {args.report}" if args.report else "")
    if result.reason is not None:
        print(f"{written}: the base policy unchanged ({result.reason})")
        return 0
    auc = result.report["auc"]
    print(f"{written}: held-out AUC {auc['learned']:.3f} (hand-written grades "
          f"{auc['hand_written']:.3f}); fields: {', '.join(result.fields)}")
    return 0


def add_learn_parser(pol_sub) -> None:
    """``leadkit policy learn`` (docs/scoring.md)."""
    le = pol_sub.add_parser(
        "learn", help="learn scoring points from history, written as a policy",
        **_example("leadkit policy learn --leads leads.csv --base abcd --on-insufficient base "
                   "--out learned.json --report report.json"))
    le.add_argument("--leads", required=True, help="leads CSV or Parquet")
    le.add_argument("--base", required=True, help="the preset or policy file to start from")
    le.add_argument("--as-of", help="the instant outcomes are judged at (default: the latest)")
    le.add_argument("--tz", help="the zone of naive timestamps")
    le.add_argument("--fields", help="comma-separated lead fields to learn from")
    le.add_argument("--min-outcomes", type=int, default=200,
                    help="won leads the training months need (default 200)")
    le.add_argument("--holdout-months", type=int, default=3,
                    help="the latest months held out to validate on (default 3)")
    le.add_argument("--on-insufficient", choices=["raise", "base"], default="raise",
                    help="too little history or no gain: fail (default) or write the base "
                         "policy unchanged and say why")
    le.add_argument("--out", required=True, help="the learned policy JSON to write")
    le.add_argument("--report", help="also write the held-out report as JSON here")
    le.set_defaults(run=cmd_policy_learn)


def cmd_synth(args) -> int:
    from . import synth

    grades = tuple(resolve_policy(args.policy).grades) if args.policy else ("A", "B", "C", "D")
    driver = None
    if args.driver:
        field, sep, value = args.driver.partition("=")
        if not sep or not field or not value:
            raise UsageError(f'--driver: expected FIELD=VALUE, got "{args.driver}"')
        driver = (field, {"true": True, "false": False}.get(value, value)
                  if field in synth.DRIVER_FIELDS[-3:] else value)
    data = synth.generate(leads=args.leads, dealers=args.dealers, seed=args.seed, grades=grades,
                          touches_per_lead=args.touches_per_lead, driver=driver,
                          driver_share=args.driver_share)
    os.makedirs(args.out, exist_ok=True)
    for name, frame in data.tables().items():
        path = os.path.join(args.out, f"{name}.{args.format}")
        if args.format == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        print(f"wrote {len(frame):,} rows to {path}")
    return 0


def _read_optional(path, table):
    return read_table(path, table) if path else None


def parse_scope(spec: str | None):
    from ._scope import Scope

    if spec is None:
        return None
    kind, _, ident = spec.partition(":")
    if kind == "hq" and not ident:
        return Scope.hq()
    if kind in ("region", "dealer") and ident:
        return Scope(kind, ident)
    raise UsageError(f'--scope: expected hq, region:ID or dealer:ID, got "{spec}"')


def cmd_report(args) -> int:
    from . import report

    policy = resolve_policy(args.policy)
    scope = parse_scope(args.scope)
    if args.out != "-" and not args.out.endswith((".html", ".htm")):
        raise UsageError(f"--out: expected a .html file (or - for standard output), "
                         f"got {args.out}")
    lang = args.lang or _messages.language()
    leads = read_table(args.leads, "leads")
    touches = read_table(args.touches, "touches")
    surveys = _read_optional(args.surveys, "surveys")
    visits = _read_optional(args.visits, "visits")
    dealers = _read_optional(args.dealers, "dealers")
    _read_optional(args.consultants, "consultants")
    built = report.build(leads, touches, policy, surveys=surveys, visits=visits,
                         dealers=dealers, as_of=args.as_of, tz=args.tz, scope=scope,
                         progress=None if args.quiet else sys.stderr, lang=lang,
                         overdue_since=args.overdue_since)
    if args.json:
        built.write_json(args.json)
    if args.out == "-":
        sys.stdout.write(built.html())
        return 0
    built.write_html(args.out)
    print(f"wrote {args.out}" + (f" and {args.json}" if args.json else ""))
    return 0


def cmd_presets(args) -> int:
    for name in Policy.presets():
        print(f"{name}: {Policy.preset(name).description}")
    return 0


def _example(command: str) -> dict:
    """The keywords of add_parser that end a subcommand's --help with a worked example."""
    return dict(epilog=f"example:\n  {command}",
                formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadkit", description="Sales-lead rules for car dealers.")
    parser.add_argument("--version", action="version",
                        version=f"leadkit {__import__('leadkit').__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="classify the bundled sample leads under every preset",
                          **_example("leadkit demo --leads 0"))
    demo.add_argument("--data", help="a leads CSV or Parquet file instead of the bundled sample")
    demo.add_argument("--leads", type=int, default=20_000,
                      help="generated leads for the whole job (0: only the bundled sample)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", default="leadkit-demo", help="folder for report.html and .json")
    demo.set_defaults(run=cmd_demo)

    add_engine_parsers(sub, read_table, resolve_policy, parse_scope)

    pol = sub.add_parser("policy", help="work with policy documents")
    pol_sub = pol.add_subparsers(dest="policy_command", required=True)
    check = pol_sub.add_parser("check", help="print every issue; exit 1 on errors",
                               **_example("leadkit policy check abcd --format json"))
    check.add_argument("policy")
    check.add_argument("--format", choices=["text", "json"], default="text",
                       help="json: the issues as a list of records")
    check.set_defaults(run=cmd_policy_check)
    show = pol_sub.add_parser("show", help="print the canonical document",
                              **_example("leadkit policy show three_level"))
    show.add_argument("policy")
    show.set_defaults(run=cmd_policy_show)

    test = pol_sub.add_parser("test", help="run golden cases; exit 1 when any fails",
                              **_example("leadkit policy test abcd abcd_cases.json"))
    test.add_argument("policy")
    test.add_argument("cases", help="a JSON list of {name, lead, grade, rule}")
    test.set_defaults(run=cmd_policy_test)
    diff = pol_sub.add_parser("diff", help="the grade changes a new policy would make",
                              **_example("leadkit policy diff abcd oabc leads.csv"))
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("leads", help="leads CSV or Parquet")
    diff.add_argument("--examples", type=int, default=3, help="example leads per change")
    diff.set_defaults(run=cmd_policy_diff)
    add_backtest_parser(pol_sub)
    add_learn_parser(pol_sub)

    syn = sub.add_parser("synth", help="write realistic sample tables (leadkit.synth)",
                         **_example("leadkit synth --leads 1000 --format parquet --out data"))
    syn.add_argument("--leads", type=int, default=10_000)
    syn.add_argument("--dealers", type=int, default=20)
    syn.add_argument("--seed", type=int, default=0)
    syn.add_argument("--policy", help="a preset or policy file whose grades touches record")
    syn.add_argument("--touches-per-lead", type=float, metavar="X",
                     help="average touches per lead (default: about 2.4)")
    syn.add_argument("--driver", metavar="FIELD=VALUE",
                     help="plant a known driver of winning (e.g. occupation=pilot)")
    syn.add_argument("--driver-share", type=float, default=0.5,
                     help="the share of won leads given the driver's value (default 0.5)")
    syn.add_argument("--format", choices=["csv", "parquet"], default="csv")
    syn.add_argument("--out", required=True, help="a folder for the tables")
    syn.set_defaults(run=cmd_synth)

    rep = sub.add_parser(
        "report", help="KPIs, breakdowns, overdue follow-ups and charts as HTML",
        epilog="example:\n  leadkit report --leads leads.csv --touches touches.csv "
               "--visits visits.csv --policy abcd --lang zh --overdue-since 30d "
               "--out report.html --quiet",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("--leads", required=True, help="leads CSV or Parquet")
    rep.add_argument("--touches", required=True, help="touches CSV or Parquet")
    rep.add_argument("--surveys")
    rep.add_argument("--visits")
    rep.add_argument("--dealers", help="needed for --scope region:ID")
    rep.add_argument("--consultants")
    rep.add_argument("--policy", required=True, help="a preset name or a policy JSON file")
    rep.add_argument("--as-of", help="the report's instant (default: the latest in the data)")
    rep.add_argument("--tz", help="the zone of naive timestamps")
    rep.add_argument("--scope", help="hq, region:ID or dealer:ID")
    rep.add_argument("--out", required=True, help="the HTML file to write (-: standard output)")
    rep.add_argument("--lang", choices=list(_messages.LANGUAGES),
                     help="the report's language (default: zh when LC_ALL, else LANG, "
                          "starts with zh; else en)")
    rep.add_argument("--overdue-since", metavar="WHEN",
                     help="list the overdue tasks due since WHEN: a duration back from "
                          "--as-of (30d, 12h, 2w) or an ISO time")
    rep.add_argument("--json", help="also write the numbers as JSON here")
    rep.add_argument("--quiet", action="store_true", help="no step lines on standard error")
    rep.set_defaults(run=cmd_report)

    cal = sub.add_parser("calendar", help="work with business calendars")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    cal_show = cal_sub.add_parser(
        "show", help="each day of a year: open or closed, and the hours",
        epilog="example:\n  leadkit calendar show cn_office --year 2026 --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cal_show.add_argument("calendar", help="a preset name or a calendar JSON file")
    cal_show.add_argument("--year", type=int, required=True)
    add_output_options(cal_show)
    cal_show.set_defaults(run=cmd_calendar_show)

    presets = sub.add_parser("presets", help="list the preset policies",
                             **_example("leadkit presets"))
    presets.set_defaults(run=cmd_presets)
    return parser


EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except KeyboardInterrupt:
        # Ctrl-C: the user stopped the run; one line, no traceback, the shell's status.
        print("leadkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``leadkit demo | head``): not an error of ours.
        sys.stderr.close()
        return 0
    except (UsageError, PolicyError, ValueError, KeyError, OSError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"leadkit: {message}", file=sys.stderr)
        return 2
