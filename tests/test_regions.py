"""The administrative code table: the seed is the cpca package's table, and it places the real numbers.

Coverage is measured on the real lists in ../shared (the 6 digits after 网信算备) and the real
generative-AI rows (属地), independently of the warehouse; tests/test_pipeline.py checks the built
marts against the same expectations.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from regtrail.build import admin_codes


def test_seed_is_generated_from_the_package(tmp_path: Path) -> None:
    assert admin_codes.main(["--check"]) == 0
    rows = admin_codes.package_table()
    assert len(rows) == 3511 and rows[0] == {"adcode": "110000", "name": "北京市", "longitude": "116.407394",
                                             "latitude": "39.904211"}
    stale = tmp_path / "admin_codes.csv"
    stale.write_text(admin_codes.render(rows[:-1]), encoding="utf-8")
    assert admin_codes.main(["--check", "--out", str(stale)]) == 1
    assert admin_codes.main(["--out", str(stale)]) == 0 and admin_codes.main(["--check", "--out", str(stale)]) == 0


def real_codes(shared: Path) -> list[str]:
    """The 6-digit code of every real filing row (one per row of the 35 real lists)."""
    codes = []
    for path in sorted((shared / "csv").glob("*.csv")):
        with open(path, encoding="utf-8") as handle:
            codes += [m[1] for r in csv.DictReader(handle) if (m := re.match(r"网信算备(\d{6})", r["备案编号"]))]
    return codes


def test_the_code_table_places_at_least_99_percent_of_real_filings_and_approvals(shared: Path) -> None:
    table = {r["adcode"]: r["name"] for r in admin_codes.package_table()}
    codes = real_codes(shared)
    placed = [c for c in codes if c[:2] + "0000" in table]
    assert len(codes) > 3000 and len(placed) / len(codes) >= 0.99
    provinces = {name for code, name in table.items() if code.endswith("0000")}
    with open(shared / "genai" / "genai_rows.csv", encoding="utf-8") as handle:
        regions = [r["province"] for r in csv.DictReader(handle)]
    named = [r for r in regions if r in provinces]
    assert len(named) / len(regions) >= 0.99
    assert set(regions) - provinces == {"国资委"}  # central state-owned enterprises: no province, not guessed
