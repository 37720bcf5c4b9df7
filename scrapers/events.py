"""The append-only event log: schemas, deterministic ids, atomic Parquet segments.

A segment is written under a temporary name and renamed into place, so a reader (or a
crash) sees either the whole segment or nothing. An event whose id is already in the log
is dropped before writing, so reruns and retries never duplicate anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .digest import canonical_json, sha256, stable_id

FETCH_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("source", pa.string()),
        ("run_key", pa.string()),
        ("url", pa.string()),
        ("fetched_url", pa.string()),
        ("referer", pa.string()),
        ("purpose", pa.string()),
        ("attempt", pa.int32()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("elapsed_ms", pa.float64()),
        ("status", pa.int32()),
        ("ok", pa.bool_()),
        ("error_kind", pa.string()),
        ("error", pa.string()),
        ("content_type", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("payload_digest", pa.string()),
        ("payload_size", pa.int64()),
        ("archive_path", pa.string()),
    ]
)

RECORD_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("source", pa.string()),
        ("record_type", pa.string()),
        ("record_key", pa.string()),
        ("payload", pa.string()),
        ("payload_digest", pa.string()),
        ("document_url", pa.string()),
        ("document_digest", pa.string()),
        ("published_at", pa.date32()),
        ("published_precision", pa.string()),
        ("observed_at", pa.timestamp("us", tz="UTC")),
        ("parser", pa.string()),
        ("parser_version", pa.string()),
        ("fetch_event_id", pa.string()),
        ("run_key", pa.string()),
    ]
)

KINDS = {"fetch": FETCH_SCHEMA, "records": RECORD_SCHEMA}


def utcnow() -> datetime:
    """The current time, UTC, microsecond precision."""
    return datetime.now(UTC)


@dataclass
class FetchEvent:
    """One HTTP attempt."""

    source: str
    run_key: str
    url: str
    fetched_url: str
    purpose: str
    attempt: int
    started_at: datetime
    elapsed_ms: float
    referer: str | None = None
    status: int | None = None
    ok: bool = False
    error_kind: str | None = None
    error: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None
    payload_size: int | None = None
    archive_path: str | None = None
    sequence: int = 1
    event_id: str = ""

    def __post_init__(self) -> None:
        if not self.event_id:
            self.event_id = stable_id("fetch", self.source, self.url, self.run_key, self.sequence, self.attempt)

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FETCH_SCHEMA.names}


@dataclass
class RecordEvent:
    """One parsed record (or one parse failure) from one document."""

    source: str
    record_type: str
    record_key: str
    payload: dict[str, Any]
    document_url: str
    document_digest: str
    observed_at: datetime
    parser: str
    parser_version: str
    published_at: date | None = None
    published_precision: str | None = None
    fetch_event_id: str | None = None
    run_key: str | None = None
    payload_json: str = field(init=False)
    payload_digest: str = field(init=False)
    event_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.payload_json = canonical_json(self.payload)
        self.payload_digest = sha256(self.payload_json.encode("utf-8"))
        self.event_id = stable_id(
            "record",
            self.source,
            self.record_type,
            self.record_key,
            self.payload_digest,
            self.document_digest,
            self.parser_version,
        )

    def row(self) -> dict[str, Any]:
        row = {name: getattr(self, name, None) for name in RECORD_SCHEMA.names}
        row["payload"] = self.payload_json
        return row


def source_dir(root: Path, kind: str, source: str) -> Path:
    """Folder holding one source's segments of one kind (`fetch` or `records`)."""
    return root / "events" / kind / f"source={source}"


def segment_files(root: Path, kind: str, source: str | None = None) -> list[Path]:
    """Every complete segment of `kind`, optionally for one source, in name order."""
    base = root / "events" / kind
    pattern = f"source={source}/*.parquet" if source else "source=*/*.parquet"
    return sorted(base.glob(pattern))


def read_events(root: Path, kind: str, source: str | None = None, columns: list[str] | None = None) -> pa.Table:
    """All events of `kind` as one Arrow table (empty table with the schema when none)."""
    schema = KINDS[kind]
    files = segment_files(root, kind, source)
    if not files:
        return schema.empty_table() if columns is None else schema.empty_table().select(columns)
    dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet")
    return dataset.to_table(columns=columns)


def existing_ids(root: Path, kind: str, source: str) -> set[str]:
    """Event ids already in the log for one source."""
    return set(read_events(root, kind, source, columns=["event_id"]).column("event_id").to_pylist())


def write_segment(root: Path, kind: str, source: str, rows: Iterable[dict[str, Any]]) -> tuple[Path | None, int]:
    """Append rows as a new segment, dropping ids already present. Returns (segment, rows written)."""
    known = existing_ids(root, kind, source)
    fresh: list[dict[str, Any]] = []
    for row in rows:
        if row["event_id"] in known:
            continue
        known.add(row["event_id"])
        fresh.append(row)
    if not fresh:
        return None, 0
    folder = source_dir(root, kind, source)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"
    final = folder / name
    temp = folder / f".{name}.tmp"
    table = pa.Table.from_pylist(fresh, schema=KINDS[kind])
    pq.write_table(table, temp, compression="zstd")
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, final)
    return final, len(fresh)
