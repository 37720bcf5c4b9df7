"""docs/add-a-source.md followed literally: a new source is a folder with `source.yml` and the guide's own
`crawl.py`, crawled for real through the CLI against a loopback server, its records in the log. A source whose
crawl raises (a KeyError) fails that crawl (exit 1), not "unknown source" (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regtrail.log import events
from tests.support.sources import ARTICLE, add_source, crawl, guide_crawl_module


@pytest.fixture
def origin(http_server) -> str:
    page = ARTICLE.encode()
    return http_server({"/bulletin.example/latest.html": lambda _: (200, {"Content-Type": "text/html"}, page)})


def test_a_source_added_by_following_the_guide_crawls_into_the_log(home: Path, tmp_path: Path, origin: str) -> None:
    add_source(tmp_path / "plugins", "bulletin", guide_crawl_module())
    done = crawl(tmp_path / "plugins", origin, "bulletin")
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads(done.stdout)
    assert stats["bulletin"]["records:news_article"] == 1
    records = [r for r in events.read_events(home, "records").to_pylist() if r["source"] == "bulletin"]
    assert [(r["record_type"], r["record_key"], r["parser"]) for r in records] == [
        ("news_article", "https://bulletin.example/latest.html", "news_article")]
    payload = json.loads(records[0]["payload"])
    assert payload["headline"] == "Regulator publishes a new batch of algorithm filings"
    assert payload["published_date"] == "2026-03-02"


def test_a_key_error_inside_a_crawl_is_a_crawl_failure_not_an_unknown_source(home: Path, tmp_path: Path,
                                                                             origin: str) -> None:
    shaky = ("def crawl(context):\n"
             "    context.fetch('https://bulletin.example/latest.html', purpose='article')\n"
             "    raise KeyError('outlet')\n")
    add_source(tmp_path / "plugins", "shaky", shaky)
    done = crawl(tmp_path / "plugins", origin, "shaky")
    assert done.returncode == 1, done.stderr[-3000:]
    summary = done.stderr.strip().splitlines()[-1]
    assert "shaky: its crawl raised an error" in summary and "unknown source" not in done.stderr
    assert "KeyError: 'outlet'" in done.stderr  # the traceback is logged
    fetched = [r for r in events.read_events(home, "fetch").to_pylist() if r["source"] == "shaky"]
    assert [r["url"] for r in fetched if r["purpose"] == "article"] == ["https://bulletin.example/latest.html"]


def test_an_unknown_source_is_a_usage_error(home: Path, tmp_path: Path, origin: str) -> None:
    add_source(tmp_path / "plugins", "bulletin", guide_crawl_module())
    done = crawl(tmp_path / "plugins", origin, "bulletn")
    assert done.returncode == 2
    assert "unknown source(s) bulletn; known: bulletin" in done.stderr
