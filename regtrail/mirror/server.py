"""A threaded HTTP server answering `/<host>/<path>?<query>` from a `Site` (the REGTRAIL_MIRROR contract)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from regtrail import settings
from regtrail.mirror.site import Response, Site, build_site


class RequestLog(list[tuple[str, str, dict[str, str]]]):
    """The requests seen, as (method, path, headers); appended to under a lock."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.append((method, path, headers))

    def snapshot(self) -> list[tuple[str, str, dict[str, str]]]:
        """A copy that is safe to iterate while the server runs."""
        with self.lock:
            return list(self)


def _make_handler(site: Site, log: RequestLog, verbose: bool) -> type[BaseHTTPRequestHandler]:
    class MirrorRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "regtrail-mirror/0.1"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            headers = dict(self.headers.items())
            log.record(self.command, self.path, headers)
            host, _, rest = self.path.lstrip("/").partition("/")
            try:
                response = site.respond(host, "/" + rest, headers)
            except Exception as exc:  # noqa: BLE001 (a broken resource must not kill the server)
                print(f"regtrail mirror: error answering {self.path}: {exc!r}", file=sys.stderr)
                response = Response(500, {"Content-Type": "text/plain; charset=utf-8"}, b"mirror error\n")
            self._send(response, send_body)

        def _send(self, response: Response, send_body: bool) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status != 304:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if send_body and response.status != 304 and response.body:
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            if verbose:
                super().log_message(format, *args)

    return MirrorRequestHandler


class MirrorHandle:
    """A running mirror: `.origin`, `.port`, `.requests`, `.stop()`; usable as a context manager."""

    def __init__(self, server: ThreadingHTTPServer, thread: threading.Thread, site: Site,
                 requests: RequestLog) -> None:
        self.server = server
        self.thread = thread
        self.site = site
        self.requests = requests
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.origin = f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=10)
        self.server.server_close()

    def __enter__(self) -> MirrorHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_mirror(site: Site | None = None, host: str = "127.0.0.1", port: int = 0) -> MirrorHandle:
    """Serve `site` (default: built from the default shared dir) in a daemon thread; port 0 picks one."""
    if site is None:
        site = build_site(settings.shared_dir())
    log = RequestLog()
    verbose = settings.ENV.mirror_verbose
    server = ThreadingHTTPServer((host, port), _make_handler(site, log, verbose))
    server.daemon_threads = True
    name = f"regtrail-mirror-{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return MirrorHandle(server, thread, site, log)


def serve(*, host: str = "127.0.0.1", port: int = 8765, synthetic: str = "missing", shared: Path | None = None,
          print_origin_file: Path | None = None) -> None:
    """Build the site and serve it until SIGTERM or Ctrl-C (`regtrail mirror`)."""
    site = build_site((shared or settings.shared_dir()).resolve(), synthetic=synthetic)
    handle = start_mirror(site, host=host, port=port)
    print(f"mirror serving at {handle.origin} ({site.page_count} pages, {site.count('real')} real "
          f"attachments, {site.count('synthetic')} synthetic)", flush=True)
    missing = site.count("missing")
    if missing:
        hint = "(--synthetic fill serves synthetic lists instead)" if site.synthetic == "missing" else ""
        print(f"regtrail mirror: {missing} attachments have no content and answer 404 {hint}".rstrip(),
              file=sys.stderr, flush=True)
    if print_origin_file:
        tmp = print_origin_file.with_name(f".{print_origin_file.name}.{os.getpid()}.tmp")
        tmp.write_text(handle.origin + "\n", encoding="utf-8")
        tmp.replace(print_origin_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
