"""`ingest`/`crawl` exit codes and their one-line summary: 0 nothing failed, 1 something failed, 3 everything
failed; messages state what happened (an empty body says whether a Referer was sent)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from regtrail import settings
from regtrail.crawl import runner
from regtrail.log import events
from regtrail.mirror.hostile import docx_bomb
from tests.support.fault_server import FaultServer, busy, respond

LIST = docx_bomb(300_000)  # a small, valid filing list
DOC = "/www.cac.gov.cn/files/list.docx"
BUSY = "/www.cac.gov.cn/files/busy.docx"
EMPTY = "/www.cac.gov.cn/files/empty.docx"
GONE = "/www.cac.gov.cn/files/gone.docx"


def ingest(home: Path, origin: str, *paths: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "REGTRAIL_LOG"}
    env.update(REGTRAIL_HOME=str(home), REGTRAIL_MIRROR=origin, PYTHONPATH=str(settings.REPO_ROOT))
    urls = [f"https://{p.lstrip('/')}" for p in paths]
    return subprocess.run([sys.executable, "-m", "regtrail", "ingest", *urls], env=env, cwd=settings.REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def server():
    routes = {DOC: respond(200, LIST), BUSY: busy(503, "0"), EMPTY: respond(200, b"", {"Content-Type": "text/html"})}
    with FaultServer(routes=routes) as running:
        yield running


@pytest.mark.parametrize(("paths", "code", "words"), [
    ((DOC,), 0, "1 parsed, 0 URL(s) failed"),
    ((DOC, GONE), 0, "1 URL(s) not available (404/410)"),
    ((DOC, BUSY), 1, "with failures (adhoc: 1 failed, 0 unparsed)"),
    ((BUSY, EMPTY), 3, "everything failed (adhoc: 2 failed, 0 unparsed)"),
])
def test_ingest_exit_code_and_summary(server: FaultServer, tmp_path: Path, paths: tuple[str, ...], code: int,
                                      words: str) -> None:
    done = ingest(tmp_path / "home", server.origin, *paths)
    summary = done.stderr.strip().splitlines()[-1].removeprefix("error: ")
    assert done.returncode == code, done.stderr[-2000:]
    assert summary.startswith("ingest: 1 source(s)") and words in summary, summary
    if BUSY in paths:
        assert server.hits(BUSY) == 3, "retried before it counts as failed"


def test_empty_body_message_says_whether_a_referer_was_sent(server: FaultServer, home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
    runner.ingest([f"https://{EMPTY.lstrip('/')}"], root=home)
    (row,) = [r for r in events.read_events(home, "fetch", "adhoc").to_pylist() if r["url"].endswith("empty.docx")]
    assert row["error_kind"] == "empty_body" and "without a Referer" in row["error"] and row["referer"] is None
    assert "notice page as Referer" not in row["error"], "no guess about a cause that did not happen"


def test_outcome_counts_every_source() -> None:
    ok = Counter(documents=3)
    broken = Counter({"documents": 1, "records:parse_failure": 1, "failed_urls": 2})
    assert runner.outcome("crawl", {"a": ok})[0] == runner.EXIT_OK
    code, line = runner.outcome("crawl", {"a": ok, "b": broken})
    assert code == runner.EXIT_FAILURES and "b: 2 failed, 1 unparsed" in line and "a:" not in line.split("(")[-1]
    assert runner.outcome("crawl", {"b": broken})[0] == runner.EXIT_ALL_FAILED
