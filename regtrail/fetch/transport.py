"""Transports: how a context gets documents. They fetch and report; they record nothing.

`LiveTransport` fetches over HTTP (or the mirror): the URL policy, robots.txt, conditional GET and bounded
retries. `ArchiveTransport` serves the latest accepted fetch of each URL from the WARC archive (replay, no
network). Both return a `FetchResult`: every attempt (status, timing, headers, body, error) and any
fetch made first (robots.txt); the context archives the bodies, writes the fetch events and builds the
`Document` it hands to the source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from regtrail import settings
from regtrail.fetch.document import Document, header
from regtrail.fetch.fetcher import Fetcher, RawResponse
from regtrail.fetch.policy import REFUSED, UrlPolicy, allowed_private_hosts
from regtrail.fetch.retry import retry_after_seconds
from regtrail.fetch.robots import RobotsAnswer, RobotsCache
from regtrail.fetch.sniff import MAX_UNZIPPED_BYTES, check_zip, decode_html, detect_type, looks_like_waf_challenge
from regtrail.log import archive, events

log = logging.getLogger("regtrail")

RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
RETRY_KINDS = {"connection", "timeout", "truncated", "waf_challenge"}
"""Failures retried within the run (with the statuses above), with backoff and Retry-After, bounded by `attempts`.
A request cut by its deadline (REGTRAIL_FETCH_DEADLINE) is not retried in the run: the next run tries again."""


@dataclass
class FetchRequest:
    """What the context asks for; `prior` is the latest accepted fetch of the URL (for a conditional GET)."""

    url: str
    purpose: str
    referer: str | None = None
    expect: str = "html"
    prior: dict[str, Any] | None = None
    allowed_hosts: frozenset[str] = frozenset()  # empty: any host (see regtrail.fetch.policy)


@dataclass
class Attempt:
    """One request (or one refused before it was sent) and its outcome, as the transport saw it."""

    attempt: int
    started_at: datetime
    elapsed_ms: float
    fetched_url: str
    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error_kind: str | None = None
    error: str | None = None
    detected_type: str = "empty"
    not_modified: bool = False  # a 304 answering the conditional request: the body is the prior one
    sent: bool = True

    @property
    def ok(self) -> bool:
        return self.error_kind is None or self.not_modified


@dataclass
class FetchResult:
    """Everything a transport did for one request: the fetches made first (robots.txt) and the attempts."""

    request: FetchRequest
    attempts: list[Attempt] = field(default_factory=list)
    before: list[FetchResult] = field(default_factory=list)
    document: Document | None = None  # set by a transport that serves documents already on record (replay)

    @property
    def accepted(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts and self.attempts[-1].ok else None


class Transport(Protocol):
    def fetch(self, request: FetchRequest) -> FetchResult:
        ...


Verdict = tuple[str | None, str | None, str]


def accept(raw: RawResponse, expect: str, max_unzipped: int = MAX_UNZIPPED_BYTES, referer: str | None = None
           ) -> Verdict:
    """Check a response against what the caller expects: (error_kind, error, detected_type)."""
    detected = detect_type(raw.body)
    if raw.error_kind:
        return raw.error_kind, raw.error, detected
    if expect == "robots" and raw.status is not None and 400 <= raw.status < 500 and raw.status != 429:
        return None, None, detected  # RFC 9309 "unavailable": no rules
    if raw.status != 200:
        return "http_status", f"HTTP {raw.status} {raw.reason}".strip(), detected
    declared = header(raw.headers, "content-length")
    if declared and declared.isdigit() and header(raw.headers, "content-encoding") is None:
        if int(declared) != len(raw.body):
            return "truncated", f"Content-Length {declared} but {len(raw.body)} bytes received", detected
    content_type = header(raw.headers, "content-type")
    if detected == "html" and looks_like_waf_challenge(decode_html(raw.body[:65536], content_type)):
        return "waf_challenge", "web-application-firewall challenge page (HTTP 200) instead of content", detected
    if expect == "robots":
        return None, None, detected
    if detected == "empty":
        sent = f"with Referer {referer}" if referer else "without a Referer"
        return "empty_body", f"HTTP 200 with an empty body ({len(raw.body)} bytes; requested {sent})", detected
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
    """Fetch over HTTP (or the mirror): URL policy, robots.txt, conditional GET, bounded retries."""

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
            settings.ENV.max_unzipped_bytes)
        self.obey_robots = obey_robots
        self._robots: RobotsCache | None = None
        self._before: list[FetchResult] = []
        self._policy = UrlPolicy(mirror=self.mirror, resolver=fetcher.resolver)
        self.on_before: Callable[[FetchResult], None] | None = None
        """Called with each fetch made first (robots.txt) as soon as it is done, instead of returning it in
        `FetchResult.before`: the context records it before the request it precedes can hang or be killed."""

    @property
    def mirror(self) -> bool:
        return bool(self.fetcher.mirror)

    def fetch(self, request: FetchRequest) -> FetchResult:
        self._before = []
        result = self._fetch(request)
        result.before, self._before = self._before, []
        return result

    def _fetch(self, request: FetchRequest) -> FetchResult:
        url, result = request.url, FetchResult(request)
        self._policy = UrlPolicy(request.allowed_hosts, self.mirror, allowed_private_hosts(), self.fetcher.resolver)
        refusal = self._policy.refusal(url)
        if refusal is not None:
            return self._refused(result, REFUSED, f"{url} not requested: {refusal}")
        if self.obey_robots and request.purpose != "robots":
            robots = self._robots_cache()
            refused = robots.refusal(url)
            if refused is not None:
                return self._refused(result, *refused)
            self.fetcher.throttle.slow_down(urlsplit(url).netloc, robots.delay(url))
        conditional = {}
        if request.prior is not None:
            if request.prior.get("etag"):
                conditional["If-None-Match"] = request.prior["etag"]
            if request.prior.get("last_modified"):
                conditional["If-Modified-Since"] = request.prior["last_modified"]
        for number in range(1, self.attempts + 1):
            raw = self.fetcher.get(url, referer=request.referer, headers=conditional, policy=self._policy)
            attempt = Attempt(
                attempt=number, started_at=raw.sent_at or events.utcnow(), elapsed_ms=raw.elapsed_ms,
                fetched_url=raw.fetched_url, status=raw.status, reason=raw.reason, headers=raw.headers,
                request_headers=raw.request_headers, body=raw.body, sent=raw.sent_at is not None,
            )
            result.attempts.append(attempt)
            if raw.status == 304 and request.prior is not None and not raw.error_kind:
                attempt.not_modified = True
                attempt.error_kind, attempt.error = "not_modified", "304 Not Modified; body served from the archive"
                return result
            attempt.error_kind, attempt.error, attempt.detected_type = accept(
                raw, request.expect, self.max_unzipped, request.referer)
            if attempt.ok:
                return result
            delay = self._retry_delay(raw, number, attempt.error_kind)
            log.warning("%s: %s (attempt %d/%d)", url, attempt.error, number, self.attempts)
            if delay is None or number == self.attempts:
                return result
            time.sleep(delay)
        return result

    def _retry_delay(self, raw: RawResponse, attempt: int, error_kind: str | None) -> float | None:
        """Seconds to wait before the next attempt, or None when this failure is not retried now."""
        if raw.deadline_expired or (error_kind not in RETRY_KINDS and raw.status not in RETRY_STATUSES):
            return None
        delay = self.backoff * 2 ** (attempt - 1)
        asked = retry_after_seconds(header(raw.headers, "retry-after"))
        if asked is not None:
            if asked > self.max_retry_after:
                return None  # the server asks for a longer pause than a run waits: the next run retries
            delay = max(delay, asked)
        return delay

    @staticmethod
    def _refused(result: FetchResult, kind: str, message: str) -> FetchResult:
        """A result for a request that was not sent."""
        log.warning("%s: %s", result.request.url, message)
        result.attempts.append(Attempt(attempt=1, started_at=events.utcnow(), elapsed_ms=0.0,
                                       fetched_url=result.request.url, error_kind=kind, error=message, sent=False))
        return result

    def _robots_cache(self) -> RobotsCache:
        if self._robots is None:
            self._robots = RobotsCache(self._fetch_robots)
        return self._robots

    def _fetch_robots(self, robots_url: str) -> RobotsAnswer:
        request = FetchRequest(robots_url, "robots", expect="robots", allowed_hosts=self._policy.allowed_hosts)
        result = self._fetch(request)
        if self.on_before is not None:
            self.on_before(result)
        else:
            self._before.append(result)
        accepted = result.accepted
        if accepted is None:
            return RobotsAnswer(unreachable="no usable answer; see the robots fetch events")
        if accepted.status and accepted.status >= 400:
            return RobotsAnswer(missing=True)
        return RobotsAnswer(text=decode_html(accepted.body, header(accepted.headers, "content-type")))


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
        self.source = source
        self.latest = latest_accepted(root, source)

    def fetch(self, request: FetchRequest) -> FetchResult:
        result = FetchResult(request)
        row = self.latest.get(request.url)
        if row is None:
            log.warning("%s: %s is not in the archive; skipped in replay", self.source, request.url)
            return result
        body, headers = archive.load(self.root, row["archive_path"])
        result.document = Document(request.url, body, row["payload_digest"], headers, row["started_at"],
                                   row["event_id"], detect_type(body))
        return result
