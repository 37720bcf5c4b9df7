"""Two `make demo` on one REGTRAIL_HOME started seconds apart, while a reader polls the published warehouse.

    nice .venv/bin/python bench/concurrent_demo.py [--gap 5] [--home DIR] [--after-first-exit] [--lock-wait S]

Starts `regtrail demo` (the command of the Makefile's `demo:` target, with REGTRAIL_HOME exported as make
does) twice on one fresh home, the second `--gap` seconds after the first (`--after-first-exit`: once the
first has ended). Every `--poll` seconds a reader resolves `.published/current`, opens the warehouse through
its fixed name read-only, and checks that the warehouse and `exports/_publish.json` name the same
publication; each new publication is opened and checked: `_regtrail_build` with this project's fingerprint,
the last dbt invocation recorded in the file passed every data test (`warehouse.check_build`), every
published folder present, the Parquet row counts equal the warehouse's. At the end the published warehouse
is reconciled against ../shared read at run time (the list CSVs, the genAI rows, the cancellation notices).
Prints each run's exit code, wall time and last lines, the lease message of a run refused, the publications
seen, the reader errors, the reconciliation; exits 1 when an invariant fails (expected: one run 0 and one
75 naming the winner's lease; with `--after-first-exit`, or `--lock-wait` (REGTRAIL_BUILD_LOCK_WAIT for both
runs) longer than the first run, two 0 and two publications).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regtrail import settings  # noqa: E402
from regtrail.build import buildlock, publication, warehouse  # noqa: E402
from regtrail.mirror.cancellation_fixtures import CANCELLATIONS  # noqa: E402
from regtrail.mirror.genai_fixtures import GENAI_ROWS, ONDEVICE_ROWS, period_label  # noqa: E402
from regtrail.mirror.site import build_site  # noqa: E402
from regtrail.ops.demo import LOCKED  # noqa: E402

LEASE_MESSAGE = re.compile(r"another warehouse build holds (\S+): run '([^']+)' \(pid (\d+) on (\S+), since (\S+)\)")
MARTS_SQL = ("select table_name from information_schema.tables where table_schema = 'main' and table_type = "
             "'BASE TABLE' and (table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\')")


@dataclass
class Demo:
    """One `regtrail demo` process: its output files, start and end (monotonic seconds), exit code."""

    label: str
    out: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0
    ended: float = 0.0
    code: int | None = None

    def start(self, home: Path, lock_wait: float) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGTRAIL_", "AIRFLOW_"))}
        env["REGTRAIL_HOME"] = str(home)  # the Makefile's `export REGTRAIL_HOME ?= ...`
        if lock_wait:
            env["REGTRAIL_BUILD_LOCK_WAIT"] = str(lock_wait)
        self.started = time.monotonic()
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen([str(Path(sys.executable).with_name("regtrail")), "demo"],
                                         cwd=settings.REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        threading.Thread(target=self._wait, daemon=True).start()

    def _wait(self) -> None:
        self.code = self.proc.wait()
        self.ended = time.monotonic()

    def text(self) -> str:
        return self.out.read_text(errors="replace")


@dataclass
class Seen:
    """One publication as the poller found it."""

    stamp: str
    at: float
    problems: list[str] = field(default_factory=list)
    run: str = ""
    tests: str = ""
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class Poller:
    """Reads the published set every `interval` seconds until stopped; records publications and reader errors."""

    root: Path
    interval: float
    started: float
    fingerprint: str
    seen: dict[str, Seen] = field(default_factory=dict)
    polls: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(self.interval)

    def current(self) -> str | None:
        try:
            return os.readlink(publication.versions_dir(self.root) / publication.CURRENT)
        except FileNotFoundError:
            return None

    def poll(self) -> None:
        self.polls += 1
        before = self.current()
        if before is None:
            return
        if before not in self.seen:
            self.seen[before] = self.inspect(before)
        try:  # a reader of the fixed names, as an analyst opens them
            with duckdb.connect(str(self.root / publication.WAREHOUSE), read_only=True) as con:
                stamp = con.execute(f"select published from {warehouse.BUILD_INFO}").fetchone()[0]
                con.execute("select count(*) from fct_filings").fetchone()
            exported = json.loads((self.root / "exports" / "_publish.json").read_text(encoding="utf-8"))["published"]
            self.reads += 1
        except Exception as error:  # noqa: BLE001 - every failure of a reader is a finding
            self.errors.append(f"{time.monotonic() - self.started:.1f} s: {type(error).__name__}: {error}")
            return
        if before == self.current() and not stamp == exported == before:
            self.mixed.append(f"current {before}, warehouse {stamp}, exports {exported}")

    def inspect(self, stamp: str) -> Seen:
        seen = Seen(stamp, time.monotonic() - self.started)
        folder = publication.versions_dir(self.root) / stamp
        seen.problems += [f"{name}/ missing" for name in publication.PUBLISHED if not (folder / name).is_dir()]
        try:
            with duckdb.connect(str(folder / publication.WAREHOUSE), read_only=True) as con:
                tables = {n for (n,) in con.execute("select table_name from information_schema.tables").fetchall()}
                if warehouse.BUILD_INFO not in tables or warehouse.DBT_RUNS not in tables:
                    seen.problems.append(f"no {warehouse.BUILD_INFO} or {warehouse.DBT_RUNS} table: not a build")
                    return seen
                info = con.execute(f"select fingerprint, published, run from {warehouse.BUILD_INFO}").fetchone()
                seen.run = info[2]
                if info[0] != self.fingerprint:
                    seen.problems.append("fingerprint is not this project's")
                if info[1] != stamp:
                    seen.problems.append(f"_regtrail_build names publication {info[1]}")
                try:
                    warehouse.check_build(con, {"fingerprint": info[0]})
                except warehouse.BuildRefused as refused:
                    seen.problems.append(str(refused))
                passed, failed, total = con.execute(
                    f"select tests_passed, tests_failed, project_tests from {warehouse.DBT_RUNS} "
                    "where tests_passed + tests_failed > 0 order by seq desc limit 1").fetchone()
                seen.tests = f"{passed}/{total} tests passed, {failed} failed"
                seen.rows = {m: con.execute(f'select count(*) from "{m}"').fetchone()[0]
                             for (m,) in con.execute(MARTS_SQL).fetchall()}
            exported = json.loads((folder / "exports" / "_publish.json").read_text(encoding="utf-8"))
            if exported["published"] != stamp or exported["rows"] != seen.rows:
                seen.problems.append("exports/_publish.json differs from the warehouse")
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"{seen.at:.1f} s: inspecting {stamp}: {type(error).__name__}: {error}")
            seen.problems.append(f"unreadable: {error}")
        return seen


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reconcile(root: Path, shared: Path) -> tuple[list[str], list[str]]:
    """The published warehouse against ../shared: (lines to print, failed checks)."""
    data = shared / "cac_data"
    rows = [r for path in sorted((data / "csv").glob("*.csv")) for r in _csv(path)]
    per_list = Counter((r["list_type"], r["batch_label"]) for r in rows)
    announced = {(a.list_type, a.batch_label) for a in build_site(shared).attachments}
    genai: Counter = Counter((period_label(r["period"]), r["table"]) for r in _csv(shared / GENAI_ROWS))
    genai.update((period_label(r["list_period"]), "ondevice") for r in _csv(shared / ONDEVICE_ROWS))
    cancellations = {r["filing_number"] for r in _csv(shared / CANCELLATIONS)}
    failed: list[str] = []

    def check(ok: bool, what: str) -> str:
        if not ok:
            failed.append(what)
        return f"  {'ok  ' if ok else 'FAIL'} {what}"

    with duckdb.connect(str(root / publication.WAREHOUSE), read_only=True) as con:
        def q(sql: str, *params) -> list[tuple]:
            return con.execute(sql, list(params)).fetchall()

        batches = {(t, b): (s, n, e, ok) for t, b, s, n, e, ok in q(
            "select list_type, batch_label, status, parsed_rows, expected_count, reconciled from fct_list_batches")}
        parsed = {k: v for k, v in batches.items() if v[0] == "parsed"}
        others = Counter(v[0] for v in batches.values() if v[0] != "parsed")
        listed = q("select count(*), count(distinct filing_number) from fct_filings where known_from = 'list'")[0]
        events = q("select count(*) from fct_timeline_events where event_type = 'filing_listed'")[0][0]
        triples = len({(r["备案编号"], r["list_type"], r["batch_label"]) for r in rows})
        reconciliation = {(p, s): (f, r, o, ok) for p, s, f, r, o, ok in q(
            "select period, status, filing_rows, registration_rows, ondevice_rows, rows_reconciled "
            "from fct_genai_reconciliation")}
        statuses = Counter(s for _, s in reconciliation)
        by_period = {p: (f, r, o) for (p, _), (f, r, o, _) in reconciliation.items()}
        periods = {p for p, _ in genai}
        expected_genai = {p: (genai[p, "filing"], genai[p, "registration"], genai[p, "ondevice"]) for p in periods}
        cancelled = {n for (n,) in q("select filing_number from fct_filings where status = 'cancelled'")}
        noted = {r["备案编号"] for r in rows if "已注销" in r["备注"]}
        synthetic = q("select count(*) from fct_filings where is_synthetic")[0][0]
        totals = q("select (select count(*) from fct_filings), (select count(*) from fct_timeline_events), "
                   "(select count(*) from dim_entities), (select count(*) from fct_genai_approvals)")[0]
    lines = [
        f"published warehouse: filings {totals[0]:,}, timeline events {totals[1]:,}, entities {totals[2]:,}, "
        f"genAI approvals {totals[3]:,}",
        check(set(batches) == announced, f"every announced list is in fct_list_batches: {len(batches)} of "
              f"{len(announced)} (mirror built from {shared})"),
        check(set(parsed) == set(per_list), f"parsed lists = lists with a file in ../shared: {len(parsed)} of "
              f"{len(per_list)}; the others: {dict(others)}"),
        check(set(others) <= {"not_available"}, "no announced list failed (the rest answer 404: not_available)"),
        check(all(parsed.get(k, (0, -1))[1] == n for k, n in per_list.items()),
              f"parsed rows per list = CSV rows per list (sum {sum(per_list.values()):,} = "
              f"{sum(v[1] for v in parsed.values()):,})"),
        check(all(v[3] for v in parsed.values()) and all(v[1] == v[2] for v in parsed.values() if v[2] is not None),
              f"every parsed list reconciled with its announced count ({sum(bool(v[3]) for v in parsed.values())} "
              f"of {len(parsed)})"),
        check(listed[0] == listed[1] == len({r["备案编号"] for r in rows}),
              f"filings from lists {listed[0]:,} = distinct 备案编号 in the list CSVs "
              f"{len({r['备案编号'] for r in rows}):,}"),
        check(events == triples, f"filing_listed events {events:,} = (备案编号, list) pairs in the CSVs {triples:,}"),
        check(by_period == expected_genai and len(reconciliation) == len(periods),
              f"genAI lists: {len(reconciliation)} of {len(periods)}, rows per table = genai_rows.csv + ondevice "
              f"({sum(genai.values()):,} rows)"),
        check(statuses["unexplained_difference"] == 0 and all(v[3] for v in reconciliation.values()),
              f"genAI reconciliation statuses {dict(statuses)}"),
        check(cancellations <= cancelled and cancelled == cancellations | noted,
              f"cancelled filings {len(cancelled)} = {len(cancellations)} from the notices + "
              f"{len(noted - cancellations)} marked 已注销 in a list"),
        check(synthetic == 0, f"invented filings {synthetic}"),
    ]
    return lines, failed


def lease_check(loser: Demo, winner: Demo, home: Path) -> tuple[str, list[str]]:
    """The refused run's message against the winner's lease: (the message, failed checks)."""
    found = LEASE_MESSAGE.search(loser.text())
    if not found:
        return "(no lease message)", ["the refused run names no lease"]
    path, run, pid, host, since = found.groups()
    failed = []
    if Path(path) != buildlock.lease_path(home):
        failed.append(f"lease path {path}")
    if int(pid) != winner.proc.pid or not run.startswith(f"demo/{winner.proc.pid}-"):
        failed.append(f"holder pid {pid} / run {run} is not the winner (pid {winner.proc.pid})")
    if host != socket.gethostname():
        failed.append(f"host {host}")
    return found.group(0), [f"lease message: {f}" for f in failed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between the two starts (default 5)")
    parser.add_argument("--after-first-exit", action="store_true", help="start the second when the first has ended")
    parser.add_argument("--lock-wait", type=float, default=0.0,
                        help="REGTRAIL_BUILD_LOCK_WAIT for both runs (default 0: the second fails at once)")
    parser.add_argument("--home", type=Path, help="REGTRAIL_HOME to use (default: a fresh temporary folder)")
    parser.add_argument("--poll", type=float, default=0.2, help="reader poll interval, seconds (default 0.2)")
    parser.add_argument("--tail", type=int, default=6, help="last lines of each run's output to print")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="concurrent-demo-") as tmp:
        home = (args.home or Path(tmp) / "home").resolve()
        home.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        poller = Poller(home, args.poll, started, warehouse.build_fingerprint())
        reader = threading.Thread(target=poller.run, daemon=True)
        reader.start()
        demos = [Demo("first", Path(tmp) / "first.out"), Demo("second", Path(tmp) / "second.out")]
        demos[0].start(home, args.lock_wait)
        if args.after_first_exit:
            demos[0].proc.wait()
        else:
            time.sleep(args.gap)
        demos[1].start(home, args.lock_wait)
        for demo in demos:
            demo.proc.wait()
        while any(d.code is None for d in demos):
            time.sleep(0.05)
        time.sleep(args.poll * 2)
        poller.stop.set()
        reader.join()
        poller.poll()  # one last look after both ended
        return report(args, home, started, demos, poller)


def report(args: argparse.Namespace, home: Path, started: float, demos: list[Demo], poller: Poller) -> int:
    failed: list[str] = []
    mode = "after the first ended" if args.after_first_exit else f"{args.gap:.0f} s after the first"
    mode += f", REGTRAIL_BUILD_LOCK_WAIT={args.lock_wait:.0f}" if args.lock_wait else ""
    print(f"two `regtrail demo` (the Makefile's demo target) on REGTRAIL_HOME={home}, the second {mode}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for demo in demos:
        tail = demo.text().rstrip().splitlines()[-args.tail:]
        print(f"\n{demo.label}: pid {demo.proc.pid}, started at {demo.started - started:.1f} s, exit {demo.code}, "
              f"wall {demo.ended - demo.started:.1f} s; last lines:")
        print("\n".join(f"    {line[:300]}" for line in tail))
    codes = sorted(d.code for d in demos)
    winners = [d for d in demos if d.code == 0]
    if args.after_first_exit or args.lock_wait:
        if codes != [0, 0]:
            failed.append(f"exit codes {codes}, expected [0, 0]")
    else:
        if codes != [0, LOCKED]:
            failed.append(f"exit codes {codes}, expected [0, {LOCKED}]")
        loser = next((d for d in demos if d.code == LOCKED), None)
        if loser and winners:
            message, problems = lease_check(loser, winners[0], home)
            print(f"\nthe refused run's message: {message}")
            failed += problems
    print(f"\nreader: {poller.polls} polls every {args.poll} s, {poller.reads} reads of the published warehouse, "
          f"{len(poller.errors)} reader errors, {len(poller.mixed)} mixed views, "
          f"{len(poller.seen)} publications seen")
    for error in poller.errors[:5]:
        print(f"  reader error at {error}")
    for mixed in poller.mixed[:5]:
        print(f"  mixed: {mixed}")
    failed += [f"{len(poller.errors)} reader errors"] * bool(poller.errors)
    failed += [f"{len(poller.mixed)} mixed views"] * bool(poller.mixed)
    for seen in poller.seen.values():
        rows = ", ".join(f"{m} {n:,}" for m, n in sorted(seen.rows.items()))
        print(f"  publication {seen.stamp} first seen at {seen.at:.1f} s: run {seen.run!r}, {seen.tests}; "
              f"{'complete' if not seen.problems else 'PROBLEMS: ' + '; '.join(seen.problems)}\n    rows: {rows}")
        failed += [f"publication {seen.stamp}: {p}" for p in seen.problems]
    if len(poller.seen) != len(winners):
        failed.append(f"{len(poller.seen)} publications seen for {len(winners)} successful runs")
    current = poller.current()
    last = poller.seen.get(current or "")
    if winners and (last is None or not last.run.startswith(f"demo/{winners[-1].proc.pid}-")):
        failed.append(f"the current publication is not the last successful run's ({last.run if last else None})")
    if current:
        lines, problems = reconcile(home, settings.shared_dir())
        print("\nreconciliation of the published warehouse on the shared data:")
        print("\n".join(lines))
        failed += problems
    else:
        failed.append("nothing was published")
    print(f"\n{'all invariants hold' if not failed else 'FAILED: ' + '; '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
