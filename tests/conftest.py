"""Shared fixtures: an isolated REGTRAIL_HOME, the real CAC files, a loopback HTTP server, a local S3."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from regtrail import settings

# Tests choose their log roots (REGTRAIL_HOME, explicit roots): an inherited REGTRAIL_LOG must not redirect them.
os.environ.pop("REGTRAIL_LOG", None)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh REGTRAIL_HOME for one test, with no mirror configured."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("REGTRAIL_HOME", str(root))
    monkeypatch.delenv("REGTRAIL_MIRROR", raising=False)
    return root


@pytest.fixture(scope="session", autouse=True)
def dbt_session(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The dbt commands of tests/support/warehouse.py start from the session's one saved parse of the project;
    every build of the session (every worker, every home) shares one REGTRAIL_CACHE_DIR, so the English names
    are translated by the first build and read by the others (the product's own default, `<home>/cache`, is
    what a home that sets no cache folder gets: tests/test_wheel.py's demo)."""
    from tests.support import warehouse  # imported here: most modules run no dbt

    warehouse.use_session(tmp_path_factory.getbasetemp())
    os.environ["REGTRAIL_CACHE_DIR"] = str(warehouse.session_root(tmp_path_factory.getbasetemp()) / "cache")


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


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """An S3 endpoint (moto's server) on 127.0.0.1 with a new empty bucket; AWS_* variables point at it.

    Yields (s3fs filesystem, root URL `s3://<bucket>/prod`). The server stops afterwards.
    """
    s3fs = pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REGTRAIL_STORAGE_OPTIONS", raising=False)
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    bucket = f"regtrail-{uuid.uuid4().hex[:12]}"  # moto keeps buckets per process: one per test
    fs.mkdir(bucket)
    try:
        yield fs, f"s3://{bucket}/prod"
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


# The longest modules, longest first (wall time per module under `make test`, measured with `--durations=0`).
# `make test` passes --no-loadscope-reorder so that xdist hands out modules in this order (by default it orders
# them by their number of tests, which sent these few-test modules last and left workers idle at the end).
LONGEST = ("test_wheel", "test_celery", "test_pipeline", "test_incremental", "test_publish", "test_quarantine",
           "test_standalone", "test_hostile_outputs", "test_approvals_news", "test_dbt_models", "test_buildlock",
           "test_crawl")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The LONGEST modules first, then modules running Airflow, Celery or dbt, then the rest, each module's own
    order kept: under xdist (`make test`: `--dist loadfile`) the long files start early and the workers finish
    together."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") or item.get_closest_marker("celery"):
            return 0
        return 1 if item.get_closest_marker("dbt") else 2

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    module_weight: dict[str, tuple[int, int]] = {}
    for item in items:
        name = Path(module(item)).stem
        rank = LONGEST.index(name) if name in LONGEST else len(LONGEST)
        previous = module_weight.get(module(item), (rank, 2))
        module_weight[module(item)] = (rank, min(previous[1], weight(item)))
    items.sort(key=lambda item: module_weight[module(item)])
