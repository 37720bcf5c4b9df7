"""A loopback HTTP server that misbehaves on demand, for the fetch-fault tests.

With `fail_first`, the first request for every path gets one of those faults (in turn, in the order paths
are first requested; `first_fault` says which). Then each path answers from its script of replies
(consumed in order), else from fixed routes, else from a mirror `Site` (so a whole crawl can run
through it with faults injected on chosen URLs), else 404. A reply writes the raw response
itself, so it can reset the connection, stall, lie about Content-Length or stream forever.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zipfile
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from regtrail.mirror.site import Site

Reply = Callable[[BaseHTTPRequestHandler], None]


# --------------------------------------------------------------------------- replies

def respond(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
    """A plain response with a correct Content-Length."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return reply


def html(text: str, status: int = 200, charset: str = "utf-8") -> Reply:
    return respond(status, text.encode(charset), {"Content-Type": f"text/html; charset={charset}"})


def waf_page() -> Reply:
    """A web-application-firewall challenge served with status 200."""
    return html("<html><head><title>知道创宇云防御</title></head><body>访问验证</body></html>")


def busy(status: int = 503, retry_after: str | None = "0") -> Reply:
    """503/429 (or any status) with an optional Retry-After."""
    return respond(status, b"busy", {"Retry-After": retry_after} if retry_after is not None else {})


def reset() -> Reply:
    """Read the request, then drop the connection with a TCP reset and no response."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()
    return reply


def stall(seconds: float) -> Reply:
    """Send nothing for `seconds`, then close (a client read timeout shorter than that fires)."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.close_connection = True
    return reply


def truncated(body: bytes, declared: int | None = None) -> Reply:
    """Announce `declared` bytes (default twice the body), send only the body, close."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(declared or 2 * len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True
    return reply


def oversize(size: int, *, declare: bool) -> Reply:
    """`size` bytes of a PDF-looking body, with or without a Content-Length, sent in chunks."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/pdf")
        if declare:
            handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.close_connection = True
        sent, chunk = 0, b"%PDF-1.7\n" + b"0" * 65527
        try:
            while sent < size:
                handler.wfile.write(chunk[: size - sent])
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return reply


def _drip(handler: BaseHTTPRequestHandler, data: bytes, interval: float, limit: int) -> None:
    """Write `data` then one byte every `interval` s, up to `limit` bytes, until the client goes away."""
    handler.close_connection = True
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
        for _ in range(limit):
            time.sleep(interval)
            handler.wfile.write(b"a")
            handler.wfile.flush()
    except OSError:
        pass  # the client closed the connection


def trickle_body(interval: float, limit: int = 100_000) -> Reply:
    """Headers at once (a large Content-Length), then the body one byte every `interval` seconds."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {limit}\r\n"
                "\r\n<html><body>")
        _drip(handler, head.encode(), interval, limit)
    return reply


def trickle_headers(interval: float, limit: int = 100_000) -> Reply:
    """The status line, then one header value growing by one byte every `interval` seconds (never ends)."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        _drip(handler, b"HTTP/1.1 200 OK\r\nX-Slow: ", interval, limit)
    return reply


def redirect(location: str, status: int = 302) -> Reply:
    return respond(status, b"", {"Location": location})


def conditional(body: bytes, *, etag: str | None, last_modified: str | None,
                content_type: str = "text/html; charset=utf-8") -> Reply:
    """200 with validators, or 304 when the request's If-None-Match / If-Modified-Since match."""
    def reply(handler: BaseHTTPRequestHandler) -> None:
        match = (etag is not None and handler.headers.get("If-None-Match") == etag) or (
            etag is None and last_modified is not None and handler.headers.get("If-Modified-Since") == last_modified)
        validators = {k: v for k, v in (("ETag", etag), ("Last-Modified", last_modified)) if v}
        if match:
            handler.send_response(304)
            for name, value in validators.items():
                handler.send_header(name, value)
            handler.end_headers()
            return
        respond(200, body, {"Content-Type": content_type, **validators})(handler)
    return reply


# --------------------------------------------------------------------------- bodies

def docx_bytes(text: str = "清单") -> bytes:
    """A small, valid DOCX-shaped ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>" * 50)
    return buffer.getvalue()


def zip_bomb(declared: int = 0xFFFFFFF0) -> bytes:
    """A small DOCX-looking ZIP whose central directory declares `declared` uncompressed bytes."""
    data = bytearray(docx_bytes())
    at = data.find(b"PK\x01\x02", 0)
    while at != -1:
        struct.pack_into("<I", data, at + 24, declared)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def corrupt_zip() -> bytes:
    """A DOCX-looking ZIP whose compressed data was damaged (the CRC check or inflate fails)."""
    data = bytearray(docx_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + 25):
        data[i] ^= 0x5A
    return bytes(data)


# --------------------------------------------------------------------------- server

class FaultServer:
    """Threaded loopback server; `script(path, *replies)` queues faults, `requests` logs what came in."""

    def __init__(self, site: Site | None = None, routes: dict[str, Reply] | None = None, *,
                 delay: float = 0.0, fail_first: list[Reply] | None = None) -> None:
        self.site = site
        self.fail_first = list(fail_first or [])
        self.first_fault: dict[str, int] = {}
        self.routes = dict(routes or {})
        self.delay = delay
        self.scripts: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests for `path` with `replies`, in order, then fall through."""
        with self.lock:
            self.scripts.setdefault(path, []).extend(replies)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def _next(self, path: str) -> Reply | None:
        with self.lock:
            if self.fail_first and path not in self.first_fault:
                self.first_fault[path] = len(self.first_fault) % len(self.fail_first)
                return self.fail_first[self.first_fault[path]]
            queue = self.scripts.get(path)
            if queue:
                return queue.pop(0)
        return self.routes.get(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                with owner.lock:
                    owner.requests.append((self.path, dict(self.headers.items())))
                if owner.delay:
                    time.sleep(owner.delay)
                reply = owner._next(self.path)
                if reply is None and owner.site is not None:
                    host, _, rest = self.path.lstrip("/").partition("/")
                    answer = owner.site.respond(host, "/" + rest, dict(self.headers.items()))
                    if answer.status == 304:
                        reply = _not_modified(answer.headers)
                    else:
                        reply = respond(answer.status, answer.body, answer.headers)
                (reply or respond(404, b"not found"))(self)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()


def _not_modified(headers: dict[str, str]) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(304)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
    return reply
