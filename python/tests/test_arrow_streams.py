"""Arrow streams straight to the C++ engine (docs/data.md, "Arrow streams"): classify, kpis,
KpiState.add, showroom, activity, effectiveness, the pipeline reports, the audit,
lost_analysis and profile (and their states' add), schedule, next_actions, agenda and route of
tables that are all Arrow streams are read by the C ABI's importer, without pandas, scoped or
not; the results are those of the same rows as pandas frames, and a column the importer does
not read as the pandas path does sends the call down that path, with its messages."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

import leadkit
from leadkit import _core, _frames

import surface
from test_conformance import _plain

POLICY = surface.policy("abcd")
#: Strings as plain text (a categorical becomes an Arrow dictionary, which the stream path
#: leaves to pandas when it is a group key: test_a_dictionary_key_keeps_its_categories).
TABLES = surface.Tables(**{name: _plain(getattr(surface.generate(POLICY, leads=60, seed=5),
                                                name))
                           for name in ("leads", "touches", "surveys", "visits", "dealers",
                                        "consultants")})


class StreamOnly:
    """A table offered only through the Arrow PyCapsule interface."""

    def __init__(self, table: pa.Table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _classify(leads):
    return leadkit.classify(leads, POLICY)


def _kpis(leads, touches, surveys):
    return leadkit.kpis(leads, touches, POLICY, surveys=surveys, by=["channel", "month"],
                        as_of=surface.AS_OF)


def _kpi_state(leads, touches, surveys):
    state = leadkit.KpiState(by=["channel", "month"])
    half = leadkit.KpiState(by=["channel", "month"])
    state.add(leads, touches, POLICY, surveys=surveys, as_of=surface.AS_OF)
    return (state + half).finalize()


#: The dealer whose leads a scoped call counts, and its region (with the dealers table).
DEALER = leadkit.Scope.dealer(TABLES.leads["dealer_id"].dropna().iloc[0])
REGION = leadkit.Scope.region(TABLES.dealers["region_id"].iloc[0])


def _scoped_kpis(leads, touches, surveys):
    return leadkit.kpis(leads, touches, POLICY, surveys=surveys, by=["channel", "month"],
                        scope=DEALER, as_of=surface.AS_OF)


def _lost(leads):
    # No policy and no tz: the periods in lost_at's own zone, read from the stream's schema.
    return leadkit.lost_analysis(leads, by=["month", "channel"], scope=REGION,
                                 dealers=TABLES.dealers, as_of=surface.AS_OF)


def _profile(leads):
    return leadkit.ProfileState().add(leads, by=["age_band", "channel"], scope=DEALER,
                                      threads=2).finalize()


def _regions(leads, touches, surveys):
    # region_id: each lead's dealer's region, joined in the engine.
    return leadkit.kpis(leads, touches, POLICY, surveys=surveys, dealers=TABLES.dealers,
                        by=["region_id", "channel"], as_of=surface.AS_OF)


def _showroom(leads, touches, visits):
    return leadkit.showroom(visits, leads=leads, by=["dealer_id", "hour"], scope=REGION,
                            dealers=TABLES.dealers, as_of=surface.AS_OF)


def _activity(leads, touches, visits):
    # No tz: local days in the zone of the touches' own times, read from the stream's schema.
    state = leadkit.ActivityState().add(touches, leads=leads, by=["consultant_id", "month"],
                                        scope=DEALER, threads=2)
    return state.finalize()


def _effectiveness(leads, touches, surveys):
    # The action view next to the playbook: the leads read with the policy.
    state = leadkit.EffectivenessState(view="action", playbook=True)
    state.add(leads, touches, policy=POLICY, scope=REGION, dealers=TABLES.dealers,
              as_of=surface.AS_OF)
    return state.finalize()


def _mixes(leads, touches, surveys):
    return leadkit.effectiveness(leads, touches, scope=DEALER, threads=2)


def _pipeline(leads, touches, surveys):
    return leadkit.pipeline(leads, touches, POLICY, at=surface.AS_OF, by="channel",
                            scope=DEALER, threads=2)


def _funnel(leads, touches, surveys):
    return leadkit.funnel(leads, touches, POLICY, by="model", as_of=surface.AS_OF)


def _grade_migration(leads, touches, surveys):
    return leadkit.grade_migration(leads, touches, POLICY, start=surface.START,
                                   end=surface.AS_OF, scope=REGION, dealers=TABLES.dealers)


def _monthly(leads, touches, surveys):
    return leadkit.monthly(leads, touches, POLICY, months=["2025-05", "2025-06", "2025-07"])


def _touches_per_won_lead(leads, touches, surveys):
    state = leadkit.PipelineState.touches_per_won_lead(leads, touches, by="channel",
                                                       as_of=surface.AS_OF)
    return state.finalize()


def _audit(leads, touches, surveys):
    return leadkit.audit(leads, touches, POLICY, scope=REGION, dealers=TABLES.dealers,
                         as_of=surface.AS_OF)


def _schedule(leads, touches, surveys):
    # Each lead on its dealer's calendar where the dealers table gives one.
    return leadkit.schedule(leads, touches, POLICY, as_of=surface.AS_OF,
                            dealers=TABLES.dealers)


def _collected(leads, touches, surveys):
    # The tasks and the rows rejected (none here: test_rejected_rows_are_collected_alike).
    tasks, errors = leadkit.schedule(leads, touches, POLICY, as_of=surface.AS_OF,
                                     errors="collect")
    assert errors.empty and list(errors.columns) == ["table", "row", "lead_id", "column",
                                                     "reason"]
    return tasks


def _next_actions(leads, touches, surveys):
    return leadkit.next_actions(leads, touches, POLICY, as_of=surface.AS_OF, explain=True)


#: The agenda's day, and a consultant with tasks on it.
DAY = dt.date(2025, 12, 30)
CONSULTANT = TABLES.leads["consultant_id"].dropna().iloc[0]


def _agenda(leads, touches, surveys):
    return leadkit.agenda(leads, touches, POLICY, day=DAY, dealers=TABLES.dealers)


def _consultants_agenda(leads, touches, surveys):
    return leadkit.agenda(leads, touches, POLICY, day=DAY, consultant_id=CONSULTANT)


def _dealers_agenda(leads, touches, surveys):
    return leadkit.agenda(leads, touches, POLICY, day=DAY, dealer_id=DEALER.id)


#: The calls of three tables (leads, touches, surveys or visits) and of the leads alone.
CALLS_OF_THREE = {"kpis": _kpis, "KpiState": _kpi_state, "kpis_scoped": _scoped_kpis,
                  "kpis_by_region": _regions,
                  "showroom": _showroom, "activity": _activity,
                  "effectiveness": _effectiveness, "effectiveness_mixes": _mixes,
                  "pipeline": _pipeline, "funnel": _funnel, "grade_migration": _grade_migration,
                  "monthly": _monthly, "touches_per_won_lead": _touches_per_won_lead,
                  "audit": _audit, "schedule": _schedule, "schedule_collected": _collected,
                  "next_actions": _next_actions, "agenda": _agenda,
                  "agenda_of_a_consultant": _consultants_agenda,
                  "agenda_of_a_dealer": _dealers_agenda}
#: The third table of a call of three.
THIRD = {"showroom": "visits", "activity": "visits"}
def _route(leads):
    # The dealers and consultants (a few rows) are read as frames on both paths.
    return leadkit.route(leads, TABLES.dealers, TABLES.consultants, POLICY)


CALLS_OF_LEADS = {"lost_analysis": _lost, "profile": _profile, "route": _route}


@pytest.fixture(scope="module")
def expected():
    """classify and kpis of the plain frames (the pandas path), computed before any test
    refuses pandas."""
    return (_classify(TABLES.leads), _kpis(TABLES.leads, TABLES.touches, TABLES.surveys))


@pytest.fixture(scope="module")
def expected_reports():
    """The other calls of the stream path on the plain frames (the pandas path)."""
    out = {name: call(TABLES.leads, TABLES.touches, getattr(TABLES, THIRD.get(name, "surveys")))
           for name, call in CALLS_OF_THREE.items()}
    out.update({name: call(TABLES.leads) for name, call in CALLS_OF_LEADS.items()})
    return out


@pytest.fixture
def no_pandas_frames(monkeypatch, expected, expected_reports):
    """Fails the test if leadkit turns an Arrow table into a pandas frame (the dealers and
    consultants tables, given as pandas frames, are read as such)."""

    def refuse(*args, **kwargs):
        raise AssertionError("an Arrow table was turned into a pandas frame")

    as_frame = _frames.as_frame

    def dealers_only(data, table):
        if table not in ("dealers", "consultants") or not isinstance(data, pd.DataFrame):
            refuse()
        return as_frame(data, table)

    # Every table of a call becomes a frame through as_frame, Arrow data through arrow_frame.
    monkeypatch.setattr(_frames, "as_frame", dealers_only)
    monkeypatch.setattr(_frames, "arrow_frame", refuse)
    monkeypatch.setattr(_frames, "_arrow_table", refuse)


@pytest.mark.parametrize("form", ["pyarrow_table", "reader", "stream_only"])
def test_arrow_streams_reach_the_engine_without_pandas(form, expected, no_pandas_frames):
    want_grades, want_kpis = expected
    make = {"pyarrow_table": lambda f: _arrow(f),
            "reader": lambda f: _arrow(f).to_reader(max_chunksize=4),
            "stream_only": lambda f: StreamOnly(_arrow(f))}[form]
    grades = _classify(make(TABLES.leads))
    assert grades["lead_id"].astype(object).tolist() == TABLES.leads["lead_id"].tolist()
    assert grades["grade"].tolist() == want_grades["grade"].tolist()
    assert grades["rule"].tolist() == want_grades["rule"].tolist()
    assert grades["grade"].dtype == want_grades["grade"].dtype
    got = _kpis(make(TABLES.leads), make(TABLES.touches), make(TABLES.surveys))
    pd.testing.assert_frame_equal(got.astype({"channel": object}),
                                  want_kpis.astype({"channel": object}), check_exact=True)


def _as_text(frame: pd.DataFrame, names) -> pd.DataFrame:
    """`frame` with the columns `names` as Python strings, None for null."""
    return frame.assign(**{name: frame[name].astype(object).where(frame[name].notna(), None)
                           for name in names})


FORMS = {"pyarrow_table": lambda f: _arrow(f),
         "reader": lambda f: _arrow(f).to_reader(max_chunksize=4),
         "stream_only": lambda f: StreamOnly(_arrow(f)),
         "stream_only_batches": lambda f: StreamOnly(_arrow(f).to_reader(max_chunksize=4))}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("call", [*CALLS_OF_THREE, *CALLS_OF_LEADS])
def test_report_streams_reach_the_engine_without_pandas(call, form, expected_reports,
                                                        no_pandas_frames):
    """KpiState.add, scoped kpis, showroom, activity, effectiveness, the pipeline reports,
    the audit, lost_analysis and profile (their states' add) read the streams in the engine:
    the tables of the pandas path, cell for cell."""
    make = FORMS[form]
    if call in CALLS_OF_THREE:
        got = CALLS_OF_THREE[call](make(TABLES.leads), make(TABLES.touches),
                                   make(getattr(TABLES, THIRD.get(call, "surveys"))))
    else:
        got = CALLS_OF_LEADS[call](make(TABLES.leads))
    want = expected_reports[call]
    assert len(want) > 1, "an empty table would prove little"
    # The KPIs and the pipeline reports give a group key back as the input's Arrow strings
    # (from the plain frames: text), the tasks their ids and consultants.
    keys = [name for name in want.columns if want[name].dtype == object]
    pd.testing.assert_frame_equal(_as_text(got, keys), _as_text(want, keys), check_exact=True)


def test_a_dictionary_key_of_the_pipeline_stays_a_categorical(expected_reports,
                                                              no_pandas_frames):
    """A dictionary-encoded group key is read by the engine, and comes back a categorical
    over the input's categories (in chunk order), as the pandas path gives it."""
    leads = TABLES.leads.astype({"channel": "category"})
    table = _arrow(leads)
    two = pa.concat_tables([table.slice(0, 20), _arrow(leads.iloc[20:].astype(
        {"channel": object}).astype({"channel": "category"}))])
    for form in (table, StreamOnly(two.to_reader(max_chunksize=7))):
        got = _pipeline(form, _arrow(TABLES.touches), None)
        assert isinstance(got["channel"].dtype, pd.CategoricalDtype)
        want = expected_reports["pipeline"]
        assert sorted(got["channel"].dtype.categories) == sorted(
            TABLES.leads["channel"].dropna().unique())
        pd.testing.assert_frame_equal(got.astype({"channel": object}),
                                      want.astype({"channel": object}), check_exact=True)


def test_a_kpi_tz_names_a_naive_as_of_on_the_stream_path(monkeypatch, expected):
    """The streams' times carry their zone; `tz` then names only the zone of a naive as_of:
    the same instant as the aware one, the same table."""
    naive = surface.AS_OF.tz_localize(None)

    def call(*tables):
        return leadkit.kpis(*tables[:2], POLICY, surveys=tables[2], by=["channel", "month"],
                            as_of=naive, tz=surface.ZONE)

    want = call(TABLES.leads, TABLES.touches, TABLES.surveys)
    monkeypatch.setattr(_frames, "arrow_frame", lambda *a, **k: pytest.fail("pandas frame"))
    got = call(_arrow(TABLES.leads), _arrow(TABLES.touches), _arrow(TABLES.surveys))
    pd.testing.assert_frame_equal(_as_text(got, ["channel"]), _as_text(want, ["channel"]),
                                  check_exact=True)
    pd.testing.assert_frame_equal(_as_text(got, ["channel"]),
                                  _as_text(expected[1], ["channel"]), check_exact=True)


def test_regions_are_the_dealers_whatever_the_leads_say():
    """By region_id: a lead's region is its dealer's in the dealers table (a region_id column
    of the leads is not read), null without a known dealer; the region needs the dealers."""
    leads = TABLES.leads.assign(region_id="NOT-A-REGION")
    leads.loc[0, "dealer_id"] = "UNKNOWN-DEALER"
    got = leadkit.kpis(_arrow(leads), _arrow(TABLES.touches), POLICY, dealers=TABLES.dealers,
                       by="region_id", as_of=surface.AS_OF)
    regions = dict(zip(TABLES.dealers["dealer_id"], TABLES.dealers["region_id"]))
    known = leads["dealer_id"].map(regions)
    # Every lead is created before as_of: counted, or invalid.
    counted = got.set_index(got["region_id"].astype(object).fillna("<null>"))
    counted = counted["leads"] + counted["invalid"]
    for region in known.dropna().unique():
        assert counted[region] == (known == region).sum()
    assert counted["<null>"] == known.isna().sum() > 0
    with pytest.raises(ValueError, match="^by: region_id needs the dealers table"):
        leadkit.kpis(_arrow(leads), _arrow(TABLES.touches), POLICY, by="region_id")


def test_a_scope_counts_only_its_dealers_leads():
    """Hand-checked: a dealer scope over the stream counts the leads of that dealer, no
    other."""
    leads = TABLES.leads
    mine = leads[leads["dealer_id"] == DEALER.id]
    got = leadkit.profile(_arrow(leads), by="channel", scope=DEALER, as_of=surface.AS_OF)
    assert int(got["leads"].sum() + got["invalid"].sum()) == len(mine)
    with pytest.raises(KeyError, match="NOPE"):
        leadkit.profile(_arrow(leads), by="channel", scope=leadkit.Scope.dealer("NOPE"))
    with pytest.raises(ValueError, match="dealers"):
        leadkit.lost_analysis(_arrow(leads), scope=REGION)


def test_empty_streams_count_nothing_without_as_of():
    """No timestamp to take as_of from: the report of no leads, as on the pandas path."""
    empty = TABLES.leads.iloc[:0]
    for call in (lambda t: leadkit.profile(t, by="channel"),
                 lambda t: leadkit.lost_analysis(t, by="channel")):
        want = call(empty)
        got = call(StreamOnly(_arrow(empty)))
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_state_add_needs_as_of_on_the_stream_path_too():
    with pytest.raises(ValueError, match="^as_of: a partial state needs an explicit as_of"):
        leadkit.KpiState().add(_arrow(TABLES.leads), _arrow(TABLES.touches), POLICY,
                               as_of=None)


def test_results_keep_the_dtypes_of_the_arrow_path():
    """The stream path gives what the pandas path gave for an Arrow table: ids and group keys
    as Arrow strings, grades as categoricals over the policy's grades."""
    table = _arrow(TABLES.leads)
    through_pandas = _frames.arrow_frame(table)  # what the engines read before
    want = _classify(through_pandas)
    got = _classify(table)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["lead_id"].dtype == pd.ArrowDtype(table.schema.field("lead_id").type)
    kpis = _kpis(table, _arrow(TABLES.touches), _arrow(TABLES.surveys))
    assert kpis["channel"].dtype == pd.ArrowDtype(table.schema.field("channel").type)
    small = table.cast(pa.schema([field.with_type(pa.string()) if field.type in (
        pa.large_string(), pa.string()) else field for field in table.schema]))
    assert _classify(small)["lead_id"].dtype == pd.ArrowDtype(pa.string())


def test_a_dictionary_key_keeps_its_categories(monkeypatch):
    """A dictionary-encoded group key is read by the engine and comes back a categorical over
    the input's categories, as the pandas path gives it."""
    leads = TABLES.leads.astype({"channel": "category"})
    want = _kpis(leads, TABLES.touches, TABLES.surveys)

    def refuse(*args, **kwargs):
        raise AssertionError("an Arrow table was turned into a pandas frame")

    monkeypatch.setattr(_frames, "arrow_frame", refuse)
    got = _kpis(StreamOnly(_arrow(leads).to_reader(max_chunksize=9)), _arrow(TABLES.touches),
                _arrow(TABLES.surveys))
    assert isinstance(got["channel"].dtype, pd.CategoricalDtype)
    assert list(got["channel"].dtype.categories) == list(want["channel"].dtype.categories)
    pd.testing.assert_frame_equal(got.astype({"channel": object}),
                                  want.astype({"channel": object}), check_exact=True)


def test_polars_string_views_are_read_by_the_engine(expected, no_pandas_frames):
    """Polars hands its strings as Arrow string views: the importer reads them (ids come back
    as large strings, as the pandas path's cast gave them)."""
    polars = pytest.importorskip("polars", reason="polars is not installed")
    want_grades, want_kpis = expected
    leads = polars.from_pandas(TABLES.leads)
    assert pa.RecordBatchReader.from_stream(leads).schema.field("lead_id").type == \
        pa.string_view()
    grades = _classify(leads)
    assert grades["lead_id"].dtype == pd.ArrowDtype(pa.large_string())
    assert grades["lead_id"].tolist() == TABLES.leads["lead_id"].tolist()
    assert grades["grade"].tolist() == want_grades["grade"].tolist()
    got = _kpis(leads, polars.from_pandas(TABLES.touches), polars.from_pandas(TABLES.surveys))
    pd.testing.assert_frame_equal(got.astype({"channel": object}),
                                  want_kpis.astype({"channel": object}), check_exact=True)


def test_the_engine_gives_the_stream_back_as_it_read_it():
    """The core's own entry point: a capsule taken from the object, grades in input order
    across batches; a table without the id column is the importer's error."""
    table = _arrow(TABLES.leads)
    result = _frames.ArrowResult(_core.classify_arrow(POLICY._impl,
                                                      table.to_reader(max_chunksize=3)))
    read = result.read_all()
    assert read.column_names == ["lead_id", "grade", "rule"]
    assert read["lead_id"].to_pylist() == TABLES.leads["lead_id"].tolist()
    with pytest.raises(ValueError, match='^leads: missing required column "lead_id"'):
        _core.classify_arrow(POLICY._impl, table.drop_columns(["lead_id"]))
    with pytest.raises(TypeError, match="leads: expected an object with __arrow_c_stream__"):
        _core.classify_arrow(POLICY._impl, object())


def test_as_of_defaults_to_the_latest_instant_as_on_the_pandas_path():
    want = leadkit.kpis(TABLES.leads, TABLES.touches, POLICY, surveys=TABLES.surveys)
    got = leadkit.kpis(_arrow(TABLES.leads), _arrow(TABLES.touches), POLICY,
                       surveys=_arrow(TABLES.surveys))
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_the_tasks_are_the_engines_own():
    """The tasks of the stream path are the C ABI's (lk_schedule_actions_arrow): the
    pandas path's code is not run, and the frame is the one the pandas path gives the same
    Arrow tables, dtypes included (ids and consultants as the input's Arrow strings)."""
    leads, touches = _arrow(TABLES.leads), _arrow(TABLES.touches)
    through_pandas = [_frames.arrow_frame(t) for t in (leads, touches)]
    calls = [_schedule, _next_actions, _agenda, _consultants_agenda]
    want = [call(*through_pandas, None) for call in calls]
    import leadkit._schedule as module
    original = module._run
    try:
        module._run = lambda *a, **k: pytest.fail("the pandas path ran")
        for call, expected in zip(calls, want):
            got = call(leads, touches, None)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
    finally:
        module._run = original
    assert want[0]["lead_id"].dtype == pd.ArrowDtype(leads.schema.field("lead_id").type)
    assert want[0]["consultant_id"].dtype == pd.ArrowDtype(
        leads.schema.field("consultant_id").type)
    # One consultant's agenda: only their tasks, and some.
    assert 0 < len(want[3]) < len(want[2])
    assert set(want[3]["consultant_id"]) == {CONSULTANT}


def _broken() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with a lead without created_at (row 3) and a touch of a lead the batch
    lacks (row 5)."""
    leads, touches = TABLES.leads.copy(), TABLES.touches.copy()
    leads.loc[3, "created_at"] = pd.NaT
    touches.loc[5, "lead_id"] = "NOT-A-LEAD"
    return leads, touches


def test_rejected_rows_are_collected_alike(monkeypatch):
    """errors="collect" on streams: each bad row named as on the pandas path (table, row,
    lead_id, column, reason), the other leads' tasks kept; without it, the pandas path's
    error."""
    leads, touches = _broken()

    def call(*tables):
        return leadkit.schedule(*tables, POLICY, as_of=surface.AS_OF, errors="collect")

    want_tasks, want_errors = call(leads, touches)
    monkeypatch.setattr(_frames, "arrow_frame", lambda *a, **k: pytest.fail("pandas frame"))
    got_tasks, got_errors = call(StreamOnly(_arrow(leads).to_reader(max_chunksize=4)),
                                 _arrow(touches))
    pd.testing.assert_frame_equal(_as_text(got_tasks, ["lead_id", "consultant_id"]),
                                  _as_text(want_tasks, ["lead_id", "consultant_id"]),
                                  check_exact=True)
    pd.testing.assert_frame_equal(got_errors, want_errors, check_exact=True)
    bad_lead = TABLES.leads["lead_id"].iloc[3]
    assert got_errors[["table", "row", "lead_id", "column"]].values.tolist() == [
        ["leads", 3, bad_lead, "created_at"], ["touches", 5, "NOT-A-LEAD", "lead_id"]]
    assert got_errors["reason"].tolist() == [f'lead_id "{bad_lead}": created_at is null',
                                             'lead_id "NOT-A-LEAD" is not in the leads']
    # Every lead but the one rejected keeps its tasks.
    assert set(got_tasks["lead_id"].astype(object)) <= set(leads["lead_id"]) - {bad_lead}
    assert bad_lead not in set(got_tasks["lead_id"].astype(object))
    with pytest.raises(ValueError) as on_frames:
        leadkit.schedule(leads, touches, POLICY, as_of=surface.AS_OF)
    with pytest.raises(ValueError) as on_stream:
        leadkit.schedule(_arrow(leads), _arrow(touches), POLICY, as_of=surface.AS_OF)
    assert str(on_stream.value) == str(on_frames.value)
    assert str(on_stream.value).startswith("leads row 3: ")


def test_agenda_filters_on_streams():
    """A dealer filter without the leads' dealer_id column is the pandas path's error; a
    filter that is not text takes the pandas path (nothing matches); a dictionary-encoded
    consultant_id comes back a categorical over the input's categories."""
    leads = TABLES.leads.drop(columns=["dealer_id"])
    with pytest.raises(ValueError) as on_frames:
        leadkit.agenda(leads, TABLES.touches, POLICY, day=DAY, dealer_id="D001")
    with pytest.raises(ValueError) as on_stream:
        leadkit.agenda(_arrow(leads), _arrow(TABLES.touches), POLICY, day=DAY,
                       dealer_id="D001")
    assert str(on_stream.value) == str(on_frames.value) == \
        'leads: dealer_id= needs a "dealer_id" column'
    assert leadkit.agenda(_arrow(TABLES.leads), _arrow(TABLES.touches), POLICY, day=DAY,
                          consultant_id=7).empty
    categorical = TABLES.leads.astype({"consultant_id": "category"})
    want = leadkit.agenda(categorical, TABLES.touches, POLICY, day=DAY)
    got = leadkit.agenda(StreamOnly(_arrow(categorical).to_reader(max_chunksize=9)),
                         _arrow(TABLES.touches), POLICY, day=DAY)
    assert isinstance(got["consultant_id"].dtype, pd.CategoricalDtype)
    assert list(got["consultant_id"].dtype.categories) == list(
        want["consultant_id"].dtype.categories)
    pd.testing.assert_frame_equal(_as_text(got, ["lead_id"]), _as_text(want, ["lead_id"]),
                                  check_exact=True)


def test_route_passes_over_dealers_as_text_and_names_a_bad_grade_alike(monkeypatch):
    """route() of a stream: the engine's assignments with passed_over as the pandas path's
    "dealer:reason" text (hand-checked: a full nearest dealer is passed over), and a grade
    that is not the policy's named as the pandas path names it."""
    dealers = pd.DataFrame({"dealer_id": ["NEAR", "FAR"], "region_id": ["R1", "R1"],
                            "lat": [31.0, 31.1], "lon": [121.0, 121.0]})
    consultants = pd.DataFrame({"consultant_id": ["N1", "F1"], "dealer_id": ["NEAR", "FAR"],
                                "open_leads": [5, 0], "max_open_leads": [5, 10]})
    leads = pd.DataFrame({"lead_id": ["L1", "L2"],
                          "created_at": pd.to_datetime(["2025-03-03 10:00", "2025-03-03 11:00"],
                                                       utc=True),
                          "lat": [31.0, 31.0], "lon": [121.0, 121.0],
                          "grade": ["A", "B"], "phone": ["13800000001", "13800000002"]})

    def call(table):
        return leadkit.route(table, dealers, consultants, POLICY)

    want = call(leads)
    monkeypatch.setattr(_frames, "arrow_frame", lambda *a, **k: pytest.fail("pandas frame"))
    got = call(StreamOnly(_arrow(leads)))
    pd.testing.assert_frame_equal(_as_text(got, ["lead_id"]), _as_text(want, ["lead_id"]),
                                  check_exact=True)
    assert got["dealer_id"].tolist() == ["FAR", "FAR"]
    assert got["passed_over"].tolist() == ["NEAR:nearest_full", "NEAR:nearest_full"]
    bad = leads.assign(grade=["A", "Z"])
    monkeypatch.undo()
    with pytest.raises(ValueError) as on_frames:
        call(bad)
    monkeypatch.setattr(_frames, "arrow_frame", lambda *a, **k: pytest.fail("pandas frame"))
    with pytest.raises(ValueError) as on_stream:
        call(_arrow(bad))
    assert str(on_stream.value) == str(on_frames.value)
    assert str(on_stream.value).startswith("leads.grade: lead_id='L2' (row 1) has 'Z'")


# --- The fallback: columns the importer does not read as the pandas path does ---------------


def test_a_dictionary_lead_id_comes_back_a_categorical_as_before():
    table = _arrow(TABLES.leads.astype({"lead_id": "category"}))
    got = _classify(table)
    assert isinstance(got["lead_id"].dtype, pd.CategoricalDtype)
    assert got["lead_id"].astype(object).tolist() == TABLES.leads["lead_id"].tolist()


def test_naive_times_are_the_pandas_paths_error():
    leads = TABLES.leads.assign(created_at=TABLES.leads["created_at"].dt.tz_localize(None))
    with pytest.raises(ValueError) as on_frames:
        _kpis(leads, TABLES.touches, TABLES.surveys)
    with pytest.raises(ValueError) as on_stream:
        _kpis(StreamOnly(_arrow(leads)), _arrow(TABLES.touches), _arrow(TABLES.surveys))
    assert str(on_stream.value) == str(on_frames.value)
    assert "leads.created_at" in str(on_stream.value)


def test_text_where_a_number_is_expected_is_the_pandas_paths_error():
    leads = TABLES.leads.assign(
        purchase_within_days=TABLES.leads["purchase_within_days"].astype(object).map(
            lambda v: None if pd.isna(v) else str(int(v))))
    with pytest.raises(ValueError) as on_frames:
        _classify(leads)
    with pytest.raises(ValueError) as on_stream:
        _classify(StreamOnly(_arrow(leads)))
    assert str(on_stream.value) == str(on_frames.value)
    assert str(on_stream.value).startswith("leads.purchase_within_days: ")


def test_a_missing_column_and_a_column_twice_are_named_as_before():
    touches = _arrow(TABLES.touches).drop_columns(["method"])
    with pytest.raises(ValueError, match='^touches: missing required column "method"'):
        _kpis(_arrow(TABLES.leads), touches, _arrow(TABLES.surveys))
    leads = _arrow(TABLES.leads)
    twice = leads.append_column("channel", leads["channel"])
    with pytest.raises(ValueError, match='^leads: column "channel" appears more than once'):
        _classify(twice)


def test_a_stream_is_asked_for_once():
    """A stream that can be read once (a reader behind __arrow_c_stream__) serves a call that
    falls back to pandas too."""
    leads = TABLES.leads.astype({"lead_id": "category"})
    got = _classify(StreamOnly(_arrow(leads).to_reader(max_chunksize=5)))
    assert got["lead_id"].astype(object).tolist() == TABLES.leads["lead_id"].tolist()


def test_a_null_id_is_named_by_its_row_across_batches():
    leads = TABLES.leads.copy()
    leads.loc[9, "lead_id"] = None
    with pytest.raises(ValueError, match=r"^leads\.lead_id: row 9 has no id \(null\)$"):
        _classify(StreamOnly(_arrow(leads).to_reader(max_chunksize=4)))


def test_an_unknown_survey_lead_is_the_engines_error_on_both_paths():
    surveys = TABLES.surveys.copy()
    surveys.loc[0, "lead_id"] = "NOT-A-LEAD"
    with pytest.raises(ValueError) as on_frames:
        _kpis(TABLES.leads, TABLES.touches, surveys)
    with pytest.raises(ValueError) as on_stream:
        _kpis(_arrow(TABLES.leads), _arrow(TABLES.touches), _arrow(surveys))
    assert str(on_stream.value) == str(on_frames.value)
