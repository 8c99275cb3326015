import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def golden_dir() -> pathlib.Path:
    return ROOT / "tests" / "golden"
