"""The raw-response archive and whole crawls on an object store: S3 (moto's server on 127.0.0.1), via fsspec.

The log root is a URL (`s3://bucket/prod`, REGTRAIL_LOG or an explicit root); the endpoint comes from
`AWS_ENDPOINT_URL` (the `s3` fixture in conftest.py). A crawl of real CAC sources through the mirror
writes its WARC files and event segments there, and a replay reads them back without any request.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from regtrail import settings
from regtrail.crawl import runner
from regtrail.fetch.fetcher import Fetcher
from regtrail.log import archive, events
from regtrail.log.digest import sha256
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

SOURCES = ["cac_algo_recommendation", "cac_cancellations"]  # real DOCX lists, notices, 404s; the quickest
BODY = "<html><body>第二批深度合成服务算法备案信息</body></html>".encode()


def _store(root: events.Root, body: bytes = BODY, digest: str | None = None) -> str:
    return archive.store(
        root, "cac_deep_synthesis", url="https://www.cac.gov.cn/n.htm", digest=digest or sha256(body), body=body,
        status=200, reason="OK", headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        request_headers={"User-Agent": settings.USER_AGENT},
    )


def _keys(fs, root: str) -> list[str]:
    """Every object under `root`, relative to it (a fresh listing)."""
    fs.invalidate_cache()
    prefix = root.removeprefix("s3://")
    return sorted(key.removeprefix(prefix + "/") for key in fs.find(prefix))


def test_log_root_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGTRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REGTRAIL_LOG", raising=False)
    assert settings.log_root() == settings.home() == tmp_path / "home"
    monkeypatch.setenv("REGTRAIL_LOG", "s3://bucket/prod/")
    assert settings.log_root() == "s3://bucket/prod"
    assert settings.warehouse_path() == tmp_path / "home" / "warehouse.duckdb"  # the warehouse stays local
    monkeypatch.setenv("REGTRAIL_LOG", f"file://{tmp_path}/log")
    assert settings.log_root() == tmp_path / "log"


def test_archive_on_s3_is_one_object_per_digest_written_once(s3, tmp_path: Path) -> None:
    fs, root = s3
    relpath = _store(root)
    assert relpath == archive.archive_relpath("cac_deep_synthesis", sha256(BODY))
    assert _keys(fs, root) == [relpath]  # one PUT, no temporary object
    written = fs.info(f"{root.removeprefix('s3://')}/{relpath}")
    body, headers = archive.load(root, relpath)
    assert body == BODY and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Encoding" not in headers and headers["Content-Length"] == str(len(BODY))
    assert archive.exists(root, relpath) and not archive.exists(root, relpath + ".x")

    # archived already: not rewritten (a different body under the same digest would show)
    time.sleep(1.1)  # S3 LastModified has one-second resolution
    assert _store(root, b"another body", sha256(BODY)) == relpath
    assert archive.load(root, relpath)[0] == BODY
    fs.invalidate_cache()
    again = fs.info(f"{root.removeprefix('s3://')}/{relpath}")
    assert (again["ETag"], again["LastModified"]) == (written["ETag"], written["LastModified"])
    assert _keys(fs, root) == [relpath]

    local = tmp_path / "local"
    assert _store(local) == relpath and archive.load(local, relpath) == (body, headers)
    assert runner.remove_stale_temp_files(root, "cac_deep_synthesis", older_than=0) == 0


def test_archive_on_a_filesystem_without_atomic_writes(tmp_path: Path) -> None:
    """Not an object store (fsspec's `local://`): a temporary name moved into place; stale ones are swept."""
    root = f"local://{tmp_path}/log"
    relpath = _store(root)
    assert archive.load(root, relpath)[0] == BODY
    assert sorted(p.name for p in (tmp_path / "log").rglob("*") if p.is_file()) == [Path(relpath).name]
    stale = tmp_path / "log" / "archive" / "cac_deep_synthesis" / ".killed.warc.gz.1234abcd.tmp"
    fresh = stale.with_name(".writing.warc.gz.5678abcd.tmp")
    for temp in (stale, fresh):
        temp.write_bytes(b"partial")
    os.utime(stale, (time.time() - 2 * runner.STALE_TEMP_SECONDS,) * 2)
    assert runner.remove_stale_temp_files(root, "cac_deep_synthesis") == 1
    assert not stale.exists() and fresh.exists()


def _ids(root: events.Root, kind: str) -> set[str]:
    return set(events.read_events(root, kind, columns=["event_id"]).column("event_id").to_pylist())


def _total(stats: dict[str, Counter], key: str) -> int:
    return sum(s[key] for s in stats.values())


def test_crawl_and_replay_with_log_and_archive_on_s3(s3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      shared: Path) -> None:
    fs, root = s3
    local = tmp_path / "local"
    monkeypatch.setenv("REGTRAIL_HOME", str(tmp_path / "home"))
    with start_mirror(build_site(shared.parent)) as mirror:
        monkeypatch.setenv("REGTRAIL_MIRROR", mirror.origin)
        crawled = runner.crawl(SOURCES, run_key="s3", root=root)
        runner.crawl(SOURCES, run_key="s3", root=local)
        monkeypatch.setenv("REGTRAIL_LOG", root)  # the default root from here on
        again = runner.crawl(SOURCES, run_key="s3-again")
    assert _total(crawled, "new_record_events") > 100 and _total(crawled, "fetch_ok") > 10

    keys = _keys(fs, root)
    warcs = {k for k in keys if k.startswith("archive/")}
    assert warcs and all(k.endswith(".warc.gz") for k in warcs)
    assert not any(k.endswith(".tmp") for k in keys)
    assert {k for k in keys if k.startswith("events/")} == {
        f.removeprefix(root + "/") for kind in ("fetch", "records") for f in events.segment_files(root, kind)}
    fetches = events.read_events(root, "fetch").to_pylist()
    assert {r["archive_path"] for r in fetches if r["archive_path"]} == warcs
    assert warcs == {str(p.relative_to(local)) for p in (local / "archive").rglob("*.warc.gz")}
    assert _ids(root, "records") == _ids(local, "records")
    assert {r["event_id"] for r in fetches if r["run_key"] == "s3"} == _ids(local, "fetch")
    assert not (tmp_path / "home").exists()  # nothing of the log or archive lands locally

    # the second crawl sent conditional requests: 304 bodies came from the archive on S3, no new records
    assert _total(again, "not_modified") > 0 and _total(again, "new_record_events") == 0

    records, fetch_rows = len(_ids(root, "records")), len(fetches)
    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens there

    def offline(*args: object, **kwargs: object) -> None:
        raise AssertionError("replay must not send requests")

    monkeypatch.setattr(Fetcher, "get", offline)
    replayed = runner.replay(SOURCES)
    assert _total(replayed, "new_record_events") == 0 and _total(replayed, "requests") == 0
    assert _total(replayed, "records:filing") > 100
    assert len(_ids(root, "records")) == records and events.read_events(root, "fetch").num_rows == fetch_rows
