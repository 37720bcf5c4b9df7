"""The crawl context: what a source's `crawl(context)` uses to fetch and to emit records.

The context owns HTTP, retries, archiving, ids and timestamps; sources only say what to
fetch and what they found. Two transports implement fetching: `LiveTransport` (the network
or the mirror) and `ArchiveTransport` (the WARC archive, for replay without network).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from . import archive, events
from .digest import sha256
from .fetcher import Fetcher, RawResponse
from .sniff import decode_html, detect_type, looks_like_waf_challenge
from .sources import Source

log = logging.getLogger("regtrail")

RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class Document:
    """A fetched (or archived) body accepted for parsing."""

    url: str
    body: bytes
    digest: str
    headers: dict[str, str]
    observed_at: datetime
    fetch_event_id: str | None
    detected_type: str

    def text(self) -> str:
        """The body decoded as HTML text."""
        content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)
        return decode_html(self.body, content_type)


class Transport(Protocol):
    def fetch(self, ctx: Context, url: str, *, purpose: str, referer: str | None, expect: str) -> Document | None:
        ...


def _accept(raw: RawResponse, expect: str) -> tuple[str | None, str | None, str]:
    """Check a response against what the caller expects: (error_kind, error, detected_type)."""
    detected = detect_type(raw.body)
    if raw.error_kind:
        return raw.error_kind, raw.error, detected
    if raw.status != 200:
        return "http_status", f"HTTP {raw.status} {raw.reason}".strip(), detected
    declared = next((v for k, v in raw.headers.items() if k.lower() == "content-length"), None)
    if declared and declared.isdigit() and "content-encoding" not in {k.lower() for k in raw.headers}:
        if int(declared) != len(raw.body):
            return "truncated", f"Content-Length {declared} but {len(raw.body)} bytes received", detected
    if detected == "empty":
        return "empty_body", "empty body (a download without the notice page as Referer answers this way)", detected
    if detected == "html" and looks_like_waf_challenge(decode_html(raw.body[:65536])):
        return "waf_challenge", "web-application-firewall challenge page instead of content", detected
    if expect == "html" and detected not in {"html", "unknown"}:
        return "not_html", f"expected an HTML page, got {detected}", detected
    if expect == "document" and detected == "html":
        return "not_a_document", "expected a document (DOCX/PDF), got an HTML page", detected
    return None, None, detected


class LiveTransport:
    """Fetch over HTTP (or the mirror), with bounded retries; archive every body."""

    def __init__(self, fetcher: Fetcher, *, attempts: int = 3, backoff: float = 0.5) -> None:
        self.fetcher = fetcher
        self.attempts = attempts
        self.backoff = backoff

    def fetch(self, ctx: Context, url: str, *, purpose: str, referer: str | None, expect: str) -> Document | None:
        sequence = ctx.next_sequence(url)
        for attempt in range(1, self.attempts + 1):
            started_at = events.utcnow()
            raw = self.fetcher.get(url, referer=referer)
            error_kind, error, detected = _accept(raw, expect)
            digest = sha256(raw.body) if raw.body else None
            relpath = None
            if raw.body:
                relpath = archive.store(
                    ctx.root, ctx.source.name, url=url, digest=digest, body=raw.body, status=raw.status or 0,
                    reason=raw.reason, headers=raw.headers, request_headers=raw.request_headers,
                )
            header = {k.lower(): v for k, v in raw.headers.items()}
            event = events.FetchEvent(
                source=ctx.source.name, run_key=ctx.run_key, url=url, fetched_url=raw.fetched_url,
                purpose=purpose, attempt=attempt, started_at=started_at, elapsed_ms=raw.elapsed_ms,
                referer=referer, status=raw.status, ok=error_kind is None, error_kind=error_kind, error=error,
                content_type=header.get("content-type"), etag=header.get("etag"),
                last_modified=header.get("last-modified"), payload_digest=digest,
                payload_size=len(raw.body) if raw.body or raw.status else None, archive_path=relpath,
                sequence=sequence,
            )
            ctx.add_fetch_event(event)
            if error_kind is None:
                return Document(url, raw.body, digest, raw.headers, started_at, event.event_id, detected)
            retryable = error_kind in {"connection", "timeout"} or (raw.status in RETRY_STATUSES)
            log.warning("%s %s: %s (attempt %d/%d)", ctx.source.name, url, error, attempt, self.attempts)
            if not retryable or attempt == self.attempts:
                return None
            time.sleep(_retry_delay(raw, self.backoff * 2 ** (attempt - 1)))
        return None


def _retry_delay(raw: RawResponse, default: float) -> float:
    value = next((v for k, v in raw.headers.items() if k.lower() == "retry-after"), None)
    if value and value.strip().isdigit():
        return min(float(value), 60.0)
    return default


class ArchiveTransport:
    """Serve documents from the archive: the latest accepted fetch of each URL. No network."""

    def __init__(self, root: Path, source: str) -> None:
        table = events.read_events(root, "fetch", source).to_pylist()
        self.root = root
        self.latest: dict[str, dict[str, Any]] = {}
        for row in sorted(table, key=lambda r: r["started_at"]):
            if row["ok"] and row["archive_path"]:
                self.latest[row["url"]] = row

    def fetch(self, ctx: Context, url: str, *, purpose: str, referer: str | None, expect: str) -> Document | None:
        row = self.latest.get(url)
        if row is None:
            log.warning("%s: %s is not in the archive; skipped in replay", ctx.source.name, url)
            return None
        body, headers = archive.load(self.root, row["archive_path"])
        return Document(url, body, row["payload_digest"], headers, row["started_at"], row["event_id"],
                        detect_type(body))


@dataclass
class Context:
    """Everything a source's `crawl` needs: config, fetching, and record emission."""

    source: Source
    run_key: str
    root: Path
    transport: Transport
    fetch_events: list[events.FetchEvent] = field(default_factory=list)
    record_events: list[events.RecordEvent] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    _sequences: Counter = field(default_factory=Counter)

    @property
    def config(self) -> dict[str, Any]:
        return self.source.config

    def next_sequence(self, url: str) -> int:
        self._sequences[url] += 1
        return self._sequences[url]

    def add_fetch_event(self, event: events.FetchEvent) -> None:
        self.fetch_events.append(event)
        self.stats["requests"] += 1
        self.stats["fetch_failures" if not event.ok else "fetch_ok"] += 1

    def fetch(self, url: str, *, purpose: str, referer: str | None = None, expect: str = "html") -> Document | None:
        """Fetch a document; failures are recorded as fetch events and give None."""
        return self.transport.fetch(self, url, purpose=purpose, referer=referer, expect=expect)

    def emit(
        self,
        record_type: str,
        key: str,
        payload: dict[str, Any],
        *,
        document: Document,
        parser: str,
        parser_version: str,
        published_at: date | None = None,
        published_precision: str | None = None,
    ) -> events.RecordEvent:
        """Append one record event (deduplicated by its content-derived id on flush)."""
        event = events.RecordEvent(
            source=self.source.name, record_type=record_type, record_key=key, payload=payload,
            document_url=document.url, document_digest=document.digest, observed_at=document.observed_at,
            parser=parser, parser_version=parser_version, published_at=published_at,
            published_precision=published_precision if published_at else None,
            fetch_event_id=document.fetch_event_id, run_key=self.run_key,
        )
        self.record_events.append(event)
        self.stats[f"records:{record_type}"] += 1
        return event

    def fail(self, document: Document, error: str, *, parser: str, parser_version: str, **details: Any) -> None:
        """Record that a fetched document could not be parsed (it stays in the archive for replay)."""
        log.error("%s: cannot parse %s: %s", self.source.name, document.url, error)
        payload = {"error": error, "detected_type": document.detected_type, "parser": parser, **details}
        self.emit("parse_failure", document.url, payload, document=document, parser=parser,
                  parser_version=parser_version)

    def flush(self) -> dict[str, int]:
        """Write buffered events as new segments; returns how many events were new."""
        written = {"fetch": 0, "records": 0}
        for kind, buffer in (("fetch", self.fetch_events), ("records", self.record_events)):
            _, written[kind] = events.write_segment(self.root, kind, self.source.name, [e.row() for e in buffer])
            buffer.clear()
        self.stats["new_fetch_events"] += written["fetch"]
        self.stats["new_record_events"] += written["records"]
        return written
