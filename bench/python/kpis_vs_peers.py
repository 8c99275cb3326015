"""leadkit.kpis against what an analyst would use instead: vectorised pandas (idiomatic, and
tuned numpy), Polars (lazy) and DuckDB (SQL), on the same generated data, checking that all
give the same numbers.

    python bench/python/kpis_vs_peers.py --leads 1000000
        [--threads 1,2] [--only leadkit,pandas,numpy,polars,duckdb]
        [--by none,channel,consultant_id,month] [--seed 7] [--repeat 1] [--data DIR]

The data is ``leadkit.synth.generate(leads=N, touches_per_lead=5, seed=...)`` (the abcd
preset's grades), written once as Parquet (the columns the KPIs read) by a child process.
Then every implementation, thread count and ``by`` runs in a fresh process: it loads the
tables into its own in-memory form (pandas DataFrames for leadkit, pandas and numpy; Polars
DataFrames; DuckDB tables) untimed, then times the KPI call — everything from those tables to
the finished pandas table, including building the calendar table the peers need; the best of
``--repeat`` calls. Peak memory is the growth of the process's resident high-water mark during
the first call (the mark is reset through /proc/self/clear_refs just before it), so runs never
share a peak. A run notices when leadkit is reinstalled while it goes on.

Threads: leadkit ``threads=``, Polars ``POLARS_MAX_THREADS``, DuckDB ``SET threads``; pandas
and numpy run on one thread and are compared with leadkit at threads=1. Each result is
compared with leadkit's at threads=1 (counts and percentiles exactly, rates to 1e-12, groups
and their order exactly); a difference is printed and makes the exit code 1. The peers are in
``peers.py`` beside this file.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ["leadkit", "pandas", "numpy", "polars", "duckdb"]
AS_OF = "2025-11-30 12:00"  # Asia/Shanghai: leaves out December's leads, open leads pending
ZONE = "Asia/Shanghai"
SINGLE = ("pandas", "numpy")  # one thread: compared with leadkit at threads=1


# --- in the worker process -----------------------------------------------------------------

def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def _reset_peak() -> bool:
    """Resets the resident high-water mark (Linux 4.0+); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_growth(run) -> tuple[object, float, int]:
    """(result, seconds, peak resident growth in bytes) of run()."""
    gc.collect()
    if _reset_peak():
        before = _status_kib("VmRSS:")
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        peak = _status_kib("VmHWM:")
    else:  # the growth of the lifetime peak: a lower bound
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, seconds, max(0, peak - before) * 1024


def _load(impl: str, data: Path, threads: int):
    """The tables in the implementation's own in-memory form, and a function of (by, as_of)
    giving the KPI table."""
    sys.path.insert(0, str(HERE))
    import leadkit
    import peers

    policy = leadkit.Policy.preset("abcd")
    files = {name: str(data / f"{name}.parquet") for name in ("leads", "touches", "surveys")}
    if impl in ("leadkit", "pandas", "numpy"):
        import pandas as pd

        leads, touches, surveys = (pd.read_parquet(files[n]) for n in ("leads", "touches",
                                                                         "surveys"))
        if impl == "leadkit":
            return lambda by, as_of: peers.leadkit_kpis(leads, touches, surveys, policy, by,
                                                         as_of, threads)
        kpis = peers.pandas_kpis if impl == "pandas" else peers.numpy_kpis
        return lambda by, as_of: kpis(leads, touches, surveys, policy, by, as_of)
    if impl == "polars":
        import polars as pl

        leads, touches, surveys = (pl.read_parquet(files[n]) for n in ("leads", "touches",
                                                                         "surveys"))
        return lambda by, as_of: peers.polars_kpis(leads, touches, surveys, policy, by, as_of)
    if impl == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads)}")
        for name, path in files.items():
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?)", [path])
        return lambda by, as_of: peers.duckdb_kpis(con, policy, by, as_of)
    raise ValueError(f"--only: unknown implementation {impl!r} ({', '.join(IMPLEMENTATIONS)})")


def worker(args) -> int:
    import pandas as pd

    by = None if args.by == "none" else args.by
    as_of = int(pd.Timestamp(args.as_of, tz=ZONE).timestamp())
    compute = _load(args.worker, Path(args.data), args.threads)
    import pyarrow

    pyarrow.set_cpu_count(args.threads)  # pandas' Arrow-backed strings work on Arrow's pool
    result, seconds, peak = _peak_growth(lambda: compute(by, as_of))
    for _ in range(args.repeat - 1):
        start = time.perf_counter()
        compute(by, as_of)
        seconds = min(seconds, time.perf_counter() - start)
    result.to_pickle(args.result)
    import leadkit

    with open(leadkit._core.__file__, "rb") as fh:  # to notice a reinstall mid-run
        build = hashlib.sha256(fh.read()).hexdigest()
    print(json.dumps({"seconds": seconds, "peak": peak, "build": build}))
    return 0


# --- in the parent -------------------------------------------------------------------------

def _generate(data: Path, leads: int, seed: int) -> None:
    """Writes the tables once (in a child, so the parent stays small); kept for reuse when
    the folder already holds the same sample."""
    marker = data / "sample.json"
    wanted = {"leads": leads, "seed": seed, "touches_per_lead": 5}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing the sample in {data}", file=sys.stderr)
        return
    code = f"""
import sys, time
sys.path.insert(0, {str(HERE)!r})
import leadkit.synth, peers
start = time.perf_counter()
d = leadkit.synth.generate(leads={leads}, touches_per_lead=5, seed={seed})
took = time.perf_counter() - start
d.leads[peers.LEAD_COLUMNS].to_parquet({str(data / 'leads.parquet')!r}, index=False)
d.touches[peers.TOUCH_COLUMNS].to_parquet({str(data / 'touches.parquet')!r}, index=False)
d.surveys[peers.SURVEY_COLUMNS].to_parquet({str(data / 'surveys.parquet')!r}, index=False)
print(f"generated {{len(d.leads):,}} leads, {{len(d.touches):,}} touches, "
      f"{{len(d.surveys):,}} surveys in {{took:.1f}} s", file=sys.stderr)
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    marker.write_text(json.dumps(wanted))


def _run(impl: str, threads: int, by: str, args, data: Path, out: Path) -> dict:
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    result = out / f"{impl}-{threads}-{by}.pkl"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", impl, "--threads",
               str(threads), "--by", by, "--data", str(data), "--result", str(result),
               "--as-of", args.as_of, "--repeat", str(args.repeat)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        how = (f"signal {-done.returncode}" if done.returncode < 0
               else f"exit code {done.returncode}")
        raise SystemExit(f"{impl} threads={threads} by={by} failed ({how}):\n{done.stderr}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    stats["result"] = result
    print(f"  {impl:8} threads={threads} by={by:14} {stats['seconds']:7.2f} s  "
          f"peak +{stats['peak'] / 2**20:,.0f} MiB", file=sys.stderr)
    return stats


def _table(runs: dict, bys: list[str], threads: list[int], impls: list[str]) -> str:
    """The markdown table: time, ratio to leadkit at the same threads, peak growth."""
    lines = ["| by | implementation | threads | time | ÷ leadkit | peak memory growth "
             "| same numbers |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for by in bys:
        for impl in impls:
            for t in ([1] if impl in SINGLE else threads):
                stats = runs.get((impl, t, by))
                if stats is None:
                    continue
                base = runs.get(("leadkit", t, by))
                ratio = (f"{stats['seconds'] / base['seconds']:.1f}×" if base and impl != "leadkit"
                         else "")
                lines.append(f"| {by} | {impl} | {t} | "
                             f"{stats['seconds']:.2f} s | {ratio} | "
                             f"{stats['peak'] / 2**20:,.0f} MiB | {stats['same']} |")
    return "\n".join(lines)


def _pivot(runs: dict, bys: list[str], threads: list[int], impls: list[str]) -> str:
    """The compact table for docs: one row per implementation and thread count, per `by`
    the time and its ratio to leadkit at the same thread count, and the largest peak."""
    lines = ["| implementation | threads | " + " | ".join(f"by {b}" for b in bys)
             + " | peak memory growth |",
             "| --- | --- " + "| --- " * len(bys) + "| --- |"]
    for impl in impls:
        for t in ([1] if impl in SINGLE else threads):
            cells, peaks = [], []
            for by in bys:
                stats, base = runs.get((impl, t, by)), runs.get(("leadkit", t, by))
                if stats is None:
                    cells.append("")
                    continue
                peaks.append(stats["peak"])
                ratio = (f" ({stats['seconds'] / base['seconds']:.1f}×)"
                         if base and impl != "leadkit" else "")
                cells.append(f"{stats['seconds']:.2f} s{ratio}")
            peak = f"{max(peaks) / 2**20:,.0f} MiB" if peaks else ""
            lines.append(f"| {impl} | {t} | " + " | ".join(cells) + f" | {peak} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("--only", default=",".join(IMPLEMENTATIONS),
                        help="implementations, comma-separated")
    parser.add_argument("--by", default="none,channel,consultant_id,month",
                        help="groupings, comma-separated (none = one row)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default=AS_OF, help=f"local time in {ZONE}")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many calls")
    parser.add_argument("--data", help="a folder for the sample (kept; reused when it matches)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)

    impls = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [i for i in impls if i not in IMPLEMENTATIONS]
    if unknown:
        parser.error(f"--only: unknown {unknown} (choose from {', '.join(IMPLEMENTATIONS)})")
    threads = [int(t) for t in args.threads.split(",")]
    bys = [b.strip() for b in args.by.split(",")]
    unknown = [b for b in bys if b not in ("none", "channel", "consultant_id", "month")]
    if unknown:
        parser.error(f"--by: unknown {unknown} (none, channel, consultant_id, month)")
    if args.repeat < 1 or min(threads) < 1:
        parser.error("--repeat and --threads must be 1 or more")

    sys.path.insert(0, str(HERE))
    import pandas as pd
    import peers

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="kpis-vs-peers-"))
    data.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="kpis-vs-peers-results-"))
    try:
        _generate(data, args.leads, args.seed)
        runs: dict = {}
        for by in bys:
            for impl in impls:
                for t in ([1] if impl in SINGLE else threads):
                    runs[(impl, t, by)] = _run(impl, t, by, args, data, out)
        failed = False
        if len({stats["build"] for stats in runs.values()}) > 1:
            failed = True
            print("leadkit was reinstalled during the run: the runs are not comparable",
                  file=sys.stderr)
        for (impl, t, by), stats in runs.items():
            reference = runs.get(("leadkit", 1, by)) or runs.get((impls[0], 1, by))
            if reference is None or reference is stats:
                stats["same"] = "reference"
                continue
            problems = peers.differences(pd.read_pickle(reference["result"]),
                                         pd.read_pickle(stats["result"]),
                                         None if by == "none" else by)
            stats["same"] = "yes" if not problems else "NO"
            for problem in problems:
                failed = True
                print(f"{impl} threads={t} by={by}: {problem}", file=sys.stderr)
        import leadkit

        versions = [f"leadkit {leadkit.__version__}", f"pandas {pd.__version__}"]
        for name in ("polars", "duckdb"):
            if name in impls:
                versions.append(f"{name} {__import__(name).__version__}")
        print(f"\n{args.leads:,} leads (5 touches per lead), seed {args.seed}, as of "
              f"{args.as_of} {ZONE}; {os.cpu_count()} cores; {', '.join(versions)}\n")
        print(_table(runs, bys, threads, impls))
        print("\nper implementation: time (÷ leadkit at the same thread count)\n")
        print(_pivot(runs, bys, threads, impls))
        return 1 if failed else 0
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
