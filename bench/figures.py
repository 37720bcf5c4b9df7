"""Benchmark figures as data: a bench writes what it measured to docs/figures/<bench>.json, and
docs/performance.md renders its tables from those files with cog.

    cog -I . --check docs/performance.md    # `make docs`: fails when a table differs from the JSON
    cog -I . -r docs/performance.md         # `make bench` (after the benches): rewrites the tables

A bench calls `recording = figures.start(name)` first (time, load average) and `recording.record(values)` last;
`--no-record` (`figures.add_option`) prints without overwriting the file. The templates in the page read
the values through `figures.values(name)`, which notes every key read, so a test can check that each file
holds exactly the keys its template reads.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIGURES = REPO / "docs" / "figures"
META_KEYS = ("bench", "command", "started_at", "load_average", "cores", "commit", "wall_s", "values")

READ: dict[str, set[str]] = defaultdict(set)
"""Per bench, the value keys the rendered templates have read (for tests/test_perf_figures.py)."""
LISTED: set[str] = set()
"""The benches whose runs have been rendered."""


class FiguresError(Exception):
    """A figures file is missing or unreadable."""


class MissingValue(FiguresError):
    """A template reads a value its bench did not record."""


def add_option(parser: argparse.ArgumentParser) -> None:
    """The `--no-record` option every recording bench takes."""
    parser.add_argument("--no-record", action="store_true",
                        help="print the figures only; leave docs/figures/<bench>.json as it is")


def command_line() -> str:
    """The command as run: BENCH_*, REGTRAIL_* and PYTHONPATH settings, niceness, interpreter, script, arguments."""
    env = [f"{key}={value}" for key, value in sorted(os.environ.items())
           if key.startswith(("BENCH_", "REGTRAIL_")) or key == "PYTHONPATH"]
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    nice = ["nice", "-n", str(niceness)] if niceness else []
    python = Path(sys.executable)
    python_shown = str(python.relative_to(REPO)) if python.is_relative_to(REPO) else str(python)
    script = os.path.relpath(Path(sys.argv[0]).resolve(), REPO)
    return shlex.join([*env, *nice, python_shown, script, *sys.argv[1:]])


def git_commit() -> str:
    """HEAD's short hash, `+dirty` when tracked files outside docs/ (the pages, the figures) differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


@dataclass
class Started:
    """One bench run: what is known at its start, and where its figures go."""

    bench: str
    record_figures: bool = True
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_average: tuple[float, float, float] = field(default_factory=os.getloadavg)
    clock: float = field(default_factory=time.perf_counter)
    command: str = field(default_factory=command_line)  # before the bench sets variables of its own
    commit: str = field(default_factory=git_commit)  # the code as it was when the run started

    def record(self, values: Mapping[str, Any]) -> Path | None:
        """Write docs/figures/<bench>.json (unless --no-record); returns the path written."""
        if not self.record_figures:
            return None
        figures = {
            "bench": self.bench, "command": self.command,
            "started_at": self.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "load_average": [round(x, 2) for x in self.load_average], "cores": os.cpu_count(),
            "commit": self.commit, "wall_s": round(time.perf_counter() - self.clock, 1), "values": dict(values)}
        FIGURES.mkdir(parents=True, exist_ok=True)
        path = FIGURES / f"{self.bench}.json"
        scratch = path.with_suffix(".json.tmp")
        scratch.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        scratch.replace(path)
        print(f"figures written to {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)
        return path


def start(bench: str, args: argparse.Namespace | None = None) -> Started:
    """Note the start of a bench run (time, load average); `args.no_record` turns recording off."""
    return Started(bench, record_figures=not getattr(args, "no_record", False))


def load(bench: str, folder: Path | None = None) -> dict[str, Any]:
    """The figures file of `bench`, checked to hold every metadata key."""
    path = (folder or FIGURES) / f"{bench}.json"
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FiguresError(f"{path} is missing: run `python bench/{bench}.py` to measure it") from None
    except json.JSONDecodeError as error:
        raise FiguresError(f"{path} is not JSON ({error}): run `python bench/{bench}.py` again") from None
    missing = [key for key in META_KEYS if key not in figures]
    if missing:
        raise FiguresError(f"{path} lacks {', '.join(missing)}: it was not written by bench/figures.py")
    return figures


class Values(Mapping[str, Any]):
    """A bench's measured values; every key read is noted in READ."""

    def __init__(self, bench: str, values: Mapping[str, Any]) -> None:
        self.bench, self._values = bench, values

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            raise KeyError(key)  # so that a name such as `max` falls back to the builtins
        READ[self.bench].add(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def values(bench: str) -> Values:
    return Values(bench, load(bench)["values"])


SAFE_BUILTINS = {"max": max, "min": min, "abs": abs, "round": round, "len": len}


def evaluate(bench: str, expression: str) -> Any:
    """A Python expression of this page's templates, whose names are the bench's values."""
    try:
        return eval(expression, {"__builtins__": SAFE_BUILTINS}, values(bench))  # noqa: S307 (our own page)
    except NameError as error:
        raise MissingValue(f"docs/figures/{bench}.json has no value {error.name!r}: the template and the bench "
                           "disagree") from None


def fill(bench: str, template: str) -> str:
    """`template` as an f-string over the bench's values: `{rows:,}`, `{added / events:.1%}`."""
    return str(evaluate(bench, "f" + repr(template)))


def judge(bench: str, expression: str) -> str:
    """A verdict: an expression over the bench's values, such as `'met' if ratio >= 5 else 'missed'`."""
    return str(evaluate(bench, expression))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def targets(rows: Sequence[tuple[str, str, str, str]]) -> str:
    """The target table: (target, bench, measured template, verdict expression) per row."""
    return table(("target", "measured", "", "run"),
                 [(target, fill(bench, measured), judge(bench, verdict), f"[{bench}](#runs)")
                  for target, bench, measured, verdict in rows])


def runs(benches: Sequence[str]) -> str:
    """When, where and how each bench's figures were measured."""
    rows = []
    for bench in benches:
        figures = load(bench)
        LISTED.add(bench)
        rows.append((f"`{bench}`", f"`{figures['command']}`", figures["started_at"].replace("T", " "),
                     " / ".join(f"{x:.2f}" for x in figures["load_average"]), str(figures["cores"]),
                     f"{figures['wall_s']:.0f} s", f"`{figures['commit']}`"))
    return table(("bench", "command", "started (UTC)", "load average at start (1/5/15 min)", "cores", "run time",
                  "commit"), rows)
