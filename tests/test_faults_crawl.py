"""Whole crawls under faults: same records as a clean crawl, nothing duplicated, every fault on record,
replay appends only changed output, and a crawl killed with SIGKILL at any moment loses nothing."""

from __future__ import annotations

import inspect
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from regtrail import settings
from regtrail.crawl import runner
from regtrail.crawl.sources import get_sources
from regtrail.fetch import transport
from regtrail.log import archive, events
from regtrail.log.digest import sha256
from regtrail.mirror.site import Site, build_site
from regtrail.parsers import docx_list
from tests.support.fault_server import FaultServer, busy, corrupt_zip, reset, respond, truncated, waf_page, zip_bomb

SOURCE = "cac_deep_synthesis"


def server_path(url: str) -> str:
    parts = urlsplit(url)
    return f"/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def record_ids(home: Path) -> set[str]:
    ids = events.read_events(home, "records", SOURCE, columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids)), "no record event twice"
    return set(ids)


def fetch_rows(home: Path) -> list[dict]:
    rows = events.read_events(home, "fetch", SOURCE).to_pylist()
    assert len(rows) == len({r["event_id"] for r in rows}), "no fetch event twice"
    return rows


@pytest.fixture(scope="module")
def site(shared: Path) -> Site:
    return build_site(shared.parent)


@pytest.fixture(scope="module")
def clean(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl of the unperturbed mirror."""
    home = tmp_path_factory.mktemp("clean")
    with FaultServer(site) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGTRAIL_MIRROR", server.origin)
        runner.crawl([SOURCE], run_key="clean", root=home)
    return home


class RetryWaits:
    """Stands in for `time` in the transport: records each wait before a retry instead of sleeping it (the
    faults below would otherwise cost half a second to a second each)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> RetryWaits:
    waits = RetryWaits()
    monkeypatch.setattr(transport, "time", waits)
    return waits


def real_attachments(site: Site) -> list[str]:
    return [f"/www.cac.gov.cn{a.href}" for a in site.attachments
            if a.list_type == "deep_synthesis" and a.kind == "real"]


def test_faulty_crawl_ends_with_the_clean_records_and_every_fault_on_record(
        site: Site, clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, retry_waits: RetryWaits) -> None:
    config = get_sources([SOURCE])[0].config
    notices = [server_path(n.url) for n in config.notices]
    attachments = real_attachments(site)[3:]  # attachments of notices without faults of their own
    waf = waf_page()
    faults: dict[str, tuple[list[Callable], str]] = {
        server_path(config.listing.urls[0]): ([busy(503)], "http_status"),
        notices[0]: ([reset()], "connection"),
        notices[1]: ([busy(429), busy(503)], "http_status"),
        notices[2]: ([waf], "waf_challenge"),
        attachments[0]: ([truncated(b"PK\x03\x04" + b"w" * 500)], "truncated"),
        attachments[1]: ([respond(200, corrupt_zip())], "corrupt_zip"),
        attachments[2]: ([respond(200, zip_bomb())], "zip_bomb"),
        attachments[3]: ([respond(200, b"", {"Content-Type": "text/html"})], "empty_body"),
        attachments[4]: ([waf], "waf_challenge"),
    }
    home = tmp_path / "faulty"
    with FaultServer(site) as server:
        for path, (replies, _) in faults.items():
            server.script(path, *replies)
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        first = runner.crawl([SOURCE], run_key="faulty-1", root=home)[SOURCE]
        second = runner.crawl([SOURCE], run_key="faulty-2", root=home)[SOURCE]
        third = runner.crawl([SOURCE], run_key="faulty-3", root=home)[SOURCE]

    assert record_ids(home) == record_ids(clean)
    assert third["new_record_events"] == 0 and third["bytes_downloaded"] < 5000
    rows = fetch_rows(home)
    for path, (_, kind) in faults.items():
        url = next(r["url"] for r in rows if server_path(r["url"]) == path)
        failed = [r for r in rows if r["url"] == url and not r["ok"]]
        assert kind in {r["error_kind"] for r in failed}, (path, kind)
        assert all(r["error"] for r in failed)
        last = max(failed, key=lambda r: r["started_at"])
        assert any(r["ok"] and r["started_at"] > last["started_at"] for r in rows if r["url"] == url), \
            f"{path}: the failure is retried (in the run or the next) until it succeeds"
    assert first["fetch_failures"] > second["fetch_failures"] == third["fetch_failures"]
    assert second["not_modified"] > 0
    assert retry_waits.seconds and min(retry_waits.seconds) > 0, "a retry waits first"


FIRST_FAULTS = [("http_status", busy(503)), ("http_status", busy(429, "1")), ("connection", reset()),
                ("truncated", truncated(b"<html>" + b"x" * 500)), ("waf_challenge", waf_page())]


def test_a_first_run_whose_every_first_request_fails_ends_complete(
        site: Site, clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, retry_waits: RetryWaits) -> None:
    """Every URL's first answer is a fault (503, 429 + Retry-After, reset, truncated, WAF page with 200):
    one run still ends with every record of a clean crawl, each fault is on record, and each retry waited
    the backoff, or longer when Retry-After asked for it."""
    home = tmp_path / "first"
    with FaultServer(site, fail_first=[reply for _, reply in FIRST_FAULTS]) as server:
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        stats = runner.crawl([SOURCE], run_key="first", root=home)[SOURCE]
        assigned = dict(server.first_fault)
    assert record_ids(home) == record_ids(clean), "every real list parsed in the first run"
    rows = fetch_rows(home)
    clean_rows = fetch_rows(clean)
    assert len(assigned) > 3 * len(FIRST_FAULTS) and "/www.cac.gov.cn/robots.txt" in assigned
    assert set(assigned) == {server_path(r["url"]) for r in clean_rows}, "every URL's first answer was a fault"
    for path, index in assigned.items():
        tried = sorted((r for r in rows if server_path(r["url"]) == path), key=lambda r: r["attempt"])
        calm = sorted((r for r in clean_rows if server_path(r["url"]) == path), key=lambda r: r["attempt"])
        assert not tried[0]["ok"] and tried[0]["error"], path
        assert tried[0]["error_kind"] == FIRST_FAULTS[index][0], (path, tried[0]["error_kind"])
        # then the same answers as in the clean crawl (a list not published yet is a 404 in both)
        assert [(r["ok"], r["status"]) for r in tried[1:]] == [(r["ok"], r["status"]) for r in calm], path
    assert stats["fetch_failures"] == len(assigned) + sum(not r["ok"] for r in clean_rows)
    backoff = inspect.signature(transport.LiveTransport).parameters["backoff"].default
    assert Counter(retry_waits.seconds) == Counter(
        max(backoff, 1.0) if index == 1 else backoff for index in assigned.values())  # 1: 429, Retry-After 1


def test_replay_appends_only_documents_whose_output_changed(
        site: Site, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = next(a for a in site.attachments if a.list_type == "deep_synthesis" and a.kind == "real")
    target_digest = sha256(target.real_path.read_bytes())
    original = docx_list.parse_list_docx

    def buggy(body: bytes, *args, **kwargs):
        if sha256(body) == target_digest:
            raise docx_list.ListParseError("simulated parser bug")
        return original(body, *args, **kwargs)

    monkeypatch.setattr(docx_list, "parse_list_docx", buggy)
    with FaultServer(site) as server:
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        runner.crawl([SOURCE], run_key="v1", root=home)
    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: replay must not fetch
    before = events.read_events(home, "records", SOURCE).to_pylist()
    assert [r["record_type"] for r in before if r["document_digest"] == target_digest] == ["parse_failure"]

    # Fixed parser, new version: only the document that failed gets new records (it is healed).
    fixed, changed_version = str(int(docx_list.PARSER_VERSION) + 1), str(int(docx_list.PARSER_VERSION) + 2)
    monkeypatch.setattr(docx_list, "parse_list_docx", original)
    monkeypatch.setattr(docx_list, "PARSER_VERSION", fixed)
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    healed = [r for r in events.read_events(home, "records", SOURCE).to_pylist() if r["parser_version"] == fixed]
    assert {r["document_digest"] for r in healed} == {target_digest}
    assert Counter(r["record_type"] for r in healed) == {"list_publication": 1, "filing": len(healed) - 1}
    assert stats["new_record_events"] == len(healed) and stats["records_unchanged"] > 0 and stats["requests"] == 0

    assert runner.replay([SOURCE], root=home)[SOURCE]["new_record_events"] == 0

    # A parser change that alters one document's output: all records of that document, and nothing else.
    changed = next(r["document_digest"] for r in before if r["record_type"] == "list_publication")

    def altered(body: bytes, *args, **kwargs):
        parsed = original(body, *args, **kwargs)
        if sha256(body) == changed:
            parsed.rows[0]["remark"] = "变更内容：测试"
        return parsed

    monkeypatch.setattr(docx_list, "parse_list_docx", altered)
    monkeypatch.setattr(docx_list, "PARSER_VERSION", changed_version)
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    v3 = [r for r in events.read_events(home, "records", SOURCE).to_pylist() if r["parser_version"] == changed_version]
    v1_of_changed = [r for r in before if r["document_digest"] == changed]
    assert {r["document_digest"] for r in v3} == {changed}
    assert len(v3) == len(v1_of_changed) == stats["new_record_events"]
    assert sum(json.loads(r["payload"]).get("remark") == "变更内容：测试" for r in v3) == 1
    assert {r["observed_at"] for r in v3} <= {r["observed_at"] for r in before}, "replay keeps the fetch time"
    assert events.read_events(home, "fetch", SOURCE).num_rows == len(fetch_rows(home))


def visible_files_are_whole(home: Path) -> int:
    """Every visible event segment reads completely; temporary files are hidden; archive files load."""
    count = 0
    for path in (home / "events").rglob("*"):
        if path.is_file():
            if path.name.startswith("."):
                assert path.name.endswith(".tmp"), path
                continue
            assert path.suffix == ".parquet", path
            kind = path.parent.parent.name
            assert pq.read_table(path).schema.equals(events.KINDS[kind]), path
            count += 1
    for path in (home / "archive").rglob("*.warc.gz"):
        if not path.name.startswith("."):
            archive.load(home, str(path.relative_to(home)))
    return count


def segments(home: Path, kind: str) -> int:
    return len(list((home / "events" / kind).rglob("*.parquet")))


def test_sigkill_at_any_moment_loses_and_duplicates_nothing(site: Site, clean: Path, tmp_path: Path) -> None:
    home = tmp_path / "killed"
    conditions: list[Callable[[], bool]] = [
        lambda: segments(home, "records") >= 1,
        lambda: segments(home, "records") >= 4,
    ]
    rng = random.Random(20260717)
    with FaultServer(site, delay=0.05) as server:
        env = {**os.environ, "REGTRAIL_HOME": str(home), "REGTRAIL_MIRROR": server.origin,
               "REGTRAIL_FLUSH_SECONDS": "0", "PYTHONPATH": str(settings.REPO_ROOT)}
        command = [sys.executable, "-m", "regtrail", "crawl", SOURCE]
        for i, condition in enumerate([*conditions, None, None]):
            proc = subprocess.Popen([*command, "--run-key", f"killed-{i}"], env=env, cwd=settings.REPO_ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + (60 if condition else rng.uniform(1.5, 4.0))
            while proc.poll() is None and time.monotonic() < deadline and not (condition and condition()):
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            visible_files_are_whole(home)
            if condition is not None:
                assert proc.returncode == -signal.SIGKILL, "killed mid-crawl, not after it finished"
            if i == 0:
                assert 0 < len(record_ids(home)) < len(record_ids(clean)), "the kill interrupted real work"
        done = subprocess.run([*command, "--run-key", "final"], env=env, cwd=settings.REPO_ROOT,
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert visible_files_are_whole(home) > 2
    assert record_ids(home) == record_ids(clean)
    fetch_rows(home)
