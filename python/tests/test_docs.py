"""The documentation keeps up with the library."""

import re

from leadkit import _frames

from conftest import ROOT


def test_data_md_lists_every_lead_field():
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    leads_section = text.split("## leads")[1].split("\n## ")[0]
    documented = set(re.findall(r"`([a-z_]+)`", leads_section))
    assert set(_frames.LEAD_FIELDS) <= documented
