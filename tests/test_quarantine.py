"""An unreadable event segment (truncated, dropped in or damaged in place) is moved to the quarantine with a
note naming it; crawl, replay and the build go on without it, and replay restores the record events it held,
so the marts equal those of a clean log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from regtrail import runner, warehouse
from regtrail.log import events
from regtrail.mirror.site import Site, build_site
from tests.fault_server import FaultServer
from tests.test_incremental import snapshot

pytestmark = pytest.mark.dbt
SOURCE = "cac_deep_synthesis"


@pytest.fixture(scope="module")
def site(shared: Path) -> Site:
    return build_site(shared.parent)


@pytest.fixture(scope="module")
def clean(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("clean") / "home"
    with FaultServer(site) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGTRAIL_MIRROR", server.origin)
        patch.setenv("REGTRAIL_FLUSH_SECONDS", "0")  # one segment per document
        runner.crawl([SOURCE], run_key="clean", root=home)
    return home


def damage(home: Path, kind: str) -> tuple[Path, Path]:
    """Drop a truncated copy of a segment beside it and cut another segment in place; both paths."""
    folder = home / "events" / kind / f"source={SOURCE}"
    segments = sorted(folder.glob("*.parquet"), key=lambda p: p.stat().st_size)
    assert len(segments) >= 2
    biggest = segments[-1]
    dropped = folder / ("20991231T000000000000-truncated.parquet")
    dropped.write_bytes(biggest.read_bytes()[: biggest.stat().st_size // 2])
    cut = segments[-2]
    cut.write_bytes(cut.read_bytes()[:-100])
    return dropped, cut


def copy(clean: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(clean, home)
    return home


def build(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple]]:
    monkeypatch.setenv("REGTRAIL_HOME", str(home))
    monkeypatch.delenv("REGTRAIL_BUILD_DB", raising=False)
    assert warehouse.dbt_build(home, full_refresh=True) == 0
    return {name: rows for name, rows in snapshot(warehouse.build_path(home)).items()
            if name.startswith(("fct_", "dim_"))}  # the marts (staging keeps each event's run_key)


def test_build_and_replay_go_on_without_it_and_replay_restores_the_records(
        clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = build(copy(clean, tmp_path / "reference"), monkeypatch)
    home = copy(clean, tmp_path)
    kept = events.read_events(home, "records", SOURCE).num_rows
    dropped, cut = damage(home, "records")

    partial = build(home, monkeypatch)  # the build quarantines before dbt reads the folders
    assert not dropped.exists() and not cut.exists()
    notes = events.quarantined(home)
    assert sorted(n["segment"] for n in notes) == sorted(
        str(p.relative_to(home)) for p in (dropped, cut)) and all(n["problem"] for n in notes)
    assert (home / events.QUARANTINE / cut.relative_to(home)).exists()
    assert partial != expected, "the damaged segment held records the marts lack"
    assert events.read_events(home, "records", SOURCE).num_rows < kept

    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: replay must not fetch
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    assert stats["new_record_events"] > 0 and stats["requests"] == 0
    assert events.read_events(home, "records", SOURCE).num_rows == kept
    assert build(home, monkeypatch) == expected


def test_crawl_goes_on_and_reports_the_quarantined_segments(
        site: Site, clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = copy(clean, tmp_path)
    damage(home, "records")
    (home / "events" / "fetch" / f"source={SOURCE}" / "20991231T000000000001-empty.parquet").write_bytes(b"")
    with FaultServer(site) as server:
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        stats = runner.crawl([SOURCE], run_key="after-damage", root=home)[SOURCE]
    assert stats["quarantined_segments"] == 3 and stats["failed_urls"] == 0
    code, line = runner.outcome("crawl", {SOURCE: stats})
    assert "3 unreadable segment(s) moved to the quarantine" in line
    assert len(events.quarantined(home)) == 3


def test_a_segment_damaged_inside_is_caught_when_read(clean: Path, tmp_path: Path) -> None:
    """Footer intact, a data page broken: the read that fails quarantines it and reads the rest."""
    home = copy(clean, tmp_path)
    folder = home / "events" / "records" / f"source={SOURCE}"
    target = max(folder.glob("*.parquet"), key=lambda p: p.stat().st_size)
    data = bytearray(target.read_bytes())
    for i in range(200, 4200):
        data[i] ^= 0xFF
    target.write_bytes(bytes(data))
    assert events.segment_problem(target, "records") is None, "the cheap check sees a good footer"
    table = events.read_events(home, "records", SOURCE)
    assert table.num_rows > 0 and not target.exists()
    assert [n["segment"] for n in events.quarantined(home)] == [str(target.relative_to(home))]
