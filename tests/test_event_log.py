"""The event log: deterministic ids, deduplication, atomic segments, archive round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from regtrail.log import archive, events
from regtrail.log.digest import sha256


def _record(payload: dict, version: str = "1", observed_at: datetime | None = None) -> events.RecordEvent:
    return events.RecordEvent(
        source="s", record_type="filing", record_key="网信算备110108823483901230031号", payload=payload,
        document_url="https://www.cac.gov.cn/x.htm", document_digest="sha256:ab",
        observed_at=observed_at or events.utcnow(),
        parser="p", parser_version=version, published_at=date(2023, 9, 1), published_precision="day",
    )


def test_record_id_depends_on_content_not_on_time() -> None:
    first = _record({"a": 1, "b": "中文"}, observed_at=datetime(2024, 1, 1, tzinfo=UTC))
    again = _record({"b": "中文", "a": 1}, observed_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC))
    assert first.observed_at != again.observed_at
    assert first.event_id == again.event_id
    assert _record({"a": 2}).event_id != first.event_id
    assert _record({"a": 1, "b": "中文"}, version="2").event_id != first.event_id


def test_writing_the_same_events_twice_adds_nothing(home: Path) -> None:
    rows = [_record({"n": i}).row() for i in range(5)]
    segment, written = events.write_segment(home, "records", "s", rows + rows[:2])
    assert segment is not None and written == 5
    assert events.write_segment(home, "records", "s", rows) == (None, 0)
    _, more = events.write_segment(home, "records", "s", rows + [_record({"n": 99}).row()])
    assert more == 1
    table = events.read_events(home, "records", "s")
    assert table.num_rows == 6
    assert len(set(table.column("event_id").to_pylist())) == 6


def test_segments_leave_no_temporary_files(home: Path) -> None:
    events.write_segment(home, "records", "s", [_record({"n": 1}).row()])
    folder = events.source_dir(home, "records", "s")
    assert [p.suffix for p in folder.iterdir()] == [".parquet"]


def test_read_events_on_empty_log_has_schema(home: Path) -> None:
    table = events.read_events(home, "fetch")
    assert table.num_rows == 0 and "payload_digest" in table.schema.names


def test_archive_round_trip_and_dedup(home: Path) -> None:
    body = "<html>通知</html>".encode()
    digest = sha256(body)
    kwargs = dict(url="https://www.cac.gov.cn/a.htm", digest=digest, body=body, status=200, reason="OK",
                  headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
                  request_headers={"User-Agent": "t"})
    rel = archive.store(home, "s", **kwargs)
    mtime = (home / rel).stat().st_mtime_ns
    assert archive.store(home, "s", **kwargs) == rel
    assert (home / rel).stat().st_mtime_ns == mtime
    loaded, headers = archive.load(home, rel)
    assert loaded == body
    assert "Content-Encoding" not in headers and headers["Content-Length"] == str(len(body))
