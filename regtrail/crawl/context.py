"""The crawl context: what a source's `crawl(context)` uses to fetch and to emit records.

The context owns archiving, events, ids and timestamps; sources only say what to fetch and what
they found. Two transports fetch (see `regtrail.fetch.transport`): `LiveTransport` (the network or
the mirror) and `ArchiveTransport` (the WARC archive, for replay without network). A transport
returns what it did (`FetchResult`: attempts, robots fetches made first); the context archives the
bodies, writes one fetch event per attempt and hands the accepted `Document` to the source.

Events are buffered and written as segments at document boundaries (before a fetch, at most
every `flush_seconds`), right after a robots.txt fetch and after a fetch that timed out, and at the end,
so a killed crawl keeps what it finished. Record events
of a document already in the log are appended only when the document's output changed (see
`RecordLog`), so replaying with a new parser version adds nothing when the output is identical.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType
from typing import Any

from regtrail import settings
from regtrail.crawl.sources import Source, SourceConfig
from regtrail.fetch.policy import source_hosts
from regtrail.fetch.sniff import detect_type, is_synthetic
from regtrail.fetch.transport import (
    ArchiveTransport,
    Attempt,
    Document,
    FetchRequest,
    FetchResult,
    LiveTransport,
    Transport,
    header,
    latest_accepted,
)
from regtrail.log import archive, events
from regtrail.log.digest import sha256
from regtrail.log.recordlog import RecordLog
from regtrail.log.records import ParseFailure, Record
from regtrail.log.text import clean_key
from regtrail.parsers.errors import ParseError, ParserId, identity

__all__ = ["ArchiveTransport", "Context", "Document", "LiveTransport", "Transport", "flush_seconds"]

log = logging.getLogger("regtrail")



def flush_seconds() -> float:
    """How often buffered events are written during a crawl (`REGTRAIL_FLUSH_SECONDS`, default 30)."""
    return settings.ENV.flush_seconds


@dataclass
class Context:
    """Everything a source's `crawl` needs: config, fetching, and record emission.

    `root` is the log root holding `events/` and `archive/`: a local path or an fsspec URL.
    """

    source: Source
    run_key: str
    root: events.Root
    transport: Transport
    allowed_hosts: frozenset[str] | None = None  # None: the source's (see regtrail.fetch.policy)
    fetch_events: list[events.FetchEvent] = field(default_factory=list)
    record_events: list[events.RecordEvent] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    flush_seconds: float = field(default_factory=flush_seconds)
    _sequences: Counter = field(default_factory=Counter)
    _latest: dict[str, dict[str, Any]] | None = None
    _records: RecordLog | None = None
    _last_flush: float = field(default_factory=time.monotonic)
    _synthetic: dict[str, bool] = field(default_factory=dict)  # document digest -> carries the synthetic mark

    def __post_init__(self) -> None:
        if self.allowed_hosts is None:
            self.allowed_hosts = source_hosts(self.source.config)
        if isinstance(self.transport, LiveTransport):
            self.transport.on_before = self._fetched_first

    def _fetched_first(self, result: FetchResult) -> None:
        """A fetch the transport made before the requested one (robots.txt): on record at once."""
        self.record(result)
        self.flush()

    @property
    def config(self) -> SourceConfig:
        return self.source.config

    def next_sequence(self, url: str) -> int:
        self._sequences[url] += 1
        return self._sequences[url]

    def latest_accepted(self, url: str) -> dict[str, Any] | None:
        """The latest accepted fetch of `url` in the log (for conditional requests), if its body is archived."""
        row = self._latest_rows().get(url)
        if row is None or not archive.exists(self.root, row["archive_path"]):
            return None
        return row

    def _latest_rows(self) -> dict[str, dict[str, Any]]:
        if self._latest is None:
            self._latest = latest_accepted(self.root, self.source.name)
        return self._latest

    def add_fetch_event(self, event: events.FetchEvent) -> None:
        self.fetch_events.append(event)
        self.stats["requests" if event.status is not None or event.error_kind not in _NOT_SENT else "not_sent"] += 1
        self.stats["fetch_failures" if not event.ok else "fetch_ok"] += 1
        if not event.ok:
            self.stats[f"failed:{event.error_kind}"] += 1
        if event.ok and event.archive_path and event.purpose != "robots":
            self._latest_rows()[event.url] = event.row()

    def fetch(self, url: str, *, purpose: str, referer: str | None = None, expect: str = "html") -> Document | None:
        """Fetch a document; every attempt is recorded as a fetch event; a failure gives None."""
        if self.flush_seconds >= 0 and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()
        prior = self.latest_accepted(url) if purpose != "robots" else None
        request = FetchRequest(url, purpose, referer, expect, prior, frozenset(self.allowed_hosts or ()))
        result = self.transport.fetch(request)
        document = self.record(result)
        self.stats[_outcome(result, document)] += 1
        if any(attempt.error_kind == "timeout" for attempt in result.attempts):
            self.flush()  # a slow server: what this run has is on record before the next request
        return document

    def record(self, result: FetchResult) -> Document | None:
        """Archive and log what a transport did for one request; the accepted document, if any."""
        if result.document is not None or not result.attempts:
            return result.document  # served from the record (replay), or nothing to serve
        for earlier in result.before:
            self.record(earlier)
        request = result.request
        sequence = self.next_sequence(request.url)
        document = None
        for attempt in result.attempts:
            event, body = self._event(request, attempt, sequence)
            self.add_fetch_event(event)
            if event.ok:
                document = Document(request.url, body, event.payload_digest or sha256(b""), attempt.headers,
                                    event.started_at, event.event_id, detect_type(body) if attempt.not_modified
                                    else attempt.detected_type, attempt.status)
        return document

    def _event(self, request: FetchRequest, attempt: Attempt, sequence: int) -> tuple[events.FetchEvent, bytes]:
        """The fetch event of one attempt (its body archived) and the body it stands for."""
        prior, body = request.prior, attempt.body
        self.stats["bytes_downloaded"] += len(body)
        base = dict(
            source=self.source.name, run_key=self.run_key, url=request.url, fetched_url=attempt.fetched_url,
            purpose=request.purpose, attempt=attempt.attempt, started_at=attempt.started_at,
            elapsed_ms=attempt.elapsed_ms, referer=request.referer, status=attempt.status,
            content_type=header(attempt.headers, "content-type"), etag=header(attempt.headers, "etag"),
            last_modified=header(attempt.headers, "last-modified"), sequence=sequence,
            error_kind=attempt.error_kind, error=attempt.error,
        )
        if attempt.not_modified and prior is not None:
            body, attempt.headers = archive.load(self.root, prior["archive_path"])
            for key in ("etag", "last_modified", "content_type"):
                base[key] = base[key] or prior.get(key)
            self.stats["not_modified"] += 1
            return events.FetchEvent(**base, ok=True, payload_digest=prior["payload_digest"],
                                     payload_size=prior["payload_size"], archive_path=prior["archive_path"]), body
        digest = sha256(body) if body else None
        relpath = None
        if body:
            relpath = archive.store(
                self.root, self.source.name, url=request.url, digest=digest, body=body, status=attempt.status or 0,
                reason=attempt.reason, headers=attempt.headers, request_headers=attempt.request_headers,
            )
        ok = attempt.ok
        if ok and prior is not None and digest == prior["payload_digest"]:
            base["error_kind"], base["error"] = "unchanged", "same payload digest as the previous accepted fetch"
            self.stats["unchanged"] += 1
        size = len(body) if body or attempt.status else None
        return events.FetchEvent(**base, ok=ok, payload_digest=digest, payload_size=size, archive_path=relpath), body

    def emit(
        self,
        record: Record,
        key: str,
        *,
        document: Document,
        parser: ModuleType | ParserId,
        published_at: date | None = None,
        published_precision: str | None = None,
    ) -> events.RecordEvent:
        """Append one record event (deduplicated by its content-derived id on flush); `record` follows the
        record contract (regtrail/log/records.py); `parser` is the parser module that read it (its own
        PARSER_NAME and PARSER_VERSION are stamped on the event). A record parsed from a document the mirror
        invented (`sniff.is_synthetic`) says so: `synthetic: true`."""
        name, version = identity(parser)
        if document.digest not in self._synthetic:
            self._synthetic[document.digest] = is_synthetic(document.body)
        if self._synthetic[document.digest]:
            record = dataclasses.replace(record, synthetic=True)
        event = events.RecordEvent(
            source=self.source.name, record_type=record.record_type, record_key=clean_key(key),
            payload=record.payload(),
            document_url=document.url, document_digest=document.digest, observed_at=document.observed_at,
            parser=name, parser_version=version, published_at=published_at,
            published_precision=published_precision if published_at else None,
            fetch_event_id=document.fetch_event_id, run_key=self.run_key,
        )
        self.record_events.append(event)
        self.stats[f"records:{record.record_type}"] += 1
        return event

    def fail(self, document: Document, error: ParseError, **details: Any) -> None:
        """Record that a fetched document could not be parsed (it stays in the archive for replay); the error
        names its parser."""
        log.error("%s: cannot parse %s: %s", self.source.name, document.url, error)
        failure = ParseFailure(error=str(error), detected_type=document.detected_type, parser=error.parser.name,
                               **details)
        self.emit(failure, document.url, document=document, parser=error.parser)

    def flush(self) -> dict[str, int]:
        """Write buffered events as new segments; returns how many events were new."""
        if self._records is None:
            self._records = RecordLog.load(self.root, self.source.name)
        records, skipped = self._records.select(self.record_events)
        self.stats["records_unchanged"] += skipped
        written = {"fetch": 0, "records": 0}
        for kind, rows in (("fetch", [e.row() for e in self.fetch_events]), ("records", [e.row() for e in records])):
            _, written[kind] = events.write_segment(self.root, kind, self.source.name, rows)
        self._records.remember(records)
        self.fetch_events.clear()
        self.record_events.clear()
        self._last_flush = time.monotonic()
        self.stats["new_fetch_events"] += written["fetch"]
        self.stats["new_record_events"] += written["records"]
        return written


def _outcome(result: FetchResult, document: Document | None) -> str:
    """The stats key of one fetch: `documents`, `not_available_urls` (404/410), `failed_urls` or `not_in_archive`."""
    if document is not None:
        return "documents"
    if not result.attempts:
        return "not_in_archive"
    return "not_available_urls" if result.attempts[-1].status in GONE else "failed_urls"


GONE = {404, 410}
"""Statuses saying the resource does not exist (yet): a list announced before its file is online, not a fault."""

_NOT_SENT = {"robots_disallowed", "robots_unreachable", "refused_by_policy"}
