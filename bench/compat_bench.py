"""What writing the warehouse for DuckDB 1.x readers costs; prints figures, asserts nothing.

    .venv/bin/python bench/compat_bench.py [--events 200000]

On one synthetic log (regtrail.mirror.synthetic_events): a full `dbt build` with the profile as it is
(storage_compatibility_version v1.2.0, set when dbt creates the file) and one with that option removed
(DuckDB 2's default format), then, on the default-format file, the alternative: `COPY FROM DATABASE`
into a new file attached with STORAGE_VERSION 'v1.2.0' at publish time. Prints wall times, file sizes
and the storage version number in each file's header (DuckDB 1.5 reads 64-68).
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import duckdb  # noqa: E402
from build_bench import dbt  # noqa: E402

from regtrail.mirror import synthetic_events  # noqa: E402


def header_version(path: Path) -> int:
    """The storage version number in a DuckDB file's main header."""
    with open(path, "rb") as handle:
        handle.seek(8)
        magic, version = handle.read(4), struct.unpack("<Q", handle.read(8))[0]
    assert magic == b"DUCK", path
    return version


def default_format_profiles(work: Path) -> Path:
    """A copy of dbt_project/profiles.yml without the storage compatibility option."""
    text = (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    text = re.sub(r"\n\s+config_options:\n\s+storage_compatibility_version:.*", "", text)
    folder = work / "profiles-default"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 200_000)))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="compat-bench-") as tmp:
        root = Path(tmp)
        home = root / "home"
        synthetic_events.write_log(home, args.events)
        print(f"log: {args.events:,} record events (python -m regtrail.mirror.synthetic_events HOME --events "
              f"{args.events}); load {os.getloadavg()[0]:.1f}")
        builds = {}
        for name, profiles in (("v1.2.0 (profile)", None), ("default", default_format_profiles(root))):
            work = root / name.split()[0]
            work.mkdir()
            result = dbt("build", home, work / "warehouse.duckdb", work, profiles=profiles)
            builds[name] = work / "warehouse.duckdb"
            print(f"full build, {name:<16}: {result['wall_s']:6.1f} s, exit {result['exit']}, "
                  f"{builds[name].stat().st_size / 2**20:7.1f} MiB, header version {header_version(builds[name])}")
        compat = root / "compat.duckdb"
        started = time.perf_counter()
        with duckdb.connect() as con:
            con.execute(f"attach '{builds['default']}' as built (read_only)")
            con.execute(f"attach '{compat}' as compat (storage_version 'v1.2.0')")
            con.execute("copy from database built to compat")
            con.execute("detach compat")
        copied = time.perf_counter() - started
        print(f"COPY FROM DATABASE default -> v1.2.0 : {copied:6.1f} s, {compat.stat().st_size / 2**20:7.1f} MiB, "
              f"header version {header_version(compat)} (paid on every publish)")


if __name__ == "__main__":
    main()
