"""leadkit.dask gives exactly the tables of one process: every report under every preset, over
several partition counts and orders (the synchronous scheduler), and on a local cluster of two
worker processes without a warning."""

import functools
import logging
import os
import sys
import types

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

import leadkit  # noqa: E402
import leadkit.dask as ld  # noqa: E402
from leadkit import Policy, Scope  # noqa: E402

import surface  # noqa: E402
from test_kpis import RANDOM_AS_OF, example, random_inputs  # noqa: E402

OABC = Policy.preset("oabc")

# Functions of this module run on the workers too: ship them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def assert_same_table(got, expected):
    """The same table; group keys in the Dask frames' dtype (Dask reads text as Arrow
    strings) rather than the pandas frames'."""
    keys = {name: got[name].dtype for name in got.columns
            if got[name].dtype != expected[name].dtype}
    pd.testing.assert_frame_equal(got, expected.astype(keys))


@pytest.fixture
def sync():
    """Tasks run one after the other in this process."""
    with dask.config.set(scheduler="synchronous"):
        yield


#: The scheduler's HTTP server on a free port: without a dashboard it still takes 8787, and a
#: second cluster on the machine then fails to start.
FREE_PORT = ":0"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=FREE_PORT, silence_logs=50)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    return random_inputs(7, n=300)


@pytest.mark.parametrize("lead_parts, touch_parts, survey_parts", [(1, 1, 1), (3, 7, 2), (8, 3, 5)])
@pytest.mark.parametrize("by", [None, "channel", ["month", "current_grade"]])
def test_kpis_equal_the_single_process_numbers(sync, data, lead_parts, touch_parts,
                                               survey_parts, by):
    leads, touches, surveys = data
    # Touches and surveys shuffled first, so that a lead's touches sit in other partitions.
    touches = touches.sample(frac=1, random_state=1)
    surveys = surveys.sample(frac=1, random_state=2)
    expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, by=by, as_of=RANDOM_AS_OF)
    got = ld.kpis(dd.from_pandas(leads, npartitions=lead_parts),
                  dd.from_pandas(touches, npartitions=touch_parts), OABC,
                  surveys=dd.from_pandas(surveys, npartitions=survey_parts), by=by,
                  as_of=RANDOM_AS_OF, split_every=2)
    assert_same_table(got, expected)


def test_empty_partitions_and_the_default_as_of(sync, data):
    leads, touches, surveys = data
    lead_frame = dd.from_pandas(leads, npartitions=6)
    # Filtering leaves some partitions without rows.
    few = lead_frame[lead_frame["lead_id"].isin(["L1", "L2", "L250"])]
    keep = touches[touches["lead_id"].isin(["L1", "L2", "L250"])]
    expected = leadkit.kpis(few.compute(), keep, OABC)
    got = ld.kpis(few, dd.from_pandas(keep, npartitions=4), OABC)
    assert_same_table(got, expected)


def test_scopes_and_dealers(sync):
    leads, touches, surveys, dealers = example()
    for scope in [Scope.hq(), Scope.region("R1"), Scope.dealer("D2"), Scope.dealer("D3")]:
        expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, dealers=dealers,
                                by="region_id", scope=scope)
        got = ld.kpis(dd.from_pandas(leads, npartitions=3), dd.from_pandas(touches, npartitions=2),
                      OABC, surveys=dd.from_pandas(surveys, npartitions=2), dealers=dealers,
                      by="region_id", scope=scope)
        assert_same_table(got, expected)
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        ld.kpis(dd.from_pandas(leads, npartitions=3), dd.from_pandas(touches, npartitions=2),
                OABC, scope=Scope.dealer("D9"))
    with pytest.raises(ValueError, match=r"by: region_id needs the dealers table"):
        ld.kpis(dd.from_pandas(leads, npartitions=3), dd.from_pandas(touches, npartitions=2),
                OABC, by="region_id", scope=Scope.dealer("D2"))


def _die_once(frame, marker):
    """Kills the worker process the first time any partition passes through."""
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write("killed")
        os._exit(1)
    return frame


def test_a_killed_worker_is_retried_and_the_result_is_exact(client, data, tmp_path):
    leads, touches, surveys = data
    marker = str(tmp_path / "killed")
    frame = dd.from_pandas(leads, npartitions=4)
    dying = frame.map_partitions(_die_once, marker, meta=frame._meta)
    expected = leadkit.kpis(leads, touches, OABC, surveys=surveys, by="channel",
                            as_of=RANDOM_AS_OF)
    got = ld.kpis(dying, dd.from_pandas(touches, npartitions=3), OABC,
                  surveys=dd.from_pandas(surveys, npartitions=2), by="channel",
                  as_of=RANDOM_AS_OF)
    assert os.path.exists(marker)  # a worker did die
    assert_same_table(got, expected)


def test_classify_and_schedule_partition_wise(sync, data):
    leads, touches, _ = data
    classified = ld.classify(dd.from_pandas(leads, npartitions=4), OABC).compute()
    pd.testing.assert_frame_equal(classified.reset_index(drop=True),
                                  leadkit.classify(leads, OABC), check_categorical=False,
                                  check_dtype=False)
    tasks = ld.schedule(dd.from_pandas(leads, npartitions=4),
                        dd.from_pandas(touches.sample(frac=1, random_state=3), npartitions=3),
                        OABC, as_of=RANDOM_AS_OF).compute()
    expected = leadkit.schedule(leads, touches, OABC, as_of=RANDOM_AS_OF)

    def plain(frame):  # Dask turns text columns into pandas strings: compare the values
        frame = frame.sort_values(["lead_id", "task", "due_at"]).reset_index(drop=True)
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(tasks), plain(expected))


def test_policies_and_calendars_pickle():
    import pickle
    assert pickle.loads(pickle.dumps(OABC)) == OABC
    cal = leadkit.Calendar.preset("cn_office")
    assert pickle.loads(pickle.dumps(cal)) == cal
    assert np.isnan(np.nan)


def test_the_default_as_of_reads_only_the_columns_leadkit_reads(sync, data):
    leads, touches, surveys = data
    # A later export stamp and a naive datetime column leadkit does not read change nothing.
    extra = leads.assign(exported_at=pd.Timestamp("2031-01-01", tz="UTC"),
                         registered=pd.Timestamp("1990-05-05"))
    expected = leadkit.kpis(extra, touches, OABC, surveys=surveys)
    got = ld.kpis(dd.from_pandas(extra, npartitions=3), dd.from_pandas(touches, npartitions=2),
                  OABC, surveys=dd.from_pandas(surveys, npartitions=2))
    assert_same_table(got, expected)
    tasks = ld.schedule(dd.from_pandas(extra, npartitions=3),
                        dd.from_pandas(touches, npartitions=2), OABC).compute()
    assert len(tasks) == len(leadkit.schedule(extra, touches, OABC))


def test_dealer_calendars_on_partitions(sync):
    """Each lead judged on its dealer's calendar (two zones) gives the single-process numbers."""
    import surface

    policy = surface.policy(surface.DEALER_CALENDARS)
    tables = surface.generate(policy, leads=80, seed=3)
    leads = dd.from_pandas(tables.leads, npartitions=3)
    touches = dd.from_pandas(tables.touches, npartitions=2)
    got = ld.kpis(leads, touches, policy, dealers=tables.dealers, by="dealer_id",
                  as_of=surface.AS_OF)
    want = leadkit.kpis(tables.leads, tables.touches, policy, dealers=tables.dealers,
                        by="dealer_id", as_of=surface.AS_OF)
    assert_same_table(got, want)
    assert not want.equals(leadkit.kpis(tables.leads, tables.touches, policy, by="dealer_id",
                                        as_of=surface.AS_OF))
    tasks = ld.schedule(leads, touches, policy, dealers=tables.dealers,
                        as_of=surface.AS_OF).compute()
    expected = leadkit.schedule(tables.leads, tables.touches, policy, dealers=tables.dealers,
                                as_of=surface.AS_OF)

    def plain(frame):
        frame = frame.sort_values(["lead_id", "task", "due_at"]).reset_index(drop=True)
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(tasks), plain(expected))


# --- every report, every preset, several partitionings ------------------------------------

#: How the tables are cut: (partitions of the table a report counts, of the others, rows
#: shuffled and the partitions listed in reverse).
SPLITS = {"one": (1, 1, False), "3-and-5": (3, 5, False), "6-and-2-reversed": (6, 2, True)}


def splitter(split: str, seed: int = 0):
    """The function that turns a pandas table into a Dask one as `split` says (`first`: the
    table the report counts)."""
    first, others, shuffled = SPLITS[split]

    def to_dask(table: pd.DataFrame, first_table: bool = False) -> dd.DataFrame:
        if shuffled:
            table = table.sample(frac=1, random_state=seed)
        frame = dd.from_pandas(table, npartitions=first if first_table else others,
                               sort=not shuffled)
        if shuffled and frame.npartitions > 1:
            frame = frame.partitions[list(reversed(range(frame.npartitions)))]
        return frame

    return to_dask


def read_by_dask(table, first_table=False):
    """The pandas table with the dtypes Dask reads it in (text as Arrow strings): what the
    Dask functions' group keys come back in (docs/data.md)."""
    return dd.from_pandas(table, npartitions=1).compute()


W = {"first_contact_timeliness_rate": 0.6, "conversion_rate": 0.4}
ZONE, AS_OF = surface.ZONE, surface.AS_OF
#: The pipeline reports' instants and months, inside the generated leads' dates.
START, MID = pd.Timestamp("2025-06-01", tz=ZONE), pd.Timestamp("2025-10-15 12:00", tz=ZONE)
MONTHS = pd.period_range("2025-03", "2025-12", freq="M")
PIPELINE = ("pipeline", "grade_migration", "monthly", "funnel", "touches_per_won_lead")


def with_content(touches: pd.DataFrame) -> pd.DataFrame:
    """The touches with the optional content column of docs/data.md, some null."""
    kinds = ["needs", "offer", None, "buying_guide"]
    return touches.assign(content=pd.Series([kinds[i % 4] for i in range(len(touches))],
                                            index=touches.index, dtype=object))


THREE_LEVEL = Policy.preset("three_level")


def backtest_frames(result: leadkit.Backtest) -> pd.DataFrame:
    """Every table of a backtest as one frame: the summary (the task load is its columns), then
    the conversion by grade and the crosstab's counts as rows of their own."""
    crosstab = result.grades.rename_axis(index="grade", columns="grade_2").stack()
    crosstab = crosstab.rename("leads").reset_index()
    return pd.concat([result.summary, result.conversion.assign(part="conversion"),
                      crosstab.assign(part="crosstab")], ignore_index=True)


def backtest_call(m, t, p, f, **kwargs) -> pd.DataFrame:
    """The preset replayed beside three_level (grade changes mapped as surface does)."""
    return backtest_frames(m.backtest(
        f(t.leads, True), f(t.touches), {"history": p, "three_level": THREE_LEVEL},
        grade_map={"three_level": surface.BACKTEST_MAPS[p.name]}, surveys=f(t.surveys),
        **kwargs))


def backtest_by_call(m, t, p, f) -> pd.DataFrame:
    """The preset beside itself by region, grade and month, each lead on its dealer's calendar
    (three_level names none of the calendars the dealers table gives)."""
    return backtest_frames(m.backtest(
        f(t.leads, True), f(t.touches), {"history": p, "again": p}, surveys=f(t.surveys),
        by=["region_id", "grade", "month"], dealers=t.dealers))


#: Each report called through a module (leadkit or leadkit.dask) on tables made by `f`.
REPORTS = {
    "backtest": lambda m, t, p, f: backtest_call(m, t, p, f, as_of=AS_OF),
    "backtest-by": backtest_by_call,
    "kpis": lambda m, t, p, f: m.kpis(
        f(t.leads, True), f(t.touches), p, surveys=f(t.surveys), dealers=t.dealers,
        by=["channel", "region_id"], as_of=AS_OF),
    "kpis-default-as-of": lambda m, t, p, f: m.kpis(
        f(t.leads, True), f(t.touches), p, by=["month", "current_grade"]),
    "showroom": lambda m, t, p, f: m.showroom(
        f(t.visits, True), leads=f(t.leads), by=["dealer_id", "hour"], tz=ZONE),
    "showroom-without-leads": lambda m, t, p, f: m.showroom(
        f(t.visits, True), by="model", as_of=AS_OF, top_models=2),
    "activity": lambda m, t, p, f: m.activity(
        f(t.touches, True), leads=f(t.leads), by=["dealer_id", "week"], tz=ZONE),
    "activity-without-leads": lambda m, t, p, f: m.activity(f(t.touches, True), tz=ZONE),
    "effectiveness": lambda m, t, p, f: m.effectiveness(
        f(t.leads, True), f(t.touches), as_of=AS_OF),
    "effectiveness-action": lambda m, t, p, f: m.effectiveness(
        f(t.leads, True), f(with_content(t.touches)), view="action", as_of=AS_OF),
    "effectiveness-playbook": lambda m, t, p, f: m.effectiveness(
        f(t.leads, True), f(with_content(t.touches)), view="action", as_of=AS_OF, policy=p),
    "effectiveness-interval": lambda m, t, p, f: m.effectiveness(
        f(t.leads, True), f(t.touches), view="interval", interval_buckets=(2, 10)),
    "lost_analysis": lambda m, t, p, f: m.lost_analysis(
        f(t.leads, True), by=["month", "dealer_id"], policy=p),
    "profile": lambda m, t, p, f: m.profile(f(t.leads, True), by=["age_band", "gender"],
                                            as_of=AS_OF),
    "audit": lambda m, t, p, f: m.audit(f(t.leads, True), f(t.touches), p, dealers=t.dealers,
                                        as_of=AS_OF),
    "audit-keyed": lambda m, t, p, f: m.audit(f(t.leads, True), f(t.touches), p,
                                              dealers=t.dealers, as_of=AS_OF,
                                              phone_key=bytes(range(16))),
    "pipeline": lambda m, t, p, f: m.pipeline(
        f(t.leads, True), f(t.touches), p, at=MID, by=["region_id", "channel"],
        dealers=t.dealers),
    "grade_migration": lambda m, t, p, f: m.grade_migration(
        f(t.leads, True), f(t.touches), p, start=START, end=MID),
    "grade_migration-long": lambda m, t, p, f: m.grade_migration(
        f(t.leads, True), f(t.touches), p, start=START, end=AS_OF, long=True),
    "monthly": lambda m, t, p, f: m.monthly(f(t.leads, True), f(t.touches), p, months=MONTHS),
    "funnel": lambda m, t, p, f: m.funnel(f(t.leads, True), f(t.touches), p, as_of=MID,
                                          by="dealer_id"),
    "funnel-default-as-of": lambda m, t, p, f: m.funnel(f(t.leads, True), f(t.touches), p,
                                                        by=["channel", "model"]),
    "touches_per_won_lead": lambda m, t, p, f: m.touches_per_won_lead(
        f(t.leads, True), f(t.touches), by="consultant_id"),
    "touches_per_won_lead-as-of": lambda m, t, p, f: m.touches_per_won_lead(
        f(t.leads, True), f(t.touches), as_of=MID, by=["dealer_id", "channel"]),
}


@pytest.fixture(scope="module", params=surface.POLICIES)
def preset(request):
    policy = surface.policy(request.param)
    return policy, surface.generate(policy, leads=120, seed=4)


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("split", SPLITS)
def test_every_report_equals_one_process(sync, preset, split, report):
    policy, tables = preset
    call = REPORTS[report]
    got = call(ld, tables, policy, splitter(split))
    pd.testing.assert_frame_equal(got, call(leadkit, tables, policy, read_by_dask))


def test_a_tree_of_merges_several_levels_deep(sync):
    """Seven partitions merged two at a time: states of merged states, three levels."""
    policy = Policy.preset("oabc")
    t = surface.generate(policy, leads=120, seed=10)

    def seven(table, first_table=False):
        return dd.from_pandas(table, npartitions=7)

    # leadkit.dask's functions, each merging two states at a time.
    two_at_a_time = types.SimpleNamespace(**{
        name: functools.partial(getattr(ld, name), split_every=2) for name in (
            "kpis", "showroom", "activity", "effectiveness", "lost_analysis", "profile",
            "audit", "backtest", *PIPELINE)})
    for report, call in REPORTS.items():
        got = call(two_at_a_time, t, policy, seven)
        pd.testing.assert_frame_equal(got, call(leadkit, t, policy, read_by_dask), obj=report)


@pytest.mark.parametrize("split", SPLITS)
def test_the_scorecard_of_the_merged_kpis(sync, preset, split):
    policy, t = preset
    f = splitter(split)
    got = ld.scorecard(f(t.leads, True), f(t.touches), policy, weights=W, as_of=AS_OF)
    want = leadkit.scorecard(leadkit.kpis(read_by_dask(t.leads), t.touches, policy,
                                          by="consultant_id", as_of=AS_OF), W)
    pd.testing.assert_frame_equal(got, want)


# --- rows that are not leads -----------------------------------------------------------------

def ts(text):
    return pd.Timestamp(text, tz=ZONE)


def test_visits_without_a_lead_are_counted_once(sync):
    visits = pd.DataFrame({
        "visit_id": ["V1", "V2", "V3", "V4", "V5"],
        "dealer_id": ["D1"] * 5,
        "arrived_at": [ts("2024-06-10 10:00"), ts("2024-06-10 11:00"), ts("2024-06-10 12:00"),
                       ts("2024-06-10 13:00"), ts("2024-06-11 09:00")],
        "left_at": [ts("2024-06-10 10:30"), ts("2024-06-10 11:20"), ts("2024-06-10 12:40"),
                    ts("2024-06-10 13:10"), ts("2024-06-11 09:30")],
        "lead_id": ["L1", None, None, "L2", "L1"],
        "effective": [True, False, True, True, True],
        "model": ["C200", "GLC", "C200", "EQE", "C200"]})
    leads = pd.DataFrame({"lead_id": ["L1", "L2"],
                          "created_at": [ts("2024-06-01 09:00"), ts("2024-06-01 10:00")],
                          "status": ["won", "open"],
                          "won_at": [ts("2024-06-12 10:00"), pd.NaT]})
    for parts in (1, 3, 5):
        got = ld.showroom(dd.from_pandas(visits, npartitions=parts),
                          leads=dd.from_pandas(leads, npartitions=2), by="dealer_id",
                          as_of=ts("2024-06-20 00:00"))
        # By hand: five visits, three with a lead, four effective; V1 and V5 are L1's, won.
        row = got.iloc[0]
        assert (row["visits"], row["with_contact"], row["effective"], row["won"]) == (5, 3, 4, 2)
        assert row["contact_share"] == 0.6 and row["visit_to_deal_rate"] == 0.4
        assert row["avg_stay_minutes"] == (30 + 20 + 40 + 10 + 30) / 5
        assert row["top_models"] == "C200;EQE;GLC"
        pd.testing.assert_frame_equal(got, leadkit.showroom(
            visits, leads=leads, by="dealer_id", as_of=ts("2024-06-20 00:00")))


def test_touches_are_counted_once_and_their_leads_once_per_group(sync):
    touches = pd.DataFrame({
        "lead_id": ["L1", "L1", "L2", "L3", "L1"],
        "at": [ts("2024-06-10 10:00"), ts("2024-06-10 15:00"), ts("2024-06-10 11:00"),
               ts("2024-06-10 12:00"), ts("2024-06-11 09:00")],
        "method": ["phone", "wechat", "phone", "sms", "phone"],
        "consultant_id": ["C1", "C1", "C1", "C2", "C1"]})
    for parts in (1, 2, 5):
        got = ld.activity(dd.from_pandas(touches.sample(frac=1, random_state=parts),
                                         npartitions=parts, sort=False))
        # By hand: C1 on 06-10 touched L1 twice and L2 once; on 06-11 L1; C2 on 06-10 L3.
        assert got[["consultant_id", "day", "contacts", "contacts_phone", "contacts_wechat",
                    "contacts_sms", "leads_touched"]].values.tolist() == [
            ["C1", "2024-06-10", 3, 2, 1, 0, 2],
            ["C1", "2024-06-11", 1, 1, 0, 0, 1],
            ["C2", "2024-06-10", 1, 0, 0, 1, 1]]
        pd.testing.assert_frame_equal(got, leadkit.activity(touches))


def test_duplicate_phones_are_found_across_partitions(sync):
    # Two complete leads, on time, phoned by their consultant, with one number written two
    # ways; each in a partition of its own (the frames are already aligned by lead_id).
    leads = pd.DataFrame({
        "lead_id": ["A1", "A2"],
        "created_at": [ts("2024-06-10 09:00"), ts("2024-06-11 09:00")],
        "entered_at": [ts("2024-06-10 10:00"), ts("2024-06-11 10:00")],
        "channel": ["website", "website"], "name": ["王伟", "李娜"],
        "phone": ["138 0013 8000", "+86 138-0013-8000"], "model": ["C200", "GLC"],
        "grade": ["A", "B"], "dealer_id": ["D1", "D1"], "consultant_id": ["C1", "C1"]})
    touches = pd.DataFrame({"lead_id": ["A1", "A2"],
                            "at": [ts("2024-06-10 09:30"), ts("2024-06-11 09:30")],
                            "method": ["phone", "phone"], "consultant_id": ["C1", "C1"]})
    lead_frame = dd.from_pandas(leads.set_index("lead_id"), npartitions=2)
    touch_frame = dd.from_pandas(touches.set_index("lead_id"), npartitions=1).repartition(
        divisions=lead_frame.divisions)
    assert [list(p.index) for p in (lead_frame.get_partition(0).compute(),
                                    lead_frame.get_partition(1).compute())] == [["A1"], ["A2"]]
    got = ld.audit(lead_frame, touch_frame, OABC, as_of=ts("2024-06-20 12:00"))
    assert got.values.tolist() == [
        ["A1", "duplicate_phone", "same phone (138****8000) as A2"],
        ["A2", "duplicate_phone", "same phone (138****8000) as A1"]]
    pd.testing.assert_frame_equal(got, leadkit.audit(leads, touches, OABC,
                                                     as_of=ts("2024-06-20 12:00")))


# --- states, scopes, arguments ---------------------------------------------------------------

STATE_CALLS = {
    "kpis": (leadkit.KpiState, lambda t, p, f: (f(t.leads), f(t.touches), p),
             {"as_of": AS_OF, "by": "channel"}),
    "showroom": (leadkit.ShowroomState, lambda t, p, f: (f(t.visits),), {"leads": None}),
    "activity": (leadkit.ActivityState, lambda t, p, f: (f(t.touches),), {"tz": ZONE}),
    "effectiveness": (leadkit.EffectivenessState, lambda t, p, f: (f(t.leads), f(t.touches)),
                      {"as_of": AS_OF}),
    "lost_analysis": (leadkit.LostAnalysisState, lambda t, p, f: (f(t.leads),), {}),
    "profile": (leadkit.ProfileState, lambda t, p, f: (f(t.leads),), {"by": "gender"}),
    "audit": (leadkit.AuditState, lambda t, p, f: (f(t.leads), f(t.touches), p),
              {"as_of": AS_OF}),
    "backtest": (leadkit.BacktestState,
                 lambda t, p, f: (f(t.leads), f(t.touches), {"current": p, "other": p}),
                 {"as_of": AS_OF, "by": "dealer_id"}),
    "pipeline": (leadkit.PipelineState, lambda t, p, f: (f(t.leads), f(t.touches), p),
                 {"at": MID, "by": "channel"}),
    "grade_migration": (leadkit.PipelineState, lambda t, p, f: (f(t.leads), f(t.touches), p),
                        {"start": START, "end": MID}),
    "monthly": (leadkit.PipelineState, lambda t, p, f: (f(t.leads), f(t.touches), p),
                {"months": MONTHS}),
    "funnel": (leadkit.PipelineState, lambda t, p, f: (f(t.leads), f(t.touches), p),
               {"by": "dealer_id"}),
    "touches_per_won_lead": (leadkit.PipelineState, lambda t, p, f: (f(t.leads), f(t.touches)),
                             {"as_of": AS_OF}),
}


@pytest.mark.parametrize("report", STATE_CALLS)
def test_state_bytes_are_checked(sync, report):
    """What travels between workers is checked when read: a flipped byte, cut bytes or another
    report's bytes are a ValueError, never a crash or a wrong table."""
    kind, args, kwargs = STATE_CALLS[report]
    policy = Policy.preset("abcd")
    tables = surface.generate(policy, leads=40, seed=5)
    states = dask.compute(*ld.report_states(report, *args(tables, policy, splitter("3-and-5")),
                                            **kwargs))
    data = next(s for s in states if s is not None)
    assert kind.from_bytes(data).to_bytes() == data
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    with pytest.raises(ValueError):
        kind.from_bytes(bytes(flipped))
    with pytest.raises(ValueError):
        kind.from_bytes(data[:-3])
    other = leadkit.LostAnalysisState if kind is not leadkit.LostAnalysisState else \
        leadkit.ProfileState
    with pytest.raises(ValueError):
        other.from_bytes(data)


def test_no_rows_at_all(sync):
    policy = Policy.preset("abcd")
    t = surface.generate(policy, leads=40, seed=6)
    none = dd.from_pandas(t.leads, npartitions=3)
    none = none[none["lead_id"] == "nobody"]
    empty = t.leads.iloc[:0]
    pd.testing.assert_frame_equal(ld.lost_analysis(none, policy=policy, as_of=AS_OF),
                                  leadkit.lost_analysis(empty, policy=policy, as_of=AS_OF))
    pd.testing.assert_frame_equal(ld.profile(none, by="gender", as_of=AS_OF),
                                  leadkit.profile(empty, by="gender", as_of=AS_OF))
    pd.testing.assert_frame_equal(
        ld.effectiveness(none, dd.from_pandas(t.touches.iloc[:0], npartitions=2), as_of=AS_OF),
        leadkit.effectiveness(empty, t.touches.iloc[:0], as_of=AS_OF))
    # The pipeline family: every grade, month and stage with zeros, as one process gives them.
    no_touches = dd.from_pandas(t.touches, npartitions=2)
    no_touches = no_touches[no_touches["lead_id"] == "nobody"]
    for report in ("pipeline", "grade_migration", "grade_migration-long", "monthly", "funnel",
                   "touches_per_won_lead-as-of"):
        got = REPORTS[report](ld, t, policy, lambda table, first=False: (
            none if table is t.leads else no_touches))
        want = REPORTS[report](leadkit, t, policy,
                               lambda table, first=False: read_by_dask(table).iloc[:0])
        pd.testing.assert_frame_equal(got, want, obj=report)
    # By hand: no lead is open, moves, rolls over or is won.
    assert ld.pipeline(none, no_touches, policy, at=MID)["open_leads"].tolist() == \
        [0] * len(policy.grades)
    assert ld.monthly(none, no_touches, policy, months=["2025-05"]).iloc[0][
        ["carried_over", "new", "won", "lost", "open_at_end"]].tolist() == [0] * 5
    # No timestamp to take the default as_of from: the error of one process.
    for call in (lambda: ld.funnel(none, no_touches, policy),
                 lambda: ld.touches_per_won_lead(none, no_touches)):
        with pytest.raises(ValueError, match="as_of: the inputs hold no timestamp"):
            call()


@pytest.mark.parametrize("report", ["showroom", "activity", "effectiveness", "lost_analysis",
                                    "profile", "audit", "backtest", *PIPELINE])
def test_scopes_of_every_report(sync, report):
    policy = Policy.preset("abcd")
    t = surface.generate(policy, leads=120, seed=7)
    calls = {
        "showroom": lambda m, f, s, d: m.showroom(f(t.visits), leads=f(t.leads), scope=s,
                                                  dealers=d, tz=ZONE),
        "activity": lambda m, f, s, d: m.activity(f(t.touches), leads=f(t.leads), scope=s,
                                                  dealers=d, tz=ZONE),
        "effectiveness": lambda m, f, s, d: m.effectiveness(f(t.leads), f(t.touches), scope=s,
                                                            dealers=d),
        "lost_analysis": lambda m, f, s, d: m.lost_analysis(f(t.leads), scope=s, dealers=d,
                                                            policy=policy),
        "profile": lambda m, f, s, d: m.profile(f(t.leads), by="channel", scope=s, dealers=d),
        "audit": lambda m, f, s, d: m.audit(f(t.leads), f(t.touches), policy, scope=s,
                                            dealers=d),
        "backtest": lambda m, f, s, d: backtest_frames(m.backtest(
            f(t.leads), f(t.touches), {"current": policy}, by="consultant_id", scope=s,
            dealers=d, as_of=AS_OF)),
        "pipeline": lambda m, f, s, d: m.pipeline(f(t.leads), f(t.touches), policy, at=MID,
                                                  by="consultant_id", scope=s, dealers=d),
        "grade_migration": lambda m, f, s, d: m.grade_migration(
            f(t.leads), f(t.touches), policy, start=START, end=MID, scope=s, dealers=d),
        "monthly": lambda m, f, s, d: m.monthly(f(t.leads), f(t.touches), policy,
                                                months=MONTHS, scope=s, dealers=d),
        "funnel": lambda m, f, s, d: m.funnel(f(t.leads), f(t.touches), policy, by="channel",
                                              scope=s, dealers=d),
        "touches_per_won_lead": lambda m, f, s, d: m.touches_per_won_lead(
            f(t.leads), f(t.touches), scope=s, dealers=d),
    }
    call = calls[report]
    region = t.dealers["region_id"].iloc[0]
    for scope, dealers in [(Scope.dealer("D002"), None), (Scope.dealer("D001"), t.dealers),
                           (Scope.region(region), t.dealers)]:
        got = call(ld, splitter("3-and-5"), scope, dealers)
        pd.testing.assert_frame_equal(got, call(leadkit, read_by_dask, scope, dealers))
    with pytest.raises(KeyError, match="unknown dealer 'D9'"):
        call(ld, splitter("3-and-5"), Scope.dealer("D9"), None)


def test_arguments_are_checked():
    leads, touches, _ = random_inputs(7, n=20)
    with pytest.raises(TypeError, match="touches: expected a dask DataFrame, got DataFrame"):
        ld.effectiveness(dd.from_pandas(leads, npartitions=2), touches, as_of=RANDOM_AS_OF)
    with pytest.raises(ValueError, match="report: expected one of .*, got 'kpi'"):
        ld.report_states("kpi", leads, touches, OABC)
    with pytest.raises(ValueError, match="view: expected one of method_mix, interval"):
        ld.effectiveness(dd.from_pandas(leads, npartitions=2),
                         dd.from_pandas(touches, npartitions=2), view="mix")


def test_pipeline_arguments_are_checked_on_the_client():
    """The pipeline reports' arguments are refused before anything is computed, with the
    messages of one process."""
    leads, touches, _ = random_inputs(7, n=20)
    lead_frame = dd.from_pandas(leads, npartitions=2)
    touch_frame = dd.from_pandas(touches, npartitions=2)
    with dask.config.set(scheduler=_refuse_to_compute):
        _check_pipeline_arguments(lead_frame, touch_frame)


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("computed before the arguments were checked")


def _check_pipeline_arguments(lead_frame, touch_frame):
    with pytest.raises(ValueError, match=r"months\[1\]: expected 'YYYY-MM', got '2024-13'"):
        ld.monthly(lead_frame, touch_frame, OABC, months=["2024-05", "2024-13"])
    with pytest.raises(ValueError, match="start: .* is not before end"):
        ld.grade_migration(lead_frame, touch_frame, OABC, start=RANDOM_AS_OF, end=RANDOM_AS_OF)
    with pytest.raises(ValueError, match="at: expected a time, got None"):
        ld.pipeline(lead_frame, touch_frame, OABC, at=None)
    with pytest.raises(TypeError, match="at"):
        ld.pipeline(lead_frame, touch_frame, OABC)
    for call in (ld.pipeline, ld.funnel):
        kwargs = {"at": RANDOM_AS_OF} if call is ld.pipeline else {"as_of": RANDOM_AS_OF}
        # A dealer scope without the dealers table still has no region to group by.
        with pytest.raises(ValueError, match="by: region_id needs the dealers table"):
            call(lead_frame, touch_frame, OABC, by="region_id", scope=Scope.dealer("D1"),
                 **kwargs)
    with pytest.raises(ValueError, match="by: region_id needs the dealers table"):
        ld.touches_per_won_lead(lead_frame, touch_frame, by="region_id",
                                scope=Scope.dealer("D1"), as_of=RANDOM_AS_OF)


# --- on a cluster ----------------------------------------------------------------------------

class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_every_report_on_a_local_cluster_without_a_warning(capfd):
    """Two worker processes, Dask's default logging: the tables of one process, and nothing
    logged at WARNING or above by the scheduler (here) or the workers (their stderr) as the
    cluster starts and the reports run. The cluster's shutdown, the test's own and not
    leadkit's, is left out: on a loaded machine a nanny may log that it killed a worker that
    was slow to stop."""
    policy = Policy.preset("abcd")
    t = surface.generate(policy, leads=150, seed=8)
    records = _Records()
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.addHandler(records)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=FREE_PORT) as cluster, \
                distributed.Client(cluster) as client:
            logger.setLevel(logging.WARNING)
            for report, call in REPORTS.items():
                got = call(ld, t, policy, splitter("6-and-2-reversed"))
                pd.testing.assert_frame_equal(got, call(leadkit, t, policy, read_by_dask),
                                              obj=report)
            # Every worker has answered after the reports, so what they logged is written.
            client.run(lambda: None)
            err = capfd.readouterr().err
            logger.removeHandler(records)
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    assert [r.getMessage() for r in records.records] == []
    assert "WARNING" not in err


@pytest.mark.parametrize("report", ["lost_analysis", "profile", "effectiveness", "audit",
                                    "kpis", "backtest", *PIPELINE])
def test_a_lead_given_twice_in_two_partitions_is_refused(sync, report):
    """As in one process: partitions alone would each see the lead once and count it twice."""
    policy = Policy.preset("abcd")
    t = surface.generate(policy, leads=30, seed=9)
    twice = pd.concat([t.leads, t.leads.iloc[:1]], ignore_index=True)
    leads = dd.from_pandas(twice, npartitions=3)
    assert twice["lead_id"].iloc[0] not in set(leads.get_partition(2).compute()["lead_id"][:-1])
    touches = dd.from_pandas(t.touches, npartitions=2)
    calls = {
        "lost_analysis": lambda: ld.lost_analysis(leads, as_of=AS_OF),
        "profile": lambda: ld.profile(leads, by="gender", as_of=AS_OF),
        "effectiveness": lambda: ld.effectiveness(leads, touches, as_of=AS_OF),
        "audit": lambda: ld.audit(leads, touches, policy, as_of=AS_OF),
        "kpis": lambda: ld.kpis(leads, touches, policy, as_of=AS_OF),
        "backtest": lambda: ld.backtest(leads, touches, {"current": policy}, as_of=AS_OF),
        "pipeline": lambda: ld.pipeline(leads, touches, policy, at=AS_OF),
        "grade_migration": lambda: ld.grade_migration(leads, touches, policy, start=START,
                                                      end=AS_OF),
        "monthly": lambda: ld.monthly(leads, touches, policy, months=MONTHS),
        "funnel": lambda: ld.funnel(leads, touches, policy),
        "touches_per_won_lead": lambda: ld.touches_per_won_lead(leads, touches),
    }
    # Messages as the pandas functions word them, naming the table, the column and the id.
    with pytest.raises(ValueError, match=rf"leads.*lead_id.*{twice['lead_id'].iloc[0]}.* is "
                                         "given twice"):
        calls[report]()


def test_a_visit_given_twice_in_two_partitions_is_refused(sync):
    policy = Policy.preset("abcd")
    t = surface.generate(policy, leads=30, seed=9)
    visits = t.visits
    first = visits.iloc[:1]
    twice = pd.concat([visits, first], ignore_index=True)
    with pytest.raises(ValueError, match=f"visits.visit_id: '{first['visit_id'].iloc[0]}' is "
                                         "given twice"):
        ld.showroom(dd.from_pandas(twice, npartitions=3), as_of=AS_OF)
    with pytest.raises(ValueError, match=f"visits.visit_id: '{first['visit_id'].iloc[0]}' is "
                                         "given twice"):
        ld.showroom(dd.from_pandas(twice, npartitions=3),
                    leads=dd.from_pandas(t.leads, npartitions=2), as_of=AS_OF)


def test_kpis_warn_as_one_process_does(sync):
    """The CoverageWarning of leadkit.kpis, once for the whole table: the estimated count is
    summed over the partitions (test_kpis: 3 leads of 4 rest on estimated deadlines)."""
    from test_kpis import _abcd_on_cn_office, _year_end_leads
    from times import ts

    leads, touches = _year_end_leads()
    policy = _abcd_on_cn_office()
    for as_of, message in [("2026-12-31 23:00", '^kpis: 3 leads estimated .*"cn_office" covers'),
                           ("2027-01-04 12:00", "^kpis: as_of 2027-01-04 lies past 2026-12-31")]:
        with pytest.warns(leadkit.CoverageWarning, match=message) as one:
            whole = leadkit.kpis(leads, touches, policy, as_of=ts(as_of))
        with pytest.warns(leadkit.CoverageWarning, match=message) as many:
            parts = ld.kpis(dd.from_pandas(leads, npartitions=2),
                            dd.from_pandas(touches, npartitions=2), policy, as_of=ts(as_of))
        assert len(one) == len(many) == 1
        assert_same_table(parts, whole)
