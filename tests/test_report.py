"""The HTML timeline report, rendered by a real headless Chromium: the charts must actually draw.

Needs `chromium` (CI installs it in .ci/run); skipped with a reason when it is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from regtrail.cli.analyst import main
from tests.support.events import CANCELLED_NUMBER
from tests.support.warehouse import published_sample

pytestmark = pytest.mark.dbt

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("report")
    published_sample(tmp_path_factory.getbasetemp(), home, docs=False)
    return home


def scalar(home: Path, sql: str, *params):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()[0]


def render(page: Path, fragment: str, profile: Path) -> BeautifulSoup:
    """The DOM after the page's scripts ran, as Chromium dumps it (no network, throwaway profile)."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom",
               page.resolve().as_uri() + fragment]
    out = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return BeautifulSoup(out.stdout, "html.parser")


def drawn_traces(dom: BeautifulSoup, plot_id: str) -> list:
    """Trace groups plotly drew into one chart's SVG, each with at least one non-empty path."""
    plot = dom.find(id=plot_id)
    assert plot is not None, plot_id
    assert plot.select(".plot-container svg.main-svg"), f"{plot_id}: plotly did not draw"
    traces = plot.select("svg.main-svg g.trace")
    return [t for t in traces if any(p.get("d", "").startswith("M") for p in t.select("path"))]


def test_report_is_self_contained(home: Path) -> None:
    text = (home / "report" / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", text), "scripts must be inline (the report works offline)"
    assert not re.search(r"<link[^>]*href=[\"']https?:", text)
    assert "Plotly" in text and len(text) > 1_000_000  # plotly.js is embedded


@needs_chromium
def test_charts_draw_in_headless_chromium(home: Path, tmp_path: Path) -> None:
    dom = render(home / "report" / "index.html", "", tmp_path / "profile")
    list_types = scalar(home, "select count(distinct list_type) from fct_list_batches")
    unavailable_types = scalar(home, "select count(distinct list_type) from fct_list_batches where status <> 'parsed'")
    batches = drawn_traces(dom, "plot-0")
    assert len(batches) == list_types + unavailable_types
    bars = dom.find(id="plot-0").select("g.trace.bars g.point path")
    assert len(bars) == scalar(home, "select count(*) from fct_list_batches where status = 'parsed'")
    event_types = scalar(home, "select count(distinct event_type) from fct_timeline_events")
    assert len(drawn_traces(dom, "plot-1")) == event_types
    cancelled = scalar(home, "select count(*) > 0 from fct_filings where status = 'cancelled'")
    assert len(drawn_traces(dom, "plot-2")) == list_types + int(cancelled)
    filings = scalar(home, "select count(*) from fct_filings")
    assert dom.find(string=re.compile("^filings$")).parent.find("b").text == str(filings)


@needs_chromium
def test_timeline_search_filters_rows(home: Path, tmp_path: Path) -> None:
    page = home / "report" / "index.html"
    dom = render(page, f"#q={CANCELLED_NUMBER}", tmp_path / "p1")
    rows = dom.select("#timeline tbody tr")
    expected = scalar(home, "select count(*) from fct_timeline_events where filing_number = ?", CANCELLED_NUMBER)
    assert len(rows) == expected == int(dom.find(id="timeline")["data-matches"])
    assert {r.select("td")[3].text for r in rows} == {CANCELLED_NUMBER}
    assert "filing_cancelled" in {r.select("td")[1].text for r in rows}

    everything = render(page, "", tmp_path / "p2")
    total = scalar(home, "select count(*) from fct_timeline_events")
    assert len(everything.select("#timeline tbody tr")) == total
    only = render(page, "#type=filing_changed", tmp_path / "p3")
    changed = scalar(home, "select count(*) from fct_timeline_events where event_type = 'filing_changed'")
    assert {r.select("td")[1].text for r in only.select("#timeline tbody tr")} == {"filing_changed"}
    assert int(only.find(id="timeline")["data-matches"]) == changed


def test_report_command_writes_a_file(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "timeline.html"
    assert main(["report", "--warehouse", str(home / "warehouse.duckdb"), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Timeline by entity" in text and CANCELLED_NUMBER in text


HOSTILE = "<!--<script>alert(1)</script>&amp;</script><!--"


def test_no_cell_value_breaks_out_of_the_report(home: Path, tmp_path: Path) -> None:
    """A value that opens an HTML comment and a script inside the embedded data stays one inert cell."""
    copy = tmp_path / "hostile.duckdb"
    shutil.copyfile(home / "warehouse.duckdb", copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update fct_timeline_events set description = ? || coalesce(description, '') "
                    "where rowid = (select min(rowid) from fct_timeline_events)", [HOSTILE])
        con.execute("update fct_list_batches set batch_label = ? || batch_label", [HOSTILE])
        con.execute("update fct_timeline_events set list_id = ? || list_id where list_id is not null", [HOSTILE])
        total = con.execute("select count(*) from fct_timeline_events").fetchone()[0]
    out = tmp_path / "report" / "index.html"
    assert main(["report", "--warehouse", str(copy), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", text.split("</style>", 1)[1], flags=re.S)
    assert not any("<!--" in s or "<script" in s for s in scripts), "raw markup inside a script element"
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: the rendering half of this test needs it")
    dom = render(out, "", tmp_path / "profile")
    rows = dom.select("#timeline tbody tr")
    assert len(rows) == min(total, 500) and int(dom.find(id="timeline")["data-matches"]) == total
    assert HOSTILE in {r.select("td")[7].text[: len(HOSTILE)] for r in rows}
    assert all(len(drawn_traces(dom, f"plot-{i}")) > 0 for i in range(3))
    assert dom.find(id="plot-0").select("g.trace.bars g.point path")
