"""`regtrail demo` (`make demo`): run the whole pipeline on the bundled mirror (the crawl DAGs, then the warehouse
DAG, each with `airflow dags test`) and print what it built."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import duckdb
from rich.console import Console
from rich.status import Status

from regtrail import settings
from regtrail.analyst import redaction
from regtrail.analyst.safe import visible
from regtrail.build import buildlock, dbt_run
from regtrail.ops import airflow_env, orchestration

BIN = Path(sys.executable).parent
LOCKED = 75  # EX_TEMPFAIL: another build holds the lease; try again when it has published
TASK_IN_LOG = re.compile(r"regtrail_\w+\.([\w.]+)|task_id=([\w.]+)")


@contextmanager
def mirror_running() -> Iterator[str]:
    """Use REGTRAIL_MIRROR when set; otherwise start the bundled mirror on a free loopback port."""
    if settings.mirror_origin():
        yield settings.mirror_origin()
        return
    with tempfile.TemporaryDirectory() as tmp:
        origin_file = Path(tmp) / "origin"
        proc = subprocess.Popen([sys.executable, "-m", "regtrail", "mirror", "--port", "0",
                                 "--print-origin-file", str(origin_file)], cwd=settings.home())
        try:
            for _ in range(200):
                if origin_file.exists() and origin_file.read_text().strip():
                    break
                if proc.poll() is not None:
                    raise RuntimeError("the mirror server exited during start-up")
                time.sleep(0.05)
            origin = origin_file.read_text().strip()
            os.environ["REGTRAIL_MIRROR"] = origin
            yield origin
        finally:
            os.environ.pop("REGTRAIL_MIRROR", None)
            proc.terminate()
            proc.wait(timeout=10)


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **{"cwd": settings.home(), **kwargs})


def prepare_airflow() -> None:
    """dbt manifest for fast DAG parsing, migrated SQLite metadata, the one-slot dbt pool.

    The parse is the build's (`dbt_run.command`: same work folder and profile), so the first build reuses it."""
    parse = dbt_run.command(["parse", "--quiet"], settings.home(), settings.dbt_work_dir())
    run(parse.argv, env=parse.env, cwd=parse.cwd)
    run([str(BIN / "airflow"), "db", "migrate"], stdout=subprocess.DEVNULL)
    run([str(BIN / "airflow"), "pools", "set", airflow_env.DBT_POOL, "1", "one dbt writer at a time"],
        stdout=subprocess.DEVNULL)


@contextmanager
def phase(console: Console, title: str) -> Iterator[Status]:
    """A spinner while a phase of the demo runs, then one line with its wall time."""
    started = time.monotonic()
    with console.status(title) as status:
        yield status
    console.print(f"[green]✓[/green] {title} ({time.monotonic() - started:.1f} s)")


def run_dag(dag_id: str, log: IO[str], log_file: Path, status: Status) -> int:
    """`airflow dags test` with its output appended to `log_file`; the spinner shows the task it is on."""
    started = time.monotonic()
    proc = subprocess.Popen([str(BIN / "airflow"), "dags", "test", dag_id], cwd=settings.home(),
                            stdout=log, stderr=subprocess.STDOUT)
    task = ""
    while proc.poll() is None:
        time.sleep(0.5)
        found = TASK_IN_LOG.findall(log_file.read_text(errors="replace")[-20000:])
        task = next((a or b for a, b in reversed(found)), task)
        status.update(f"DAG run {dag_id}: {task or 'starting'} ({time.monotonic() - started:.0f} s)")
    return proc.returncode


def summary(warehouse: Path, entity: str = "Huawei") -> str:
    """Per-batch counts and one entity's timeline, as printed at the end of the demo."""
    lines = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select list_type, batch_label, published_at, parsed_rows, expected_count, reconciled, status, "
            "failure from fct_list_batches "
            "order by list_type, strptime(replace(batch_label, '月', ''), '%Y年%m')"
        ).fetchall()
        lines.append(f"{'list type':<20} {'batch':<10} {'published':<11} {'rows':>5} {'expected':>8}  reconciled")
        for list_type, label, published, parsed, expected, ok, status, failure in rows:
            verdict = ("yes" if ok else "NO") if status == "parsed" else f"{status.replace('_', ' ')}: {failure}"
            lines.append(f"{list_type:<20} {label:<10} {str(published or ''):<11} {parsed or '':>5} "
                         f"{'' if expected is None else expected:>8}  {verdict}")
        totals = con.execute(
            "select (select count(*) from fct_filings), (select count(*) from fct_timeline_events), "
            "(select count(*) from dim_entities), "
            "(select count(*) from fct_quarantined_segments where status = 'awaiting_replay')"
        ).fetchone()
        lines.append(f"\nfilings {totals[0]}, timeline events {totals[1]}, entities {totals[2]}")
        lines.append(failure_line(con))
        if totals[3]:
            lines.append(f"unreadable event segments awaiting `regtrail replay`: {totals[3]} "
                         "(see fct_quarantined_segments)")
        timeline = con.execute(
            "select event_date, event_type, coalesce(entity_name, entity_group), filing_number, "
            "coalesce(list_id, source_url) from fct_timeline_events "
            "where lower(entity_group) = lower(?) or lower(entity_name_en) = lower(?) "
            "or entity_name like '%' || ? || '%' order by event_date, event_type, filing_number",
            [entity, entity, entity],
        ).fetchall()
        lines.append(f"\ntimeline of {entity} ({len(timeline)} events):")
        lines += [f"  {d}  {t:<18} {e}  {f or ''}  {where or ''}" for d, t, e, f, where in timeline]
    return visible("\n".join(lines))  # names and URLs come from documents: no escape reaches the terminal


def failure_line(con: duckdb.DuckDBPyConnection) -> str:
    """URLs the regulator does not serve (HTTP 404/410: "not available", not a failure) apart from URLs
    still failing to fetch or parse, and failures a later attempt or parser resolved."""
    gone, failing, resolved = con.execute("""
        select count(*) filter (where not resolved and stage = 'fetch' and status in (404, 410)),
               count(*) filter (where not resolved and not (stage = 'fetch' and coalesce(status in (404, 410), false))),
               count(*) filter (where resolved)
        from fct_fetch_failures""").fetchone()
    return (f"URLs not available (HTTP 404/410) {gone}, URLs failing to fetch or parse {failing}, "
            f"failures resolved by a later attempt {resolved} (see fct_fetch_failures)")


def main() -> int:
    """The demo; returns the failed DAG run's exit code, or 0 when everything was built and published."""
    started = time.monotonic()
    console = Console(stderr=True)
    env = airflow_env.apply()
    root = Path(env["REGTRAIL_HOME"])
    root.mkdir(parents=True, exist_ok=True)
    redaction.private_dir(Path(env["AIRFLOW_HOME"]))  # task logs and the generated admin password live there
    run = f"demo/{os.getpid()}-{time.strftime('%Y%m%dT%H%M%S')}"
    try:
        # The whole demo holds the build lease; the DAG's prepare_build and publish join it (same run).
        with buildlock.held(root, run):
            os.environ["REGTRAIL_BUILD_RUN"] = run
            return _run_demo(env, started, console)
    except buildlock.BuildLocked as locked:
        print(f"make demo: {locked}", file=sys.stderr)
        return LOCKED
    finally:
        os.environ.pop("REGTRAIL_BUILD_RUN", None)


def _run_demo(env: dict[str, str], started: float, console: Console) -> int:
    with ExitStack() as mirror:
        with phase(console, "starting the offline mirror"):
            origin = mirror.enter_context(mirror_running())
        print(f"mirror: {origin}; REGTRAIL_HOME={env['REGTRAIL_HOME']}", flush=True)
        with phase(console, "preparing Airflow: dbt manifest, metadata database, dbt pool"):
            prepare_airflow()
        log_file = Path(env["REGTRAIL_HOME"]) / "logs" / "demo-dags-test.log"
        with redaction.private_log(log_file) as log:  # 0600 in a 0700 folder: task logs may name secrets
            for dag_id, what in [*((d, "crawl every source") for d in orchestration.crawl_dags()),
                                 (orchestration.WAREHOUSE_DAG, "dbt build, publish")]:
                print(f"+ airflow dags test {dag_id}   (log: {log_file})", flush=True)
                with phase(console, f"DAG run {dag_id}: {what}") as status:
                    code = run_dag(dag_id, log, log_file, status)
                if code != 0:
                    log.flush()
                    print(log_file.read_text(errors="replace")[-6000:])
                    print(f"the run of {dag_id} failed; full log in {log_file}", file=sys.stderr)
                    return code
    print(summary(settings.warehouse_path()))
    root = settings.home()
    print(f"\nwarehouse  {settings.warehouse_path()}   (read-only: duckdb.connect(path, read_only=True))")
    print(f"report     {root / 'report' / 'index.html'}")
    print(f"exports    {root / 'exports'}   (one Parquet file per mart)")
    print(f"dbt docs   {root / 'docs' / 'static_index.html'}")
    print(f"analyst    {BIN / 'regtrail'} timeline Huawei")
    print(f"\ndemo wall time {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
