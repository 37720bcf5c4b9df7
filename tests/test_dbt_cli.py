"""regtrail.build.dbt_cli, the way the product runs dbt: dbt's own command line (its output, its exit codes) with
the loaded project exempt from garbage collection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from regtrail import settings
from regtrail.build import dbt_run
from tests.support.warehouse import with_saved_parse

pytestmark = pytest.mark.dbt

FROZEN = ("import gc, sys; from regtrail.build import dbt_cli; code = dbt_cli.main(sys.argv[1:]); "
          "print('frozen objects:', gc.get_freeze_count()); sys.exit(code)")


def test_a_refused_command_line_exits_2_as_dbt_does() -> None:
    done = subprocess.run([sys.executable, "-m", "regtrail.build.dbt_cli", "build", "--no-such-option"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--no-such-option" in done.stderr


def test_the_product_s_dbt_runs_with_the_loaded_project_frozen(tmp_path: Path) -> None:
    home = with_saved_parse(tmp_path / "home")
    settings.build_db(home).parent.mkdir(parents=True)
    argv, env, cwd = dbt_run.command(["build", "--select", "admin_codes"], home, settings.dbt_work_dir(home))
    assert argv[1:3] == ["-m", "regtrail.build.dbt_cli"]
    done = subprocess.run([sys.executable, "-c", FROZEN, *argv[3:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Completed successfully" in done.stdout
    frozen = int(done.stdout.rsplit("frozen objects:", 1)[1].split()[0])
    assert frozen > 100_000, "the manifest should have been frozen once loaded"  # about 10^6 for this project
