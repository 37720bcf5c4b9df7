"""The administrative-division code table, as a dbt seed generated from the `cpca` package.

`cpca` 0.5.5 ships `resources/adcodes.csv`: 3,511 Chinese administrative divisions (provinces,
prefecture-level cities, districts and counties) with 12-digit codes (all ending in 000000), names
and coordinates. `python -m regtrail.build.admin_codes` writes it to `dbt_project/seeds/admin_codes.csv`
with 6-digit codes, sorted, so the warehouse never needs the package at build time and a change of
the table is a reviewable diff; `--check` exits 1 when the seed differs from the installed package.
The file is read through the distribution's metadata, without importing cpca (which loads pandas).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from importlib import metadata
from pathlib import Path

from regtrail import settings

PACKAGE, VERSION, RESOURCE = "cpca", "0.5.5", "cpca/resources/adcodes.csv"
SEED = settings.REPO_ROOT / "dbt_project" / "seeds" / "admin_codes.csv"
COLUMNS = ["adcode", "name", "longitude", "latitude"]


def package_table() -> list[dict[str, str]]:
    """The rows of cpca's adcodes.csv, codes cut to their 6 significant digits, sorted by code."""
    distribution = metadata.distribution(PACKAGE)
    if distribution.version != VERSION:
        raise RuntimeError(f"{PACKAGE} {distribution.version} installed, the seed is built from {VERSION}")
    text = Path(distribution.locate_file(RESOURCE)).read_text(encoding="utf-8-sig")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"]
        if len(code) != 12 or not code.isdigit() or not code.endswith("000000"):
            raise ValueError(f"unexpected adcode {code!r} in {RESOURCE}")
        rows.append({"adcode": code[:6], "name": row["name"].strip(), "longitude": row["longitude"],
                     "latitude": row["latitude"]})
    if len({r["adcode"] for r in rows}) != len(rows):
        raise ValueError(f"duplicate codes in {RESOURCE}")
    return sorted(rows, key=lambda r: r["adcode"])


def render(rows: list[dict[str, str]]) -> str:
    """The seed file's text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="exit 1 when the seed differs from the package")
    args.add_argument("--out", type=Path, default=SEED)
    options = args.parse_args(argv)
    text = render(package_table())
    if options.check:
        same = options.out.exists() and options.out.read_text(encoding="utf-8") == text
        print(f"{options.out}: {'matches' if same else 'differs from'} {PACKAGE} {VERSION}")
        return 0 if same else 1
    options.out.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} codes to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
