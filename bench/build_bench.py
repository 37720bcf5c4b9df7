"""Warehouse build figures on a synthetic event log (regtrail.mirror.synthetic_events); prints them, asserts nothing.

    .venv/bin/python bench/build_bench.py [--events N] [--increment 0.01] [--queries 50] [--keep DIR]
    BENCH_EVENTS=200000 .venv/bin/python bench/build_bench.py      # a quicker run

1. A log of about N record events (default 1,000,000, or $BENCH_EVENTS) in a new temporary home.
2. Full build: `dbt build` into a fresh file. Wall time, and peak memory of the dbt process (DuckDB runs
   inside it), from os.wait4's ru_maxrss. The project is parsed once beforehand (`dbt parse`, not timed),
   so both builds start from the same partial-parse state. With --also-memory-limit, one more full
   build of the same log with DuckDB's memory_limit set (a copy of the profile).
3. The build file is moved aside (as publish renames it), about 1% new record events are appended (the
   next crawl run plus a replay of an old list with a newer parser), the published file is copied back
   to the build path (what a build starts from once a warehouse is published), then the incremental
   `dbt build`: wall time and its ratio to the full build.
4. The same build again with nothing new in the log: the fixed cost every build pays.
5. The floor: a no-change build of a tiny synthetic log (about 6,000 events: what the project costs with next to
   no data). Then the same build run warm (median of 3): by dbtRunner in one process that has imported dbt
   and parsed the project already, so the difference is what dbt's start-up adds to every build.
6. Entity timeline latency: median of --queries runs of the analyst query on fct_timeline_events.
The figures are also written to docs/figures/build_bench.json (--no-record: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from bench import figures  # noqa: E402
from regtrail.mirror import synthetic_events  # noqa: E402

DBT = Path(sys.executable).with_name("dbt")
TIMELINE_SQL = "select * from fct_timeline_events where entity_name like '%华为%' order by event_date"
INCREMENTAL_MODELS = {
    "stg_regtrail__record_events", "stg_cac__filings", "int_filing_observations", "int_filing_versions"}


def profile_memory_limit() -> str | None:
    """The DuckDB memory_limit set in dbt_project/profiles.yml, if any."""
    match = re.search(r"^\s+memory_limit:\s*(\S+)", (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8"),
                      re.MULTILINE)
    return match.group(1) if match else None


def profiles_dir(work: Path, memory_limit: str | None) -> Path:
    """dbt_project/ itself, or a copy of its profiles.yml with this DuckDB memory_limit ("none": without one)."""
    if not memory_limit:
        return REPO / "dbt_project"
    text = (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    if "      settings:\n" not in text:
        sys.exit("dbt_project/profiles.yml has no `settings:` block to extend")
    text = re.sub(r"^\s+memory_limit:.*\n", "", text, flags=re.MULTILINE)
    if memory_limit.lower() != "none":
        text = text.replace("      settings:\n", f"      settings:\n        memory_limit: {memory_limit}\n", 1)
    folder = work / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / "profiles.yml").write_text(text, encoding="utf-8")
    return folder


def dbt_env(home: Path, build_file: Path) -> dict[str, str]:
    """The environment of a dbt command over the log in `home`, building `build_file`."""
    return dict(os.environ, REGTRAIL_HOME=str(home), REGTRAIL_BUILD_DB=str(build_file),
                DBT_SEND_ANONYMOUS_USAGE_STATS="false")


def dbt_options(work: Path, profiles: Path | None = None) -> list[str]:
    """Project, profile, target and log options of a dbt command whose artifacts go into `work`."""
    return ["--project-dir", "dbt_project", "--profiles-dir", str(profiles or REPO / "dbt_project"),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs")]


def dbt(command: str, home: Path, build_file: Path, work: Path, *args: str, profiles: Path | None = None) -> dict:
    """Run one dbt command; returns wall seconds, peak RSS (MiB) of the dbt process, exit code."""
    env = dbt_env(home, build_file)
    argv = [str(DBT), command, *dbt_options(work, profiles), *args]
    log = open(work / f"{command}-{time.monotonic_ns()}.out", "w")  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if process.returncode != 0:
        print(Path(log.name).read_text()[-3000:], file=sys.stderr)
    result = {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024), "exit": process.returncode,
              "command": " ".join(["dbt", command, *args])}
    results = work / "target" / "run_results.json"
    if command == "build" and results.exists():
        result["nodes"] = breakdown(json.loads(results.read_text(encoding="utf-8")), wall)
    return result


def breakdown(results: dict, wall: float) -> dict:
    """Seconds spent per kind of node, and outside nodes (interpreter start-up, parsing, compiling)."""
    spent = {"incremental_models": 0.0, "marts": 0.0, "other_models": 0.0, "tests": 0.0, "seeds": 0.0}
    slowest = []
    for node in results["results"]:
        kind, _, name = node["unique_id"].split(".")[:3]
        seconds = node["execution_time"]
        slowest.append((seconds, name))
        if kind == "test":
            spent["tests"] += seconds
        elif kind == "seed":
            spent["seeds"] += seconds
        elif name in INCREMENTAL_MODELS:
            spent["incremental_models"] += seconds
        elif name.startswith(("fct_", "dim_")):
            spent["marts"] += seconds
        else:
            spent["other_models"] += seconds
    spent = {key: round(value, 1) for key, value in spent.items()}
    spent["outside_nodes"] = round(wall - sum(spent.values()), 1)
    spent["node_count"] = len(slowest)
    tests = sorted(seconds for seconds, name in slowest if name.startswith(("not_null", "unique", "accepted")))
    if tests:
        spent["fastest_test_s"] = round(tests[0], 3)  # dbt's own cost of one node, the query being trivial
    spent["slowest"] = [f"{name} {seconds:.1f}" for seconds, name in sorted(slowest, reverse=True)[:4]]
    return spent


def timeline_latency(build_file: Path, runs: int) -> dict:
    """Median and p90 of the query, result as Arrow (BI tools, pandas) and as Python tuples (fetchall)."""
    figures: dict = {"runs": runs}
    with duckdb.connect(str(build_file), read_only=True) as con:
        fetchers = {"arrow": lambda: con.sql(TIMELINE_SQL).to_arrow_table().num_rows,
                    "fetchall": lambda: len(con.execute(TIMELINE_SQL).fetchall())}
        for name, fetch in fetchers.items():
            figures["rows_returned"] = fetch()  # warm-up
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                fetch()
                times.append(time.perf_counter() - started)
            times.sort()
            figures[f"{name}_median_ms"] = round(statistics.median(times) * 1000, 1)
            figures[f"{name}_p90_ms"] = round(times[int(0.9 * (runs - 1))] * 1000, 1)
        figures["timeline_rows"] = con.execute("select count(*) from fct_timeline_events").fetchone()[0]
    return figures


def counts(build_file: Path) -> dict:
    with duckdb.connect(str(build_file), read_only=True) as con:
        return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in (
            "staging.stg_regtrail__record_events", "intermediate.int_filing_observations", "fct_filings",
            "fct_timeline_events")}


WARM_BUILDS = """
import json, statistics, sys, time
from dbt.cli.main import dbtRunner
args, runs = json.loads(sys.argv[1]), int(sys.argv[2])
parsed = dbtRunner().invoke(["parse", *args])
runner = dbtRunner(manifest=parsed.result)
times = []
for _ in range(runs + 1):  # the first build warms the adapter and the caches
    started = time.perf_counter()
    assert runner.invoke(["build", *args]).success
    times.append(time.perf_counter() - started)
print(json.dumps({"warm_median_s": round(statistics.median(times[1:]), 2), "warm_runs": runs}))
"""


def fixed_cost_floor(work: Path, profiles: Path, events: int = 2000, warm_runs: int = 3) -> dict:
    """A no-change build of a tiny log (the generator's smallest for `events`; full build first, not timed),
    then the median of `warm_runs` such builds by dbtRunner in one process (dbt imported, project parsed)."""
    tiny = work / "tiny"
    tiny.mkdir(exist_ok=True)
    state = synthetic_events.write_log(tiny / "home", events)
    build_file = tiny / "warehouse.duckdb"
    dbt("parse", tiny / "home", build_file, tiny, profiles=profiles)
    dbt("build", tiny / "home", build_file, tiny, profiles=profiles)
    result = dbt("build", tiny / "home", build_file, tiny, profiles=profiles)
    args = [*dbt_options(tiny, profiles), "--quiet"]
    warm = subprocess.run([sys.executable, "-c", WARM_BUILDS, json.dumps(args), str(warm_runs)], cwd=REPO,
                          env=dbt_env(tiny / "home", build_file), capture_output=True, text=True, check=True)
    return {**result, **json.loads(warm.stdout.strip().splitlines()[-1]), "events": state.record_events}


NODE_KINDS = ("incremental_models", "marts", "other_models", "tests", "seeds", "outside_nodes", "node_count")


def recorded(state_events: int, memory_limit: str, builds: dict[str, dict], added: int, ratio: float, copy_s: float,
             floor: dict, latency: dict) -> dict:
    """The figures docs/performance.md quotes, flat: each build's wall time and seconds by node kind."""
    values: dict = {"events": state_events, "memory_limit": memory_limit, "added_events": added,
                    "incremental_ratio": round(ratio, 3), "copy_s": round(copy_s, 2), "floor_events": floor["events"],
                    "floor_warm_s": floor["warm_median_s"], "full_peak_mib": builds["full"]["peak_rss_mib"],
                    "fastest_test_s": builds["floor"]["nodes"].get("fastest_test_s")}
    for name, build in builds.items():
        values[f"{name}_wall_s"] = build["wall_s"]
        values |= {f"{name}_{kind}": build["nodes"][kind] for kind in NODE_KINDS}
    return values | {key: latency[key] for key in ("rows_returned", "timeline_rows", "arrow_median_ms", "arrow_p90_ms",
                                                   "fetchall_median_ms", "fetchall_p90_ms")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000")))
    parser.add_argument("--increment", type=float, default=0.01, help="new events, as a share of --events")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the builds, e.g. 1500MB, or none (a copy "
                        "of the profile with this setting; default: the profile as it is)")
    parser.add_argument("--also-memory-limit", default=os.environ.get("BENCH_MEMORY_LIMIT"),
                        help="also time one more full build of the same log with this memory_limit, e.g. none or 3GB "
                        "(default $BENCH_MEMORY_LIMIT)")
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("build_bench", args)
    work = args.keep or Path(tempfile.mkdtemp(prefix="regtrail-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    home, full_file = work / "home", work / "build" / "warehouse.duckdb"
    published = work / "published" / "warehouse.duckdb"
    for folder in (full_file.parent, published.parent):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        state = synthetic_events.write_log(home, args.events)
        generated = time.perf_counter() - started
        print(f"synthetic log: {state.record_events:,} record events, {state.lists} lists, "
              f"written in {generated:.1f} s (python -m regtrail.mirror.synthetic_events HOME --events {args.events})")

        profiles = profiles_dir(work, args.memory_limit)
        dbt("parse", home, full_file, work, profiles=profiles)
        full = dbt("build", home, full_file, work, profiles=profiles)
        print(f"full build: {full['wall_s']} s, peak memory {full['peak_rss_mib']} MiB, exit {full['exit']} "
              f"({full['command']} into a fresh file; targets <= 60 s, <= 2048 MiB; "
              f"memory_limit {args.memory_limit or profile_memory_limit() or 'not set'})")
        print(f"  seconds by node kind: {full.get('nodes')}")
        print(f"rows: {counts(full_file)}")
        limited = None
        if args.also_memory_limit:
            other = work / "limited"
            other.mkdir(exist_ok=True)
            limited_profiles = profiles_dir(other, args.also_memory_limit)
            dbt("parse", home, other / "warehouse.duckdb", other, profiles=limited_profiles)
            limited = dbt("build", home, other / "warehouse.duckdb", other, profiles=limited_profiles)
            print(f"full build, same log, memory_limit {args.also_memory_limit}: {limited['wall_s']} s, peak memory "
                  f"{limited['peak_rss_mib']} MiB, exit {limited['exit']}")
            (other / "warehouse.duckdb").unlink(missing_ok=True)
        os.replace(full_file, published)  # what publish does

        extra = synthetic_events.append(home, int(args.events * args.increment))
        added = extra.record_events - state.record_events
        incremental_file = full_file  # the same build path (a new path would make dbt re-parse the project)
        started = time.perf_counter()
        shutil.copy2(published, incremental_file)  # the build starts from the published warehouse
        copy_s = time.perf_counter() - started
        incremental = dbt("build", home, incremental_file, work, profiles=profiles)
        ratio = incremental["wall_s"] / full["wall_s"]
        with_copy = (incremental["wall_s"] + copy_s) / full["wall_s"]
        size_mib = published.stat().st_size / 2**20
        print(f"incremental build: +{added:,} record events ({added / state.record_events:.2%}, incl. a replay): "
              f"{incremental['wall_s']} s, peak {incremental['peak_rss_mib']} MiB, exit {incremental['exit']}; "
              f"ratio to full {ratio:.1%} (target <= 15%); copying the {size_mib:.0f} MiB warehouse first "
              f"took {copy_s:.2f} s ({with_copy:.1%} with the copy)")
        print(f"  seconds by node kind: {incremental.get('nodes')}")

        unchanged = dbt("build", home, incremental_file, work, profiles=profiles)  # nothing new in the log
        print(f"no-change build (0 new events, same command on the result): {unchanged['wall_s']} s, exit "
              f"{unchanged['exit']}; {unchanged['wall_s'] / full['wall_s']:.1%} of the full build: the fixed cost "
              f"every build pays (dbt start-up, {unchanged.get('nodes', {}).get('node_count', '?')} nodes, "
              "small tables rebuilt, data tests: incremental models over their latest load, the rest whole)")
        print(f"  seconds by node kind: {unchanged.get('nodes')}")

        floor = fixed_cost_floor(work, profiles)
        print(f"floor: the same no-change build on a log of {floor['events']:,} record events: {floor['wall_s']} s "
              f"= {floor['wall_s'] / full['wall_s']:.1%} of the full build above; no build of this project "
              f"(dbt start-up, {floor.get('nodes', {}).get('node_count', '?')} nodes) costs less, whatever it loads")
        print(f"  seconds by node kind: {floor.get('nodes')}")
        warm = floor["warm_median_s"]
        print(f"floor, warm: the same build by dbtRunner in a process that has imported dbt and parsed the project: "
              f"{warm} s (median of {floor['warm_runs']}) = {warm / full['wall_s']:.1%} of the full build; "
              "dbt's start-up is the difference")

        latency = timeline_latency(incremental_file, args.queries)
        print(f"entity timeline ({TIMELINE_SQL}): {latency['rows_returned']} of {latency['timeline_rows']:,} rows; "
              f"median of {latency['runs']} runs {latency['arrow_median_ms']} ms as Arrow (p90 "
              f"{latency['arrow_p90_ms']}), {latency['fetchall_median_ms']} ms as Python tuples (p90 "
              f"{latency['fetchall_p90_ms']}); target <= 50 ms")
        print(json.dumps({"events": state.record_events, "full": full, "full_memory_limited": limited,
                          "added_events": added,
                          "incremental": incremental, "incremental_ratio": round(ratio, 3), "copy_s": round(copy_s, 2),
                          "no_change": unchanged, "floor": floor,
                          "timeline": latency}))
        failed = [name for name, build in (("full", full), ("incremental", incremental), ("no_change", unchanged),
                                           ("floor", floor)) if build["exit"] != 0]
        if failed:
            sys.exit(f"dbt build failed ({', '.join(failed)}): figures not recorded")
        recording.record(recorded(state.record_events, args.memory_limit or profile_memory_limit() or "not set",
                                {"full": full, "incremental": incremental, "no_change": unchanged, "floor": floor},
                                added, ratio, copy_s, floor, latency))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
