"""HTTP for every source: one session, timeouts and a wall-clock deadline per request, a clear User-Agent,
the mirror mapping, a per-host rate limit, size limits, and redirects followed by hand so that every hop is
checked and connected to the address the policy checked (regtrail.fetch.connection)."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from regtrail import settings
from regtrail.fetch.connection import Deadline, GuardedAdapter
from regtrail.fetch.policy import REFUSED, Resolver, UrlPolicy, allowed_private_hosts

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


def mirror_url(url: str, origin: str | None) -> str:
    """Map `https://HOST/PATH?QUERY` to `ORIGIN/HOST/PATH?QUERY` (the REGTRAIL_MIRROR contract)."""
    if not origin:
        return url
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{origin}/{parts.netloc}{path}{query}"


def canonical_url(fetched: str, origin: str | None) -> str:
    """The inverse of `mirror_url`: a URL on the mirror back to `https://HOST/PATH?QUERY`."""
    if origin and fetched.startswith(origin + "/"):
        rest = fetched[len(origin) + 1:]
        return f"https://{rest}" if "/" in rest else f"https://{rest}/"
    return fetched


def mirror_rate_limit() -> float:
    """Requests per second per host in mirror mode (`REGTRAIL_MIRROR_RATE_LIMIT`; default 0 = unlimited)."""
    return settings.ENV.mirror_rate_limit


def max_body_bytes() -> int:
    """Largest body accepted (`REGTRAIL_MAX_BODY_BYTES`, default 100 MiB); larger downloads are aborted."""
    return settings.ENV.max_body_bytes


@dataclass
class RawResponse:
    """What came back from one HTTP attempt (or the error that prevented it)."""

    status: int | None
    reason: str
    headers: dict[str, str]
    body: bytes
    fetched_url: str
    request_headers: dict[str, str]
    elapsed_ms: float
    error_kind: str | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    sent_at: datetime | None = None  # when the first request went out (after any rate-limit wait)
    deadline_expired: bool = False  # cut by the request's deadline (REGTRAIL_FETCH_DEADLINE)


class HostThrottle:
    """At most `rate` requests per second to each host (0 = unlimited); a host may ask for more spacing."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._last: dict[str, float] = {}
        self._host_interval: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def slow_down(self, host: str, interval: float) -> None:
        """Space requests to `host` by at least `interval` seconds (robots.txt Crawl-delay)."""
        if self.enabled and interval > self.interval:
            self._host_interval[host] = interval

    def wait(self, host: str) -> None:
        interval = self._host_interval.get(host, self.interval)
        if not interval:
            return
        delay = self._last.get(host, float("-inf")) + interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last[host] = time.monotonic()


class Fetcher:
    """A shared `requests.Session` that honours REGTRAIL_MIRROR, a per-host rate limit and size limits.

    `mirror=None` reads REGTRAIL_MIRROR; `mirror=""` forces production mode. In mirror mode the
    rate limit is `REGTRAIL_MIRROR_RATE_LIMIT` (default unlimited) unless `mirror_rate_limit` is given.
    `deadline` (default `REGTRAIL_FETCH_DEADLINE`) bounds each `get`, redirects included, in wall-clock seconds.
    Outside mirror mode every connection goes to the address `resolver` checked for the host (pinned).
    """

    def __init__(
        self,
        *,
        rate_limit: float = 1.0,
        mirror: str | None = None,
        mirror_rate: float | None = None,
        max_body: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        deadline: float | None = None,
    ) -> None:
        self.mirror = (mirror if mirror is not None else settings.mirror_origin()) or None
        self.session = requests.Session()
        self.resolver = None if self.mirror else Resolver()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, GuardedAdapter(self.resolver))
        self.session.headers.update({"User-Agent": settings.USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        rate = (mirror_rate if mirror_rate is not None else mirror_rate_limit()) if self.mirror else rate_limit
        self.throttle = HostThrottle(rate)
        self.max_body = max_body if max_body is not None else max_body_bytes()
        self.timeouts = (connect_timeout, read_timeout)
        self.deadline = deadline if deadline is not None else settings.fetch_deadline()

    def get(
        self,
        url: str,
        *,
        referer: str | None = None,
        headers: dict[str, str] | None = None,
        policy: UrlPolicy | None = None,
    ) -> RawResponse:
        """One GET attempt, redirects included; network errors become a RawResponse with `error_kind` set.

        `policy` (default: any host, no non-public address outside mirror mode) is checked for the URL and
        for every redirect hop before it is requested.
        """
        policy = policy or UrlPolicy(mirror=bool(self.mirror), private_ok=allowed_private_hosts(),
                                     resolver=self.resolver)
        sent = {**({"Referer": referer} if referer else {}), **(headers or {})}
        started, sent_at = time.monotonic(), None
        current, hops = url, []
        target = mirror_url(current, self.mirror)
        status, reason, response_headers, request_headers = None, "", {}, {**self.session.headers, **sent}
        deadline = Deadline(self.deadline)
        try:
            refusal = policy.refusal(url)
            if refusal:
                raise _Refused(REFUSED, f"{url} not requested: {refusal}")
            while True:
                self.throttle.wait(urlsplit(current).netloc)
                if sent_at is None:
                    started, sent_at = time.monotonic(), datetime.now(UTC)
                    deadline.start()
                target = mirror_url(current, self.mirror)
                status, reason, response_headers = None, "", {}
                timeouts = tuple(min(t, max(deadline.remaining(), 0.01)) for t in self.timeouts)
                response = self.session.get(target, headers=sent, timeout=timeouts, stream=True,
                                            allow_redirects=False)
                with response:
                    status, reason = response.status_code, response.reason or ""
                    response_headers, request_headers = dict(response.headers), dict(response.request.headers)
                    location = response.headers.get("Location")
                    if response.status_code not in REDIRECT_STATUSES or not location:
                        body = self._read(response, deadline)
                        return RawResponse(
                            status=status, reason=reason, headers=response_headers, body=body, fetched_url=target,
                            request_headers=request_headers, elapsed_ms=(time.monotonic() - started) * 1000,
                            redirects=hops, sent_at=sent_at,
                        )
                nxt = canonical_url(urljoin(target, location), self.mirror)
                hops.append(nxt)
                refusal = policy.refusal(nxt)
                if refusal:
                    raise _Refused("redirect_blocked", f"redirect from {current} to {nxt} refused: {refusal}")
                if len(hops) > MAX_REDIRECTS:
                    raise _Refused("redirect_loop", f"more than {MAX_REDIRECTS} redirects: {' -> '.join(hops)}")
                current = nxt
        except _Refused as exc:
            kind, message = exc.kind, exc.message
        except NETWORK_ERRORS as exc:
            kind, message = _failure(exc)
        finally:
            deadline.close()
        if deadline.expired:
            kind, message = "timeout", (f"no complete response within the deadline of {self.deadline:g} s "
                                        "(REGTRAIL_FETCH_DEADLINE); connection closed")
        return RawResponse(
            status=status, reason=reason, headers=response_headers, body=b"", fetched_url=target,
            request_headers=request_headers, elapsed_ms=(time.monotonic() - started) * 1000,
            error_kind=kind, error=message, redirects=hops, sent_at=sent_at, deadline_expired=deadline.expired,
        )

    def _read(self, response: requests.Response, deadline: Deadline) -> bytes:
        """The body, streamed; aborted when larger than the limit (the deadline's watchdog cuts a slow one)."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise _Refused("too_large", f"Content-Length {declared} exceeds the limit of {self.max_body} bytes; "
                                        "not downloaded")
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body.extend(chunk)
            if len(body) > self.max_body:
                raise _Refused("too_large", f"body larger than {self.max_body} bytes, download aborted")
        if deadline.expired:
            raise _Refused("timeout", "deadline passed while reading the body")
        return bytes(body)


NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
"""What a request can raise once the network misbehaves (or the deadline's watchdog closed the socket)."""


def _failure(exc: BaseException) -> tuple[str, str]:
    """(error_kind, error) of an exception raised while fetching."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "truncated", f"body cut short: {exc}"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "decoding", f"cannot decode the body: {exc}"
    if isinstance(exc, requests.Timeout):
        return "timeout", f"timed out: {exc}"
    if isinstance(exc, requests.ConnectionError):
        return "connection", f"connection failed: {exc}"
    if isinstance(exc, requests.RequestException):
        return "request", str(exc)
    return "connection", f"connection failed: {type(exc).__name__}: {exc}"


class _Refused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
