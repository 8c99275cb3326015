"""The documentation keeps up with the library."""

import re

from leadkit import _frames

from conftest import ROOT


def test_data_md_lists_every_lead_field():
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    leads_section = text.split("## leads")[1].split("\n## ")[0]
    documented = set(re.findall(r"`([a-z_]+)`", leads_section))
    assert set(_frames.LEAD_FIELDS) <= documented


def _playbook_table(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under `heading` in docs/playbook.md, cells stripped."""
    lines = text.split(heading, 1)[1].split("\n")
    start = next(k for k, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return rows


def test_playbook_md_tables_are_the_presets_and_the_vocabularies():
    import json
    from leadkit import Policy, _core
    text = (ROOT / "docs" / "playbook.md").read_text(encoding="utf-8")
    for name in Policy.presets():
        rows = _playbook_table(text, f"### `{name}`\n")
        written = [(r[0].strip("`"), r[2], r[3], r[4], r[5]) for r in rows]
        book = Policy.preset(name).playbook
        assert written == [(r.id, r.method, r.content, r.goal, r.note) for r in book], name
    bare = {"grades": ["a"], "rules": [{"id": "d", "grade": "a"}],
            "cadence": {"follow_up_days": {"a": 3}}}
    default = Policy.from_json(json.dumps(bare)).playbook
    rows = _playbook_table(text, "## The default playbook\n")
    assert [(r[0].strip("`"), r[2], r[3], r[4]) for r in rows] == [
        (r.id, r.method, r.content, r.goal) for r in default]
    for heading, words in [("## Methods\n", _core.playbook_methods()),
                           ("## Content types\n", _core.playbook_contents()),
                           ("## Goals\n", _core.playbook_goals())]:
        assert [r[0].strip("`") for r in _playbook_table(text, heading)] == list(words)
