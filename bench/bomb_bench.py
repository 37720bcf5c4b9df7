"""Peak memory and time of `parse` and `ingest` on hostile DOCX files (a ZIP bomb and the largest accepted shape).

Generates the files (nothing is kept), serves them from a loopback mirror for `ingest`, and runs each command
under `/usr/bin/time -v` (or, without it, a wrapper reading the child's rusage). Prints one line per run:
file, command, exit code, peak RSS (MB), wall time (s), and the last message line.

    .venv/bin/python bench/bomb_bench.py [--inflated-mb 180]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regtrail.mirror.hostile import docx_bomb  # noqa: E402

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


def measure(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit code, peak RSS MB, seconds, last stderr line) of `python -m regtrail ARGS`."""
    command = [sys.executable, "-m", "regtrail", *args]
    timer = ["/usr/bin/time", "-v"] if shutil.which("/usr/bin/time") else [sys.executable, "-c", _PEAK]
    started = time.monotonic()
    done = subprocess.run([*timer, *command], env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.monotonic() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    lines = [ln for ln in done.stderr.splitlines() if ln and not ln.startswith(("\t", "Command", "Maximum"))]
    return done.returncode, int(peak.group(1)) / 1024 if peak else float("nan"), seconds, (lines or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated-mb", type=int, default=180, help="size of the bomb's document.xml (MB)")
    args = parser.parse_args()
    files = {
        "bomb": docx_bomb(args.inflated_mb * 1024 * 1024),
        "largest accepted (26 MB xml)": docx_bomb(26 * 1024 * 1024),
        "97 MB on the wire (60 MB xml of long cells, 95 MB media)": docx_bomb(
            60 * 1024 * 1024, cell_text="深度合成算法" * 400, padding_bytes=95 * 1024 * 1024),
    }
    with tempfile.TemporaryDirectory(prefix="bomb-bench-") as tmp:
        served = {f"/www.cac.gov.cn/files/f{i}.docx": body for i, body in enumerate(files.values())}
        server = serve(served)
        origin = f"http://127.0.0.1:{server.server_port}"
        try:
            for i, (name, body) in enumerate(files.items()):
                path = Path(tmp) / f"f{i}.docx"
                path.write_bytes(body)
                env = {**os.environ, "REGTRAIL_HOME": str(Path(tmp) / f"home{i}"), "REGTRAIL_MIRROR": origin,
                       "PYTHONPATH": str(REPO)}
                env.pop("REGTRAIL_LOG", None)
                for command in (["parse", str(path)], ["ingest", f"https://www.cac.gov.cn/files/f{i}.docx"]):
                    code, peak_mb, seconds, message = measure(command, env)
                    print(f"{name} ({len(body) / 1024:.0f} KB): {command[0]:6s} exit {code}  peak RSS "
                          f"{peak_mb:7.1f} MB  {seconds:5.1f} s  {message[:150]}", flush=True)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
