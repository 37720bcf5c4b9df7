"""robots.txt: fetched once per host per run, parsed with Protego, failures handled as RFC 9309 says.

- 2xx: the rules apply (Protego; `Crawl-delay` / `Request-rate` widen the per-host spacing).
- 4xx ("unavailable"): no rules, everything may be fetched.
- 5xx or no response ("unreachable"): nothing on that host is fetched in this run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

ROBOTS_TOKEN = "regtrail"


@dataclass
class RobotsAnswer:
    """Outcome of fetching one robots.txt: `text` for rules, `missing` for 4xx, else `unreachable`."""

    text: str | None = None
    missing: bool = False
    unreachable: str | None = None


@dataclass
class _HostRules:
    parser: Protego | None
    unreachable: str | None = None


def robots_url(url: str) -> str:
    """`scheme://host/robots.txt` of a URL."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


class RobotsCache:
    """The robots.txt rules of every host seen in a run; `fetch` gets a robots.txt URL's answer."""

    def __init__(self, fetch: Callable[[str], RobotsAnswer], token: str = ROBOTS_TOKEN) -> None:
        self._fetch = fetch
        self.token = token
        self._hosts: dict[str, _HostRules] = {}

    def _rules(self, url: str) -> _HostRules:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            answer = self._fetch(robots_url(url))
            if answer.unreachable is not None:
                self._hosts[host] = _HostRules(None, answer.unreachable)
            elif answer.missing or not answer.text:
                self._hosts[host] = _HostRules(None)
            else:
                self._hosts[host] = _HostRules(Protego.parse(answer.text))
        return self._hosts[host]

    def refusal(self, url: str) -> tuple[str, str] | None:
        """(error_kind, message) when `url` must not be fetched, else None."""
        if urlsplit(url).path == "/robots.txt":
            return None
        rules = self._rules(url)
        if rules.unreachable is not None:
            return "robots_unreachable", f"robots.txt of {urlsplit(url).netloc} unreachable ({rules.unreachable}); " \
                                         "nothing on the host is fetched this run"
        if rules.parser is not None and not rules.parser.can_fetch(url, self.token):
            return "robots_disallowed", f"robots.txt of {urlsplit(url).netloc} disallows {url} for {self.token}"
        return None

    def delay(self, url: str) -> float:
        """Seconds between requests that the host's robots.txt asks for (0 when none)."""
        rules = self._rules(url)
        if rules.parser is None:
            return 0.0
        delay = rules.parser.crawl_delay(self.token) or 0.0
        rate = rules.parser.request_rate(self.token)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return float(delay)
