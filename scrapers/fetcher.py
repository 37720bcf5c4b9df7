"""HTTP for every source: one session, timeouts, a clear User-Agent, the mirror mapping."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from . import settings

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_BODY_BYTES = 100 * 1024 * 1024


def mirror_url(url: str, origin: str | None) -> str:
    """Map `https://HOST/PATH?QUERY` to `ORIGIN/HOST/PATH?QUERY` (the REGTRAIL_MIRROR contract)."""
    if not origin:
        return url
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{origin}/{parts.netloc}{path}{query}"


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


class HostThrottle:
    """At most `rate` requests per second to each host."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._last: dict[str, float] = {}

    def wait(self, host: str) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        delay = self._last.get(host, 0.0) + self.interval - now
        if delay > 0:
            time.sleep(delay)
        self._last[host] = time.monotonic()


class Fetcher:
    """A shared `requests.Session` that honours REGTRAIL_MIRROR and a per-host rate limit."""

    def __init__(self, *, rate_limit: float = 1.0, mirror: str | None = None) -> None:
        self.mirror = mirror if mirror is not None else settings.mirror_origin()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": settings.USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        self.throttle = HostThrottle(0.0 if self.mirror else rate_limit)

    def get(self, url: str, *, referer: str | None = None) -> RawResponse:
        """One GET attempt; network errors become a RawResponse with `error_kind` set."""
        target = mirror_url(url, self.mirror)
        headers = {"Referer": referer} if referer else {}
        self.throttle.wait(urlsplit(url).netloc)
        started = time.monotonic()
        try:
            with self.session.get(
                target, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True
            ) as response:
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body.extend(chunk)
                    if len(body) > MAX_BODY_BYTES:
                        raise _TooLarge(f"body larger than {MAX_BODY_BYTES} bytes, download aborted")
                return RawResponse(
                    status=response.status_code,
                    reason=response.reason or "",
                    headers=dict(response.headers),
                    body=bytes(body),
                    fetched_url=target,
                    request_headers=dict(response.request.headers),
                    elapsed_ms=(time.monotonic() - started) * 1000,
                )
        except _TooLarge as exc:
            kind, message = "too_large", str(exc)
        except requests.Timeout as exc:
            kind, message = "timeout", f"timed out: {exc}"
        except requests.ConnectionError as exc:
            kind, message = "connection", f"connection failed: {exc}"
        except requests.RequestException as exc:
            kind, message = "request", str(exc)
        return RawResponse(
            status=None, reason="", headers={}, body=b"", fetched_url=target,
            request_headers={**self.session.headers, **headers}, elapsed_ms=(time.monotonic() - started) * 1000,
            error_kind=kind, error=message,
        )


class _TooLarge(Exception):
    pass
