"""leadkit.dask on a local cluster of two worker processes gives exactly leadkit's numbers."""

import os
import sys

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

import leadkit  # noqa: E402
import leadkit.dask as ld  # noqa: E402
from leadkit import Policy, Scope  # noqa: E402

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


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    return random_inputs(7, n=300)


@pytest.mark.parametrize("lead_parts, touch_parts, survey_parts", [(1, 1, 1), (3, 7, 2), (8, 3, 5)])
@pytest.mark.parametrize("by", [None, "channel", ["month", "current_grade"]])
def test_kpis_equal_the_single_process_numbers(client, data, lead_parts, touch_parts,
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


def test_empty_partitions_and_the_default_as_of(client, data):
    leads, touches, surveys = data
    lead_frame = dd.from_pandas(leads, npartitions=6)
    # Filtering leaves some partitions without rows.
    few = lead_frame[lead_frame["lead_id"].isin(["L1", "L2", "L250"])]
    keep = touches[touches["lead_id"].isin(["L1", "L2", "L250"])]
    expected = leadkit.kpis(few.compute(), keep, OABC)
    got = ld.kpis(few, dd.from_pandas(keep, npartitions=4), OABC)
    assert_same_table(got, expected)


def test_scopes_and_dealers(client):
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


def test_classify_and_schedule_partition_wise(client, data):
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


def test_the_default_as_of_reads_only_the_columns_leadkit_reads(client, data):
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


def test_dealer_calendars_on_the_cluster(client):
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
