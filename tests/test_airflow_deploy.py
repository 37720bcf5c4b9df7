"""Into an existing Airflow: the package installed in its environment plus the one small DAG file that
`regtrail airflow dag` prints, in an Airflow home that never saw the repository, configured by environment only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from regtrail import settings
from regtrail.ops import orchestration

REGTRAIL = Path(sys.executable).with_name("regtrail")
BAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "dags": {d: dag.fileloc for d, dag in bag.dags.items()}}))
"""


def foreign_airflow(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An Airflow home outside the repository and its environment: no AIRFLOW__ or REGTRAIL_ variable of this
    session, the regtrail package importable as if installed (this tree), a PATH without the venv."""
    airflow_home = tmp_path / "airflow"
    (airflow_home / "dags").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "REGTRAIL_"))}
    env.update(AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               REGTRAIL_HOME=str(tmp_path / "regtrail-home"), PYTHONPATH=str(settings.REPO_ROOT),
               PATH="/usr/bin:/bin")
    return airflow_home, env


def write_dag_file(airflow_home: Path, env: dict[str, str]) -> Path:
    """`regtrail airflow dag > $AIRFLOW_HOME/dags/regtrail.py`, run from the Airflow home."""
    target = airflow_home / "dags" / "regtrail.py"
    with open(target, "w", encoding="utf-8") as out:
        subprocess.run([str(REGTRAIL), "airflow", "dag"], stdout=out, env=env, cwd=airflow_home, check=True,
                       timeout=60)
    return target


def test_the_printed_dag_file_is_the_repositorys(tmp_path: Path) -> None:
    airflow_home, env = foreign_airflow(tmp_path)
    text = write_dag_file(airflow_home, env).read_text(encoding="utf-8")
    assert text == (settings.REPO_ROOT / "dags" / "regtrail_cac.py").read_text(encoding="utf-8")
    assert "from regtrail.ops.dags import DAGS" in text and len(text.splitlines()) < 20


def test_an_airflow_home_that_never_saw_the_repository_loads_every_dag(tmp_path: Path) -> None:
    airflow_home, env = foreign_airflow(tmp_path)
    dag_file = write_dag_file(airflow_home, env)
    expected = {*orchestration.crawl_dags(), orchestration.WAREHOUSE_DAG}
    bag = subprocess.run([sys.executable, "-c", BAG, str(airflow_home / "dags")], env=env, cwd=airflow_home,
                         capture_output=True, text=True, timeout=300)
    assert bag.returncode == 0, bag.stderr[-3000:]
    report = json.loads(bag.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert report["dags"] == {dag_id: str(dag_file) for dag_id in expected}
    # The CLI a data engineer runs, with the dags folder and the metadata database of that home only.
    airflow = str(Path(sys.executable).with_name("airflow"))
    migrate = subprocess.run([airflow, "db", "migrate"], env=env, cwd=airflow_home, capture_output=True, text=True,
                             timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    # What a DAG processor does: parse the dags folder and store the DAGs in the metadata database.
    stored = subprocess.run([airflow, "dags", "reserialize"], env=env, cwd=airflow_home, capture_output=True,
                            text=True, timeout=600)
    assert stored.returncode == 0, stored.stderr[-3000:]
    listed = subprocess.run([airflow, "dags", "list", "--output", "json"], env=env, cwd=airflow_home,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr[-3000:]
    rows = json.loads(next(line for line in reversed(listed.stdout.splitlines()) if line.startswith("[")))
    assert {row["dag_id"] for row in rows} == expected
    assert {Path(row["fileloc"]).name for row in rows} == {"regtrail.py"}
    assert (airflow_home / "airflow.db").exists() and not (Path(env["REGTRAIL_HOME"]) / "airflow").exists()
