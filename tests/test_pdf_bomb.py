"""A 3 MB PDF whose content stream inflates to 1 GiB is refused by `parse`, `ingest` and `crawl` quickly and in bounded
memory, archived and recorded as a parse failure; what the inflation check cannot see (other filters, floods of
text objects, huge page trees) is bounded by the reader's child process; the mirror's real PDFs read as before."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from regtrail.log import archive, events
from regtrail.mirror import genai_fixtures
from regtrail.mirror.cancellation_fixtures import notice_pdf
from regtrail.mirror.hostile import pdf_bomb, pdf_many_pages
from regtrail.mirror.site import build_site
from regtrail.parsers import cancellation_notice, genai_list, pdf_guard
from tests.support.fault_server import FaultServer, respond
from tests.support.processes import MAX_RSS_KB, child_env, run_measured

NOTICE_URL = "https://www.cac.gov.cn/2025-01/n.htm"
BOMB_PATH = "/www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=/u/9&fText=list.pdf"
NOTICE_HTML = f"""<html><body><div class="main-title"><h1 class="title">生成式人工智能服务已备案信息的公告</h1></div>
<span id="pubtime">2025年01月08日 17:00</span><div class="main-content"><div id="BodyLabel">
<p>附件</p><p><a href="{BOMB_PATH.removeprefix('/www.cac.gov.cn').replace('&', '&amp;')}">清单</a></p>
</div></div></body></html>"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdfbomb") / "bomb.pdf"
    path.write_bytes(pdf_bomb(1024 * 1024 * 1024))
    return path


def test_parse_refuses_the_pdf_bomb_fast_in_bounded_memory(bomb: Path, tmp_path: Path) -> None:
    assert bomb.stat().st_size < 5 * 1024 * 1024
    code, stderr, peak_kb, seconds = run_measured(["parse", str(bomb)], child_env(tmp_path))
    assert code != 0
    assert "refused" in stderr and "inflate past 64 MiB" in stderr, stderr
    assert peak_kb < MAX_RSS_KB and seconds < 60, (peak_kb, seconds)


def test_ingest_archives_the_pdf_bomb_and_records_a_parse_failure(bomb: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    body = bomb.read_bytes()
    routes = {"/www.cac.gov.cn/2025-01/n.htm": respond(200, NOTICE_HTML.encode(), {"Content-Type": "text/html"}),
              BOMB_PATH: respond(200, body, {"Content-Type": "application/pdf"})}
    with FaultServer(routes=routes) as server:
        code, stderr, peak_kb, seconds = run_measured(["ingest", NOTICE_URL],
                                                      child_env(home, REGTRAIL_MIRROR=server.origin))
        assert server.hits(BOMB_PATH) == 1
    assert peak_kb < MAX_RSS_KB and seconds < 60, (peak_kb, seconds, stderr)
    fetched = [r for r in events.read_events(home, "fetch", "adhoc").to_pylist() if r["url"].endswith("list.pdf")]
    assert [r["ok"] for r in fetched] == [True]
    assert archive.load(home, fetched[0]["archive_path"])[0] == body, "the refused document stays re-parsable"
    records = events.read_events(home, "records", "adhoc").to_pylist()
    assert [r["record_type"] for r in records] == ["notice", "parse_failure"]
    error = json.loads(records[1]["payload"])["error"]
    assert error.startswith("refused: the PDF's streams inflate past 64 MiB"), error
    assert code == 1, stderr[-500:]


def test_a_crawl_archives_a_bomb_notice_and_records_a_parse_failure(bomb: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    listing = {"data": {"list": [{"noticeId": "n1", "title": "关于注销“某算法”等2个算法备案编号的公告",
                                  "publishTime": "2026-07-17 10:00:00"}]}}
    download = "/beian.cac.gov.cn/api/file/fileDownLoad?noticeId=n1"
    routes = {"/beian.cac.gov.cn/api/notice/list?pageNum=1&pageSize=20": respond(
                  200, json.dumps(listing, ensure_ascii=False).encode(), {"Content-Type": "application/json"}),
              download: respond(200, bomb.read_bytes(), {"Content-Type": "application/pdf"})}
    with FaultServer(routes=routes) as server:
        code, stderr, peak_kb, seconds = run_measured(
            ["crawl", "cac_cancellations"], child_env(home, REGTRAIL_MIRROR=server.origin))
        assert server.hits(download) == 1
    assert peak_kb < MAX_RSS_KB and seconds < 60, (peak_kb, seconds, stderr)
    fetched = [r for r in events.read_events(home, "fetch", "cac_cancellations").to_pylist() if r["url"].endswith("n1")]
    assert [r["ok"] for r in fetched] == [True]
    assert archive.load(home, fetched[0]["archive_path"])[0] == bomb.read_bytes()
    records = events.read_events(home, "records", "cac_cancellations").to_pylist()
    assert [r["record_type"] for r in records] == ["parse_failure"]
    payload = json.loads(records[0]["payload"])
    assert payload["error"].startswith("refused: the PDF's streams inflate past 64 MiB"), payload
    assert payload["notice_id"] == "n1"
    assert code != 0, stderr[-500:]


def test_both_pdf_readers_refuse_a_huge_page_tree() -> None:
    many = pdf_many_pages(pdf_guard.MAX_PAGES + 1)
    with pytest.raises(genai_list.GenaiParseError, match=f"has {pdf_guard.MAX_PAGES + 1} pages, more than"):
        genai_list.parse_genai_document(many)
    with pytest.raises(cancellation_notice.CancellationParseError, match="pages, more than"):
        cancellation_notice.parse_cancellation_pdf(many)
    assert len(pdf_guard.extract(pdf_many_pages(3))) == 3


def test_the_child_bounds_what_the_inflation_check_lets_through(monkeypatch: pytest.MonkeyPatch) -> None:
    flood = pdf_bomb(4 * 1024 * 1024)  # 4 MiB of text operators: passes the check, costs millions of objects
    assert pdf_guard.inflated_size(flood) < pdf_guard.MAX_INFLATED_BYTES
    with pytest.raises(pdf_guard.PdfRefused, match="more than 160 MiB of memory"):
        pdf_guard.extract(flood, memory_bytes=160 * 1024 * 1024)
    # the CPU limit ends it, however busy the machine (its wall-time backstop is lifted here)
    monkeypatch.setattr(pdf_guard, "wall_seconds", lambda cpu_seconds: 600)
    with pytest.raises(pdf_guard.PdfRefused, match="more than 2 s of CPU time"):
        pdf_guard.extract(flood, seconds=2)
    monkeypatch.undo()
    monkeypatch.setattr(pdf_guard, "MAX_INFLATED_BYTES", 1 << 40)  # the bomb reaches pdfminer's inflater
    with pytest.raises(pdf_guard.PdfRefused, match=f"more than {pdf_guard.MAX_MEMORY_BYTES >> 20} MiB of memory"):
        pdf_guard.extract(pdf_bomb(1024 * 1024 * 1024))


def test_a_damaged_pdf_is_unreadable_not_refused() -> None:
    with pytest.raises(cancellation_notice.CancellationParseError, match="^unreadable PDF: "):
        cancellation_notice.parse_cancellation_pdf(b"%PDF-1.4\nno objects here\n")
    with pytest.raises(genai_list.GenaiParseError, match="^unreadable pdf: "):
        genai_list.parse_genai_document(b"%PDF-1.4\nno objects here\n")


def test_a_damaged_pdf_is_unreadable_even_when_the_caller_is_large() -> None:
    """The reader's memory verdict is its own: Linux carries a process's peak RSS (ru_maxrss) across fork and
    exec, so a child of a large process (a long test run, an Airflow worker) must not judge by it."""
    ballast = b"\x01" * (600 * 1024 * 1024)  # resident: every page written
    try:
        with pytest.raises(cancellation_notice.CancellationParseError, match="^unreadable PDF: "):
            cancellation_notice.parse_cancellation_pdf(b"%PDF-1.4\nno objects here\n")
    finally:
        del ballast


def test_limits_leave_room_above_the_mirror_pdfs(shared: Path) -> None:
    rows = genai_fixtures.real_rows(shared.parent)
    assert rows is not None
    bodies = [genai_fixtures.build_attachment(p, "附件", rows[p], pdf=True) for p in genai_fixtures.PDF_PERIODS]
    bodies += [notice_pdf(n) for n in build_site(shared.parent).cancellation_notices]
    for body in bodies:
        assert 0 < pdf_guard.inflated_size(body) * 100 < pdf_guard.MAX_INFLATED_BYTES
        assert len(pdf_guard.extract(body)) * 100 < pdf_guard.MAX_PAGES


def test_the_reader_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """kill -9 of a crawl reading a slow PDF leaves no reader behind (it does not run on to its CPU limit)."""
    flood = tmp_path / "flood.pdf"
    flood.write_bytes(pdf_bomb(60 * 1024 * 1024))  # under the inflation limit: seconds of reading in the child
    code = ("import sys; from pathlib import Path; from regtrail.parsers import pdf_guard; "
            "pdf_guard.extract(Path(sys.argv[1]).read_bytes())")
    parent = subprocess.Popen([sys.executable, "-c", code, str(flood)])
    try:
        deadline = time.monotonic() + 60
        while not (readers := psutil.Process(parent.pid).children()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert readers, "the reader process started"
        time.sleep(0.5)
        assert readers[0].is_running()
    finally:
        parent.kill()
        parent.wait()
    gone, alive = psutil.wait_procs(readers, timeout=5)
    assert not alive, f"reader {[p.pid for p in alive]} outlived the killed process"
