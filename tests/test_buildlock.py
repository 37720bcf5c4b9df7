"""One build at a time per REGTRAIL_HOME; publish only a prepared, tested build; one switch per publication.

The lease is exercised across real processes (the holder is another Python process, alive or killed);
in the concurrency scenario a complete build (prepare, a real `dbt build`, publish) holds the lease of a home
while two more builds start a second later, one failing fast and one waiting, and a reader polls the
published warehouse.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from regtrail.build import buildlock, publication, warehouse
from regtrail.ops import publish as publishing
from tests.support.events import write_sample_log
from tests.support.warehouse import (
    FULL,
    REPO_ROOT,
    adopt_sample_build,
    counts,
    published_sample,
    sample_build_file,
)

HOLD = r"""
import sys, time
from pathlib import Path
from regtrail.build import buildlock
buildlock.acquire(Path(sys.argv[1]), sys.argv[2], process_bound=sys.argv[3] == "1")
print("held", flush=True)
time.sleep(float(sys.argv[4]))
"""

# One build of a home: prepare, then a real `dbt build` (or, given a tested build file of this project, that file
# copied in: a build whose dbt step is instant), then publish.
BUILD = r"""
import os, shutil, subprocess, sys
from pathlib import Path
from regtrail.build import warehouse
from regtrail.ops import publish as publishing
home, work = Path(sys.argv[1]), Path(sys.argv[2])
target = warehouse.prepare_build(home)
print("prepared", flush=True)
if len(sys.argv) > 3:
    shutil.copy2(sys.argv[3], target)
else:
    env = dict(os.environ, REGTRAIL_HOME=str(home), REGTRAIL_BUILD_DB=str(target),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run([str(dbt), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
                           "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit("dbt build failed: " + done.stdout[-2000:])
print("published", publishing.publish(home, docs=False), flush=True)
"""


def hold(root: Path, run: str, *, process_bound: bool, seconds: float = 60) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), run, "1" if process_bound else "0", str(seconds)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_build_fails_fast_naming_the_holder(tmp_path: Path) -> None:
    holder = hold(tmp_path, "dag/run-1", process_bound=True)
    try:
        with pytest.raises(buildlock.BuildLocked) as refused:
            warehouse.prepare_build(tmp_path, run="dag/run-2")
        message = str(refused.value)
        for part in (str(buildlock.lease_path(tmp_path)), "'dag/run-1'", f"pid {holder.pid}", socket.gethostname(),
                     buildlock.holder(tmp_path).since):
            assert part in message
        assert not warehouse.build_path(tmp_path).exists() and warehouse.read_build_record(tmp_path) is None
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed: its process-bound lease is stale, the next build takes it
    assert "is gone" in buildlock.stale_reason(buildlock.holder(tmp_path))
    warehouse.prepare_build(tmp_path, run="dag/run-2")
    assert buildlock.holder(tmp_path).run == "dag/run-2" == warehouse.read_build_record(tmp_path)["run"]


def test_demo_exits_75_naming_the_holder(tmp_path: Path) -> None:
    """`regtrail demo` (what `make demo` runs) exits 75, not 1, when another build holds the lease."""
    holder = hold(tmp_path, "demo/4242-other", process_bound=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGTRAIL_", "AIRFLOW_"))}
    try:
        done = subprocess.run([str(Path(sys.executable).with_name("regtrail")), "demo"], cwd=REPO_ROOT,
                              env={**env, "REGTRAIL_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 75, (done.returncode, done.stderr[-2000:])
    for part in (f"another warehouse build holds {buildlock.lease_path(tmp_path)}", "run 'demo/4242-other'",
                 f"pid {holder.pid} on {socket.gethostname()}"):
        assert part in done.stderr
    assert not publication.versions_dir(tmp_path).exists()


def test_a_waiting_build_gets_the_lease_when_the_holder_ends(tmp_path: Path) -> None:
    holder = hold(tmp_path, "first", process_bound=True, seconds=1.5)
    started = time.monotonic()
    lease = buildlock.acquire(tmp_path, "second", process_bound=True, wait=30)
    assert lease.run == "second" and 0.5 < time.monotonic() - started < 30
    holder.wait()
    with pytest.raises(buildlock.BuildLocked, match="waited 1 s"):
        buildlock.acquire(tmp_path, "third", process_bound=True, wait=1)


def test_a_lease_for_tasks_in_other_processes_outlives_its_process_until_the_ttl(tmp_path: Path, monkeypatch) -> None:
    hold(tmp_path, "dag/run-1", process_bound=False, seconds=0).wait()  # prepare ran in a task that ended
    assert buildlock.stale_reason(buildlock.holder(tmp_path)) is None
    with pytest.raises(buildlock.BuildLocked):
        buildlock.acquire(tmp_path, "dag/run-2", process_bound=False)
    assert buildlock.acquire(tmp_path, "dag/run-1", process_bound=False).run == "dag/run-1"  # a retry of that run
    monkeypatch.setenv("REGTRAIL_BUILD_LOCK_TTL", "0")
    assert "older than" in buildlock.stale_reason(buildlock.holder(tmp_path))
    assert buildlock.acquire(tmp_path, "dag/run-2", process_bound=False).run == "dag/run-2"
    assert not buildlock.release(tmp_path, "dag/run-1") and buildlock.release(tmp_path, "dag/run-2")
    assert buildlock.holder(tmp_path) is None


@pytest.mark.dbt
def test_publish_refuses_a_build_it_cannot_trust(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    home = write_sample_log(tmp_path_factory.mktemp("refuse"))
    build = adopt_sample_build(base, home)

    def refused(match: str) -> None:
        with pytest.raises(warehouse.BuildRefused, match=match):
            publishing.publish(home, docs=False)
        assert not (home / "warehouse.duckdb").exists() and build.exists()

    record = warehouse.read_build_record(home)
    warehouse._record_path(home).unlink()
    refused("lacks its build record")
    warehouse._record_path(home).write_text(json.dumps({**record, "fingerprint": "sha256:other"}))
    refused("lacks this project's build fingerprint")
    warehouse._record_path(home).write_text(json.dumps(record))
    with duckdb.connect(str(build)) as con:
        runs = con.execute(f"select * from {warehouse.DBT_RUNS}").fetchall()
        assert runs and runs[-1][7] == 0 and runs[-1][6] == runs[-1][8] > 0, runs  # the sample build passed
        con.execute(f"update {warehouse.DBT_RUNS} set tests_failed = 1, tests_passed = tests_passed - 1")
    refused("did not pass its tests")
    with duckdb.connect(str(build)) as con:
        con.execute(f"update {warehouse.DBT_RUNS} set tests_failed = 0, tests_passed = project_tests")
        con.execute(f"insert into {warehouse.DBT_RUNS} select seq + 1, 'x', 'run', now(), 1, 0, 0, 0, project_tests "
                    f"from {warehouse.DBT_RUNS}")
    refused("models were built after the last test run")
    with duckdb.connect(str(build)) as con:
        con.execute(f"drop table {warehouse.DBT_RUNS}")
    refused("no record of a dbt test run")
    adopt_sample_build(base, home)
    assert counts(publishing.publish(home, docs=False)) == FULL


def resolved_set(home: Path) -> set[Path]:
    """The publication folder each published name resolves into."""
    return {(home / name).resolve().parent for name in (publication.WAREHOUSE, *publication.PUBLISHED)}


def consistent(home: Path) -> str:
    """The stamp of the current publication, after checking that every published name agrees on it."""
    (folder,) = resolved_set(home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        stamp = con.execute(f"select published from {warehouse.BUILD_INFO}").fetchone()[0]
    assert folder.name == stamp == json.loads((home / "exports" / "_publish.json").read_text())["published"]
    assert (home / "report" / "index.html").stat().st_size > 0
    return stamp


# Publishers of the sample build: this process imports once, then for each line it reads forks a child that prints
# its pid and publishes in a loop until it is killed, and reaps it.
PUBLISHERS = r"""
import os, shutil, sys
from pathlib import Path
from regtrail.build import warehouse
from regtrail.ops import publish as publishing
home, sample = Path(sys.argv[1]), Path(sys.argv[2])
while sys.stdin.readline():
    child = os.fork()
    if child == 0:
        print("publisher", os.getpid(), flush=True)
        while True:
            shutil.copy2(sample, warehouse.prepare_build(home, full_refresh=True))
            publishing.publish(home, docs=False)
            print("published", flush=True)
    os.waitpid(child, 0)
"""


def next_line(lines: queue.Queue, prefix: str, timeout: float) -> str:
    """The next output line starting with `prefix` (earlier lines are skipped); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        assert line is not None, f"the publishers ended before printing {prefix!r}"
        if line.startswith(prefix):
            return line
    pytest.fail(f"no {prefix!r} line within {timeout} s")


@pytest.mark.dbt
def test_killed_publishes_never_mix_two_publications(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("killed")
    published_sample(base, home)  # with docs: a later publish without docs carries them forward
    first = consistent(home)
    assert (home / "docs" / "index.html").exists()
    sample = sample_build_file(base)
    stamps = {first}
    rng = random.Random(15)
    server = subprocess.Popen([sys.executable, "-c", PUBLISHERS, str(home), str(sample)], cwd=REPO_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in server.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    publisher = None
    try:
        for _ in range(8):
            server.stdin.write("go\n")
            server.stdin.flush()
            publisher = psutil.Process(int(next_line(lines, "publisher ", timeout=300).split()[1]))
            next_line(lines, "published", timeout=300)  # however slow the machine, it published once
            time.sleep(rng.uniform(0.0, 1.5))  # then dies at a random point of a later publish
            publisher.send_signal(signal.SIGKILL)
            psutil.wait_procs([publisher], timeout=60)
            stamps.add(consistent(home))
            assert (home / "docs" / "index.html").exists() and counts(home / "warehouse.duckdb") == FULL
    finally:
        if publisher is not None and publisher.is_running():
            publisher.kill()
        server.kill()
        server.wait()
    assert len(stamps) > 2, "the loop published several times between kills"
    adopt_sample_build(base, home)  # the lease of a killed publisher is stale: this process takes it
    publishing.publish(home, docs=False)
    consistent(home)
    assert not list((home / ".published").glob(".staging-*")) and not list((home / "build").glob("publish-*"))
    assert len([p for p in (home / ".published").iterdir() if not p.is_symlink()]) <= 2


@pytest.mark.dbt
def test_the_switch_is_one_rename(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """A publish dying just before the switch leaves the previous set whole; the next one cleans up."""
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("switch")
    published_sample(base, home, docs=False)
    before = consistent(home)
    links = {name: os.readlink(home / name) for name in (publication.WAREHOUSE, *publication.PUBLISHED)}
    assert links == {name: f".published/current/{name}" for name in links}
    (home / "build" / "publish-20250101T000000Z-dead").mkdir()  # left by a killed publish of the earlier layout
    real = publication._symlink

    def dies_at_the_switch(link: Path, target: str) -> None:
        if link.name == publication.CURRENT:
            raise KeyboardInterrupt("killed")
        real(link, target)

    monkeypatch.setattr(publication, "_symlink", dies_at_the_switch)
    adopt_sample_build(base, home)
    with pytest.raises(KeyboardInterrupt):
        publishing.publish(home, docs=False)
    assert consistent(home) == before
    monkeypatch.undo()
    adopt_sample_build(base, home)
    publishing.publish(home, docs=False)
    assert consistent(home) != before
    assert {name: os.readlink(home / name) for name in links} == links, "only `current` moves"
    assert not list((home / "build").glob("publish-*")) and not list((home / ".published").glob(".staging-*"))


@pytest.mark.dbt
def test_two_builds_started_a_second_apart(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A complete build (a real `dbt build`) holds the lease; a build started a second later fails fast naming
    it; one started with REGTRAIL_BUILD_LOCK_WAIT waits and publishes after it (its dbt step is the session's
    tested sample build copied in: the wait is what it shows). A reader polling the published warehouse
    meanwhile always sees a complete, tested build."""
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("two-builds")
    published_sample(base, home, docs=False)
    before = consistent(home)
    seen: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
                    seen.append(con.execute(f"select (select count(*) from {warehouse.BUILD_INFO}), "
                                            "(select count(*) from fct_list_batches), "
                                            "(select count(*) from fct_filings)").fetchone())
            except Exception as error:  # recorded; the test asserts there are none
                errors.append(repr(error))
            time.sleep(0.25)  # a connection per read costs CPU the builds need; 0.25 s still gives 60+ reads

    def start(name: str, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", BUILD, str(home), str(home / name), *args], cwd=REPO_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "REGTRAIL_HOME": str(home), **env})

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        first = start("work-a")
        assert first.stdout.readline().strip() == "prepared"
        time.sleep(1)
        second = start("work-b")
        waiting = start("work-c", str(sample_build_file(base)), REGTRAIL_BUILD_LOCK_WAIT="600")
        loser_out, loser_err = second.communicate(timeout=300)
        assert first.poll() is None, "the first build still held the lease"
        winner_out, winner_err = first.communicate(timeout=600)
        waiter_out, waiter_err = waiting.communicate(timeout=600)
        assert first.returncode == 0, winner_err[-3000:]
        assert second.returncode != 0 and "prepared" not in loser_out
        assert "BuildLocked" in loser_err and str(buildlock.lease_path(home)) in loser_err
        assert f"pid {first.pid} on {socket.gethostname()}" in loser_err
        assert waiting.returncode == 0 and "prepared" in waiter_out, waiter_err[-3000:]
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(seen) > 20 and set(seen) == {(1, *FULL)}, "every reader saw a complete, fingerprinted build"
    assert consistent(home) != before and buildlock.holder(home) is None
    kept = sorted(p for p in (home / ".published").iterdir() if p.is_dir() and p.name[:1].isdigit())
    runs = []  # the run that built each of the last two publications, oldest first (the names are time stamps)
    for version in kept[-2:]:
        with duckdb.connect(str(version / publication.WAREHOUSE), read_only=True) as con:
            runs.append(con.execute(f"select run from {warehouse.BUILD_INFO}").fetchone()[0])
    host = socket.gethostname()
    assert runs == [f"{host}/pid{first.pid}", f"{host}/pid{waiting.pid}"], "the waiting build published last"
