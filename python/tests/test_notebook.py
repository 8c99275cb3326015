"""docs/examples/conversion_metrics.ipynb runs from top to bottom (so it cannot rot)."""

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "examples",
                        "conversion_metrics.ipynb")


def test_the_conversion_metrics_notebook_runs_and_draws_its_charts(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Stored clean: outputs come from running it, not from the file.
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # channels, by month, grade funnel, activity funnel, first contact, pipeline, lost reasons
    assert len(images) == 7
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "grades: ['A', 'B', 'C', 'D']" in text
    assert "won " in text
