"""The `regtrail` command: installed entry point, help on every command, exit codes, lazy imports, progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regtrail import settings
from regtrail.cli.app import app
from tests.support.cli import commands

REGTRAIL = Path(sys.executable).with_name("regtrail")  # the console script `pip install -e .` made
COMMANDS = {"crawl", "ingest", "replay", "parse", "build", "publish", "mirror", "demo", "airflow",
            "timeline", "batches", "filing", "regions", "report"}
HEAVY = ("airflow", "cosmos", "dbt", "pyarrow", "duckdb", "requests", "bs4", "fsspec", "docx", "yaml")


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REGTRAIL), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env}, cwd=settings.REPO_ROOT)


def test_the_console_script_lists_every_command() -> None:
    assert commands() == COMMANDS
    out = run("--help", COLUMNS="200")
    assert out.returncode == 0, out.stderr
    listed = {line.split()[1] for line in out.stdout.splitlines() if line.startswith("│ ") and len(line.split()) > 2}
    assert COMMANDS <= listed, out.stdout
    assert "Exit codes: 0 ok; 1 failure" in " ".join(out.stdout.split())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"Usage: regtrail {command}" in result.output


def test_help_imports_no_heavy_library() -> None:
    probe = ("import sys\nfrom regtrail.cli.app import app\n"
             "try:\n    app(['--help'], prog_name='regtrail')\nexcept SystemExit:\n    pass\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr


def test_usage_errors_exit_2() -> None:
    assert run("no-such-command").returncode == 2
    unknown = run("crawl", "no_such_source")
    assert unknown.returncode == 2 and "unknown source(s) no_such_source" in unknown.stderr
    assert run("timeline", "x", "--as-of", "2025-13-40").returncode == 2
    assert run("mirror", "--synthetic", "sometimes").returncode == 2


def test_a_crawl_whose_every_fetch_fails_exits_3_with_its_stats(tmp_path: Path) -> None:
    """Nothing listens on the mirror's port: every fetch fails, nothing is parsed."""
    out = run("crawl", "cac_cancellations", REGTRAIL_HOME=str(tmp_path), REGTRAIL_MIRROR="http://127.0.0.1:9")
    assert out.returncode == 3, out.stderr
    stats = json.loads(out.stdout)["cac_cancellations"]
    assert stats["failed_urls"] > 0 and "documents" not in stats
    assert "everything failed (cac_cancellations: 1 failed, 0 unparsed)" in out.stderr.splitlines()[-1]
    assert "crawl cac_cancellations: 0 documents, 1 failed URLs" in out.stderr  # the progress line
    ingest = run("ingest", "https://www.cac.gov.cn/none.htm", REGTRAIL_HOME=str(tmp_path),
                 REGTRAIL_MIRROR="http://127.0.0.1:9")
    assert ingest.returncode == 3 and json.loads(ingest.stdout)["adhoc"]["failed_urls"] == 1


def test_progress_observer_sees_every_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from regtrail.crawl import runner

    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: never the network
    seen: list[tuple[str, int]] = []
    runner.ingest(["https://www.cac.gov.cn/none.htm"], root=tmp_path,
                  observer=lambda source, stats: seen.append((source, stats["failed_urls"])))
    assert seen and {source for source, _ in seen} == {"adhoc"}
    assert [n for _, n in seen] == sorted(n for _, n in seen) and seen[-1][1] > 0


@pytest.mark.dbt
def test_build_then_publish_through_the_cli(tmp_path: Path) -> None:
    """`regtrail build` runs dbt into the build file, `publish` swaps it in (with the dbt docs); a second publish has
    nothing to swap."""
    import duckdb

    from tests.support.events import AR_ROWS, DS_ROWS, write_sample_log

    home = write_sample_log(tmp_path / "home")
    built = run("build", REGTRAIL_HOME=str(home))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert (home / "build" / "warehouse.duckdb").exists() and not (home / "warehouse.duckdb").exists()
    published = run("publish", "--no-report", REGTRAIL_HOME=str(home))
    assert published.returncode == 0, published.stderr[-2000:]
    # The docs run started from the build's saved parse (its copy of the build file sits where the build's was):
    # of the two dbt commands in the log (beside the build's), only the build parsed the project.
    log = (home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert log.count("Starting full parse") == 1 and log.count("no changes found, skipping parsing") == 1, log[-3000:]
    assert (home / "docs" / "catalog.json").exists()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_filings").fetchone()[0] == len({r[6] for r in AR_ROWS + DS_ROWS})
    assert (home / "exports" / "fct_filings.parquet").exists() and not (home / "report").exists()
    again = run("publish", REGTRAIL_HOME=str(home))
    assert again.returncode == 1 and "nothing to publish" in again.stderr
