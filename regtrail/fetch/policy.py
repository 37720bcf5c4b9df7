"""The URL policy: which URLs a crawl may request. Applied to every request (seeds, links, attachments,
robots.txt) before it is sent and to every redirect hop.

- the scheme is http or https;
- the host is one of the source's allowed hosts (`allowed_hosts` in its YAML, else the hosts of the URLs its
  YAML names; a source naming none may fetch any host);
- the path cannot climb out of where it points: no `.`/`..` segments (also percent-encoded), no encoded
  slash or backslash, no empty segment, so in mirror mode `$REGTRAIL_MIRROR/HOST/PATH` stays under `/HOST/`;
- outside mirror mode the host does not resolve to a loopback, private, link-local, reserved or cloud-metadata
  address, unless `REGTRAIL_ALLOW_PRIVATE_HOSTS` (comma-separated `host` or `host:port`) lists it.

A refused URL is never requested: the context records a failed fetch event with `error_kind`
`refused_by_policy` and the reason.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from regtrail import settings

REFUSED = "refused_by_policy"
_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.I)


def allowed_private_hosts() -> frozenset[str]:
    """`REGTRAIL_ALLOW_PRIVATE_HOSTS`: hosts (or host:port) fetched although their address is not public."""
    return frozenset(h.lower() for h in settings.ENV.allow_private_hosts)


def source_hosts(config: Any) -> frozenset[str]:
    """The hosts a source may fetch: its `allowed_hosts`, else the hosts of every URL its configuration names.

    `config` is a source's validated config (anything with `model_dump`) or its plain mapping.
    """
    if hasattr(config, "model_dump"):
        config = config.model_dump()
    declared = config.get("allowed_hosts")
    if declared:
        return frozenset(str(h).lower() for h in declared)
    return frozenset(host for url in _urls(config) if (host := (urlsplit(url).hostname or "").lower()))


def _urls(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if _URL.match(value):
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "host" and isinstance(item, str):
                yield f"https://{item}/"
            else:
                yield from _urls(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _urls(item)


def blocked_address(host: str) -> str | None:
    """Why `host` must not be fetched (loopback, private, link-local, reserved, metadata), or None."""
    name = host.lower().strip("[]")
    if name in {"localhost", "localhost.localdomain"} or name.endswith(".localhost"):
        return f"{host} is a loopback name"
    try:
        addresses = [ipaddress.ip_address(name)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(name, None)
        except OSError:
            return None  # unresolvable: the request itself fails as a connection error
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not address.is_global:
            return f"{host} resolves to the non-public address {address}"
    return None


def path_problem(path: str) -> str | None:
    """Why a URL path could climb out of its place (dot segments, encoded separators, empty segments), or None."""
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered or "\\" in path:
        return "an encoded slash or a backslash in the path"
    segments = unquote(path).split("/")[1:]
    if any(s in {".", ".."} for s in segments):
        return "a '.' or '..' segment in the path"
    if any(s == "" for s in segments[:-1]):
        return "an empty segment ('//') in the path"
    return None


@dataclass(frozen=True)
class UrlPolicy:
    """What one crawl may request. `allowed_hosts` empty: any host; `mirror`: requests go to the mirror."""

    allowed_hosts: frozenset[str] = frozenset()
    mirror: bool = False
    private_ok: frozenset[str] = frozenset()

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be requested, or None when it may be."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"malformed URL: {exc}"
        if parts.scheme.lower() not in {"http", "https"}:
            return f"scheme {parts.scheme!r} is not fetched (only http and https)"
        host = (parts.hostname or "").lower()
        if not host:
            return "no host in the URL"
        if parts.username or parts.password:
            return "credentials in the URL"
        if self.allowed_hosts and host not in self.allowed_hosts:
            return f"host {host} is not one of the source's hosts ({', '.join(sorted(self.allowed_hosts))})"
        problem = path_problem(parts.path)
        if problem:
            return problem
        if not self.mirror and host not in self.private_ok and f"{host}:{port}" not in self.private_ok:
            return blocked_address(host)
        return None
