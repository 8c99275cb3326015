import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def golden_dir() -> pathlib.Path:
    return ROOT / "tests" / "golden"


# In CI the property tests run the same examples every time (a failure there is reproducible
# and a new random example cannot block a submission); elsewhere they explore.
from hypothesis import settings as _settings  # noqa: E402

_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    _settings.load_profile("ci")
