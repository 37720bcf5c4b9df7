"""Peak memory and time of `parse` and `ingest` on hostile DOCX and PDF files (bombs, costliest accepted shapes).

Generates the files (nothing is kept), serves them from a loopback mirror for `ingest` (a PDF behind a
generative-AI notice page that links it, as the crawler meets one), and runs each command under
`/usr/bin/time -v` (or, without it, a wrapper reading the child's rusage). Prints one line per run: file,
command, exit code, peak RSS (MB) of the largest process (`regtrail`, or the PDF reader's child, capped at
512 MiB of address space) and of all processes together (sampled), wall time (s), and the last message line.
Then the cost of the PDF guard on the PDFs the mirror serves: median of 5 of each reader with the guard, and
of the same reader with pdfplumber in-process, as before the guard.

    .venv/bin/python bench/bomb_bench.py [--inflated-mb 180] [--only docx|pdf]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regtrail.mirror.hostile import docx_bomb, pdf_bomb, pdf_many_pages  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "print('Maximum resident set size (kbytes):', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
         "file=sys.stderr); sys.exit(r.returncode)")


def serve(files: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(args: list[str], env: dict[str, str]) -> tuple[int, float, float, float, str]:
    """(exit code, peak RSS MB of the largest process, peak RSS MB of all its processes together, seconds,
    last stderr line) of `python -m regtrail ARGS`; the sum is sampled every 10 ms (psutil)."""
    import psutil

    command = [sys.executable, "-m", "regtrail", *args]
    timer = ["/usr/bin/time", "-v"] if shutil.which("/usr/bin/time") else [sys.executable, "-c", _PEAK]
    started = time.monotonic()
    with subprocess.Popen([*timer, *command], env=env, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as running:
        tree, total = psutil.Process(running.pid), [0.0]
        sampler = threading.Thread(target=_sample, args=(tree, running, total), daemon=True)
        sampler.start()
        _, stderr = running.communicate()
        sampler.join()
    seconds = time.monotonic() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    lines = [ln for ln in stderr.splitlines() if ln and not ln.startswith(("\t", "Command", "Maximum"))]
    largest = int(peak.group(1)) / 1024 if peak else float("nan")
    return running.returncode, largest, total[0] / 1024 / 1024, seconds, (lines or [""])[-1]


def _sample(tree: object, running: subprocess.Popen, total: list[float]) -> None:
    """Keep in `total[0]` the largest sum of resident sizes of the timer's descendants seen while it runs."""
    import psutil

    while running.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in tree.children(recursive=True))  # type: ignore[attr-defined]
        except psutil.Error:
            rss = 0
        total[0] = max(total[0], rss)
        time.sleep(0.01)


_NOTICE = ('<html><body><div class="main-title"><h1 class="title">生成式人工智能服务已备案信息的公告</h1></div>'
           '<div id="BodyLabel"><p>附件</p><p><a href="/files/{name}">清单</a></p></div></body></html>')


def guard_overhead(runs: int = 5) -> list[str]:
    """Median seconds of each PDF reader on the mirror's PDFs with the guard (inflation check + bounded child)
    and of the same reader with pdfplumber run in-process, unbounded, as before the guard."""
    from unittest import mock

    from regtrail.mirror import genai_fixtures
    from regtrail.mirror.cancellation_fixtures import notice_pdf
    from regtrail.mirror.site import build_site
    from regtrail.parsers import cancellation_notice, genai_list, pdf_guard
    from regtrail.settings import shared_dir

    def unguarded(body: bytes, *, text_pages: int | None = None, **_: object) -> list[pdf_guard.PdfPage]:
        answer = pdf_guard._read(body, {"pages": pdf_guard.MAX_PAGES, "text_pages": text_pages})
        return [pdf_guard.PdfPage(text, tables) for text, tables in answer["pages"]]

    rows = genai_fixtures.real_rows(shared_dir())
    if rows is None:
        return ["guard overhead: ../shared/cac_data is not present"]
    cases = [(f"genAI list {p}", genai_fixtures.build_attachment(p, "附件", rows[p], pdf=True),
              genai_list.parse_genai_document) for p in sorted(genai_fixtures.PDF_PERIODS)]
    cases += [(f"cancellation notice {n.notice_id[:15]}", notice_pdf(n), cancellation_notice.parse_cancellation_pdf)
              for n in build_site(shared_dir()).cancellation_notices]
    lines = []
    for name, body, reader in cases:
        guarded = _median(runs, reader, body)
        check = _median(runs, pdf_guard.check_pdf_cost, body)
        with mock.patch.object(pdf_guard, "extract", unguarded):
            bare = _median(runs, reader, body)
        lines.append(f"{name} ({len(body) / 1024:.0f} KB): with the guard {guarded * 1000:4.0f} ms, without "
                     f"{bare * 1000:4.0f} ms (overhead {(guarded - bare) * 1000:4.0f} ms, of which the inflation "
                     f"check {check * 1000:.1f} ms), median of {runs}")
    return lines


def _median(runs: int, work: Callable[[bytes], object], body: bytes) -> float:
    """Median wall seconds of `work(body)` over `runs` runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work(body)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def hostile_files(inflated_mb: int, only: str | None) -> dict[str, bytes]:
    """The files measured, by description."""
    files = {} if only == "pdf" else {
        "bomb": docx_bomb(inflated_mb * 1024 * 1024),
        "largest accepted (26 MB xml)": docx_bomb(26 * 1024 * 1024),
        "97 MB on the wire (60 MB xml of long cells, 95 MB media)": docx_bomb(
            60 * 1024 * 1024, cell_text="深度合成算法" * 400, padding_bytes=95 * 1024 * 1024),
    }
    if only != "docx":
        files.update({
            "PDF bomb (content stream inflating to 1 GiB)": pdf_bomb(1024 * 1024 * 1024),
            "PDF text flood (60 MiB of text operators, under the inflation limit)": pdf_bomb(60 * 1024 * 1024),
            "PDF of 2,001 pages": pdf_many_pages(2_001),
            "PDF 97 MB on the wire (the text flood and a 94 MB incompressible stream)": pdf_bomb(
                60 * 1024 * 1024, padding_bytes=94 * 1024 * 1024),
        })
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated-mb", type=int, default=180, help="size of the DOCX bomb's document.xml (MB)")
    parser.add_argument("--only", choices=("docx", "pdf"), help="measure only these files")
    args = parser.parse_args()
    files = hostile_files(args.inflated_mb, args.only)
    with tempfile.TemporaryDirectory(prefix="bomb-bench-") as tmp:
        served: dict[str, bytes] = {}
        urls = []
        for i, body in enumerate(files.values()):
            kind = "pdf" if body.startswith(b"%PDF") else "docx"
            served[f"/www.cac.gov.cn/files/f{i}.{kind}"] = body
            if kind == "pdf":  # no source parses a bare PDF URL: ingest the notice page that links it
                served[f"/www.cac.gov.cn/n{i}.htm"] = _NOTICE.format(name=f"f{i}.pdf").encode()
            urls.append(f"https://www.cac.gov.cn/n{i}.htm" if kind == "pdf" else
                        f"https://www.cac.gov.cn/files/f{i}.{kind}")
        server = serve(served)
        origin = f"http://127.0.0.1:{server.server_port}"
        try:
            for i, (name, body) in enumerate(files.items()):
                path = Path(tmp) / f"f{i}.{'pdf' if body.startswith(b'%PDF') else 'docx'}"
                path.write_bytes(body)
                env = {**os.environ, "REGTRAIL_HOME": str(Path(tmp) / f"home{i}"), "REGTRAIL_MIRROR": origin,
                       "PYTHONPATH": str(REPO)}
                env.pop("REGTRAIL_LOG", None)
                for command in (["parse", str(path)], ["ingest", urls[i]]):
                    code, peak_mb, sum_mb, seconds, message = measure(command, env)
                    print(f"{name} ({len(body) / 1024:.0f} KB): {command[0]:6s} exit {code}  peak RSS "
                          f"{peak_mb:7.1f} MB (all processes {sum_mb:7.1f} MB)  {seconds:5.1f} s  {message[:150]}",
                          flush=True)
        finally:
            server.shutdown()
    if args.only != "docx":
        for line in guard_overhead():
            print(line, flush=True)


if __name__ == "__main__":
    main()
