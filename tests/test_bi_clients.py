"""DuckDB 1.x readers (BI tools whose DuckDB driver is still 1.x) open the published warehouse.

A real 1.x client set is installed into its own venv by this test (cached under `build/bi-clients/`):
the `duckdb-cli` 1.5.6 binary and the `duckdb` 1.5.6 Python package with duckdb-engine and SQLAlchemy,
as Superset or Metabase drivers use them. Both open the published warehouse read-only and count the
filings; a file written in DuckDB 2's default storage format is refused by the same client, so the
test fails if the warehouse is ever written that way again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from tests.support.warehouse import REPO_ROOT, published_sample

pytestmark = pytest.mark.dbt

CLIENTS = ("duckdb-cli==1.5.6", "duckdb==1.5.6", "duckdb-engine==0.17.0", "SQLAlchemy==2.1.9")
VENV = REPO_ROOT / "build" / "bi-clients" / "duckdb-1.5.6"

SQLALCHEMY_COUNT = r"""
import sys, duckdb
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
engine = create_engine("duckdb:///" + sys.argv[1], connect_args={"read_only": True}, poolclass=NullPool)
with engine.connect() as con:
    print(duckdb.__version__, con.execute(text("select count(*) from fct_filings")).scalar())
"""


@pytest.fixture(scope="session")
def duckdb1() -> Path:
    """The venv holding the 1.x clients (created once, reused while CLIENTS do not change)."""
    marker = VENV / ".installed"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(VENV) + ".lock"):
        if not marker.exists() or marker.read_text() != "\n".join(CLIENTS):
            uv = Path(sys.executable).with_name("uv")  # `make venv` installs it: 0.5 s of CPU against pip's 7 s
            if uv.exists():
                subprocess.run([str(uv), "venv", "-q", "--clear", "--python", sys.executable, str(VENV)], check=True)
                install = [str(uv), "pip", "install", "-q", "--python", str(VENV / "bin" / "python")]
            else:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
                install = [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
            done = subprocess.run([*install, *CLIENTS], capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"installing {CLIENTS} failed:\n{done.stderr[-3000:]}"
            marker.write_text("\n".join(CLIENTS))
    return VENV


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("bi-clients")
    return published_sample(tmp_path_factory.getbasetemp(), home, docs=False)


def filings(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from fct_filings").fetchone()[0]


def cli_count(venv: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "duckdb"), "-readonly", "-csv", "-noheader", str(path),
                           "-c", "select count(*) from fct_filings"], capture_output=True, text=True, timeout=120)


def test_duckdb_cli_1_5_opens_the_published_warehouse(duckdb1: Path, published: Path) -> None:
    version = subprocess.run([str(duckdb1 / "bin" / "duckdb"), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("v1.5.6")
    out = cli_count(duckdb1, published)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == filings(published) > 0


def test_duckdb_1_with_duckdb_engine_opens_the_published_warehouse(duckdb1: Path, published: Path) -> None:
    out = subprocess.run([str(duckdb1 / "bin" / "python"), "-c", SQLALCHEMY_COUNT, str(published)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    version, count = out.stdout.split()
    assert version.startswith("1.") and int(count) == filings(published) > 0


def test_the_same_client_refuses_duckdb_2s_default_format(duckdb1: Path, published: Path, tmp_path: Path) -> None:
    """Without the compatibility setting the file would be unreadable: the check above can fail."""
    latest = tmp_path / "latest.duckdb"
    with duckdb.connect(str(latest)) as con:
        con.execute(f"attach '{published}' as published (read_only)")
        con.execute("create table fct_filings as select * from published.fct_filings")
    out = cli_count(duckdb1, latest)
    assert out.returncode != 0 and "version number" in out.stderr
