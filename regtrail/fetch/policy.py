"""The URL policy: which URLs a crawl may request. Applied to every request (seeds, links, attachments,
robots.txt) before it is sent and to every redirect hop.

- the scheme is http or https;
- the host is one of the source's allowed hosts (`allowed_hosts` in its YAML, else the hosts of the URLs its
  YAML names; a source naming none may fetch any host);
- the path cannot climb out of where it points: no `.`/`..` segments (also percent-encoded), no encoded
  slash or backslash, no empty segment, so in mirror mode `$REGTRAIL_MIRROR/HOST/PATH` stays under `/HOST/`;
- outside mirror mode the host is resolved once (`Resolver`) and none of its addresses may be loopback, private,
  link-local, multicast, reserved, unspecified or cloud-metadata, nor an IPv6 address carrying such an IPv4
  address (IPv4-mapped, NAT64, 6to4), nor Teredo or local-use NAT64, unless `REGTRAIL_ALLOW_PRIVATE_HOSTS`
  (comma-separated `host` or `host:port`) lists it; a trailing dot changes nothing (`localhost.`). The
  checked address is pinned: the connection goes to it (regtrail.fetch.connection), no second lookup.

A refused URL is never requested: the context records a failed fetch event with `error_kind`
`refused_by_policy` and the reason.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import idna

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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
TEREDO = ipaddress.ip_network("2001::/32")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def host_name(host: str) -> str:
    """A host as compared, resolved and pinned: lower case, no IPv6 brackets, no zone, no trailing dot
    (`localhost.`), an internationalised name in its ASCII (IDNA) form as requests sends it."""
    name = host.lower().strip("[]").split("%")[0].rstrip(".")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError:
            pass  # not a valid name: it will not resolve
    return name


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped or -compatible, SIIT, NAT64 /96, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in (NAT64, IPV4_COMPATIBLE, IPV4_TRANSLATED)):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_address(address: Address) -> str | None:
    """Why a connection to `address` is refused (what kind of non-public address it is), or None."""
    for kind in ("unspecified", "loopback"):
        if getattr(address, f"is_{kind}"):
            return kind
    if isinstance(address, ipaddress.IPv6Address):
        if address in TEREDO:
            return "a Teredo address"
        if address in NAT64_LOCAL:
            return "a local-use NAT64 address"
        inner = embedded_ipv4(address)
        if inner is not None and (why := forbidden_address(inner)):
            return f"embeds {inner}, {why}"
        if inner is not None and address not in IPV4_COMPATIBLE:
            return None  # mapped, translated, NAT64 or 6to4: the packets go to the IPv4 address, public here
    for kind in ("link_local", "multicast", "reserved", "site_local", "private"):
        if getattr(address, f"is_{kind}", False):
            return kind.replace("_", "-")
    if not address.is_global:
        return "not globally reachable"
    return None


class Resolver:
    """Resolves each host name once (answers kept `ttl` seconds) and remembers the address the policy checked
    for it (`pin`); connections go to `pinned(host)` and never resolve the name again (regtrail.fetch.connection)."""

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._answers: dict[str, tuple[float, list[Address]]] = {}
        self._pins: dict[str, str] = {}

    def lookup(self, host: str) -> list[Address]:
        """The addresses of `host` (an IP literal is its own answer); empty when it does not resolve."""
        name = host_name(host)
        try:
            return [ipaddress.ip_address(name)]
        except ValueError:
            pass
        cached = self._answers.get(name)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        try:
            infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        self._answers[name] = (time.monotonic() + self.ttl, addresses)
        return addresses

    def pin(self, host: str, address: Address) -> None:
        self._pins[host_name(host)] = str(address)

    def pinned(self, host: str) -> str | None:
        """The checked address to connect to for `host`, or None when the policy has not checked it."""
        return self._pins.get(host_name(host))


def blocked_address(host: str, resolver: Resolver | None = None, *, check: bool = True) -> str | None:
    """Why `host` must not be fetched (a loopback name, or any of its addresses non-public), or None; the
    address checked is pinned in `resolver` for the connection (also when `check` is off: allowed private hosts)."""
    resolver = resolver or Resolver()
    name = host_name(host)
    if check and (name in {"localhost", "localhost.localdomain"} or name.endswith(".localhost")):
        return f"{host} is a loopback name"
    addresses = resolver.lookup(name)
    if not addresses:
        return None  # unresolvable: nothing is pinned, the request fails as a connection error
    for address in addresses if check else ():
        why = forbidden_address(address)
        if why:
            return f"{host} resolves to the non-public address {address} ({why})"
    resolver.pin(name, min(addresses, key=lambda a: a.version))  # the first IPv4 address, else the first IPv6
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
    resolver: Resolver | None = field(default=None, compare=False)

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be requested, or None when it may be."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"malformed URL: {exc}"
        if parts.scheme.lower() not in {"http", "https"}:
            return f"scheme {parts.scheme!r} is not fetched (only http and https)"
        host = host_name(parts.hostname or "")
        if not host:
            return "no host in the URL"
        if parts.username or parts.password:
            return "credentials in the URL"
        if self.allowed_hosts and host not in {host_name(h) for h in self.allowed_hosts}:
            return f"host {host} is not one of the source's hosts ({', '.join(sorted(self.allowed_hosts))})"
        problem = path_problem(parts.path)
        if problem:
            return problem
        if self.mirror:
            return None
        names = {host, (parts.hostname or "").lower()}
        checked = not any(name in self.private_ok or f"{name}:{port}" in self.private_ok for name in names)
        return blocked_address(host, self.resolver, check=checked)
