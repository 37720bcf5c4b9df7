"""What each publication adds (fct_publication_changes), the Atom feeds and the watchlist alerts.

The sample log (tests/support/events.py) is published twice: first a build from which the
deep-synthesis list was removed (what an earlier run knew), then the whole build. Alerts go to a
receiver the test starts on 127.0.0.1 through Apprise's `json://` URL.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import feedparser
import pytest

from regtrail.analyst import alerts, changes
from regtrail.build import warehouse
from regtrail.ops import publish as publishing
from tests.support.events import DS_LIST_ID, DS_ROWS
from tests.support.warehouse import sample_build_file

pytestmark = pytest.mark.dbt


class Receiver:
    """A loopback HTTP server recording every POST body (what Apprise's json:// sends)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_port}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def rows(path: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def publish_build(base: Path, home: Path, without_list: str | None = None) -> Path:
    """Copy the sample build into `home` (optionally without one list's events and row), publish it."""
    build = warehouse.prepare_build(home, full_refresh=True)  # the lease and the build record
    shutil.copy2(sample_build_file(base), build)
    if without_list:
        with duckdb.connect(str(build)) as con:
            con.execute("delete from fct_timeline_events where list_id = ?", [without_list])
            con.execute("delete from fct_list_batches where list_id = ?", [without_list])
    return publishing.publish(home, docs=False, exports=False)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A home published twice (without the deep-synthesis list, then with it); no alerts configured."""
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("changes")
    from tests.support.events import write_sample_log

    write_sample_log(home)
    publish_build(base, home, without_list=DS_LIST_ID)
    return base, publish_build(base, home)


def test_every_publication_and_what_it_added_is_in_the_warehouse(published) -> None:
    _, wh = published
    pubs = rows(wh, "select publication_number, changes, new_list, new_filing from fct_publications order by 1")
    assert len(pubs) == 2
    first_events = rows(wh, "select count(*) from fct_timeline_events where list_id is distinct from ?", DS_LIST_ID)
    second_events = rows(wh, "select count(*) from fct_timeline_events where list_id = ?", DS_LIST_ID)
    assert pubs[0][1] == first_events[0][0] + 1  # every event it held, plus its one list
    assert pubs[1][1] == second_events[0][0] + 1
    assert pubs[1][2] == 1  # the deep-synthesis list is new in the second publication
    # its filings not listed before are new filings; those on the earlier list are further listings
    ds_numbers = {row[6] for row in DS_ROWS}
    known_before = {r[0] for r in rows(wh, "select distinct filing_number from fct_publication_changes "
                                           "where publication_id = (select publication_id from fct_publications "
                                           "where publication_number = 1) and event_type = 'filing_listed'")}
    assert pubs[1][3] == len(ds_numbers - known_before) > 0
    second = rows(wh, "select distinct list_id from fct_publication_changes where publication_id = "
                      "(select publication_id from fct_publications where publication_number = 2) "
                      "and list_id is not null")
    assert {r[0] for r in second} == {DS_LIST_ID}


def test_the_report_opens_with_what_changed(published) -> None:
    base, wh = published
    text = (wh.parent / "report" / "index.html").read_text(encoding="utf-8")
    head = text[: text.index("Published lists")]
    assert "What changed" in head and "1 new list" in head and DS_LIST_ID in head


def test_feeds_parse_and_hold_every_change(published) -> None:
    _, wh = published
    folder = wh.parent / "feeds"
    everything = feedparser.parse(str(folder / "all.atom"))
    assert not everything.bozo, everything.bozo_exception
    ids = {e.id.rsplit("/", 1)[-1] for e in everything.entries}
    events = {r[0] for r in rows(wh, "select event_id from fct_timeline_events")}
    assert events <= ids  # every event of both publications
    assert len(everything.entries) == rows(wh, "select count(*) from fct_publication_changes")[0][0]
    entry = next(e for e in everything.entries if e.get("link", "").startswith("https://"))
    assert entry.title and entry.summary and entry.tags
    ds_feed = feedparser.parse(str(folder / "list-deep_synthesis.atom"))
    assert not ds_feed.bozo and ds_feed.entries
    assert all(any(t.term == "list_type:deep_synthesis" for t in e.tags) for e in ds_feed.entries)
    alibaba = feedparser.parse(str(folder / "group-alibaba.atom"))
    assert not alibaba.bozo and alibaba.entries
    assert all(any(t.term == "group:Alibaba" for t in e.tags) for e in alibaba.entries)
    groups = {r[0] for r in rows(wh, "select distinct group_id from seeds.entity_aliases")}
    assert {p.name for p in folder.glob("group-*.atom")} == {f"group-{g}.atom" for g in groups}


def test_history_survives_a_lost_warehouse(published) -> None:
    """The history is in the log: publishing the same build after losing the warehouse adds nothing."""
    base, wh = published
    home = wh.parent
    (home / "warehouse.duckdb").unlink()
    again = publish_build(base, home)
    pubs = rows(again, "select publication_number, changes from fct_publications order by 1")
    assert len(pubs) == 3 and pubs[-1] == (3, 0)


def test_alert_once_for_the_watchlist_and_nothing_when_nothing_changed(
        tmp_path_factory, receiver: Receiver, monkeypatch) -> None:
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("alerts")
    from tests.support.events import write_sample_log

    write_sample_log(home)
    watchlist = home / "watch.yml"
    watchlist.write_text("groups: [Kuaishou]\nkeywords: [no such words anywhere]\n", encoding="utf-8")
    monkeypatch.setenv("REGTRAIL_NOTIFY", receiver.url)
    monkeypatch.setenv("REGTRAIL_WATCHLIST", str(watchlist))
    publish_build(base, home, without_list=DS_LIST_ID)
    assert len(receiver.bodies) == 1
    first = receiver.bodies[0]
    assert "Kuaishou" in first["message"] or "快手" in first["message"]
    publish_build(base, home)  # the DS list adds a Kuaishou change
    assert len(receiver.bodies) == 2 and "changes" in receiver.bodies[1]["title"]
    publish_build(base, home)  # nothing new
    assert len(receiver.bodies) == 2
    watchlist.write_text("groups: [no such group]\n", encoding="utf-8")
    other = tmp_path_factory.mktemp("alerts-none")
    write_sample_log(other)
    publish_build(base, other)  # changes, but none on the watchlist
    assert len(receiver.bodies) == 2


def test_a_failing_notification_never_fails_the_publish(tmp_path_factory, monkeypatch, caplog) -> None:
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("alerts-down")
    from tests.support.events import write_sample_log

    write_sample_log(home)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("REGTRAIL_NOTIFY", f"json://127.0.0.1:{port}/")
    monkeypatch.delenv("REGTRAIL_WATCHLIST", raising=False)
    with caplog.at_level(logging.ERROR):
        published = publish_build(base, home)
    assert published.exists()
    assert rows(published, "select count(*) from fct_publications")[0][0] == 1
    assert "notification" in caplog.text


def test_watchlist_matching() -> None:
    change = {"change_kind": "new_filing", "entity_name": "华为云计算技术有限公司", "entity_name_en": "Huawei Cloud",
              "entity_group": "Huawei", "entity_group_zh": "华为", "filing_number": "网信算备110108X号",
              "title": "Listed: 盘古大模型", "description": "", "algorithm_name": "盘古大模型"}
    assert alerts.Watchlist(groups=("huawei",)).reasons(change) == ["group huawei"]
    assert alerts.Watchlist(groups=("华为",)).reasons(change) == ["group 华为"]
    assert alerts.Watchlist(entities=("huawei cloud",)).reasons(change)
    assert alerts.Watchlist(filing_numbers=("110108X",)).reasons(change)
    assert alerts.Watchlist(keywords=("盘古",)).reasons(change)
    assert not alerts.Watchlist(groups=("Alibaba",), keywords=("通义",)).reasons(change)
    assert changes.summary_line({"new_filing": 2, "news_reported": 1}) == "2 new filings, 1 news"


def test_a_bad_watchlist_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "watch.yml"
    bad.write_text("companies: [Huawei]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="valid: groups, entities, filing_numbers, keywords"):
        alerts.Watchlist.load(bad)
