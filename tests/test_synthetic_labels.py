"""Without ../shared the mirror invents its lists and notices: every row resting on them says so in the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.crawl import runner
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from tests.support.warehouse import run_dbt_build


@pytest.mark.dbt
def test_invented_rows_are_marked_in_every_mart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no_shared"
    empty.mkdir()
    monkeypatch.setenv("REGTRAIL_SHARED", str(empty))
    site = build_site(settings.shared_dir())
    assert site.synthetic == "all"
    home = tmp_path / "home"
    with start_mirror(site) as mirror:
        monkeypatch.setenv("REGTRAIL_HOME", str(home))
        monkeypatch.setenv("REGTRAIL_MIRROR", mirror.origin)
        stats = runner.crawl(["cac_algo_recommendation", "cac_genai", "cac_cancellations"], run_key="synthetic",
                             root=home)
    assert all(stats[s]["fetch_failures"] == 0 for s in stats)
    result = run_dbt_build(home, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        for mart in ("fct_genai_approvals", "fct_timeline_events", "fct_filings"):
            total, synthetic = con.execute(f"select count(*), count(*) filter (where is_synthetic) from {mart}"
                                           ).fetchone()
            assert total > 0 and synthetic == total, mart
        invented = con.execute("select count(*) from fct_genai_approvals where entity_name like '%示例%'").fetchone()
        assert invented[0] > 0  # the invented names are there, and labelled
