"""Hostile values against every writer: feeds, report, CLI tables, CSV, JSON, logs (issue 24 cases 1, 4, 5, 8,
9, 11) and a CLI that states true counts (issue 23).

Two homes, each built by the real dbt project and published by the real `regtrail` command:
- a home whose only records are news articles, written as an old log may hold them (control characters,
  escape sequences, rich markup, a megabyte headline; no parser cleaned them), published with a failing
  notification URL that carries a password;
- the sample log (tests/support/events.py) plus the 2024年4月 generative-AI list built from the real rows in
  ../shared, whose published warehouse is then copied and given hostile names for the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.analyst import redaction, safe
from regtrail.cli.analyst import main
from tests.support.events import AR_ROWS, DS_ROWS, _Log, write_sample_log
from tests.support.warehouse import with_saved_parse

pytestmark = pytest.mark.dbt

REGTRAIL = Path(sys.executable).with_name("regtrail")
SECRET = "S3CRETPASS"
ESC = "\x1b"
MARKUP_NAME = "[/bold]华为终端有限公司"
LINK_NAME = "[link=https://evil.example/]华为技术有限公司[/link]"
TERMINAL_TRAPS = f"{ESC}]0;owned{ESC}\\{ESC}[2J{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\\x9b31m"
FORMULA = '=HYPERLINK("https://evil.example/","click")'
# 400,000 characters: 1.2 MB of UTF-8, more than a whole feed may hold (the size bound the feeds are checked
# against, under 1 MB), so one unclipped headline fails it. (A 1,000,000-character headline and body made the
# build twice as long without reaching any other code.)
BIG = 400_000


class RawRecord:
    """A record as an old log may hold it: the payload exactly as given, no contract, no cleaning."""

    def __init__(self, record_type: str, payload: dict) -> None:
        self.record_type, self._payload = record_type, payload

    def payload(self) -> dict:
        return self._payload


ARTICLES = [  # (headline, body): every one mentions 华为 so the news events name a group
    ("华为发布新算法\x0b备案\x1f情况\x7f", "华为的算法出现在备案清单中。"),
    (f"{ESC}[31m华为{ESC}]0;title{ESC}\\ {MARKUP_NAME}", "华为公司表示欢迎。"),
    ("华为" + "长" * BIG, "华为" + "文" * BIG),
    ("华为与监管 <![CDATA[ ]]> &amp; \ufffe\x85", "华为的正文。"),
]


def _write_news(home: Path) -> None:
    log = _Log(home)
    for n, (headline, body) in enumerate(ARTICLES):
        url = f"https://news.example.cn/2024/05{n:02d}/{n}.html"
        published = date(2024, 5, 1 + n)
        fetch = log.fetch_event("news", "articles", url, purpose="article", status=200, ok=True,
                                started_at=datetime(2025, 6, 3, 8, n, tzinfo=UTC), content_type="text/html",
                                payload_digest=f"sha256:{n:064d}", payload_size=2048,
                                archive_path=f"archive/news/{n}.warc.gz")
        document = dict(fetch, published_at=published, published_precision="day", parser="news_article")
        payload = {"canonical_url": url, "url": url, "host": "news.example.cn", "outlet": "Example\x0b News",
                   "headline": headline, "body": body, "language": "zh", "published_time": published.isoformat(),
                   "published_utc": None, "published_date": published.isoformat(), "date_source": "meta",
                   "dateline": None, "byline": None, "feed_url": None, "feed_published_utc": None}
        log.record_event("news", "articles", RawRecord("news_article", payload), url, document)
    log.write()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def regtrail(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REGTRAIL), *args], capture_output=True, text=True, timeout=600, cwd=settings.REPO_ROOT,
                          env={**os.environ, "REGTRAIL_HOME": str(home), **env})


@pytest.fixture(scope="module")
def news_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess, ...]:
    home = tmp_path_factory.mktemp("news-only") / "home"
    _write_news(with_saved_parse(home))
    notify = f"json://alice:{SECRET}@127.0.0.1:{_free_port()}/"  # nothing listens: the notification fails
    built = regtrail("-v", "build", home=home, REGTRAIL_NOTIFY=notify)
    published = regtrail("-v", "publish", "--no-docs", home=home, REGTRAIL_NOTIFY=notify)
    return home, built, published


def test_a_home_with_only_news_articles_builds_and_publishes(news_home) -> None:
    home, built, published = news_home
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert published.returncode == 0, published.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        events = con.execute("select count(*), count(loaded_at) from fct_timeline_events "
                             "where event_type = 'news_reported'").fetchone()
        filings = con.execute("select count(*) from fct_filings").fetchone()[0]
    assert events == (len(ARTICLES), len(ARTICLES)) and filings == 0


def test_control_characters_in_a_headline_do_not_block_the_feeds(news_home) -> None:
    home, _, published = news_home
    assert published.returncode == 0, published.stderr[-3000:]
    feed = home / "feeds" / "all.atom"
    root = ElementTree.parse(feed).getroot()  # well-formed XML
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(ARTICLES)
    titles = " ".join(e.findtext("{http://www.w3.org/2005/Atom}title") or "" for e in entries)
    assert "华为发布新算法备案情况" in titles and MARKUP_NAME in titles  # kept, without the control characters
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", feed.read_text(encoding="utf-8"))


def test_a_megabyte_headline_is_clipped_in_feeds_and_report(news_home) -> None:
    home, _, _ = news_home
    bound = 20 * (safe.FEED_TITLE_CHARS + 8 * safe.FEED_FIELD_CHARS) * 3
    assert len(ARTICLES[2][0].encode()) > bound, "the headline alone must be larger than a feed may be"
    for feed in (home / "feeds").glob("*.atom"):
        assert feed.stat().st_size < bound, feed
    entries = ElementTree.parse(home / "feeds" / "all.atom").getroot().findall("{http://www.w3.org/2005/Atom}entry")
    longest = max(len(e.findtext("{http://www.w3.org/2005/Atom}title") or "") for e in entries)
    assert longest <= safe.FEED_TITLE_CHARS
    report = (home / "report" / "index.html").read_text(encoding="utf-8")
    runs = [len(run) for run in re.findall("长+", report)]
    assert runs and max(runs) < safe.REPORT_FIELD_CHARS and "长" + safe.ELLIPSIS in report


def test_the_notification_password_appears_in_no_output_or_file(news_home) -> None:
    home, built, published = news_home
    assert "notification to json://alice:****@127.0.0.1" in published.stderr  # the failure is logged, redacted
    outputs = built.stdout + built.stderr + published.stdout + published.stderr
    assert SECRET not in outputs
    leaks = [p for p in home.rglob("*") if p.is_file() and not p.is_symlink() and SECRET.encode() in p.read_bytes()]
    assert leaks == []


def test_log_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "demo-dags-test.log"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)
    with redaction.private_log(path) as log:
        log.write("line\n")
    assert path.read_text() == "line\n"
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)


def test_redaction_of_urls_with_credentials_and_tokens() -> None:
    line = (f"failed: json://alice:{SECRET}@host/ and https://{SECRET}@hooks.example/x and "
            f"https://api.example/send?channel=a&access_token={SECRET}&sig={SECRET}")
    cleaned = redaction.redact(line)
    assert SECRET not in cleaned and "json://alice:****@host/" in cleaned and "channel=a" in cleaned
    assert redaction.redact("https://www.cac.gov.cn/a.htm?id=1&design=2") == "https://www.cac.gov.cn/a.htm?id=1&design=2"


# --- the CLI over the sample log plus a real generative-AI list ----------------------------------------------


def _write_genai_list(home: Path, period: str = "2024年4月") -> list[str]:
    """The real 2024年4月 list as the mirror serves it, parsed and logged as the crawler does; its numbers."""
    from regtrail.crawl.sources import source_config
    from regtrail.log import records
    from regtrail.mirror import genai_fixtures
    from regtrail.parsers import genai_list
    from scrapers.cac_genai import crawl

    config = source_config("cac_genai")
    rows = genai_fixtures.real_rows(settings.shared_dir())
    if rows is None:
        pytest.skip("../shared/cac_data is not present")
    entry = crawl.period_entry(config, period)
    parsed = genai_list.parse_genai_document(genai_fixtures.build_attachment(period, entry["label"], rows[period],
                                                                             pdf=False))
    log = _Log(home)
    url = "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=genai-2024-04.docx"
    notice = "https://www.cac.gov.cn/2024-04/02/c_genai.htm"
    fetch = log.fetch_event("cac_genai", "genai", url, purpose="attachment", status=200, ok=True,
                            started_at=datetime(2025, 6, 4, tzinfo=UTC), content_type="application/octet-stream",
                            payload_digest="sha256:" + "9" * 64, payload_size=4096,
                            archive_path="archive/genai.warc.gz")
    document = dict(fetch, published_at=date.fromisoformat(str(entry["published"])), published_precision="day",
                    parser="genai_list")
    list_id = f"genai_service:{period}"
    head = records.GenaiList(**{
        **parsed.summary(), "list_id": list_id, "list_type": "genai_service", "period": period,
        "attachment_label": parsed.attachment_label, "expected_filings": entry.get("expected_filings"),
        "expected_registrations": entry.get("expected_registrations"),
        "expected_ondevice": entry.get("expected_ondevice"),
        "is_summary": False, **crawl.reconciliation_facts(config, period), "notice_url": notice,
        "notice_title": "生成式人工智能服务已备案信息", "attachment_url": url, "file_name": "genai.docx"})
    log.record_event("cac_genai", "genai", head, list_id, document)
    for row in parsed.rows:
        record = crawl.RECORD_TYPES[row.kind](**row.as_dict(), list_id=list_id, list_type="genai_service",
                                              period=period, is_summary=False, notice_url=notice)
        log.record_event("cac_genai", "genai", record, row.number or f"{list_id}#{row.row_index}", document)
    log.write()
    return [row.number for row in parsed.rows if row.number]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    home = write_sample_log(tmp_path_factory.mktemp("cli-truth") / "home")
    numbers = _write_genai_list(with_saved_parse(home))
    built = regtrail("build", home=home)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    published = regtrail("publish", "--no-docs", "--no-report", home=home)
    assert published.returncode == 0, published.stderr[-3000:]
    return home / "warehouse.duckdb", numbers


@pytest.fixture(scope="module")
def hostile(sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse whose names and cells carry markup, escapes and formulas."""
    copy = tmp_path_factory.mktemp("hostile") / "warehouse.duckdb"
    shutil.copyfile(sample[0], copy)
    with duckdb.connect(str(copy)) as con:
        for table, column in (("fct_timeline_events", "entity_name"), ("dim_entities", "entity_name_zh"),
                              ("fct_filings", "entity_name")):
            con.execute(f"update {table} set {column} = case when {column} like '%快手%' then ? "
                        f"when {column} like '%奇虎%' then ? else {column} end", [MARKUP_NAME, LINK_NAME])
        con.execute("update fct_timeline_events set algorithm_name = ?, description = ? "
                    "where entity_name = ?", [FORMULA, TERMINAL_TRAPS, MARKUP_NAME])
        con.execute("update fct_filings set algorithm_name = ? where entity_name = ?", [FORMULA, MARKUP_NAME])
    return copy


def run_piped(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REGTRAIL), *args], capture_output=True, timeout=120, cwd=settings.REPO_ROOT)


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_prints_markup_and_escapes_literally(hostile: Path, fmt: str) -> None:
    printed = {}
    for query in ("华为", "[/bold]", "快手"):
        out = printed[query] = run_piped("timeline", query, "--warehouse", str(hostile), "--format", fmt)
        assert out.returncode == 0, out.stderr.decode()[-2000:]
        assert b"\x1b" not in out.stdout + out.stderr and b"\xc2\x9b" not in out.stdout
        text = out.stdout.decode()
        if fmt == "json":  # lossless: the same values once parsed
            values = {e["entity_name"] for e in json.loads(text)}
            assert values & {MARKUP_NAME, LINK_NAME}
            assert any(e["description"] == TERMINAL_TRAPS for e in json.loads(text)) or query == "华为"
        else:
            assert MARKUP_NAME in text or LINK_NAME in text
    trapped = printed["[/bold]"].stdout.decode()
    if fmt != "json":
        assert "\\x1b]0;owned" in trapped and "\\x9b31m" in trapped  # shown, not acted on


def test_a_terminal_sees_no_escape_from_the_data(hostile: Path) -> None:
    """Under a real pseudo-terminal rich may style its own header, but no sequence comes from a cell."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([str(REGTRAIL), "timeline", "华为", "--warehouse", str(hostile)], stdout=secondary,
                            stderr=secondary, stdin=subprocess.DEVNULL, cwd=settings.REPO_ROOT,
                            env={**os.environ, "COLUMNS": "400", "TERM": "xterm-256color"})
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        try:
            chunk = os.read(primary, 65536) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    shown = b"".join(chunks).decode()
    assert "evil.example" in shown and "[link=https://evil.example/]" in shown  # as text
    assert "\x1b]8;" not in shown  # never a hyperlink
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown).count(ESC) == 0  # only rich's own colours


def test_csv_cells_cannot_start_a_formula(hostile: Path) -> None:
    for args in (("timeline", "[/bold]"), ("filing", "413760701220011")):
        out = run_piped(*args, "--warehouse", str(hostile), "--format", "csv")
        assert out.returncode == 0, out.stderr.decode()[-2000:]
        cells = [c for row in csv.reader(io.StringIO(out.stdout.decode())) for c in row]
        assert "'" + FORMULA in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert b"\x1b" not in out.stdout


def test_csv_neutralises_the_owasp_characters() -> None:
    assert [safe.csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", -1, None)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "\\x0dx", "a=b", -1, None]  # CR: shown as an escape


def test_only_http_links_and_xml_characters_reach_a_feed() -> None:
    assert [safe.http_url(u) for u in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd",
                                       "https://www.cac.gov.cn/a.htm", "HTTP://news.example.cn/x", "https://")] == [
        None, None, None, "https://www.cac.gov.cn/a.htm", "HTTP://news.example.cn/x", None]
    assert safe.xml_text("a\x00b\x0bc\x1bd\x7fe\x9bf\ufffeg\th\ni", 100) == "abcdefg\th\ni"
    assert safe.xml_text("长" * 10, 5) == "长长长长" + safe.ELLIPSIS


def test_filing_states_the_true_count(sample, tmp_path: Path) -> None:
    """`filing` with a fragment many numbers contain says how many match and how many it shows."""
    warehouse, genai_numbers = sample
    listed = {row[6] for row in AR_ROWS + DS_ROWS}
    copy = tmp_path / "more.duckdb"  # more 备案编号 than a match list names
    shutil.copyfile(warehouse, copy)
    extra = 25
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into fct_filings select * exclude (i) replace "
                    "('网信算备9900000000' || lpad(i::varchar, 5, '0') || '号' as filing_number) "
                    f"from fct_filings, range({extra}) as r(i) "
                    "where filing_number = (select min(filing_number) from fct_filings)")
    out = run_piped("filing", "网信算备", "--warehouse", str(copy))
    total = len(listed) + extra
    assert out.returncode == 1
    message = out.stderr.decode()
    assert f"{total:,} filing or approval numbers contain '网信算备' (showing 20 of {total:,}" in message
    assert len(message.split(": ", 1)[1].split(", ")) == 20
    few = run_piped("filing", "网信算备", "--warehouse", str(warehouse)).stderr.decode()
    assert f"{len(listed)} filing or approval numbers contain '网信算备' (all {len(listed)} shown" in few
    assert genai_numbers and not any("网信算备" in n for n in genai_numbers)


def test_filing_finds_generative_ai_numbers(sample) -> None:
    warehouse, genai_numbers = sample
    wanted = "Beijing-WenXinYiYan-20230821"
    assert wanted in genai_numbers  # the real 2024年4月 list (../shared)
    for query in (wanted, "wenxinyiyan"):
        code, out = _cli("filing", query, "--warehouse", str(warehouse), "--format", "json")
        assert code == 0, out
        document = json.loads(out)
        assert document["filing"]["genai_number"] == wanted and document["filing"]["model_name"] == "文心一言"
        assert [e["event_type"] for e in document["history"]] == ["approval_announced"]
    code, out = _cli("timeline", "百度", "--warehouse", str(warehouse), "--format", "json")
    shown = {e["filing_number"] for e in json.loads(out) if e["event_type"] == "approval_announced"}
    assert wanted in shown
    for number in shown:  # every number the timeline shows, `filing` finds
        assert _cli("filing", number, "--warehouse", str(warehouse), "--format", "json")[0] == 0, number
    table = run_piped("filing", wanted, "--warehouse", str(warehouse)).stdout.decode()
    assert wanted in table and "文心一言" in table


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_demo_summary_separates_not_available_from_failed(sample, tmp_path: Path) -> None:
    from regtrail.ops import demo

    copy = tmp_path / "failures.duckdb"
    shutil.copyfile(sample[0], copy)
    with duckdb.connect(str(copy)) as con:
        before = con.execute("select count(*) filter (where not resolved), count(*) filter (where resolved) "
                             "from fct_fetch_failures").fetchone()
        gone = 3
        con.execute("insert into fct_fetch_failures select * exclude (i) replace "
                    "('fetch https://gone.example/' || i as failure_id, 'https://gone.example/' || i as url, "
                    "404 as status, 'http_status' as error_kind, "
                    f"'fetch' as stage, false as resolved) from (select * from fct_fetch_failures limit 1), "
                    f"range({gone}) as r(i)")
        line = demo.failure_line(con)
    assert line.startswith(f"URLs not available (HTTP 404/410) {gone}, URLs failing to fetch or parse {before[0]}, "
                           f"failures resolved by a later attempt {before[1]}")
    assert ESC not in demo.summary(copy)


def test_output_bound_bench_keeps_report_and_feeds_bounded(tmp_path: Path, capsys) -> None:
    """The bench's hostile list, smaller: 6 rows whose algorithm name and products hold 300,000 characters."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("output_bound_bench",
                                                  settings.REPO_ROOT / "bench" / "output_bound_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows, chars = 6, 300_000
    found = bench.measure(tmp_path / "home", rows, chars, cells=2)
    text_bytes = rows * 2 * chars * 3  # UTF-8 bytes of the huge cells
    assert "kept" in capsys.readouterr().out
    # each row can add at most a few clipped fields, whatever its cells hold
    assert found["feeds/all.atom"] < rows * 3 * (safe.FEED_TITLE_CHARS + 8 * safe.FEED_FIELD_CHARS) * 3 < text_bytes
    plotly = len(__import__("plotly.offline", fromlist=["get_plotlyjs"]).get_plotlyjs().encode())
    assert found["report/index.html"] - plotly < rows * 4 * 12 * safe.REPORT_FIELD_CHARS * 3 < text_bytes
