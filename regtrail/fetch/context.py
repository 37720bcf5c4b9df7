"""The crawl context: what a source's `crawl(context)` uses to fetch and to emit records.

The context owns HTTP, retries, archiving, ids and timestamps; sources only say what to
fetch and what they found. Two transports implement fetching: `LiveTransport` (the network
or the mirror) and `ArchiveTransport` (the WARC archive, for replay without network).

Events are buffered and written as segments at document boundaries (before a fetch, at most
every `flush_seconds`) and at the end, so a killed crawl keeps what it finished. Record events
of a document already in the log are appended only when the document's output changed (see
`RecordLog`), so replaying with a new parser version adds nothing when the output is identical.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from regtrail.fetch.fetcher import Fetcher, RawResponse, env_float
from regtrail.fetch.retry import retry_after_seconds
from regtrail.fetch.robots import RobotsAnswer, RobotsCache
from regtrail.fetch.sniff import MAX_UNZIPPED_BYTES, check_zip, decode_html, detect_type, looks_like_waf_challenge
from regtrail.log import archive, events
from regtrail.log.digest import sha256
from regtrail.log.recordlog import RecordLog
from regtrail.sources import Source

log = logging.getLogger("regtrail")

RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
RETRY_KINDS = {"connection", "timeout", "truncated"}
FLUSH_SECONDS = 30.0


def flush_seconds() -> float:
    """How often buffered events are written during a crawl (`REGTRAIL_FLUSH_SECONDS`, default 30)."""
    return env_float("REGTRAIL_FLUSH_SECONDS", FLUSH_SECONDS)


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
    status: int | None = 200

    def text(self) -> str:
        """The body decoded as HTML text."""
        content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)
        return decode_html(self.body, content_type)


class Transport(Protocol):
    def fetch(self, ctx: Context, url: str, *, purpose: str, referer: str | None, expect: str) -> Document | None:
        ...


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


Verdict = tuple[str | None, str | None, str]


def _accept(raw: RawResponse, expect: str, max_unzipped: int = MAX_UNZIPPED_BYTES) -> Verdict:
    """Check a response against what the caller expects: (error_kind, error, detected_type)."""
    detected = detect_type(raw.body)
    if raw.error_kind:
        return raw.error_kind, raw.error, detected
    if expect == "robots" and raw.status is not None and 400 <= raw.status < 500 and raw.status != 429:
        return None, None, detected  # RFC 9309 "unavailable": no rules
    if raw.status != 200:
        return "http_status", f"HTTP {raw.status} {raw.reason}".strip(), detected
    declared = _header(raw.headers, "content-length")
    if declared and declared.isdigit() and _header(raw.headers, "content-encoding") is None:
        if int(declared) != len(raw.body):
            return "truncated", f"Content-Length {declared} but {len(raw.body)} bytes received", detected
    if expect == "robots":
        return None, None, detected
    if detected == "empty":
        return "empty_body", "empty body (a download without the notice page as Referer answers this way)", detected
    content_type = _header(raw.headers, "content-type")
    if detected == "html" and looks_like_waf_challenge(decode_html(raw.body[:65536], content_type)):
        return "waf_challenge", "web-application-firewall challenge page instead of content", detected
    if expect == "html" and detected not in {"html", "unknown"}:
        return "not_html", f"expected an HTML page, got {detected}", detected
    if expect == "document" and detected == "html":
        return "not_a_document", "expected a document (DOCX/PDF), got an HTML page", detected
    if detected in {"docx", "xlsx", "zip"}:
        problem = check_zip(raw.body, max_unzipped)
        if problem:
            return problem[0], problem[1], detected
    return None, None, detected


class LiveTransport:
    """Fetch over HTTP (or the mirror): robots.txt, conditional GET, bounded retries, archive every body."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        attempts: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 120.0,
        obey_robots: bool = True,
        max_unzipped: int | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.attempts = attempts
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_unzipped = max_unzipped if max_unzipped is not None else int(
            env_float("REGTRAIL_MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES))
        self.obey_robots = obey_robots
        self._robots: RobotsCache | None = None

    def fetch(self, ctx: Context, url: str, *, purpose: str, referer: str | None, expect: str) -> Document | None:
        sequence = ctx.next_sequence(url)
        if self.obey_robots and purpose != "robots":
            refusal = self._robots_cache(ctx).refusal(url)
            if refusal is not None:
                self._refuse(ctx, url, purpose, referer, sequence, *refusal)
                return None
            self.fetcher.throttle.slow_down(_host(url), self._robots_cache(ctx).delay(url))
        prior = ctx.latest_accepted(url) if purpose != "robots" else None
        conditional = {}
        if prior is not None:
            if prior.get("etag"):
                conditional["If-None-Match"] = prior["etag"]
            if prior.get("last_modified"):
                conditional["If-Modified-Since"] = prior["last_modified"]
        allowed = ctx.config.get("allowed_hosts") or None
        for attempt in range(1, self.attempts + 1):
            raw = self.fetcher.get(url, referer=referer, headers=conditional, allowed_hosts=allowed)
            started_at = raw.sent_at or events.utcnow()
            ctx.stats["bytes_downloaded"] += len(raw.body)
            base = dict(source=ctx.source.name, run_key=ctx.run_key, url=url, fetched_url=raw.fetched_url,
                        purpose=purpose, attempt=attempt, started_at=started_at, elapsed_ms=raw.elapsed_ms,
                        referer=referer, status=raw.status, content_type=_header(raw.headers, "content-type"),
                        etag=_header(raw.headers, "etag"), last_modified=_header(raw.headers, "last-modified"),
                        sequence=sequence)
            if raw.status == 304 and prior is not None and not raw.error_kind:
                return self._not_modified(ctx, url, prior, base)
            error_kind, error, detected = _accept(raw, expect, self.max_unzipped)
            digest = sha256(raw.body) if raw.body else None
            relpath = None
            if raw.body:
                relpath = archive.store(
                    ctx.root, ctx.source.name, url=url, digest=digest, body=raw.body, status=raw.status or 0,
                    reason=raw.reason, headers=raw.headers, request_headers=raw.request_headers,
                )
            ok = error_kind is None
            if ok and prior is not None and digest == prior["payload_digest"]:
                error_kind, error = "unchanged", "same payload digest as the previous accepted fetch"
                ctx.stats["unchanged"] += 1
            event = events.FetchEvent(
                **base, ok=ok, error_kind=error_kind, error=error, payload_digest=digest,
                payload_size=len(raw.body) if raw.body or raw.status else None, archive_path=relpath,
            )
            ctx.add_fetch_event(event)
            if ok:
                return Document(url, raw.body, digest or sha256(b""), raw.headers, started_at, event.event_id,
                                detected, raw.status)
            delay = self._retry_delay(raw, attempt, error_kind)
            log.warning("%s %s: %s (attempt %d/%d)", ctx.source.name, url, error, attempt, self.attempts)
            if delay is None or attempt == self.attempts:
                return None
            time.sleep(delay)
        return None

    def _retry_delay(self, raw: RawResponse, attempt: int, error_kind: str | None) -> float | None:
        """Seconds to wait before the next attempt, or None when this failure is not retried now."""
        if error_kind not in RETRY_KINDS and raw.status not in RETRY_STATUSES:
            return None
        delay = self.backoff * 2 ** (attempt - 1)
        asked = retry_after_seconds(_header(raw.headers, "retry-after"))
        if asked is not None:
            if asked > self.max_retry_after:
                return None  # the server asks for a longer pause than a run waits: the next run retries
            delay = max(delay, asked)
        return delay

    def _not_modified(self, ctx: Context, url: str, prior: dict[str, Any], base: dict[str, Any]) -> Document:
        """A 304: the body is the archived copy of the previous accepted fetch."""
        body, headers = archive.load(ctx.root, prior["archive_path"])
        base["etag"] = base["etag"] or prior.get("etag")
        base["last_modified"] = base["last_modified"] or prior.get("last_modified")
        base["content_type"] = base["content_type"] or prior.get("content_type")
        event = events.FetchEvent(
            **base, ok=True, error_kind="not_modified", error="304 Not Modified; body served from the archive",
            payload_digest=prior["payload_digest"], payload_size=prior["payload_size"],
            archive_path=prior["archive_path"],
        )
        ctx.add_fetch_event(event)
        ctx.stats["not_modified"] += 1
        return Document(url, body, prior["payload_digest"], headers, base["started_at"], event.event_id,
                        detect_type(body), 304)

    def _refuse(self, ctx: Context, url: str, purpose: str, referer: str | None, sequence: int, kind: str,
                message: str) -> None:
        """A fetch event for a request that was not sent."""
        log.warning("%s %s: %s", ctx.source.name, url, message)
        ctx.add_fetch_event(events.FetchEvent(
            source=ctx.source.name, run_key=ctx.run_key, url=url, fetched_url=url, purpose=purpose, attempt=1,
            started_at=events.utcnow(), elapsed_ms=0.0, referer=referer, ok=False, error_kind=kind, error=message,
            sequence=sequence,
        ))

    def _robots_cache(self, ctx: Context) -> RobotsCache:
        if self._robots is None:
            self._robots = RobotsCache(lambda robots_url: self._fetch_robots(ctx, robots_url))
        return self._robots

    def _fetch_robots(self, ctx: Context, robots_url: str) -> RobotsAnswer:
        document = self.fetch(ctx, robots_url, purpose="robots", referer=None, expect="robots")
        if document is None:
            return RobotsAnswer(unreachable="no usable answer; see the robots fetch events")
        if document.status and document.status >= 400:
            return RobotsAnswer(missing=True)
        return RobotsAnswer(text=decode_html(document.body, _header(document.headers, "content-type")))


def _host(url: str) -> str:
    return urlsplit(url).netloc


def latest_accepted(root: events.Root, source: str) -> dict[str, dict[str, Any]]:
    """The latest accepted fetch with an archived body, per URL, from the fetch-event log."""
    table = events.read_events(root, "fetch", source).to_pylist()
    latest: dict[str, dict[str, Any]] = {}
    for row in sorted(table, key=lambda r: (r["started_at"], r["attempt"])):
        if row["ok"] and row["archive_path"] and row["payload_digest"] and row["purpose"] != "robots":
            latest[row["url"]] = row
    return latest


class ArchiveTransport:
    """Serve documents from the archive: the latest accepted fetch of each URL. No network."""

    def __init__(self, root: events.Root, source: str) -> None:
        self.root = root
        self.latest = latest_accepted(root, source)

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
    """Everything a source's `crawl` needs: config, fetching, and record emission.

    `root` is the log root holding `events/` and `archive/`: a local path or an fsspec URL.
    """

    source: Source
    run_key: str
    root: events.Root
    transport: Transport
    fetch_events: list[events.FetchEvent] = field(default_factory=list)
    record_events: list[events.RecordEvent] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    flush_seconds: float = field(default_factory=flush_seconds)
    _sequences: Counter = field(default_factory=Counter)
    _latest: dict[str, dict[str, Any]] | None = None
    _records: RecordLog | None = None
    _last_flush: float = field(default_factory=time.monotonic)

    @property
    def config(self) -> dict[str, Any]:
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
        """Fetch a document; failures are recorded as fetch events and give None."""
        if self.flush_seconds >= 0 and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()
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


_NOT_SENT = {"robots_disallowed", "robots_unreachable"}
