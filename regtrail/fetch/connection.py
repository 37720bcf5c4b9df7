"""How the fetcher connects: to the address the URL policy checked, within a wall-clock deadline.

- `Deadline`: a watchdog timer per request. Every socket the request opens or reuses is registered with it
  (through the connection classes below); when the deadline passes, the timer shuts those sockets down, so a
  server that trickles its TLS handshake, headers or body one byte at a time cannot hold a request longer.
- `GuardedAdapter`: a requests adapter that connects to the address `Resolver.pinned` gives for the URL's host
  (the one the policy checked; it never resolves a name itself), sends the original Host header and, for
  https, the original name as TLS SNI and for the certificate check. Without a resolver (mirror mode) it
  connects by name as requests does. Proxies from the environment are not used for pinned requests: a proxy
  would resolve the name again.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from regtrail.fetch.policy import Resolver

_current = threading.local()


class Deadline:
    """A watchdog for one request: after `seconds` (from `start`) every registered socket is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._started: float | None = None
        self._timer: threading.Timer | None = None
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the clock (once) and make this the deadline of the sockets the current thread opens."""
        if self._started is None:
            self._started = time.monotonic()
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()
            _current.deadline = self

    def remaining(self) -> float:
        if self._started is None:
            return self.seconds
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    def watch(self, sock: socket.socket) -> None:
        """Register a connected socket (a duplicate of its descriptor is kept, valid after a TLS wrap)."""
        try:
            handle = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return
        with self._lock:
            self._watched.append(handle)
            if self.expired:
                _shut(handle)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for handle in self._watched:
                _shut(handle)

    def close(self) -> None:
        """Stop the clock and let go of the sockets (the connections themselves stay with their pool)."""
        if self._timer is not None:
            self._timer.cancel()
        if getattr(_current, "deadline", None) is self:
            _current.deadline = None
        with self._lock:
            for handle in self._watched:
                handle.close()
            self._watched.clear()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shut(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side


def _watch(sock: socket.socket | None) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection: its socket exists already
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Connections under the current `Deadline`; with a resolver, to the host's checked (pinned) address."""

    def __init__(self, resolver: Resolver | None) -> None:
        self.resolver = resolver
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: Any,
                                        proxies: dict[str, str] | None = None, cert: Any = None) -> HTTPConnectionPool:
        if self.resolver is None:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        name = (host_params["host"] or "").rstrip(".")
        address = self.resolver.pinned(name)
        if address is None:
            raise requests.ConnectionError(f"{name} did not resolve to an address the URL policy checked; "
                                           "not connected", request=request)
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": name, "assert_hostname": name}
        return self.poolmanager.connection_from_host(host=address, port=host_params["port"],
                                                     scheme=host_params["scheme"], pool_kwargs=pool_kwargs)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        if self.resolver is not None and "Host" not in request.headers:
            request.headers["Host"] = urlsplit(request.url).netloc
        super().add_headers(request, **kwargs)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        return super().send(request, stream, timeout, verify, cert, None if self.resolver else proxies)
