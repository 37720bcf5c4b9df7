"""The append-only event log: schemas, deterministic ids, atomic Parquet segments.

A segment is written under a temporary name and renamed into place, so a reader (or a
crash) sees either the whole segment or nothing. An event whose id is already in the log
is dropped before writing, so reruns and retries never duplicate anything.

The log lives on any fsspec filesystem: a root is a local path, or a URL such as
`s3://bucket/prefix` (storage options from `REGTRAIL_STORAGE_OPTIONS`, a JSON object, and
the filesystem's own environment, e.g. `AWS_ENDPOINT_URL`). On an object store a segment
is one PUT, which is atomic (an object is visible whole or not at all), so no rename is needed.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from fsspec.core import url_to_fs

from regtrail import settings
from regtrail.log import diskfull
from regtrail.log.digest import canonical_json, sha256, stable_id

UnreadableHandler = Callable[..., list[Any]]
on_unreadable: UnreadableHandler | None = None
"""Called as `on_unreadable(root, kinds, source, thorough=True)` when a read fails; returns what it moved aside.
`regtrail.log.quarantine` registers itself here when imported (every reader of the log imports it), so this
module never imports the quarantine."""

log = logging.getLogger("regtrail")

Root = str | os.PathLike[str]
"""A log root: a local path, or an fsspec URL (`s3://bucket/prefix`, `memory://x`)."""

OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"}
"""Protocols where one write is atomic; other remote filesystems write a temporary name and move it."""

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

LOG_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("source", pa.string()),
        ("event_type", pa.string()),
        ("subject", pa.string()),
        ("detail", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("run_key", pa.string()),
    ]
)
"""What happened to the log itself (a segment quarantined, a quarantined segment restored by replay)."""

KINDS = {"fetch": FETCH_SCHEMA, "records": RECORD_SCHEMA, "log": LOG_SCHEMA}


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


@dataclass
class LogEvent:
    """One thing that happened to the log itself; `subject` is the segment it concerns (relative to the root).

    The id is a function of the event's type, subject and `identity` (what makes it one occurrence, e.g. the
    quarantined file's digest), so recording the same occurrence twice appends it once.
    """

    source: str
    event_type: str
    subject: str
    detail: dict[str, Any]
    identity: str
    occurred_at: datetime = field(default_factory=utcnow)
    run_key: str | None = None
    event_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.event_id = stable_id("log", self.source, self.event_type, self.subject, self.identity)

    def row(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "source": self.source, "event_type": self.event_type,
                "subject": self.subject, "detail": canonical_json(self.detail), "occurred_at": self.occurred_at,
                "run_key": self.run_key}


def is_url(root: Root) -> bool:
    """True when `root` names a location through a URL scheme (`s3://...`) rather than a local path."""
    return isinstance(root, str) and "://" in root and not root.startswith("file://")


def filesystem(root: Root) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem holding `root` and the root's path on it."""
    if is_url(root):
        return url_to_fs(str(root), **settings.storage_options())
    return fsspec.filesystem("file"), str(Path(root).resolve())


def is_object_store(fs: fsspec.AbstractFileSystem) -> bool:
    """True when one write on `fs` is atomic (an object store): no temporary name and rename needed."""
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    return bool(protocols & OBJECT_STORES)


def under(root: Root, relpath: str) -> Path | str:
    """`relpath` (slash-separated) under a log root: a Path, or a URL when the root is one."""
    if is_url(root):
        return f"{str(root).rstrip('/')}/{relpath}"
    return Path(root) / relpath


def source_dir(root: Root, kind: str, source: str) -> Path | str:
    """Folder holding one source's segments of one kind (`fetch` or `records`): a Path, or a URL."""
    return under(root, f"events/{kind}/source={source}")


def segment_files(root: Root, kind: str, source: str | None = None) -> list[Path] | list[str]:
    """Every complete segment of `kind`, optionally for one source, in name order (Paths, or URLs)."""
    pattern = f"source={source}/*.parquet" if source else "source=*/*.parquet"
    if not is_url(root):
        return sorted((Path(root) / "events" / kind).glob(pattern))
    fs, base = filesystem(root)
    folder = f"{base.rstrip('/')}/events/{kind}"
    fs.invalidate_cache()  # other workers append segments: never trust a cached listing (of any subfolder)
    return sorted(fs.unstrip_protocol(path) for path in fs.glob(f"{folder}/{pattern}"))


def read_events(root: Root, kind: str, source: str | None = None, columns: list[str] | None = None) -> pa.Table:
    """All events of `kind` as one Arrow table (empty table with the schema when none).

    A segment that cannot be read is handed to `on_unreadable` (`quarantine.quarantine_unreadable`, registered
    when `regtrail.log.quarantine` is imported: it moves the segment aside and records a log event naming it)
    and the rest is read: one damaged file never stops a crawl, a replay or a build.
    """
    schema = KINDS[kind]
    files = segment_files(root, kind, source)
    if not files:
        return schema.empty_table() if columns is None else schema.empty_table().select(columns)
    try:
        if is_url(root):
            fs, _ = filesystem(root)
            paths = [fs._strip_protocol(f) for f in files]
            dataset = ds.dataset(paths, schema=schema, format="parquet", filesystem=fs)
        else:
            dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet")
        return dataset.to_table(columns=columns)
    except (pa.ArrowException, OSError):
        if on_unreadable is None or not on_unreadable(root, [kind], source, thorough=True):
            raise
        return read_events(root, kind, source, columns)


def existing_ids(root: Root, kind: str, source: str) -> set[str]:
    """Event ids already in the log for one source."""
    return set(read_events(root, kind, source, columns=["event_id"]).column("event_id").to_pylist())


def segment_name() -> str:
    """A new segment's file name: UTC write time (sorts by time) plus a random suffix (no collisions)."""
    return f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"


def write_atomically(location: Root, write: Callable[[BinaryIO], None]) -> Path | str:
    """Create the file `location` (a local path or an fsspec URL) whole or not at all; returns it.

    `write` fills an open binary handle. Locally: a hidden temporary name in the same folder, fsync,
    rename. On an object store: one PUT, which is atomic. On another fsspec filesystem: a temporary name
    moved into place. Temporary names are `.<name>.<random>.tmp` (see runner.remove_stale_temp_files).
    """
    if not is_url(location):
        final = Path(location)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
        with diskfull.writing(final, partial=temp):
            with open(temp, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        return final
    fs, path = filesystem(location)
    if is_object_store(fs):
        with fs.open(path, "wb") as handle:
            write(handle)
        return fs.unstrip_protocol(path)
    folder, name = path.rsplit("/", 1)
    fs.makedirs(folder, exist_ok=True)
    temp = f"{folder}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
    with fs.open(temp, "wb") as handle:
        write(handle)
    fs.mv(temp, path)
    return fs.unstrip_protocol(path)


def append_segment(root: Root, kind: str, source: str, table: pa.Table) -> Path | str:
    """Write `table` as one new segment, atomically; no deduplication (see `write_segment`)."""
    table = table.cast(KINDS[kind]) if table.schema != KINDS[kind] else table
    location = under(root, f"events/{kind}/source={source}/{segment_name()}")
    return write_atomically(location, lambda handle: pq.write_table(table, handle, compression="zstd"))


def write_segment(
    root: Root, kind: str, source: str, rows: Iterable[dict[str, Any]]
) -> tuple[Path | str | None, int]:
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
    return append_segment(root, kind, source, pa.Table.from_pylist(fresh, schema=KINDS[kind])), len(fresh)
