"""Unreadable event segments: moved aside to `<root>/quarantine/`, each move recorded as a log event.

A segment that cannot be read (truncated, damaged in place, another schema, dropped in by hand) is moved
from `events/<kind>/source=<name>/` to the same path under `quarantine/`, after a `segment_quarantined` log
event naming it (its path, size, digest, the problem, and the row count its footer declares when the
footer is readable) is appended. The event is written first: a crash between the two leaves the segment in
place, and the next check appends the same event id again (readers deduplicate by id) and moves it. `regtrail replay`
then restores what can be restored (`replay` records a `segment_restored` event): every record event (a
function of the archive), and the accepted fetches whose bodies are archived (`recovery`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from regtrail.log import events
from regtrail.log.digest import sha256
from regtrail.log.events import Root

log = logging.getLogger("regtrail")

QUARANTINE = "quarantine"
"""Folder under the log root where unreadable segments are moved, at the path they had under the root."""
QUARANTINED, RESTORED = "segment_quarantined", "segment_restored"
"""The log event types (`events/log`) of this module."""


def segment_problem(location: Path | str, kind: str, *, thorough: bool = False) -> str | None:
    """Why a segment cannot be read as `kind` events (footer, schema; every page when `thorough`), or None."""
    try:
        if events.is_url(location):
            fs, path = events.filesystem(location)
            with fs.open(path, "rb") as handle:
                return _parquet_problem(pq.ParquetFile(handle), kind, thorough)
        with pq.ParquetFile(location) as parquet:
            return _parquet_problem(parquet, kind, thorough)
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _parquet_problem(parquet: pq.ParquetFile, kind: str, thorough: bool) -> str | None:
    if not parquet.schema_arrow.equals(events.KINDS[kind]):
        return f"schema is not the {kind} event schema: {parquet.schema_arrow}"
    if thorough:
        parquet.read()
    return None


def quarantine_unreadable(root: Root, kinds: Iterable[str] = tuple(events.KINDS), source: str | None = None, *,
                          thorough: bool = False, run_key: str | None = None) -> list[str]:
    """Move every unreadable segment to `<root>/quarantine/...`, recording why; returns the new locations.

    Checked: the Parquet footer and schema of each segment (every page too when `thorough`). Run by crawl,
    replay and the build's prepare step (its SQL reads the folders directly), and by `events.read_events`
    when a read fails.
    """
    moved = []
    for kind in kinds:
        for segment in events.segment_files(root, kind, source):
            problem = segment_problem(segment, kind, thorough=thorough)
            if problem is not None:
                moved.append(_quarantine(root, kind, segment, problem, run_key))
    return moved


def _declared_rows(data: bytes) -> int | None:
    """The row count a segment's footer declares, when the footer can be read."""
    try:
        return pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows
    except (pa.ArrowException, OSError, ValueError):
        return None


def _quarantine(root: Root, kind: str, segment: Path | str, problem: str, run_key: str | None) -> str:
    fs, base = events.filesystem(root)
    path = fs._strip_protocol(str(segment)) if events.is_url(root) else str(Path(segment).resolve())
    relative = path[len(base.rstrip("/")) + 1:]
    target = f"{base.rstrip('/')}/{QUARANTINE}/{relative}"
    data = fs.cat_file(path)
    source = relative.split("source=", 1)[1].split("/", 1)[0]
    digest = sha256(data)
    detail = {"kind": kind, "quarantined_to": f"{QUARANTINE}/{relative}", "problem": problem,
              "size_bytes": len(data), "sha256": digest, "declared_rows": _declared_rows(data)}
    event = events.LogEvent(source, QUARANTINED, relative, detail, identity=digest, run_key=run_key)
    # First, and without reading the log (which may be what is unreadable): a crash before the move appends
    # the same event id again next time, and readers deduplicate by event id.
    events.append_segment(root, "log", source, pa.Table.from_pylist([event.row()], schema=events.LOG_SCHEMA))
    fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
    fs.mv(path, target)
    log.warning("unreadable segment %s moved to %s: %s", relative, target, problem)
    return fs.unstrip_protocol(target) if events.is_url(root) else target


def _log_rows(root: Root, source: str | None) -> dict[str, list[dict[str, Any]]]:
    """The log events (deduplicated by id), oldest first, by event type."""
    rows = {r["event_id"]: r for r in events.read_events(root, "log", source).to_pylist()}
    by_type: dict[str, list[dict[str, Any]]] = {QUARANTINED: [], RESTORED: []}
    for row in sorted(rows.values(), key=lambda r: (r["occurred_at"], r["event_id"])):
        by_type.setdefault(row["event_type"], []).append(row)
    return by_type


def _quarantined(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"event_id": r["event_id"], "source": r["source"], "segment": r["subject"],
             "quarantined_at": r["occurred_at"], "run_key": r["run_key"], **json.loads(r["detail"])} for r in rows]


def quarantined(root: Root, source: str | None = None) -> list[dict[str, Any]]:
    """Every quarantined segment, oldest first: event_id, source, segment, quarantined_at, run_key and the
    detail (kind, quarantined_to, problem, size_bytes, sha256, declared_rows)."""
    return _quarantined(_log_rows(root, source)[QUARANTINED])


def awaiting_replay(root: Root, source: str) -> list[dict[str, Any]]:
    """The quarantined segments of `source` that no replay has restored yet."""
    rows = _log_rows(root, source)
    restored = {json.loads(r["detail"])["quarantine_event_id"] for r in rows[RESTORED]}
    return [q for q in _quarantined(rows[QUARANTINED]) if q["event_id"] not in restored]


def record_restored(root: Root, source: str, pending: list[dict[str, Any]], *, run_key: str,
                    record_events: int, fetch_events: int) -> None:
    """Record that the replay `run_key` restored the quarantined segments `pending` of `source`.

    `record_events` and `fetch_events` are what that replay appended for the source as a whole (one replay
    restores every pending segment of a source at once).
    """
    rows = []
    for quarantine in pending:
        detail = {"quarantine_event_id": quarantine["event_id"], "kind": quarantine["kind"],
                  "record_events_appended": record_events, "fetch_events_recovered": fetch_events}
        rows.append(events.LogEvent(source, RESTORED, quarantine["segment"], detail,
                                    identity=quarantine["event_id"], run_key=run_key).row())
    if rows:
        events.write_segment(root, "log", source, rows)


events.on_unreadable = quarantine_unreadable
