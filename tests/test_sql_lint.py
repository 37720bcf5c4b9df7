"""The dbt models pass sqlfluff (dbt templater, dialect duckdb; `dbt_project/.sqlfluff` says which rules are left
out and why). It runs in the suite so that its half minute of CPU overlaps the other modules under xdist
instead of delaying every one of them; `make lint` runs it alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regtrail import settings

pytestmark = pytest.mark.dbt  # the dbt templater renders every model through dbt
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")


def test_the_dbt_models_pass_sqlfluff(tmp_path: Path) -> None:
    # dbt's target and logs under tmp_path: the project's own target folder is left alone
    env = {**os.environ, "REGTRAIL_HOME": str(tmp_path / "home"), "REGTRAIL_BUILD_DB": str(tmp_path / "lint.duckdb"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    done = subprocess.run([str(SQLFLUFF), "lint", "models", "--processes", "1"], cwd=settings.dbt_project_dir(),
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "All Finished" in done.stdout + done.stderr
