"""The report rendered by a real browser (headless Chromium, Debian's ``chromium`` package that
scripts/setup installs), in both languages: the checks read the laid-out page's DOM, not its
pixels — no table wider than the page, every chart with its title."""

import json
import re
import shutil
import subprocess

import pytest

import leadkit
from leadkit import plot, report, synth

pytest.importorskip("matplotlib")

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                  "google-chrome") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no headless Chromium here (scripts/setup installs Debian's "
                             "chromium package)")

# Run in the page once it is laid out: the facts the test asserts on, as JSON in a <pre>.
_PROBE = """
<script>
window.addEventListener("load", () => {
  const page = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll("table")].map(t => ({
    heading: (t.previousElementSibling || {}).textContent || "",
    right: t.getBoundingClientRect().right,
    scroll: t.scrollWidth, width: t.clientWidth}));
  const charts = [...document.querySelectorAll("figure")].map(f => {
    const svg = f.querySelector("svg");
    const title = svg && svg.querySelector("title");
    const box = svg ? svg.getBoundingClientRect() : {right: 0, width: 0};
    return {name: f.dataset.chart, label: f.getAttribute("aria-label"),
            title: title ? title.textContent : null,
            texts: svg ? [...svg.querySelectorAll("text")].map(t => t.textContent) : [],
            right: box.right, width: box.width};
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({page, scroll: document.documentElement.scrollWidth,
                                    tables, charts});
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture(scope="module")
def built():
    data = synth.generate(leads=3000, dealers=6, seed=11)
    leads = data.leads.copy()
    # Chinese free text beside the catalogue's words: lost reasons and dealer names.
    lost = leads["status"] == "lost"
    reasons = ["价格太高", "已购买竞品车型"]
    leads.loc[lost, "lost_reason"] = [reasons[i % 2] for i in range(int(lost.sum()))]
    result = report.build(leads, data.touches, leadkit.Policy.preset("abcd"),
                          visits=data.visits, dealers=data.dealers)
    yield result
    plot.pyplot().close("all")


def _render(page: str, folder, width: int) -> dict:
    path = folder / "page.html"
    path.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom",
         path.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, flags=re.S)
    assert found, result.stdout[-2000:]
    return json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">").replace("&quot;", '"'))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [1280, 800])
def test_the_report_lays_out_in_a_browser(built, tmp_path, lang, width):
    facts = _render(built.html(lang), tmp_path, width)
    assert facts["scroll"] <= facts["page"], "the page scrolls sideways"
    assert len(facts["tables"]) == 5
    for table in facts["tables"]:
        assert table["scroll"] <= table["width"] and table["right"] <= facts["page"], table
    assert [c["name"] for c in facts["charts"]] == list(built.figures)
    for chart in facts["charts"]:
        assert chart["title"] and chart["title"] == chart["label"], chart["name"]
        assert chart["title"] in chart["texts"], chart["name"]
        assert 0 < chart["width"] and chart["right"] <= facts["page"], chart["name"]
    titles = [c["title"] for c in facts["charts"]]
    if lang == "zh":
        assert "战败原因" in titles
        lost = next(c for c in facts["charts"] if c["name"] == "lost_reasons")
        assert "价格太高" in lost["texts"] and "已购买竞品车型" in lost["texts"]
    else:
        assert "Lost reasons" in titles
