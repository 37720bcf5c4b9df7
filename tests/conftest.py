"""Shared fixtures: an isolated REGTRAIL_HOME, the real CAC files, a loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scrapers import settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh REGTRAIL_HOME for one test, with no mirror configured."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("REGTRAIL_HOME", str(root))
    monkeypatch.delenv("REGTRAIL_MIRROR", raising=False)
    return root


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared/cac_data with the real CAC files; tests needing it skip when it is absent."""
    path = settings.shared_dir() / "cac_data"
    if not (path / "original_docx").is_dir():
        pytest.skip("../shared/cac_data is not present")
    return path


Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


@pytest.fixture
def http_server() -> Iterator[Callable[[dict[str, Route]], str]]:
    """Start a loopback server answering paths from a dict of handlers; yields a starter returning its origin."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                route = routes.get(self.path)
                status, headers, body = route(self) if route else (404, {}, b"not found")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
