"""Hostile servers and names (issue 24, cases 2 and 7): a server that trickles its headers or body cannot hold a
request past REGTRAIL_FETCH_DEADLINE (the real CLI in a subprocess, timed); a killed crawl keeps what it fetched;
a name cannot answer the policy one address and the connection another (DNS rebinding); every form of a
non-public address is refused; a pinned https connection still sends the name as SNI and checks the certificate
for it. Every server is a real loopback server; only the resolver and the way out of loopback are stubbed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regtrail import settings
from regtrail.crawl.context import Context, LiveTransport
from regtrail.crawl.sources import Source, SourceConfig
from regtrail.fetch.fetcher import Fetcher
from regtrail.fetch.policy import REFUSED, UrlPolicy, forbidden_address
from regtrail.log import events
from tests.support.fault_server import FaultServer, html, respond, trickle_body, trickle_headers

REPO = Path(__file__).resolve().parent.parent
PAGE = "<html><body><h1 class='title'>关于发布备案信息的公告</h1></body></html>"


def fetch_rows(home: Path, source: str = "adhoc") -> list[dict]:
    return sorted(events.read_events(home, "fetch", source).to_pylist(), key=lambda r: r["started_at"])


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REGTRAIL_MIRROR", "REGTRAIL_LOG"}}
    return {**env, "PYTHONPATH": str(REPO), "REGTRAIL_HOME": str(home), **extra}


# --------------------------------------------------------------------------- deadlines

@pytest.mark.parametrize("phase", ["body", "headers"])
def test_cli_ingest_of_a_trickling_server_ends_at_the_deadline(home: Path, phase: str) -> None:
    """One byte every 2 s, after the headers or inside them: `regtrail ingest` ends within 40 s with a
    `timeout` fetch event; robots.txt and the timeout are both on record. Deadline 6 s for the body trickle; 15 s
    for the header trickle, whose status is known only once the watchdog's close ends the headers (at 6 s under
    load that close once came before the status was read: status None)."""
    reply = trickle_body(2.0) if phase == "body" else trickle_headers(2.0)
    with FaultServer(routes={"/robots.txt": respond(404, b"none"), "/slow.htm": reply}) as server:
        url = f"{server.origin}/slow.htm"
        deadline = 6 if phase == "body" else 15
        env = cli_env(home, REGTRAIL_FETCH_DEADLINE=str(deadline),
                      REGTRAIL_ALLOW_PRIVATE_HOSTS=server.origin.removeprefix("http://"))
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "regtrail", "ingest", url], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - started
        assert server.hits("/slow.htm") == 1, "a request cut by its deadline is not retried in the run"
    print(f"\n{phase} trickle: regtrail ingest ended after {elapsed:.1f} s (exit {done.returncode})")
    assert elapsed < 40, done.stderr[-2000:]
    assert done.returncode != 0, "a failed URL is a failed run"
    rows = {r["url"]: r for r in fetch_rows(home)}
    slow = rows[url]
    assert (slow["ok"], slow["error_kind"], slow["status"]) == (False, "timeout", 200), "the status line came at once"
    assert "REGTRAIL_FETCH_DEADLINE" in slow["error"]
    assert deadline * 1000 - 500 <= slow["elapsed_ms"] <= deadline * 1000 + 15_000, slow["elapsed_ms"]
    assert rows[f"{server.origin}/robots.txt"]["status"] == 404


@pytest.mark.parametrize("phase", ["body", "headers"])
def test_deadline_cuts_a_trickle_that_read_timeouts_never_catch(phase: str) -> None:
    reply = trickle_body(0.2) if phase == "body" else trickle_headers(0.2)
    with FaultServer(routes={"/slow": reply}) as server:
        fetcher = Fetcher(mirror="", rate_limit=0, read_timeout=5, deadline=1.5)
        policy = UrlPolicy(private_ok=frozenset({server.origin.removeprefix("http://")}), resolver=fetcher.resolver)
        raw = fetcher.get(f"{server.origin}/slow", policy=policy)
        assert (raw.error_kind, raw.deadline_expired, raw.body) == ("timeout", True, b"")
        assert 1400 <= raw.elapsed_ms <= 4000, raw.elapsed_ms
        server.script("/fast", html(PAGE))
        again = fetcher.get(f"{server.origin}/fast", policy=policy)
        assert (again.status, again.error_kind, again.body) == (200, None, PAGE.encode()), "the session still works"


def test_deadline_cuts_a_trickling_tls_handshake() -> None:
    """A server that answers the TLS ClientHello with a record header, then one byte every 0.2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            try:
                conn.sendall(b"\x16\x03\x03\x40\x00")
                for _ in range(200):
                    time.sleep(0.2)
                    conn.sendall(b"\x02")
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        fetcher = Fetcher(mirror="", rate_limit=0, read_timeout=5, deadline=1.5)
        policy = UrlPolicy(private_ok=frozenset({f"127.0.0.1:{port}"}), resolver=fetcher.resolver)
        raw = fetcher.get(f"https://127.0.0.1:{port}/", policy=policy)
    finally:
        listener.close()
    assert (raw.error_kind, raw.deadline_expired) == ("timeout", True)
    assert raw.elapsed_ms <= 4000, raw.elapsed_ms


def test_killed_ingest_keeps_its_robots_fetch(home: Path) -> None:
    """The robots.txt fetch is appended before the document request that then hangs; a SIGKILL keeps it."""
    with FaultServer(routes={"/robots.txt": html("User-agent: *\nAllow: /\n"), "/slow.htm": trickle_body(0.5)}
                     ) as server:
        url = f"{server.origin}/slow.htm"
        env = cli_env(home, REGTRAIL_ALLOW_PRIVATE_HOSTS=server.origin.removeprefix("http://"))
        process = subprocess.Popen([sys.executable, "-m", "regtrail", "ingest", url], env=env, cwd=REPO,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            waited = time.monotonic()
            while server.hits("/slow.htm") == 0 and time.monotonic() - waited < 60:
                time.sleep(0.1)
            assert server.hits("/slow.htm") == 1
            time.sleep(1.0)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(30)
    rows = fetch_rows(home)
    assert [(r["url"], r["status"], r["ok"]) for r in rows] == [(f"{server.origin}/robots.txt", 200, True)]


# --------------------------------------------------------------------------- DNS rebinding and address forms

PUBLIC = "93.184.215.14"


class Network:
    """A stand-in resolver (answers per name, in turn) and a way out that only reaches loopback."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: dict[str, int] = {}
        self.connects: list[str] = []
        real_lookup, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection

        def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN202
            name = str(host).rstrip(".").lower()
            if name not in self.answers:
                return real_lookup(host, port, *args, **kwargs)
            turns = self.answers[name]
            addresses = turns[min(self.lookups.get(name, 0), len(turns) - 1)]
            self.lookups[name] = self.lookups.get(name, 0) + 1
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
                    for a in addresses]

        def create_connection(address, *args, **kwargs):  # noqa: ANN001, ANN202
            self.connects.append(str(address[0]))
            try:
                loopback = ipaddress.ip_address(address[0]).is_loopback
            except ValueError:
                loopback = address[0] == "localhost"
            if not loopback and address[0] not in self.answers:
                raise ConnectionRefusedError(f"test network: no route to {address[0]}")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


def context(home: Path, host: str, *, obey_robots: bool = False, ttl: float | None = None,
            run_key: str = "run-1") -> Context:
    fetcher = Fetcher(mirror="", rate_limit=0, read_timeout=5, deadline=10)
    if ttl is not None and fetcher.resolver is not None:
        fetcher.resolver.ttl = ttl
    source = Source("hostile", SourceConfig(name="hostile", title="hostile", module="scrapers.adhoc.crawl",
                                            list_type=None, allowed_hosts=[host]))
    return Context(source, run_key, home, LiveTransport(fetcher, backoff=0.01, attempts=2, obey_robots=obey_robots))


@pytest.fixture
def internal() -> Iterator[FaultServer]:
    """The loopback server a rebinding name points at: it must never be reached."""
    with FaultServer(routes={"/secret.htm": html(PAGE), "/robots.txt": respond(404)}) as server:
        yield server


@pytest.mark.parametrize("public_answers", [1, 2])
def test_rebinding_name_never_reaches_loopback(home: Path, internal: FaultServer, monkeypatch: pytest.MonkeyPatch,
                                               public_answers: int) -> None:
    """The name answers a public address `public_answers` times, then 127.0.0.1 (before, with two public answers
    the policy's two checks saw public addresses and the connection's own lookup reached loopback). Now a run
    looks the name up once: its policy check and both attempts use the checked public address (the way out
    refuses it); the run whose lookup answers 127.0.0.1 records a refusal."""
    net = Network(monkeypatch, {"rebind.test": [[PUBLIC]] * public_answers + [["127.0.0.1"]]})
    url = f"http://rebind.test:{internal.origin.rsplit(':', 1)[1]}/secret.htm"
    for run in range(1, public_answers + 2):
        ctx = context(home, "rebind.test", run_key=f"run-{run}")
        assert ctx.fetch(url, purpose="notice") is None
        ctx.flush()
        assert net.lookups == {"rebind.test": run}, "one lookup per run, for the policy check and both attempts"
    assert net.connects and set(net.connects) == {PUBLIC}
    assert internal.requests == []
    rows = [r for r in fetch_rows(home, "hostile") if r["url"] == url]
    assert [r["error_kind"] for r in rows] == ["connection", "connection"] * public_answers + [REFUSED]
    assert "non-public address 127.0.0.1 (loopback)" in rows[-1]["error"]


def test_rebinding_after_the_answer_expires_is_refused(home: Path, internal: FaultServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With answers kept 0 s, every check looks the name up again: the loopback answer is refused, never used."""
    net = Network(monkeypatch, {"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    url = f"http://rebind.test:{internal.origin.rsplit(':', 1)[1]}/secret.htm"
    ctx = context(home, "rebind.test", ttl=0)
    assert ctx.fetch(url, purpose="notice") is None
    ctx.flush()
    assert internal.requests == [] and "127.0.0.1" not in net.connects
    ((row,),) = [[r for r in fetch_rows(home, "hostile") if r["url"] == url]]
    assert (row["ok"], row["error_kind"], row["status"]) == (False, REFUSED, None)


def test_a_name_with_one_private_address_among_public_ones_is_refused(
        home: Path, internal: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    Network(monkeypatch, {"mixed.test": [[PUBLIC, "127.0.0.1"]]})
    url = f"http://mixed.test:{internal.origin.rsplit(':', 1)[1]}/secret.htm"
    ctx = context(home, "mixed.test")
    assert ctx.fetch(url, purpose="notice") is None
    ctx.flush()
    assert internal.requests == []
    assert [r["error_kind"] for r in fetch_rows(home, "hostile")] == [REFUSED]


FORBIDDEN = {
    "127.0.0.1.": "loopback", "localhost.": "loopback name", "LOCALHOST": "loopback name",
    "[::ffff:127.0.0.1]": "loopback", "[::ffff:7f00:1]": "loopback", "[::127.0.0.1]": "loopback",
    "[64:ff9b::7f00:1]": "embeds 127.0.0.1", "[64:ff9b::a9fe:a9fe]": "embeds 169.254.169.254",
    "[64:ff9b:1::a00:1]": "local-use NAT64", "[2002:7f00:1::]": "embeds 127.0.0.1", "[2002:c0a8:101::1]":
    "embeds 192.168.1.1", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]": "Teredo", "[::1]": "loopback",
    "[fe80::1]": "link-local", "[fc00::1]": "private", "[ff02::1]": "multicast", "[::]": "unspecified",
    "0.0.0.0": "unspecified", "224.0.0.1": "multicast", "240.0.0.1": "reserved", "10.1.2.3": "private",
    "100.64.0.1": "not globally reachable", "169.254.169.254": "link-local", "2130706433": "loopback",
    "0x7f.1": "loopback", "127.1": "loopback",
}


@pytest.mark.parametrize("host", list(FORBIDDEN))
def test_every_form_of_a_non_public_address_is_refused(host: str) -> None:
    refusal = UrlPolicy().refusal(f"http://{host}:8080/x")
    assert refusal is not None and FORBIDDEN[host] in refusal, refusal


@pytest.mark.parametrize("address", ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
                                     "2606:4700:4700::1111"])
def test_public_addresses_in_the_same_forms_pass(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("form", ["127.0.0.1.", "localhost.", "[::ffff:127.0.0.1]"])
def test_loopback_forms_request_nothing(home: Path, internal: FaultServer, form: str) -> None:
    url = f"http://{form}:{internal.origin.rsplit(':', 1)[1]}/secret.htm"
    ctx = context(home, form.strip("[]").rstrip(".").lower())
    assert ctx.fetch(url, purpose="notice") is None
    ctx.flush()
    assert internal.requests == []
    assert [(r["error_kind"], r["status"]) for r in fetch_rows(home, "hostile")] == [(REFUSED, None)]


def test_redirect_to_a_rebinding_name_is_checked_and_pinned(home: Path, internal: FaultServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A redirect hop goes through the same check and pin: the hop's name resolves to loopback, refused."""
    Network(monkeypatch, {"hop.test": [["127.0.0.1"]]})
    port = internal.origin.rsplit(":", 1)[1]
    with FaultServer() as start:
        start.script("/go", respond(302, b"", {"Location": f"http://hop.test:{port}/secret.htm"}))
        monkeypatch.setenv("REGTRAIL_ALLOW_PRIVATE_HOSTS", start.origin.removeprefix("http://"))
        ctx = context(home, "hop.test")
        ctx.allowed_hosts = frozenset()
        assert ctx.fetch(f"{start.origin}/go", purpose="notice") is None
        ctx.flush()
    assert internal.requests == []
    assert [r["error_kind"] for r in fetch_rows(home, "hostile")] == ["redirect_blocked"]


# --------------------------------------------------------------------------- pinned TLS

def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (its own CA): (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[[str], tuple[int, Path, list[tuple[str | None, str | None]]]]]:
    """Start an https server on loopback with a certificate for a name; yields (port, CA file, [(SNI, Host)])."""
    servers: list[ThreadingHTTPServer] = []

    def start(name: str) -> tuple[int, Path, list[tuple[str | None, str | None]]]:
        cert, key = _certificate(tmp_path, name)
        seen: list[tuple[str | None, str | None]] = []
        sni: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                seen.append((sni[-1] if sni else None, self.headers.get("Host")))
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        tls.sni_callback = lambda _sock, server_name, _ctx: sni.append(server_name)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_port, cert, seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_pinned_https_sends_the_name_as_sni_and_host_and_checks_its_certificate(
        tls_server: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    net = Network(monkeypatch, {"files.test": [["127.0.0.1"]], "impostor.test": [["127.0.0.1"]]})
    port, ca, seen = tls_server("files.test")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)  # they would replace the session's CA file
    fetcher = Fetcher(mirror="", rate_limit=0, read_timeout=5, deadline=10)
    fetcher.session.verify = str(ca)
    allowed = frozenset({f"files.test:{port}", f"impostor.test:{port}"})
    policy = UrlPolicy(private_ok=allowed, resolver=fetcher.resolver)
    raw = fetcher.get(f"https://files.test:{port}/a.htm", policy=policy)
    assert (raw.status, raw.error_kind, raw.body) == (200, None, PAGE.encode()), raw.error
    assert seen == [("files.test", f"files.test:{port}")]
    assert net.lookups == {"files.test": 1} and net.connects == ["127.0.0.1"], "connected to the pinned address"
    wrong = fetcher.get(f"https://impostor.test:{port}/a.htm", policy=policy)
    assert wrong.error_kind == "connection" and "impostor.test" in (wrong.error or ""), wrong.error
    assert len(seen) == 1, "a certificate for another name is refused before any request"


def test_mirror_mode_connects_by_name_as_before(home: Path) -> None:
    """The mirror (loopback, trusted) is neither checked nor pinned; the deadline still applies."""
    with FaultServer(routes={"/www.cac.gov.cn/a.htm": html(PAGE)}) as server:
        fetcher = Fetcher(mirror=server.origin, deadline=10)
        assert fetcher.resolver is None
        raw = fetcher.get("https://www.cac.gov.cn/a.htm")
    assert (raw.status, raw.error_kind, raw.fetched_url) == (200, None, f"{server.origin}/www.cac.gov.cn/a.htm")


def test_deadline_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGTRAIL_FETCH_DEADLINE", raising=False)
    assert settings.fetch_deadline() == 300.0 == Fetcher(mirror="").deadline
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGTRAIL_FETCH_DEADLINE", "15")
        assert settings.fetch_deadline() == 15.0 and Fetcher(mirror="").deadline == 15.0
        patch.setenv("REGTRAIL_FETCH_DEADLINE", "0")
        with pytest.raises(ValueError, match="REGTRAIL_FETCH_DEADLINE"):
            settings.fetch_deadline()


def test_an_internationalised_name_is_checked_pinned_and_sent_in_its_ascii_form(
        internal: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ascii_name = "xn--r8jz45g.xn--zckzah"  # 例え.テスト, as requests sends it
    net = Network(monkeypatch, {ascii_name: [["127.0.0.1"]]})
    port = internal.origin.rsplit(":", 1)[1]
    url = f"http://例え.テスト:{port}/secret.htm"
    fetcher = Fetcher(mirror="", rate_limit=0, read_timeout=5, deadline=10)
    assert "loopback" in (UrlPolicy(frozenset({"例え.テスト"}), resolver=fetcher.resolver).refusal(url) or "")
    allowed = UrlPolicy(frozenset({"例え.テスト"}), private_ok=frozenset({f"{ascii_name}:{port}"}),
                        resolver=fetcher.resolver)
    raw = fetcher.get(url, policy=allowed)
    assert (raw.status, raw.error_kind) == (200, None), raw.error
    assert net.lookups == {ascii_name: 1} and net.connects == ["127.0.0.1"]
    assert internal.requests[0][1]["Host"] == f"{ascii_name}:{port}"
