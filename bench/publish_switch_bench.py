"""How long the publication switch takes (the one rename readers can observe); prints figures.

    .venv/bin/python bench/publish_switch_bench.py [--rounds 200]

Stages, in a temporary REGTRAIL_HOME, a publication of the same shape as a real one (a 64 MiB
warehouse file, exports/ with 6 Parquet-sized files, docs/ and report/), then times
`publication.switch` (rename into `.published/<stamp>`, the `current` symlink swap, link checks,
pruning of the set before the previous one) over many rounds. The switch does not copy data, so
its cost does not grow with the warehouse.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regtrail.build import publication  # noqa: E402


def stage(root: Path, stamp: str, blob: bytes) -> Path:
    folder = publication.new_staging(root, stamp)
    (folder / publication.WAREHOUSE).write_bytes(blob)
    for name in publication.PUBLISHED:
        (folder / name).mkdir()
        for i in range(6):
            (folder / name / f"file{i}").write_bytes(blob[: 1 << 20])
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    blob = os.urandom(64 << 20)
    with tempfile.TemporaryDirectory(prefix="switch-bench-") as tmp:
        root = Path(tmp)
        times, flips = [], []
        for i in range(args.rounds):
            folder = stage(root, f"{i:08d}", blob)
            started = time.perf_counter()
            publication.switch(root, folder, f"{i:08d}")
            times.append(time.perf_counter() - started)
            if i:  # the pointer swap alone: `current` to the previous set and back
                for target in (f"{i - 1:08d}", f"{i:08d}"):
                    started = time.perf_counter()
                    publication._symlink(publication.versions_dir(root) / publication.CURRENT, target)
                    flips.append(time.perf_counter() - started)
        print(f"publication.switch over {args.rounds} rounds (load {os.getloadavg()[0]:.1f}): median "
              f"{statistics.median(times) * 1000:.2f} ms, p90 {sorted(times)[int(0.9 * len(times))] * 1000:.2f} ms, "
              f"max {max(times) * 1000:.2f} ms (includes removing the set before the previous one)")
        print(f"the `current` pointer swap alone: median {statistics.median(flips) * 1000:.3f} ms, "
              f"max {max(flips) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
