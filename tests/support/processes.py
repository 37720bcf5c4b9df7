"""Running `python -m regtrail` in a child process: an isolated environment, its peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from regtrail import settings

MAX_RSS_KB = 1024 * 1024
# Runs a command and reports the peak RSS of that command alone (the wrapper's only child) on stderr's last line.
PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")


def run_measured(args: list[str], env: dict[str, str]) -> tuple[int, str, int, float]:
    """(exit code, stderr without the figure, peak RSS in KB, seconds) of `python -m regtrail ARGS`."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "regtrail", *args], env=env,
                          cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=120)
    *lines, peak = done.stderr.strip().splitlines()
    return done.returncode, "\n".join(lines), int(peak), time.monotonic() - started


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REGTRAIL_MIRROR", "REGTRAIL_LOG"}}
    return {**env, "REGTRAIL_HOME": str(home), "PYTHONPATH": str(settings.REPO_ROOT), **extra}
