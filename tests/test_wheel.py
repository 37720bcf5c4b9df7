"""The project as a user installs it: one wheel that carries the dbt project and the DAG file, and `regtrail demo`
run from an empty folder in a fresh venv where that wheel is installed (not editable), with one Airflow task per
dbt model (REGTRAIL_DBT_TASKS=models): Cosmos renders and runs the project shipped inside the package. (The
default, one `dbt build` task, runs in tests/test_pipeline.py and everywhere else a DAG runs.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from regtrail import settings

SCRIPT = settings.REPO_ROOT / ".ci" / "wheel_demo.sh"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel of this checkout for the module."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(settings.REPO_ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("regtrail-*.whl")
    return built


def test_the_wheel_carries_the_dbt_project_the_dag_file_and_the_source_configs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    project = settings.REPO_ROOT / "dbt_project"
    shipped = {f"regtrail/_bundled/dbt_project/{p.relative_to(project)}" for folder in ("models", "macros", "seeds",
               "tests") for p in (project / folder).rglob("*") if p.is_file()}
    shipped |= {"regtrail/_bundled/dbt_project/dbt_project.yml", "regtrail/_bundled/dbt_project/profiles.yml",
                "regtrail/_bundled/dags/regtrail_cac.py", "regtrail/ops/dags.py", "regtrail/build/warehouse.py"}
    shipped |= {str(p.relative_to(settings.REPO_ROOT)) for p in (settings.REPO_ROOT / "scrapers").glob("*/source.yml")}
    assert shipped <= names, sorted(shipped - names)
    assert not [n for n in names if "/target/" in n or "__pycache__" in n or n.startswith(("tests/", "dags/"))]


@pytest.mark.slow
def test_the_demo_runs_from_the_installed_wheel_in_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGTRAIL_", "AIRFLOW"))}
    # BYTECODE=lazy: .pyc files for what the demo imports, not for all 17,000 modules (about 14 s of CPU)
    env.update(REGTRAIL_SHARED=str(settings.shared_dir()), WHEEL=str(wheel), REGTRAIL_DBT_TASKS="models",
               BYTECODE="lazy")
    uv = Path(sys.executable).with_name("uv")
    if uv.exists():
        env["UV"] = str(uv)
    done = subprocess.run(["bash", str(SCRIPT), str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=2400)
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-4000:])
    assert "REGTRAIL_HOME is not set: using " + str(tmp_path / "empty" / "data") in done.stderr
    site = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    assert (site / "regtrail" / "_bundled" / "dbt_project" / "dbt_project.yml").is_file()
    assert not (site / "regtrail" / "_bundled" / "dbt_project" / "target").exists(), "dbt wrote into the package"
    with duckdb.connect(str(tmp_path / "empty" / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_filings").fetchone()[0] > 0
    assert f"wheel_demo: published {tmp_path / 'empty' / 'data' / 'warehouse.duckdb'}: " in done.stdout
    dag_log = (tmp_path / "empty" / "data" / "logs" / "demo-dags-test.log").read_text(errors="replace")
    tasks = set(re.findall(r"end task task_id=(dbt\.\w+)", dag_log))  # Cosmos: <model>_run, <seed>_seed
    assert {"dbt.fct_filings_run", "dbt.dim_entities_run", "dbt.admin_codes_seed", "dbt.dbt_project_test"} <= tasks
    assert len(tasks) > 40, sorted(tasks)
    assert "task_id=dbt_build" not in dag_log, "one task per model, not one `dbt build` task"
    assert str(site / "regtrail" / "_bundled" / "dbt_project") in dag_log, "Cosmos ran the project in the package"
