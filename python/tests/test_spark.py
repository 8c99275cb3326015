"""The Spark recipe of docs/distributed.md, run as written on a local Spark session: the KPI,
follow-up effectiveness and lost-sales tables equal the pandas functions'. Skipped when pyspark
or a Java runtime is not installed."""

import pathlib
import re
import shutil

import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark recipe "
                                                "of docs/distributed.md needs it")
if shutil.which("java") is None:
    pytest.skip("no Java runtime: Spark needs one", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

import leadkit  # noqa: E402

import surface  # noqa: E402

# PySpark's own notice about pandas 3, raised by its conversions; nothing of leadkit's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning")

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "distributed.md"


def recipe() -> str:
    """The Python block of the Spark section of docs/distributed.md."""
    section = DOC.read_text(encoding="utf-8").split("## Spark", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns (categoricals, pandas strings) as Python strings and None, which Spark
    reads as strings."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
                column.dtype):
            out[name] = column.astype(object).where(column.notna(), None)
    return out


@pytest.fixture(scope="module")
def spark():
    session = (SparkSession.builder.master("local[2]").appName("leadkit-recipe")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_the_spark_recipe_gives_the_pandas_tables(spark, tmp_path, monkeypatch):
    policy = leadkit.Policy.preset("abcd")
    tables = surface.generate(policy, leads=120, seed=4)
    leads, touches = plain(tables.leads), plain(tables.touches)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.json").write_text(policy.to_json(), encoding="utf-8")
    names = {"spark": spark, "leads_sdf": spark.createDataFrame(leads),
             "touches_sdf": spark.createDataFrame(touches)}
    exec(recipe(), names)
    as_of = names["AS_OF"]
    pd.testing.assert_frame_equal(names["kpi_table"],
                                  leadkit.kpis(leads, touches, policy, by="month", as_of=as_of))
    pd.testing.assert_frame_equal(names["effectiveness_table"],
                                  leadkit.effectiveness(leads, touches, as_of=as_of))
    pd.testing.assert_frame_equal(names["lost_table"],
                                  leadkit.lost_analysis(leads, by="month", policy=policy,
                                                        as_of=as_of))
    # Not empty tables: every generated lead (2025) is created by the recipe's as_of
    # (2026-01-01); the leads lost by then count.
    assert as_of == surface.AS_OF
    lost_by_then = ((leads["status"] == "lost") & (leads["lost_at"] <= as_of)).sum()
    assert names["lost_table"]["lost"].sum() == lost_by_then > 0
    assert names["kpi_table"]["leads"].sum() > 0
    assert names["effectiveness_table"]["leads"].sum() > 0
