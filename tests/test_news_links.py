"""News tied to the lists: articles reporting a batch carry that list's list_id (int_news_list_links).

The sample log (tests/support/events.py: the second deep-synthesis list, 第二批, published 2023-09-01 with
5 filings announced) plus four articles written here: one in Chinese naming the batch by its ordinal,
one in English giving its count, one about deep synthesis naming no batch, one naming the batch but
published months later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from regtrail.analyst import queries
from regtrail.crawl import sources
from regtrail.log import records
from tests.support.events import DS_LIST_ID, _Log, write_sample_log
from tests.support.warehouse import run_dbt_build

pytestmark = pytest.mark.dbt

ARTICLES = {
    # url: (published, headline, body)
    "https://news.example.cn/2023/0902/a.html": (
        date(2023, 9, 2), "国家网信办发布第二批深度合成服务算法备案信息",
        "网信办公布第二批深度合成服务算法备案信息，北京快手科技有限公司等企业的算法在列。"),
    "https://news.example.com/2023/09/04/b": (
        date(2023, 9, 4), "Regulator names more deep synthesis services",
        "The regulator approved 5 applications for deep synthesis algorithms in a list published on Friday."),
    "https://news.example.com/2023/09/05/c": (
        date(2023, 9, 5), "What deep synthesis rules mean for Kuaishou",
        "An explainer on the deep synthesis rules in force since January; no list is discussed."),
    "https://news.example.cn/2024/0301/d.html": (
        date(2024, 3, 1), "回顾：第二批深度合成服务算法备案信息",
        "半年前发布的第二批深度合成服务算法备案信息中有快手。"),
    # a list this log never parsed (nor read its notice): known from the source configuration only
    "https://news.example.cn/2025/1107/e.html": (
        date(2025, 11, 7), "国家网信办发布第十四批深度合成服务算法备案信息",
        "国家互联网信息办公室公布第十四批境内深度合成服务算法备案信息。"),
}
UNPARSED = next(r for r in sources.announced_lists() if r["list_type"] == "deep_synthesis"
                and r["published"] == "2025-11-06")  # the 14th deep-synthesis batch, as configured


def _write_articles(home: Path) -> None:
    log = _Log(home)
    for n, (url, (published, headline, body)) in enumerate(ARTICLES.items()):
        observed = datetime(2025, 6, 3, 8, n, tzinfo=UTC)
        fetch = log.fetch_event("news", "articles", url, purpose="article", started_at=observed, status=200,
                                ok=True, content_type="text/html", payload_digest=f"sha256:{n:064d}",
                                payload_size=2048, archive_path=f"archive/news/{n}.warc.gz")
        document = dict(fetch, published_at=published, published_precision="day", parser="news_article")
        article = records.NewsArticle(
            canonical_url=url, url=url, host=url.split("/")[2], outlet="Example News", headline=headline, body=body,
            language="zh" if ".cn/" in url else "en", published_time=published.isoformat(), date_source="meta",
            published_utc=None, published_date=published.isoformat(), dateline=None, byline=None, feed_url=None,
            feed_published_utc=None)
        log.record_event("news", "articles", article, url, document)
    log.write()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    home = write_sample_log(tmp_path_factory.mktemp("news-links"))
    _write_articles(home)
    work = home / "work"
    result = run_dbt_build(home, work)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(work / "build.duckdb"), read_only=True) as con:
        yield con


def test_an_article_naming_the_batch_or_its_count_links_to_the_list(built) -> None:
    links = dict(built.execute(
        "select article_url, list_id || ' / ' || evidence from intermediate.int_news_list_links").fetchall())
    urls = list(ARTICLES)
    assert links == {urls[0]: f"{DS_LIST_ID} / ordinal", urls[1]: f"{DS_LIST_ID} / count",
                     urls[4]: f"{UNPARSED['list_id']} / ordinal"}
    assert built.execute("select count(*) from intermediate.int_list_publications where list_id = ?",
                         [UNPARSED["list_id"]]).fetchone() == (0,), "the list is not parsed in this log"


def test_its_news_events_carry_the_list_and_the_list_counts_its_coverage(built) -> None:
    urls = list(ARTICLES)
    events = built.execute("select source_url, entity_group, list_id, list_type from fct_timeline_events "
                           "where event_type = 'news_reported' order by 1").fetchall()
    by_url = {url: (group, list_id, list_type) for url, group, list_id, list_type in events}
    assert by_url[urls[0]] == ("Kuaishou", DS_LIST_ID, "deep_synthesis")  # it names 快手 as well
    assert by_url[urls[1]] == (None, DS_LIST_ID, "deep_synthesis")  # names no group: one event for the list
    assert by_url[urls[2]][1:] == (None, None)  # names no batch
    assert by_url[urls[3]][1:] == (None, None)  # too late for the list
    assert by_url[urls[4]][1:] == (UNPARSED["list_id"], "deep_synthesis")  # a list known but not parsed
    coverage = {b["list_id"]: b["news"] for b in queries.batches(built)}
    assert coverage[DS_LIST_ID] == 2
