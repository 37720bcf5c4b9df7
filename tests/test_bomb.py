"""A small DOCX whose document.xml inflates to 180 MB is refused by `parse` and `ingest` quickly and in bounded
memory, archived and recorded as a parse failure; the limits sit far above the real lists."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from regtrail.log import archive, events
from regtrail.mirror.hostile import docx_bomb
from regtrail.parsers import docx_list, genai_list
from regtrail.parsers.docx_xml import _UNREAD_PROPERTIES
from tests.support.fault_server import FaultServer, respond
from tests.support.processes import MAX_RSS_KB, child_env, run_measured

BOMB_URL = "https://www.cac.gov.cn/files/bomb.docx"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    path.write_bytes(docx_bomb(180 * 1024 * 1024))
    return path


def test_parse_refuses_the_bomb_fast_in_bounded_memory(bomb: Path, tmp_path: Path) -> None:
    assert bomb.stat().st_size < 1024 * 1024
    code, stderr, peak_kb, seconds = run_measured(["parse", str(bomb)], child_env(tmp_path))
    assert code != 0
    assert "refused" in stderr and "word/document.xml" in stderr, stderr
    assert "generative-AI" not in stderr, "no second parser tries the refused document"
    assert peak_kb < MAX_RSS_KB and seconds < 60, (peak_kb, seconds)


def test_ingest_archives_the_bomb_and_records_a_parse_failure(bomb: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    body = bomb.read_bytes()
    route = respond(200, body, {"Content-Type": "application/vnd.openxmlformats-officedocument"})
    with FaultServer(routes={"/www.cac.gov.cn/files/bomb.docx": route}) as server:
        code, stderr, peak_kb, seconds = run_measured(
            ["ingest", BOMB_URL], child_env(home, REGTRAIL_MIRROR=server.origin))
        assert server.hits("/www.cac.gov.cn/files/bomb.docx") == 1
    assert peak_kb < MAX_RSS_KB and seconds < 60, (peak_kb, seconds, stderr)
    fetched = [r for r in events.read_events(home, "fetch", "adhoc").to_pylist() if r["url"] == BOMB_URL]
    assert [r["ok"] for r in fetched] == [True]
    assert archive.load(home, fetched[0]["archive_path"])[0] == body, "the refused document stays re-parsable"
    records = events.read_events(home, "records", "adhoc").to_pylist()
    assert [r["record_type"] for r in records] == ["parse_failure"]
    assert "refused" in json.loads(records[0]["payload"])["error"]
    assert code == 3 and "everything failed" in stderr.splitlines()[-1], stderr[-500:]


def test_limits_leave_room_above_the_largest_real_list(shared: Path) -> None:
    def xml(path: Path) -> bytes:
        with zipfile.ZipFile(path) as archive:
            return archive.read("word/document.xml")

    largest = max((shared / "original_docx").glob("*.docx"), key=lambda p: len(xml(p)))
    data = xml(largest)
    assert len(docx_list.parse_list_docx(largest.read_bytes()).rows) > 500
    assert len(data) * 10 < docx_list.MAX_DOCUMENT_XML_BYTES

    def elements(xml: bytes) -> int:
        return xml.count(b"<") - xml.count(b"</")

    # the list parser counts what it builds its tree from (unread properties cut); python-docx readers all of it
    assert elements(_UNREAD_PROPERTIES.sub(b"", data)) * 10 < docx_list.MAX_XML_ELEMENTS
    assert elements(data) * 5 < docx_list.MAX_XML_ELEMENTS


def test_every_docx_reader_refuses_before_building_the_tree() -> None:
    small_bomb = docx_bomb(24 * 1024 * 1024)  # under the byte limit, over the element limits
    with pytest.raises(docx_list.DocumentTooLarge, match="XML elements"):
        docx_list.check_docx_cost(small_bomb, limit=1_000_000)
    with pytest.raises(genai_list.GenaiParseError, match="XML elements"):
        genai_list.parse_genai_document(small_bomb)
    assert len(docx_list.parse_list_docx(docx_bomb(2 * 1024 * 1024)).rows) > 1000
