"""A full disk is an ordinary failure: crawl, build and publish on a small real filesystem (tmpfs).

Each write path ends with one line naming the path and exit code 4, leaves no temporary or partial file, and the
next run on a disk with room heals. Needs `mount` (root): skipped, saying why, where a tmpfs cannot be mounted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from regtrail import settings
from regtrail.log import diskfull, events
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from tests.support.warehouse import counts, published_sample, sample_build_file


class SmallDisk:
    """A tmpfs mounted on `path`, resizable (`remount`)."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
        if out.returncode:
            pytest.skip(f"cannot mount a small tmpfs here: {out.stderr.strip()}")

    def remount(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def fill(self, leave_bytes: int) -> Path:
        """Fill the disk up to `leave_bytes` free; returns the filler file."""
        filler = self.path / "filler.bin"
        free = shutil.disk_usage(self.path).free - leave_bytes
        with open(filler, "ab") as out:
            out.write(b"\0" * max(free, 0))
        return filler

    def umount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = SmallDisk(tmp_path / "disk", "2m")
    try:
        yield disk
    finally:
        disk.umount()


def temporaries(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.endswith((".tmp", ".copying")) or p.name.startswith(".staging-"))


def regtrail(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "REGTRAIL_HOME": str(home), **env}
    environ.pop("REGTRAIL_LOG", None)
    return subprocess.run([sys.executable, "-m", "regtrail", *args], capture_output=True, text=True,
                          env=environ, cwd=settings.REPO_ROOT, timeout=600)


def one_line_naming(out: subprocess.CompletedProcess[str], home: Path) -> str:
    assert out.returncode == diskfull.EXIT_CODE, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("regtrail: no space left on device writing ") and str(home) in line, line
    return line


def test_a_crawl_that_fills_the_disk_ends_in_one_line_and_the_next_run_heals(small_disk: SmallDisk,
                                                                                shared: Path) -> None:
    home = small_disk.path / "home"
    with start_mirror(build_site(shared.parent)) as mirror:
        full = regtrail(home, "crawl", "cac_deep_synthesis", REGTRAIL_MIRROR=mirror.origin)
        one_line_naming(full, home)
        assert temporaries(home) == []
        small_disk.remount("256m")
        healed = regtrail(home, "crawl", "cac_deep_synthesis", REGTRAIL_MIRROR=mirror.origin)
    assert healed.returncode == 0, healed.stderr[-2000:]
    assert temporaries(home) == []
    filings = [r for r in events.read_events(home, "records").to_pylist() if r["record_type"] == "filing"]
    expected = sum(1 for p in (shared / "original_docx").glob("deep_synthesis_*.docx"))
    lists = {r["document_url"] for r in filings}
    assert len(lists) == expected, "every real deep-synthesis list is in the log after the healing run"


@pytest.mark.dbt
def test_publish_and_build_on_a_full_disk_keep_the_published_set_and_heal(small_disk: SmallDisk,
                                                                           tmp_path_factory) -> None:
    base = tmp_path_factory.getbasetemp()
    sample_build_file(base)  # built on the large disk, once per session
    small_disk.remount("256m")
    home = small_disk.path / "home"
    home.mkdir()
    published = published_sample(base, home, docs=False)
    before = counts(published)
    stamp = os.readlink(home / ".published" / "current")

    # build: the copy of the published warehouse does not fit
    filler = small_disk.fill(leave_bytes=64 * 1024)
    one_line_naming(regtrail(home, "build"), home)
    assert temporaries(home) == [] and not (home / "build" / "warehouse.duckdb.copying").exists()
    filler.unlink()

    # publish: the staged set does not fit
    shutil.copy2(sample_build_file(base), regtrail_prepare(home))
    filler = small_disk.fill(leave_bytes=256 * 1024)
    one_line_naming(regtrail(home, "publish", "--no-docs"), home)
    assert temporaries(home) == []
    assert os.readlink(home / ".published" / "current") == stamp and counts(home / "warehouse.duckdb") == before
    filler.unlink()

    healed = regtrail(home, "publish", "--no-docs")
    assert healed.returncode == 0, healed.stderr[-2000:]
    assert os.readlink(home / ".published" / "current") != stamp and counts(home / "warehouse.duckdb") == before
    assert temporaries(home) == []


def regtrail_prepare(home: Path) -> Path:
    """Prepare a full build in `home` in a child process (the lease belongs to a finished process, as after
    `regtrail build`), returning the build file to put the sample build into."""
    out = subprocess.run([sys.executable, "-c", "import sys\nfrom pathlib import Path\n"
                          "from regtrail.build import warehouse\n"
                          "print(warehouse.prepare_build(Path(sys.argv[1]), full_refresh=True))", str(home)],
                         capture_output=True, text=True, cwd=settings.REPO_ROOT, timeout=120, check=True)
    return Path(out.stdout.strip().splitlines()[-1])
