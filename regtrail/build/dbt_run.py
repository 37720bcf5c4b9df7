"""One `dbt build` of the warehouse as one Airflow task, with dbt's per-node results made visible.

The cheap way to run dbt from Airflow: one process pays dbt's start-up and manifest load once for every
model and test (one Airflow task per model pays them per model). What a task per model shows in the UI
is kept here: every node's status, time and rows are printed as a table in the task log and returned
(an XCom), read from dbt's `run_results.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

from regtrail import settings

DBT_DIR = settings.dbt_project_dir()
PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's saved parse, in its target folder


# dbt's unit tests check the models' SQL on fixed rows, not the data: dbt Labs advises running them in
# development and CI only. The product's dbt processes leave them out (about 1 s of each build);
# `make test` runs them (tests/test_dbt_unit_tests.py), as does a `dbt build` typed by hand.
NO_UNIT_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}


def dbt_env(home: Path | None = None) -> dict[str, str]:
    """The environment of a dbt process: the build file, the log root, no telemetry, no unit tests."""
    home = home or settings.home()
    return {**os.environ, "REGTRAIL_HOME": str(home), "REGTRAIL_BUILD_DB": str(settings.build_db(home)),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1", **NO_UNIT_TESTS, **settings.log_env()}


def profiles_dir(home: Path | None = None) -> Path:
    """The folder holding the dbt profile: the project's own, or, when the event log is on an object store
    (REGTRAIL_LOG=s3://...), a copy under `$REGTRAIL_HOME/dbt/` that registers that fsspec filesystem
    with DuckDB (dbt-duckdb's `filesystems:`), so the models read the segments where they are."""
    root = settings.log_root()
    if not isinstance(root, str):
        return DBT_DIR
    protocol = root.split("://", 1)[0]
    profile = (DBT_DIR / "profiles.yml").read_text(encoding="utf-8")
    entry = f"      filesystems:\n        - fs: {protocol}\n"
    with_fs = profile.replace("      settings:\n", entry + "      settings:\n", 1)
    if with_fs == profile:
        raise RuntimeError("dbt_project/profiles.yml has no `settings:` entry to put `filesystems:` beside")
    folder = (home or settings.home()) / "dbt" / f"profile-{protocol}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "profiles.yml"
    if not target.exists() or target.read_text(encoding="utf-8") != with_fs:
        temporary = folder / f".profiles.{os.getpid()}.tmp"
        temporary.write_text(with_fs, encoding="utf-8")
        os.replace(temporary, target)
    return folder


class Invocation(NamedTuple):
    """One dbt process: its command line, environment and working folder (run it there: the profile's build
    file is given relative to it)."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


def command(args: list[str], home: Path, work: Path, build_db: Path | None = None,
            logs: Path | None = None, project: Path = DBT_DIR) -> Invocation:
    """One dbt invocation on the project (`args`: `build`, `docs generate`, ...): the profile of `profiles_dir`
    (with the log's filesystem), the target folder under `work`, dbt's log in `logs` (default: under `work`),
    the build file `build_db` (default: as in `dbt_env`), run in `work`. `project`: another copy of the
    project (the tests' edited copies).

    The build file is named relative to `work` (`../build/warehouse.duckdb` in a home), because dbt keeps a
    saved parse (`target/partial_parse.msgpack`) only while the profile is unchanged, file path included: so a
    parse is reused by any invocation with the same layout, e.g. the publication's `dbt docs generate`
    (`reuse_parse`), and the project's models never read the log's location while dbt parses."""
    env = dbt_env(home)
    target = Path(env["REGTRAIL_BUILD_DB"]) if build_db is None else build_db
    work.mkdir(parents=True, exist_ok=True)
    env["REGTRAIL_BUILD_DB"] = os.path.relpath(target.resolve(), work.resolve())  # as the process will see it
    argv = [sys.executable, "-m", "regtrail.build.dbt_cli", *args, "--project-dir", str(project), "--profiles-dir",
            str(profiles_dir(home)), "--target-path", str(work / "target"), "--log-path", str(logs or work / "logs")]
    return Invocation(argv, env, work)


def reuse_parse(done: Path, work: Path) -> bool:
    """Start dbt's target folder in `work` with the saved parse of an earlier invocation whose work folder was
    `done` (when `work` has none). dbt checks that the project, profile and dbt version are unchanged and
    parses again whatever differs, so this is only ever faster. Whether a saved parse was copied."""
    saved, target = done / "target" / PARTIAL_PARSE, work / "target" / PARTIAL_PARSE
    if target.exists() or not saved.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(saved, target)
    return True


def build(home: Path | None = None, *, extra_args: list[str] | None = None) -> dict[str, Any]:
    """Run `dbt build` into the build file; print and return per-node results; raise if any node failed.

    dbt's target and log folders live under `$REGTRAIL_HOME/dbt/`, kept between runs so dbt's partial
    parsing skips re-reading an unchanged project (the repository's own `dbt_project/target` is left to
    the DAG parser).
    """
    home = home or settings.home()
    work = settings.dbt_work_dir(home)
    argv, env, cwd = command(["build", *(extra_args or [])], home, work)
    print("+", " ".join(argv), flush=True)
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    print(done.stdout[-20000:], flush=True)
    if done.stderr.strip():
        print(done.stderr[-5000:], file=sys.stderr, flush=True)
    results_file = work / "target" / "run_results.json"
    summary = summarize(json.loads(results_file.read_text())) if results_file.exists() else {}
    if summary:
        print(format_table(summary), flush=True)
    if done.returncode != 0:
        failed = [node for node, r in summary.get("nodes", {}).items() if r["status"] in {"error", "fail"}]
        raise RuntimeError(f"dbt build failed (exit {done.returncode}); failed nodes: {failed or 'see log'}")
    return summary


def summarize(run_results: dict[str, Any]) -> dict[str, Any]:
    """Per-node status, seconds and rows from a `run_results.json`, plus totals by status."""
    nodes: dict[str, dict[str, Any]] = {}
    for result in run_results.get("results", []):
        rows = (result.get("adapter_response") or {}).get("rows_affected")
        nodes[result["unique_id"]] = {"status": result["status"], "seconds": round(result["execution_time"], 3),
                                      "rows": rows, "failures": result.get("failures")}
    counts: dict[str, int] = {}
    for node in nodes.values():
        counts[node["status"]] = counts.get(node["status"], 0) + 1
    return {"elapsed": round(run_results.get("elapsed_time", 0.0), 3), "counts": counts, "nodes": nodes}


def format_table(summary: dict[str, Any]) -> str:
    """The per-node results as a fixed-width table, models first, slowest first within a kind."""
    def order(item: tuple[str, dict[str, Any]]) -> tuple[int, float]:
        kind = item[0].split(".", 1)[0]
        return ({"seed": 0, "model": 1}.get(kind, 2), -item[1]["seconds"])

    lines = [f"dbt build: {summary['elapsed']:.1f} s, " + ", ".join(f"{n} {s}" for s, n in summary["counts"].items()),
             f"{'node':<72} {'status':<8} {'seconds':>8} {'rows':>9}"]
    for node, result in sorted(summary["nodes"].items(), key=order):
        rows = "" if result["rows"] is None else str(result["rows"])
        lines.append(f"{node:<72} {result['status']:<8} {result['seconds']:>8.2f} {rows:>9}")
    return "\n".join(lines)
